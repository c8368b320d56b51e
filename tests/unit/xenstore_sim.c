/* The simulated xenbus client behind the xenstore tests (see xenstore_sim.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "sim_assert.h"
#include <pvshim/heap.h>
#include "xenstore_sim.h"

struct xs_sim sim;

static void sim_notify(void *arg)
{
    (void)arg;
    sim.notifies++;
}

/* A handler for pvshim's watches that records the last event. */
void sim_dom0_handler(const char *path, const char *token, void *arg)
{
    (void)arg;
    sim.dom0_events++;
    snprintf(sim.dom0_last_path, sizeof(sim.dom0_last_path), "%s", path);
    snprintf(sim.dom0_last_token, sizeof(sim.dom0_last_token), "%s", token);
}

void sim_default_params(struct xenstore_guest_params *p)
{
    static const uint8_t uuid[16] = { 0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77,
                                      0x88, 0x99, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff };
    memset(p, 0, sizeof(*p));
    p->domid = SIM_DOMID;
    p->name = "guest";
    memcpy(p->uuid, uuid, 16);
    p->memory_kb = 262144;
    p->max_memory_kb = 262144;
    p->vcpus = 2;
    p->store_mfn = 0x1234;
    p->store_port = 1;
    p->console_mfn = 0x1235;
    p->console_port = 2;
}

void sim_setup_with(const struct xenstore_guest_params *p, const struct xenstore_quota *q)
{
    memset(&sim, 0, sizeof(sim));
    sim.heap_base = heap_bytes_in_use();
    sim.ring = aligned_alloc(4096, 4096);
    ck_assert_ptr_nonnull(sim.ring);
    memset(sim.ring, 0, 4096);
    ck_assert_int_eq(xenstore_init(p, q, sim.ring, sim_notify, NULL), 0);
}

void sim_setup(void)
{
    struct xenstore_guest_params p;
    sim_default_params(&p);
    sim_setup_with(&p, NULL);
}

void sim_teardown(void)
{
    xenstore_teardown();
    /* Everything xenstore allocated came back. */
    ck_assert_uint_eq(heap_bytes_in_use(), sim.heap_base);
    free(sim.ring);
    sim.ring = NULL;
}

static uint32_t ld(uint32_t *p) { return __atomic_load_n(p, __ATOMIC_ACQUIRE); }
static void st(uint32_t *p, uint32_t v) { __atomic_store_n(p, v, __ATOMIC_RELEASE); }

size_t sim_put_some(const void *data, size_t len)
{
    struct xenstore_domain_interface *r = sim.ring;
    uint32_t cons = ld(&r->req_cons), prod = r->req_prod;
    size_t room = XENSTORE_RING_SIZE - (prod - cons);
    size_t n = len < room ? len : room;
    for (size_t i = 0; i < n; i++)
        r->req[MASK_XENSTORE_IDX(prod + i)] = ((const char *)data)[i];
    st(&r->req_prod, prod + (uint32_t)n);
    return n;
}

void sim_put_bytes(const void *data, size_t len)
{
    /* A whole message may be larger than the ring: hand it over in pieces. */
    for (int spins = 0; len; spins++) {
        ck_assert_int_lt(spins, 100);
        size_t n = sim_put_some(data, len);
        data = (const char *)data + n;
        len -= n;
        xenstore_guest_notified();
    }
}

uint32_t sim_rsp_pending(void)
{
    return ld(&sim.ring->rsp_prod) - sim.ring->rsp_cons;
}

static void take(void *dst, uint32_t len)
{
    struct xenstore_domain_interface *r = sim.ring;
    uint32_t cons = r->rsp_cons;
    for (uint32_t i = 0; i < len; i++)
        ((char *)dst)[i] = r->rsp[MASK_XENSTORE_IDX(cons + i)];
    st(&r->rsp_cons, cons + len);
}

/* Take exactly len bytes, letting xenstore refill rsp as the guest empties it. */
static void take_all(void *dst, uint32_t len)
{
    for (int spins = 0; len; spins++) {
        ck_assert_int_lt(spins, 100);
        uint32_t avail = sim_rsp_pending();
        if (avail == 0) {
            xenstore_guest_notified();
            continue;
        }
        uint32_t n = len < avail ? len : avail;
        take(dst, n);
        dst = (char *)dst + n;
        len -= n;
    }
}

