/* Events on the 32-bit shared_info: 32-bit words, one selector bit per 32 ports. */
#include "pvtest32.h"

static uint64_t system_time(void)
{
    volatile struct vcpu_time_info *t = &shinfo->vcpu_info[0].time;
    return t->system_time;
}

/* Events on, wait (SCHEDOP_block returns once one is pending), events off. */
static bool wait_event(unsigned before)
{
    for (int i = 0; i < 100 && events_seen == before; i++) {
        shinfo->vcpu_info[0].evtchn_upcall_mask = 0;
        hypercall2(__HYPERVISOR_sched_op, SCHEDOP_block, 0);
        /* An upcall due now comes with the next entry into pvshim. */
        hypercall2(__HYPERVISOR_xen_version, XENVER_version, 0);
        shinfo->vcpu_info[0].evtchn_upcall_mask = 1;
    }
    return events_seen != before;
}

static void check_virq_timer(void)
{
    struct evtchn_bind_virq bv = { .virq = VIRQ_TIMER, .vcpu = 0 };
    expect_rc(hypercall2(__HYPERVISOR_event_channel_op, EVTCHNOP_bind_virq, &bv), 0);
    unsigned before = events_seen;
    uint64_t deadline = system_time() + 1000000;
    expect_rc(hypercall2(__HYPERVISOR_set_timer_op, (uint32_t)deadline,
                         (uint32_t)(deadline >> 32)), 0);
    expect(wait_event(before), "no upcall for the timer");
    expect_eq(event_port_seen, bv.port);
    struct evtchn_close c = { .port = bv.port };
    expect_rc(hypercall2(__HYPERVISOR_event_channel_op, EVTCHNOP_close, &c), 0);
}

/* A loopback pair whose far end is port 32 or more: selector bit 1 and up. */
static void check_high_port(void)
{
    evtchn_port_t ports[40];
    unsigned n = 0;
    struct evtchn_alloc_unbound au = { .dom = DOMID_SELF, .remote_dom = DOMID_SELF };
    do {
        expect_rc(hypercall2(__HYPERVISOR_event_channel_op, EVTCHNOP_alloc_unbound, &au), 0);
        ports[n++] = au.port;
    } while (au.port < 33 && n < ARRAY_LEN(ports));
    struct evtchn_bind_interdomain bi = { .remote_dom = DOMID_SELF, .remote_port = au.port };
    expect_rc(hypercall2(__HYPERVISOR_event_channel_op, EVTCHNOP_bind_interdomain, &bi), 0);

    unsigned w = au.port / 32, bit = au.port % 32;
    /* Binding marks the local end pending (as Xen does): start from nothing. */
    shinfo->evtchn_pending[bi.local_port / 32] &= ~(1u << (bi.local_port % 32));
    shinfo->vcpu_info[0].evtchn_pending_sel = 0;
    shinfo->vcpu_info[0].evtchn_upcall_pending = 0;
    /* Masked: pending is set, no upcall. */
    shinfo->evtchn_mask[w] |= 1u << bit;
    event_sel_seen = 0;
    unsigned before = events_seen;
    struct evtchn_send s = { .port = bi.local_port };
    expect_rc(hypercall2(__HYPERVISOR_event_channel_op, EVTCHNOP_send, &s), 0);
    expect(shinfo->evtchn_pending[w] & (1u << bit), "port %u not pending", au.port);
    expect(!(shinfo->vcpu_info[0].evtchn_pending_sel & (1u << w)), "selector %#lx set while port %u masked (mask word %#lx)",
           shinfo->vcpu_info[0].evtchn_pending_sel, au.port, shinfo->evtchn_mask[w]);
    /* Unmasked by hypercall: the upcall comes. */
    struct evtchn_unmask um = { .port = au.port };
    expect_rc(hypercall2(__HYPERVISOR_event_channel_op, EVTCHNOP_unmask, &um), 0);
    expect(wait_event(before), "no upcall after unmask");
    expect_eq(event_port_seen, au.port);
    expect_eq(event_sel_seen, 1u << w);

    for (unsigned i = 0; i < n; i++) {
        struct evtchn_close c = { .port = ports[i] };
        hypercall2(__HYPERVISOR_event_channel_op, EVTCHNOP_close, &c);
    }
    struct evtchn_close c = { .port = bi.local_port };
    hypercall2(__HYPERVISOR_event_channel_op, EVTCHNOP_close, &c);
}

/* The wall clock at its 32-bit place (wc_version 2304, wc_sec_hi in arch). */
static void check_wallclock(void)
{
    expect(shinfo->wc_version && !(shinfo->wc_version & 1), "wc_version %u",
           (unsigned)shinfo->wc_version);
    expect(shinfo->wc_sec > 1000000000u, "wc_sec %u", (unsigned)shinfo->wc_sec);
    expect_eq(shinfo->arch.wc_sec_hi, 0);
    expect(system_time() != 0, "system time 0");
}

void event_checks(void)
{
    run_check("events.virq_timer", check_virq_timer);
    run_check("events.high_port", check_high_port);
    run_check("events.wallclock", check_wallclock);
}
