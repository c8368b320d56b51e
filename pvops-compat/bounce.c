/*
 * Bounce frames: how pvshim hands an exception, interrupt or event to the
 * guest kernel. The frame, from low to high addresses: RCX, R11, [error
 * code], RIP, CS (saved upcall mask in bits 32-39), RFLAGS, RSP, SS.
 */
#include "pv.h"
#include "compat.h"
#include "mm.h"
#include <pvshim/guest_access.h>
#include <pvshim/hw.h>
#include <pvshim/layout.h>
#include <pvshim/string.h>

bool trap_has_error_code(unsigned vector)
{
    return vector == 8 || (vector >= 10 && vector <= 14) || vector == 17 ||
           vector == 21 || vector == 29 || vector == 30;
}

/* The base pointer of v's current mode into CR3 (v runs on this CPU). */
static void load_guest_cr3(const struct pv_vcpu *v)
{
    pv_mm_cr3_loading();
    hw_load_cr3(mfn_to_paddr(v->kernel_mode ? v->guest_table : v->guest_table_user));
}

void pv_load_guest_cr3(void)
{
    load_guest_cr3(current);
}

void pv_set_guest_cr2(uint64_t cr2)
{
    if (dom.compat)
        compat_set_cr2(current->vcpu_info, cr2);
    else
        current->vcpu_info->arch.cr2 = cr2;
}

uint64_t pv_guest_cr2(void)
{
    if (dom.compat)
        return ((const struct vcpu_info_x86_32 *)current->vcpu_info)->arch.cr2;
    return current->vcpu_info->arch.cr2;
}

uint64_t pv_mfn_to_cr3(mfn_t mfn)
{
    return dom.compat ? xen_pfn_to_cr3_x86_32(mfn) : mfn_to_paddr(mfn);
}

mfn_t pv_cr3_to_mfn(uint64_t cr3)
{
    return dom.compat ? xen_cr3_to_pfn_x86_32(cr3) : paddr_to_mfn(cr3);
}

void pv_toggle_guest_mode(struct pv_vcpu *v)
{
    v->kernel_mode = !v->kernel_mode;
    hw_swap_gs();
    load_guest_cr3(v);
}

/*
 * The common part of every bounce. sels (failsafe only) are the data
 * selectors DS, ES, FS, GS, placed between R11 and RIP. Returns NULL, or
 * why the guest cannot take it (the caller names what it was bouncing:
 * describing it only on failure keeps formatting off the hot path).
 * The frame is filled from its top, so that its fixed part has fixed
 * places whatever the optional words below it.
 */
static inline ALWAYS_INLINE const char *bounce(struct cpu_regs *r, uint64_t handler,
                                               bool has_error, uint64_t error_code,
                                               bool mask_events, const uint16_t *sels)
{
    struct pv_vcpu *v = current;
    struct vcpu_info *vi = v->vcpu_info;

    if (dom.compat)
        return compat_bounce(r, handler, has_error, error_code, mask_events, sels);
    if (!handler)
        return "no guest handler";

    uint64_t cs = r->cs, sp;
    if (!v->kernel_mode) {
        pv_toggle_guest_mode(v);
        sp = v->kernel_sp;
    } else {
        sp = r->rsp;
        cs &= ~3ull;    /* tells the guest it interrupted its own kernel */
    }
    sp &= ~15ull;

    uint8_t saved_mask = vi->evtchn_upcall_mask;
    uint64_t rflags = r->rflags & ~(X86_EFLAGS_IF | X86_EFLAGS_IOPL);
    if (!saved_mask)
        rflags |= X86_EFLAGS_IF;
    if (dom.vm_assist & (1ul << VMASST_TYPE_architectural_iopl))
        rflags |= (uint64_t)(v->iopl & 3) << 12;

    uint64_t frame[12];
    unsigned i = 12;
    frame[--i] = r->ss;
    frame[--i] = r->rsp;
    frame[--i] = rflags;
    frame[--i] = (cs & 0xffff) | ((uint64_t)saved_mask << 32);
    frame[--i] = r->rip;
    if (has_error)
        frame[--i] = error_code;
    if (sels)
        for (unsigned k = 4; k-- > 0;)
            frame[--i] = sels[k];
    frame[--i] = r->r11;
    frame[--i] = r->rcx;

    unsigned bytes = (12 - i) * 8;
    sp -= bytes;
    if (copy_to_guest(sp, &frame[i], bytes))
        return "cannot write the bounce frame on the guest kernel stack";

    if (mask_events)
        vi->evtchn_upcall_mask = 1;
    r->rip = handler;
    r->cs = PV_KERNEL_CS;
    r->ss = PV_KERNEL_SS;
    r->rsp = sp;
    r->rflags = (r->rflags & ~PV_HANDLER_CLEARS & ~X86_EFLAGS_IOPL) | X86_EFLAGS_IF;
    return NULL;
}

void pv_bounce(struct cpu_regs *r, uint64_t handler, bool has_error, uint64_t error_code,
               bool mask_events, const char *what)
{
    const char *why = bounce(r, handler, has_error, error_code, mask_events, NULL);
    if (why)
        pv_crash("%s for %s", why, what);
}

void pv_bounce_failsafe(struct cpu_regs *r, const uint16_t sels[4])
{
    const char *why = bounce(r, current->failsafe_callback, false, 0,
                             current->failsafe_disables_events, sels);
    if (why)
        pv_crash("%s for the failsafe callback", why);
}

static const char *const trap_names[32] = {
    "#DE", "#DB", "NMI", "#BP", "#OF", "#BR", "#UD", "#NM", "#DF", "#09",
    "#TS", "#NP", "#SS", "#GP", "#PF", "#15", "#MF", "#AC", "#MC", "#XM",
    "#VE", "#CP", "#22", "#23", "#24", "#25", "#26", "#27", "#HV", "#VC",
    "#SX", "#31",
};

void pv_inject_exception(struct cpu_regs *r, unsigned vector, bool has_error,
                         uint64_t error_code)
{
    const struct trap_info *ti = &current->trap_ctxt[vector & 0xff];
    /* Trap-table flag bit 2: an interrupt gate, events masked on entry. */
    const char *why = bounce(r, ti->address, has_error, error_code, (ti->flags & 4) != 0, NULL);
    if (!why)
        return;
    if (vector < 32)
        pv_crash("%s for exception %s at %#llx", why, trap_names[vector],
                 (unsigned long long)r->rip);
    pv_crash("%s for software interrupt %u", why, vector);
}
