/*
 * netif ring service (see netback.h). Indices are free running; slot i of
 * a ring is i & (NETBACK_RING_SIZE - 1). Only req_event, rsp_prod and the
 * response slots are ever written to the shared pages.
 */
#include "netback.h"
#include "net_csum.h"
#include <pvshim/log.h>
#include <pvshim/string.h>
#include <pvshim/compiler.h>

#define BAD_LOG_MAX 20      /* log lines per connection for a misbehaving frontend */

static void full_barrier(void)
{
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
}

/* The header declares ring[1]: index past it by pointer, not by subscript. */
static const union netif_tx_sring_entry *tx_entry(const netif_tx_sring_t *s, RING_IDX i)
{
    return (const union netif_tx_sring_entry *)(const void *)s->ring +
           (i & (NETBACK_RING_SIZE - 1));
}

static union netif_rx_sring_entry *rx_entry(netif_rx_sring_t *s, RING_IDX i)
{
    return (union netif_rx_sring_entry *)(void *)s->ring + (i & (NETBACK_RING_SIZE - 1));
}

static unsigned refuse(struct netback_tx_pkt *p, const char *why)
{
    p->error = why;
    return p->nr_ring;
}

unsigned netback_tx_parse(const netif_tx_sring_t *s, RING_IDX cons, RING_IDX prod,
                          const struct netback_features *feat, struct netback_tx_pkt *p)
{
    RING_IDX avail = prod - cons;
    if (avail > NETBACK_RING_SIZE)
        avail = NETBACK_RING_SIZE;  /* never more in a ring; bounds kind[] and id[] */
    p->nr_slots = 0;
    p->nr_ring = 0;
    p->has_gso = false;
    p->error = NULL;
    p->first_len = p->total = 0;
    if (avail == 0)
        return 0;
    netif_tx_request_t r;
    memcpy(&r, &tx_entry(s, cons)->req, sizeof(r));
    p->slot[p->nr_slots++] = r;
    p->kind[p->nr_ring] = 0;
    p->id[p->nr_ring++] = r.id;
    uint16_t flags = r.flags;
    const char *err = NULL;     /* the first rule broken; the chain is walked to its end */

    for (bool more = flags & NETTXF_extra_info; more;) {
        if (p->nr_ring == avail)
            return 0;
        netif_extra_info_t e;
        memcpy(&e, &tx_entry(s, cons + p->nr_ring)->req, sizeof(e));
        p->kind[p->nr_ring] = 1;
        p->id[p->nr_ring++] = 0;
        more = e.flags & XEN_NETIF_EXTRA_FLAG_MORE;
        if (p->nr_ring - 1 > NETBACK_MAX_EXTRAS) {
            err = err ? err : "too many extra-info slots";
            continue;
        }
        switch (e.type) {
        case XEN_NETIF_EXTRA_TYPE_GSO:
            if (p->has_gso)
                err = err ? err : "two GSO extra-info slots";
            p->gso = e;
            p->has_gso = true;
            break;
        case XEN_NETIF_EXTRA_TYPE_MCAST_ADD:
        case XEN_NETIF_EXTRA_TYPE_MCAST_DEL:
        case XEN_NETIF_EXTRA_TYPE_HASH:
            break;      /* hints for features not offered: ignored, as Linux does */
        default:
            err = err ? err : "unknown extra-info type";
            break;
        }
    }

    while (flags & NETTXF_more_data) {
        if (p->nr_ring == avail)
            return 0;
        memcpy(&r, &tx_entry(s, cons + p->nr_ring)->req, sizeof(r));
        p->kind[p->nr_ring] = 0;
        p->id[p->nr_ring++] = r.id;
        flags = r.flags;
        if (p->nr_slots == NETBACK_MAX_SLOTS)
            err = err ? err : "more data slots than XEN_NETIF_NR_SLOTS_MIN";
        else
            p->slot[p->nr_slots++] = r;
    }
    if (err)
        return refuse(p, err);

    /* The whole packet is here: now its rules. */
    if (p->nr_slots > 1 && !feat->sg)
        return refuse(p, "a multi-slot packet without feature-sg");
    p->total = p->slot[0].size;
    if (p->total < NETDEV_ETH_HLEN)
        return refuse(p, "shorter than an Ethernet header");
    uint32_t rest = 0;
    for (unsigned i = 1; i < p->nr_slots; i++) {
        const netif_tx_request_t *q = &p->slot[i];
        if ((uint32_t)q->offset + q->size > PAGE_SIZE)
            return refuse(p, "a slot's data crosses its page");
        rest += q->size;
    }
    if (rest > p->total)
        return refuse(p, "slots hold more than the packet's size");
    p->first_len = p->total - rest;
    if ((uint32_t)p->slot[0].offset + p->first_len > PAGE_SIZE)
        return refuse(p, "a slot's data crosses its page");
    if (p->has_gso) {
        uint8_t t = p->gso.u.gso.type;
        if (p->gso.u.gso.size == 0 ||
            !((t == XEN_NETIF_GSO_TYPE_TCPV4 && feat->gso_tcpv4) ||
              (t == XEN_NETIF_GSO_TYPE_TCPV6 && feat->gso_tcpv6)))
            return refuse(p, "a GSO kind that was not offered");
        if (!(p->slot[0].flags & NETTXF_csum_blank))
            return refuse(p, "a GSO packet without a partial checksum");
    }
    return p->nr_ring;
}

