/*
 * Guest image parser, ELF side: headers, program headers, segment
 * placement and the address-space rules of each guest class; hostile and
 * truncated images.
 */
#include <stdlib.h>
#include <xen/elfnote.h>
#include <xen/features.h>
#include "unit.h"
#include "image_builder.h"

static struct ib_image im;
static uint8_t buf[1 << 16];

START_TEST(linux64_parses)
{
    ib_linux64(&im);
    struct ib_result *r = ib_parse_image(&im);
    IB_EXPECT_OK(r);
    const struct guest_image *g = &r->img;
    ck_assert_str_eq(g->container, "ELF");
    ck_assert_ptr_eq(g->elf, r->mod);
    ck_assert_uint_eq(g->elf_class, 64);
    ck_assert_uint_eq(g->machine, 62);
    ck_assert_uint_eq(g->nr_segments, 2);
    /* vaddr = paddr - PADDR_OFFSET + VIRT_BASE */
    ck_assert_uint_eq(g->segments[0].vaddr, 0xffffffff81000000);
    ck_assert_uint_eq(g->segments[0].filesz, 0x100);
    ck_assert_uint_eq(g->segments[0].memsz, 0x2000);
    ck_assert_uint_eq(g->segments[0].flags, 5);
    ck_assert_uint_eq(g->segments[1].vaddr, 0xffffffff81002000);
    ck_assert_uint_eq(g->segments[1].flags, 6);
    /* The segment's file offset reaches the bytes the builder wrote. */
    ck_assert_uint_eq(g->elf[g->segments[1].offset + 3], (uint8_t)(0x40 + 0x11 + 3));
    ck_assert_uint_eq(g->entry, 0xffffffff81000010);
    ck_assert_uint_eq(g->virt_kstart, 0xffffffff81000000);
    ck_assert_uint_eq(g->virt_kend, 0xffffffff81005000);

    const struct xen_guest_params *x = &g->xen;
    ck_assert(x->from_notes);
    ck_assert(!x->from_legacy_string);
    ck_assert_str_eq(x->guest_os, "linux");
    ck_assert_str_eq(x->guest_version, "2.6");
    ck_assert_str_eq(x->xen_version, "xen-3.0");
    ck_assert_str_eq(x->loader, "generic");
    ck_assert_uint_eq(x->virt_base, 0xffffffff80000000);
    ck_assert_uint_eq(x->paddr_offset, 0);
    ck_assert_uint_eq(x->virt_entry, 0xffffffff81000010);
    ck_assert(x->has_hypercall_page);
    ck_assert_uint_eq(x->virt_hypercall, 0xffffffff81001000);
    ck_assert(x->has_init_p2m);
    ck_assert_uint_eq(x->virt_init_p2m, 0x8000000000);
    ck_assert(x->has_l1_mfn_valid);
    ck_assert_uint_eq(x->l1_mfn_valid_mask, 1);
    ck_assert_uint_eq(x->l1_mfn_valid_value, 1);
    ck_assert(x->suspend_cancel);
    ck_assert(x->mod_start_pfn);
    ck_assert(!x->bsd_symtab);
    ck_assert(!x->has_hv_start_low);
    ck_assert(!x->has_phys32_entry);
    /* PAE_MODE "yes" means nothing for a 64-bit kernel. */
    ck_assert_int_eq(x->pae, GUEST_PAE_NO);
    ck_assert_uint_eq(x->features_required[0], 1u << XENFEAT_writable_page_tables);
    ck_assert_uint_eq(x->features_supported[0],
                      1u << XENFEAT_writable_page_tables |
                      1u << XENFEAT_linux_rsdp_unrestricted | 1u << XENFEAT_dom0);
}
END_TEST

START_TEST(pae32_parses)
{
    ib_pae32(&im);
    struct ib_result *r = ib_parse_image(&im);
    IB_EXPECT_OK(r);
    const struct guest_image *g = &r->img;
    ck_assert_uint_eq(g->elf_class, 32);
    ck_assert_uint_eq(g->machine, 3);
    ck_assert_uint_eq(g->segments[0].vaddr, 0xc0100000);
    ck_assert_uint_eq(g->segments[1].vaddr, 0xc0102000);
    ck_assert_uint_eq(g->entry, 0xc0100010);
    ck_assert_uint_eq(g->virt_kstart, 0xc0100000);
    ck_assert_uint_eq(g->virt_kend, 0xc0105000);
    ck_assert_int_eq(g->xen.pae, GUEST_PAE_EXTENDED_CR3);
    ck_assert(g->xen.has_hv_start_low);
    ck_assert_uint_eq(g->xen.hv_start_low, 0xf5800000);
    ck_assert_uint_eq(g->xen.virt_hypercall, 0xc0101000);
    ck_assert_uint_eq(g->xen.features_required[0], 0);
    ck_assert_uint_eq(g->xen.features_supported[0], 0x1f);
}
END_TEST

