/* pvtest64: the order in which the areas run. */
#include "pvtest.h"
#include "hypercall.h"

start_info_t *si;
shared_info_t *shinfo;
bool is_dom0;
unsigned long *p2m;
unsigned long region_start = VIRT_BASE;
unsigned long region_end;

void pvtest_main(start_info_t *start) __attribute__((noreturn));

void pvtest_main(start_info_t *start)
{
    /* Before anything changes: shared_info, the upcall mask, the layout. */
    boot_record_initial_state(start);
    /* From here on an exception is reported instead of killing us. */
    trap_setup();

    printf("pvtest64: starting\n");
    printf("INFO role: %s (start_info flags %#x)\n",
           is_dom0 ? "dom0" : "domU", si->flags);
    printf("INFO cmd_line: \"%s\"\n", (const char *)si->cmd_line);

    /*
     * "pvtest64-hang": play a hung kernel (events masked, spinning, no
     * hypercalls) so the host's watchdog can be tested.
     */
    if (strstr((const char *)si->cmd_line, "pvtest64-hang")) {
        printf("pvtest64: hanging on purpose\n");
        vcpu0()->evtchn_upcall_mask = 1;
        for (;;)
            __asm__ volatile("pause");
    }

    /* "pvtest64-crash": end at once with SHUTDOWN_crash (the host must say crash). */
    if (strstr((const char *)si->cmd_line, "pvtest64-crash")) {
        printf("pvtest64: crashing on purpose\n");
        console_flush();
        struct sched_shutdown sd = { .reason = SHUTDOWN_crash };
        hc_sched_op(SCHEDOP_shutdown, &sd);
    }

    if (strstr((const char *)si->cmd_line, "pvtest64-migrate"))
        migrate_workload();

    boot_checks();
    pagetable_checks();
    p2m_checks();
    trap_checks();
    pf_bounce_checks();
    segment_checks();
    mmu_checks();
    multicall_checks();
    event_checks();
    time_checks();
    memory_checks();
    grant_checks();
    emul_checks();
    sysctl_checks();
    domctl_checks();
    user_checks();
    smp_checks();
    fifo_checks();

    print_summary_and_exit();
}
