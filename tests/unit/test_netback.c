/*
 * The PV network backend's ring half and the checksum helper, on the
 * host: a fake network device (send buffers the test looks at, received
 * frames the test queues, a switch that makes it full) and fake grants (a
 * table of entries, frames that are pages of a local array, ring_fixture.c, checked by
 * the real claim code). The frontend's side is written by hand here.
 */
#include <string.h>
#include "unit.h"
#include <pvshim/compiler.h>
#include "netback.h"
#include "net_csum.h"
#include "net_gso.h"
#include "grant_access.h"
#include "ring_fixture.h"


static union { netif_tx_sring_t s; uint8_t page[PAGE_SIZE]; } txr __attribute__((aligned(4096)));
static union { netif_rx_sring_t s; uint8_t page[PAGE_SIZE]; } rxr __attribute__((aligned(4096)));

/* ---- fake device */
#define MAX_SENT 8
static uint8_t txbuf[NETDEV_TX_MAX];
static struct { uint8_t data[2048]; uint32_t len; struct netdev_meta m; } sent[MAX_SENT];
static unsigned nr_sent, flushes;
static bool dev_full;
static int dev_room;            /* buffers the device lends before it is full; -1: any */
static uint8_t gso_buf[NETDEV_TX_MAX];
static struct { uint8_t data[PAGE_SIZE + 16]; uint32_t len; struct netdev_meta m; } rxq[8];
static unsigned rx_head, rx_tail;

static uint8_t *dev_tx_buffer(struct netdev *d, uint32_t len)
{
    if (dev_full || dev_room == 0)
        return NULL;
    if (dev_room > 0)
        dev_room--;
    return txbuf;
}

static void dev_tx_send(struct netdev *d, uint32_t len, const struct netdev_meta *m)
{
    ck_assert_uint_lt(nr_sent, MAX_SENT);
    sent[nr_sent].len = len;
    sent[nr_sent].m = *m;
    memcpy(sent[nr_sent].data, txbuf, MIN(len, sizeof(sent[0].data)));
    nr_sent++;
}

static void dev_tx_flush(struct netdev *d)
{
    flushes++;
}

static bool dev_rx_peek(struct netdev *d, const uint8_t **data, uint32_t *len,
                        struct netdev_meta *m)
{
    if (rx_head == rx_tail)
        return false;
    *data = rxq[rx_head % 8].data;
    *len = rxq[rx_head % 8].len;
    *m = rxq[rx_head % 8].m;
    return true;
}

static void dev_rx_pop(struct netdev *d)
{
    ck_assert_uint_ne(rx_head, rx_tail);
    rx_head++;
}

static struct netdev dev = {
    .name = "fake", .tx_buffer = dev_tx_buffer, .tx_send = dev_tx_send,
    .tx_flush = dev_tx_flush, .rx_peek = dev_rx_peek, .rx_pop = dev_rx_pop,
};

static void queue_rx(uint32_t len, uint8_t fill, uint8_t flags)
{
    memset(rxq[rx_tail % 8].data, fill, sizeof(rxq[0].data));
    rxq[rx_tail % 8].len = len;
    rxq[rx_tail % 8].m = (struct netdev_meta){ .flags = flags };
    rx_tail++;
}

/* ---- fake grants */




static const struct netback_grant_ops fake_grants = { fx_acquire, fx_release, fx_frame_ptr };


static struct netback nb;

static void setup(void)
{
    memset(&txr, 0, sizeof(txr));
    memset(&rxr, 0, sizeof(rxr));
    txr.s.req_event = txr.s.rsp_event = 1;
    rxr.s.req_event = rxr.s.rsp_event = 1;
    fx_reset();
    nr_sent = flushes = 0;
    rx_head = rx_tail = 0;
    dev_full = false;
    dev_room = -1;
    dev.has_csum = false;
    dev.has_tso4 = dev.has_tso6 = false;
    memset(&nb, 0, sizeof(nb));
    nb.dev = &dev;
    nb.be_domid = FX_BE_DOMID;
    nb.feat = (struct netback_features){ .sg = true, .ipv6_csum = true };
    nb.grants = &fake_grants;
    nb.notify = fx_notify;
    nb.name = "vif-test";
    nb.gso_buf = gso_buf;
    netback_connect(&nb, &txr, &rxr);
}

/* ---- frontend side */
static void post_tx(grant_ref_t gref, uint16_t offset, uint16_t flags, uint16_t id, uint16_t size)
{
    netif_tx_request_t r = { gref, offset, flags, id, size };
    ((union netif_tx_sring_entry *)(void *)txr.s.ring + (txr.s.req_prod & 255))->req = r;
    txr.s.req_prod++;
}

