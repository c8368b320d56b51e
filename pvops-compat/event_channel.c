/*
 * event_channel_op and event_channel_op_compat, with Xen's semantics for
 * a domU (common/event_channel.c, event_2l.c): port 0 is reserved, ports
 * are allocated lowest first. Each port notifies one vCPU (notify_vcpu):
 * the one its VIRQ or IPI was bound for, vCPU 0 for the rest until
 * EVTCHNOP_bind_vcpu moves it; the event raises that vCPU's upcall and
 * kicks its CPU. Per-vCPU VIRQs (timer, debug, ...) bind on any vCPU,
 * global ones on vCPU 0 only (-EINVAL), as on Xen. Delivery goes through
 * port_ops: the 2-level ABI here until the guest switches to FIFO
 * (event_fifo.c) with EVTCHNOP_init_control.
 *
 * Locking: binding, closing and the other per-port state changes run under
 * the PV lock; sending does not need it. EVTCHNOP_send on an IPI or
 * unbound port, EVTCHNOP_unmask and VIRQs (the timer's, from the timer
 * interrupt) run without it, under the port's own lock (port_lock below),
 * as Xen's senders hold only their channel's lock. The delivery itself
 * (pending bit, mask test, selector bit, upcall flag, kick) is atomic
 * operations on memory the guest shares.
 */
#include "event_channel.h"
#include "evtchn_port.h"
#include "domain.h"
#include "hypercalls.h"
#include "compat.h"
#include "services.h"
#include <pvshim/guest_access.h>
#include <pvshim/string.h>
#include <pvshim/spinlock.h>
#include <pvshim/percpu.h>
#include "pv_lock.h"

enum chan_state {
    ECS_FREE = 0,
    ECS_RESERVED,
    ECS_UNBOUND,
    ECS_INTERDOMAIN,
    ECS_VIRQ,
    ECS_IPI,
    ECS_REMOTE,     /* a channel of L0's (unbound or interdomain there) */
    ECS_CLOSING,    /* closed, still on a FIFO queue: L0 keeps the number */
};

struct channel {
    uint8_t state;
    uint8_t virq;
    domid_t remote_dom;             /* ECS_UNBOUND: who may bind; ECS_INTERDOMAIN: the peer */
    evtchn_port_t remote_port;      /* ECS_INTERDOMAIN to the guest itself: the other end */
    evtchn_backend_fn backend;      /* ECS_INTERDOMAIN to a pvshim backend */
    uint8_t notify_vcpu;            /* the vCPU whose upcall it raises */
};

static struct channel chans[EVTCHN_PORTS];
static evtchn_port_t virq_port[PV_MAX_VCPUS][NR_VIRQS];    /* per vCPU, as on Xen */

/*
 * port_locks[p] protects: chans[p] against a sender that runs without the
 * PV lock, and the ABI's state and delivery of port p (event_fifo.c: its
 * priority and queue links). A binding of p (chans[p]) is changed with
 * both the PV lock and p's lock held, so it is stable under either; every
 * delivery on p (set_pending, unmask, clear_pending) holds p's lock.
 * Invariant: a port's binding cannot change while a sender holds its
 * lock, and a sender that reaches a port without the PV lock (a VIRQ's
 * port read from virq_port, an IPI port) checks the binding again under
 * it; closing takes the lock, so it waits for senders in flight, and no
 * sender delivers on a port after its close.
 * port_ops changes (the 2-level / FIFO switch) with every port's lock held.
 * order: inside pv_big_lock, outside the FIFO queue locks (event_fifo.c);
 * one port's lock at a time, or all in ascending order (lock_all_ports).
 */
static spinlock_t port_locks[EVTCHN_PORTS];

/* Waiters serve cross-calls, as the PV lock's do (a holder may flush). */
static void port_lock(evtchn_port_t p)
{
    while (!spin_trylock(&port_locks[p]))
        smp_serve_calls();
}

static void port_unlock(evtchn_port_t p)
{
    spin_unlock(&port_locks[p]);
}

