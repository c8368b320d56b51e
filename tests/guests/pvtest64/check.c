/* The check framework: run one check, record failures, print results. */
#include "pvtest.h"
#include "hypercall.h"
#include "traps.h"

static struct jump_ctx check_ctx;
static bool in_check, check_failed, check_skipped;
static char fail_detail[256], skip_reason[200];
static unsigned n_passed, n_failed, n_skipped;

bool expect_fmt(bool ok, const char *fmt, ...)
{
    if (ok)
        return true;
    if (!check_failed) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(fail_detail, sizeof(fail_detail), fmt, ap);
        va_end(ap);
    }
    check_failed = true;
    return false;
}

void check_abort(void)
{
    if (in_check)
        check_longjmp(&check_ctx);
    printf("FAIL pvtest64: aborted outside a check: %s\n", fail_detail);
    print_summary_and_exit();
}

void check_skip_current(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(skip_reason, sizeof(skip_reason), fmt, ap);
    va_end(ap);
    check_skipped = true;
    check_longjmp(&check_ctx);
}

void run_check(const char *name, check_fn fn)
{
    uint8_t mask = shinfo ? vcpu0()->evtchn_upcall_mask : 1;

    check_failed = check_skipped = false;
    fail_detail[0] = '\0';
    trap_resume_rip = 0;
    in_check = true;
    if (check_call(fn, &check_ctx) && !check_skipped)
        expect(false, "aborted");
    in_check = false;
    trap_resume_rip = 0;
    trap_hook = NULL;
    event_hook = NULL;
    syscall_hook = NULL;
    failsafe_hook = NULL;
    if (shinfo)
        vcpu0()->evtchn_upcall_mask = mask;

    scratch_reset();
    if (check_skipped && !check_failed) {
        n_skipped++;
        printf("SKIP %s: %s\n", name, skip_reason);
    } else if (check_failed) {
        n_failed++;
        printf("FAIL %s: %s\n", name, fail_detail);
    } else {
        n_passed++;
        printf("PASS %s\n", name);
    }
}

void skip_check(const char *name, const char *fmt, ...)
{
    char why[200];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, sizeof(why), fmt, ap);
    va_end(ap);
    n_skipped++;
    printf("SKIP %s: %s\n", name, why);
}

void print_summary_and_exit(void)
{
    struct sched_shutdown sd = { .reason = SHUTDOWN_poweroff };

    printf("pvtest64: %u skipped\n", n_skipped);
    printf("pvtest64: %u passed, %u failed\n", n_passed, n_failed);
    console_flush();
    hc_sched_op(SCHEDOP_shutdown, &sd);
    /* Xen with noreboot keeps a dead dom0 around; never come back here. */
    for (;;)
        hc_sched_op(SCHEDOP_yield, NULL);
}
