/*
 * pvhostile64's netfront attack (net=1): a frontend of our own for vif 0,
 * connected through pvshim's xenstore like netfront, that posts tx and rx
 * requests meant to break the backend. Every slot of a bad tx packet must
 * come back as an error (NETIF_RSP_NULL for its extra-info slots), never
 * reaching the device; an rx request with a bad grant gets an error
 * response, the frame dropped; good packets in between still work (an ARP
 * request to QEMU's user-mode gateway, whose reply fills a good rx
 * buffer); a tx producer that runs a ring ahead ends the rings, not pvshim.
 * Nothing leaves QEMU: the only frames are ARP to its gateway.
 */
#include "hostile.h"
#include <xen/io/xs_wire.h>
#include <xen/io/netif.h>
#include <xen/io/xenbus.h>

#define NET_RING_SIZE   256             /* one page of netif tx or rx entries */
#define FE_DIR          "device/vif/0"

/* Grant refs of ours (after blkfront.c's). */
#define REF_TX_RING     30
#define REF_RX_RING     31
#define REF_PKT         32              /* pkt, read-only: what we send */
#define REF_RXBUF       33              /* rxbuf read-write */
#define REF_RXBUF_RO    34              /* rxbuf read-only: no good for receiving */
#define REF_NET_L4      35              /* our live L4 */
#define REF_NET_PVSHIM  36              /* a frame that is not ours */
#define REF_NET_UNUSED  40              /* flags 0 */
#define REF_NET_BEYOND  100000          /* past any table */

static __attribute__((aligned(4096))) uint8_t tx_page[4096];
static __attribute__((aligned(4096))) uint8_t rx_page[4096];
static __attribute__((aligned(4096))) uint8_t pkt[4096];
static __attribute__((aligned(4096))) uint8_t rxbuf[4096];

static netif_tx_sring_t *tx;
static netif_rx_sring_t *rx;
static evtchn_port_t port;
static RING_IDX tx_prod, tx_cons, rx_prod, rx_cons;
static uint8_t mac[6];
static uint16_t next_id = 1;
static unsigned long refused, answered_ok;

static netif_tx_request_t *tx_slot(RING_IDX i)
{
    return &((union netif_tx_sring_entry *)(void *)tx->ring)[i & (NET_RING_SIZE - 1)].req;
}

static netif_tx_response_t *tx_rsp(RING_IDX i)
{
    return &((union netif_tx_sring_entry *)(void *)tx->ring)[i & (NET_RING_SIZE - 1)].rsp;
}

static union netif_rx_sring_entry *rx_slot(RING_IDX i)
{
    return &((union netif_rx_sring_entry *)(void *)rx->ring)[i & (NET_RING_SIZE - 1)];
}

static void push_tx(void)
{
    fe_barrier();
    tx->req_prod = tx_prod;
    fe_barrier();
    fe_kick(port);
}

/* Wait for the responses to the n ring slots posted last; the first's status. */
static int16_t tx_answers(const char *what, unsigned n, unsigned *nulls)
{
    for (unsigned long i = 0; i < FE_WAIT_LOOPS && tx->rsp_prod - tx_cons < n; i++)
        fe_yield();
    fe_barrier();
    if (tx->rsp_prod - tx_cons < n) {
        fail(what, tx->rsp_prod - tx_cons, n);
        tx_cons = tx->rsp_prod;
        return 99;
    }
    int16_t first = tx_rsp(tx_cons)->status;
    *nulls = 0;
    for (unsigned i = 0; i < n; i++)
        *nulls += tx_rsp(tx_cons + i)->status == NETIF_RSP_NULL;
    tx_cons += n;
    tx->rsp_event = tx_cons + 1;
    return first;
}

static netif_tx_request_t txreq(grant_ref_t ref, uint16_t offset, uint16_t size, uint16_t flags)
{
    return (netif_tx_request_t){ .gref = ref, .offset = offset, .flags = flags,
                                 .id = next_id++, .size = size };
}

/* One packet of n ring slots (data and extras as given), expected refused. */
static void tx_refused(const char *what, const void *slots, unsigned n, unsigned extras)
{
    for (unsigned i = 0; i < n; i++)
        memcpy(tx_slot(tx_prod++), (const uint8_t *)slots + i * sizeof(netif_tx_request_t),
               sizeof(netif_tx_request_t));
    push_tx();
    unsigned nulls;
    int16_t st = tx_answers(what, n, &nulls);
    if (st != NETIF_RSP_ERROR)
        fail(what, (uint64_t)(int64_t)st, n);
    else if (nulls != extras)
        fail(what, nulls, extras);
    else
        refused++;
}