static void lock_all_ports(void)
{
    for (evtchn_port_t p = 0; p < EVTCHN_PORTS; p++)
        port_lock(p);
}

static void unlock_all_ports(void)
{
    for (evtchn_port_t p = EVTCHN_PORTS; p-- > 0;)
        port_unlock(p);
}

/* A new binding of port p (PV lock held). */
static void set_channel(evtchn_port_t p, struct channel c)
{
    port_lock(p);
    chans[p] = c;
    port_unlock(p);
}

struct pv_vcpu *evtchn_notify_vcpu(evtchn_port_t port)
{
    return &dom.vcpu[port < EVTCHN_PORTS ? chans[port].notify_vcpu : 0];
}

/*
 * Set v's selector bit sel (-1: none) and, if that was clear, its upcall
 * flag. A vcpu_info that moves meanwhile (VCPUOP_register_vcpu_info,
 * under the PV lock, which a sender need not hold) starts with everything
 * marked pending; a sender that may have written the old one after that
 * copy raises both again on the new one.
 */
void evtchn_raise_upcall(struct pv_vcpu *v, int sel)
{
    struct vcpu_info *vi = __atomic_load_n(&v->vcpu_info, __ATOMIC_SEQ_CST);
    bool raise = sel < 0;
    for (;;) {
        if (sel >= 0) {
            xen_ulong_t m = (xen_ulong_t)1 << sel;
            raise |= !(__atomic_fetch_or(&vi->evtchn_pending_sel, m, __ATOMIC_SEQ_CST) & m);
        }
        if (raise)
            __atomic_store_n(&vi->evtchn_upcall_pending, 1, __ATOMIC_SEQ_CST);
        struct vcpu_info *now = __atomic_load_n(&v->vcpu_info, __ATOMIC_SEQ_CST);
        if (now == vi)
            return;
        vi = now;
        raise = true;
    }
}

/* Global VIRQs go to the port bound on vCPU 0; the others are per vCPU. */
static bool virq_is_global(unsigned virq)
{
    return virq != VIRQ_TIMER && virq != VIRQ_DEBUG && virq != VIRQ_XENOPROF &&
           virq != VIRQ_XENPMU;
}

#define BITS_PER_WORD 64

/* L0's event channels, when a provider forwards them (services.h). */
static const struct evtchn_forward *fwd(void)
{
    return services ? services->evtchn : NULL;
}

static bool test_bit(const xen_ulong_t *words, unsigned bit)
{
    return (__atomic_load_n(&words[bit / BITS_PER_WORD], __ATOMIC_ACQUIRE) >>
            (bit % BITS_PER_WORD)) & 1;
}

/* The guest updates these words concurrently from its side: atomics only. */
static bool test_and_set_bit(xen_ulong_t *words, unsigned bit)
{
    xen_ulong_t m = (xen_ulong_t)1 << (bit % BITS_PER_WORD);
    return __atomic_fetch_or(&words[bit / BITS_PER_WORD], m, __ATOMIC_SEQ_CST) & m;
}

static bool test_and_clear_bit(xen_ulong_t *words, unsigned bit)
{
    xen_ulong_t m = (xen_ulong_t)1 << (bit % BITS_PER_WORD);
    return __atomic_fetch_and(&words[bit / BITS_PER_WORD], ~m, __ATOMIC_SEQ_CST) & m;
}

static void clear_bit(xen_ulong_t *words, unsigned bit)
{
    test_and_clear_bit(words, bit);
}

/* ---- the 2-level ABI */

static void l2_bound(evtchn_port_t port)
{
}

/* Pending bit, then selector bit, then the upcall flag (the port's lock held). */
static bool l2_set_pending(evtchn_port_t port)
{
    struct shared_info *s = dom.shared_info;
    struct pv_vcpu *v = evtchn_notify_vcpu(port);
    if (test_and_set_bit(s->evtchn_pending, port))
        return false;
    if (!test_bit(s->evtchn_mask, port))
        evtchn_raise_upcall(v, (int)(port / BITS_PER_WORD));
    return true;
}

