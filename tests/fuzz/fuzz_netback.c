/*
 * The PV network backend's ring half (xen/local/netback.c, the tx request
 * parser above all) as a hostile netfront drives it: raw tx slots (any
 * flags, sizes, offsets, ids, grant refs, extra-info slots), raw rx
 * requests, producer indices that run ahead or go back, grant entries
 * rewritten, the event indices scribbled, a device that is full or has
 * frames of any length waiting. The grant checks are the real
 * grant_claim_entry(). Checked: every frame the device gets is at least an
 * Ethernet header and at most 64 KiB; no grant access is held once a
 * service call returns; each consumed slot got exactly one response; no
 * page granted read-only (or not granted) is ever written; rx statuses
 * are errors or lengths that fit the page.
 */
#include <string.h>
#include "netback.h"
#include "grant_access.h"
#include "fuzz_input.h"

#define NR_PAGES    16
#define FRAME_BASE  0x3000
#define NR_GREFS    64
#define MAX_STEPS   300
#define CANARY      0x5a

static union { netif_tx_sring_t s; uint8_t page[PAGE_SIZE]; } txr __attribute__((aligned(4096)));
static union { netif_rx_sring_t s; uint8_t page[PAGE_SIZE]; } rxr __attribute__((aligned(4096)));
static uint8_t pages[NR_PAGES][PAGE_SIZE];
static bool writable[NR_PAGES];     /* some grant lets the backend write it */
static grant_entry_v1_t gtab[NR_GREFS];
static unsigned held;
static struct netback nb;

static uint8_t txbuf[NETDEV_TX_MAX];
static bool dev_full;
static uint8_t frame[PAGE_SIZE + 64];
static uint32_t frame_len;
static bool frame_waiting;

static uint8_t *dev_tx_buffer(struct netdev *d, uint32_t len)
{
    return dev_full ? NULL : txbuf;
}

static void dev_tx_send(struct netdev *d, uint32_t len, const struct netdev_meta *m)
{
    FZ_CHECK(len >= NETDEV_ETH_HLEN && len <= 0xffff, "a frame of %u bytes sent", len);
    FZ_CHECK(!(m->flags & NETDEV_F_NEEDS_CSUM) ||
             (uint32_t)m->csum_start + m->csum_offset + 2 <= len, "checksum field outside");
}

static void dev_tx_flush(struct netdev *d)
{
}

static bool dev_rx_peek(struct netdev *d, const uint8_t **data, uint32_t *len,
                        struct netdev_meta *m)
{
    if (!frame_waiting)
        return false;
    *data = frame;
    *len = frame_len;
    memset(m, 0, sizeof(*m));
    return true;
}

static void dev_rx_pop(struct netdev *d)
{
    FZ_CHECK(frame_waiting, "a frame popped that was not there");
    frame_waiting = false;
}

static struct netdev dev = {
    .name = "fuzz", .tx_buffer = dev_tx_buffer, .tx_send = dev_tx_send,
    .tx_flush = dev_tx_flush, .rx_peek = dev_rx_peek, .rx_pop = dev_rx_pop,
};

static int g_acquire(void *ctx, grant_ref_t ref, bool write, mfn_t *f)
{
    if (ref >= NR_GREFS)
        return -XEN_EINVAL;
    int rc = grant_claim_entry(&gtab[ref], 0, write);
    if (rc)
        return rc;
    mfn_t m = gtab[ref].frame;
    if (m < FRAME_BASE || m >= FRAME_BASE + NR_PAGES) {
        grant_unclaim_entry(&gtab[ref], write);
        return -XEN_EPERM;      /* not the guest's page, as the MMU refuses it */
    }
    *f = m;
    held++;
    return 0;
}

static void g_release(void *ctx, grant_ref_t ref, bool write, mfn_t f)
{
    FZ_CHECK(held > 0, "release without acquire");
    held--;
    grant_unclaim_entry(&gtab[ref], write);
}

static void *g_frame_ptr(void *ctx, mfn_t f)
{
    return pages[f - FRAME_BASE];
}

static const struct netback_grant_ops grants = { g_acquire, g_release, g_frame_ptr };

