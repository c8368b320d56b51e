/*
 * The guest's xenstore, on a Xen host: the guest keeps its own store page
 * and event channel (pvshim's), and pvshim copies its requests into L0's
 * store ring (HVM_PARAM_STORE_PFN) and L0's replies and watch events back.
 * The guest thus talks to dom0's xenstored as the domain xl created: `xl
 * shutdown` reaches it through control/shutdown. L0 sends no upcall that
 * pvshim takes, so L0's side is polled.
 */
#include <pvshim/l0.h>
#include <pvshim/log.h>
#include <pvshim/phys.h>
#include <pvshim/soft_timer.h>
#include <pvshim/time.h>
#include <pvshim/xen_abi.h>
#include <xen/hvm/params.h>
#include <xen/io/xs_wire.h>
#include "event_channel.h"
#include "l0_internal.h"

#define POLL_NS (5 * 1000 * 1000ull)

/* Global: one guest store, one L0 store; run with interrupts off. */
static struct {
    struct xenstore_domain_interface *guest, *l0;
    evtchn_port_t guest_port, l0_port;
    struct soft_timer poll;
} rs;

/* Bytes from one ring to the other; true if any moved. */
static bool move(const char *src, XENSTORE_RING_IDX *src_cons, XENSTORE_RING_IDX src_prod,
                 char *dst, XENSTORE_RING_IDX *dst_prod, XENSTORE_RING_IDX dst_cons)
{
    XENSTORE_RING_IDX sc = *src_cons, dp = *dst_prod;
    bool moved = false;
    while (sc != src_prod && dp - dst_cons < XENSTORE_RING_SIZE) {
        dst[MASK_XENSTORE_IDX(dp)] = src[MASK_XENSTORE_IDX(sc)];
        sc++;
        dp++;
        moved = true;
    }
    if (moved) {
        __atomic_store_n(dst_prod, dp, __ATOMIC_RELEASE);
        __atomic_store_n(src_cons, sc, __ATOMIC_RELEASE);
    }
    return moved;
}

static void pump(void)
{
    struct xenstore_domain_interface *g = rs.guest, *l = rs.l0;
    bool req = move(g->req, &g->req_cons, __atomic_load_n(&g->req_prod, __ATOMIC_ACQUIRE),
                    l->req, &l->req_prod, __atomic_load_n(&l->req_cons, __ATOMIC_ACQUIRE));
    bool rsp = move(l->rsp, &l->rsp_cons, __atomic_load_n(&l->rsp_prod, __ATOMIC_ACQUIRE),
                    g->rsp, &g->rsp_prod, __atomic_load_n(&g->rsp_cons, __ATOMIC_ACQUIRE));
    if (req || rsp) {
        l0_notify(rs.l0_port);
        evtchn_set_pending(rs.guest_port);
    }
}

void l0_store_kick(void)
{
    if (rs.guest && rs.l0)
        pump();
}

evtchn_port_t l0_store_port(void)
{
    return rs.l0 ? rs.l0_port : 0;
}

static void guest_notified(evtchn_port_t p)
{
    (void)p;
    pump();
}

static void poll_fired(struct soft_timer *t, uint64_t now)
{
    pump();
    soft_timer_arm(t, now + POLL_NS);
}

bool l0_store_available(void)
{
    uint64_t pfn = 0, port = 0;
    if (!l0_active() || l0_hvm_get_param(HVM_PARAM_STORE_PFN, &pfn) ||
        l0_hvm_get_param(HVM_PARAM_STORE_EVTCHN, &port) || !pfn || !port)
        return false;
    if (!rs.l0) {
        rs.l0 = l0_map(pfn, L0_SLOT_STORE);
        rs.l0_port = (evtchn_port_t)port;
        if (rs.l0) {
            log_info("l0: xenstore ring at pfn %#llx, L0 port %u", (unsigned long long)pfn,
                     rs.l0_port);
            l0_events_watch_store();
        }
    }
    return rs.l0 != NULL;
}

evtchn_port_t l0_store_bind(void)
{
    rs.guest_port = evtchn_bind_backend(guest_notified);
    return rs.guest_port;
}

void l0_store_attach(mfn_t ring_mfn)
{
    rs.guest = phys_access_frame(ring_mfn);
    if (!rs.guest || !rs.l0) {
        log_warn("l0: xenstore relay could not start; the guest will find no store");
        return;
    }
    rs.guest->server_features = rs.l0->server_features;
    rs.guest->connection = XENSTORE_CONNECTED;
    rs.poll.fire = poll_fired;
    soft_timer_arm(&rs.poll, now_ns() + POLL_NS);
}