static void l2_clear_pending(evtchn_port_t port)
{
    clear_bit(dom.shared_info->evtchn_pending, port);
}

/* A port that became pending while masked now raises the upcall. */
static void l2_unmask(evtchn_port_t port)
{
    struct shared_info *s = dom.shared_info;
    if (test_and_clear_bit(s->evtchn_mask, port) && test_bit(s->evtchn_pending, port))
        evtchn_raise_upcall(evtchn_notify_vcpu(port), (int)(port / BITS_PER_WORD));
}

static bool l2_is_pending(evtchn_port_t port)
{
    return test_bit(dom.shared_info->evtchn_pending, port);
}

static bool l2_is_busy(evtchn_port_t port)
{
    return false;
}

static const struct evtchn_port_ops l2_ops = {
    .bound = l2_bound,
    .set_pending = l2_set_pending,
    .clear_pending = l2_clear_pending,
    .unmask = l2_unmask,
    .is_pending = l2_is_pending,
    .is_busy = l2_is_busy,
    .set_priority = NULL,       /* EVTCHNOP_set_priority: -ENOSYS, as on Xen */
};

/* The domain's ABI: 2-level until a successful EVTCHNOP_init_control. */
static const struct evtchn_port_ops *port_ops = &l2_ops;

/* 2-level on the shared_info of the guest's width. */
static const struct evtchn_port_ops *l2_ops_for_guest(void)
{
    return dom.compat ? &evtchn_2l_compat_ops : &l2_ops;
}

void evtchn_init(void)
{
    memset(chans, 0, sizeof(chans));
    memset(virq_port, 0, sizeof(virq_port));
    chans[0].state = ECS_RESERVED;
    evtchn_fifo_destroy();
    port_ops = l2_ops_for_guest();
}

void evtchn_domain_moved(void)
{
    evtchn_init();
    struct shared_info *s = dom.shared_info;
    memset(s->evtchn_pending, 0, sizeof(s->evtchn_pending));
    memset(s->evtchn_mask, 0xff, sizeof(s->evtchn_mask));
    for (unsigned i = 0; i < dom.nr_vcpus; i++) {
        __atomic_store_n(&dom.vcpu[i].vcpu_info->evtchn_pending_sel, 0, __ATOMIC_SEQ_CST);
        __atomic_store_n(&dom.vcpu[i].vcpu_info->evtchn_upcall_pending, 0, __ATOMIC_SEQ_CST);
    }
}

bool evtchn_port_valid(evtchn_port_t port)
{
    return port < EVTCHN_PORTS;
}

/* Can the guest's table take port p (an L0 number) now? */
static bool port_takeable(long p)
{
    return p > 0 && p < EVTCHN_PORTS && chans[p].state == ECS_FREE &&
           !port_ops->is_busy((evtchn_port_t)p);
}

/* Closed ports no longer on a FIFO queue give their number back to L0. */
static void release_closed(void)
{
    for (evtchn_port_t p = 1; p < EVTCHN_PORTS; p++)
        if (chans[p].state == ECS_CLOSING && !port_ops->is_busy(p)) {
            set_channel(p, (struct channel){ .state = ECS_FREE });
            fwd()->close(p);
        }
}

/*
 * The lowest free port; a closed one still on a FIFO queue is skipped, as on
 * Xen. Forwarding: the number L0 reserves (one L0 port per guest port).
 */
static evtchn_port_t alloc_port(void)
{
    if (fwd()) {
        release_closed();
        long p = fwd()->reserve();
        if (p <= 0)
            return 0;
        if (!port_takeable(p)) {
            fwd()->close((evtchn_port_t)p);
            return 0;
        }
        return (evtchn_port_t)p;
    }
    for (evtchn_port_t p = 1; p < EVTCHN_PORTS; p++)
        if (chans[p].state == ECS_FREE && !port_ops->is_busy(p))
            return p;
    return 0;
}

