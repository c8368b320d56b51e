/* fill_words and fill_counts2: every word in range written, none outside. */
#include <pvshim/fill.h>
#include "unit.h"

#define GUARD 0x5a5a5a5a5a5a5a5aull

START_TEST(words_exact_range)
{
    static const size_t lens[] = { 0, 1, 7, 31, 32, 33, 64, 100 };
    for (unsigned k = 0; k < sizeof(lens) / sizeof(lens[0]); k++) {
        uint64_t buf[104];
        for (unsigned i = 0; i < 104; i++)
            buf[i] = GUARD;
        fill_words(buf + 1, 0x1234, lens[k]);
        ck_assert_uint_eq(buf[0], GUARD);
        for (size_t i = 0; i < lens[k]; i++)
            ck_assert_uint_eq(buf[1 + i], 0x1234);
        for (size_t i = lens[k] + 1; i < 104; i++)
            ck_assert_uint_eq(buf[i], GUARD);
    }
}
END_TEST

START_TEST(counts_two_arrays)
{
    static const size_t lens[] = { 0, 1, 15, 16, 17, 48, 99 };
    for (unsigned k = 0; k < sizeof(lens) / sizeof(lens[0]); k++) {
        uint64_t a[102], b[102];
        for (unsigned i = 0; i < 102; i++)
            a[i] = b[i] = GUARD;
        fill_counts2(a + 1, 1000, b + 1, 0xfffffffffffffff0ull, lens[k]);
        ck_assert_uint_eq(a[0], GUARD);
        ck_assert_uint_eq(b[0], GUARD);
        for (size_t i = 0; i < lens[k]; i++) {
            ck_assert_uint_eq(a[1 + i], 1000 + i);
            ck_assert_uint_eq(b[1 + i], 0xfffffffffffffff0ull + i);
        }
        for (size_t i = lens[k] + 1; i < 102; i++) {
            ck_assert_uint_eq(a[i], GUARD);
            ck_assert_uint_eq(b[i], GUARD);
        }
    }
}
END_TEST

static Suite *fill_suite(void)
{
    Suite *s = suite_create("fill");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, words_exact_range);
    tcase_add_test(tc, counts_two_arrays);
    suite_add_tcase(s, tc);
    return s;
}
UNIT_SUITE(fill_suite)
