/*
 * Guest image parser, containers: raw ELF, bzImage (boot protocol >= 2.08
 * payload), whole-file compressed ELF (RHEL5 vmlinuz-*xen), and the
 * errors of each.
 *
 * Tests marked NEEDS DECODER exercise real decompression of stored /
 * uncompressed-block streams; they fail (loudly, naming the decoder)
 * while decompress() still answers DECOMP_ERR_UNSUPPORTED.
 */
#include <stdlib.h>
#include <xen/elfnote.h>
#include "unit.h"
#include "image_builder.h"

static struct ib_image im;
static uint8_t elf[1 << 16], packed[1 << 17], file[1 << 17];

static size_t linux_elf(void)
{
    ib_linux64(&im);
    return ib_build(&im, elf, sizeof(elf));
}

/* Parse file[0, len) and expect it to unpack to elf[0, elf_len). */
static struct ib_result *expect_unpacked(size_t len, size_t elf_len, const char *container,
                                         const char *decoder)
{
    struct ib_result *r = ib_parse(file, len, NULL);
    ck_assert_msg(r->rc == 0, "%s%s%s: %s", container,
                  decoder ? ": NEEDS DECODER " : "", decoder ? decoder : "", r->err);
    ck_assert_str_eq(r->img.container, container);
    ck_assert_uint_eq(r->img.elf_size, elf_len);
    ck_assert(memcmp(r->img.elf, elf, elf_len) == 0);
    ck_assert_uint_eq(r->img.entry, 0xffffffff81000010);
    return r;
}

START_TEST(raw_elf)
{
    size_t n = linux_elf();
    memcpy(file, elf, n);
    struct ib_result *r = expect_unpacked(n, n, "ELF", NULL);
    ck_assert_ptr_eq(r->img.elf, r->mod);
}
END_TEST

START_TEST(bzimage_plain_payload)
{
    size_t n = linux_elf();
    size_t len = ib_bzimage(elf, n, 27, 0x20f, file, sizeof(file));
    struct ib_result *r = expect_unpacked(len, n, "bzImage+ELF", NULL);
    /* The ELF is used in place: (27 + 1) * 512 + payload_offset 0x100. */
    ck_assert_ptr_eq(r->img.elf, r->mod + 28 * 512 + 0x100);

    /* setup_sects 0 means 4. */
    len = ib_bzimage(elf, n, 0, 0x208, file, sizeof(file));
    r = expect_unpacked(len, n, "bzImage+ELF", NULL);
    ck_assert_ptr_eq(r->img.elf, r->mod + 5 * 512 + 0x100);
}
END_TEST

START_TEST(bzimage_refusals)
{
    size_t n = linux_elf();
    size_t len = ib_bzimage(elf, n, 27, 0x207, file, sizeof(file));
    IB_EXPECT_FAIL(ib_parse(file, len, NULL),
                   "bzImage boot protocol 2.07 is older than 2.08 and does not locate its payload");

    len = ib_bzimage(elf, n, 27, 0x20c, file, sizeof(file));
    IB_EXPECT_FAIL(ib_parse(file, len - n, NULL), "truncated bzImage: payload");
    IB_EXPECT_FAIL(ib_parse(file, 0x240, NULL), "truncated bzImage: setup header");
    IB_EXPECT_FAIL(ib_parse(file, 0x207, NULL), "truncated bzImage: setup header");

    /* payload_offset that wraps a 32-bit sum is still caught. */
    file[0x248] = 0xff;
    file[0x249] = 0xff;
    file[0x24a] = 0xff;
    file[0x24b] = 0xff;
    IB_EXPECT_FAIL(ib_parse(file, len, NULL), "truncated bzImage: payload");

    len = ib_bzimage(elf, n, 27, 0x20c, file, sizeof(file));
    memset(file + 0x24c, 0, 4);
    IB_EXPECT_FAIL(ib_parse(file, len, NULL), "bzImage has an empty payload");

    /* A payload in no format we know. */
    static const uint8_t junk[16] = "this is no ELF.";
    len = ib_bzimage(junk, sizeof(junk), 27, 0x20c, file, sizeof(file));
    IB_EXPECT_FAIL(ib_parse(file, len, NULL), "bzImage payload is neither ELF nor in a known "
                   "compression format (starts 74 68 69 73)");

    /* Every prefix that cuts into the payload fails cleanly (the 4 bytes after it do not count). */
    len = ib_bzimage(elf, n, 4, 0x20c, file, sizeof(file));
    IB_EXPECT_OK(ib_parse(file, len - 4, NULL));
    for (size_t cut = 0; cut < len - 4; cut++) {
        struct ib_result *r = ib_parse(file, cut, NULL);
        ck_assert_msg(r->rc == -1 && r->err[0], "prefix %zu of a bzImage accepted", cut);
    }
}
END_TEST

START_TEST(not_a_kernel)
{
    IB_EXPECT_FAIL(ib_parse((const uint8_t *)"#!/bin/sh\n", 10, NULL),
                   "module 0 is not a kernel image: neither ELF, bzImage nor a compressed ELF "
                   "(starts 23 21 2f 62)");
    IB_EXPECT_FAIL(ib_parse((const uint8_t *)"\177E", 2, NULL), "module 0 is not a kernel image");
    IB_EXPECT_FAIL(ib_parse((const uint8_t *)"\177ELF", 4, NULL), "truncated ELF");
    IB_EXPECT_FAIL(ib_parse(NULL, 0, NULL), "module 0 (the guest kernel) is empty");
    char err[8];
    struct guest_image g;
    ck_assert_int_eq(guest_image_parse((const uint8_t *)"x", 1, NULL, 0, NULL, 0, NULL, &g,
                                       err, sizeof(err)), -1);
    ck_assert_str_eq(err, "module ");    /* cut to the buffer, terminated */
}
END_TEST