/* A channel in state `c` on port p, with the ABI's per-port defaults. */
static void bind_port(evtchn_port_t p, struct channel c)
{
    port_lock(p);
    chans[p] = c;
    port_ops->bound(p);
    port_unlock(p);
}

static unsigned newly_pending;      /* atomic: senders need not hold the PV lock */

unsigned evtchn_newly_pending_count(void)
{
    return __atomic_load_n(&newly_pending, __ATOMIC_ACQUIRE);
}

/* Deliver on port, its lock held; the vCPU to kick once it is released. */
static struct pv_vcpu *deliver_locked(evtchn_port_t port)
{
    /* Masked or not: pollers watch masked ports. */
    if (port_ops->set_pending(port))
        __atomic_fetch_add(&newly_pending, 1, __ATOMIC_SEQ_CST);
    return evtchn_notify_vcpu(port);
}

/* It may be polling or blocked on a port, or running: it looks again. */
static void kick(struct pv_vcpu *v)
{
    pv_vcpu_kick(v);
}

void evtchn_set_pending(evtchn_port_t port)
{
    if (!evtchn_port_valid(port))
        return;
    port_lock(port);
    struct pv_vcpu *v = deliver_locked(port);
    port_unlock(port);
    kick(v);
}

/* With or without the PV lock (the timer's VIRQ comes from the timer
 * interrupt): the port read from virq_port is checked again under its lock. */
void evtchn_send_virq(unsigned virq)
{
    if (virq >= NR_VIRQS)
        return;
    unsigned v = virq_is_global(virq) ? 0 : current->vcpu_id;
    evtchn_port_t p = __atomic_load_n(&virq_port[v][virq], __ATOMIC_ACQUIRE);
    if (!p)
        return;
    port_lock(p);
    struct pv_vcpu *target = NULL;
    if (__atomic_load_n(&virq_port[v][virq], __ATOMIC_RELAXED) == p)
        target = deliver_locked(p);
    port_unlock(p);
    if (target)
        kick(target);
}

void evtchn_from_l0(evtchn_port_t port)
{
    if (evtchn_port_valid(port) && chans[port].state == ECS_REMOTE)
        evtchn_set_pending(port);
}

bool evtchn_any_pending(const evtchn_port_t *ports, unsigned n)
{
    for (unsigned i = 0; i < n; i++)
        if (evtchn_port_valid(ports[i]) && port_ops->is_pending(ports[i]))
            return true;
    return false;
}

evtchn_port_t evtchn_bind_backend(evtchn_backend_fn fn)
{
    evtchn_port_t p = alloc_port();
    if (p)
        bind_port(p, (struct channel){ .state = ECS_INTERDOMAIN, .remote_dom = BACKEND_DOMID,
                                       .backend = fn });
    return p;
}

evtchn_port_t evtchn_bind_backend_at(evtchn_port_t p, evtchn_backend_fn fn)
{
    if (!port_takeable(p))
        return evtchn_bind_backend(fn);
    bind_port(p, (struct channel){ .state = ECS_INTERDOMAIN, .remote_dom = BACKEND_DOMID,
                                   .backend = fn });
    return p;
}

int evtchn_backend_connect(evtchn_port_t port, evtchn_backend_fn fn)
{
    if (!evtchn_port_valid(port) || chans[port].state != ECS_UNBOUND ||
        chans[port].remote_dom != BACKEND_DOMID)
        return -XEN_EINVAL;
    set_channel(port, (struct channel){ .state = ECS_INTERDOMAIN, .remote_dom = BACKEND_DOMID,
                                        .backend = fn, .notify_vcpu = chans[port].notify_vcpu });
    return 0;
}

static bool backend_owns(evtchn_port_t port, evtchn_backend_fn fn)
{
    return evtchn_port_valid(port) && chans[port].state == ECS_INTERDOMAIN &&
           chans[port].backend == fn;
}

