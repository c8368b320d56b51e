/*
 * xenstore: the shared ring — messages bigger than the ring, byte-wise
 * and batched delivery, indices that do not start at zero, backpressure,
 * and a hostile guest (bad indices, oversized headers, garbage, index
 * scribbling) that loses its connection but never harms pvshim, then
 * reconnects.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pvshim/heap.h>
#include "test_rng.h"
#include "unit.h"
#include "xenstore_sim.h"

#define OK(expr) ck_assert_int_eq((expr), 0)

static void put_request(uint32_t type, uint32_t req_id, const void *payload, uint32_t len)
{
    struct xsd_sockmsg h = { .type = type, .req_id = req_id, .tx_id = 0, .len = len };
    sim_put_bytes(&h, sizeof(h));
    sim_put_bytes(payload, len);
}

START_TEST(features_are_advertised)
{
    ck_assert_uint_eq(sim.ring->server_features,
                      XENSTORE_SERVER_FEATURE_RECONNECTION | XENSTORE_SERVER_FEATURE_ERROR);
    ck_assert_uint_eq(sim.ring->connection, XENSTORE_CONNECTED);
    ck_assert_uint_eq(sim.ring->error, XENSTORE_ERROR_NONE);
    ck_assert(!xenstore_guest_connection_broken());
}
END_TEST

START_TEST(messages_larger_than_the_ring)
{
    static char req[XENSTORE_PAYLOAD_MAX];
    size_t plen = strlen("data/big") + 1;
    memcpy(req, "data/big", plen);
    for (size_t i = plen; i < sizeof(req); i++)
        req[i] = (char)('a' + i % 26);
    /* As dom0 (no node-size quota) nearly the whole payload can be a value. */
    size_t vlen = XENSTORE_PAYLOAD_MAX - sizeof(SIM_HOME "/data/big");
    OK(xenstore_dom0_write(SIM_HOME "/data/big", req + plen, vlen));
    ck_assert_int_eq(xenstore_dom0_write(SIM_HOME "/data/big", req + plen, vlen + 1),
                     -XEN_E2BIG);
    for (int round = 0; round < 3; round++) {
        struct sim_msg m;
        sim_request(XS_READ, 0, "data/big", plen, &m);
        ck_assert_uint_eq(m.hdr.type, XS_READ);
        ck_assert_uint_eq(m.hdr.len, vlen);
        ck_assert_mem_eq(m.body, req + plen, vlen);
    }
    /* A request of the maximum size gets through too (the answer is an error: too big a node). */
    ck_assert_str_eq(sim_try(XS_WRITE, 0, req, sizeof(req)), "ENOSPC");
    ck_assert(!xenstore_guest_connection_broken());
}
END_TEST

START_TEST(byte_by_byte_and_batched)
{
    struct xsd_sockmsg h = { .type = XS_READ, .req_id = 9, .len = 5 };
    char bytes[sizeof(h) + 5];
    memcpy(bytes, &h, sizeof(h));
    memcpy(bytes + sizeof(h), "name", 5);
    for (size_t i = 0; i < sizeof(bytes); i++) {
        ck_assert_uint_eq(sim_put_some(bytes + i, 1), 1);
        xenstore_guest_notified();
        if (i + 1 < sizeof(bytes))
            ck_assert_uint_eq(sim_rsp_pending(), 0);
    }
    struct sim_msg m;
    ck_assert(sim_get_msg(&m));
    ck_assert_uint_eq(m.hdr.req_id, 9);
    ck_assert_str_eq(m.body, "guest");

    /* Several requests before one notification: answered in order. */
    for (uint32_t id = 100; id < 140; id++)
        put_request(XS_READ, id, "domid", 6);
    xenstore_guest_notified();
    for (uint32_t id = 100; id < 140; id++) {
        ck_assert(sim_get_msg(&m));
        ck_assert_uint_eq(m.hdr.req_id, id);
        ck_assert_str_eq(m.body, "5");
    }
    ck_assert(!sim_get_msg(&m));
}
END_TEST

