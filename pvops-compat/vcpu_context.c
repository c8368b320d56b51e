/*
 * A vCPU's context, a whole struct vcpu_guest_context
 * (public/arch-x86/xen-x86_64.h), checked and taken as Xen 4.17 takes it
 * for a 64-bit PV vCPU (arch_set_info_guest), in one place for both ways
 * in: VCPUOP_initialise (public/vcpu.h) and a restore from a save file
 * (vcpu_restore.c). Contract of pv_vcpu_set_context:
 *   - -EINVAL for a non-canonical RIP, RSP, kernel_sp, FS/GS bases, event,
 *     syscall or failsafe callback or trap handler; an LDT base that is not
 *     a guest address, not page aligned, or more than 8192 entries; more
 *     GDT entries than the guest's 14 frames hold; user mode without user
 *     page tables (ctrlreg[1] 0); a GDT frame that cannot be a descriptor
 *     page; a CR3 or CR1 frame the guest does not own (a 32-bit guest's
 *     translated context has cs:eip entry points: no canonical checks);
 *   - a CR3/CR1 frame that does not validate as an L4: the type error;
 *   - selectors with RPL 0 get RPL 3; RFLAGS.IOPL becomes the virtual IOPL,
 *     VM and NT are dropped and IF is set; only CR0.TS is taken from
 *     ctrlreg[0]; the debug registers are taken as set_debugreg would
 *     (invalid ones are dropped); VGCF_failsafe/syscall_disables_events set
 *     the callbacks' masking;
 *   - VGCF_online: the vCPU is up at once; otherwise it stays down.
 * The context is recorded in the vCPU; its own CPU loads it when it first
 * runs (vcpu_run.c). VCPUOP_initialise adds -EEXIST once the vCPU has a
 * context (vCPU 0 always has one).
 */
#include "pv.h"
#include "vcpu.h"
#include "mm.h"
#include "emulate_internal.h"
#include <pvshim/guest_access.h>
#include <pvshim/string.h>
#include <pvshim/assert.h>

#define LDT_MAX_ENTRIES 8192

/* Taken under the PV lock: one initialise at a time; too big for a stack. */
static struct vcpu_guest_context ctxt;

static uint64_t guest_selector(uint64_t sel)
{
    return (sel & 3) == 0 ? sel | 3 : sel;
}

/* NULL, or what is wrong with c (for a restore's message). */
static const char *context_fault(const struct vcpu_guest_context *c)
{
    /* A 32-bit guest's context comes translated (compat_vcpu_context.c):
     * its entry points are COMPAT_ENTRY(cs, eip), never canonical. */
    if (dom.compat)
        goto no_addresses;
    const uint64_t va[] = {
        c->user_regs.rip, c->user_regs.rsp, c->kernel_sp, c->fs_base, c->gs_base_kernel,
        c->gs_base_user, c->event_callback_eip, c->syscall_callback_eip,
        c->failsafe_callback_eip,
    };
    for (unsigned i = 0; i < sizeof(va) / sizeof(va[0]); i++)
        if (!is_canonical(va[i]))
            return "an address (RIP, RSP, kernel_sp, a base or a callback) is not canonical";
    if (c->ldt_ents && !is_canonical(c->ldt_base))
        return "the LDT base is not canonical";
    for (unsigned i = 0; i < 256; i++)
        if (!is_canonical(c->trap_ctxt[i].address))
            return "a trap handler is not canonical";
no_addresses:
    if (!guest_addr_ok(c->ldt_base) || (c->ldt_base & (PAGE_SIZE - 1)) ||
        c->ldt_ents > LDT_MAX_ENTRIES)
        return "the LDT is not an aligned guest range of at most 8192 entries";
    if (DIV_ROUND_UP(c->gdt_ents, 512) > PV_GDT_GUEST_FRAMES)
        return "gdt_ents needs more than the guest's GDT frames";
    if (!(c->flags & VGCF_in_kernel) && !c->ctrlreg[1])
        return "user mode without user page tables";
    return NULL;
}