void evtchn_backend_disconnect(evtchn_port_t port, evtchn_backend_fn fn)
{
    /* As when a remote domain closes its end: the guest's end waits unbound. */
    if (backend_owns(port, fn))
        set_channel(port, (struct channel){ .state = ECS_UNBOUND, .remote_dom = BACKEND_DOMID,
                                            .notify_vcpu = chans[port].notify_vcpu });
}

void evtchn_backend_notify(evtchn_port_t port, evtchn_backend_fn fn)
{
    if (backend_owns(port, fn))
        evtchn_set_pending(port);
}

static bool domid_is_self(domid_t d)
{
    return d == DOMID_SELF || d == dom.domid;
}

/* A port L0 just gave the guest becomes its own, or is given back. */
static long take_remote(evtchn_port_t p)
{
    if (!port_takeable(p)) {
        fwd()->close(p);
        return -XEN_ENOSPC;
    }
    bind_port(p, (struct channel){ .state = ECS_REMOTE });
    return 0;
}

static long op_alloc_unbound(struct evtchn_alloc_unbound *a)
{
    if (!domid_is_self(a->dom))
        return -XEN_EPERM;
    if (fwd()) {
        release_closed();
        a->dom = DOMID_SELF;
        long rc = fwd()->alloc_unbound(a);
        return rc ? rc : take_remote(a->port);
    }
    evtchn_port_t p = alloc_port();
    if (!p)
        return -XEN_ENOSPC;
    bind_port(p, (struct channel){ .state = ECS_UNBOUND,
                                   .remote_dom = a->remote_dom == DOMID_SELF ? dom.domid
                                                                             : a->remote_dom });
    a->port = p;
    return 0;
}

static long op_bind_virq(struct evtchn_bind_virq *b)
{
    if (b->virq >= NR_VIRQS)
        return -XEN_EINVAL;
    if (virq_is_global(b->virq) && b->vcpu != 0)
        return -XEN_EINVAL;
    if (b->vcpu >= dom.nr_vcpus)
        return -XEN_ENOENT;
    if (virq_port[b->vcpu][b->virq])
        return -XEN_EEXIST;
    evtchn_port_t p = alloc_port();
    if (!p)
        return -XEN_ENOSPC;
    bind_port(p, (struct channel){ .state = ECS_VIRQ, .virq = (uint8_t)b->virq,
                                   .notify_vcpu = (uint8_t)b->vcpu });
    __atomic_store_n(&virq_port[b->vcpu][b->virq], p, __ATOMIC_RELEASE);
    b->port = p;
    return 0;
}

static long op_bind_ipi(struct evtchn_bind_ipi *b)
{
    if (b->vcpu >= dom.nr_vcpus)
        return -XEN_ENOENT;
    evtchn_port_t p = alloc_port();
    if (!p)
        return -XEN_ENOSPC;
    bind_port(p, (struct channel){ .state = ECS_IPI, .notify_vcpu = (uint8_t)b->vcpu });
    b->port = p;
    return 0;
}

static long op_bind_interdomain(struct evtchn_bind_interdomain *b)
{
    if (fwd()) {
        /* To itself only through a channel of L0's: the numbers L0 reserved
         * for pvshim's own ports are unbound there, but not the guest's. */
        if (domid_is_self(b->remote_dom) &&
            (!evtchn_port_valid(b->remote_port) || chans[b->remote_port].state != ECS_REMOTE))
            return -XEN_EINVAL;
        release_closed();
        long rc = fwd()->bind_interdomain(b);
        return rc ? rc : take_remote(b->local_port);
    }
    /* Only pvshim's backends are there to bind to, and they bind, not us. */
    if (domid_is_self(b->remote_dom)) {
        evtchn_port_t rp = b->remote_port;
        if (!evtchn_port_valid(rp) || chans[rp].state != ECS_UNBOUND ||
            chans[rp].remote_dom != dom.domid)
            return -XEN_EINVAL;
        evtchn_port_t p = alloc_port();
        if (!p)
            return -XEN_ENOSPC;
        /* A loopback pair: each end notifies the other. */
        bind_port(p, (struct channel){ .state = ECS_INTERDOMAIN, .remote_dom = dom.domid,
                                       .remote_port = rp });
        set_channel(rp, (struct channel){ .state = ECS_INTERDOMAIN, .remote_dom = dom.domid,
                                          .remote_port = p, .notify_vcpu = chans[rp].notify_vcpu });
        /* The peer may have sent before we bound: the new port starts pending. */
        evtchn_set_pending(p);
        b->local_port = p;
        return 0;
    }
    return -XEN_ESRCH;
}

