/* The pvshim bundle: its header parser, and module 0 unpacked into modules. */
#include <string.h>
#include <stdint.h>
#include <pvshim/bundle.h>
#include <pvshim/bootinfo.h>
#include <pvshim/phys.h>
#include "unit.h"
#include "fakes.h"

static char err[256];

/* A well-formed bundle in buf: header, cmdline, kernel at 4096, initrd at 8192. */
static uint8_t buf[12288];

static struct bundle good_bundle(void)
{
    struct bundle b = {
        .version = BUNDLE_VERSION,
        .header_size = BUNDLE_HEADER_SIZE,
        .total_size = 8192 + 100,
        .kernel = { 4096, 3000 },
        .initrd = { 8192, 100 },
        .cmdline = { BUNDLE_HEADER_SIZE, 12 },
    };
    memset(buf, 0xaa, sizeof(buf));
    bundle_write_header(&b, buf);
    memcpy(buf + BUNDLE_HEADER_SIZE, "console=hvc0", 12);
    return b;
}

static void rewrite(const struct bundle *b)
{
    bundle_write_header(b, buf);
}

static void put64(unsigned off, uint64_t v)
{
    for (unsigned i = 0; i < 8; i++, v >>= 8)
        buf[off + i] = (uint8_t)v;
}

START_TEST(bundle_good)
{
    good_bundle();
    struct bundle b;
    ck_assert(bundle_is(buf, sizeof(buf)));
    ck_assert_int_eq(bundle_parse(buf, 8292, &b, err, sizeof(err)), 0);
    ck_assert_uint_eq(b.version, 1);
    ck_assert_uint_eq(b.kernel.offset, 4096);
    ck_assert_uint_eq(b.kernel.size, 3000);
    ck_assert_uint_eq(b.initrd.offset, 8192);
    ck_assert_uint_eq(b.initrd.size, 100);
    ck_assert_uint_eq(b.cmdline.size, 12);
    /* A module padded by its loader is fine: bytes past total_size are ignored. */
    ck_assert_int_eq(bundle_parse(buf, sizeof(buf), &b, err, sizeof(err)), 0);
    /* The layout is fixed: little-endian fields at their documented offsets. */
    ck_assert_int_eq(memcmp(buf, "PVSHIMBD\x01\0\0\0\x58\0\0\0", 16), 0);
    ck_assert_uint_eq(buf[BUNDLE_OFF_KERNEL_OFFSET + 1], 0x10);
}
END_TEST

START_TEST(bundle_minimal)
{
    struct bundle b = { .version = 1, .header_size = BUNDLE_HEADER_SIZE,
                        .total_size = BUNDLE_HEADER_SIZE + 1,
                        .kernel = { BUNDLE_HEADER_SIZE, 1 } };
    memset(buf, 0, sizeof(buf));
    rewrite(&b);
    struct bundle out;
    ck_assert_int_eq(bundle_parse(buf, BUNDLE_HEADER_SIZE + 1, &out, err, sizeof(err)), 0);
    ck_assert_uint_eq(out.initrd.size, 0);
    ck_assert_uint_eq(out.cmdline.size, 0);
}
END_TEST

/* Each malformation is refused with a message naming it. */
#define EXPECT_BAD(len, what) do { \
        struct bundle o_; \
        err[0] = '\0'; \
        ck_assert_int_eq(bundle_parse(buf, (len), &o_, err, sizeof(err)), -1); \
        ck_assert_msg(strstr(err, (what)) != NULL, "error \"%s\" lacks \"%s\"", err, (what)); \
    } while (0)

