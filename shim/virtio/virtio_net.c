/*
 * virtio-net (virtio spec device-types/net) as a struct netdev: queue 0
 * receives, queue 1 sends; no control queue, no multiqueue, no mergeable
 * receive buffers. With VERSION_1 the header before every frame is 12
 * bytes. Each receive buffer is one page (header, then up to
 * NETDEV_RX_MAX bytes of frame: enough without GUEST_TSO, which is never
 * asked for). A frame to send is two descriptors: its header, in a page of
 * headers, and its bytes in one contiguous send buffer: TX_BIG buffers of
 * NETDEV_TX_MAX (GSO or jumbo frames) and TX_SMALL of SMALL_MAX (frames of
 * an MTU of 1500, many in flight: what software GSO cuts a frame into). Written
 * against struct virtio_dev: any transport; completions by the
 * transport's interrupt, else polled.
 */
#include "virtio.h"
#include <pvshim/netdev.h>
#include <pvshim/frame_alloc.h>
#include <pvshim/paging.h>
#include <pvshim/phys.h>
#include <pvshim/string.h>
#include <pvshim/log.h>
#include <pvshim/compiler.h>

#define VIRTIO_NET_F_CSUM       0
#define VIRTIO_NET_F_GUEST_CSUM 1
#define VIRTIO_NET_F_MAC        5
#define VIRTIO_NET_F_HOST_TSO4  11
#define VIRTIO_NET_F_HOST_TSO6  12

#define HDR_BYTES   12      /* struct virtio_net_hdr with num_buffers (VERSION_1) */
#define MAX_NICS    4
#define RX_QUEUE    0
#define TX_QUEUE    1
#define QUEUE_MAX   128
#define TX_BIG      16
#define TX_SMALL    64
#define TX_BUFS     (TX_BIG + TX_SMALL)     /* buffer b < TX_BIG is big */
#define SMALL_MAX   2048
_Static_assert(TX_BUFS * 16 <= PAGE_SIZE, "the send headers fill one page");
#define TX_BIG_PAGES (TX_BIG * (NETDEV_TX_MAX / PAGE_SIZE))
#define TX_SMALL_PAGES (TX_SMALL * SMALL_MAX / PAGE_SIZE)
#define NO_BUF      0xff

struct vnet {
    struct netdev nd;
    struct virtio_dev *vd;
    struct virtq rxq, txq;
    uint8_t *rx_pages;              /* rxq.size pages, one buffer each */
    uint8_t rx_buf[QUEUE_MAX];      /* the buffer a receive descriptor holds */
    int rx_head;                    /* the frame rx_peek shows, or -1 */
    uint32_t rx_len;
    uint8_t *tx_hdrs;               /* TX_BUFS headers, 16 bytes apart */
    uint8_t *tx_big;                /* TX_BIG buffers of NETDEV_TX_MAX */
    uint8_t *tx_small;              /* TX_SMALL buffers of SMALL_MAX */
    uint8_t tx_buf[QUEUE_MAX];      /* the buffer a send chain's head carries */
    bool tx_busy[TX_BUFS];          /* buffer b is with the device */
    int tx_lent;                    /* the buffer tx_buffer lent, or -1 */
    bool tx_pending;                /* handed over, not yet told about */
};

static struct vnet nics[MAX_NICS];
static unsigned nr_nics;

static void put_le16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
}

static uint16_t get_le16(const uint8_t *p)
{
    return (uint16_t)(p[0] | p[1] << 8);
}

/* Give receive buffer b to the device. */
static bool post_rx(struct vnet *n, unsigned b)
{
    uint64_t addr = phys_of(n->rx_pages + (size_t)b * PAGE_SIZE);
    uint32_t len = PAGE_SIZE;
    bool wr = true;
    int head = virtq_add(&n->rxq, &addr, &len, &wr, 1);
    if (head < 0)
        return false;
    n->rx_buf[head] = (uint8_t)b;
    return true;
}

