/*
 * Faults pvshim may resolve instead of passing them to the guest. Each
 * returns true when it handled the fault (and advanced the frame), false
 * when the fault is the guest's to receive.
 */
#ifndef PVSHIM_EMULATE_H
#define PVSHIM_EMULATE_H

#include <pvshim/cpu_regs.h>

/* #GP(0): privileged instructions of the guest kernel (emulate_privop). */
bool pv_emulate_privileged_op(struct cpu_regs *regs);
/* #UD: the forced-emulation prefix (ud2 "xen") before CPUID. */
bool pv_emulate_invalid_op(struct cpu_regs *regs);
/* #PF on a write to a read-only mapped page-table page (writable page tables). */
bool pv_ptwr_fault(struct cpu_regs *regs, uint64_t cr2, uint64_t error_code);

#endif
