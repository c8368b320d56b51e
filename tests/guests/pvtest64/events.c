/* Event channels (2-level ABI): binding, sending, masking, the upcall. */
#include "events.h"
#include "hypercall.h"
#include "traps.h"

volatile unsigned event_count[MAX_PORTS];
volatile unsigned upcalls;
static struct trap_frame upcall_frame;
static uint8_t mask_in_upcall;

#define BITS_PER_WORD 64

static void handle_upcall(struct trap_frame *f)
{
    struct vcpu_info *v = vcpu0();
    upcalls++;
    upcall_frame = *f;
    mask_in_upcall = v->evtchn_upcall_mask;
    v->evtchn_upcall_pending = 0;
    unsigned long sel = __atomic_exchange_n(&v->evtchn_pending_sel, 0, __ATOMIC_SEQ_CST);
    while (sel) {
        unsigned w = __builtin_ctzl(sel);
        sel &= sel - 1;
        unsigned long bits = shinfo->evtchn_pending[w] & ~shinfo->evtchn_mask[w];
        while (bits) {
            unsigned b = __builtin_ctzl(bits);
            bits &= bits - 1;
            unsigned port = w * BITS_PER_WORD + b;
            __atomic_fetch_and(&shinfo->evtchn_pending[w], ~(1UL << b), __ATOMIC_SEQ_CST);
            if (port < MAX_PORTS)
                event_count[port]++;
        }
    }
}

void events_install_handler(void)
{
    event_hook = handle_upcall;
}

long bind_virq(unsigned virq)
{
    struct evtchn_bind_virq b = { .virq = virq, .vcpu = 0 };
    long rc = hc_event_channel_op(EVTCHNOP_bind_virq, &b);
    return rc ? rc : (long)b.port;
}

long evtchn_close(unsigned port)
{
    struct evtchn_close c = { .port = port };
    return hc_event_channel_op(EVTCHNOP_close, &c);
}

void port_mask(unsigned port, bool masked)
{
    if (masked)
        __atomic_fetch_or(&shinfo->evtchn_mask[port / 64], 1UL << (port % 64), __ATOMIC_SEQ_CST);
    else
        __atomic_fetch_and(&shinfo->evtchn_mask[port / 64], ~(1UL << (port % 64)), __ATOMIC_SEQ_CST);
}

bool port_pending(unsigned port)
{
    return shinfo->evtchn_pending[port / 64] & (1UL << (port % 64));
}

void port_clear(unsigned port)
{
    __atomic_fetch_and(&shinfo->evtchn_pending[port / 64], ~(1UL << (port % 64)), __ATOMIC_SEQ_CST);
}

void deliver_pending(void)
{
    vcpu0()->evtchn_upcall_mask = 0;
    hc_xen_version(XENVER_version, NULL);
    vcpu0()->evtchn_upcall_mask = 1;
}

static long send(unsigned port)
{
    struct evtchn_send s = { .port = port };
    return hc_event_channel_op(EVTCHNOP_send, &s);
}

static long status_of(unsigned port, struct evtchn_status *st)
{
    memset(st, 0, sizeof(*st));
    st->dom = DOMID_SELF;
    st->port = port;
    return hc_event_channel_op(EVTCHNOP_status, st);
}

/* ---- checks */

static void check_bind_virq(void)
{
    long port = bind_virq(VIRQ_DEBUG);
    if (!expect(port > 0, "bind_virq(VIRQ_DEBUG) = %ld", port))
        return;
    struct evtchn_bind_virq b = { .virq = VIRQ_DEBUG, .vcpu = 0 };
    expect_rc(hc_event_channel_op(EVTCHNOP_bind_virq, &b), -XEN_EEXIST);
    struct evtchn_status st;
    if (expect_rc(status_of(port, &st), 0)) {
        expect_eq(st.status, EVTCHNSTAT_virq);
        expect_eq(st.u.virq, VIRQ_DEBUG);
        expect_eq(st.vcpu, 0);
    }
    expect_rc(evtchn_close(port), 0);
    expect_rc(status_of(port, &st), 0);
    expect_eq(st.status, EVTCHNSTAT_closed);
    b.virq = NR_VIRQS;
    expect_rc(hc_event_channel_op(EVTCHNOP_bind_virq, &b), -XEN_EINVAL);
    b.virq = VIRQ_DEBUG;
    b.vcpu = 99;
    expect_rc(hc_event_channel_op(EVTCHNOP_bind_virq, &b), -XEN_ENOENT);
}

static void check_alloc_unbound_loopback(void)
{
    struct evtchn_alloc_unbound a = { .dom = DOMID_SELF, .remote_dom = DOMID_SELF };
    if (!expect_rc(hc_event_channel_op(EVTCHNOP_alloc_unbound, &a), 0))
        return;
    struct evtchn_status st;
    expect_rc(status_of(a.port, &st), 0);
    expect_eq(st.status, EVTCHNSTAT_unbound);
    struct evtchn_bind_interdomain bi = { .remote_dom = DOMID_SELF, .remote_port = a.port };
    if (expect_rc(hc_event_channel_op(EVTCHNOP_bind_interdomain, &bi), 0)) {
        expect_rc(status_of(a.port, &st), 0);
        expect_eq(st.status, EVTCHNSTAT_interdomain);
        port_mask(a.port, true);
        port_clear(a.port);
        expect_rc(send(bi.local_port), 0);
        expect(port_pending(a.port), "send on %u did not reach %u", bi.local_port, a.port);
        port_clear(a.port);
        port_mask(a.port, false);
        expect_rc(evtchn_close(bi.local_port), 0);
        /* the other end is unbound again */
        expect_rc(status_of(a.port, &st), 0);
        expect_eq(st.status, EVTCHNSTAT_unbound);
    }
    expect_rc(evtchn_close(a.port), 0);
}

