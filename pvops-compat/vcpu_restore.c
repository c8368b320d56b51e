/*
 * Loading a whole saved vCPU context (struct vcpu_guest_context, 64-bit)
 * into the current vCPU, as Xen's arch_set_info_guest does for a 64-bit PV
 * vCPU: used to resume a guest restored from a save file. Frames in the
 * context are machine frames already (the restore localised them).
 *
 * Not restored here: the FPU/XSAVE image (the arch layer loads it just
 * before entering the guest), runstate/time areas and vcpu_info placement
 * (the guest registers them again after a resume, as Linux does).
 * Data selectors other than null are refused for now (a 64-bit kernel
 * suspends with null ones).
 */
#include "domain.h"
#include "hypercalls.h"
#include "mm.h"
#include "pv.h"
#include <pvshim/hw.h>
#include <pvshim/string.h>
#include <pvshim/error.h>

#define CTX_ERR(...) error_set(err, errlen, -1, "vcpu context: " __VA_ARGS__)

/* EXTENDED record (xen_domctl_ext_vcpucontext) fields used by a 64-bit guest. */
#define EXT_SYSCALL32_EIP       8
#define EXT_SYSENTER_EIP        16
#define EXT_SYSCALL32_DISABLES  28
#define EXT_SYSENTER_DISABLES   29

static uint64_t le64(const uint8_t *p)
{
    uint64_t v = 0;
    for (unsigned i = 8; i-- > 0;)
        v = v << 8 | p[i];
    return v;
}

int pv_vcpu_set_context(const struct vcpu_guest_context *c, const uint8_t *ext,
                        uint32_t ext_len, struct cpu_regs *r, char *err, size_t errlen)
{
    struct pv_vcpu *v = current;
    const struct cpu_user_regs *u = &c->user_regs;

    if ((u->ds & ~3) || (u->es & ~3) || (u->fs & ~3) || (u->gs & ~3))
        return CTX_ERR("data selectors %#x %#x %#x %#x: only null ones are restored", u->ds,
                       u->es, u->fs, u->gs);
    for (unsigned t = 0; t < 64; t++)
        if ((c->vm_assist >> t) & 1 && do_vm_assist(VMASST_CMD_enable, t))
            return CTX_ERR("vm_assist %#lx: type %u is not offered",
                           (unsigned long)c->vm_assist, t);

    v->kernel_mode = c->flags & VGCF_in_kernel;
    memset(v->trap_ctxt, 0, sizeof(v->trap_ctxt));
    for (unsigned i = 0; i < 256; i++) {
        if (!c->trap_ctxt[i].address)
            continue;
        v->trap_ctxt[i] = c->trap_ctxt[i];
        v->trap_ctxt[i].cs = PV_KERNEL_CS;
    }
    v->event_callback = c->event_callback_eip;
    v->failsafe_callback = c->failsafe_callback_eip;
    v->syscall_callback = c->syscall_callback_eip;
    v->failsafe_disables_events = c->flags & VGCF_failsafe_disables_events;
    v->syscall_disables_events = c->flags & VGCF_syscall_disables_events;
    if (ext_len > EXT_SYSENTER_DISABLES) {
        v->syscall32_callback = le64(ext + EXT_SYSCALL32_EIP);
        v->sysenter_callback = le64(ext + EXT_SYSENTER_EIP);
        v->syscall32_disables_events = ext[EXT_SYSCALL32_DISABLES];
        v->sysenter_disables_events = ext[EXT_SYSENTER_DISABLES];
    }
    do_stack_switch(c->kernel_ss, c->kernel_sp);

    int rc = pv_mm_set_gdt_frames(c->gdt_frames, (unsigned)c->gdt_ents);
    if (rc)
        return CTX_ERR("GDT of %lu entries refused (error %d)", (unsigned long)c->gdt_ents, rc);
    rc = pv_mm_set_ldt(c->ldt_base, (unsigned)c->ldt_ents);
    if (rc)
        return CTX_ERR("LDT %#lx/%lu refused (error %d)", (unsigned long)c->ldt_base,
                       (unsigned long)c->ldt_ents, rc);
    rc = pv_mm_start_restored(c->ctrlreg[3] >> 12, c->ctrlreg[1] >> 12);
    if (rc)
        return CTX_ERR("page tables at cr3 %#lx (user %#lx) do not validate (error %d)",
                       (unsigned long)c->ctrlreg[3], (unsigned long)c->ctrlreg[1], rc);
    static const unsigned dregs[] = { 0, 1, 2, 3, 6, 7 };
    for (unsigned i = 0; i < sizeof(dregs) / sizeof(dregs[0]); i++) {
        long drc = pv_set_debugreg(dregs[i], c->debugreg[dregs[i]]);
        if (drc)
            return CTX_ERR("debug register %u value %#lx refused (error %ld)", dregs[i],
                           (unsigned long)c->debugreg[dregs[i]], drc);
    }
    v->fpu_ts = c->ctrlreg[0] & (1ull << 3);
    hw_set_ts(v->fpu_ts);

    v->fs_base = c->fs_base;
    v->gs_base_kernel = c->gs_base_kernel;
    v->gs_base_user = c->gs_base_user;
    hw_set_fs_base(c->fs_base);
    hw_set_gs_base(v->kernel_mode ? c->gs_base_kernel : c->gs_base_user);
    hw_set_inactive_gs_base(v->kernel_mode ? c->gs_base_user : c->gs_base_kernel);

    memset(r, 0, sizeof(*r));
    r->r15 = u->r15; r->r14 = u->r14; r->r13 = u->r13; r->r12 = u->r12;
    r->rbp = u->rbp; r->rbx = u->rbx; r->r11 = u->r11; r->r10 = u->r10;
    r->r9 = u->r9; r->r8 = u->r8; r->rax = u->rax; r->rcx = u->rcx;
    r->rdx = u->rdx; r->rsi = u->rsi; r->rdi = u->rdi;
    r->rip = u->rip;
    r->cs = u->cs;
    r->rsp = u->rsp;
    r->ss = u->ss;
    /* IOPL is virtual; interrupts are always on in hardware (events are the guest's IF). */
    if (dom.vm_assist & (1ul << VMASST_TYPE_architectural_iopl))
        v->iopl = (unsigned)((u->rflags & X86_EFLAGS_IOPL) >> 12);
    r->rflags = (u->rflags & ~(X86_EFLAGS_IOPL | X86_EFLAGS_VM | X86_EFLAGS_NT)) |
                X86_EFLAGS_IF | 0x2;
    return 0;
}
