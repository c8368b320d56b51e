/*
 * Guest image parser, the legacy __xen_guest string of 2.6.18-era
 * kernels: its keys, its different defaults (ELF_PADDR_OFFSET defaults to
 * VIRT_BASE, HYPERCALL_PAGE is a page number from VIRT_BASE), libelf's
 * tokenising, and its precedence below the Xen notes.
 */
#include <stdio.h>
#include <stdlib.h>
#include <xen/elfnote.h>
#include <xen/features.h>
#include "unit.h"
#include "image_builder.h"

static struct ib_image im;

static struct ib_result *legacy(const char *s)
{
    ib_legacy32(&im);
    im.xen_guest = s;
    return ib_parse_image(&im);
}

START_TEST(rhel5_i386)
{
    ib_legacy32(&im);
    struct ib_result *r = ib_parse_image(&im);
    IB_EXPECT_OK(r);
    const struct guest_image *g = &r->img;
    const struct xen_guest_params *x = &g->xen;
    ck_assert(x->from_legacy_string);
    ck_assert(!x->from_notes);
    ck_assert_str_eq(x->guest_os, "linux");
    ck_assert_str_eq(x->guest_version, "2.6");
    ck_assert_str_eq(x->xen_version, "xen-3.0");
    ck_assert_str_eq(x->loader, "generic");
    ck_assert_uint_eq(x->virt_base, 0xc0000000);
    ck_assert_uint_eq(x->paddr_offset, 0xc0000000);
    ck_assert_uint_eq(g->segments[0].vaddr, 0xc0100000);
    ck_assert_uint_eq(g->segments[1].vaddr, 0xc0102000);
    ck_assert_uint_eq(g->entry, 0xc0100000);
    /* HYPERCALL_PAGE=0x101: page 0x101 counted from VIRT_BASE. */
    ck_assert(x->has_hypercall_page);
    ck_assert_uint_eq(x->virt_hypercall, 0xc0101000);
    ck_assert_int_eq(x->pae, GUEST_PAE_EXTENDED_CR3);
    ck_assert_uint_eq(x->features_supported[0], 0x1f);
    ck_assert_uint_eq(x->features_required[0], 0);
    ck_assert(!x->bsd_symtab);
}
END_TEST

START_TEST(paddr_offset_defaults_to_virt_base)
{
    /* No ELF_PADDR_OFFSET: p_paddr holds virtual addresses (offset = VIRT_BASE). */
    struct ib_result *r = legacy("GUEST_OS=linux,XEN_VER=xen-3.0,VIRT_BASE=0xC0000000,"
                                 "PAE=yes,HYPERCALL_PAGE=0x102");
    IB_EXPECT_OK(r);
    ck_assert_uint_eq(r->img.xen.paddr_offset, 0xc0000000);
    ck_assert_uint_eq(r->img.segments[0].vaddr, 0xc0100000);
    ck_assert_uint_eq(r->img.xen.virt_hypercall, 0xc0102000);
    ck_assert_int_eq(r->img.xen.pae, GUEST_PAE_YES);
    /* No VIRT_ENTRY: e_entry. */
    ck_assert_uint_eq(r->img.entry, 0xc0100000);

    /* An explicit ELF_PADDR_OFFSET of 0 with physical p_paddr. */
    ib_legacy32(&im);
    im.seg[0].paddr = 0x100000;
    im.seg[1].paddr = 0x102000;
    im.xen_guest = "GUEST_OS=linux,XEN_VER=xen-3.0,VIRT_BASE=0xC0000000,ELF_PADDR_OFFSET=0,"
                   "VIRT_ENTRY=0xC0100020,PAE=yes";
    r = ib_parse_image(&im);
    IB_EXPECT_OK(r);
    ck_assert_uint_eq(r->img.segments[0].vaddr, 0xc0100000);
    ck_assert_uint_eq(r->img.entry, 0xc0100020);

    /* Physical p_paddr but the default offset: below ELF_PADDR_OFFSET. */
    im.xen_guest = "GUEST_OS=linux,XEN_VER=xen-3.0,VIRT_BASE=0xC0000000,PAE=yes";
    IB_EXPECT_FAIL(ib_parse_image(&im), "segment 0: physical address 0x100000 is below "
                   "ELF_PADDR_OFFSET 0xc0000000");

    /* Neither: VIRT_BASE 0 and offset 0. */
    ib_legacy32(&im);
    im.xen_guest = "GUEST_OS=linux,XEN_VER=xen-3.0,PAE=yes,HYPERCALL_PAGE=0xc0101";
    r = ib_parse_image(&im);
    IB_EXPECT_OK(r);
    ck_assert_uint_eq(r->img.xen.virt_base, 0);
    ck_assert_uint_eq(r->img.segments[0].vaddr, 0xc0100000);
    ck_assert_uint_eq(r->img.xen.virt_hypercall, 0xc0101000);

    IB_EXPECT_FAIL(legacy("GUEST_OS=linux,XEN_VER=xen-3.0,ELF_PADDR_OFFSET=0xC0000000,PAE=yes"),
                   "ELF_PADDR_OFFSET is set but VIRT_BASE is not");
}
END_TEST

