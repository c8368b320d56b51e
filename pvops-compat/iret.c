/*
 * HYPERVISOR_iret: how a 64-bit PV guest kernel returns from its handlers.
 * The guest pushes struct iret_context (rax, r11, rcx, flags, rip, cs,
 * rflags, rsp, ss) and issues hypercall 23, which never returns to the
 * caller: the frame is loaded instead.
 */
#include "pv.h"
#include <pvshim/guest_access.h>

long do_iret(void)
{
    struct pv_vcpu *v = current;
    struct cpu_regs *r = v->regs;
    struct iret_context ctx;

    if (copy_from_guest(&ctx, r->rsp, sizeof(ctx)))
        pv_crash("iret: cannot read the iret frame at %#llx", (unsigned long long)r->rsp);

    if ((ctx.cs & 3) == 3) {
        /* Returning to guest user mode. */
        if (v->guest_table_user == INVALID_MFN || v->guest_table_user == 0)
            pv_crash("iret to user mode with no user page tables");
        if (v->kernel_mode)
            pv_toggle_guest_mode(v);
    }

    if (dom.vm_assist & (1ul << VMASST_TYPE_architectural_iopl))
        v->iopl = (unsigned)((ctx.rflags & X86_EFLAGS_IOPL) >> 12);

    r->rip = ctx.rip;
    r->cs = ctx.cs | 3;         /* the guest never gets more than ring 3 */
    r->rflags = (ctx.rflags & ~(X86_EFLAGS_IOPL | X86_EFLAGS_VM)) | X86_EFLAGS_IF;
    r->rsp = ctx.rsp;
    r->ss = ctx.ss | 3;
    if (ctx.flags & VGCF_in_syscall) {
        /* Xen completes this return with SYSRET, which leaves the guest
         * RCX = RIP and R11 = RFLAGS; the frame's RCX and R11 are unused. */
        r->rcx = r->rip;
        r->r11 = r->rflags;
    } else {
        r->r11 = ctx.r11;
        r->rcx = ctx.rcx;
    }
    v->vcpu_info->evtchn_upcall_mask = !(ctx.rflags & X86_EFLAGS_IF);

    /* The dispatcher stores this into RAX. */
    return (long)ctx.rax;
}
