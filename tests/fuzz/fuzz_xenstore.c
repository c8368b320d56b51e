/*
 * pvshim's xenstore through its ring, as a hostile guest drives it:
 * well-framed requests of any type with any payload and transaction id,
 * headers that lie about their length, raw bytes, replies left unread or
 * read in pieces, ring indices and the connection field overwritten, and
 * dom0's own writes, watches and shutdown requests in between. The ring
 * client is the unit tests' (tests/unit/xenstore_sim.c). Checked: pvshim
 * never has more reply bytes outstanding than the ring holds while the
 * guest keeps the indices honest, every reply it frames is well formed,
 * and after teardown every heap byte is back (quota and leaks).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pvshim/heap.h>
#include <pvshim/status.h>
#include "xenstore_sim.h"
#include "fakes.h"
#include "fuzz_input.h"

#define MAX_STEPS 300

static struct xenstore_domain_interface *ring;
static bool honest;                 /* the guest has not forged ring indices */
static uint8_t stream[XENSTORE_RING_SIZE * 4 + sizeof(struct xsd_sockmsg) + XENSTORE_PAYLOAD_MAX];
static size_t stream_len;
static uint32_t tx_seen;

static void on_exit_request(enum pvshim_exit reason)
{
    FZ_CHECK(0, "pvshim ended (%s) while serving xenstore:\n%s", exit_reason_name(reason),
             fake_log_text());
}

static void serve(void)
{
    for (int i = 0; i < 8 && xenstore_guest_notified(); i++)
        ;
    if (honest) {
        uint32_t out = ring->rsp_prod - ring->rsp_cons;
        FZ_CHECK(out <= XENSTORE_RING_SIZE, "%u reply bytes outstanding", out);
        FZ_CHECK(ring->req_prod - ring->req_cons <= XENSTORE_RING_SIZE,
                 "request consumer past the producer");
    }
}

/* Check the replies read so far, message by message. */
static void parse_stream(void)
{
    size_t off = 0;
    while (stream_len - off >= sizeof(struct xsd_sockmsg)) {
        struct xsd_sockmsg h;
        memcpy(&h, stream + off, sizeof(h));
        FZ_CHECK(h.len <= XENSTORE_PAYLOAD_MAX, "reply of type %u with length %u", h.type, h.len);
        FZ_CHECK(h.type < XS_TYPE_COUNT, "reply of type %u", h.type);
        if (h.type == XS_TRANSACTION_START && stream_len - off >= sizeof(h) + h.len && h.len)
            tx_seen = (uint32_t)strtoul((const char *)stream + off + sizeof(h), NULL, 10);
        if (stream_len - off < sizeof(h) + h.len)
            break;
        off += sizeof(h) + h.len;
    }
    memmove(stream, stream + off, stream_len - off);
    stream_len -= off;
}

static void read_replies(uint32_t max)
{
    uint32_t cons = ring->rsp_cons, avail = ring->rsp_prod - cons;
    if (!honest || avail > XENSTORE_RING_SIZE) {
        ring->rsp_cons = ring->rsp_prod;
        stream_len = 0;
        return;
    }
    uint32_t n = avail < max ? avail : max;
    for (uint32_t i = 0; i < n && stream_len < sizeof(stream); i++)
        stream[stream_len++] = ring->rsp[MASK_XENSTORE_IDX(cons + i)];
    __atomic_store_n(&ring->rsp_cons, cons + n, __ATOMIC_RELEASE);
    parse_stream();
}

static void send_request(struct fz *f)
{
    uint8_t b = fz_u8(f);
    struct xsd_sockmsg h = { .type = b % (XS_TYPE_COUNT + 2), .req_id = fz_u8(f) };
    uint8_t t = fz_u8(f);
    h.tx_id = t < 128 ? 0 : t < 224 ? tx_seen + (t & 3) : fz_u32(f);
    size_t len = fz_u8(f);
    if (b & 0x80)
        len += (size_t)fz_u8(f) << 8;
    char payload[4096 + 256];
    if (len > sizeof(payload))
        len = sizeof(payload);
    fz_bytes(f, payload, len);
    h.len = (uint32_t)len;
    uint8_t lie = fz_u8(f);
    if (lie == 0xff)
        h.len = fz_u32(f);                      /* a header that lies */
    size_t put = sim_put_some(&h, sizeof(h));
    for (size_t done = 0; put == sizeof(h) && done < len; ) {
        size_t n = sim_put_some(payload + done, len - done);
        xenstore_guest_notified();
        read_replies(~0u);
        if (!n)
            break;
        done += n;
    }
}

static void dom0_step(struct fz *f)
{
    static const char *paths[] = {
        "/local/domain/5/control/shutdown", "/local/domain/5/data/x", "/local/domain/5",
        "/local/domain/5/device/vif/0/state", "/vm", "/local/domain/0/backend",
        "@introduceDomain", "@releaseDomain", "/",
    };
    uint8_t b = fz_u8(f);
    const char *p = paths[(b >> 3) % (sizeof(paths) / sizeof(paths[0]))];
    switch (b & 7) {
    case 0: xenstore_dom0_write_str(p, "4"); break;
    case 1: xenstore_dom0_rm(p); break;
    case 2: xenstore_dom0_mkdir(p); break;
    case 3: xenstore_dom0_watch(p, "tok", sim_dom0_handler, NULL); break;
    case 4: xenstore_dom0_unwatch(p, "tok"); break;
    case 5: xenstore_request_shutdown(b & 8 ? "poweroff" : "suspend"); break;
    case 6: xenstore_send_sysrq('s'); break;
    default: {
        struct xenstore_perm perms[2] = { { 0, 'n' }, { SIM_DOMID, (b & 8) ? 'r' : 'b' } };
        xenstore_dom0_set_perms(p, perms, 2);
        break;
    }
    }
}

static void step(struct fz *f)
{
    uint8_t kind = fz_u8(f) % 8;
    switch (kind) {
    case 4: {                                   /* raw bytes */
        uint8_t raw[64];
        size_t n = fz_u8(f) % sizeof(raw);
        fz_bytes(f, raw, n);
        sim_put_some(raw, n);
        break;
    }
    case 5:
        read_replies(fz_u8(f) ? fz_u16(f) : 0);
        break;
    case 6: {                                   /* forged indices or a reconnect */
        uint8_t b = fz_u8(f);
        uint32_t v = fz_u32(f);
        if (b & 1)
            ring->req_prod = v;
        if (b & 2)
            ring->rsp_cons = v;
        if (b & 4)
            ring->req_cons = v;
        if (b & 8)
            ring->rsp_prod = v;
        if (b & 0xf)
            honest = false;
        if (b & 0x10) {
            ring->connection = XENSTORE_RECONNECT;
            honest = true;                      /* a reconnect resets the indices */
            stream_len = 0;
            xenstore_guest_notified();
            if (ring->connection == XENSTORE_CONNECTED) {
                FZ_CHECK(ring->req_cons == ring->req_prod && ring->rsp_cons == ring->rsp_prod,
                         "reconnect left data on the rings");
            } else {
                honest = false;
            }
        }
        break;
    }
    case 7:
        dom0_step(f);
        break;
    default:
        send_request(f);
        break;
    }
    serve();
    read_replies(~0u);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct fz f = { data, size };
    fake_exit_hook = on_exit_request;
    sim_setup();
    ring = sim.ring;
    honest = true;
    stream_len = 0;
    tx_seen = 0;
    for (unsigned i = 0; f.n && i < MAX_STEPS; i++)
        step(&f);
    sim_teardown();                             /* checks that no heap byte leaked */
    fake_exit_hook = NULL;
    return 0;
}
