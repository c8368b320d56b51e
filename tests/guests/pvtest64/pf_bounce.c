/*
 * Page faults of the guest kernel bounced to its #PF handler, exactly: the
 * whole bounce frame with the error code, CR2 in vcpu_info, the event mask
 * the trap-table entry asks for, and an event pending at the fault, which
 * arrives on top of the #PF frame when the entry leaves events on and only
 * after the handler's iret when it masks them (Xen's checks on the way back
 * to the guest). User-mode page faults: user.c.
 */
#include "pvtest.h"
#include "hypercall.h"
#include "traps.h"

#define UNMAPPED_VA 0x12346000UL
#define EFLAGS_IF   0x200UL

static uint64_t current_rsp(void)
{
    uint64_t rsp;
    asm volatile("mov %%rsp, %0" : "=r"(rsp));
    return rsp;
}

static uint8_t mask_in_handler;

static bool record_mask(struct trap_frame *f)
{
    (void)f;
    mask_in_handler = vcpu0()->evtchn_upcall_mask;
    return false;
}

/* A write to an unmapped page with events on: error code 2 (not present,
 * write, kernel mode), RCX and R11 as they were, CS with the saved mask 0
 * and no RPL, RFLAGS with IF, the frame 16-byte aligned below the stack the
 * kernel was on, and events still on in the handler (a trap gate). */
static void check_kernel_frame(void)
{
    unsigned before = last_trap.count;
    uint64_t rsp = current_rsp() - 8;               /* the call's return address */
    trap_resume_rip = (unsigned long)probe_write_regs_after;
    trap_hook = record_mask;
    mask_in_handler = 0xff;
    vcpu0()->evtchn_upcall_mask = 0;
    probe_write_regs((void *)UNMAPPED_VA, 0x0123456789abcdefUL, 0x0000000000000a96UL);
    vcpu0()->evtchn_upcall_mask = 1;
    trap_hook = NULL;
    if (!expect_trap(before, 14, probe_write_regs_insn))
        return;
    const volatile struct trap_frame *f = &last_trap.frame;
    expect_eq(f->error_code, 2);
    expect_eq(last_trap.cr2, UNMAPPED_VA);
    expect_eq(f->rcx, 0x0123456789abcdefUL);
    expect_eq(f->r11, 0x0000000000000a96UL);
    expect_eq(f->cs, FLAT_KERNEL_CS & ~3);
    expect_eq(f->ss, FLAT_KERNEL_SS);
    expect_eq(f->rsp, rsp);
    expect_eq(last_trap.frame_top, rsp & ~15UL);
    expect_eq(f->rflags & (EFLAGS_IF | 0x3000), EFLAGS_IF);
    expect_eq(mask_in_handler, 0);
}

/* An event, and when it came: the exception count then and the RIP and CS
 * its frame interrupted. */
static unsigned events_seen, count_at_event;
static uint64_t event_rip, event_cs;

static void record_event(struct trap_frame *f)
{
    events_seen++;
    count_at_event = last_trap.count;
    event_rip = f->rip;
    event_cs = f->cs;
    vcpu0()->evtchn_upcall_pending = 0;
}

/*
 * A read of an unmapped page with an event pending and events on (no
 * hypercall unmasks them, so nothing delivers it before the next entry).
 * False if the event came before the read faulted: an interrupt in between
 * delivered it, and the caller tries again.
 */
static bool fault_with_event_pending(unsigned *before)
{
    *before = last_trap.count;
    events_seen = 0;
    event_hook = record_event;
    trap_resume_rip = (unsigned long)probe_read_after;
    vcpu0()->evtchn_upcall_pending = 1;
    vcpu0()->evtchn_upcall_mask = 0;
    probe_read((void *)UNMAPPED_VA);
    vcpu0()->evtchn_upcall_mask = 1;
    event_hook = NULL;
    vcpu0()->evtchn_upcall_pending = 0;
    return !(events_seen == 1 && count_at_event == *before &&
             event_rip != (uint64_t)trap_pf);
}

#define TRIES 20

/* With the #PF entry a trap gate (our table), the pending event is
 * delivered on the way back to the guest, on top of the #PF frame: the
 * upcall interrupts the handler's first instruction, events on. */
static void check_event_first(void)
{
    unsigned before, tries = 0;
    while (!fault_with_event_pending(&before) && ++tries < TRIES)
        ;
    expect(tries < TRIES, "an interrupt delivered the event before the fault %u times", TRIES);
    if (!expect_trap(before, 14, probe_read_insn))
        return;
    expect_eq(last_trap.cr2, UNMAPPED_VA);
    expect_eq(events_seen, 1);
    expect_eq(count_at_event, before);              /* before the #PF handler ran */
    expect_eq(event_rip, (uint64_t)trap_pf);
    expect_eq(event_cs, FLAT_KERNEL_CS & ~3);       /* saved mask 0 */
}

/* With the #PF entry an interrupt gate (flags bit 2), the handler runs with
 * events masked (the frame saves 0), and the pending event comes only when
 * its iret unmasks them, at the instruction after the faulting read. */
static void check_interrupt_gate(void)
{
    struct trap_info t[2] = {
        { 14, 4, FLAT_KERNEL_CS, (unsigned long)trap_pf },
        { 0, 0, 0, 0 },
    };
    if (!expect_rc(hc_set_trap_table(t), 0))
        return;
    unsigned before, tries = 0;
    trap_hook = record_mask;
    mask_in_handler = 0xff;
    while (!fault_with_event_pending(&before) && ++tries < TRIES)
        ;
    trap_hook = NULL;
    t[0].flags = 0;
    expect_rc(hc_set_trap_table(t), 0);
    expect(tries < TRIES, "an interrupt delivered the event before the fault %u times", TRIES);
    if (!expect_trap(before, 14, probe_read_insn))
        return;
    expect_eq(mask_in_handler, 1);
    expect_eq(last_trap.frame.cs, FLAT_KERNEL_CS & ~3);     /* saved mask 0 */
    expect_eq(last_trap.frame.rflags & EFLAGS_IF, EFLAGS_IF);
    expect_eq(events_seen, 1);
    expect_eq(count_at_event, before + 1);          /* after the #PF handler */
    expect_eq(event_rip, (uint64_t)probe_read_after);
}

void pf_bounce_checks(void)
{
    run_check("pf_bounce.kernel_frame", check_kernel_frame);
    run_check("pf_bounce.event_first", check_event_first);
    run_check("pf_bounce.interrupt_gate", check_interrupt_gate);
}