START_TEST(bad_headers)
{
    struct ib_result *r;
    ib_linux64(&im);
    size_t len = ib_build(&im, buf, sizeof(buf));

    buf[4] = 3;
    r = ib_parse(buf, len, NULL);
    IB_EXPECT_FAIL(r, "unknown ELF class 3");

    ib_linux64(&im);
    im.data_encoding = 2;
    IB_EXPECT_FAIL(ib_parse_image(&im), "not little-endian");

    ib_linux64(&im);
    im.type = 3;
    IB_EXPECT_FAIL(ib_parse_image(&im), "ELF type 3 is not an executable");

    ib_linux64(&im);
    im.machine = 40;
    IB_EXPECT_FAIL(ib_parse_image(&im), "ELF machine 40 is not x86");

    ib_linux64(&im);
    im.machine = 3;
    IB_EXPECT_FAIL(ib_parse_image(&im), "image is 32-bit i386 but packed as ELF64");

    ib_pae32(&im);
    im.machine = 62;
    IB_EXPECT_FAIL(ib_parse_image(&im), "image is ELF32 but its machine is x86-64");

    ib_linux64(&im);
    len = ib_build(&im, buf, sizeof(buf));
    buf[6] = 0;
    IB_EXPECT_FAIL(ib_parse(buf, len, NULL), "unknown ELF version");
}
END_TEST

START_TEST(header_tables_outside_file)
{
    ib_linux64(&im);
    size_t len = ib_build(&im, buf, sizeof(buf));
    uint8_t saved[8];
    memcpy(saved, buf + 32, 8);
    buf[32 + 6] = 0x10;         /* e_phoff far away */
    IB_EXPECT_FAIL(ib_parse(buf, len, NULL),
                   "truncated ELF: program header table beyond end of file");
    memcpy(buf + 32, saved, 8);
    buf[56] = 0xff;             /* e_phnum 0x..ff */
    buf[57] = 0xff;
    IB_EXPECT_FAIL(ib_parse(buf, len, NULL),
                   "truncated ELF: program header table beyond end of file");
    buf[56] = 3;
    buf[57] = 0;
    buf[54] = 20;               /* e_phentsize too small */
    IB_EXPECT_FAIL(ib_parse(buf, len, NULL), "program header size 20");
    buf[54] = 56;
    buf[60] = 200;              /* e_shnum */
    IB_EXPECT_FAIL(ib_parse(buf, len, NULL),
                   "truncated ELF: section header table beyond end of file");
    buf[60] = 0;                /* no sections at all is fine */
    IB_EXPECT_OK(ib_parse(buf, len, NULL));
    buf[56] = 0;
    IB_EXPECT_FAIL(ib_parse(buf, len, NULL), "ELF has no program headers");
}
END_TEST

START_TEST(segment_refusals)
{
    ib_linux64(&im);
    im.seg[1].filesz = 0x4000;
    IB_EXPECT_FAIL(ib_parse_image(&im), "segment 1: file size 0x4000 exceeds memory size 0x3000");

    ib_linux64(&im);
    im.seg[1].fixed_offset = true;
    im.seg[1].offset = 0x100000;
    IB_EXPECT_FAIL(ib_parse_image(&im), "truncated ELF: segment 1 data beyond end of file");

    ib_linux64(&im);
    im.seg[1].fixed_offset = true;
    im.seg[1].offset = UINT64_MAX - 0x10;     /* offset + size wraps */
    IB_EXPECT_FAIL(ib_parse_image(&im), "truncated ELF: segment 1 data beyond end of file");

    ib_linux64(&im);
    im.seg[1].paddr = 0x1001000;
    IB_EXPECT_FAIL(ib_parse_image(&im), "segment 1 overlaps segment 0");

    ib_linux64(&im);
    im.seg[2] = im.seg[1];
    im.seg[2].paddr = 0x1004fff;
    im.nr_segs = 3;
    IB_EXPECT_FAIL(ib_parse_image(&im), "segment 2 overlaps segment 1");
    im.seg[2].paddr = 0x1005000;        /* adjacent is fine */
    IB_EXPECT_OK(ib_parse_image(&im));

    ib_linux64(&im);
    for (unsigned i = 0; i < 17; i++)
        im.seg[i] = (struct ib_seg){ .paddr = 0x1000000 + i * 0x1000, .filesz = 0x10,
                                     .memsz = 0x1000, .flags = 5 };
    im.nr_segs = 17;
    IB_EXPECT_FAIL(ib_parse_image(&im), "more than 16 loadable segments");
    im.nr_segs = 16;
    IB_EXPECT_OK(ib_parse_image(&im));
}
END_TEST

