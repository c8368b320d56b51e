/*
 * The seam between the arch layer and the PV ABI layer. The arch entry
 * code calls these with the saved frame of a guest that entered pvshim;
 * when they return, the frame (possibly rewritten) is resumed.
 */
#ifndef PVSHIM_GUEST_ENTRY_H
#define PVSHIM_GUEST_ENTRY_H

#include <pvshim/cpu_regs.h>

/*
 * The PV layer's lock (what it protects: pvops-compat/domain.c). The arch
 * layer holds it around every handler it runs, for the guest or for an
 * interrupt, and releases it before resuming the guest. Nests on one CPU.
 */
void pv_lock(void);
void pv_unlock(void);

/*
 * Around every trap and interrupt handler of the arch layer: a 64-bit
 * guest's exceptions start without the PV lock and take it when their
 * work needs it (pvops-compat/entry.c); everything else runs under it.
 * pv_trap_lock returns what pv_trap_unlock needs to know (r: the entry's
 * frame, vector unchanged).
 */
bool pv_trap_lock(const struct cpu_regs *r);
void pv_trap_unlock(const struct cpu_regs *r, bool lazy);

/*
 * An application processor's part: wait (idle) until the vCPU this CPU
 * runs is up, load it into the CPU and return the frame to enter it with.
 * Called and returns with the PV lock held.
 */
struct cpu_regs *guest_ap_wait(void);

/* An exception (vector < 32) raised while the guest ran. */
void guest_exception(struct cpu_regs *r);

/* A SYSCALL from the guest (hypercall from its kernel, system call from its user). */
void guest_syscall(struct cpu_regs *r);

/*
 * The same, whole, for the arch layer's SYSCALL entry: takes the PV lock,
 * runs guest_syscall and guest_resume, and releases it.
 */
void guest_syscall_enter(struct cpu_regs *r);

/*
 * Its part for a 64-bit guest's hypercall (SYSCALL from its kernel), on
 * pc, the calling CPU; the SYSCALL entry calls it straight for those.
 */
struct pcpu;
void guest_hypercall(struct cpu_regs *r, struct pcpu *pc);

/* `int $0x80` from the guest (a DPL-3 gate, Xen's direct path). */
void guest_int80(struct cpu_regs *r);

/* `int $0x82` from the guest: a 32-bit guest kernel's hypercall (compat.h). */
void guest_int82(struct cpu_regs *r);

/* Last step before any return to the guest: deliver pending events. */
void guest_resume(struct cpu_regs *r);

/*
 * Returning to the guest with the frame r faulted (bad selector or RIP in
 * what the guest asked to return to): deliver the failsafe callback, or
 * crash the guest.
 */
void guest_return_failed(struct cpu_regs *r);

#endif