START_TEST(bundle_malformed_header)
{
    struct bundle b = good_bundle();
    memcpy(buf, "PVSHIMBX", 8);
    EXPECT_BAD(sizeof(buf), "magic");
    ck_assert(!bundle_is(buf, sizeof(buf)));

    good_bundle();
    EXPECT_BAD(40, "truncated");                /* shorter than the header */
    EXPECT_BAD(4, "magic");                     /* shorter than the magic */
    EXPECT_BAD(8191, "truncated");              /* shorter than total_size */

    b = good_bundle();
    b.version = 2;
    rewrite(&b);
    EXPECT_BAD(sizeof(buf), "version 2");

    b = good_bundle();
    b.header_size = 40;
    rewrite(&b);
    EXPECT_BAD(sizeof(buf), "header size");

    b = good_bundle();
    b.header_size = 0xffffffffu;
    rewrite(&b);
    EXPECT_BAD(sizeof(buf), "header size");

    good_bundle();
    put64(BUNDLE_OFF_FLAGS, 1);
    EXPECT_BAD(sizeof(buf), "reserved");
    good_bundle();
    put64(BUNDLE_OFF_RESERVED, 1ull << 63);
    EXPECT_BAD(sizeof(buf), "reserved");

    b = good_bundle();
    b.total_size = ~0ull;
    rewrite(&b);
    EXPECT_BAD(sizeof(buf), "truncated");
}
END_TEST

START_TEST(bundle_malformed_parts)
{
    struct bundle b = good_bundle();
    b.kernel = (struct bundle_part){ 0, 0 };
    rewrite(&b);
    EXPECT_BAD(sizeof(buf), "no guest kernel");

    b = good_bundle();
    b.kernel.offset = 8;                        /* inside the header */
    rewrite(&b);
    EXPECT_BAD(sizeof(buf), "kernel");

    b = good_bundle();
    b.kernel.size = 8192;                       /* past total_size */
    rewrite(&b);
    EXPECT_BAD(sizeof(buf), "outside");

    b = good_bundle();
    b.initrd.offset = ~0ull - 10;               /* offset + size wraps */
    b.initrd.size = 100;
    rewrite(&b);
    EXPECT_BAD(sizeof(buf), "initrd");

    b = good_bundle();
    b.initrd.size = ~0ull;                      /* size alone wraps */
    rewrite(&b);
    EXPECT_BAD(sizeof(buf), "initrd");

    b = good_bundle();
    b.initrd = (struct bundle_part){ 4096 + 2999, 50 };     /* overlaps the kernel */
    rewrite(&b);
    EXPECT_BAD(sizeof(buf), "overlap");

    b = good_bundle();
    b.cmdline = (struct bundle_part){ 4100, 10 };           /* inside the kernel */
    rewrite(&b);
    EXPECT_BAD(sizeof(buf), "overlap");

    b = good_bundle();
    b.initrd = (struct bundle_part){ 8192, 0 };             /* empty, yet an offset */
    rewrite(&b);
    EXPECT_BAD(sizeof(buf), "empty initrd");

    b = good_bundle();
    b.cmdline.size = 1024;                      /* over the limit */
    b.kernel.offset = 8192;
    b.kernel.size = 10;
    b.initrd = (struct bundle_part){ 0, 0 };
    rewrite(&b);
    EXPECT_BAD(sizeof(buf), "command line is 1024 bytes");

    good_bundle();
    buf[BUNDLE_HEADER_SIZE + 3] = '\0';
    EXPECT_BAD(sizeof(buf), "NUL");
}
END_TEST

/* ------------------------------------------------------------ module 0 */

static struct boot_info bi;

static void one_module(paddr_t pa, uint64_t size, const char *cmdline)
{
    memset(&bi, 0, sizeof(bi));
    bi.nr_modules = 1;
    bi.modules[0].start = pa;
    bi.modules[0].size = size;
    strcpy(bi.modules[0].cmdline, cmdline);
}