static void post_extra(uint8_t type, uint8_t flags, uint16_t gso_size, uint8_t gso_type)
{
    netif_extra_info_t e = { .type = type, .flags = flags };
    e.u.gso.size = gso_size;
    e.u.gso.type = gso_type;
    memcpy(&((union netif_tx_sring_entry *)(void *)txr.s.ring + (txr.s.req_prod & 255))->req,
           &e, sizeof(e));
    txr.s.req_prod++;
}

static netif_tx_response_t tx_rsp(RING_IDX i)
{
    return ((union netif_tx_sring_entry *)(void *)txr.s.ring + (i & 255))->rsp;
}

static void post_rx(uint16_t id, grant_ref_t gref)
{
    netif_rx_request_t r = { .id = id, .gref = gref };
    ((union netif_rx_sring_entry *)(void *)rxr.s.ring + (rxr.s.req_prod & 255))->req = r;
    rxr.s.req_prod++;
}

static netif_rx_response_t rx_rsp(RING_IDX i)
{
    return ((union netif_rx_sring_entry *)(void *)rxr.s.ring + (i & 255))->rsp;
}

static void fill(unsigned page, unsigned off, unsigned len, uint8_t seed)
{
    for (unsigned i = 0; i < len; i++)
        fx_pages[page][off + i] = (uint8_t)(seed + i);
}

/* Ethernet + IPv4 (20) + TCP (20) + payload, the TCP checksum field holding
 * the pseudo-header sum, as a Linux frontend sends CHECKSUM_PARTIAL. */
static unsigned tcp4_frame(uint8_t *f, unsigned payload)
{
    unsigned len = 14 + 20 + 20 + payload;
    memset(f, 0, len);
    f[12] = 0x08;
    f[14] = 0x45;
    f[16] = (uint8_t)((len - 14) >> 8);
    f[17] = (uint8_t)(len - 14);
    f[22] = 64;
    f[23] = 6;
    uint8_t src[4] = { 10, 0, 2, 15 }, dst[4] = { 10, 0, 2, 2 };
    memcpy(f + 26, src, 4);
    memcpy(f + 30, dst, 4);
    f[34] = 0x13;
    f[35] = 0x88;
    f[46] = 0x50;       /* data offset 5 words */
    for (unsigned i = 0; i < payload; i++)
        f[54 + i] = (uint8_t)(i * 13 + 1);
    /* pseudo header: src, dst, proto, TCP length */
    uint32_t sum = 0x0a00 + 0x020f + 0x0a00 + 0x0202 + 6 + (len - 34);
    while (sum >> 16)
        sum = (sum & 0xffff) + (sum >> 16);
    f[50] = (uint8_t)(sum >> 8);
    f[51] = (uint8_t)sum;
    return len;
}

/* The full TCP checksum, independently: 0 when the field is right. */
static uint16_t tcp4_verify(const uint8_t *f, unsigned len)
{
    uint32_t sum = 0;
    for (unsigned i = 26; i < 34; i += 2)
        sum += (uint32_t)(f[i] << 8 | f[i + 1]);
    sum += 6 + (len - 34);
    for (unsigned i = 34; i < len; i += 2)
        sum += (uint32_t)(f[i] << 8 | (i + 1 < len ? f[i + 1] : 0));
    while (sum >> 16)
        sum = (sum & 0xffff) + (sum >> 16);
    return (uint16_t)~sum;
}

START_TEST(one_slot_packet_goes_to_the_device)
{
    fill(0, 100, 60, 1);
    post_tx(FX_RO_REF(0), 100, 0, 7, 60);
    netback_service(&nb);
    ck_assert_uint_eq(nr_sent, 1);
    ck_assert_uint_eq(sent[0].len, 60);
    ck_assert(memcmp(sent[0].data, &fx_pages[0][100], 60) == 0);
    ck_assert_uint_eq(sent[0].m.flags, 0);
    ck_assert_uint_eq(txr.s.rsp_prod, 1);
    ck_assert_uint_eq(tx_rsp(0).id, 7);
    ck_assert_int_eq(tx_rsp(0).status, NETIF_RSP_OKAY);
    ck_assert_uint_eq(fx_held_grants, 0);
    ck_assert_uint_eq(fx_gtab[FX_RO_REF(0)].flags, GTF_permit_access | GTF_readonly);
    ck_assert_uint_eq(fx_notifies, 1);
    ck_assert_uint_eq(txr.s.req_event, 2);
    ck_assert_uint_ge(flushes, 1);
}
END_TEST

