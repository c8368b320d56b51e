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
#include "store_target.h"

#define POLL_NS (5 * 1000 * 1000ull)

/* Global: one guest store, one L0 store; run with interrupts off. */
static struct {
    struct xenstore_domain_interface *guest, *l0;
    evtchn_port_t guest_port, l0_port;
    struct soft_timer poll;
    struct xs_target target;        /* the guest's balloon target (store_target.h) */
    /* A reply from L0, read whole before it goes on (it may be rewritten). */
    char reply[sizeof(struct xsd_sockmsg) + XENSTORE_PAYLOAD_MAX];
    uint32_t reply_have;            /* bytes read from L0's ring */
    uint32_t reply_len;             /* bytes to pass on, 0 while reading */
    uint32_t reply_out;             /* bytes passed on */
} rs;

/* Requests, guest to L0, byte for byte (each seen by the target logic); true if any moved. */
static bool move(const char *src, XENSTORE_RING_IDX *src_cons, XENSTORE_RING_IDX src_prod,
                 char *dst, XENSTORE_RING_IDX *dst_prod, XENSTORE_RING_IDX dst_cons)
{
    XENSTORE_RING_IDX sc = *src_cons, dp = *dst_prod;
    bool moved = false;
    while (sc != src_prod && dp - dst_cons < XENSTORE_RING_SIZE) {
        char c = src[MASK_XENSTORE_IDX(sc)];
        dst[MASK_XENSTORE_IDX(dp)] = c;
        xs_target_request_byte(&rs.target, c);
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

/*
 * Replies and watch events, L0 to guest, one message at a time: read whole
 * from L0's ring, rewritten if it answers a target read, then passed on as
 * the guest's ring has room. True if any byte moved.
 */
static bool move_replies(void)
{
    struct xenstore_domain_interface *g = rs.guest, *l = rs.l0;
    const uint32_t hdr = sizeof(struct xsd_sockmsg);
    bool moved = false;
    for (;;) {
        if (rs.reply_len) {
            XENSTORE_RING_IDX gp = g->rsp_prod;
            XENSTORE_RING_IDX gc = __atomic_load_n(&g->rsp_cons, __ATOMIC_ACQUIRE);
            while (rs.reply_out < rs.reply_len && gp - gc < XENSTORE_RING_SIZE) {
                g->rsp[MASK_XENSTORE_IDX(gp)] = rs.reply[rs.reply_out++];
                gp++;
                moved = true;
            }
            __atomic_store_n(&g->rsp_prod, gp, __ATOMIC_RELEASE);
            if (rs.reply_out < rs.reply_len)
                return moved;
            rs.reply_len = rs.reply_out = rs.reply_have = 0;
        }
        uint32_t need = hdr;
        if (rs.reply_have >= hdr) {
            uint32_t body = ((struct xsd_sockmsg *)rs.reply)->len;
            /* Longer than xenstored ever sends: passed on as far as it fits. */
            need = hdr + (body > XENSTORE_PAYLOAD_MAX ? XENSTORE_PAYLOAD_MAX : body);
        }
        XENSTORE_RING_IDX lc = l->rsp_cons;
        XENSTORE_RING_IDX lp = __atomic_load_n(&l->rsp_prod, __ATOMIC_ACQUIRE);
        while (rs.reply_have < need && lc != lp) {
            rs.reply[rs.reply_have++] = l->rsp[MASK_XENSTORE_IDX(lc)];
            lc++;
            moved = true;
        }
        __atomic_store_n(&l->rsp_cons, lc, __ATOMIC_RELEASE);
        if (rs.reply_have < need)
            return moved;
        if (need == hdr && ((struct xsd_sockmsg *)rs.reply)->len)
            continue;                   /* the header is in: now its body */
        rs.reply_len = xs_target_reply(&rs.target, rs.reply);
        if (rs.reply_len > rs.reply_have)
            rs.reply_len = rs.reply_have;
    }
}

static void pump(void)
{
    struct xenstore_domain_interface *g = rs.guest, *l = rs.l0;
    bool req = move(g->req, &g->req_cons, __atomic_load_n(&g->req_prod, __ATOMIC_ACQUIRE),
                    l->req, &l->req_prod, __atomic_load_n(&l->req_cons, __ATOMIC_ACQUIRE));
    bool rsp = move_replies();
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

bool l0_store_reconnect(domid_t domid)
{
    uint64_t port = 0;
    if (!rs.l0 || l0_hvm_get_param(HVM_PARAM_STORE_EVTCHN, &port) || !port)
        return false;
    rs.l0_port = (evtchn_port_t)port;
    rs.target.domid = domid;
    log_info("l0: xenstore: L0 port %u, domain %u", rs.l0_port, domid);
    return true;
}

evtchn_port_t l0_store_bind(void)
{
    /* L0's number for the channel, as the guest would hold under xen-shim. */
    rs.guest_port = evtchn_bind_backend_at(rs.l0_port, guest_notified);
    return rs.guest_port;
}

void l0_store_attach(mfn_t ring_mfn, domid_t domid, uint64_t offset_kib)
{
    xs_target_init(&rs.target, domid, offset_kib);
    log_info("l0: the guest's memory/target reads as xl's less %llu KiB (pvshim's share)",
             (unsigned long long)offset_kib);
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