bool sim_get_msg(struct sim_msg *m)
{
    if (!sim_rsp_pending()) {
        xenstore_guest_notified();
        if (!sim_rsp_pending())
            return false;
    }
    take_all(&m->hdr, sizeof(m->hdr));
    ck_assert_uint_le(m->hdr.len, XENSTORE_PAYLOAD_MAX);
    take_all(m->body, m->hdr.len);
    m->body[m->hdr.len] = '\0';
    return true;
}

static void keep_event(const struct sim_msg *m)
{
    ck_assert_uint_lt(sim.nevents, SIM_MAX_EVENTS);
    struct sim_event *e = &sim.events[sim.nevents++];
    /* Payload: path NUL token NUL. */
    ck_assert_uint_ge(m->hdr.len, 2);
    ck_assert_int_eq(m->body[m->hdr.len - 1], '\0');
    ck_assert_uint_eq(m->hdr.req_id, 0);
    ck_assert_uint_eq(m->hdr.tx_id, 0);
    size_t plen = strlen(m->body) + 1;
    ck_assert_uint_lt(plen, m->hdr.len);
    ck_assert_uint_le(plen, sizeof(e->path));
    ck_assert_uint_le(m->hdr.len - plen, sizeof(e->token));
    memcpy(e->path, m->body, plen);
    memcpy(e->token, m->body + plen, m->hdr.len - plen);
    ck_assert_uint_eq(plen + strlen(e->token) + 1, m->hdr.len);
}

void sim_send(uint32_t type, uint32_t tx_id, const void *payload, size_t len)
{
    struct xsd_sockmsg h = { .type = type, .req_id = ++sim.next_req_id, .tx_id = tx_id,
                             .len = (uint32_t)len };
    sim_put_bytes(&h, sizeof(h));
    sim_put_bytes(payload, len);
    xenstore_guest_notified();
}

void sim_request(uint32_t type, uint32_t tx_id, const void *payload, size_t len,
                 struct sim_msg *reply)
{
    sim_send(type, tx_id, payload, len);
    for (int i = 0; i < 10000; i++) {
        ck_assert_msg(sim_get_msg(reply), "no reply to request type %u", type);
        if (reply->hdr.type == XS_WATCH_EVENT) {
            keep_event(reply);
            continue;
        }
        ck_assert_uint_eq(reply->hdr.req_id, sim.next_req_id);
        ck_assert_uint_eq(reply->hdr.tx_id, tx_id);
        ck_assert(reply->hdr.type == type || reply->hdr.type == XS_ERROR);
        return;
    }
    ck_abort_msg("too many events");
}

static struct sim_msg last;

const char *sim_try(uint32_t type, uint32_t tx, const void *payload, size_t len)
{
    sim_request(type, tx, payload, len, &last);
    return last.body;
}

const char *sim_try1(uint32_t type, uint32_t tx, const char *arg)
{
    return sim_try(type, tx, arg, strlen(arg) + 1);
}

const char *sim_read(uint32_t tx, const char *path)
{
    sim_request(XS_READ, tx, path, strlen(path) + 1, &last);
    ck_assert_msg(last.hdr.type == XS_READ, "read %s: %s", path, last.body);
    return last.body;
}

static void expect_ok(const char *what, const char *path)
{
    ck_assert_msg(last.hdr.type != XS_ERROR, "%s %s: %s", what, path, last.body);
    ck_assert_uint_eq(last.hdr.len, 3);
    ck_assert_str_eq(last.body, "OK");
}

void sim_write(uint32_t tx, const char *path, const char *value)
{
    char buf[XENSTORE_PAYLOAD_MAX];
    size_t plen = strlen(path) + 1, vlen = strlen(value);
    ck_assert_uint_le(plen + vlen, sizeof(buf));
    memcpy(buf, path, plen);
    memcpy(buf + plen, value, vlen);
    sim_request(XS_WRITE, tx, buf, plen + vlen, &last);
    expect_ok("write", path);
}

void sim_mkdir(uint32_t tx, const char *path)
{
    sim_request(XS_MKDIR, tx, path, strlen(path) + 1, &last);
    expect_ok("mkdir", path);
}

void sim_rm(uint32_t tx, const char *path)
{
    sim_request(XS_RM, tx, path, strlen(path) + 1, &last);
    expect_ok("rm", path);
}

