/*
 * The guest's store ring (docs/misc/xenstore-ring.txt). Requests are
 * taken from req[] as they arrive, whole messages or not; replies and
 * watch events wait in a local queue until rsp[] has room.
 *
 * The page is shared with the guest and may change under us at any time:
 * each index is read once per step and checked (prod - cons never more
 * than the ring size), bytes are copied out before they are looked at,
 * the producer index is loaded with acquire and our index stored with
 * release so data and indices are seen in order. A guest that breaks the
 * protocol (bad indices, a header announcing more than
 * XENSTORE_PAYLOAD_MAX) loses its connection as with xenstored: its
 * watches, transactions and queued data are dropped, the error field says
 * why, and nothing more is read until it asks to reconnect.
 *
 * Invariant: the output queue holds whole messages; out_msg is the start
 * of the message the next byte to send belongs to.
 */
#include <pvshim/string.h>
#include <pvshim/log.h>
#include "xs.h"

#define HDR sizeof(struct xsd_sockmsg)

static uint32_t load(const uint32_t *p)
{
    return __atomic_load_n(p, __ATOMIC_RELAXED);
}

static uint32_t load_acquire(const uint32_t *p)
{
    return __atomic_load_n(p, __ATOMIC_ACQUIRE);
}

static void store(uint32_t *p, uint32_t v)
{
    __atomic_store_n(p, v, __ATOMIC_RELAXED);
}

static void store_release(uint32_t *p, uint32_t v)
{
    __atomic_store_n(p, v, __ATOMIC_RELEASE);
}

static void drop_guest_state(void)
{
    struct xs_ring *r = &xstore.ring;
    watch_remove_all(&xstore.guest);
    tx_destroy_all(&xstore.guest);
    r->in_have = 0;
    r->out_start = r->out_end = r->out_msg = 0;
    r->out_reserve = 0;
}

static void mark_broken(uint32_t why)
{
    struct xs_ring *r = &xstore.ring;
    if (r->broken)
        return;
    log_warn("xenstore: guest %u broke the ring protocol (error %u), connection closed\n",
             (unsigned)xstore.guest_domid, (unsigned)why);
    r->broken = true;
    store(&r->intf->error, why);
    drop_guest_state();
    r->moved = true;
}

void ring_reset_state(void)
{
    drop_guest_state();
    xstore.ring.broken = false;
    xstore.ring.moved = false;
}

void ring_init(struct xenstore_domain_interface *intf, xenstore_notify_fn fn, void *arg)
{
    struct xs_ring *r = &xstore.ring;
    r->intf = intf;
    r->notify = fn;
    r->notify_arg = arg;
    ring_reset_state();
    /* Advertised before any byte moves, as the reconnection feature requires. */
    store(&intf->error, XENSTORE_ERROR_NONE);
    store_release(&intf->server_features,
                  XENSTORE_SERVER_FEATURE_RECONNECTION | XENSTORE_SERVER_FEATURE_ERROR);
}

/* Guest asked to reconnect: forget everything about the connection, empty the ring. */
static void reconnect(void)
{
    struct xenstore_domain_interface *intf = xstore.ring.intf;
    ring_reset_state();
    store(&intf->req_cons, 0);
    store(&intf->req_prod, 0);
    store(&intf->rsp_cons, 0);
    store(&intf->rsp_prod, 0);
    store(&intf->error, XENSTORE_ERROR_NONE);
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    store_release(&intf->connection, XENSTORE_CONNECTED);
    xstore.ring.moved = true;
}

/* Take up to want request bytes into dst; false if the connection broke. */
static bool take_request_bytes(uint8_t *dst, uint32_t want, uint32_t *got)
{
    struct xenstore_domain_interface *intf = xstore.ring.intf;
    uint32_t cons = load(&intf->req_cons);
    uint32_t prod = load_acquire(&intf->req_prod);
    *got = 0;
    if (prod - cons > XENSTORE_RING_SIZE) {
        mark_broken(XENSTORE_ERROR_RINGIDX);
        return false;
    }
    uint32_t n = MIN(prod - cons, want);
    uint32_t at = MASK_XENSTORE_IDX(cons);
    uint32_t first = MIN(n, XENSTORE_RING_SIZE - at);
    memcpy(dst, intf->req + at, first);
    memcpy(dst + first, intf->req, n - first);
    if (n) {
        store_release(&intf->req_cons, cons + n);
        xstore.ring.moved = true;
    }
    *got = n;
    return true;
}