static long close_port(evtchn_port_t p)
{
    if (!evtchn_port_valid(p) || chans[p].state == ECS_FREE || chans[p].state == ECS_CLOSING)
        return -XEN_EINVAL;
    if (chans[p].state == ECS_RESERVED)
        return -XEN_EINVAL;
    /* The other end of a loopback pair is left unbound, waiting for a new peer. */
    if (chans[p].state == ECS_INTERDOMAIN && !chans[p].backend) {
        evtchn_port_t rp = chans[p].remote_port;
        if (evtchn_port_valid(rp) && chans[rp].state == ECS_INTERDOMAIN &&
            chans[rp].remote_port == p)
            set_channel(rp, (struct channel){ .state = ECS_UNBOUND, .remote_dom = dom.domid,
                                              .notify_vcpu = chans[rp].notify_vcpu });
    }
    /* Senders in flight on p finish first; later ones find it closed. */
    port_lock(p);
    if (chans[p].state == ECS_VIRQ)
        __atomic_store_n(&virq_port[chans[p].notify_vcpu][chans[p].virq], 0, __ATOMIC_RELAXED);
    memset(&chans[p], 0, sizeof(chans[p]));
    port_ops->clear_pending(p);
    /* L0's end (or the number it reserved) goes too; a port still on a
     * FIFO queue keeps it (L0 events on it are dropped) until it leaves the
     * queue, so L0 cannot hand the number out meanwhile. */
    bool closing = fwd() && port_ops->is_busy(p);
    if (closing)
        chans[p].state = ECS_CLOSING;
    port_unlock(p);
    if (fwd() && !closing)
        fwd()->close(p);
    return 0;
}

static long send_locked(evtchn_port_t p);

/*
 * EVTCHNOP_send runs without the PV lock (hypercall_defs.h): an IPI is
 * delivered and an unbound port drops the event under the port's lock;
 * the other kinds reach backends or L0 and take the PV lock.
 */
static long op_send(evtchn_port_t p)
{
    if (!evtchn_port_valid(p))
        return -XEN_EINVAL;
    port_lock(p);
    uint8_t state = chans[p].state;
    struct pv_vcpu *target = state == ECS_IPI ? deliver_locked(p) : NULL;
    port_unlock(p);
    switch (state) {
    case ECS_IPI:
        kick(target);
        return 0;
    case ECS_UNBOUND:
        return 0;   /* nobody listens yet: dropped, as on Xen */
    case ECS_INTERDOMAIN:
    case ECS_REMOTE:
        pv_entry_lock(PV_SITE_HYPERCALL + __HYPERVISOR_event_channel_op);
        return send_locked(p);
    default:
        return -XEN_EINVAL;
    }
}

/* The same with the PV lock held: the binding may have changed since. */
static long send_locked(evtchn_port_t p)
{
    switch (chans[p].state) {
    case ECS_INTERDOMAIN:
        if (chans[p].backend)
            chans[p].backend(p);
        else
            evtchn_set_pending(chans[p].remote_port);
        return 0;
    case ECS_IPI:
        evtchn_set_pending(p);
        return 0;
    case ECS_UNBOUND:
        return 0;   /* nobody listens yet: dropped, as on Xen */
    case ECS_REMOTE:
        return fwd()->send(p);
    default:
        return -XEN_EINVAL;
    }
}