START_TEST(keys_and_values)
{
    struct ib_result *r;
    r = legacy("GUEST_OS=linux,XEN_VER=xen-3.0,VIRT_BASE=0xC0000000,PAE=yes[extended-cr3],"
               "BSD_SYMTAB,UNKNOWN_KEY=1,NOVALUE");
    IB_EXPECT_OK(r);
    ck_assert(r->img.xen.bsd_symtab);
    ck_assert_int_eq(r->img.xen.pae, GUEST_PAE_EXTENDED_CR3);

    IB_EXPECT_FAIL(legacy("GUEST_OS=linux,XEN_VER=xen-3.0,PAE=no"),
                   "image is 32-bit i386 but not PAE");
    IB_EXPECT_FAIL(legacy("GUEST_OS=linux,XEN_VER=xen-3.0,PAE=yes,VIRT_BASE=0xC000000G"),
                   "__xen_guest: VIRT_BASE=0xC000000G is not a number");
    IB_EXPECT_FAIL(legacy("GUEST_OS=linux,XEN_VER=xen-3.0,PAE=yes,VIRT_ENTRY="),
                   "__xen_guest: VIRT_ENTRY= is not a number");
    IB_EXPECT_FAIL(legacy("GUEST_OS=linux,XEN_VER=xen-3.0,PAE=yes,HYPERCALL_PAGE=0x10000000000000"),
                   "HYPERCALL_PAGE=0x10000000000000 is beyond the address space");
    IB_EXPECT_FAIL(legacy("GUEST_OS=linux,XEN_VER=xen-3.0,PAE=yes,VIRT_BASE=0xC0000000,"
                          "HYPERCALL_PAGE=0x200"),
                   "HYPERCALL_PAGE 0xc0200000 is outside the kernel image");
    IB_EXPECT_FAIL(legacy("GUEST_OS=linux,XEN_VER=xen-3.0,PAE=yes,FEATURES=!bogus"),
                   "guest kernel requires Xen feature 'bogus'");
    r = legacy("GUEST_OS=linux,XEN_VER=xen-3.0,PAE=yes,"
               "FEATURES=!writable_page_tables|!supervisor_mode_kernel");
    IB_EXPECT_OK(r);
    ck_assert_uint_eq(r->img.xen.features_required[0], 1u << XENFEAT_writable_page_tables |
                                                       1u << XENFEAT_supervisor_mode_kernel);

    IB_EXPECT_FAIL(legacy("GUEST_OS=netbsd,XEN_VER=xen-3.0,PAE=yes"),
                   "(LOADER '', GUEST_OS 'netbsd')");
    IB_EXPECT_FAIL(legacy("LOADER=generic,XEN_VER=xen-2.0,PAE=yes"),
                   "built for Xen interface 'xen-2.0'");
    IB_EXPECT_FAIL(legacy(""), "kernel is neither for the generic loader nor Linux");
}
END_TEST