static void bad(struct netback *nb, const char *what, unsigned long long a, const char *why)
{
    uint64_t n = nb->stats.tx_errors + nb->stats.rx_errors;
    if (n <= BAD_LOG_MAX)
        log_warn("%s: %s %llu refused: %s%s", nb->name, what, a, why,
                 n == BAD_LOG_MAX ? " (further refusals not logged)" : "");
}

void netback_connect(struct netback *nb, void *tx_page, void *rx_page)
{
    nb->tx = tx_page;
    nb->rx = rx_page;
    nb->broken = false;
    nb->kick = false;
    nb->gso_active = false;
    /* A frontend reconnecting may have left its old indices: start from them. */
    nb->tx_rsp_prod = __atomic_load_n(&nb->tx->rsp_prod, __ATOMIC_ACQUIRE);
    nb->tx_req_cons = nb->tx_rsp_published = nb->tx_rsp_prod;
    nb->rx_rsp_prod = __atomic_load_n(&nb->rx->rsp_prod, __ATOMIC_ACQUIRE);
    nb->rx_req_cons = nb->rx_rsp_published = nb->rx_rsp_prod;
}

void netback_disconnect(struct netback *nb)
{
    nb->tx = NULL;
    nb->rx = NULL;
}

/* Publish responses up to prod; note a kick if the frontend asked for one. */
static void push(struct netback *nb, RING_IDX *published, RING_IDX prod,
                 RING_IDX *shared_prod, RING_IDX *shared_event)
{
    RING_IDX old = *published;
    if (old == prod)
        return;
    *published = prod;
    __atomic_store_n(shared_prod, prod, __ATOMIC_RELEASE);
    full_barrier();
    RING_IDX event = __atomic_load_n(shared_event, __ATOMIC_ACQUIRE);
    if ((RING_IDX)(prod - event) < (RING_IDX)(prod - old))
        nb->kick = true;
}

static bool overrun(struct netback *nb, const char *ring, RING_IDX prod, RING_IDX rsp)
{
    if ((RING_IDX)(prod - rsp) <= NETBACK_RING_SIZE)
        return false;
    log_warn("%s: frontend's %s request producer %u is more than a ring ahead of %u: "
             "rings no longer served", nb->name, ring, prod, rsp);
    nb->broken = true;
    return true;
}

/* Copy one granted slot's bytes to dst: 0, or -1 if the grant is refused. */
static int copy_from_guest(struct netback *nb, grant_ref_t ref, uint32_t offset,
                           uint32_t len, uint8_t *dst)
{
    mfn_t f;
    if (nb->grants->acquire(nb->grants_ctx, ref, false, &f))
        return -1;
    const uint8_t *page = nb->grants->frame_ptr(nb->grants_ctx, f);
    if (page)
        memcpy(dst, page + offset, len);
    nb->grants->release(nb->grants_ctx, ref, false, f);
    return page ? 0 : -1;
}

/* A GSO packet the device cannot take as one: cut into segments here. */
static bool soft_gso(const struct netback *nb, const struct netback_tx_pkt *p)
{
    if (p->error || !p->has_gso || !nb->gso_buf)
        return false;
    return p->gso.u.gso.type == XEN_NETIF_GSO_TYPE_TCPV6 ? !nb->dev->has_tso6
                                                         : !nb->dev->has_tso4;
}