START_TEST(segments_libelf_ignores)
{
    /* PT_LOAD without R/W/X, empty PT_LOAD and other types are not loaded. */
    ib_linux64(&im);
    im.seg[2] = (struct ib_seg){ .paddr = 0x1000000, .filesz = 0x10, .memsz = 0x10 };
    im.seg[3] = (struct ib_seg){ .paddr = 0x1000000, .memsz = 0, .flags = 5 };
    im.seg[4] = (struct ib_seg){ .type = 0x6474e551, .paddr = 0x1000000, .memsz = 0x100,
                                 .flags = 6 };
    im.nr_segs = 5;
    struct ib_result *r = ib_parse_image(&im);
    IB_EXPECT_OK(r);
    ck_assert_uint_eq(r->img.nr_segments, 2);

    /* Nothing loadable at all. */
    im.seg[0].flags = 0;
    im.seg[1].flags = 0;
    IB_EXPECT_FAIL(ib_parse_image(&im), "ELF has no loadable segments");
}
END_TEST

START_TEST(entry_checks)
{
    ib_linux64(&im);
    ib_drop_note(&im, XEN_ELFNOTE_ENTRY);
    im.entry = 0xffffffff81002010;
    struct ib_result *r = ib_parse_image(&im);
    IB_EXPECT_OK(r);
    ck_assert_uint_eq(r->img.entry, 0xffffffff81002010);

    /* e_entry is used as is, not moved by the physical-to-virtual offset. */
    im.entry = 0x1000000;
    IB_EXPECT_FAIL(ib_parse_image(&im), "ELF entry 0x1000000 is outside the loaded segments");

    ib_linux64(&im);
    ib_drop_note(&im, XEN_ELFNOTE_ENTRY);
    ib_note_u64(&im, XEN_ELFNOTE_ENTRY, 0xffffffff81005000);   /* one past the end */
    IB_EXPECT_FAIL(ib_parse_image(&im),
                   "Xen ENTRY note 0xffffffff81005000 is outside the loaded segments");

    /* In the gap between two segments: inside [kstart, kend) but not loaded. */
    ib_linux64(&im);
    im.seg[1].paddr = 0x1010000;
    ib_drop_note(&im, XEN_ELFNOTE_ENTRY);
    ib_note_u64(&im, XEN_ELFNOTE_ENTRY, 0xffffffff81008000);
    IB_EXPECT_FAIL(ib_parse_image(&im), "is outside the loaded segments");
}
END_TEST

START_TEST(hypervisor_range_64)
{
    /* A kernel placed in L4 slots 256-271. */
    ib_linux64(&im);
    ib_clear_notes(&im);
    ib_note_str(&im, XEN_ELFNOTE_GUEST_OS, "linux");
    ib_note_str(&im, XEN_ELFNOTE_XEN_VERSION, "xen-3.0");
    ib_note_u64(&im, XEN_ELFNOTE_VIRT_BASE, 0xffff800000000000);
    ib_note_u64(&im, XEN_ELFNOTE_ENTRY, 0xffff800001000000);
    IB_EXPECT_FAIL(ib_parse_image(&im), "segment 0 (0xffff800001000000-0xffff800001001fff) "
                   "lies in the hypervisor-reserved range 0xffff800000000000-0xffff87ffffffffff");

    /* Segments above the hole, but the boot region from VIRT_BASE spans it. */
    ib_clear_notes(&im);
    ib_note_str(&im, XEN_ELFNOTE_GUEST_OS, "linux");
    ib_note_str(&im, XEN_ELFNOTE_XEN_VERSION, "xen-3.0");
    ib_note_u64(&im, XEN_ELFNOTE_VIRT_BASE, 0xffff7fffff000000);
    ib_note_u64(&im, XEN_ELFNOTE_PADDR_OFFSET, 0);
    im.seg[0].paddr = 0x80001000000;    /* VIRT_BASE + paddr = 0xffff880000000000 */
    im.seg[1].paddr = 0x80001002000;
    ib_note_u64(&im, XEN_ELFNOTE_ENTRY, 0xffff880000000000);
    IB_EXPECT_FAIL(ib_parse_image(&im), "spans the hypervisor-reserved range");

    /* Non-canonical. */
    ib_linux64(&im);
    ib_clear_notes(&im);
    ib_note_str(&im, XEN_ELFNOTE_LOADER, "generic");
    ib_note_str(&im, XEN_ELFNOTE_XEN_VERSION, "xen-3.0");
    im.seg[0].paddr = 0x00007ffffffff000;
    im.seg[1].paddr = 0x0000800000001000;
    im.entry = 0x00007ffffffff000;
    IB_EXPECT_FAIL(ib_parse_image(&im), "segment 0 (0x7ffffffff000-0x800000000fff) is not in "
                   "canonical address space");
}
END_TEST

