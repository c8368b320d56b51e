/*
 * Exceptions and callbacks: the trap table, the dispatcher every entry
 * stub calls, and the checks of the bounce frames Xen builds.
 */
#include "pvtest.h"
#include "hypercall.h"
#include "traps.h"

volatile struct trap_record last_trap;
volatile unsigned long trap_resume_rip;
bool (*trap_hook)(struct trap_frame *f);
void (*event_hook)(struct trap_frame *f);
void (*syscall_hook)(struct trap_frame *f);
void (*failsafe_hook)(uint64_t *frame);

static long trap_table_rc, callback_rc[3];

#define TRAP(vec, dpl, fn) { vec, dpl, FLAT_KERNEL_CS, (unsigned long)(fn) }
static const struct trap_info trap_table[] = {
    TRAP(0, 0, trap_de), TRAP(1, 0, trap_db), TRAP(2, 0, trap_nmi),
    TRAP(3, 3, trap_bp), TRAP(4, 3, trap_of), TRAP(5, 0, trap_br),
    TRAP(6, 0, trap_ud), TRAP(7, 0, trap_nm), TRAP(8, 0, trap_df),
    TRAP(9, 0, trap_cso), TRAP(10, 0, trap_ts), TRAP(11, 0, trap_np),
    TRAP(12, 0, trap_ss), TRAP(13, 0, trap_gp), TRAP(14, 0, trap_pf),
    TRAP(15, 0, trap_spurious), TRAP(16, 0, trap_mf), TRAP(17, 0, trap_ac),
    TRAP(18, 0, trap_mc), TRAP(19, 0, trap_xm),
    TRAP(0x81, 3, trap_soft81),     /* int $0x81 allowed from ring 3 */
    TRAP(0x83, 0, trap_soft83),     /* int $0x83 not allowed: #GP */
    { 0, 0, 0, 0 },
};

static long register_callback(unsigned type, unsigned flags, void *fn)
{
    struct callback_register cb = {
        .type = (uint16_t)type, .flags = (uint16_t)flags,
        .address = (unsigned long)fn,
    };
    return hc_callback_op(CALLBACKOP_register, &cb);
}

void trap_setup(void)
{
    trap_table_rc = hc_set_trap_table(trap_table);
    callback_rc[0] = register_callback(CALLBACKTYPE_event,
                                       CALLBACKF_mask_events, event_entry);
    callback_rc[1] = register_callback(CALLBACKTYPE_failsafe,
                                       CALLBACKF_mask_events, failsafe_entry);
    callback_rc[2] = register_callback(CALLBACKTYPE_syscall,
                                       CALLBACKF_mask_events, syscall_entry);
}

void trap_dispatch(struct trap_frame *f)
{
    unsigned vec = trap_vector(f);

    if (vec == KIND_EVENT) {
        if (event_hook)
            event_hook(f);
        else
            vcpu0()->evtchn_upcall_pending = 0;
        return;
    }
    if (vec == KIND_SYSCALL) {
        if (syscall_hook) {
            syscall_hook(f);
            return;
        }
        expect(false, "syscall callback without a check expecting it");
        check_abort();
    }

    last_trap.count++;
    last_trap.frame = *f;
    last_trap.frame_top = (uint64_t)(&f->ss + 1);
    last_trap.cr2 = vec == 14 ? vcpu0()->arch.cr2 : 0;

    if (trap_hook && trap_hook(f))
        return;
    if (trap_resume_rip) {
        f->rip = trap_resume_rip;
        trap_resume_rip = 0;
        return;
    }
    if (vec == 3 || vec == 4 || vec == 0x81)
        return;                     /* traps: carry on after them */
    expect(false, "unexpected exception %u at rip %#lx, error code %#lx, "
           "cr2 %#lx", vec, (unsigned long)f->rip,
           (unsigned long)f->error_code, (unsigned long)last_trap.cr2);
    check_abort();
}

static uint64_t failsafe_frame[11];
static unsigned failsafe_count;

void failsafe_dispatch(uint64_t *regs)
{
    /* regs: the 13 registers pushed by the stub, then Xen's frame. */
    memcpy(failsafe_frame, regs + 13, sizeof(failsafe_frame));
    failsafe_count++;
    if (failsafe_hook)
        failsafe_hook(failsafe_frame);
    expect(false, "failsafe callback: rip %#lx ds %#lx es %#lx fs %#lx gs %#lx",
           (unsigned long)failsafe_frame[6], (unsigned long)failsafe_frame[2],
           (unsigned long)failsafe_frame[3], (unsigned long)failsafe_frame[4],
           (unsigned long)failsafe_frame[5]);
    check_abort();
}

bool expect_trap(unsigned before, unsigned vector, const void *rip)
{
    if (!expect(last_trap.count == before + 1, "%u exceptions taken, want 1",
                last_trap.count - before))
        return false;
    bool ok = expect_eq(trap_vector((const struct trap_frame *)&last_trap.frame),
                        vector);
    ok &= expect_eq(last_trap.frame.rip, (uint64_t)rip);
    return ok;
}

bool expect_no_trap(unsigned before)
{
    return expect(last_trap.count == before,
                  "unexpected exception %u at rip %#lx",
                  trap_vector((const struct trap_frame *)&last_trap.frame),
                  (unsigned long)last_trap.frame.rip);
}

/* ---- checks */

static void check_set_trap_table(void)
{
    expect_rc(trap_table_rc, 0);
}

static void check_callbacks_registered(void)
{
    expect_rc(callback_rc[0], 0);
    expect_rc(callback_rc[1], 0);
    expect_rc(callback_rc[2], 0);
}

void trap_checks(void)
{
    run_check("traps.set_trap_table", check_set_trap_table);
    run_check("callbacks.register", check_callbacks_registered);
}