/* Send what is left of the packet being cut: false while the device has no buffer. */
static bool gso_drain(struct netback *nb)
{
    const struct net_gso *g = &nb->gso;
    bool dev_csum = nb->dev->has_csum;
    while (nb->gso_next < g->nr_segs) {
        uint32_t len = net_gso_seg_len(g, nb->gso_next);
        uint8_t *buf = nb->dev->tx_buffer(nb->dev, len);
        if (!buf)
            return false;
        net_gso_segment(g, nb->gso_next, buf, !dev_csum);
        struct netdev_meta m = { 0 };
        if (dev_csum) {
            m.flags = NETDEV_F_NEEDS_CSUM;
            m.csum_start = g->loc.start;
            m.csum_offset = g->loc.offset;
        }
        nb->dev->tx_send(nb->dev, len, &m);
        nb->gso_next++;
        nb->stats.tx_segments++;
    }
    nb->gso_active = false;
    return true;
}

/* Build the packet p into buf and give it to the device: its slots' status. */
static int16_t send_packet(struct netback *nb, const struct netback_tx_pkt *p, uint8_t *buf)
{
    if (p->error) {
        bad(nb, "tx request", p->id[0], p->error);
        return NETIF_RSP_ERROR;
    }
    uint32_t at = 0;
    for (unsigned i = 0; i < p->nr_slots; i++) {
        const netif_tx_request_t *q = &p->slot[i];
        uint32_t len = i == 0 ? p->first_len : q->size;
        if (copy_from_guest(nb, q->gref, q->offset, len, buf + at)) {
            bad(nb, "tx grant", q->gref, "not granted for reading");
            return NETIF_RSP_ERROR;
        }
        at += len;
    }
    struct netdev_meta m = { 0 };
    if (p->slot[0].flags & NETTXF_csum_blank) {
        struct net_csum_loc loc;
        if (!net_csum_locate(buf, p->total, &loc)) {
            bad(nb, "tx request", p->id[0], "a partial checksum outside TCP or UDP");
            return NETIF_RSP_ERROR;
        }
        if (p->has_gso) {
            bool v6 = p->gso.u.gso.type == XEN_NETIF_GSO_TYPE_TCPV6;
            if (loc.proto != 6 || loc.ipv6 != v6) {
                bad(nb, "tx request", p->id[0], "a GSO packet of another protocol");
                return NETIF_RSP_ERROR;
            }
            if (soft_gso(nb, p)) {
                /* buf is gso_buf: the segments go from there. */
                net_gso_init(&nb->gso, buf, p->total, p->gso.u.gso.size, v6);
                nb->gso_next = 0;
                nb->gso_active = true;
                nb->stats.tx_packets++;
                nb->stats.tx_bytes += p->total;
                gso_drain(nb);
                return NETIF_RSP_OKAY;
            }
            m.gso_type = v6 ? NETDEV_GSO_TCPV6 : NETDEV_GSO_TCPV4;
            m.gso_size = p->gso.u.gso.size;
            m.hdr_len = loc.hdr_len;
        }
        if (nb->dev->has_csum) {
            m.flags = NETDEV_F_NEEDS_CSUM;
            m.csum_start = loc.start;
            m.csum_offset = loc.offset;
        } else {
            net_csum_fill(buf, p->total, &loc);
        }
    }
    nb->dev->tx_send(nb->dev, p->total, &m);
    nb->stats.tx_packets++;
    nb->stats.tx_bytes += p->total;
    return NETIF_RSP_OKAY;
}

static void respond_tx(struct netback *nb, const struct netback_tx_pkt *p, int16_t status)
{
    for (unsigned i = 0; i < p->nr_ring; i++) {
        netif_tx_response_t *r =
            &((union netif_tx_sring_entry *)(void *)nb->tx->ring +
              (nb->tx_rsp_prod & (NETBACK_RING_SIZE - 1)))->rsp;
        r->id = p->id[i];
        r->status = p->kind[i] ? NETIF_RSP_NULL : status;
        nb->tx_rsp_prod++;
    }
    if (status != NETIF_RSP_OKAY)
        nb->stats.tx_errors++;
}

