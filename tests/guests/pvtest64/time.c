/* Time: vcpu_time_info, wallclock, timers (VIRQ_TIMER), sched_op. */
#include "events.h"
#include "hypercall.h"
#include "traps.h"
#include "guest_clock.h"

uint64_t system_time_ns(void)
{
    return guest_system_time(&vcpu0()->time);
}

static void check_time_info(void)
{
    const volatile struct vcpu_time_info *t = &vcpu0()->time;
    expect(t->tsc_to_system_mul != 0, "tsc_to_system_mul 0");
    expect(t->tsc_shift >= -32 && t->tsc_shift <= 32, "tsc_shift %d", t->tsc_shift);
    expect(t->system_time > 0, "system_time 0");
    expect_eq(t->version & 1, 0);
    printf("INFO time: mul %u shift %d flags %#x system_time %lu\n",
           t->tsc_to_system_mul, t->tsc_shift, t->flags,
           (unsigned long)t->system_time);
}

static void check_time_monotonic(void)
{
    uint64_t last = system_time_ns(), first = last;
    for (int i = 0; i < 100000; i++) {
        uint64_t now = system_time_ns();
        if (!expect(now >= last, "time went back: %lu after %lu",
                    (unsigned long)now, (unsigned long)last))
            return;
        last = now;
    }
    expect(last > first, "time did not advance");
}

static void check_wallclock(void)
{
    volatile shared_info_t *s = shinfo;
    uint32_t v;
    uint64_t sec;
    do {
        v = s->wc_version;
        sec = s->wc_sec | ((uint64_t)s->wc_sec_hi << 32);
    } while ((v & 1) || v != s->wc_version);
    /* boot time: after 2020-01-01, before 2100 */
    expect(sec > 1577836800UL && sec < 4102444800UL, "wc_sec %lu", (unsigned long)sec);
    expect(s->wc_nsec < 1000000000U, "wc_nsec %u", s->wc_nsec);
}

static long timer_port = -1;

static long set_singleshot(uint64_t deadline, uint32_t flags)
{
    struct vcpu_set_singleshot_timer t = { .timeout_abs_ns = deadline, .flags = flags };
    return hc_vcpu_op(VCPUOP_set_singleshot_timer, 0, &t);
}

/* Block until the timer port fires or the deadline (ns) passes. */
static bool wait_timer(unsigned n_before, uint64_t give_up)
{
    while (event_count[timer_port] == n_before && system_time_ns() < give_up) {
        hc_sched_op(SCHEDOP_block, NULL);      /* unmasks upcalls */
        vcpu0()->evtchn_upcall_mask = 1;
    }
    return event_count[timer_port] != n_before;
}

static void check_singleshot(void)
{
    if (timer_port < 0)
        timer_port = bind_virq(VIRQ_TIMER);
    if (!expect(timer_port > 0 && timer_port < MAX_PORTS, "bind_virq(VIRQ_TIMER) = %ld",
                timer_port))
        return;
    events_install_handler();
    expect_rc(hc_vcpu_op(VCPUOP_stop_periodic_timer, 0, NULL), 0);
    port_mask(timer_port, false);
    deliver_pending();
    unsigned n = event_count[timer_port];
    uint64_t start = system_time_ns();
    if (!expect_rc(set_singleshot(start + 10000000, VCPU_SSHOTTMR_future), 0))
        return;
    bool fired = wait_timer(n, start + 5000000000UL);
    uint64_t took = system_time_ns() - start;
    if (expect(fired, "no VIRQ_TIMER within 5 s"))
        expect(took >= 10000000 && took < 2000000000UL, "fired after %lu ns",
               (unsigned long)took);
}

/* A deadline in the past: Xen 4.17 fires the timer at once and returns 0,
 * even with VCPU_SSHOTTMR_future (older Xen returned -ETIME). */
static void check_singleshot_past(void)
{
    if (timer_port <= 0)
        check_skip_current("no VIRQ_TIMER port (time.singleshot_timer failed)");
    events_install_handler();
    deliver_pending();
    unsigned n = event_count[timer_port];
    uint64_t start = system_time_ns();
    expect_rc(set_singleshot(start - 1000000, VCPU_SSHOTTMR_future), 0);
    deliver_pending();
    expect_eq(event_count[timer_port], n + 1);
    expect_rc(hc_vcpu_op(VCPUOP_stop_singleshot_timer, 0, NULL), 0);
}