/* Take back the send buffers the device is done with; true if any. */
static bool reap_tx(struct vnet *n)
{
    bool any = false;
    for (unsigned guard = 0; guard < QUEUE_MAX; guard++) {
        int head = virtq_get_used(&n->txq, NULL);
        if (head < 0)
            break;
        uint8_t b = n->tx_buf[head];
        n->tx_buf[head] = NO_BUF;
        if (b == NO_BUF || b >= TX_BUFS || !n->tx_busy[b]) {
            log_err("%s: device completed send descriptor %d that carried no frame",
                    n->nd.name, head);
            continue;
        }
        n->tx_busy[b] = false;
        any = true;
    }
    return any;
}

static uint8_t *tx_data(const struct vnet *n, unsigned b)
{
    return b < TX_BIG ? n->tx_big + (size_t)b * NETDEV_TX_MAX
                      : n->tx_small + (size_t)(b - TX_BIG) * SMALL_MAX;
}

/* A free buffer of len bytes (a small one if it will do), or -1. */
static int free_tx_buf(const struct vnet *n, uint32_t len)
{
    if (len <= SMALL_MAX)
        for (unsigned b = TX_BIG; b < TX_BUFS; b++)
            if (!n->tx_busy[b])
                return (int)b;
    for (unsigned b = 0; b < TX_BIG; b++)
        if (!n->tx_busy[b])
            return (int)b;
    return -1;
}

static bool tx_room(const struct vnet *n, uint32_t len)
{
    return free_tx_buf(n, len) >= 0 && n->txq.nr_free >= 2;
}

/*
 * Send completions interrupt only while the backend waits for a buffer:
 * otherwise they are taken back here, as buffers are needed.
 */
static uint8_t *vnet_tx_buffer(struct netdev *d, uint32_t len)
{
    struct vnet *n = d->priv;
    n->tx_lent = -1;
    if (len == 0 || len > NETDEV_TX_MAX)
        return NULL;
    if (!tx_room(n, len))
        reap_tx(n);
    if (!tx_room(n, len) && n->nd.interrupts) {
        n->txq.avail[0] = 0;
        __atomic_thread_fence(__ATOMIC_SEQ_CST);
        reap_tx(n);         /* completions before the flag was seen */
    }
    if (!tx_room(n, len))
        return NULL;
    n->txq.avail[0] = VIRTQ_AVAIL_F_NO_INTERRUPT;
    n->tx_lent = free_tx_buf(n, len);
    return tx_data(n, (unsigned)n->tx_lent);
}

static void vnet_tx_send(struct netdev *d, uint32_t len, const struct netdev_meta *m)
{
    struct vnet *n = d->priv;
    int b = n->tx_lent;
    n->tx_lent = -1;
    if (b < 0 || n->txq.nr_free < 2 || len == 0 ||
        len > (b < TX_BIG ? NETDEV_TX_MAX : SMALL_MAX)) {
        log_err("%s: frame of %u bytes sent without a buffer", d->name, len);
        return;
    }
    uint8_t *h = n->tx_hdrs + (size_t)b * 16;
    memset(h, 0, HDR_BYTES);
    h[0] = m->flags & NETDEV_F_NEEDS_CSUM;
    h[1] = m->gso_type;
    put_le16(h + 2, m->hdr_len);
    put_le16(h + 4, m->gso_size);
    put_le16(h + 6, m->csum_start);
    put_le16(h + 8, m->csum_offset);
    uint64_t addr[2] = { phys_of(h), phys_of(tx_data(n, (unsigned)b)) };
    uint32_t lens[2] = { HDR_BYTES, len };
    bool wr[2] = { false, false };
    int head = virtq_add(&n->txq, addr, lens, wr, 2);
    if (head < 0) {
        log_err("%s: no send descriptors though they were counted", d->name);
        return;
    }
    n->tx_buf[head] = (uint8_t)b;
    n->tx_busy[b] = true;
    n->tx_pending = true;
}

