/* The check framework: run one check, record failures, print results. */
#include "pvtest32.h"

struct check_jmp { uint32_t ebx, esi, edi, ebp, esp; };
int check_call(check_fn fn, struct check_jmp *j);
void check_abort_jump(struct check_jmp *j) __attribute__((noreturn));
void check_abort_trampoline(void) __attribute__((noreturn));

static struct check_jmp check_ctx;
static bool check_failed;
static char fail_detail[200];
static unsigned n_passed, n_failed;

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

/* An unexpected trap inside a check resumes here (traps.c). */
void check_abort_trampoline(void)
{
    expect(false, "unexpected trap %u at %#x", (unsigned)last_trap.vector,
           (unsigned)last_trap.eip);
    check_abort_jump(&check_ctx);
}

void run_check(const char *name, check_fn fn)
{
    check_failed = false;
    fail_detail[0] = '\0';
    shinfo->vcpu_info[0].evtchn_upcall_mask = 1;
    if (check_call(fn, &check_ctx))
        expect(false, "aborted");
    shinfo->vcpu_info[0].evtchn_upcall_mask = 1;
    if (check_failed) {
        n_failed++;
        printf("FAIL %s: %s\n", name, fail_detail);
    } else {
        n_passed++;
        printf("PASS %s\n", name);
    }
}

void print_summary_and_exit(void)
{
    struct sched_shutdown sd = { .reason = SHUTDOWN_poweroff };
    printf("pvtest32: %u passed, %u failed\n", n_passed, n_failed);
    console_flush();
    hypercall2(__HYPERVISOR_sched_op, SCHEDOP_shutdown, &sd);
    for (;;)
        hypercall2(__HYPERVISOR_sched_op, SCHEDOP_yield, 0);
}
