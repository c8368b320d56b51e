/*
 * Helpers the PV ABI files share: delivering things to the guest (bounce
 * frames), switching between guest kernel and user mode, and ending the
 * guest. The guest-visible frame formats are Xen's, described in
 * PV-ABI.md section 1.3.
 */
#ifndef PVSHIM_PV_H
#define PVSHIM_PV_H

#include "domain.h"
#include <pvshim/compiler.h>

/* Flat selectors of a 64-bit PV guest (public/arch-x86/xen-x86_64.h). */
#define PV_KERNEL_CS    FLAT_KERNEL_CS64   /* 0xe033 */
#define PV_KERNEL_SS    FLAT_KERNEL_SS64   /* 0xe02b */

#define X86_EFLAGS_MBS  0x00000002ul    /* always 1 */
#define X86_EFLAGS_TF   0x00000100ul
#define X86_EFLAGS_IF   0x00000200ul
#define X86_EFLAGS_IOPL 0x00003000ul
#define X86_EFLAGS_NT   0x00004000ul
#define X86_EFLAGS_RF   0x00010000ul
#define X86_EFLAGS_VM   0x00020000ul
#define X86_EFLAGS_AC   0x00040000ul

/* Hardware RFLAGS bits cleared when entering a guest handler (as a CPU does on a trap). */
#define PV_HANDLER_CLEARS (X86_EFLAGS_AC | X86_EFLAGS_VM | X86_EFLAGS_RF | \
                           X86_EFLAGS_NT | X86_EFLAGS_TF)

/* Trap numbers used by name. */
#define TRAP_divide_error   0
#define TRAP_debug          1
#define TRAP_nmi            2
#define TRAP_int3           3
#define TRAP_overflow       4
#define TRAP_invalid_op     6
#define TRAP_no_device      7
#define TRAP_double_fault   8
#define TRAP_invalid_tss    10
#define TRAP_no_segment     11
#define TRAP_stack_error    12
#define TRAP_gp_fault       13
#define TRAP_page_fault     14
#define TRAP_alignment_check 17
#define TRAP_machine_check  18

/* Does this vector push an error code? */
bool trap_has_error_code(unsigned vector);

/*
 * Build a bounce frame on the guest kernel stack and make r resume at
 * handler, as Xen's create_bounce_frame does. Switches to guest kernel mode
 * first if the guest was in user mode. mask_events sets the upcall mask
 * (interrupt-gate semantics). On a frame that cannot be written the guest
 * is crashed (this does not return then).
 */
void pv_bounce(struct cpu_regs *r, uint64_t handler, bool has_error, uint64_t error_code,
               bool mask_events, const char *what);

/* Deliver the failsafe callback; sels are the data selectors DS, ES, FS, GS. */
void pv_bounce_failsafe(struct cpu_regs *r, const uint16_t sels[4]);

/* Deliver exception `vector` to the guest through its trap table. */
void pv_inject_exception(struct cpu_regs *r, unsigned vector, bool has_error,
                         uint64_t error_code);

/* vcpu_info.arch.cr2 of the current vCPU, at its offset for the guest's width. */
void pv_set_guest_cr2(uint64_t cr2);
uint64_t pv_guest_cr2(void);

/*
 * A page-table base as the guest writes it in CR3 (emulated mov) and its
 * structures: mfn << 12 for a 64-bit guest; for a 32-bit one the frame
 * number rotated left by 12 in 32 bits (xen_pfn_to_cr3_x86_32), so that
 * L3s above 4 GiB fit.
 */
uint64_t pv_mfn_to_cr3(mfn_t mfn);
mfn_t pv_cr3_to_mfn(uint64_t cr3);

/* Switch v, the calling CPU's vCPU, between guest kernel and user mode:
 * page tables and GS base. */
void pv_toggle_guest_mode(struct pv_vcpu *v);

/* Load the page-table base of the current guest mode. */
void pv_load_guest_cr3(void);

/* The guest is beyond help: report why and end it as crashed. */
NORETURN void pv_crash(const char *fmt, ...) PRINTF_LIKE(1, 2);

/* End the guest for a SCHEDOP_shutdown reason (SHUTDOWN_*). */
NORETURN void pv_shutdown(unsigned int reason);

/*
 * SCHEDOP_shutdown(SHUTDOWN_suspend): the save of the domain, set by the
 * kernel: to the save disk (shim/kernel/guest_suspend.c) or, on a Xen
 * host, by L0's toolstack (xen/l0/suspend_l0.c). PV_SUSPEND_SAVED: the
 * domain was saved and pvshim ends (pv_shutdown(SHUTDOWN_suspend), a
 * power-off); otherwise the hypercall's result: 0 the domain was restored
 * (a new domain, pv_domain_moved done), 1 cancelled (the same domain goes
 * on). No handler: every suspend is cancelled.
 */
#define PV_SUSPEND_SAVED (-1L)
extern long (*pv_suspend_handler)(void);

/*
 * A suspend that came back in a new domain (domain_moved.c says what the
 * guest finds): pv_domain_moved resets what did not survive; the provider
 * then binds the guest's store and console ports again (dom.*_port) and
 * pv_start_info_moved writes them into the guest's start_info (si_mfn:
 * the frame the suspend named, rdx). 64-bit guests.
 */
void pv_domain_moved(void);
void pv_start_info_moved(mfn_t si_mfn);

/* Events are deliverable now: something is pending and not masked. */
bool pv_events_deliverable(void);

/* The same for v (inline: every return to the guest asks). */
static inline bool pv_events_deliverable_on(const struct pv_vcpu *v)
{
    const struct vcpu_info *vi = v->vcpu_info;
    return __atomic_load_n(&vi->evtchn_upcall_pending, __ATOMIC_ACQUIRE) &&
           !vi->evtchn_upcall_mask;
}

/* Log how often the SYSCALL fast path ran (entry.c). */
void pv_fast_path_report(void);

#endif
