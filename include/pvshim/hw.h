/*
 * The hardware operations the PV ABI layer (pvops-compat/) needs, named for
 * what they do. The kernel implements them in shim/arch/x86; host builds
 * record them in fakes so tests can check they happened.
 */
#ifndef PVSHIM_HW_H
#define PVSHIM_HW_H

#include <pvshim/types.h>

/* Switch the live page-table base (CR3) to the L4 at this machine address. */
void hw_load_cr3(paddr_t l4_maddr);
/* The live page-table base. */
paddr_t hw_current_cr3(void);
/* Flush all non-global TLB entries / one virtual address. */
void hw_flush_tlb(void);
void hw_invlpg(vaddr_t va);
/* Write back and invalidate caches (MMUEXT_FLUSH_CACHE, WBINVD emulation). */
void hw_flush_cache(void);

/* Map the guest's GDT frames into pages 0..n-1 of the GDT window (n <= 14). */
void hw_set_guest_gdt(const mfn_t *frames, unsigned n);
/*
 * Point the CPU at an LDT of ents descriptors (0: none) in pvshim's LDT
 * window, with every window page unmapped: the CPU's first touch of a page
 * faults at hw_ldt_window() + offset, and the PV layer answers with
 * hw_map_guest_ldt_page() once the MMU has validated the frame.
 */
void hw_set_guest_ldt(unsigned ents);
/* Where the calling CPU's LDT window starts (LDT_WINDOW_VIRT on the boot
 * CPU; each physical CPU has its own GDT and LDT windows). */
vaddr_t hw_ldt_window(void);
void hw_map_guest_ldt_page(unsigned page, mfn_t mfn);

/*
 * FS and GS bases. The hardware holds the guest's values: FS base, the
 * active GS base (MSR_GS_BASE) and the inactive one (MSR_KERNEL_GS_BASE)
 * that a guest kernel/user mode switch swaps in.
 */
void hw_set_fs_base(uint64_t base);
uint64_t hw_get_fs_base(void);
void hw_set_gs_base(uint64_t base);             /* the active one */
uint64_t hw_get_gs_base(void);
void hw_set_inactive_gs_base(uint64_t base);
uint64_t hw_get_inactive_gs_base(void);
void hw_swap_gs(void);
/* Load a GS selector into the inactive (user) GS: SEGBASE_GS_USER_SEL. 0 or -1 on a bad selector. */
int hw_load_user_gs_selector(uint16_t sel);

/* The DS, ES, FS and GS selectors now loaded. */
void hw_read_data_selectors(uint16_t sel[4]);
/*
 * Load DS, ES, FS and GS (a 32-bit guest's, before its first entry): a
 * selector that cannot be loaded leaves a null one; bit n of the result
 * says selector n did not load.
 */
unsigned hw_load_data_selectors(const uint16_t sel[4]);

/* CR0.TS, for fpu_taskswitch. */
void hw_set_ts(bool set);

/* Is SMAP enforced on pvshim's own accesses? */
bool hw_smap_active(void);

/* The fault address of the last page fault. */
vaddr_t hw_read_cr2(void);

/* ---- privileged-instruction emulation (pvops-compat/emulate_*.c) ---- */

/* pvshim's own CR0 and CR4 as loaded now. */
uint64_t hw_read_cr0(void);
uint64_t hw_read_cr4(void);
/*
 * The guest's view of CR4 changed: load the bits a PV guest controls in
 * hardware (CR4.TSD, CR4.FSGSBASE) from guest_cr4 and leave every other
 * bit as pvshim set it.
 */
void hw_apply_guest_cr4(uint64_t guest_cr4);

/* CPUID as the hardware (or the VMM below) answers it. */
void hw_cpuid(uint32_t leaf, uint32_t subleaf, uint32_t *eax, uint32_t *ebx,
              uint32_t *ecx, uint32_t *edx);

/* RDMSR that survives a #GP: false if the MSR does not exist. */
bool hw_rdmsr_safe(uint32_t msr, uint64_t *val);

/* The time-stamp counter, unscaled. */
uint64_t hw_rdtsc(void);

/* XSETBV XCR0 for the guest; false if the hardware refused the value. */
bool hw_set_xcr0(uint64_t xcr0);
/*
 * Load the guest's FPU state (a restore): a 512-byte FXSAVE image, or an
 * XSAVE area in the standard format (at most 4096 bytes, header checked by
 * the caller) restored for the components in mask (a subset of XCR0).
 */
void hw_load_fpu(const void *area, bool xsave, uint64_t mask);
/*
 * Save the guest's FPU state (a suspend): a 512-byte FXSAVE image, or an
 * XSAVE area in the standard format for the components in mask (area:
 * 64-byte aligned, zeroed, big enough). CR0.TS is left as it was.
 */
void hw_save_fpu(void *area, bool xsave, uint64_t mask);

/* Load a debug register (0-3, 6 or 7) with the guest's value. */
void hw_set_debugreg(unsigned int reg, uint64_t val);

/* MSR_TSC_AUX, which the guest reads with RDTSCP and RDPID. */
void hw_set_tsc_aux(uint32_t val);

/*
 * The 8-byte descriptor the CPU would use for selector sel in the live
 * GDT/LDT (the guest's, as pvshim installed them). false if sel is null,
 * beyond the table or unreadable.
 */
bool hw_read_descriptor(uint16_t sel, uint64_t *desc);

#endif