/* Put up to len bytes into the rsp ring; false if the connection broke. */
static bool give_response_bytes(const uint8_t *src, uint32_t len, uint32_t *put)
{
    struct xenstore_domain_interface *intf = xstore.ring.intf;
    uint32_t cons = load_acquire(&intf->rsp_cons);
    uint32_t prod = load(&intf->rsp_prod);
    *put = 0;
    if (prod - cons > XENSTORE_RING_SIZE) {
        mark_broken(XENSTORE_ERROR_RINGIDX);
        return false;
    }
    uint32_t n = MIN(XENSTORE_RING_SIZE - (prod - cons), len);
    uint32_t at = MASK_XENSTORE_IDX(prod);
    uint32_t first = MIN(n, XENSTORE_RING_SIZE - at);
    memcpy(intf->rsp + at, src, first);
    memcpy(intf->rsp, src + first, n - first);
    if (n) {
        store_release(&intf->rsp_prod, prod + n);
        xstore.ring.moved = true;
    }
    *put = n;
    return true;
}

/* ------------------------------------------------------------ output queue */

static uint32_t out_free(void)
{
    return XS_OUT_FIFO_SIZE - (xstore.ring.out_end - xstore.ring.out_start);
}

static void out_copy_in(uint32_t pos, const void *src, uint32_t len)
{
    uint32_t at = pos % XS_OUT_FIFO_SIZE;
    uint32_t first = MIN(len, XS_OUT_FIFO_SIZE - at);
    memcpy(xstore.ring.out + at, src, first);
    memcpy(xstore.ring.out, (const uint8_t *)src + first, len - first);
}

static void out_copy_out(uint32_t pos, void *dst, uint32_t len)
{
    uint32_t at = pos % XS_OUT_FIFO_SIZE;
    uint32_t first = MIN(len, XS_OUT_FIFO_SIZE - at);
    memcpy(dst, xstore.ring.out + at, first);
    memcpy((uint8_t *)dst + first, xstore.ring.out, len - first);
}

static bool out_equal(uint32_t pos, const void *data, uint32_t len)
{
    uint32_t at = pos % XS_OUT_FIFO_SIZE;
    uint32_t first = MIN(len, XS_OUT_FIFO_SIZE - at);
    return memcmp(xstore.ring.out + at, data, first) == 0 &&
           memcmp(xstore.ring.out, (const uint8_t *)data + first, len - first) == 0;
}

static struct xsd_sockmsg out_header(uint32_t pos)
{
    struct xsd_sockmsg h;
    out_copy_out(pos, &h, HDR);
    return h;
}

static void out_push(uint32_t type, uint32_t req_id, uint32_t tx_id,
                     const char *a, uint32_t alen, const char *b, uint32_t blen)
{
    struct xsd_sockmsg h = { .type = type, .req_id = req_id, .tx_id = tx_id, .len = alen + blen };
    struct xs_ring *r = &xstore.ring;
    out_copy_in(r->out_end, &h, HDR);
    if (alen)
        out_copy_in(r->out_end + HDR, a, alen);
    if (blen)
        out_copy_in(r->out_end + HDR + alen, b, blen);
    r->out_end += HDR + alen + blen;
}

void ring_flush(void)
{
    struct xs_ring *r = &xstore.ring;
    if (!r->intf || r->broken)
        return;
    while (r->out_start != r->out_end) {
        uint32_t at = r->out_start % XS_OUT_FIFO_SIZE;
        uint32_t chunk = MIN(r->out_end - r->out_start, XS_OUT_FIFO_SIZE - at);
        uint32_t put;
        if (!give_response_bytes(r->out + at, chunk, &put))
            return;
        r->out_start += put;
        if (put < chunk)
            break;
    }
    /* Keep out_msg at the message the next unsent byte belongs to. */
    while (r->out_msg != r->out_start) {
        uint32_t size = HDR + out_header(r->out_msg).len;
        if (r->out_start - r->out_msg < size)
            break;
        r->out_msg += size;
    }
}