START_TEST(indices_need_not_start_at_zero)
{
    sim_teardown();
    memset(&sim, 0, sizeof(sim));
    sim.heap_base = heap_bytes_in_use();
    struct xenstore_guest_params p;
    sim_default_params(&p);
    sim.ring = aligned_alloc(4096, 4096);
    memset(sim.ring, 0, 4096);
    sim.ring->req_cons = sim.ring->req_prod = 0xfffffff0u;
    sim.ring->rsp_cons = sim.ring->rsp_prod = 0xffffff00u;
    OK(xenstore_init(&p, NULL, sim.ring, NULL, NULL));
    /* Wrap the 32-bit indices many times over. */
    for (int i = 0; i < 200; i++)
        ck_assert_str_eq(sim_read(0, "name"), "guest");
    ck_assert_uint_lt(sim.ring->req_cons, 0x10000u);
    ck_assert(!xenstore_guest_connection_broken());
}
END_TEST

START_TEST(backpressure_when_replies_are_not_read)
{
    static char value[4000];
    memset(value, 'v', sizeof(value));
    OK(xenstore_dom0_write(SIM_HOME "/data/v", value, sizeof(value)));
    /* Ask again and again without reading: replies pile up, then requests wait. */
    uint32_t sent = 0;
    while (sent < 200) {
        struct xsd_sockmsg h = { .type = XS_READ, .req_id = sent, .len = 7 };
        char msg[sizeof(h) + 7];
        memcpy(msg, &h, sizeof(h));
        memcpy(msg + sizeof(h), "data/v", 7);
        uint32_t room = XENSTORE_RING_SIZE - (sim.ring->req_prod - sim.ring->req_cons);
        if (room < sizeof(msg))
            break;
        sim_put_some(msg, sizeof(msg));
        xenstore_guest_notified();
        sent++;
    }
    ck_assert_uint_lt(sent, 200);       /* pvshim stopped taking requests */
    ck_assert(xenstore_guest_notified());   /* and says there is work left */
    ck_assert_uint_eq(sim_rsp_pending(), XENSTORE_RING_SIZE);
    /* Reading everything gets every answer, in order. */
    for (uint32_t id = 0; id < sent; id++) {
        struct sim_msg m;
        ck_assert(sim_get_msg(&m));
        ck_assert_uint_eq(m.hdr.req_id, id);
        ck_assert_uint_eq(m.hdr.len, sizeof(value));
    }
    ck_assert_str_eq(sim_read(0, "name"), "guest");
}
END_TEST

static void expect_broken(uint32_t error)
{
    ck_assert(xenstore_guest_connection_broken());
    ck_assert_uint_eq(sim.ring->error, error);
}

static void reconnect(void)
{
    unsigned before = sim.notifies;
    sim.ring->connection = XENSTORE_RECONNECT;
    xenstore_guest_notified();
    ck_assert_uint_eq(sim.ring->connection, XENSTORE_CONNECTED);
    ck_assert_uint_eq(sim.ring->error, XENSTORE_ERROR_NONE);
    ck_assert_uint_eq(sim.ring->req_cons, 0);
    ck_assert_uint_eq(sim.ring->req_prod, 0);
    ck_assert_uint_eq(sim.ring->rsp_cons, 0);
    ck_assert_uint_eq(sim.ring->rsp_prod, 0);
    ck_assert_uint_gt(sim.notifies, before);
    ck_assert(!xenstore_guest_connection_broken());
}

START_TEST(oversized_header_breaks_the_connection)
{
    sim_watch("data", "w");
    sim_clear_events();
    struct xsd_sockmsg h = { .type = XS_READ, .req_id = 1, .len = XENSTORE_PAYLOAD_MAX + 1 };
    sim_put_some(&h, sizeof(h));
    xenstore_guest_notified();
    expect_broken(XENSTORE_ERROR_PROTO);
    /* Nothing more is read or answered. */
    uint32_t cons = sim.ring->req_cons;
    sim_put_some(&h, sizeof(h));
    xenstore_guest_notified();
    ck_assert_uint_eq(sim.ring->req_cons, cons);
    ck_assert_uint_eq(sim_rsp_pending(), 0);
    /* pvshim's own store is fine, and the guest's watches are gone. */
    OK(xenstore_dom0_write_str(SIM_HOME "/data/x", "1"));
    ck_assert_uint_eq(sim_rsp_pending(), 0);
    ck_assert_str_eq(dom0_control("check"), "OK");
    reconnect();
    ck_assert_str_eq(sim_read(0, "data/x"), "1");
    ck_assert_str_eq(sim_try(XS_UNWATCH, 0, "data\0w", 7), "ENOENT");
}
END_TEST