START_TEST(unpack_bundle_module)
{
    fake_phys_reset();
    good_bundle();
    memcpy(fake_phys_add(0x200000, sizeof(buf)), buf, sizeof(buf));
    one_module(0x200000, 8292, "");
    ck_assert_int_eq(bootinfo_unpack_bundle(&bi, err, sizeof(err)), 1);
    ck_assert_uint_eq(bi.nr_modules, 2);
    ck_assert_uint_eq(bi.modules[0].start, 0x201000);
    ck_assert_uint_eq(bi.modules[0].size, 3000);
    ck_assert_str_eq(bi.modules[0].cmdline, "console=hvc0");
    ck_assert_uint_eq(bi.modules[1].start, 0x202000);
    ck_assert_uint_eq(bi.modules[1].size, 100);

    /* The module's own string follows the bundle's command line. */
    one_module(0x200000, 8292, "quiet");
    ck_assert_int_eq(bootinfo_unpack_bundle(&bi, err, sizeof(err)), 1);
    ck_assert_str_eq(bi.modules[0].cmdline, "console=hvc0 quiet");

    /* No initrd: one module stays one. */
    struct bundle b = good_bundle();
    b.initrd = (struct bundle_part){ 0, 0 };
    b.cmdline = (struct bundle_part){ 0, 0 };
    b.total_size = 4096 + 3000;
    rewrite(&b);
    memcpy(phys_access(0x200000, sizeof(buf)), buf, sizeof(buf));
    one_module(0x200000, 7096, "root=x");
    ck_assert_int_eq(bootinfo_unpack_bundle(&bi, err, sizeof(err)), 1);
    ck_assert_uint_eq(bi.nr_modules, 1);
    ck_assert_str_eq(bi.modules[0].cmdline, "root=x");
}
END_TEST

START_TEST(unpack_plain_and_bad_modules)
{
    fake_phys_reset();
    uint8_t *mem = fake_phys_add(0x200000, sizeof(buf));
    memcpy(mem, "\x7f" "ELF", 4);
    one_module(0x200000, sizeof(buf), "quiet");
    ck_assert_int_eq(bootinfo_unpack_bundle(&bi, err, sizeof(err)), 0);
    ck_assert_uint_eq(bi.modules[0].start, 0x200000);
    ck_assert_str_eq(bi.modules[0].cmdline, "quiet");
    /* Shorter than the magic: a plain (if odd) module. */
    one_module(0x200000, 3, "");
    ck_assert_int_eq(bootinfo_unpack_bundle(&bi, err, sizeof(err)), 0);
    memset(&bi, 0, sizeof(bi));
    ck_assert_int_eq(bootinfo_unpack_bundle(&bi, err, sizeof(err)), 0);

    /* A truncated bundle: the loader gave fewer bytes than the header says. */
    good_bundle();
    memcpy(mem, buf, sizeof(buf));
    one_module(0x200000, 5000, "");
    ck_assert_int_eq(bootinfo_unpack_bundle(&bi, err, sizeof(err)), -1);
    ck_assert_ptr_nonnull(strstr(err, "truncated"));
    /* A module that claims more than is reachable. */
    one_module(0x200000, 1 << 30, "");
    ck_assert_int_eq(bootinfo_unpack_bundle(&bi, err, sizeof(err)), -1);
    ck_assert_ptr_nonnull(strstr(err, "out of reach"));
    /* A bundle is the only module. */
    one_module(0x200000, 8292, "");
    bi.nr_modules = 2;
    ck_assert_int_eq(bootinfo_unpack_bundle(&bi, err, sizeof(err)), -1);
    ck_assert_ptr_nonnull(strstr(err, "only module"));
    /* The two command lines together must fit the guest's. */
    char longline[1000];
    memset(longline, 'x', sizeof(longline) - 1);
    longline[sizeof(longline) - 1] = '\0';
    one_module(0x200000, 8292, longline);
    struct bundle b = good_bundle();
    b.cmdline.size = 100;
    b.kernel.offset = 4096;
    rewrite(&b);
    memset(buf + BUNDLE_HEADER_SIZE, 'y', 100);
    memcpy(mem, buf, sizeof(buf));
    ck_assert_int_eq(bootinfo_unpack_bundle(&bi, err, sizeof(err)), -1);
    ck_assert_ptr_nonnull(strstr(err, "exceed"));
}
END_TEST

static Suite *bundle_suite(void)
{
    Suite *s = suite_create("bundle");
    TCase *tc = tcase_create("parse");
    tcase_add_test(tc, bundle_good);
    tcase_add_test(tc, bundle_minimal);
    tcase_add_test(tc, bundle_malformed_header);
    tcase_add_test(tc, bundle_malformed_parts);
    suite_add_tcase(s, tc);
    tc = tcase_create("unpack");
    tcase_add_test(tc, unpack_bundle_module);
    tcase_add_test(tc, unpack_plain_and_bad_modules);
    suite_add_tcase(s, tc);
    return s;
}
UNIT_SUITE(bundle_suite)