/* Is the same watch event already waiting, not yet started on the ring? */
static bool event_pending(const char *path, uint32_t plen, const char *token, uint32_t tlen)
{
    struct xs_ring *r = &xstore.ring;
    uint32_t pos = r->out_msg;
    if (pos != r->out_start)
        pos += HDR + out_header(pos).len;   /* partly sent: it no longer counts */
    while (pos != r->out_end) {
        struct xsd_sockmsg h = out_header(pos);
        if (h.type == XS_WATCH_EVENT && h.len == plen + tlen &&
            out_equal(pos + HDR, path, plen) && out_equal(pos + HDR + plen, token, tlen))
            return true;
        pos += HDR + h.len;
    }
    return false;
}

bool ring_deliver_event(struct xs_conn *c, const char *path, const char *token, bool special)
{
    struct xs_ring *r = &xstore.ring;
    if (!r->intf || r->broken)
        return false;
    uint32_t plen = (uint32_t)strlen(path) + 1, tlen = (uint32_t)strlen(token) + 1;
    if (plen + tlen > XENSTORE_PAYLOAD_MAX)
        return false;           /* xenstored does not send over-long events either */
    /* A second identical event would tell the guest nothing new (special ones excepted). */
    if (!special && event_pending(path, plen, token, tlen))
        return true;
    if (out_free() < HDR + plen + tlen + r->out_reserve)
        return false;           /* the guest is not reading: events are dropped, never replies */
    out_push(XS_WATCH_EVENT, 0, 0, path, plen, token, tlen);
    return true;
}

/* ------------------------------------------------------------ requests */

static void answer(const struct xsd_sockmsg *req)
{
    struct xs_ring *r = &xstore.ring;
    struct xs_reply reply;
    const char *body = (const char *)r->in + HDR;

    r->out_reserve = XS_MSG_MAX;
    xs_handle(&xstore.guest, req, body, &reply);
    r->out_reserve = 0;
    if (r->broken)
        return;
    /* Room was checked before the request was taken; events kept out of the reserve. */
    out_push(reply.type, req->req_id, req->tx_id, reply.data, reply.len, NULL, 0);
    if (reply.new_watch)
        watch_fire_initial(&xstore.guest, reply.new_watch);
}

bool ring_process(void)
{
    struct xs_ring *r = &xstore.ring;
    if (!r->intf)
        return false;
    if (load_acquire(&r->intf->connection) == XENSTORE_RECONNECT) {
        reconnect();
        return false;
    }
    if (r->broken)
        return false;
    ring_flush();

    for (unsigned handled = 0; !r->broken; ) {
        uint32_t got;
        if (r->in_have < HDR) {
            if (!take_request_bytes(r->in + r->in_have, HDR - r->in_have, &got))
                return false;
            r->in_have += got;
            if (r->in_have < HDR)
                return false;
        }
        struct xsd_sockmsg req;
        memcpy(&req, r->in, HDR);
        if (req.len > XENSTORE_PAYLOAD_MAX) {
            mark_broken(XENSTORE_ERROR_PROTO);
            return false;
        }
        uint32_t total = HDR + req.len;
        if (r->in_have < total) {
            if (!take_request_bytes(r->in + r->in_have, total - r->in_have, &got))
                return false;
            r->in_have += got;
            if (r->in_have < total)
                return false;
        }
        if (handled == XS_REQUESTS_PER_CALL)
            return true;
        /* Backpressure: a guest that does not read replies gets no more answered. */
        if (out_free() < XS_MSG_MAX) {
            ring_flush();
            if (out_free() < XS_MSG_MAX)
                return true;
        }
        r->in[total] = '\0';    /* handlers may rely on a NUL after the payload */
        answer(&req);
        r->in_have = 0;
        handled++;
        ring_flush();
    }
    return false;
}
