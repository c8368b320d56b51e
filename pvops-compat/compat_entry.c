/*
 * Entering and leaving a 32-bit guest's kernel (Xen's compat entry.S
 * compat_create_bounce_frame, pv/iret.c compat_iret, compat_syscall).
 *
 * The 32-bit bounce frame, from its lowest address (the handler's ESP):
 *   [DS, ES, FS, GS]   failsafe callback only
 *   [error code]       exceptions that have one
 *   EIP
 *   CS | saved upcall mask << 16
 *   EFLAGS             IF = !saved mask; IOPL the virtual one with
 *                      VMASST architectural_iopl, else 0
 *   [ESP, SS]          only when ring 3 (or 2) was interrupted
 * Interrupted in ring 1, the frame goes on the current stack; in ring 3 on
 * kernel_ss:kernel_sp (stack_switch). pvshim writes it through a flat
 * stack segment (Xen honours an SS base; no flat-SS PV32 kernel is known).
 * The handler starts at its own CS:EIP with VM, RF, NT and TF clear and,
 * for interrupt-type deliveries, events masked.
 */
#include "compat.h"
#include <pvshim/string.h>
#include "pv.h"
#include "abi_trace.h"
#include <pvshim/guest_access.h>
#include <pvshim/hw.h>

#define HANDLER_CLEARS (X86_EFLAGS_VM | X86_EFLAGS_RF | X86_EFLAGS_NT | X86_EFLAGS_TF)
#define EFLAGS_MBS      0x2u            /* the always-one bit */

const char *compat_bounce(struct cpu_regs *r, uint64_t entry, bool has_error,
                          uint64_t error_code, bool mask_events, const uint16_t *sels)
{
    struct pv_vcpu *v = current;
    struct vcpu_info *vi = v->vcpu_info;
    /* Never ring 0, whatever was stored (set_trap_table and friends fix it already). */
    uint16_t cs = compat_fixup_selector(COMPAT_ENTRY_CS(entry));

    if (!entry)
        return "no guest handler";
    if ((cs & ~3u) == 0)
        return "a null code selector for the guest handler";

    bool from_user = (r->cs & 2) != 0;
    uint32_t sp = from_user ? (uint32_t)v->kernel_sp : (uint32_t)r->rsp;
    uint16_t ss = from_user ? compat_fixup_selector((uint32_t)v->kernel_ss) : (uint16_t)r->ss;
    if (from_user && (ss & ~3u) == 0)
        return "no kernel stack (stack_switch) for an entry from user mode";

    uint8_t saved_mask = vi->evtchn_upcall_mask;
    uint32_t eflags = (uint32_t)r->rflags & ~(uint32_t)(X86_EFLAGS_IF | X86_EFLAGS_IOPL);
    if (!saved_mask)
        eflags |= X86_EFLAGS_IF;
    if (dom.vm_assist & (1ul << VMASST_TYPE_architectural_iopl))
        eflags |= (uint32_t)(v->iopl & 3) << 12;

    uint32_t frame[11];
    unsigned n = 0;
    for (unsigned i = 0; sels && i < 4; i++)
        frame[n++] = sels[i];
    if (has_error)
        frame[n++] = (uint32_t)error_code;
    frame[n++] = (uint32_t)r->rip;
    frame[n++] = (uint32_t)(r->cs & 0xffff) | ((uint32_t)saved_mask << 16);
    frame[n++] = eflags;
    if (from_user) {
        frame[n++] = (uint32_t)r->rsp;
        frame[n++] = (uint32_t)(r->ss & 0xffff);
    }
    sp -= n * 4;
    if (copy_to_guest(sp, frame, n * 4))
        return "cannot write the bounce frame on the guest kernel stack";

    if (mask_events)
        vi->evtchn_upcall_mask = 1;
    v->kernel_mode = true;
    r->rip = COMPAT_ENTRY_EIP(entry);
    r->cs = cs;
    r->ss = ss;
    r->rsp = sp;
    r->rflags = (r->rflags & ~(uint64_t)HANDLER_CLEARS & ~X86_EFLAGS_IOPL) | X86_EFLAGS_IF;
    return NULL;
}

/*
 * HYPERVISOR_iret (hypercall 23; the hypercall page's stub pushes EAX and
 * is reached by jmp). At ESP: EAX, EIP, CS, EFLAGS, then ESP and SS when
 * returning to ring 3. A return to ring 0 crashes the guest. A return to
 * virtual-8086 mode becomes, as on Xen, the guest's #GP handler entered
 * with the frame moved to kernel_sp - 40: error code 0, then the nine
 * words EIP, CS, EFLAGS, ESP, SS, ES, DS, FS, GS the frame had after EAX.
 */
#define VM86_FRAME_WORDS 10