static void service_tx(struct netback *nb)
{
    netif_tx_sring_t *s = nb->tx;
    for (;;) {
        RING_IDX prod = __atomic_load_n(&s->req_prod, __ATOMIC_ACQUIRE);
        if (overrun(nb, "tx", prod, nb->tx_rsp_prod))
            return;
        /* No device buffer (on_event brings us back): requests wait on the ring. */
        bool device_full = nb->gso_active && !gso_drain(nb);
        while (!device_full && nb->tx_req_cons != prod) {
            unsigned n = netback_tx_parse(s, nb->tx_req_cons, prod, &nb->feat, &nb->pkt);
            if (n == 0)
                break;                  /* the rest of the packet is not posted yet */
            uint8_t *buf = NULL;
            if (soft_gso(nb, &nb->pkt))
                buf = nb->gso_buf;
            else if (!nb->pkt.error)
                buf = nb->dev->tx_buffer(nb->dev, nb->pkt.total);
            if (!buf && !nb->pkt.error) {
                device_full = true;
                break;
            }
            nb->tx_req_cons += n;
            respond_tx(nb, &nb->pkt, send_packet(nb, &nb->pkt, buf));
            if (nb->gso_active) {
                device_full = true;     /* segments still to go: gso_buf is taken */
                break;
            }
        }
        nb->dev->tx_flush(nb->dev);
        push(nb, &nb->tx_rsp_published, nb->tx_rsp_prod, &s->rsp_prod, &s->rsp_event);
        if (device_full)
            return;
        /* Ask for a kick on the next request, then look once more (FINAL_CHECK). */
        __atomic_store_n(&s->req_event, prod + 1, __ATOMIC_RELEASE);
        full_barrier();
        if (__atomic_load_n(&s->req_prod, __ATOMIC_ACQUIRE) == prod)
            return;
    }
}

static void service_rx(struct netback *nb)
{
    netif_rx_sring_t *s = nb->rx;
    const uint8_t *data;
    uint32_t len;
    struct netdev_meta m;
    while (nb->dev->rx_peek(nb->dev, &data, &len, &m)) {
        if (len > PAGE_SIZE) {
            nb->stats.rx_errors++;
            bad(nb, "received frame of length", len, "larger than one rx buffer; dropped");
            nb->dev->rx_pop(nb->dev);
            continue;
        }
        RING_IDX prod = __atomic_load_n(&s->req_prod, __ATOMIC_ACQUIRE);
        if (overrun(nb, "rx", prod, nb->rx_rsp_prod))
            return;
        if (nb->rx_req_cons == prod) {
            /* No buffer posted: the frame waits; ask for a kick when one is. */
            __atomic_store_n(&s->req_event, prod + 1, __ATOMIC_RELEASE);
            full_barrier();
            if (__atomic_load_n(&s->req_prod, __ATOMIC_ACQUIRE) == prod)
                break;
            continue;
        }
        netif_rx_request_t q;
        memcpy(&q, &rx_entry(s, nb->rx_req_cons)->req, sizeof(q));
        nb->rx_req_cons++;
        int16_t status = NETIF_RSP_ERROR;
        uint16_t flags = 0;
        mfn_t f;
        if (nb->grants->acquire(nb->grants_ctx, q.gref, true, &f) == 0) {
            uint8_t *page = nb->grants->frame_ptr(nb->grants_ctx, f);
            if (page) {
                memcpy(page, data, len);
                status = (int16_t)len;
            }
            nb->grants->release(nb->grants_ctx, q.gref, true, f);
        }
        if (status < 0) {
            nb->stats.rx_errors++;
            bad(nb, "rx grant", q.gref, "not granted for writing; frame dropped");
        } else {
            nb->stats.rx_packets++;
            nb->stats.rx_bytes += len;
            if (m.flags & NETDEV_F_NEEDS_CSUM)
                flags = NETRXF_csum_blank | NETRXF_data_validated;
            else if (m.flags & NETDEV_F_DATA_VALID)
                flags = NETRXF_data_validated;
        }
        netif_rx_response_t *r = &rx_entry(s, nb->rx_rsp_prod)->rsp;
        r->id = q.id;
        r->offset = 0;
        r->flags = flags;
        r->status = status;
        nb->rx_rsp_prod++;
        nb->dev->rx_pop(nb->dev);
    }
    push(nb, &nb->rx_rsp_published, nb->rx_rsp_prod, &s->rsp_prod, &s->rsp_event);
}

void netback_service(struct netback *nb)
{
    if (!nb->tx || !nb->rx || nb->broken)
        return;
    nb->stats.services++;
    service_tx(nb);
    if (!nb->broken)
        service_rx(nb);
    if (nb->kick && nb->notify) {
        nb->kick = false;
        nb->stats.notifies++;
        nb->notify(nb->notify_arg);
    }
}