static long op_status(struct evtchn_status *st)
{
    if (!domid_is_self(st->dom))
        return -XEN_ESRCH;
    if (!evtchn_port_valid(st->port))
        return -XEN_EINVAL;
    const struct channel *c = &chans[st->port];
    if (c->state == ECS_REMOTE) {
        st->dom = DOMID_SELF;
        return fwd()->status(st);
    }
    st->vcpu = c->notify_vcpu;
    switch (c->state) {
    case ECS_FREE:
    case ECS_RESERVED:
    case ECS_CLOSING:
        st->status = EVTCHNSTAT_closed;
        break;
    case ECS_UNBOUND:
        st->status = EVTCHNSTAT_unbound;
        st->u.unbound.dom = c->remote_dom;
        break;
    case ECS_INTERDOMAIN:
        st->status = EVTCHNSTAT_interdomain;
        st->u.interdomain.dom = c->remote_dom;
        st->u.interdomain.port = c->backend ? 0 : c->remote_port;
        break;
    case ECS_VIRQ:
        st->status = EVTCHNSTAT_virq;
        st->u.virq = c->virq;
        break;
    case ECS_IPI:
        st->status = EVTCHNSTAT_ipi;
        break;
    case ECS_REMOTE:
        break;
    }
    return 0;
}

/* Runs without the PV lock (hypercall_defs.h), under the port's. */
static long op_unmask(evtchn_port_t p)
{
    if (!evtchn_port_valid(p))
        return -XEN_EINVAL;
    port_lock(p);
    port_ops->unmask(p);
    struct pv_vcpu *v = evtchn_notify_vcpu(p);
    port_unlock(p);
    kick(v);
    return 0;
}

static long op_set_priority(struct evtchn_set_priority *sp)
{
    if (!evtchn_port_valid(sp->port))
        return -XEN_EINVAL;
    if (!port_ops->set_priority)
        return -XEN_ENOSYS;
    port_lock(sp->port);
    long rc = port_ops->set_priority(sp->port, sp->priority);
    port_unlock(sp->port);
    return rc;
}

/* The switch to FIFO carries what is pending over: no sender meanwhile. */
static long op_init_control(struct evtchn_init_control *ic)
{
    lock_all_ports();
    long rc = evtchn_fifo_init_control(ic);
    if (rc == 0)
        port_ops = &evtchn_fifo_ops;   /* every port, from now on */
    unlock_all_ports();
    return rc;
}

/* New event words, and events raised while they were missing: no sender meanwhile. */
static long op_expand_array(struct evtchn_expand_array *ea)
{
    lock_all_ports();
    long rc = evtchn_fifo_expand_array(ea);
    unlock_all_ports();
    return rc;
}

/* As on Xen: unbound, interdomain and global-VIRQ ports move; IPIs and
 * per-vCPU VIRQs belong to their vCPU (-EINVAL), as do closed ports. */
static long op_bind_vcpu(struct evtchn_bind_vcpu *b)
{
    if (b->vcpu >= dom.nr_vcpus)
        return -XEN_ENOENT;
    if (!evtchn_port_valid(b->port))
        return -XEN_EINVAL;
    struct channel *c = &chans[b->port];
    switch (c->state) {
    case ECS_VIRQ:
        if (!virq_is_global(c->virq))
            return -XEN_EINVAL;
        /* fall through */
    case ECS_UNBOUND:
    case ECS_INTERDOMAIN:
    case ECS_REMOTE:
        port_lock(b->port);
        c->notify_vcpu = (uint8_t)b->vcpu;
        port_unlock(b->port);
        return 0;
    default:
        return -XEN_EINVAL;
    }
}

static long op_reset(struct evtchn_reset *r)
{
    if (!domid_is_self(r->dom))
        return -XEN_EPERM;
    for (evtchn_port_t p = 1; p < EVTCHN_PORTS; p++)
        if (chans[p].state != ECS_INTERDOMAIN && chans[p].state != ECS_FREE)
            close_port(p);
    /* Back to the 2-level ABI of the guest's width, as Xen does once the ports are closed. */
    if (port_ops == &evtchn_fifo_ops) {
        lock_all_ports();
        evtchn_fifo_destroy();
        port_ops = l2_ops_for_guest();
        unlock_all_ports();
    }
    if (fwd())
        release_closed();
    return 0;
}

