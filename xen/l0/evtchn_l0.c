/*
 * The guest's event channels on a Xen host (services.h, struct
 * evtchn_forward): its port numbers are L0's. Channels to other domains
 * (dom0's backends, xenstored, ...) are L0's own, so dom0 binds to the
 * number the guest wrote into xenstore; a port pvshim serves itself
 * (VIRQ, IPI, its console and xenstore relay ends) holds a number L0
 * reserved for it (an unbound port of the domain's, to itself).
 *
 * Delivery: L0's shared_info (2-level, 64-bit layout, vCPU 0's slot) with
 * every port masked except the forwarded ones and the xenstore port; L0
 * injects the callback vector (HVM_PARAM_CALLBACK_IRQ, type vector) while
 * its upcall flag is set. The upcall clears the flag and each pending
 * unmasked port, and hands the port on: to the xenstore relay, or to the
 * guest (evtchn_from_l0), whose own masks and ABI then apply.
 */
#include <pvshim/l0.h>
#include <pvshim/log.h>
#include <pvshim/string.h>
#include <pvshim/xen_abi.h>
#include <xen/hvm/params.h>
#include "event_channel.h"
#include "services.h"
#include "l0_internal.h"

#define WORD_BITS 64

/* HVM_PARAM_CALLBACK_IRQ: delivery type in bits 56-63, 2 = a vector. */
#define CALLBACK_VIA_VECTOR(v) ((2ull << 56) | (v))

static long evtchn_op(unsigned cmd, void *arg)
{
    return l0_hypercall(__HYPERVISOR_event_channel_op, cmd, (unsigned long)arg, 0);
}

static void l0_mask(evtchn_port_t port, bool masked)
{
    volatile struct shared_info *s = l0_shared_info();
    if (!s)
        return;
    xen_ulong_t m = (xen_ulong_t)1 << (port % WORD_BITS);
    if (masked) {
        __atomic_fetch_or(&s->evtchn_mask[port / WORD_BITS], m, __ATOMIC_SEQ_CST);
    } else {
        /* Through L0, which raises the upcall if it is pending already. */
        struct evtchn_unmask u = { .port = port };
        evtchn_op(EVTCHNOP_unmask, &u);
    }
}

static long reserve(void)
{
    struct evtchn_alloc_unbound a = { .dom = DOMID_SELF, .remote_dom = DOMID_SELF };
    long rc = evtchn_op(EVTCHNOP_alloc_unbound, &a);
    return rc ? rc : (long)a.port;
}

static long alloc_unbound(struct evtchn_alloc_unbound *a)
{
    long rc = evtchn_op(EVTCHNOP_alloc_unbound, a);
    if (rc == 0)
        l0_mask(a->port, false);
    return rc;
}

static long bind_interdomain(struct evtchn_bind_interdomain *b)
{
    long rc = evtchn_op(EVTCHNOP_bind_interdomain, b);
    if (rc == 0)
        l0_mask(b->local_port, false);
    return rc;
}

static long send(evtchn_port_t port)
{
    struct evtchn_send s = { .port = port };
    return evtchn_op(EVTCHNOP_send, &s);
}

static long close(evtchn_port_t port)
{
    l0_mask(port, true);
    struct evtchn_close c = { .port = port };
    long rc = evtchn_op(EVTCHNOP_close, &c);
    if (rc)
        log_warn("l0: closing port %u at L0 failed (%ld)", port, rc);
    return rc;
}

static long status(struct evtchn_status *st)
{
    return evtchn_op(EVTCHNOP_status, st);
}

const struct evtchn_forward l0_evtchn_forward = {
    .reserve = reserve,
    .alloc_unbound = alloc_unbound,
    .bind_interdomain = bind_interdomain,
    .send = send,
    .close = close,
    .status = status,
};

static void dispatch(evtchn_port_t port)
{
    if (port == l0_store_port())
        l0_store_kick();
    else
        evtchn_from_l0(port);
}

/* Runs with interrupts off, on the callback vector. */
static void upcall(void)
{
    volatile struct shared_info *s = l0_shared_info();
    volatile struct vcpu_info *v = &s->vcpu_info[0];

    __atomic_store_n(&v->evtchn_upcall_pending, 0, __ATOMIC_SEQ_CST);
    xen_ulong_t sel = __atomic_exchange_n(&v->evtchn_pending_sel, 0, __ATOMIC_SEQ_CST);
    while (sel) {
        unsigned w = (unsigned)__builtin_ctzll(sel);
        sel &= sel - 1;
        xen_ulong_t bits = __atomic_load_n(&s->evtchn_pending[w], __ATOMIC_ACQUIRE) &
                           ~__atomic_load_n(&s->evtchn_mask[w], __ATOMIC_ACQUIRE);
        while (bits) {
            unsigned b = (unsigned)__builtin_ctzll(bits);
            bits &= bits - 1;
            __atomic_fetch_and(&s->evtchn_pending[w], ~((xen_ulong_t)1 << b), __ATOMIC_SEQ_CST);
            dispatch(w * WORD_BITS + b);
        }
    }
}

static uint8_t upcall_vector;

/* Every L0 port masked, L0's upcall on the vector: pvshim takes only what it unmasks. */
static bool connect(void)
{
    volatile struct shared_info *s = l0_shared_info();
    for (unsigned i = 0; i < sizeof(s->evtchn_mask) / sizeof(s->evtchn_mask[0]); i++)
        __atomic_store_n(&s->evtchn_mask[i], ~(xen_ulong_t)0, __ATOMIC_SEQ_CST);
    __atomic_store_n(&s->vcpu_info[0].evtchn_upcall_mask, 0, __ATOMIC_SEQ_CST);
    long rc = l0_hvm_set_param(HVM_PARAM_CALLBACK_IRQ, CALLBACK_VIA_VECTOR(upcall_vector));
    if (rc) {
        log_warn("l0: no event upcall from L0 (HVM_PARAM_CALLBACK_IRQ: %ld)", rc);
        return false;
    }
    return true;
}

bool l0_events_init(void)
{
    if (!l0_shared_info() || !l0_active())
        return false;
    upcall_vector = l0_route_upcall(upcall);
    if (!upcall_vector || !connect())
        return false;
    log_info("l0: events from L0 on vector %#x", upcall_vector);
    l0_forwarding_on();
    l0_events_watch_store();
    return true;
}

bool l0_events_reconnect(void)
{
    if (!upcall_vector || !l0_shared_info() || !connect())
        return false;
    l0_events_watch_store();
    return true;
}

/* The xenstore relay's L0 port wakes it (once the relay knows it). */
void l0_events_watch_store(void)
{
    evtchn_port_t p = l0_store_port();
    if (p && l0_shared_info())
        l0_mask(p, false);
}