static void take_registers(struct pv_vcpu *v, const struct vcpu_guest_context *c)
{
    const struct cpu_user_regs *u = &c->user_regs;
    struct cpu_regs *r = &v->start_regs;
    memset(r, 0, sizeof(*r));
    r->r15 = u->r15; r->r14 = u->r14; r->r13 = u->r13; r->r12 = u->r12;
    r->rbp = u->rbp; r->rbx = u->rbx; r->r11 = u->r11; r->r10 = u->r10;
    r->r9 = u->r9; r->r8 = u->r8; r->rax = u->rax; r->rcx = u->rcx;
    r->rdx = u->rdx; r->rsi = u->rsi; r->rdi = u->rdi;
    r->rip = u->rip;
    r->cs = guest_selector(u->cs);
    r->rsp = u->rsp;
    r->ss = guest_selector(u->ss);
    v->start_sels[0] = u->ds; v->start_sels[1] = u->es;
    v->start_sels[2] = u->fs; v->start_sels[3] = u->gs;
    v->iopl = (unsigned)((u->rflags & X86_EFLAGS_IOPL) >> 12);
    /* IOPL is virtual; interrupts are always on in hardware (events are the guest's IF). */
    r->rflags = (u->rflags & ~(X86_EFLAGS_IOPL | X86_EFLAGS_VM | X86_EFLAGS_NT)) |
                X86_EFLAGS_IF | X86_EFLAGS_MBS;
}

static void take_traps_and_callbacks(struct pv_vcpu *v, const struct vcpu_guest_context *c)
{
    for (unsigned i = 0; i < 256; i++) {
        v->trap_ctxt[i] = c->trap_ctxt[i];
        v->trap_ctxt[i].cs = (uint16_t)guest_selector(c->trap_ctxt[i].cs);
    }
    v->event_callback = c->event_callback_eip;
    v->failsafe_callback = c->failsafe_callback_eip;
    v->syscall_callback = c->syscall_callback_eip;
    v->failsafe_disables_events = c->flags & VGCF_failsafe_disables_events;
    v->syscall_disables_events = c->flags & VGCF_syscall_disables_events;
    v->kernel_ss = guest_selector(c->kernel_ss);
    v->kernel_sp = c->kernel_sp;
}

long pv_vcpu_set_context(struct pv_vcpu *v, const struct vcpu_guest_context *c,
                         const char **why)
{
    const char *fault = context_fault(c);
    if (why)
        *why = fault ? fault : "a GDT, CR3 or user CR3 frame is refused";
    if (fault)
        return -XEN_EINVAL;
    ASSERT(!v->loaded && v->guest_table == INVALID_MFN && v->guest_table_user == INVALID_MFN);

    /* The references first: nothing of v changes if one is refused. */
    long rc = pv_mm_vcpu_set_gdt(v, c->gdt_frames, (unsigned)c->gdt_ents);
    if (rc)
        return rc;
    rc = pv_mm_vcpu_set_bases(v, c->ctrlreg[3] >> PAGE_SHIFT, c->ctrlreg[1] >> PAGE_SHIFT);
    if (rc) {
        uint64_t none[1];
        pv_mm_vcpu_set_gdt(v, none, 0);
        return rc;
    }

    v->kernel_mode = c->flags & VGCF_in_kernel;
    take_registers(v, c);
    take_traps_and_callbacks(v, c);
    v->ldt_ents = (unsigned)c->ldt_ents;
    v->ldt_base = c->ldt_ents ? c->ldt_base : 0;
    v->fs_base = c->fs_base;
    v->gs_base_kernel = c->gs_base_kernel;
    v->gs_base_user = c->gs_base_user;
    v->fpu_ts = c->ctrlreg[0] & X86_CR0_TS;
    for (unsigned i = 0; i < 8; i++)
        v->start_debugreg[i] = c->debugreg[i];
    /* Xen: a non-zero ctrlreg[4] is the vCPU's CR4 view, reduced to the
     * bits a PV guest controls (pv_fixup_guest_cr4); 0 gives the default. */
    v->start_cr4 = c->ctrlreg[4];
    v->initialised = true;
    if (why)
        *why = NULL;
    if (c->flags & VGCF_online)
        pv_vcpu_up(v);
    return 0;
}

/* VCPUOP_initialise with a native context: from a 64-bit guest's memory,
 * or translated from a 32-bit guest's (compat_vcpu_context.c). */
long pv_vcpu_initialise_native(struct pv_vcpu *v, const struct vcpu_guest_context *c)
{
    if (v->initialised)
        return -XEN_EEXIST;
    ASSERT(!v->up);
    return pv_vcpu_set_context(v, c, NULL);
}

long pv_vcpu_initialise(struct pv_vcpu *v, vaddr_t arg)
{
    if (copy_from_guest(&ctxt, arg, sizeof(ctxt)))
        return -XEN_EFAULT;
    return pv_vcpu_initialise_native(v, &ctxt);
}