START_TEST(bad_request_indices_break_the_connection)
{
    uint32_t tx = sim_tx_start();
    sim.ring->req_prod = sim.ring->req_cons + XENSTORE_RING_SIZE + 1;
    xenstore_guest_notified();
    expect_broken(XENSTORE_ERROR_RINGIDX);
    reconnect();
    ck_assert_str_eq(sim_try1(XS_READ, tx, "name"), "ENOENT");
    /* Producer behind the consumer: just as bad. */
    sim.ring->req_cons = 100;
    sim.ring->req_prod = 50;
    xenstore_guest_notified();
    expect_broken(XENSTORE_ERROR_RINGIDX);
    reconnect();
    ck_assert_str_eq(sim_read(0, "name"), "guest");
}
END_TEST

START_TEST(bad_response_indices_break_the_connection)
{
    sim.ring->rsp_cons = sim.ring->rsp_prod + 5;   /* consumer ahead of the producer */
    struct xsd_sockmsg h = { .type = XS_READ, .req_id = 1, .len = 5 };
    sim_put_some(&h, sizeof(h));
    sim_put_some("name", 5);
    xenstore_guest_notified();
    expect_broken(XENSTORE_ERROR_RINGIDX);
    reconnect();
    ck_assert_str_eq(sim_read(0, "name"), "guest");
}
END_TEST

START_TEST(partial_message_then_silence_is_harmless)
{
    struct xsd_sockmsg h = { .type = XS_WRITE, .req_id = 1, .len = 100 };
    sim_put_some(&h, sizeof(h));
    sim_put_some("data/x\0", 7);
    for (int i = 0; i < 10; i++)
        ck_assert(!xenstore_guest_notified());
    ck_assert_uint_eq(sim_rsp_pending(), 0);
    ck_assert(!xenstore_guest_connection_broken());
    /* pvshim carries on meanwhile, and the guest's events queue up behind. */
    OK(xenstore_dom0_write_str(SIM_HOME "/data/y", "1"));
    /* A reconnect drops the half message. */
    reconnect();
    ck_assert_str_eq(sim_read(0, "data/y"), "1");
    ck_assert_str_eq(sim_try1(XS_READ, 0, "data/x"), "ENOENT");
}
END_TEST

START_TEST(reconnect_of_a_healthy_connection_resets_it)
{
    sim_watch("data", "w");
    uint32_t tx = sim_tx_start();
    sim_write(tx, "data/t", "1");
    reconnect();
    ck_assert_str_eq(sim_try1(XS_TRANSACTION_END, tx, "T"), "ENOENT");
    ck_assert_str_eq(sim_try(XS_UNWATCH, 0, "data\0w", 7), "ENOENT");
    ck_assert_str_eq(sim_try1(XS_READ, 0, "data/t"), "ENOENT");
}
END_TEST

/* xorshift: reproducible garbage. */
static uint64_t rng = 0x9e3779b97f4a7c15ull;
static uint32_t rnd(void)
{
    return (uint32_t)xorshift64(&rng);
}

START_TEST(random_requests_never_hurt)
{
    static const char *const words[] = {
        "data", "data/a", "data/a/b", "name", "/", "/local/domain/5/data/x", "@releaseDomain",
        "", "T", "F", "n5", "r0", "b5", "0", "5", "../x", "data//y", "control/shutdown",
    };
    char payload[256];
    int ok = 0;
    for (int i = 0; i < 4000; i++) {
        uint32_t len = 0;
        unsigned nwords = rnd() % 4;
        for (unsigned w = 0; w < nwords; w++) {
            const char *s = words[rnd() % (sizeof(words) / sizeof(words[0]))];
            size_t l = strlen(s) + 1;
            memcpy(payload + len, s, l);
            len += (uint32_t)l;
        }
        if (rnd() % 4 == 0)
            for (unsigned k = rnd() % 16; k; k--)
                payload[len++] = (char)rnd();
        uint32_t type = rnd() % (XS_TYPE_COUNT + 2);
        uint32_t tx = rnd() % 8 == 0 ? rnd() % 4 : 0;
        struct sim_msg m;
        sim_request(type, tx, payload, len, &m);
        ck_assert(m.hdr.type == type || m.hdr.type == XS_ERROR);
        ok += m.hdr.type == type;
        ck_assert(!xenstore_guest_connection_broken());
        if (i % 500 == 0)
            sim_clear_events();
    }
    ck_assert_int_gt(ok, 200);
    ck_assert_str_eq(dom0_control("check"), "OK");
}
END_TEST