/* Copy the argument in, run op, copy it back when the op has results. */
#define WITH_ARG(type, fn, writeback) do {                          \
        type a_;                                                    \
        if (copy_from_guest(&a_, arg, sizeof(a_)))                  \
            return -XEN_EFAULT;                                     \
        long rc_ = fn(&a_);                                         \
        if (rc_ == 0 && (writeback) && copy_to_guest(arg, &a_, sizeof(a_))) \
            return -XEN_EFAULT;                                     \
        return rc_;                                                 \
    } while (0)

long do_event_channel_op(int cmd, vaddr_t arg)
{
    switch (cmd) {
    case EVTCHNOP_alloc_unbound:
        WITH_ARG(struct evtchn_alloc_unbound, op_alloc_unbound, true);
    case EVTCHNOP_bind_virq:
        WITH_ARG(struct evtchn_bind_virq, op_bind_virq, true);
    case EVTCHNOP_bind_ipi:
        WITH_ARG(struct evtchn_bind_ipi, op_bind_ipi, true);
    case EVTCHNOP_bind_interdomain:
        WITH_ARG(struct evtchn_bind_interdomain, op_bind_interdomain, true);
    case EVTCHNOP_status:
        WITH_ARG(struct evtchn_status, op_status, true);
    case EVTCHNOP_bind_vcpu:
        WITH_ARG(struct evtchn_bind_vcpu, op_bind_vcpu, false);
    case EVTCHNOP_reset:
        WITH_ARG(struct evtchn_reset, op_reset, false);
    case EVTCHNOP_init_control:
        WITH_ARG(struct evtchn_init_control, op_init_control, true);
    case EVTCHNOP_expand_array:
        WITH_ARG(struct evtchn_expand_array, op_expand_array, false);
    case EVTCHNOP_set_priority:
        WITH_ARG(struct evtchn_set_priority, op_set_priority, false);
    case EVTCHNOP_close: {
        struct evtchn_close c;
        if (copy_from_guest(&c, arg, sizeof(c)))
            return -XEN_EFAULT;
        return close_port(c.port);
    }
    case EVTCHNOP_send: {
        struct evtchn_send s;
        if (copy_from_guest(&s, arg, sizeof(s)))
            return -XEN_EFAULT;
        return op_send(s.port);
    }
    case EVTCHNOP_unmask: {
        struct evtchn_unmask u;
        if (copy_from_guest(&u, arg, sizeof(u)))
            return -XEN_EFAULT;
        return op_unmask(u.port);
    }
    case EVTCHNOP_bind_pirq:
        return -XEN_EPERM;      /* a domU has no physical IRQs */
    default:
        return -XEN_ENOSYS;
    }
}

/*
 * The old single-argument form: struct evtchn_op { cmd; union u; }. As on
 * Xen it carries only the operations its union has; later ones (reset and
 * the FIFO ABI) exist only in the two-argument hypercall.
 */
long do_event_channel_op_compat(vaddr_t uop)
{
    struct evtchn_op op;
    if (copy_from_guest(&op, uop, sizeof(op)))
        return -XEN_EFAULT;
    switch (op.cmd) {
    case EVTCHNOP_bind_interdomain:
    case EVTCHNOP_bind_virq:
    case EVTCHNOP_bind_pirq:
    case EVTCHNOP_close:
    case EVTCHNOP_send:
    case EVTCHNOP_status:
    case EVTCHNOP_alloc_unbound:
    case EVTCHNOP_bind_ipi:
    case EVTCHNOP_bind_vcpu:
    case EVTCHNOP_unmask:
        return do_event_channel_op((int)op.cmd, uop + offsetof(struct evtchn_op, u));
    default:
        return -XEN_ENOSYS;
    }
}