START_TEST(wraps)
{
    ib_linux64(&im);
    im.seg[1].paddr = 0x7fffffff000;    /* + VIRT_BASE wraps past 2^64 */
    IB_EXPECT_FAIL(ib_parse_image(&im), "segment 1 wraps around the end of the address space");

    ib_linux64(&im);
    im.seg[1].paddr = 0x7fffd000;       /* ends exactly at 2^64 */
    IB_EXPECT_FAIL(ib_parse_image(&im), "segment 1 wraps");

    ib_linux64(&im);
    im.seg[1].memsz = UINT64_MAX;
    im.seg[1].filesz = 0x10;
    IB_EXPECT_FAIL(ib_parse_image(&im), "segment 1 wraps");
}
END_TEST

START_TEST(hole_32bit)
{
    ib_pae32(&im);
    ib_drop_note(&im, XEN_ELFNOTE_HV_START_LOW);
    im.seg[1].paddr = 0x357fd000;       /* 0xc0000000 + 0x357fd000 + 0x3000 = 0xf5800000 */
    IB_EXPECT_OK(ib_parse_image(&im));
    im.seg[1].paddr = 0x357fe000;
    IB_EXPECT_FAIL(ib_parse_image(&im), "segment 1 (0xf57fe000-0xf5800fff) reaches into the "
                   "hypervisor hole at 0xf5800000");

    /* HV_START_LOW lowers the hole (rounded up to 2 MiB). */
    ib_pae32(&im);
    ib_drop_note(&im, XEN_ELFNOTE_HV_START_LOW);
    ib_note_u32(&im, XEN_ELFNOTE_HV_START_LOW, 0xc0100001);
    im.seg[1].paddr = 0x1fd000;         /* ends at 0xc0200000 */
    IB_EXPECT_OK(ib_parse_image(&im));
    im.seg[1].paddr = 0x1fe000;
    IB_EXPECT_FAIL(ib_parse_image(&im), "reaches into the hypervisor hole at 0xc0200000");

    ib_pae32(&im);
    ib_drop_note(&im, XEN_ELFNOTE_HV_START_LOW);
    ib_note_u32(&im, XEN_ELFNOTE_HV_START_LOW, 0xf5800001);
    IB_EXPECT_FAIL(ib_parse_image(&im), "HV_START_LOW 0xf5800001 is above the highest "
                   "hypervisor start");

    /* Beyond 4 GiB through the note offsets. */
    ib_pae32(&im);
    ib_drop_note(&im, XEN_ELFNOTE_HV_START_LOW);
    im.seg[1].paddr = 0x50000000;
    IB_EXPECT_FAIL(ib_parse_image(&im), "reaches into the hypervisor hole");
}
END_TEST