static void check_after_service(RING_IDX tx_base, RING_IDX rx_base)
{
    FZ_CHECK(held == 0, "%u grant accesses held after service", held);
    FZ_CHECK(nb.tx_rsp_prod == nb.tx_req_cons, "tx: %u consumed, %u answered",
             nb.tx_req_cons - tx_base, nb.tx_rsp_prod - tx_base);
    FZ_CHECK(nb.rx_rsp_prod == nb.rx_req_cons, "rx: %u consumed, %u answered",
             nb.rx_req_cons - rx_base, nb.rx_rsp_prod - rx_base);
    RING_IDX n = rxr.s.rsp_prod - rx_base;
    for (RING_IDX k = 0; k < n && k < 8; k++) {
        RING_IDX i = rxr.s.rsp_prod - 1 - k;
        netif_rx_response_t r = ((union netif_rx_sring_entry *)(void *)rxr.s.ring + (i & 255))->rsp;
        FZ_CHECK(r.status == NETIF_RSP_ERROR ||
                 (r.status >= 0 && (uint32_t)r.offset + (uint32_t)r.status <= PAGE_SIZE),
                 "rx response status %d offset %u", r.status, r.offset);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct fz f = { data, size };
    memset(&txr, 0, sizeof(txr));
    memset(&rxr, 0, sizeof(rxr));
    memset(gtab, 0, sizeof(gtab));
    memset(pages, CANARY, sizeof(pages));
    memset(writable, 0, sizeof(writable));
    held = 0;
    dev_full = frame_waiting = false;
    /* refs 8..23: page i, odd ones read-only; 30: another domain's; 31: a foreign frame */
    for (unsigned i = 0; i < NR_PAGES; i++) {
        gtab[8 + i] = (grant_entry_v1_t){ GTF_permit_access | (i & 1 ? GTF_readonly : 0), 0,
                                          FRAME_BASE + i };
        writable[i] = !(i & 1);
    }
    gtab[30] = (grant_entry_v1_t){ GTF_permit_access, 7, FRAME_BASE };
    gtab[31] = (grant_entry_v1_t){ GTF_permit_access, 0, 0x10 };
    uint8_t feat = fz_u8(&f);
    dev.has_csum = feat & 1;
    memset(&nb, 0, sizeof(nb));
    nb = (struct netback){ .dev = &dev, .be_domid = 0,
                           .feat = { .sg = feat & 2, .gso_tcpv4 = (feat & 5) == 5,
                                     .gso_tcpv6 = (feat & 9) == 9, .ipv6_csum = true },
                           .grants = &grants, .name = "fuzz" };
    txr.s.req_event = txr.s.rsp_event = rxr.s.req_event = rxr.s.rsp_event = 1;
    netback_connect(&nb, &txr, &rxr);
    RING_IDX tx_base = nb.tx_req_cons, rx_base = nb.rx_req_cons;

    for (unsigned step = 0; step < MAX_STEPS && f.n; step++) {
        switch (fz_u8(&f) % 9) {
        case 0:
        case 1: {   /* post a tx slot: a request or an extra, raw */
            union netif_tx_sring_entry *e = (union netif_tx_sring_entry *)(void *)txr.s.ring +
                                            (txr.s.req_prod & 255);
            fz_bytes(&f, &e->req, sizeof(e->req));
            e->req.gref = 8 + e->req.gref % 26;     /* mostly real refs */
            txr.s.req_prod++;
            break;
        }
        case 2: {   /* post an rx request */
            union netif_rx_sring_entry *e = (union netif_rx_sring_entry *)(void *)rxr.s.ring +
                                            (rxr.s.req_prod & 255);
            e->req.id = fz_u16(&f);
            e->req.gref = 8 + fz_u8(&f) % 26;
            rxr.s.req_prod++;
            break;
        }
        case 3:     /* a frame arrives */
            if (!frame_waiting) {
                frame_len = fz_u16(&f) % (sizeof(frame) + 1);
                memset(frame, fz_u8(&f), sizeof(frame));
                frame_waiting = true;
            }
            break;
        case 4:
            dev_full = fz_u8(&f) & 1;
            break;
        case 5: {   /* indices scribbled */
            uint8_t w = fz_u8(&f);
            RING_IDX v = fz_u16(&f);
            if (w & 1)
                txr.s.req_prod += v % 300;
            else if (w & 2)
                rxr.s.req_prod -= v % 4;
            else
                txr.s.rsp_event = v;
            break;
        }
        case 6: {   /* the guest rewrites a grant entry */
            unsigned ref = 8 + fz_u8(&f) % 24;
            uint16_t flags = fz_u16(&f);
            gtab[ref].flags = flags & ~(GTF_reading | GTF_writing);
            if ((flags & GTF_type_mask) == GTF_permit_access && !(flags & GTF_readonly) &&
                ref - 8 < NR_PAGES)
                writable[ref - 8] = true;
            break;
        }
        default:
            netback_service(&nb);
            check_after_service(tx_base, rx_base);
            break;
        }
    }
    netback_service(&nb);
    check_after_service(tx_base, rx_base);
    for (unsigned i = 0; i < NR_PAGES; i++)
        if (!writable[i])
            for (unsigned k = 0; k < PAGE_SIZE; k++)
                FZ_CHECK(pages[i][k] == CANARY, "page %u granted read-only was written", i);
    netback_disconnect(&nb);
    return 0;
}