START_TEST(libelf_tokenising)
{
    struct ib_result *r;
    /* A value is cut at 127 characters; the rest is read as the next key. */
    static char str[256], a[128];
    memset(a, 'a', 127);
    snprintf(str, sizeof(str), "GUEST_OS=linux,XEN_VER=xen-3.0,PAE=yes,FEATURES=%.127s"
             "|dom0,BSD_SYMTAB", a);
    r = legacy(str);
    IB_EXPECT_OK(r);
    ck_assert_uint_eq(r->img.xen.features_supported[0], 0);
    ck_assert(r->img.xen.bsd_symtab);
    /* One character less and dom0 is part of the value. */
    snprintf(str, sizeof(str), "GUEST_OS=linux,XEN_VER=xen-3.0,PAE=yes,FEATURES=%.121s"
             "|dom0,BSD_SYMTAB", a);
    r = legacy(str);
    IB_EXPECT_OK(r);
    ck_assert_uint_eq(r->img.xen.features_supported[0], 1u << XENFEAT_dom0);

    /* A key is cut at 31 characters; the rest starts a new key. */
    r = legacy("GUEST_OS=linux,XEN_VER=xen-3.0,PAE=yes,"
               "0123456789012345678901234567890LOADER=generic");
    IB_EXPECT_OK(r);
    ck_assert_str_eq(r->img.xen.loader, "generic");

    /* The string is read only within its section, NUL or not. */
    ib_legacy32(&im);
    im.xen_guest = "GUEST_OS=linux,XEN_VER=xen-3.0,PAE=yes,LOADER=genericXXXX";
    im.xen_guest_len = strlen(im.xen_guest) - 4;
    r = ib_parse_image(&im);
    IB_EXPECT_OK(r);
    ck_assert_str_eq(r->img.xen.loader, "generic");
}
END_TEST

START_TEST(notes_take_precedence)
{
    /* RHEL5 kernels carry both; the notes win and the string is not read. */
    ib_pae32(&im);
    im.xen_guest = "GUEST_OS=other,XEN_VER=xen-3.0,VIRT_BASE=0x0,HYPERCALL_PAGE=0x999";
    struct ib_result *r = ib_parse_image(&im);
    IB_EXPECT_OK(r);
    ck_assert(r->img.xen.from_notes);
    ck_assert(!r->img.xen.from_legacy_string);
    ck_assert_str_eq(r->img.xen.guest_os, "linux");
    ck_assert_uint_eq(r->img.xen.virt_hypercall, 0xc0101000);

    /* Notes in a section also win. */
    im.notes_where = IB_NOTES_SECTION;
    r = ib_parse_image(&im);
    IB_EXPECT_OK(r);
    ck_assert(r->img.xen.from_notes);

    /* x86_64 2.6.18 legacy string only. */
    ib_bare(&im, 64);
    im.seg[0].paddr = 0xffffffff80200000;
    im.seg[1].paddr = 0xffffffff80202000;
    im.entry = 0xffffffff80200000;
    im.xen_guest = "GUEST_OS=linux,GUEST_VER=2.6,XEN_VER=xen-3.0,VIRT_BASE=0xffffffff80000000,"
                   "HYPERCALL_PAGE=0x204,LOADER=generic";
    r = ib_parse_image(&im);
    IB_EXPECT_OK(r);
    ck_assert_uint_eq(r->img.segments[0].vaddr, 0xffffffff80200000);
    ck_assert_uint_eq(r->img.xen.virt_hypercall, 0xffffffff80204000);
    ck_assert_uint_eq(r->img.virt_kend, 0xffffffff80205000);
}
END_TEST

START_TEST(section_outside_file)
{
    ib_legacy32(&im);
    static uint8_t b[1 << 16];
    size_t len = ib_build(&im, b, sizeof(b));
    /* Third section header (__xen_guest): push sh_offset past the end. */
    uint32_t shoff = b[32] | b[33] << 8 | b[34] << 16 | (uint32_t)b[35] << 24;
    b[shoff + 2 * 40 + 16 + 2] = 0x10;
    IB_EXPECT_FAIL(ib_parse(b, len, NULL), "truncated ELF: __xen_guest section beyond end of file");
}
END_TEST

static Suite *loader_legacy_suite(void)
{
    Suite *s = suite_create("loader_legacy");
    TCase *tc = tcase_create("core");
    tcase_add_checked_fixture(tc, NULL, ib_release);
    tcase_add_test(tc, rhel5_i386);
    tcase_add_test(tc, paddr_offset_defaults_to_virt_base);
    tcase_add_test(tc, keys_and_values);
    tcase_add_test(tc, libelf_tokenising);
    tcase_add_test(tc, notes_take_precedence);
    tcase_add_test(tc, section_outside_file);
    suite_add_tcase(s, tc);
    return s;
}
UNIT_SUITE(loader_legacy_suite)
