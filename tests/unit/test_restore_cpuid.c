/*
 * The saved CPUID policy against pvshim's offer (shim/restore/cpuid_check.c):
 * a feature the guest saw and pvshim lacks is refused by name; bits that
 * follow control registers are not features; offering more is fine.
 */
#include <string.h>
#include <pvshim/restore_cpuid.h>
#include "unit.h"

static uint32_t offer[4];           /* what the fake offers for every leaf */
static uint32_t offer_leaf = ~0u;   /* ... or only for this leaf (others: nothing) */

static void fake_offer(uint32_t leaf, uint32_t sub, uint32_t out[4])
{
    (void)sub;
    if (offer_leaf != ~0u && leaf != offer_leaf)
        memset(out, 0, 4 * sizeof(out[0]));
    else
        memcpy(out, offer, sizeof(offer));
}

static void entry(uint8_t *e, uint32_t leaf, uint32_t sub, uint32_t a, uint32_t b, uint32_t c,
                  uint32_t d)
{
    uint32_t v[6] = { leaf, sub, a, b, c, d };
    memcpy(e, v, sizeof(v));
}

static const struct cpuid_case {
    const char *name;
    uint32_t leaf, sub, regs[4];    /* the saved entry */
    uint32_t offer[4];
    const char *want;               /* NULL: accepted; else a substring */
} cases[] = {
    { "same", 7, 0, { 0, 1, 0, 0 }, { 0, 1, 0, 0 }, NULL },
    { "more offered", 1, 0, { 0, 0, 1u << 28, 0 }, { 0, 0, ~0u, ~0u }, NULL },
    { "FSGSBASE missing", 7, 0, { 0, 1, 0, 0 }, { 0, 0, 0, 0 }, ": FSGSBASE" },
    { "AVX missing", 1, 0, { 0, 0, 1u << 28, 0 }, { 0, 0, 0, 0 }, ": AVX" },
    { "two missing", 7, 0, { 0, 1u << 5 | 1u << 8, 0, 0 }, { 0, 0, 0, 0 }, "2 CPU features" },
    { "unnamed bit", 7, 0, { 0, 1u << 1, 0, 0 }, { 0, 0, 0, 0 }, "0x7.ebx[1]" },
    { "OSXSAVE follows CR4", 1, 0, { 0, 0, 1u << 27, 0 }, { 0, 0, 0, 0 }, NULL },
    { "hypervisor bit", 1, 0, { 0, 0, 1u << 31, 0 }, { 0, 0, 0, 0 }, NULL },
    { "OSPKE follows CR4", 7, 0, { 0, 0, 1u << 4, 0 }, { 0, 0, 0, 0 }, NULL },
    { "XSAVEOPT", 0xd, 1, { 1, 0, 0, 0 }, { 0, 0, 0, 0 }, ": XSAVEOPT" },
    { "subleaf 2 of leaf 7 ignored", 7, 2, { ~0u, ~0u, ~0u, ~0u }, { 0, 0, 0, 0 }, NULL },
    { "RDTSCP", 0x80000001, 0, { 0, 0, 0, 1u << 27 }, { 0, 0, 0, 0 }, ": RDTSCP" },
    { "unknown leaf ignored", 0x12345, 0, { ~0u, ~0u, ~0u, ~0u }, { 0, 0, 0, 0 }, NULL },
};

START_TEST(restore_cpuid_case)
{
    const struct cpuid_case *c = &cases[_i];
    uint8_t policy[24];
    char err[400] = "";
    entry(policy, c->leaf, c->sub, c->regs[0], c->regs[1], c->regs[2], c->regs[3]);
    memcpy(offer, c->offer, sizeof(offer));
    offer_leaf = ~0u;
    int rc = restore_check_cpuid(policy, sizeof(policy), fake_offer, err, sizeof(err));
    if (!c->want) {
        ck_assert_msg(rc == 0, "%s: refused: %s", c->name, err);
    } else {
        ck_assert_msg(rc == -1, "%s: accepted", c->name);
        ck_assert_msg(strstr(err, c->want), "%s: \"%s\" lacks \"%s\"", c->name, err, c->want);
        ck_assert_msg(strstr(err, "X86_CPUID_POLICY"), "%s: record not named", c->name);
    }
}
END_TEST

/* Every missing feature of every entry is named, across entries. */
START_TEST(restore_cpuid_several_entries)
{
    uint8_t policy[48];
    char err[400] = "";
    entry(policy, 1, 0, 0, 0, 1u << 28, 0);
    entry(policy + 24, 7, 0, 0, 1, 0, 0);
    memset(offer, 0, sizeof(offer));
    offer_leaf = ~0u;
    ck_assert_int_eq(restore_check_cpuid(policy, sizeof(policy), fake_offer, err, sizeof(err)), -1);
    ck_assert_ptr_nonnull(strstr(err, " AVX FSGSBASE"));
    /* A trailing partial entry is never read (the parser refuses it anyway). */
    ck_assert_int_eq(restore_check_cpuid(policy, 23, fake_offer, err, sizeof(err)), 0);
}
END_TEST

static Suite *restore_cpuid_suite(void)
{
    Suite *s = suite_create("restore_cpuid");
    TCase *tc = tcase_create("compare");
    tcase_add_loop_test(tc, restore_cpuid_case, 0, (int)(sizeof(cases) / sizeof(cases[0])));
    tcase_add_test(tc, restore_cpuid_several_entries);
    suite_add_tcase(s, tc);
    return s;
}
UNIT_SUITE(restore_cpuid_suite)
