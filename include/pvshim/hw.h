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
/* Load an LDT of ents descriptors at guest virtual base (0 ents: none). */
void hw_load_ldt(vaddr_t base, unsigned ents);

/* FS and GS state the guest sets through set_segment_base or WRMSR. */
void hw_set_fs_base(uint64_t base);
void hw_set_gs_base(uint64_t base);

/* CR0.TS, for fpu_taskswitch. */
void hw_set_ts(bool set);

/* The fault address of the last page fault. */
vaddr_t hw_read_cr2(void);

#endif