/* An ARP request for QEMU's gateway (10.0.2.2) from 10.0.2.15, in pkt. */
static uint16_t arp_request(void)
{
    static const uint8_t head[] = { 0x08, 0x06, 0, 1, 0x08, 0x00, 6, 4, 0, 1 };
    memset(pkt, 0, 64);
    memset(pkt, 0xff, 6);
    memcpy(pkt + 6, mac, 6);
    memcpy(pkt + 12, head, sizeof(head));
    memcpy(pkt + 22, mac, 6);
    static const uint8_t ips[] = { 10, 0, 2, 15, 0, 0, 0, 0, 0, 0, 10, 0, 2, 2 };
    memcpy(pkt + 28, ips, sizeof(ips));
    return 42;
}

static void tx_good(const char *what)
{
    netif_tx_request_t r = txreq(REF_PKT, 0, arp_request(), 0);
    *tx_slot(tx_prod++) = r;
    push_tx();
    unsigned nulls;
    int16_t st = tx_answers(what, 1, &nulls);
    if (st != NETIF_RSP_OKAY)
        fail(what, (uint64_t)(int64_t)st, 0);
    else
        answered_ok++;
}

static void post_rx(grant_ref_t ref)
{
    netif_rx_request_t *q = &rx_slot(rx_prod++)->req;
    q->id = next_id++;
    q->gref = ref;
    fe_barrier();
    rx->req_prod = rx_prod;
    fe_barrier();
    fe_kick(port);
}

/* The next rx response (a frame the device received), or false. */
static bool rx_answer(netif_rx_response_t *out)
{
    for (unsigned long i = 0; i < FE_WAIT_LOOPS && rx->rsp_prod == rx_cons; i++)
        fe_yield();
    fe_barrier();
    if (rx->rsp_prod == rx_cons)
        return false;
    *out = rx_slot(rx_cons++)->rsp;
    rx->rsp_event = rx_cons + 1;
    return true;
}

static bool parse_mac(const char *s)
{
    for (unsigned i = 0; i < 6; i++) {
        unsigned v = 0;
        for (unsigned k = 0; k < 2; k++) {
            char c = s[i * 3 + k];
            v = v * 16 + (unsigned)(c >= '0' && c <= '9' ? c - '0' :
                                    c >= 'a' && c <= 'f' ? c - 'a' + 10 : 99);
        }
        if (v > 255)
            return false;
        mac[i] = (uint8_t)v;
    }
    return true;
}

