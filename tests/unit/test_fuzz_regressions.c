/*
 * Regression tests for what the fuzzers found (tests/fuzz/crashes/ holds
 * the raw reproducers, replayed by tests/integration/test_fuzz_smoke.sh);
 * here each bug as a readable case.
 */
#include <string.h>
#include <xen/elfnote.h>
#include "unit.h"
#include "image_builder.h"

/* fuzz image, feature-name-newline: a refusal quoted a feature name from
 * the image with its newline, which split pvshim's log line. */
START_TEST(loader_reason_has_no_control_characters)
{
    struct ib_image im;
    ib_linux64(&im);
    ib_drop_note(&im, XEN_ELFNOTE_FEATURES);
    ib_note_str(&im, XEN_ELFNOTE_FEATURES, "!writable_page_tables|!bad\nname\x1b[2J");
    struct ib_result *r = ib_parse_image(&im);
    IB_EXPECT_FAIL(r, "bad?name?[2J");
    for (const char *p = r->err; *p; p++)
        ck_assert_int_ge((unsigned char)*p, 0x20);
    ib_release();
}
END_TEST

/* The same for the strings pvshim logs when it accepts the kernel. */
START_TEST(loader_guest_strings_are_printable)
{
    struct ib_image im;
    ib_linux64(&im);
    ib_drop_note(&im, XEN_ELFNOTE_GUEST_OS);
    ib_drop_note(&im, XEN_ELFNOTE_GUEST_VERSION);
    ib_note_str(&im, XEN_ELFNOTE_GUEST_OS, "linux\nFAIL forged");
    ib_note_str(&im, XEN_ELFNOTE_GUEST_VERSION, "2.6\r\x7f");
    struct ib_result *r = ib_parse_image(&im);
    IB_EXPECT_OK(r);
    ck_assert_str_eq(r->img.xen.guest_os, "linux?FAIL forged");
    ck_assert_str_eq(r->img.xen.guest_version, "2.6??");
    ib_release();
}
END_TEST

static Suite *fuzz_regressions_suite(void)
{
    Suite *s = suite_create("fuzz_regressions");
    TCase *tc = tcase_create("loader");
    tcase_add_test(tc, loader_reason_has_no_control_characters);
    tcase_add_test(tc, loader_guest_strings_are_printable);
    suite_add_tcase(s, tc);
    return s;
}
UNIT_SUITE(fuzz_regressions_suite)