static void vnet_tx_flush(struct netdev *d)
{
    struct vnet *n = d->priv;
    if (n->tx_pending) {
        n->tx_pending = false;
        virtq_kick(&n->txq);
    }
}

static bool vnet_rx_peek(struct netdev *d, const uint8_t **data, uint32_t *len,
                         struct netdev_meta *m)
{
    struct vnet *n = d->priv;
    while (n->rx_head < 0) {
        uint32_t got;
        int head = virtq_get_used(&n->rxq, &got);
        if (head < 0)
            return false;
        uint8_t b = n->rx_buf[head];
        if (b == NO_BUF || got < HDR_BYTES + NETDEV_ETH_HLEN || got > PAGE_SIZE) {
            /* Too short to be a frame (or a device bug): recycle it. */
            log_warn("%s: received %u bytes in descriptor %d: dropped", d->name, got, head);
            if (b != NO_BUF && post_rx(n, b))
                virtq_kick(&n->rxq);
            continue;
        }
        n->rx_head = head;
        n->rx_len = got - HDR_BYTES;
    }
    const uint8_t *h = n->rx_pages + (size_t)n->rx_buf[n->rx_head] * PAGE_SIZE;
    *data = h + HDR_BYTES;
    *len = n->rx_len;
    memset(m, 0, sizeof(*m));
    if (d->rx_csum) {
        m->flags = h[0] & (NETDEV_F_NEEDS_CSUM | NETDEV_F_DATA_VALID);
        m->csum_start = get_le16(h + 6);
        m->csum_offset = get_le16(h + 8);
    }
    return true;
}

static void vnet_rx_pop(struct netdev *d)
{
    struct vnet *n = d->priv;
    if (n->rx_head < 0)
        return;
    uint8_t b = n->rx_buf[n->rx_head];
    n->rx_buf[n->rx_head] = NO_BUF;
    n->rx_head = -1;
    if (post_rx(n, b))
        virtq_kick(&n->rxq);
    else
        log_err("%s: receive buffer %u could not go back", d->name, b);
}

static bool rx_waiting(struct vnet *n)
{
    return n->rx_head >= 0 || (uint16_t)(n->rxq.used[0] >> 16) != n->rxq.last_used;
}

static void vnet_poll(struct netdev *d)
{
    struct vnet *n = d->priv;
    bool freed = reap_tx(n);
    if ((freed || rx_waiting(n)) && d->on_event)
        d->on_event(d->event_arg);
}

/* The transport acknowledged the interrupt; look at both queues. */
static void vnet_interrupt(void *arg)
{
    struct vnet *n = arg;
    vnet_poll(&n->nd);
}

static void *alloc_frames(unsigned count)
{
    mfn_t m = frame_pool_alloc(&machine_frames, count, 1, ~(mfn_t)0);
    if (m == INVALID_MFN)
        return NULL;
    void *p = maddr_to_virt(mfn_to_paddr(m));
    memset(p, 0, (size_t)count * PAGE_SIZE);
    return p;
}