START_TEST(multi_slot_packet_with_extra_gets_null_response)
{
    nb.feat.gso_tcpv4 = true;
    dev.has_csum = dev.has_tso4 = true;
    /* 1000 bytes: 600 in page 1, 96 at the end of page 2, 304 at the start of page 3. */
    unsigned len = tcp4_frame(fx_pages[1] + 200, 1000 - 54);
    ck_assert_uint_eq(len, 1000);
    memcpy(fx_pages[2] + 4000, fx_pages[1] + 200 + 600, 96);
    memcpy(fx_pages[3], fx_pages[1] + 200 + 696, 304);
    post_tx(FX_RO_REF(1), 200, NETTXF_more_data | NETTXF_extra_info | NETTXF_csum_blank, 1, 1000);
    post_extra(XEN_NETIF_EXTRA_TYPE_GSO, 0, 946, XEN_NETIF_GSO_TYPE_TCPV4);
    post_tx(FX_RO_REF(2), 4000, NETTXF_more_data, 2, 96);
    post_tx(FX_RO_REF(3), 0, 0, 3, 304);
    netback_service(&nb);
    ck_assert_uint_eq(nr_sent, 1);
    ck_assert_uint_eq(sent[0].len, 1000);
    ck_assert(memcmp(sent[0].data, fx_pages[1] + 200, 1000) == 0);
    ck_assert_uint_eq(sent[0].m.flags, NETDEV_F_NEEDS_CSUM);
    ck_assert_uint_eq(sent[0].m.csum_start, 34);
    ck_assert_uint_eq(sent[0].m.csum_offset, 16);
    ck_assert_uint_eq(sent[0].m.gso_type, NETDEV_GSO_TCPV4);
    ck_assert_uint_eq(sent[0].m.gso_size, 946);
    ck_assert_uint_eq(sent[0].m.hdr_len, 54);
    ck_assert_uint_eq(txr.s.rsp_prod, 4);
    ck_assert_uint_eq(tx_rsp(0).id, 1);
    ck_assert_int_eq(tx_rsp(0).status, NETIF_RSP_OKAY);
    ck_assert_int_eq(tx_rsp(1).status, NETIF_RSP_NULL);
    ck_assert_uint_eq(tx_rsp(2).id, 2);
    ck_assert_int_eq(tx_rsp(2).status, NETIF_RSP_OKAY);
    ck_assert_uint_eq(tx_rsp(3).id, 3);
    ck_assert_uint_eq(fx_held_grants, 0);
}
END_TEST

/* The IPv4 header checksum, independently: 0 when right. */
static uint16_t ip4_verify(const uint8_t *f)
{
    uint32_t sum = 0;
    for (unsigned i = 14; i < 34; i += 2)
        sum += (uint32_t)(f[i] << 8 | f[i + 1]);
    while (sum >> 16)
        sum = (sum & 0xffff) + (sum >> 16);
    return (uint16_t)~sum;
}