static bool setup(char *be_path, size_t be_len)
{
    if (!fe_init())
        return false;
    char path[160], val[32];
    fe_cat(path, FE_DIR, "backend");
    if (fe_xs_call(XS_READ, path, 0, be_path, (uint32_t)be_len)) {
        fail("net: no device/vif/0/backend (is there a NIC?)", 0, 0);
        return false;
    }
    uint64_t be_id, rx_copy;
    fe_cat(path, FE_DIR, "mac");
    if (!fe_xs_read_u(FE_DIR, "backend-id", &be_id) ||
        !fe_wait_state(be_path, XenbusStateInitWait) ||
        !fe_xs_read_u(be_path, "feature-rx-copy", &rx_copy) || rx_copy != 1 ||
        fe_xs_call(XS_READ, path, 0, val, sizeof(val)) || !parse_mac(val)) {
        fail("net: backend not in InitWait with feature-rx-copy, or no mac", 0, 0);
        return false;
    }
    struct evtchn_alloc_unbound au = { .dom = DOMID_SELF, .remote_dom = (domid_t)be_id };
    if (hypercall5(__HYPERVISOR_event_channel_op, EVTCHNOP_alloc_unbound, &au, 0, 0, 0)) {
        fail("net: alloc_unbound", 0, 0);
        return false;
    }
    port = au.port;
    memset(tx_page, 0, PG);
    memset(rx_page, 0, PG);
    tx = (netif_tx_sring_t *)tx_page;
    rx = (netif_rx_sring_t *)rx_page;
    tx->req_event = tx->rsp_event = rx->req_event = rx->rsp_event = 1;
    domid_t be = (domid_t)be_id;
    fe_grant(REF_TX_RING, fe_mfn_of(tx_page), be, GTF_permit_access);
    fe_grant(REF_RX_RING, fe_mfn_of(rx_page), be, GTF_permit_access);
    fe_grant(REF_PKT, fe_mfn_of(pkt), be, GTF_permit_access | GTF_readonly);
    fe_grant(REF_RXBUF, fe_mfn_of(rxbuf), be, GTF_permit_access);
    fe_grant(REF_RXBUF_RO, fe_mfn_of(rxbuf), be, GTF_permit_access | GTF_readonly);
    fe_grant(REF_NET_L4, l4_mfn, be, GTF_permit_access);
    fe_grant(REF_NET_PVSHIM, 0x100, be, GTF_permit_access);
    if (!fe_xs_write_u(FE_DIR, "tx-ring-ref", REF_TX_RING) ||
        !fe_xs_write_u(FE_DIR, "rx-ring-ref", REF_RX_RING) ||
        !fe_xs_write_u(FE_DIR, "event-channel", port) ||
        !fe_xs_write_u(FE_DIR, "request-rx-copy", 1) ||
        !fe_xs_write_u(FE_DIR, "feature-rx-notify", 1) ||
        !fe_xs_write_u(FE_DIR, "feature-sg", 1) ||
        !fe_xs_write_u(FE_DIR, "state", XenbusStateConnected) ||
        !fe_wait_state(be_path, XenbusStateConnected)) {
        fail("net: handshake", 0, 0);
        return false;
    }
    return true;
}

static void tx_attacks(void)
{
    netif_tx_request_t r[24];
    unsigned len = arp_request();

    tx_good("net: good ARP request");
    r[0] = txreq(REF_NET_BEYOND, 0, (uint16_t)len, 0);
    tx_refused("net: tx grant ref past the table", r, 1, 0);
    r[0] = txreq(REF_NET_UNUSED, 0, (uint16_t)len, 0);
    tx_refused("net: tx grant ref never set up", r, 1, 0);
    r[0] = txreq(REF_NET_L4, 0, (uint16_t)len, 0);
    tx_refused("net: tx from our L4", r, 1, 0);
    r[0] = txreq(REF_NET_PVSHIM, 0, (uint16_t)len, 0);
    tx_refused("net: tx from a frame that is not ours", r, 1, 0);
    r[0] = txreq(REF_PKT, 4000, 200, 0);
    tx_refused("net: offset + size past the page", r, 1, 0);
    r[0] = txreq(REF_PKT, 0, 0, 0);
    tx_refused("net: size 0", r, 1, 0);
    r[0] = txreq(REF_PKT, 0, 10, 0);
    tx_refused("net: shorter than an Ethernet header", r, 1, 0);
    r[0] = txreq(REF_PKT, 0, 65535, 0);
    tx_refused("net: 65535 bytes in one slot", r, 1, 0);

    /* Too many slots: 20 data slots chained by more_data. */
    for (unsigned i = 0; i < 20; i++)
        r[i] = txreq(REF_PKT, 0, i == 0 ? 20 * 60 : 60, i + 1 < 20 ? NETTXF_more_data : 0);
    tx_refused("net: 20 data slots", r, 20, 0);
    /* The slots hold more than the packet's size. */
    r[0] = txreq(REF_PKT, 0, 100, NETTXF_more_data);
    r[1] = txreq(REF_PKT, 0, 200, 0);
    tx_refused("net: slots larger than the packet", r, 2, 0);
    /* A later slot past its page. */
    r[0] = txreq(REF_PKT, 0, 200, NETTXF_more_data);
    r[1] = txreq(REF_PKT, 4090, 100, 0);
    tx_refused("net: second slot past its page", r, 2, 0);
    /* A later slot with a bad grant: the whole packet is refused. */
    r[0] = txreq(REF_PKT, 0, 200, NETTXF_more_data);
    r[1] = txreq(REF_NET_L4, 0, 100, 0);
    tx_refused("net: second slot's grant is our L4", r, 2, 0);
    /* Extra-info: an unknown type; a GSO kind that was not offered. */
    netif_extra_info_t *e = (netif_extra_info_t *)(void *)&r[1];
    r[0] = txreq(REF_PKT, 0, (uint16_t)len, NETTXF_extra_info);
    memset(e, 0, sizeof(*e));
    e->type = 99;
    tx_refused("net: unknown extra-info type", r, 2, 1);
    r[0] = txreq(REF_PKT, 0, (uint16_t)len, NETTXF_extra_info | NETTXF_csum_blank);
    memset(e, 0, sizeof(*e));
    e->type = XEN_NETIF_EXTRA_TYPE_GSO;
    e->u.gso.type = 77;
    e->u.gso.size = 1400;
    tx_refused("net: GSO of an unknown kind", r, 2, 1);
    /* A partial checksum on an ARP frame (not TCP or UDP). */
    r[0] = txreq(REF_PKT, 0, (uint16_t)len, NETTXF_csum_blank);
    tx_refused("net: partial checksum outside TCP or UDP", r, 1, 0);
    tx_good("net: good ARP request after the bad ones");
}