START_TEST(random_ring_scribbling_never_hurts)
{
    int broken = 0, answered = 0;
    for (int round = 0; round < 300; round++) {
        /* Garbage bytes, random indices, random connection states. */
        for (int i = 0; i < XENSTORE_RING_SIZE; i++)
            sim.ring->req[i] = (char)rnd();
        switch (rnd() % 5) {
        case 0: sim.ring->req_prod = rnd(); break;
        case 1: sim.ring->req_prod = sim.ring->req_cons + rnd() % (XENSTORE_RING_SIZE + 1); break;
        case 2: sim.ring->rsp_cons = rnd(); break;
        case 3: sim.ring->rsp_prod = rnd(); break;
        default: sim.ring->req_cons = rnd(); break;
        }
        xenstore_guest_notified();
        OK(xenstore_dom0_write_str(SIM_HOME "/data/alive", "yes"));
        broken += xenstore_guest_connection_broken();
        answered += sim_rsp_pending() != 0;
        if (xenstore_guest_connection_broken() || rnd() % 3 == 0)
            reconnect();
    }
    /* Both outcomes happened: garbage answered, and garbage that closed the connection. */
    ck_assert_int_gt(broken, 50);
    ck_assert_int_gt(answered, 5);
    reconnect();
    ck_assert_str_eq(sim_read(0, "data/alive"), "yes");
    ck_assert_str_eq(dom0_control("check"), "OK");
}
END_TEST

START_TEST(not_initialised_or_twice)
{
    struct xenstore_guest_params p;
    sim_default_params(&p);
    ck_assert_int_eq(xenstore_init(&p, NULL, sim.ring, NULL, NULL), -XEN_EBUSY);
    sim_teardown();
    ck_assert(!xenstore_guest_notified());
    ck_assert_int_eq(xenstore_dom0_write_str("/x", "1"), -XEN_ENOSYS);
    ck_assert_int_eq(xenstore_request_shutdown("poweroff"), -XEN_ENOSYS);
    xenstore_teardown();
    /* Bad parameters. */
    struct xenstore_domain_interface *ring = aligned_alloc(4096, 4096);
    p.domid = 0;
    ck_assert_int_eq(xenstore_init(&p, NULL, ring, NULL, NULL), -XEN_EINVAL);
    p.domid = DOMID_FIRST_RESERVED;
    ck_assert_int_eq(xenstore_init(&p, NULL, ring, NULL, NULL), -XEN_EINVAL);
    sim_default_params(&p);
    p.vcpus = 0;
    ck_assert_int_eq(xenstore_init(&p, NULL, ring, NULL, NULL), -XEN_EINVAL);
    sim_default_params(&p);
    ck_assert_int_eq(xenstore_init(&p, NULL, NULL, NULL, NULL), -XEN_EINVAL);
    ck_assert_int_eq(xenstore_init(NULL, NULL, ring, NULL, NULL), -XEN_EINVAL);
    /* An all-zero quota means the defaults. */
    struct xenstore_quota q = { 0 };
    OK(xenstore_init(&p, &q, ring, NULL, NULL));
    xenstore_teardown();
    free(ring);
    /* The fixture's teardown runs again: give it something to tear down. */
    sim_setup();
}
END_TEST

static Suite *xenstore_ring_suite(void)
{
    Suite *s = suite_create("xenstore_ring");
    TCase *tc = tcase_create("ring");
    tcase_add_checked_fixture(tc, sim_setup, sim_teardown);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, features_are_advertised);
    tcase_add_test(tc, messages_larger_than_the_ring);
    tcase_add_test(tc, byte_by_byte_and_batched);
    tcase_add_test(tc, indices_need_not_start_at_zero);
    tcase_add_test(tc, backpressure_when_replies_are_not_read);
    tcase_add_test(tc, oversized_header_breaks_the_connection);
    tcase_add_test(tc, bad_request_indices_break_the_connection);
    tcase_add_test(tc, bad_response_indices_break_the_connection);
    tcase_add_test(tc, partial_message_then_silence_is_harmless);
    tcase_add_test(tc, reconnect_of_a_healthy_connection_resets_it);
    tcase_add_test(tc, random_requests_never_hurt);
    tcase_add_test(tc, random_ring_scribbling_never_hurts);
    tcase_add_test(tc, not_initialised_or_twice);
    suite_add_tcase(s, tc);
    return s;
}

UNIT_SUITE(xenstore_ring_suite)