/* Whatever the decoders can do, a corrupt stream is a clean, named refusal. */
START_TEST(corrupt_streams_refused)
{
    size_t n = linux_elf();
    size_t len = ib_gzip_stored(elf, n, packed, sizeof(packed));
    packed[len - 8] ^= 0xff;            /* CRC32 */
    memcpy(file, packed, len);
    struct ib_result *r = ib_parse(file, len, NULL);
    IB_EXPECT_FAIL(r, "module 0: gzip decompression failed: ");

    len = ib_xz_uncompressed(elf, n, packed, sizeof(packed));
    size_t blen = ib_bzimage(packed, len / 2, 27, 0x20f, file, sizeof(file));
    IB_EXPECT_FAIL(ib_parse(file, blen, NULL), "bzImage payload: xz decompression failed: ");

    /* No output buffer at all. */
    len = ib_gzip_stored(elf, n, file, sizeof(file));
    struct guest_image g;
    char err[160];
    ck_assert_int_eq(guest_image_parse(file, len, NULL, 0, NULL, 0, NULL, &g, err,
                                       sizeof(err)), -1);
    ck_assert_str_eq(err, "module 0 is gzip-compressed but there is no room to decompress it");
}
END_TEST

START_TEST(whole_file_gzip_elf)      /* NEEDS DECODER gzip */
{
    /* RHEL5 ships vmlinuz-*-xen as gzip of the (32-bit PAE, legacy) ELF. */
    ib_legacy32(&im);
    size_t n = ib_build(&im, elf, sizeof(elf));
    size_t len = ib_gzip_stored(elf, n, file, sizeof(file));
    struct ib_result *r = ib_parse(file, len, NULL);
    ck_assert_msg(r->rc == 0, "gzip+ELF: NEEDS DECODER gzip: %s", r->err);
    ck_assert_str_eq(r->img.container, "gzip+ELF");
    ck_assert_uint_eq(r->img.elf_size, n);
    ck_assert(memcmp(r->img.elf, elf, n) == 0);
    ck_assert(r->img.xen.from_legacy_string);
    ck_assert_uint_eq(r->img.xen.virt_hypercall, 0xc0101000);
}
END_TEST

START_TEST(bzimage_gzip)             /* NEEDS DECODER gzip */
{
    size_t n = linux_elf();
    size_t plen = ib_gzip_stored(elf, n, packed, sizeof(packed));
    size_t len = ib_bzimage(packed, plen, 27, 0x20f, file, sizeof(file));
    expect_unpacked(len, n, "bzImage+gzip", "gzip");
}
END_TEST

START_TEST(bzimage_xz)               /* NEEDS DECODER xz */
{
    size_t n = linux_elf();
    size_t plen = ib_xz_uncompressed(elf, n, packed, sizeof(packed));
    size_t len = ib_bzimage(packed, plen, 27, 0x20f, file, sizeof(file));
    expect_unpacked(len, n, "bzImage+xz", "xz");
}
END_TEST

START_TEST(bzimage_zstd)             /* NEEDS DECODER zstd */
{
    size_t n = linux_elf();
    size_t plen = ib_zstd_raw(elf, n, packed, sizeof(packed));
    size_t len = ib_bzimage(packed, plen, 27, 0x20f, file, sizeof(file));
    expect_unpacked(len, n, "bzImage+zstd", "zstd");
}
END_TEST

START_TEST(bzimage_lz4)              /* NEEDS DECODER lz4 */
{
    size_t n = linux_elf();
    size_t plen = ib_lz4_legacy_literals(elf, n, packed, sizeof(packed));
    size_t len = ib_bzimage(packed, plen, 27, 0x20f, file, sizeof(file));
    expect_unpacked(len, n, "bzImage+lz4", "lz4");
}
END_TEST

START_TEST(decompressed_limits)      /* NEEDS DECODER gzip */
{
    size_t n = linux_elf();
    size_t len = ib_gzip_stored(elf, n, file, sizeof(file));
    ib_set_out_cap(n - 1);
    struct ib_result *r = ib_parse(file, len, NULL);
    ib_set_out_cap(0);
    IB_EXPECT_FAIL(r, "module 0: the decompressed kernel is larger than the");

    /* A stream that holds no ELF. */
    static const uint8_t text[] = "not a kernel, just text";
    len = ib_gzip_stored(text, sizeof(text), file, sizeof(file));
    IB_EXPECT_FAIL(ib_parse(file, len, NULL),
                   "module 0 decompresses (gzip) to something that is not an ELF image");
}
END_TEST

static Suite *loader_container_suite(void)
{
    Suite *s = suite_create("loader_container");
    TCase *tc = tcase_create("core");
    tcase_add_checked_fixture(tc, NULL, ib_release);
    tcase_add_test(tc, raw_elf);
    tcase_add_test(tc, bzimage_plain_payload);
    tcase_add_test(tc, bzimage_refusals);
    tcase_add_test(tc, not_a_kernel);
    tcase_add_test(tc, corrupt_streams_refused);
    suite_add_tcase(s, tc);

    TCase *dec = tcase_create("needs_decoders");
    tcase_add_checked_fixture(dec, NULL, ib_release);
    tcase_add_test(dec, whole_file_gzip_elf);
    tcase_add_test(dec, bzimage_gzip);
    tcase_add_test(dec, bzimage_xz);
    tcase_add_test(dec, bzimage_zstd);
    tcase_add_test(dec, bzimage_lz4);
    tcase_add_test(dec, decompressed_limits);
    suite_add_tcase(s, dec);
    return s;
}
UNIT_SUITE(loader_container_suite)
