/*
 * The compat layer: what makes a 32-bit PAE PV guest ("PV32") run on
 * pvshim's 64-bit ABI code, as Xen's compat layer does on a 64-bit Xen.
 * The guest kernel runs in ring 1 in compatibility mode (FLAT_RING1_CS
 * 0xe019, FLAT_RING1_DS 0xe021), its user space in ring 3 (0xe02b,
 * 0xe033); it enters pvshim with `int $0x82` (hypercalls; the gate has
 * DPL 1), exceptions, `int $0x80`, SYSENTER and compat SYSCALL.
 *
 * Everything that differs by guest width lives in the compat_*.c files:
 *  - compat_hypercall.c: the pv32 hypercall table (arguments in EBX, ECX,
 *    EDX, ESI, EDI, 64-bit values split over two registers), multicall;
 *  - compat_xlat.c: each hypercall whose arguments have a 32-bit layout
 *    (compat_abi.h), translated into the native structure in the vCPU's
 *    translation area and handed to the 64-bit handler;
 *  - compat_entry.c: 32-bit bounce frames, the failsafe frame, iret
 *    (hypercall 23), SYSCALL/SYSENTER from 32-bit user space;
 *  - compat_shinfo.c: the 32-bit shared_info and vcpu_info (2-level event
 *    words of 32 bits, the wall clock, CR2, the runstate area).
 * The 64-bit files call in here at a handful of named seams, each one
 * line: `if (dom.compat) return compat_X(...)`.
 *
 * A compat guest's entry points (trap table, callbacks) are kept in the
 * native 64-bit fields as COMPAT_ENTRY(cs, eip): the selector in bits
 * 32-47, the 32-bit address below; 0 means none.
 */
#ifndef PVSHIM_COMPAT_H
#define PVSHIM_COMPAT_H

#include "compat_abi.h"
#include "domain.h"
#include <pvshim/cpu_regs.h>

#define COMPAT_ENTRY(cs, eip)   (((uint64_t)(uint16_t)(cs) << 32) | (uint32_t)(eip))
#define COMPAT_ENTRY_CS(e)      ((uint16_t)((e) >> 32))
#define COMPAT_ENTRY_EIP(e)     ((uint32_t)(e))

#define COMPAT_KERNEL_RPL       1
#define COMPAT_INT82_LEN        2       /* `cd 82`: a continuation re-executes it */

/*
 * A guest code or stack selector as Xen's fixup_guest_code_selector leaves
 * it for a 32-bit guest: RPL raised to at least 1. (Xen leaves a null
 * selector null; using it crashes the guest at delivery time.)
 */
static inline uint16_t compat_fixup_selector(uint32_t sel)
{
    sel &= 0xffff;
    return (uint16_t)((sel & 3) < COMPAT_KERNEL_RPL ? (sel & ~3u) | COMPAT_KERNEL_RPL : sel);
}

/* ---- compat_hypercall.c */

/* The 32-bit guest's ABI: its column of the hypercall table, EBX... arguments. */
extern const struct pv_abi pv32_abi;
/* `int $0x82` from ring 1: the hypercall in EAX, result to EAX. */
void compat_hypercall_dispatch(struct cpu_regs *r);
/* Hypercall op with up to six 32-bit arguments (multicall uses it too). */
long compat_hypercall_call(uint32_t op, const uint32_t args[6]);

/* ---- compat_xlat.c: one per hypercall with 32-bit layouts */
long compat_set_trap_table(uint32_t traps);
long compat_set_callbacks(uint32_t ev_cs, uint32_t ev_eip, uint32_t fs_cs, uint32_t fs_eip);
long compat_callback_op(int cmd, uint32_t arg);
long compat_nmi_op(unsigned cmd, uint32_t arg);
long compat_stack_switch(uint32_t ss, uint32_t esp);
long compat_mmuext_op(uint32_t uops, unsigned count, uint32_t pdone, unsigned foreigndom);
long compat_update_va_mapping(uint32_t va, uint32_t lo, uint32_t hi, uint32_t flags);
long compat_update_va_mapping_otherdomain(uint32_t va, uint32_t lo, uint32_t hi,
                                          uint32_t flags, unsigned domid);
long compat_set_gdt(uint32_t frame_list, unsigned entries);
long compat_sched_op(int cmd, uint32_t arg);
long compat_vcpu_op(int cmd, unsigned vcpuid, uint32_t arg);
/* ---- compat_vcpu_context.c: VCPUOP_initialise with the 32-bit context */
long compat_vcpu_initialise(struct pv_vcpu *v, uint32_t arg);
long compat_memory_op(unsigned cmd, uint32_t arg);
long compat_grant_table_op(unsigned cmd, uint32_t uop, unsigned count);
long compat_xen_version(int cmd, uint32_t arg);
long compat_vm_assist(unsigned cmd, unsigned type);
long compat_physdev_op(int cmd, uint32_t arg);
long compat_physdev_op_compat(uint32_t uop);

/*
 * The vCPU's translation area (COMPAT_XLAT_PAGES pages at a guest-range
 * address the 32-bit guest cannot form): where native arguments are
 * built for the 64-bit handlers. compat_xlat_init() tells the layer
 * where it is; the area is mapped by whoever built the address space.
 */
void compat_xlat_init(vaddr_t area);
vaddr_t compat_xlat_area(void);

/* ---- compat_entry.c */

/*
 * Build a 32-bit bounce frame and make r resume at entry (COMPAT_ENTRY);
 * sels (the failsafe callback's DS, ES, FS, GS) may be NULL. NULL, or why
 * the guest cannot take it. Called through bounce.c's seam.
 */
const char *compat_bounce(struct cpu_regs *r, uint64_t entry, bool has_error,
                          uint64_t error_code, bool mask_events, const uint16_t *sels);
/* HYPERVISOR_iret for a 32-bit guest; returns the frame's EAX. */
long compat_iret(void);
/* SYSCALL from a 32-bit guest (compat mode, either ring). */
void compat_syscall(struct cpu_regs *r);
/* The return to the guest faulted: the failsafe callback, or a crash. */
void compat_return_failed(struct cpu_regs *r);

/* ---- compat_shinfo.c */

/* The 2-level event ABI on the 32-bit shared_info (32-bit words). */
extern const struct evtchn_port_ops evtchn_2l_compat_ops;
/* The wall clock into the 32-bit shared_info. */
void compat_publish_wallclock(uint64_t wc_ns);
/* vcpu_info.arch.cr2 at its 32-bit offset. */
void compat_set_cr2(struct vcpu_info *vi, uint64_t cr2);
/* The runstate area in its 44-byte layout. */
void compat_runstate_publish(struct pv_vcpu *v);
/* shared_info.arch.max_pfn at its 32-bit offset. */
void compat_set_max_pfn(uint64_t max_pfn);
uint64_t compat_max_pfn(void);

#endif