static size_t two_strings(char *buf, const char *a, const char *b)
{
    size_t la = strlen(a) + 1, lb = strlen(b) + 1;
    memcpy(buf, a, la);
    memcpy(buf + la, b, lb);
    return la + lb;
}

void sim_watch(const char *path, const char *token)
{
    char buf[XENSTORE_PAYLOAD_MAX];
    sim_request(XS_WATCH, 0, buf, two_strings(buf, path, token), &last);
    expect_ok("watch", path);
}

void sim_unwatch(const char *path, const char *token)
{
    char buf[XENSTORE_PAYLOAD_MAX];
    sim_request(XS_UNWATCH, 0, buf, two_strings(buf, path, token), &last);
    expect_ok("unwatch", path);
}

uint32_t sim_tx_start(void)
{
    sim_request(XS_TRANSACTION_START, 0, "", 1, &last);
    ck_assert_msg(last.hdr.type == XS_TRANSACTION_START, "tx start: %s", last.body);
    return (uint32_t)strtoul(last.body, NULL, 10);
}

static char csv[XENSTORE_PAYLOAD_MAX * 2];

static const char *strings_to_csv(const char *body, uint32_t len)
{
    size_t o = 0;
    csv[0] = '\0';
    for (uint32_t i = 0; i < len; i++) {
        char ch = body[i] ? body[i] : ',';
        csv[o++] = ch;
    }
    /* Drop the separator the last NUL turned into. */
    if (o && csv[o - 1] == ',')
        o--;
    csv[o] = '\0';
    return csv;
}

const char *sim_dir(uint32_t tx, const char *path)
{
    sim_request(XS_DIRECTORY, tx, path, strlen(path) + 1, &last);
    if (last.hdr.type == XS_ERROR)
        return last.body;
    return strings_to_csv(last.body, last.hdr.len);
}

const char *sim_perms(uint32_t tx, const char *path)
{
    sim_request(XS_GET_PERMS, tx, path, strlen(path) + 1, &last);
    if (last.hdr.type == XS_ERROR)
        return last.body;
    return strings_to_csv(last.body, last.hdr.len);
}

const char *sim_set_perms(uint32_t tx, const char *path, const char *perms_csv)
{
    char buf[XENSTORE_PAYLOAD_MAX];
    size_t len = strlen(path) + 1;
    memcpy(buf, path, len);
    for (const char *p = perms_csv; ; p++) {
        buf[len++] = *p == ',' ? '\0' : *p;
        if (!*p)
            break;
    }
    return sim_try(XS_SET_PERMS, tx, buf, len);
}

void sim_collect_events(void)
{
    struct sim_msg m;
    xenstore_guest_notified();
    while (sim_rsp_pending() && sim_get_msg(&m)) {
        ck_assert_uint_eq(m.hdr.type, XS_WATCH_EVENT);
        keep_event(&m);
    }
}

void sim_clear_events(void)
{
    sim_collect_events();
    sim.nevents = 0;
}

bool sim_pop_event(char *path, char *token)
{
    if (!sim.nevents)
        return false;
    strcpy(path, sim.events[0].path);
    strcpy(token, sim.events[0].token);
    memmove(&sim.events[0], &sim.events[1], (sim.nevents - 1) * sizeof(sim.events[0]));
    sim.nevents--;
    return true;
}

bool sim_take_event(const char *path, const char *token)
{
    for (unsigned i = 0; i < sim.nevents; i++) {
        if (strcmp(sim.events[i].path, path) == 0 && strcmp(sim.events[i].token, token) == 0) {
            memmove(&sim.events[i], &sim.events[i + 1],
                    (sim.nevents - i - 1) * sizeof(sim.events[0]));
            sim.nevents--;
            return true;
        }
    }
    return false;
}

const char *dom0_read(const char *path)
{
    static char buf[XENSTORE_PAYLOAD_MAX + 1];
    size_t len;
    if (xenstore_dom0_read(path, buf, sizeof(buf), &len))
        return NULL;
    return buf;
}

const char *dom0_control(const char *cmd)
{
    static char buf[XENSTORE_PAYLOAD_MAX + 1];
    uint32_t type;
    size_t len;
    int err = xenstore_dom0_request(XS_CONTROL, 0, cmd, strlen(cmd) + 1, &type, buf,
                                    sizeof(buf) - 1, &len);
    buf[len < sizeof(buf) ? len : sizeof(buf) - 1] = '\0';
    (void)err;
    return buf;
}
