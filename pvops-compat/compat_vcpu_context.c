/*
 * VCPUOP_initialise from a 32-bit guest: its struct vcpu_guest_context
 * (2800 bytes, xen/foreign/x86_32.h) translated into the native one and
 * handed to the same validator and applier as a 64-bit guest's
 * (vcpu_context.c), as Xen's arch_set_info_guest takes both widths:
 *   - -EEXIST once the vCPU has a context, -EINVAL for EFLAGS.VM (no
 *     VM86 for a PV guest), then vcpu_context.c's checks;
 *   - code and stack selectors (CS, SS, kernel_ss, the trap table's, the
 *     event and failsafe callbacks') get RPL 1 at least, as
 *     set_trap_table and the callbacks do; entry points are kept as
 *     COMPAT_ENTRY(cs, eip) (compat.h), so no canonical checks apply;
 *   - CR3 is the rotated 32-bit form (xen_cr3_to_pfn_x86_32) of the PAE
 *     L3, which takes an L3 type reference: an L3 that does not validate
 *     gives the type error (above 4 GiB without pae_extended_cr3:
 *     -ERANGE); ctrlreg[1] is not read (one set of tables);
 *   - the vCPU is in kernel mode whatever VGCF_in_kernel says (Xen sets
 *     TF_kernel_mode for every 32-bit vCPU); vm_assist is not read.
 *   - DS, ES, FS and GS are loaded when the vCPU first runs (vcpu_run.c).
 */
#include "compat.h"
#include "vcpu.h"
#include "pv.h"
#include <pvshim/guest_access.h>
#include <pvshim/string.h>

STATIC_ASSERT(sizeof(struct vcpu_guest_context_x86_32) == 2800, "compat layout");
STATIC_ASSERT(offsetof(struct vcpu_guest_context_x86_32, event_callback_cs) == 2780,
              "compat layout");

/* Taken under the PV lock, like vcpu_context.c's: too big for a stack. */
static struct vcpu_guest_context_x86_32 cmp;
static struct vcpu_guest_context nat;

static void regs_to_native(const struct cpu_user_regs_x86_32 *c, struct cpu_user_regs *n)
{
    n->rax = c->eax; n->rbx = c->ebx; n->rcx = c->ecx; n->rdx = c->edx;
    n->rsi = c->esi; n->rdi = c->edi; n->rbp = c->ebp; n->rsp = c->esp;
    n->rip = c->eip;
    n->rflags = c->eflags;
    n->cs = compat_fixup_selector(c->cs);
    n->ss = compat_fixup_selector(c->ss);
    n->ds = c->ds; n->es = c->es; n->fs = c->fs; n->gs = c->gs;
}

static void context_to_native(const struct vcpu_guest_context_x86_32 *c,
                              struct vcpu_guest_context *n)
{
    memset(n, 0, sizeof(*n));
    n->flags = c->flags | VGCF_in_kernel;
    regs_to_native(&c->user_regs, &n->user_regs);
    for (unsigned i = 0; i < 256; i++) {
        const struct trap_info_x86_32 *t = &c->trap_ctxt[i];
        uint16_t cs = compat_fixup_selector(t->cs);
        n->trap_ctxt[i] = (struct trap_info){
            .vector = t->vector, .flags = t->flags, .cs = cs,
            .address = t->address ? COMPAT_ENTRY(cs, t->address) : 0,
        };
    }
    n->ldt_base = c->ldt_base;
    n->ldt_ents = c->ldt_ents;
    for (unsigned i = 0; i < 16; i++)
        n->gdt_frames[i] = c->gdt_frames[i];
    n->gdt_ents = c->gdt_ents;
    n->kernel_ss = compat_fixup_selector(c->kernel_ss);
    n->kernel_sp = c->kernel_sp;
    n->ctrlreg[0] = c->ctrlreg[0];
    n->ctrlreg[3] = (uint64_t)xen_cr3_to_pfn_x86_32(c->ctrlreg[3]) << PAGE_SHIFT;
    for (unsigned i = 0; i < 8; i++)
        n->debugreg[i] = c->debugreg[i];
    n->event_callback_eip = c->event_callback_eip
        ? COMPAT_ENTRY(compat_fixup_selector(c->event_callback_cs), c->event_callback_eip) : 0;
    n->failsafe_callback_eip = c->failsafe_callback_eip
        ? COMPAT_ENTRY(compat_fixup_selector(c->failsafe_callback_cs),
                       c->failsafe_callback_eip) : 0;
}

long compat_vcpu_initialise(struct pv_vcpu *v, uint32_t arg)
{
    if (copy_from_guest(&cmp, arg, sizeof(cmp)))
        return -XEN_EFAULT;
    if (v->initialised)
        return -XEN_EEXIST;
    if (cmp.user_regs.eflags & X86_EFLAGS_VM)
        return -XEN_EINVAL;
    context_to_native(&cmp, &nat);
    return pv_vcpu_initialise_native(v, &nat);
}