/* The #GP delivery for an iret to VM86 mode: false if the frame does not move. */
static bool compat_iret_vm86(struct cpu_regs *r, struct pv_vcpu *v, uint32_t *eflags)
{
    uint32_t from = (uint32_t)r->rsp, to = (uint32_t)v->kernel_sp - 4 * VM86_FRAME_WORDS;
    uint32_t w[VM86_FRAME_WORDS];
    w[0] = 0;
    if (copy_from_guest(&w[1], from + 4, 4 * (VM86_FRAME_WORDS - 1)) ||
        copy_to_guest(to, w, sizeof(w)))
        return false;
    const struct trap_info *ti = &v->trap_ctxt[TRAP_gp_fault];
    if (ti->flags & 4)
        *eflags &= ~(uint32_t)X86_EFLAGS_IF;
    r->rsp = to;
    r->ss = v->kernel_ss;
    r->rip = (uint32_t)ti->address;
    r->cs = ti->cs;
    return true;
}

long compat_iret(void)
{
    struct cpu_regs *r = guest_regs;
    struct pv_vcpu *v = current;
    uint32_t f[6];

    if (copy_from_guest(f, (uint32_t)r->rsp, 4 * sizeof(f[0])))
        pv_crash("iret: cannot read the iret frame at %#x", (unsigned)r->rsp);
    uint32_t eax = f[0], eip = f[1], cs = f[2] & 0xffff, eflags = f[3];
    if (dom.vm_assist & (1ul << VMASST_TYPE_architectural_iopl))
        v->iopl = (eflags & X86_EFLAGS_IOPL) >> 12;
    if (eflags & X86_EFLAGS_VM) {
        if (!compat_iret_vm86(r, v, &eflags))
            pv_crash("iret to virtual-8086 mode at %#x: cannot move the frame to %#x", eip,
                     (unsigned)v->kernel_sp - 4 * VM86_FRAME_WORDS);
        r->rflags = (eflags & ~(uint32_t)(X86_EFLAGS_IOPL | X86_EFLAGS_VM | X86_EFLAGS_RF |
                                          X86_EFLAGS_NT | X86_EFLAGS_TF)) |
                    X86_EFLAGS_IF | EFLAGS_MBS;
        v->vcpu_info->evtchn_upcall_mask = !(eflags & X86_EFLAGS_IF);
        v->kernel_mode = true;
        return eax;
    }
    if ((cs & 3) == 0)
        pv_crash("iret to ring 0 (%04x:%#x)", cs, eip);

    if ((cs & 3) != COMPAT_KERNEL_RPL) {
        if (copy_from_guest(&f[4], (uint32_t)r->rsp + 16, 2 * sizeof(f[0])))
            pv_crash("iret: cannot read the iret frame at %#x", (unsigned)r->rsp);
        r->rsp = f[4];
        r->ss = f[5] & 0xffff;
    } else {
        r->rsp = (uint32_t)(r->rsp + 16);
    }
    r->rip = eip;
    r->cs = cs;
    r->rflags = (eflags & ~(uint32_t)(X86_EFLAGS_IOPL | X86_EFLAGS_VM)) | X86_EFLAGS_IF |
                EFLAGS_MBS;
    v->vcpu_info->evtchn_upcall_mask = !(eflags & X86_EFLAGS_IF);
    v->kernel_mode = (cs & 3) == COMPAT_KERNEL_RPL;
    return eax;
}

/*
 * SYSCALL in compatibility mode (AMD): to the syscall32 callback as if
 * from ring 3 (FLAT_RING3_CS/SS in the frame); without one, #GP(0) at the
 * instruction, as Xen does.
 */
void compat_syscall(struct cpu_regs *r)
{
    struct pv_vcpu *v = current;
    r->cs = COMPAT_FLAT_RING3_CS;
    r->ss = COMPAT_FLAT_RING3_SS;
    r->rflags |= X86_EFLAGS_IF;
    if (!v->syscall32_callback) {
        r->rip -= 2;
        pv_inject_exception(r, TRAP_gp_fault, true, 0);
        return;
    }
    pv_bounce(r, v->syscall32_callback, false, 0, v->syscall32_disables_events,
              "compat syscall");
}

/*
 * The frame the guest asked to return to did not load: the failsafe
 * callback at FLAT_RING1_CS with DS, ES, FS, GS in its frame, or a crash
 * if there is none or it is the failsafe callback itself that failed.
 */
void compat_return_failed(struct cpu_regs *r)
{
    struct pv_vcpu *v = current;
    uint32_t eip = COMPAT_ENTRY_EIP(v->failsafe_callback);
    if (!v->failsafe_callback || (uint32_t)r->rip == eip)
        pv_crash("cannot return to the guest at %04llx:%#llx (stack %04llx:%#llx)",
                 (unsigned long long)r->cs, (unsigned long long)r->rip,
                 (unsigned long long)r->ss, (unsigned long long)r->rsp);
    uint16_t sel[4];
    if (v->start_sels_failed)
        memcpy(sel, v->start_sels, sizeof(sel));    /* what the context asked for */
    else
        hw_read_data_selectors(sel);
    v->start_sels_failed = false;
    const char *why = compat_bounce(r, COMPAT_ENTRY(FLAT_RING1_CS_X86_32, eip), false, 0,
                                    v->failsafe_disables_events, sel);
    if (why)
        pv_crash("%s for the failsafe callback", why);
    abi_trace_event("failsafe callback");
}