static void rx_attacks(void)
{
    /* Buffers with bad grants first, then a good one: each ARP reply takes the next. */
    static const grant_ref_t bad[] = { REF_NET_BEYOND, REF_NET_UNUSED, REF_NET_L4,
                                       REF_RXBUF_RO, REF_NET_PVSHIM };
    static const char *const what[] = {
        "net: rx grant ref past the table", "net: rx grant ref never set up",
        "net: rx into our L4", "net: rx into a read-only grant",
        "net: rx into a frame that is not ours",
    };
    /* Frames that arrived before any buffer was posted come first: drain them. */
    for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        memset(rxbuf, 0xc5, PG);
        post_rx(bad[i]);
        tx_good("net: ARP request for an rx reply");
        netif_rx_response_t rsp;
        if (!rx_answer(&rsp)) {
            fail(what[i], 0xdead, 0);
            continue;
        }
        if (rsp.status != NETIF_RSP_ERROR)
            fail(what[i], (uint64_t)(int64_t)rsp.status, 0);
        else
            refused++;
        for (unsigned k = 0; k < PG; k++)
            if (rxbuf[k] != 0xc5) {
                fail("net: a refused rx buffer was written (offset, byte)", k, rxbuf[k]);
                break;
            }
    }
    memset(rxbuf, 0, PG);
    post_rx(REF_RXBUF);
    tx_good("net: ARP request for a good rx reply");
    netif_rx_response_t rsp;
    if (!rx_answer(&rsp) || rsp.status < 14 || rxbuf[rsp.offset + 12] != 0x08 ||
        rxbuf[rsp.offset + 13] != 0x06)
        fail("net: no ARP reply in the good rx buffer (status, ethertype)",
             (uint64_t)(int64_t)rsp.status, rxbuf[12]);
    else
        answered_ok++;
}

void netfront_attacks(void)
{
    char be_path[128];
    if (!setup(be_path, sizeof(be_path)))
        return;
    print("pvhostile64: net: connected\n");
    tx_attacks();
    rx_attacks();
    for (grant_ref_t g = REF_PKT; g <= REF_NET_UNUSED; g++)
        if (fe_in_use(g))
            fail("net: grant left in use (ref, flags)", g, fe_gtab[g].flags);

    /* The tx producer a ring and more ahead: the backend stops serving the rings. */
    RING_IDX before = tx->rsp_prod;
    tx_prod += NET_RING_SIZE + 5;
    *tx_slot(tx_prod - 1) = txreq(REF_PKT, 0, arp_request(), 0);
    push_tx();
    for (unsigned i = 0; i < 20000; i++)
        fe_yield();
    if (tx->rsp_prod != before)
        fail("net: responses to a producer a ring ahead", tx->rsp_prod, before);

    fe_xs_write_u(FE_DIR, "state", XenbusStateClosing);
    if (!fe_wait_state(be_path, XenbusStateClosing))
        fail("net: backend did not follow to Closing", 0, 0);
    fe_xs_write_u(FE_DIR, "state", XenbusStateClosed);
    if (!fe_wait_state(be_path, XenbusStateClosed))
        fail("net: backend did not follow to Closed", 0, 0);
    print("pvhostile64: net: ");
    print_u(refused);
    print(" bad requests refused, ");
    print_u(answered_ok);
    print(" good ones answered\n");
}