static void check_set_timer_op(void)
{
    if (timer_port <= 0)
        check_skip_current("no VIRQ_TIMER port (time.singleshot failed)");
    events_install_handler();
    unsigned n = event_count[timer_port];
    uint64_t start = system_time_ns();
    if (!expect_rc(hc_set_timer_op(start + 5000000), 0))
        return;
    expect(wait_timer(n, start + 5000000000UL), "no VIRQ_TIMER within 5 s");
}

/* With the periodic timer stopped and no one-shot armed, no VIRQ_TIMER
 * comes in 100 ms (SCHEDOP_poll waits with upcalls masked). */
static void check_stop_periodic(void)
{
    if (timer_port <= 0)
        check_skip_current("no VIRQ_TIMER port");
    events_install_handler();
    expect_rc(hc_vcpu_op(VCPUOP_stop_periodic_timer, 0, NULL), 0);
    expect_rc(hc_vcpu_op(VCPUOP_stop_singleshot_timer, 0, NULL), 0);
    hc_set_timer_op(0);
    port_clear(timer_port);
    evtchn_port_t ports[1] = { (evtchn_port_t)timer_port };
    struct sched_poll p = { .nr_ports = 1, .timeout = system_time_ns() + 100000000 };
    set_xen_guest_handle(p.ports, ports);
    uint64_t start = system_time_ns();
    expect_rc(hc_sched_op(SCHEDOP_poll, &p), 0);
    uint64_t took = system_time_ns() - start;
    expect(took >= 100000000, "poll returned after %lu ns", (unsigned long)took);
    expect(!port_pending(timer_port), "a timer event came");
}

/* Polling no port (or several) ends when any port becomes pending, as on
 * Xen: here the timer's, long before the poll's own timeout. */
static void check_sched_poll_any_event(void)
{
    if (timer_port <= 0)
        check_skip_current("no VIRQ_TIMER port");
    expect_rc(hc_vcpu_op(VCPUOP_stop_periodic_timer, 0, NULL), 0);
    port_clear(timer_port);
    uint64_t start = system_time_ns();
    struct sched_poll p = { .nr_ports = 0, .timeout = start + 3000000000UL };
    expect_rc(set_singleshot(start + 10000000, 0), 0);
    expect_rc(hc_sched_op(SCHEDOP_poll, &p), 0);
    uint64_t took = system_time_ns() - start;
    expect(took >= 10000000 && took < 1000000000UL, "poll returned after %lu ns",
           (unsigned long)took);
    expect(port_pending(timer_port), "no timer event");
    port_clear(timer_port);
}

static void check_sched_poll(void)
{
    struct evtchn_bind_ipi b = { .vcpu = 0 };
    if (!expect_rc(hc_event_channel_op(EVTCHNOP_bind_ipi, &b), 0))
        return;
    evtchn_port_t ports[1] = { b.port };
    struct sched_poll p = { .nr_ports = 1, .timeout = 0 };
    set_xen_guest_handle(p.ports, ports);
    /* pending already: returns at once */
    struct evtchn_send s = { .port = b.port };
    hc_event_channel_op(EVTCHNOP_send, &s);
    expect_rc(hc_sched_op(SCHEDOP_poll, &p), 0);
    port_clear(b.port);
    /* not pending: returns at the timeout */
    uint64_t start = system_time_ns();
    p.timeout = start + 20000000;
    expect_rc(hc_sched_op(SCHEDOP_poll, &p), 0);
    expect(system_time_ns() - start >= 20000000, "poll returned early");
    /* no ports and a deadline long past: returns at once (found by pvhostile64) */
    p.nr_ports = 0;
    p.timeout = 2;
    expect_rc(hc_sched_op(SCHEDOP_poll, &p), 0);
    p.nr_ports = 1;
    p.timeout = 1;
    expect_rc(hc_sched_op(SCHEDOP_poll, &p), 0);
    /* limits (an out-of-range port is not an error: it just never fires,
     * so it is not tried here) */
    p.nr_ports = 129;
    expect_rc(hc_sched_op(SCHEDOP_poll, &p), -XEN_EINVAL);
    p.nr_ports = 1;
    set_xen_guest_handle(p.ports, (evtchn_port_t *)0x1000);
    expect_rc(hc_sched_op(SCHEDOP_poll, &p), -XEN_EFAULT);
    evtchn_close(b.port);
}