static uint32_t be32_at(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/*
 * A 2554-byte TCP/IPv4 GSO packet (2500 bytes of payload, MSS 1000) in two
 * slots, ACK|PSH|FIN|CWR, IP id 0x1234, sequence number about to wrap.
 * Returns a copy of the whole frame in f.
 */
static unsigned post_gso_packet(uint8_t *f, uint16_t id)
{
    unsigned len = tcp4_frame(f, 2500);
    f[18] = 0x12;
    f[19] = 0x34;
    f[38] = f[39] = f[40] = 0xff;
    f[41] = 0x00;               /* seq 0xffffff00 */
    f[47] = 0x10 | 0x08 | 0x01 | 0x80;
    memcpy(fx_pages[0] + 96, f, 1500);
    memcpy(fx_pages[1], f + 1500, len - 1500);
    post_tx(FX_RO_REF(0), 96, NETTXF_more_data | NETTXF_extra_info | NETTXF_csum_blank, id,
            (uint16_t)len);
    post_extra(XEN_NETIF_EXTRA_TYPE_GSO, 0, 1000, XEN_NETIF_GSO_TYPE_TCPV4);
    post_tx(FX_RO_REF(1), 0, 0, (uint16_t)(id + 1), (uint16_t)(len - 1500));
    return len;
}

/* Segment k of post_gso_packet's frame f, as a NIC's TSO makes it. */
static void check_segment(unsigned k, const uint8_t *f, bool full_csum)
{
    static const unsigned payload[3] = { 1000, 1000, 500 };
    const uint8_t *g = sent[k].data;
    unsigned len = 54 + payload[k];
    ck_assert_uint_eq(sent[k].len, len);
    ck_assert_uint_eq(sent[k].m.gso_type, NETDEV_GSO_NONE);
    ck_assert(memcmp(g, f, 16) == 0);                  /* Ethernet, IP version, TOS */
    ck_assert_uint_eq((unsigned)(g[16] << 8 | g[17]), len - 14);
    ck_assert_uint_eq((unsigned)(g[18] << 8 | g[19]), 0x1234 + k);
    ck_assert(memcmp(g + 20, f + 20, 4) == 0);         /* flags, TTL, protocol */
    ck_assert(memcmp(g + 26, f + 26, 12) == 0);        /* addresses, ports */
    ck_assert_uint_eq(ip4_verify(g), 0);
    ck_assert_uint_eq(be32_at(g + 38), 0xffffff00u + k * 1000);
    ck_assert(memcmp(g + 42, f + 42, 5) == 0);         /* ack, data offset */
    uint8_t want = 0x10 | (k == 0 ? 0x80 : 0) | (k == 2 ? 0x08 | 0x01 : 0);
    ck_assert_uint_eq(g[47], want);
    ck_assert(memcmp(g + 54, f + 54 + k * 1000, payload[k]) == 0);
    if (full_csum) {
        ck_assert_uint_eq(sent[k].m.flags, 0);
        ck_assert_uint_eq(tcp4_verify(g, len), 0);
    } else {
        ck_assert_uint_eq(sent[k].m.flags, NETDEV_F_NEEDS_CSUM);
        ck_assert_uint_eq(sent[k].m.csum_start, 34);
        ck_assert_uint_eq(sent[k].m.csum_offset, 16);
        uint8_t c[2048];
        memcpy(c, g, len);
        struct net_csum_loc loc;
        ck_assert(net_csum_locate(c, len, &loc));
        net_csum_fill(c, len, &loc);
        ck_assert_uint_eq(tcp4_verify(c, len), 0);
    }
}

START_TEST(gso_packet_is_cut_into_segments_for_a_device_without_tso)
{
    static uint8_t f[4096];
    nb.feat.gso_tcpv4 = true;
    dev.has_csum = _i;
    post_gso_packet(f, 1);
    netback_service(&nb);
    ck_assert_uint_eq(nr_sent, 3);
    for (unsigned k = 0; k < 3; k++)
        check_segment(k, f, !_i);
    ck_assert_uint_eq(txr.s.rsp_prod, 3);
    ck_assert_int_eq(tx_rsp(0).status, NETIF_RSP_OKAY);
    ck_assert_int_eq(tx_rsp(1).status, NETIF_RSP_NULL);
    ck_assert_uint_eq(tx_rsp(2).id, 2);
    ck_assert_int_eq(tx_rsp(2).status, NETIF_RSP_OKAY);
    ck_assert_uint_eq(nb.stats.tx_segments, 3);
    ck_assert_uint_eq(fx_held_grants, 0);
}
END_TEST

START_TEST(gso_segments_wait_for_device_buffers_and_keep_their_order)
{
    static uint8_t f[4096];
    nb.feat.gso_tcpv4 = true;
    post_gso_packet(f, 1);
    fill(2, 0, 60, 5);
    post_tx(FX_RO_REF(2), 0, 0, 9, 60);
    dev_room = 1;
    netback_service(&nb);
    /* One segment went; the packet is answered (its data is copied out), the next waits. */
    ck_assert_uint_eq(nr_sent, 1);
    ck_assert_uint_eq(txr.s.rsp_prod, 3);
    dev_room = 1;
    netback_service(&nb);
    ck_assert_uint_eq(nr_sent, 2);
    ck_assert_uint_eq(txr.s.rsp_prod, 3);
    dev_room = -1;
    netback_service(&nb);
    ck_assert_uint_eq(nr_sent, 4);
    for (unsigned k = 0; k < 3; k++)
        check_segment(k, f, true);
    ck_assert_uint_eq(sent[3].len, 60);
    ck_assert_uint_eq(txr.s.rsp_prod, 4);
    ck_assert_uint_eq(tx_rsp(3).id, 9);
    ck_assert_uint_eq(fx_held_grants, 0);
}
END_TEST

START_TEST(gso_with_a_device_that_has_tso_goes_whole)
{
    static uint8_t f[4096];
    nb.feat.gso_tcpv4 = true;
    dev.has_csum = dev.has_tso4 = true;
    unsigned len = post_gso_packet(f, 1);
    netback_service(&nb);
    ck_assert_uint_eq(nr_sent, 1);
    ck_assert_uint_eq(sent[0].len, len);
    ck_assert_uint_eq(sent[0].m.gso_type, NETDEV_GSO_TCPV4);
    ck_assert_uint_eq(sent[0].m.gso_size, 1000);
    ck_assert_uint_eq(nb.stats.tx_segments, 0);
}
END_TEST

/* The TCP checksum of an Ethernet + IPv6 (no extension headers) frame, independently. */
static uint16_t tcp6_verify(const uint8_t *f, unsigned len)
{
    uint32_t sum = 0;
    for (unsigned i = 22; i < 54; i += 2)
        sum += (uint32_t)(f[i] << 8 | f[i + 1]);
    sum += 6 + (len - 54);
    for (unsigned i = 54; i < len; i += 2)
        sum += (uint32_t)(f[i] << 8 | (i + 1 < len ? f[i + 1] : 0));
    while (sum >> 16)
        sum = (sum & 0xffff) + (sum >> 16);
    return (uint16_t)~sum;
}

START_TEST(gso_cuts_tcp6_segments)
{
    static uint8_t f[2600], out[2][1400];
    unsigned len = 14 + 40 + 20 + 2500;
    memset(f, 0, sizeof(f));
    f[12] = 0x86;
    f[13] = 0xdd;
    f[14] = 0x60;
    f[20] = 6;                  /* next header: TCP */
    f[21] = 64;
    for (unsigned i = 0; i < 32; i++)
        f[22 + i] = (uint8_t)(0xf0 + i);
    f[58] = 0x12;               /* seq 0x12345678 */
    f[59] = 0x34;
    f[60] = 0x56;
    f[61] = 0x78;
    f[66] = 0x50;
    f[67] = 0x10 | 0x08 | 0x01;     /* ACK PSH FIN */
    for (unsigned i = 0; i < 2500; i++)
        f[74 + i] = (uint8_t)(i * 7 + 3);
    struct net_gso g;
    ck_assert(!net_gso_init(&g, f, len, 1200, false));     /* not IPv4 */
    ck_assert(!net_gso_init(&g, f, len, 0, true));
    ck_assert(net_gso_init(&g, f, len, 1200, true));
    ck_assert_uint_eq(g.nr_segs, 3);
    static const unsigned payload[3] = { 1200, 1200, 100 };
    for (unsigned k = 0; k < 3; k++) {
        unsigned sl = net_gso_seg_len(&g, k);
        ck_assert_uint_eq(sl, 74 + payload[k]);
        memset(out, 0, sizeof(out));
        net_gso_segment(&g, k, out[0], true);
        net_gso_segment(&g, k, out[1], false);
        const uint8_t *o = out[0];
        ck_assert_uint_eq((unsigned)(o[18] << 8 | o[19]), 20 + payload[k]);
        ck_assert(memcmp(o + 20, f + 20, 34) == 0);
        ck_assert_uint_eq(be32_at(o + 58), 0x12345678u + k * 1200);
        ck_assert_uint_eq(o[67], k == 2 ? 0x19 : 0x10);
        ck_assert(memcmp(o + 74, f + 74 + k * 1200, payload[k]) == 0);
        ck_assert_uint_eq(tcp6_verify(o, sl), 0);
        /* Left to the device: the pseudo-header sum, which completes to the same. */
        struct net_csum_loc loc;
        ck_assert(net_csum_locate(out[1], sl, &loc));
        net_csum_fill(out[1], sl, &loc);
        ck_assert(memcmp(out[0], out[1], sl) == 0);
    }
}
END_TEST

START_TEST(partial_checksum_is_completed_in_software)
{
    unsigned len = tcp4_frame(fx_pages[0], 333);
    ck_assert_uint_ne(tcp4_verify(fx_pages[0], len), 0);
    post_tx(FX_RO_REF(0), 0, NETTXF_csum_blank | NETTXF_data_validated, 1, (uint16_t)len);
    netback_service(&nb);
    ck_assert_uint_eq(nr_sent, 1);
    ck_assert_uint_eq(sent[0].m.flags, 0);
    ck_assert_uint_eq(tcp4_verify(sent[0].data, len), 0);
    ck_assert(memcmp(sent[0].data + 52, fx_pages[0] + 52, len - 52) == 0);
}
END_TEST

START_TEST(packet_not_all_posted_waits)
{
    fill(0, 0, 100, 3);
    post_tx(FX_RO_REF(0), 0, NETTXF_more_data, 1, 150);
    netback_service(&nb);
    ck_assert_uint_eq(nr_sent, 0);
    ck_assert_uint_eq(txr.s.rsp_prod, 0);
    ck_assert_uint_eq(txr.s.req_event, 2);     /* kick me when more comes */
    post_tx(FX_RO_REF(1), 0, 0, 2, 50);
    netback_service(&nb);
    ck_assert_uint_eq(nr_sent, 1);
    ck_assert_uint_eq(sent[0].len, 150);
    ck_assert_uint_eq(txr.s.rsp_prod, 2);
}
END_TEST

START_TEST(full_device_leaves_requests_on_the_ring)
{
    dev_full = true;
    post_tx(FX_RO_REF(0), 0, 0, 1, 60);
    netback_service(&nb);
    ck_assert_uint_eq(nr_sent, 0);
    ck_assert_uint_eq(txr.s.rsp_prod, 0);
    dev_full = false;
    netback_service(&nb);
    ck_assert_uint_eq(nr_sent, 1);
    ck_assert_uint_eq(txr.s.rsp_prod, 1);
}
END_TEST

/* Hostile tx packets: every slot answered ERROR (NULL for extras), nothing sent. */
struct bad_tx {
    const char *what;
    unsigned nslots;
    netif_tx_request_t slot[3];
    bool sg;
};

static const struct bad_tx bad_txs[] = {
    { "grant ref out of the table", 1, { { 5000, 0, 0, 1, 60 } }, true },
    { "grant of another domain's", 1, { { 3, 0, 0, 1, 60 } }, true },
    { "data past the page", 1, { { FX_RO_REF(0), 4090, 0, 1, 60 } }, true },
    { "shorter than Ethernet", 1, { { FX_RO_REF(0), 0, 0, 1, 13 } }, true },
    { "fragments larger than the packet", 2,
      { { FX_RO_REF(0), 0, NETTXF_more_data, 1, 100 }, { FX_RO_REF(1), 0, 0, 2, 200 } }, true },
    { "second slot past its page", 2,
      { { FX_RO_REF(0), 0, NETTXF_more_data, 1, 3000 }, { FX_RO_REF(1), 4000, 0, 2, 200 } }, true },
    { "multi-slot without sg", 2,
      { { FX_RO_REF(0), 0, NETTXF_more_data, 1, 100 }, { FX_RO_REF(1), 0, 0, 2, 20 } }, false },
    { "partial checksum in a non-IP frame", 1,
      { { FX_RO_REF(0), 0, NETTXF_csum_blank, 1, 60 } }, true },
};

START_TEST(hostile_tx_packets_get_errors)
{
    const struct bad_tx *b = &bad_txs[_i];
    nb.feat.sg = b->sg;
    fx_gtab[3] = (grant_entry_v1_t){ GTF_permit_access, 7, FX_FRAME_BASE };
    for (unsigned i = 0; i < b->nslots; i++)
        post_tx(b->slot[i].gref, b->slot[i].offset, b->slot[i].flags, b->slot[i].id,
                b->slot[i].size);
    /* A good packet after it still goes. */
    post_tx(FX_RO_REF(2), 0, 0, 9, 64);
    netback_service(&nb);
    ck_assert_msg(nr_sent == 1, "%s: %u sent", b->what, nr_sent);
    ck_assert_uint_eq(sent[0].len, 64);
    ck_assert_uint_eq(txr.s.rsp_prod, b->nslots + 1);
    for (unsigned i = 0; i < b->nslots; i++) {
        ck_assert_uint_eq(tx_rsp(i).id, b->slot[i].id);
        ck_assert_msg(tx_rsp(i).status == NETIF_RSP_ERROR, "%s: slot %u status %d", b->what,
                      i, tx_rsp(i).status);
    }
    ck_assert_int_eq(tx_rsp(b->nslots).status, NETIF_RSP_OKAY);
    ck_assert_uint_eq(fx_held_grants, 0);
    ck_assert(!nb.broken);
}
END_TEST

START_TEST(gso_not_offered_and_unknown_extras_are_refused)
{
    post_tx(FX_RO_REF(0), 0, NETTXF_extra_info | NETTXF_csum_blank, 1, 100);
    post_extra(XEN_NETIF_EXTRA_TYPE_GSO, 0, 1000, XEN_NETIF_GSO_TYPE_TCPV4);
    post_tx(FX_RO_REF(0), 0, NETTXF_extra_info, 2, 100);
    post_extra(9, 0, 0, 0);
    netback_service(&nb);
    ck_assert_uint_eq(nr_sent, 0);
    ck_assert_uint_eq(txr.s.rsp_prod, 4);
    ck_assert_int_eq(tx_rsp(0).status, NETIF_RSP_ERROR);
    ck_assert_int_eq(tx_rsp(1).status, NETIF_RSP_NULL);
    ck_assert_int_eq(tx_rsp(2).status, NETIF_RSP_ERROR);
    ck_assert_int_eq(tx_rsp(3).status, NETIF_RSP_NULL);
}
END_TEST

START_TEST(too_many_slots_are_refused)
{
    /* The slots past the limit would make a packet of their own (100 bytes
     * in two slots): they are the refused packet's, never sent. */
    for (unsigned i = 0; i < NETBACK_MAX_SLOTS + 2; i++)
        post_tx(FX_RO_REF(0), 0, i + 1 < NETBACK_MAX_SLOTS + 2 ? NETTXF_more_data : 0,
                (uint16_t)i, i == 0 ? 2000 : i == NETBACK_MAX_SLOTS ? 100 : 10);
    netback_service(&nb);
    ck_assert_uint_eq(nr_sent, 0);
    /* Every slot answered, each with an error. */
    ck_assert_uint_eq(txr.s.rsp_prod, NETBACK_MAX_SLOTS + 2);
    for (unsigned i = 0; i < NETBACK_MAX_SLOTS + 2; i++)
        ck_assert_int_eq(tx_rsp(i).status, NETIF_RSP_ERROR);
    ck_assert_uint_eq(fx_held_grants, 0);
}
END_TEST

START_TEST(producer_running_ahead_breaks_the_rings)
{
    post_tx(FX_RO_REF(0), 0, 0, 1, 60);
    txr.s.req_prod = 300;
    netback_service(&nb);
    ck_assert(nb.broken);
    ck_assert_uint_eq(nr_sent, 0);
    ck_assert_uint_eq(txr.s.rsp_prod, 0);
    queue_rx(60, 0x11, 0);
    post_rx(0, FX_RW_REF(0));
    netback_service(&nb);
    ck_assert_uint_eq(rxr.s.rsp_prod, 0);

    setup();
    rxr.s.req_prod = 257;
    queue_rx(60, 0x11, 0);
    netback_service(&nb);
    ck_assert(nb.broken);
    ck_assert_uint_eq(rxr.s.rsp_prod, 0);
}
END_TEST

START_TEST(received_frames_fill_posted_buffers_in_slot_order)
{
    queue_rx(60, 0x21, 0);
    queue_rx(1514, 0x22, NETDEV_F_DATA_VALID);
    queue_rx(100, 0x23, NETDEV_F_NEEDS_CSUM);
    post_rx(40, FX_RW_REF(4));
    post_rx(41, FX_RW_REF(5));
    netback_service(&nb);
    ck_assert_uint_eq(rxr.s.rsp_prod, 2);
    ck_assert_uint_eq(rx_rsp(0).id, 40);
    ck_assert_uint_eq(rx_rsp(0).offset, 0);
    ck_assert_int_eq(rx_rsp(0).status, 60);
    ck_assert_uint_eq(rx_rsp(0).flags, 0);
    ck_assert_uint_eq(fx_pages[4][59], 0x21);
    ck_assert_uint_eq(fx_pages[4][60], 0);
    ck_assert_int_eq(rx_rsp(1).status, 1514);
    ck_assert_uint_eq(rx_rsp(1).flags, NETRXF_data_validated);
    ck_assert_uint_eq(fx_pages[5][1513], 0x22);
    ck_assert_uint_eq(fx_held_grants, 0);
    ck_assert_uint_eq(fx_gtab[FX_RW_REF(4)].flags, GTF_permit_access);
    ck_assert_uint_eq(fx_notifies, 1);
    /* The third waits for a buffer, and asked for a kick. */
    ck_assert_uint_eq(rx_tail - rx_head, 1);
    ck_assert_uint_eq(rxr.s.req_event, 3);
    post_rx(42, FX_RW_REF(6));
    netback_service(&nb);
    ck_assert_uint_eq(rxr.s.rsp_prod, 3);
    ck_assert_int_eq(rx_rsp(2).status, 100);
    ck_assert_uint_eq(rx_rsp(2).flags, NETRXF_csum_blank | NETRXF_data_validated);
    ck_assert_uint_eq(rx_tail, rx_head);
}
END_TEST

START_TEST(read_only_or_bad_rx_grant_drops_the_frame_with_error)
{
    queue_rx(60, 0x31, 0);
    queue_rx(60, 0x32, 0);
    queue_rx(60, 0x33, 0);
    post_rx(1, FX_RO_REF(4));
    post_rx(2, 5000);
    post_rx(3, FX_RW_REF(6));
    netback_service(&nb);
    ck_assert_uint_eq(rxr.s.rsp_prod, 3);
    ck_assert_int_eq(rx_rsp(0).status, NETIF_RSP_ERROR);
    ck_assert_int_eq(rx_rsp(1).status, NETIF_RSP_ERROR);
    ck_assert_int_eq(rx_rsp(2).status, 60);
    ck_assert_uint_eq(fx_pages[4][0], 0);
    ck_assert_uint_eq(fx_pages[6][0], 0x33);
    ck_assert_uint_eq(rx_tail, rx_head);
    ck_assert_uint_eq(fx_held_grants, 0);
}
END_TEST

START_TEST(csum_locate_and_fill)
{
    uint8_t f[200];
    struct net_csum_loc loc;
    unsigned len = tcp4_frame(f, 100);
    ck_assert(net_csum_locate(f, len, &loc));
    ck_assert_uint_eq(loc.start, 34);
    ck_assert_uint_eq(loc.offset, 16);
    ck_assert_uint_eq(loc.hdr_len, 54);
    net_csum_fill(f, len, &loc);
    ck_assert_uint_eq(tcp4_verify(f, len), 0);
    /* Truncated anywhere in the headers: not located. */
    for (unsigned l = 0; l < 54; l++)
        ck_assert(!net_csum_locate(f, l, &loc));
    /* A fragment, a bad IHL, another protocol. */
    f[20] = 0x20;
    ck_assert(!net_csum_locate(f, len, &loc));
    f[20] = 0;
    f[14] = 0x44;
    ck_assert(!net_csum_locate(f, len, &loc));
    f[14] = 0x45;
    f[23] = 1;
    ck_assert(!net_csum_locate(f, len, &loc));
    /* VLAN-tagged IPv6 UDP behind a hop-by-hop header. */
    uint8_t g[120] = { 0 };
    g[12] = 0x81;
    g[16] = 0x86;
    g[17] = 0xdd;
    g[18] = 0x60;
    g[18 + 6] = 0;              /* next: hop-by-hop */
    g[58] = 17;                 /* its next: UDP */
    g[59] = 0;                  /* 8 bytes long */
    ck_assert(net_csum_locate(g, sizeof(g), &loc));
    ck_assert_uint_eq(loc.start, 66);
    ck_assert_uint_eq(loc.offset, 6);
    ck_assert(loc.ipv6);
    ck_assert(!net_csum_locate(g, 73, &loc));
    /* A UDP sum of zero goes out as 0xffff. */
    memset(g + 66, 0, sizeof(g) - 66);
    g[66 + 6] = 0xff;
    g[66 + 7] = 0xff;
    net_csum_fill(g, sizeof(g), &loc);
    ck_assert_uint_eq(g[72], 0xff);
    ck_assert_uint_eq(g[73], 0xff);
}
END_TEST

static Suite *netback_suite(void)
{
    Suite *s = suite_create("netback");
    TCase *tc = tcase_create("rings");
    tcase_add_checked_fixture(tc, setup, NULL);
    tcase_add_test(tc, one_slot_packet_goes_to_the_device);
    tcase_add_test(tc, multi_slot_packet_with_extra_gets_null_response);
    tcase_add_test(tc, partial_checksum_is_completed_in_software);
    tcase_add_loop_test(tc, gso_packet_is_cut_into_segments_for_a_device_without_tso, 0, 2);
    tcase_add_test(tc, gso_segments_wait_for_device_buffers_and_keep_their_order);
    tcase_add_test(tc, gso_with_a_device_that_has_tso_goes_whole);
    tcase_add_test(tc, gso_cuts_tcp6_segments);
    tcase_add_test(tc, packet_not_all_posted_waits);
    tcase_add_test(tc, full_device_leaves_requests_on_the_ring);
    tcase_add_loop_test(tc, hostile_tx_packets_get_errors, 0, ARRAY_SIZE(bad_txs));
    tcase_add_test(tc, gso_not_offered_and_unknown_extras_are_refused);
    tcase_add_test(tc, too_many_slots_are_refused);
    tcase_add_test(tc, producer_running_ahead_breaks_the_rings);
    tcase_add_test(tc, received_frames_fill_posted_buffers_in_slot_order);
    tcase_add_test(tc, read_only_or_bad_rx_grant_drops_the_frame_with_error);
    tcase_add_test(tc, csum_locate_and_fill);
    suite_add_tcase(s, tc);
    return s;
}

UNIT_SUITE(netback_suite)
