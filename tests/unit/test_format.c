/* fmt_vsnprintf against the C library's snprintf on the same formats. */
#include <stdio.h>
#include <string.h>
#include <pvshim/string.h>
#include "unit.h"

static int ours(char *buf, size_t size, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = fmt_vsnprintf(buf, size, fmt, ap);
    va_end(ap);
    return n;
}

#define SAME(fmt, ...) do {                                              \
        char a[128], b[128];                                             \
        int na = ours(a, sizeof(a), fmt, __VA_ARGS__);                   \
        int nb = snprintf(b, sizeof(b), fmt, __VA_ARGS__);               \
        ck_assert_str_eq(a, b);                                          \
        ck_assert_int_eq(na, nb);                                        \
    } while (0)

START_TEST(integers)
{
    SAME("%d %i %u", 0, -1, 4000000000u);
    SAME("%d", -2147483647 - 1);
    SAME("%ld %lu", -9000000000000000000l, 18000000000000000000ul);
    SAME("%lld", (long long)-5);
    SAME("%x %X %o", 0xdeadbeefu, 0xabcu, 0755u);
    SAME("%#x %#X %#o", 0x1fu, 0x1fu, 8u);
    SAME("%#x %#o", 0u, 0u);
    SAME("%hhx %hx", 0x1ff, 0x1ffff);
    SAME("%zu %zx", (size_t)12345, (size_t)0xfff);
}
END_TEST

START_TEST(widths_and_flags)
{
    SAME("[%5d] [%-5d] [%05d]", 42, 42, 42);
    SAME("[%+d] [% d] [%+d]", 7, 7, -7);
    SAME("[%08x] [%-8x] [%#010x]", 0xbeefu, 0xbeefu, 0xbeefu);
    SAME("[%*d] [%-*d]", 6, 1, 6, 1);
    SAME("[%.3d] [%8.3d] [%.0d]", 5, 5, 0);
    SAME("[%05d]", -42);
    SAME("[%#014llx]", 0ull);
    SAME("[%#018llx]", 0xffff810000100000ull);
}
END_TEST

START_TEST(strings_and_chars)
{
    SAME("[%s] [%10s] [%-10s] [%.2s]", "abc", "abc", "abc", "abcdef");
    SAME("[%.*s]", 3, "abcdef");
    SAME("[%c%c] [%3c]", 'o', 'k', 'x');
    SAME("100%% %s", "done");
    SAME("%p", (void *)0x1234);
}
END_TEST

START_TEST(truncation)
{
    char buf[8];
    int n = ours(buf, sizeof(buf), "%s", "0123456789");
    ck_assert_int_eq(n, 10);
    ck_assert_str_eq(buf, "0123456");
    n = ours(buf, 1, "%d", 12345);
    ck_assert_int_eq(n, 5);
    ck_assert_str_eq(buf, "");
    n = ours(NULL, 0, "%d", 12345);
    ck_assert_int_eq(n, 5);
}
END_TEST

START_TEST(parse_numbers)
{
    uint64_t v;
    ck_assert(parse_u64("0", 1, &v) && v == 0);
    ck_assert(parse_u64("123", 3, &v) && v == 123);
    ck_assert(parse_u64("0x1F", 4, &v) && v == 31);
    ck_assert(parse_u64("017", 3, &v) && v == 15);
    ck_assert(parse_u64("18446744073709551615", 20, &v) && v == UINT64_MAX);
    ck_assert(!parse_u64("18446744073709551616", 20, &v));
    ck_assert(!parse_u64("0x", 2, &v));
    ck_assert(!parse_u64("", 0, &v));
    ck_assert(!parse_u64("12a", 3, &v));
    ck_assert(!parse_u64("09", 2, &v));
}
END_TEST

static Suite *format_suite(void)
{
    Suite *s = suite_create("format");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, integers);
    tcase_add_test(tc, widths_and_flags);
    tcase_add_test(tc, strings_and_chars);
    tcase_add_test(tc, truncation);
    tcase_add_test(tc, parse_numbers);
    suite_add_tcase(s, tc);
    return s;
}
UNIT_SUITE(format_suite)