static void check_sched_misc(void)
{
    expect_rc(hc_sched_op(SCHEDOP_yield, NULL), 0);
    expect_rc(hc_sched_op(99, NULL), -XEN_ENOSYS);
    /* block with an event pending returns at once */
    struct evtchn_bind_ipi b = { .vcpu = 0 };
    if (!expect_rc(hc_event_channel_op(EVTCHNOP_bind_ipi, &b), 0))
        return;
    events_install_handler();
    struct evtchn_send s = { .port = b.port };
    hc_event_channel_op(EVTCHNOP_send, &s);
    uint64_t start = system_time_ns();
    expect_rc(hc_sched_op(SCHEDOP_block, NULL), 0);
    vcpu0()->evtchn_upcall_mask = 1;
    expect(system_time_ns() - start < 1000000000UL, "block took too long");
    evtchn_close(b.port);
}

static void check_vcpu_op(void)
{
    expect_rc(hc_vcpu_op(VCPUOP_is_up, 0, NULL), 1);
    expect_rc(hc_vcpu_op(VCPUOP_is_up, 99, NULL), -XEN_ENOENT);
    expect_rc(hc_vcpu_op(99, 0, NULL), -XEN_ENOSYS);
    /* send_nmi takes no argument: refused before any NMI is sent. */
    expect_rc(hc_vcpu_op(VCPUOP_send_nmi, 0, &(int){ 0 }), -XEN_EINVAL);
}

/* VCPUOP_set_periodic_timer takes 1 ms to 2^62 - 1 ns, as Xen 4.17 does
 * (STIME_DELTA_MAX); a longer period (~0 wrapped now + period into the
 * past in pvshim: a timer always due) is -EINVAL and keeps the old one. */
static void check_periodic_limits(void)
{
    struct vcpu_set_periodic_timer t = { .period_ns = 999999 };
    expect_rc(hc_vcpu_op(VCPUOP_set_periodic_timer, 0, &t), -XEN_EINVAL);
    t.period_ns = ~0ull;
    expect_rc(hc_vcpu_op(VCPUOP_set_periodic_timer, 0, &t), -XEN_EINVAL);
    t.period_ns = 1ull << 62;
    expect_rc(hc_vcpu_op(VCPUOP_set_periodic_timer, 0, &t), -XEN_EINVAL);
    t.period_ns = (1ull << 62) - 1;
    expect_rc(hc_vcpu_op(VCPUOP_set_periodic_timer, 0, &t), 0);
    /* Stopped, as the checks before left it (later ones want no ticks). */
    expect_rc(hc_vcpu_op(VCPUOP_stop_periodic_timer, 0, NULL), 0);
}

/* System time follows the TSC at the advertised rate: Xen's own later
 * update agrees with what we extrapolated (1 ms + 1%). */
static void check_time_vs_tsc(void)
{
    const volatile struct vcpu_time_info *t = &vcpu0()->time;
    uint32_t v0 = t->version;
    uint64_t before = system_time_ns();
    /* wait for Xen to refresh the record (it does on every reschedule) */
    for (int i = 0; i < 50 && t->version == v0; i++) {
        struct sched_poll p = { .nr_ports = 0, .timeout = system_time_ns() + 20000000 };
        hc_sched_op(SCHEDOP_poll, &p);
    }
    if (t->version == v0)
        check_skip_current("Xen did not refresh vcpu_time_info within 1 s");
    uint64_t sys = t->system_time, ts = t->tsc_timestamp;
    uint64_t ours = system_time_ns();
    uint64_t theirs = sys + guest_tsc_scale(guest_rdtsc() - ts, t);
    uint64_t diff = ours > theirs ? ours - theirs : theirs - ours;
    expect(diff < 1000000 + (ours - before) / 100, "differ by %lu ns",
           (unsigned long)diff);
}

void time_checks(void)
{
    run_check("time.vcpu_time_info", check_time_info);
    run_check("time.monotonic", check_time_monotonic);
    run_check("time.follows_tsc", check_time_vs_tsc);
    run_check("time.wallclock", check_wallclock);
    run_check("time.singleshot_timer", check_singleshot);
    run_check("time.singleshot_in_past", check_singleshot_past);
    run_check("time.set_timer_op", check_set_timer_op);
    run_check("time.stop_periodic", check_stop_periodic);
    run_check("sched.poll", check_sched_poll);
    run_check("sched.poll_any_event", check_sched_poll_any_event);
    run_check("sched.yield_block", check_sched_misc);
    run_check("vcpu_op.basics", check_vcpu_op);
    run_check("time.periodic_limits", check_periodic_limits);
}