START_TEST(pae_rules_32bit)
{
    ib_pae32(&im);
    ib_drop_note(&im, XEN_ELFNOTE_PAE_MODE);
    IB_EXPECT_FAIL(ib_parse_image(&im), "image is 32-bit i386 but not PAE");
    ib_note_str(&im, XEN_ELFNOTE_PAE_MODE, "no");
    IB_EXPECT_FAIL(ib_parse_image(&im), "image is 32-bit i386 but not PAE");

    /* libelf: in a note only "yes" (or "bimodal") counts; "yes[extended-cr3]" does not. */
    ib_drop_note(&im, XEN_ELFNOTE_PAE_MODE);
    ib_note_str(&im, XEN_ELFNOTE_PAE_MODE, "yes[extended-cr3]");
    IB_EXPECT_FAIL(ib_parse_image(&im), "image is 32-bit i386 but not PAE");

    /* bimodal kernels run as PAE with extended CR3 on a 64-bit hypervisor. */
    ib_drop_note(&im, XEN_ELFNOTE_PAE_MODE);
    ib_note_str(&im, XEN_ELFNOTE_PAE_MODE, "yes,bimodal");
    struct ib_result *r = ib_parse_image(&im);
    IB_EXPECT_OK(r);
    ck_assert_int_eq(r->img.xen.pae, GUEST_PAE_EXTENDED_CR3);

    /* INIT_P2M is a 64-bit-only request: dropped for 32-bit kernels. */
    ib_pae32(&im);
    ib_note_u32(&im, XEN_ELFNOTE_INIT_P2M, 0x40000000);
    r = ib_parse_image(&im);
    IB_EXPECT_OK(r);
    ck_assert(!r->img.xen.has_init_p2m);
}
END_TEST

/* Every proper prefix of a valid image is refused cleanly (ASan watches the reads). */
static void every_prefix_fails(const struct ib_image *image)
{
    size_t len = ib_build(image, buf, sizeof(buf));
    IB_EXPECT_OK(ib_parse(buf, len, NULL));
    for (size_t n = 0; n < len; n++) {
        struct ib_result *r = ib_parse(buf, n, NULL);
        ck_assert_msg(r->rc == -1, "prefix of %zu/%zu bytes accepted", n, len);
        ck_assert_msg(r->err[0] != '\0', "prefix of %zu bytes: no reason given", n);
        ck_assert_msg(strchr(r->err, '\n') == NULL, "reason is not one line: %s", r->err);
    }
}

START_TEST(truncation_every_byte)
{
    ib_linux64(&im);
    every_prefix_fails(&im);
    im.no_sections = true;      /* then segment data is what ends the file */
    every_prefix_fails(&im);
    ib_pae32(&im);
    im.notes_where = IB_NOTES_SECTION;
    every_prefix_fails(&im);
    ib_legacy32(&im);
    every_prefix_fails(&im);
}
END_TEST

/* Random byte corruption of valid images: any verdict, but no crash or bad read. */
START_TEST(mutations_do_not_crash)
{
    uint32_t seed = 12345;
    for (int kind = 0; kind < 3; kind++) {
        if (kind == 0)
            ib_linux64(&im);
        else if (kind == 1)
            ib_pae32(&im);
        else
            ib_legacy32(&im);
        static uint8_t orig[1 << 16];
        size_t len = ib_build(&im, orig, sizeof(orig));
        for (int round = 0; round < 3000; round++) {
            memcpy(buf, orig, len);
            int flips = 1 + round % 4;
            for (int k = 0; k < flips; k++) {
                seed = seed * 1103515245 + 12345;
                size_t at = (seed >> 8) % len;
                seed = seed * 1103515245 + 12345;
                buf[at] = (uint8_t)(seed >> 16);
            }
            struct ib_result *r = ib_parse(buf, len, NULL);
            ck_assert(r->rc == 0 || (r->rc == -1 && r->err[0] != '\0'));
        }
    }
}
END_TEST

static Suite *loader_elf_suite(void)
{
    Suite *s = suite_create("loader_elf");
    TCase *tc = tcase_create("core");
    tcase_add_checked_fixture(tc, NULL, ib_release);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, linux64_parses);
    tcase_add_test(tc, pae32_parses);
    tcase_add_test(tc, bad_headers);
    tcase_add_test(tc, header_tables_outside_file);
    tcase_add_test(tc, segment_refusals);
    tcase_add_test(tc, segments_libelf_ignores);
    tcase_add_test(tc, entry_checks);
    tcase_add_test(tc, hypervisor_range_64);
    tcase_add_test(tc, wraps);
    tcase_add_test(tc, hole_32bit);
    tcase_add_test(tc, pae_rules_32bit);
    tcase_add_test(tc, truncation_every_byte);
    tcase_add_test(tc, mutations_do_not_crash);
    suite_add_tcase(s, tc);
    return s;
}
UNIT_SUITE(loader_elf_suite)