/* bind_ipi, send to self: the upcall arrives with the event frame. */
static void check_ipi_upcall(void)
{
    struct evtchn_bind_ipi b = { .vcpu = 0 };
    if (!expect_rc(hc_event_channel_op(EVTCHNOP_bind_ipi, &b), 0))
        return;
    unsigned port = b.port;
    if (!expect(port < MAX_PORTS, "port %u", port))
        return;
    events_install_handler();
    unsigned n = event_count[port], u = upcalls;
    port_mask(port, false);
    expect_rc(send(port), 0);               /* upcalls masked: pending only */
    expect_eq(upcalls, u);
    expect(port_pending(port), "not pending");
    expect_eq(vcpu0()->evtchn_upcall_pending, 1);
    deliver_pending();
    expect_eq(upcalls, u + 1);
    expect_eq(event_count[port], n + 1);
    /* the frame: interrupted in the xen_version stub, events were on */
    unsigned long stub = (unsigned long)hypercall_page + __HYPERVISOR_xen_version * 32;
    expect(upcall_frame.rip >= stub && upcall_frame.rip < stub + 32,
           "upcall rip %#lx outside the xen_version stub", (unsigned long)upcall_frame.rip);
    expect_eq(upcall_frame.cs, FLAT_KERNEL_CS & ~3);    /* saved mask 0 */
    expect_eq(upcall_frame.rflags & 0x200, 0x200);
    expect_eq(upcall_frame.error_code, 0);
    expect_eq(mask_in_upcall, 1);           /* CALLBACKF_mask_events */
    expect_rc(evtchn_close(port), 0);
}

/* A masked port: pending but no upcall; EVTCHNOP_unmask delivers it. */
static void check_mask_unmask(void)
{
    struct evtchn_bind_ipi b = { .vcpu = 0 };
    if (!expect_rc(hc_event_channel_op(EVTCHNOP_bind_ipi, &b), 0))
        return;
    unsigned port = b.port;
    events_install_handler();
    port_mask(port, true);
    unsigned u = upcalls;
    expect_rc(send(port), 0);
    deliver_pending();
    expect_eq(upcalls, u);
    expect(port_pending(port), "not pending");
    /* unmask through Xen with upcalls enabled: delivered at once */
    vcpu0()->evtchn_upcall_mask = 0;
    struct evtchn_unmask um = { .port = port };
    long rc = hc_event_channel_op(EVTCHNOP_unmask, &um);
    vcpu0()->evtchn_upcall_mask = 1;
    expect_rc(rc, 0);
    expect_eq(upcalls, u + 1);
    expect(!port_pending(port), "still pending");
    expect_rc(evtchn_close(port), 0);
}

/*
 * bind_interdomain always leaves the new local port pending: the peer may
 * have notified before the binding existed (public/event_channel.h).
 */
static void check_bind_interdomain_pending(void)
{
    struct evtchn_alloc_unbound a = { .dom = DOMID_SELF, .remote_dom = DOMID_SELF };
    if (!expect_rc(hc_event_channel_op(EVTCHNOP_alloc_unbound, &a), 0))
        return;
    struct evtchn_bind_interdomain bi = { .remote_dom = DOMID_SELF, .remote_port = a.port };
    if (expect_rc(hc_event_channel_op(EVTCHNOP_bind_interdomain, &bi), 0)) {
        expect(port_pending(bi.local_port), "new local port %u not pending", bi.local_port);
        expect(!port_pending(a.port), "remote port %u pending", a.port);
        port_clear(bi.local_port);
        expect_rc(evtchn_close(bi.local_port), 0);
    }
    expect_rc(evtchn_close(a.port), 0);
}

static void check_bad_ports(void)
{
    struct evtchn_status st;
    expect_rc(send(4095), -XEN_EINVAL);
    expect_rc(evtchn_close(100000), -XEN_EINVAL);
    expect_rc(status_of(100000, &st), -XEN_EINVAL);
    struct evtchn_unmask um = { .port = 100000 };
    expect_rc(hc_event_channel_op(EVTCHNOP_unmask, &um), -XEN_EINVAL);
    expect_rc(hc_event_channel_op(99, &um), -XEN_ENOSYS);
    /* port 0 is never a channel */
    expect_rc(send(0), -XEN_EINVAL);
}

void event_checks(void)
{
    run_check("events.bind_virq", check_bind_virq);
    run_check("events.alloc_unbound_loopback", check_alloc_unbound_loopback);
    run_check("events.ipi_upcall_frame", check_ipi_upcall);
    run_check("events.mask_unmask", check_mask_unmask);
    run_check("events.bind_interdomain_pending", check_bind_interdomain_pending);
    run_check("events.bad_ports", check_bad_ports);
}
