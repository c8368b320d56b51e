/*
 * The guest's balloon target through the L0 xenstore relay
 * (xen/l0/store_target.c): reads of memory/target answered with xl's
 * number less pvshim's share; everything else untouched.
 */
#include <string.h>
#include "unit.h"
#include "../../xen/l0/store_target.h"

static struct xs_target t;

/* A request through the byte tracker. */
static void request(uint32_t type, uint32_t req_id, const char *path)
{
    struct xsd_sockmsg h = { .type = type, .req_id = req_id, .len = (uint32_t)strlen(path) + 1 };
    for (size_t i = 0; i < sizeof(h); i++)
        xs_target_request_byte(&t, ((const char *)&h)[i]);
    for (size_t i = 0; i <= strlen(path); i++)
        xs_target_request_byte(&t, path[i]);
}

static char msg[sizeof(struct xsd_sockmsg) + XENSTORE_PAYLOAD_MAX];

/* A reply through the rewriter; its payload as a string. */
static const char *reply(uint32_t type, uint32_t req_id, const char *payload)
{
    static char out[64];
    struct xsd_sockmsg h = { .type = type, .req_id = req_id, .len = (uint32_t)strlen(payload) };
    memcpy(msg, &h, sizeof(h));
    memcpy(msg + sizeof(h), payload, h.len);
    uint32_t len = xs_target_reply(&t, msg);
    memcpy(&h, msg, sizeof(h));
    ck_assert_uint_eq(len, sizeof(h) + h.len);
    ck_assert_uint_lt(h.len, sizeof(out));
    memcpy(out, msg + sizeof(h), h.len);
    out[h.len] = '\0';
    return out;
}

static void setup(void)
{
    xs_target_init(&t, 7, 5104);
}

START_TEST(target_reads_lowered)
{
    request(XS_READ, 11, "memory/target");
    ck_assert_str_eq(reply(XS_READ, 11, "262144"), "257040");
    request(XS_READ, 12, "/local/domain/7/memory/target");
    ck_assert_str_eq(reply(XS_READ, 12, "262144"), "257040");
    /* Answered once: the same id later is another request's. */
    ck_assert_str_eq(reply(XS_READ, 12, "262144"), "262144");
}
END_TEST

START_TEST(other_replies_untouched)
{
    request(XS_READ, 1, "memory/static-max");
    ck_assert_str_eq(reply(XS_READ, 1, "262144"), "262144");
    request(XS_READ, 2, "/local/domain/8/memory/target");     /* not ours */
    ck_assert_str_eq(reply(XS_READ, 2, "262144"), "262144");
    request(XS_WRITE, 3, "memory/target");
    ck_assert_str_eq(reply(XS_WRITE, 3, "OK"), "OK");
    /* A watch event carries no value. */
    request(XS_READ, 4, "memory/target");
    ck_assert_str_eq(reply(XS_WATCH_EVENT, 4, "memory/target"), "memory/target");
    ck_assert_str_eq(reply(XS_READ, 4, "1000"), "0");             /* floor 0 */
    /* An error reply forgets the read. */
    request(XS_READ, 5, "memory/target");
    ck_assert_str_eq(reply(XS_ERROR, 5, "ENOENT"), "ENOENT");
    ck_assert_str_eq(reply(XS_READ, 5, "262144"), "262144");
    /* Not a number: left as xl wrote it. */
    request(XS_READ, 6, "memory/target");
    ck_assert_str_eq(reply(XS_READ, 6, "12x"), "12x");
}
END_TEST

static Suite *store_target_suite(void)
{
    Suite *s = suite_create("store_target");
    TCase *tc = tcase_create("target");
    tcase_add_checked_fixture(tc, setup, NULL);
    tcase_add_test(tc, target_reads_lowered);
    tcase_add_test(tc, other_replies_untouched);
    suite_add_tcase(s, tc);
    return s;
}
UNIT_SUITE(store_target_suite)