struct netdev *virtio_net_probe(struct virtio_dev *vd)
{
    if (nr_nics == MAX_NICS) {
        log_warn("virtio-net %s: more than %u NICs; left alone", vd->where, MAX_NICS);
        return NULL;
    }
    struct vnet *n = &nics[nr_nics];
    memset(n, 0, sizeof(*n));
    n->vd = vd;
    n->rx_head = -1;
    n->tx_lent = -1;
    memset(n->rx_buf, NO_BUF, sizeof(n->rx_buf));
    memset(n->tx_buf, NO_BUF, sizeof(n->tx_buf));
    snprintf(n->nd.name, sizeof(n->nd.name), "vnet%u", nr_nics);
    uint64_t want = 1ull << VIRTIO_NET_F_CSUM | 1ull << VIRTIO_NET_F_GUEST_CSUM |
                    1ull << VIRTIO_NET_F_MAC | 1ull << VIRTIO_NET_F_HOST_TSO4 |
                    1ull << VIRTIO_NET_F_HOST_TSO6;
    if (virtio_negotiate(vd, want)) {
        log_warn("%s: feature negotiation failed", n->nd.name);
        virtio_fail(vd);
        return NULL;
    }
    if (virtio_setup_queue(vd, &n->rxq, RX_QUEUE, QUEUE_MAX) ||
        virtio_setup_queue(vd, &n->txq, TX_QUEUE, QUEUE_MAX) || n->txq.size < 2) {
        log_warn("%s: no receive and send queues", n->nd.name);
        virtio_fail(vd);
        return NULL;
    }
    n->rx_pages = alloc_frames(n->rxq.size);
    n->tx_hdrs = alloc_frames(1);
    n->tx_big = alloc_frames(TX_BIG_PAGES);
    n->tx_small = alloc_frames(TX_SMALL_PAGES);
    if (!n->rx_pages || !n->tx_hdrs || !n->tx_big || !n->tx_small) {
        log_warn("%s: no memory for buffers", n->nd.name);
        virtio_fail(vd);
        return NULL;
    }
    uint64_t f = vd->features;
    if ((f & 1ull << VIRTIO_NET_F_MAC) && vd->config) {
        for (unsigned i = 0; i < 6; i++)
            n->nd.mac[i] = (uint8_t)virtio_config_read(vd, i, 1);
    } else {
        /* Xen's OUI, as libxl picks one, and a number of our own. */
        static const uint8_t oui[6] = { 0x00, 0x16, 0x3e, 0x70, 0x76, 0x00 };
        memcpy(n->nd.mac, oui, 6);
        n->nd.mac[5] = (uint8_t)nr_nics;
    }
    n->nd.has_csum = f & 1ull << VIRTIO_NET_F_CSUM;
    n->nd.has_tso4 = n->nd.has_csum && (f & 1ull << VIRTIO_NET_F_HOST_TSO4);
    n->nd.has_tso6 = n->nd.has_csum && (f & 1ull << VIRTIO_NET_F_HOST_TSO6);
    n->nd.rx_csum = f & 1ull << VIRTIO_NET_F_GUEST_CSUM;
    n->nd.tx_buffer = vnet_tx_buffer;
    n->nd.tx_send = vnet_tx_send;
    n->nd.tx_flush = vnet_tx_flush;
    n->nd.rx_peek = vnet_rx_peek;
    n->nd.rx_pop = vnet_rx_pop;
    n->nd.poll = vnet_poll;
    n->nd.priv = n;

    /* One interrupt for both queues, else polled. */
    const char *irq = virtio_irq_enable(vd, &n->rxq, vnet_interrupt, n);
    if (irq && !virtio_irq_enable(vd, &n->txq, vnet_interrupt, n))
        log_warn("%s: send completions are polled", n->nd.name);
    n->txq.avail[0] = VIRTQ_AVAIL_F_NO_INTERRUPT;     /* see vnet_tx_buffer */
    n->nd.interrupts = irq != NULL;
    virtio_driver_ok(vd);
    for (unsigned b = 0; b < n->rxq.size; b++)
        post_rx(n, b);
    virtq_kick(&n->rxq);
    nr_nics++;
    const uint8_t *mac = n->nd.mac;
    log_info("%s: virtio-net at %s, mac %02x:%02x:%02x:%02x:%02x:%02x, "
             "queues %u+%u, %s%s%s%s%s", n->nd.name, vd->where,
             mac[0], mac[1], mac[2], mac[3], mac[4], mac[5], n->rxq.size, n->txq.size,
             irq ? irq : "polled", n->nd.has_csum ? ", csum" : "",
             n->nd.has_tso4 ? ", tso4" : "", n->nd.has_tso6 ? ", tso6" : "",
             n->nd.rx_csum ? ", rx-csum" : "");
    return &n->nd;
}
