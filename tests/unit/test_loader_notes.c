/*
 * Guest image parser, Xen ELF notes: every note type with libelf's
 * meaning and defaults, both note sources, FEATURES and its '!' prefix,
 * and the refusals.
 */
#include <stdlib.h>
#include <xen/elfnote.h>
#include <xen/features.h>
#include "unit.h"
#include "image_builder.h"

static struct ib_image im;

/* The minimum libelf accepts, with no address notes at all. */
static void minimal64(void)
{
    ib_bare(&im, 64);
    ib_note_str(&im, XEN_ELFNOTE_GUEST_OS, "linux");
    ib_note_str(&im, XEN_ELFNOTE_XEN_VERSION, "xen-3.0");
}

/* A "Xen" note with the given namesz (3 or 4) and a string value, at off. */
static size_t raw_note(uint8_t *p, size_t off, uint32_t namesz, uint32_t type, const char *s)
{
    uint32_t descsz = strlen(s) + 1;
    memset(p + off, 0, 16 + (descsz + 3) / 4 * 4);
    p[off] = namesz;
    p[off + 4] = descsz;
    p[off + 8] = type;
    memcpy(p + off + 12, "Xen", 3);
    memcpy(p + off + 16, s, descsz);
    return off + 16 + (descsz + 3) / 4 * 4;
}

static const struct xen_guest_params *ok(void)
{
    struct ib_result *r = ib_parse_image(&im);
    IB_EXPECT_OK(r);
    return &r->img.xen;
}

START_TEST(defaults_with_notes)
{
    minimal64();
    struct ib_result *r = ib_parse_image(&im);
    IB_EXPECT_OK(r);
    const struct guest_image *g = &r->img;
    /* VIRT_BASE 0, PADDR_OFFSET 0, entry = e_entry: segments at their paddr. */
    ck_assert_uint_eq(g->xen.virt_base, 0);
    ck_assert_uint_eq(g->xen.paddr_offset, 0);
    ck_assert_uint_eq(g->xen.virt_entry, 0x1000000);
    ck_assert_uint_eq(g->entry, 0x1000000);
    ck_assert_uint_eq(g->segments[0].vaddr, 0x1000000);
    ck_assert(!g->xen.has_hypercall_page);
    ck_assert(!g->xen.has_init_p2m);
    ck_assert(!g->xen.has_l1_mfn_valid);
    ck_assert(!g->xen.suspend_cancel);
    ck_assert(!g->xen.mod_start_pfn);
    ck_assert_int_eq(g->xen.pae, GUEST_PAE_NO);
    ck_assert_uint_eq(g->xen.features_supported[0], 0);
    ck_assert_uint_eq(g->xen.features_required[0], 0);
    ck_assert_str_eq(g->xen.loader, "");
}
END_TEST

START_TEST(numeric_sizes)
{
    /* 1, 2, 4 and 8 byte values are all read, little-endian. */
    minimal64();
    uint8_t one = 1, two[2] = { 0x34, 0x12 };
    ib_note(&im, "Xen", XEN_ELFNOTE_SUSPEND_CANCEL, &one, 1);
    ib_note(&im, "Xen", XEN_ELFNOTE_HV_START_LOW, two, 2);
    ib_note_u32(&im, XEN_ELFNOTE_PHYS32_ENTRY, 0x1000040);
    ib_note_u64(&im, XEN_ELFNOTE_VIRT_BASE, 0xffffffff80000000);
    ib_note_u64(&im, XEN_ELFNOTE_ENTRY, 0xffffffff81000000);
    const struct xen_guest_params *x = ok();
    ck_assert(x->suspend_cancel);
    ck_assert(x->has_hv_start_low);
    ck_assert_uint_eq(x->hv_start_low, 0x1234);
    ck_assert(x->has_phys32_entry);
    ck_assert_uint_eq(x->phys32_entry, 0x1000040);
    ck_assert_uint_eq(x->virt_base, 0xffffffff80000000);

    uint8_t three[3] = { 0 };
    minimal64();
    ib_note(&im, "Xen", XEN_ELFNOTE_ENTRY, three, 3);
    IB_EXPECT_FAIL(ib_parse_image(&im),
                   "Xen ELF note ENTRY has a 3-byte value (expected 1, 2, 4 or 8)");
    minimal64();
    ib_note(&im, "Xen", XEN_ELFNOTE_MOD_START_PFN, three, 0);
    IB_EXPECT_FAIL(ib_parse_image(&im), "MOD_START_PFN has a 0-byte value");
}
END_TEST

START_TEST(address_notes)
{
    /* 2.6.18 x86_64 style: PADDR_OFFSET = VIRT_BASE, virtual addresses in p_paddr. */
    minimal64();
    im.seg[0].paddr = 0xffffffff80200000;
    im.seg[1].paddr = 0xffffffff80202000;
    ib_note_u64(&im, XEN_ELFNOTE_VIRT_BASE, 0xffffffff80000000);
    ib_note_u64(&im, XEN_ELFNOTE_PADDR_OFFSET, 0xffffffff80000000);
    ib_note_u64(&im, XEN_ELFNOTE_ENTRY, 0xffffffff80200000);
    ib_note_u64(&im, XEN_ELFNOTE_HYPERCALL_PAGE, 0xffffffff80204000);
    struct ib_result *r = ib_parse_image(&im);
    IB_EXPECT_OK(r);
    ck_assert_uint_eq(r->img.segments[0].vaddr, 0xffffffff80200000);
    ck_assert_uint_eq(r->img.segments[1].vaddr, 0xffffffff80202000);
    ck_assert_uint_eq(r->img.xen.virt_hypercall, 0xffffffff80204000);

    minimal64();
    ib_note_u64(&im, XEN_ELFNOTE_VIRT_BASE, 0xffffffff80000800);
    IB_EXPECT_FAIL(ib_parse_image(&im), "VIRT_BASE 0xffffffff80000800 is not page aligned");

    /* PADDR_OFFSET without VIRT_BASE is a contradiction. */
    minimal64();
    ib_note_u64(&im, XEN_ELFNOTE_PADDR_OFFSET, 0x1000);
    IB_EXPECT_FAIL(ib_parse_image(&im), "PADDR_OFFSET is set but VIRT_BASE is not");

    /* A segment below PADDR_OFFSET would lie below VIRT_BASE. */
    minimal64();
    ib_note_u64(&im, XEN_ELFNOTE_VIRT_BASE, 0xffffffff80000000);
    ib_note_u64(&im, XEN_ELFNOTE_PADDR_OFFSET, 0xffffffff80000000);
    ib_note_u64(&im, XEN_ELFNOTE_ENTRY, 0x1000000);
    IB_EXPECT_FAIL(ib_parse_image(&im), "segment 0: physical address 0x1000000 is below "
                   "PADDR_OFFSET 0xffffffff80000000");

    minimal64();
    ib_note_u64(&im, XEN_ELFNOTE_VIRT_BASE, 0x1001000);
    ib_note_u64(&im, XEN_ELFNOTE_PADDR_OFFSET, 0x1000000);
    ib_note_u64(&im, XEN_ELFNOTE_ENTRY, 0x1001000);
    r = ib_parse_image(&im);
    IB_EXPECT_OK(r);
    ck_assert_uint_eq(r->img.segments[0].vaddr, 0x1001000);
    ib_drop_note(&im, XEN_ELFNOTE_PADDR_OFFSET);
    ib_note_u64(&im, XEN_ELFNOTE_PADDR_OFFSET, 0x2000000);
    IB_EXPECT_FAIL(ib_parse_image(&im), "is below PADDR_OFFSET 0x2000000");
}
END_TEST

START_TEST(hypercall_page)
{
    ib_linux64(&im);
    ib_drop_note(&im, XEN_ELFNOTE_HYPERCALL_PAGE);
    ib_note_u64(&im, XEN_ELFNOTE_HYPERCALL_PAGE, 0xffffffff81005000);
    IB_EXPECT_FAIL(ib_parse_image(&im), "HYPERCALL_PAGE 0xffffffff81005000 is outside the "
                   "kernel image 0xffffffff81000000-0xffffffff81004fff");
    ib_drop_note(&im, XEN_ELFNOTE_HYPERCALL_PAGE);
    ib_note_u64(&im, XEN_ELFNOTE_HYPERCALL_PAGE, 0xffffffff81001800);
    IB_EXPECT_FAIL(ib_parse_image(&im), "HYPERCALL_PAGE 0xffffffff81001800 is not page aligned");
    /* The last page of the image (bss) is fine. */
    ib_drop_note(&im, XEN_ELFNOTE_HYPERCALL_PAGE);
    ib_note_u64(&im, XEN_ELFNOTE_HYPERCALL_PAGE, 0xffffffff81004000);
    ck_assert_uint_eq(ok()->virt_hypercall, 0xffffffff81004000);
    /* Current kernels declare none. */
    ib_drop_note(&im, XEN_ELFNOTE_HYPERCALL_PAGE);
    ck_assert(!ok()->has_hypercall_page);
}
END_TEST

START_TEST(init_p2m)
{
    ib_linux64(&im);
    ck_assert_uint_eq(ok()->virt_init_p2m, 0x8000000000);

    /* Inside the kernel image: libelf refuses. */
    ib_drop_note(&im, XEN_ELFNOTE_INIT_P2M);
    ib_note_u64(&im, XEN_ELFNOTE_INIT_P2M, 0xffffffff81002000);
    IB_EXPECT_FAIL(ib_parse_image(&im), "INIT_P2M 0xffffffff81002000 lies inside the kernel "
                   "image");

    /* At or above VIRT_BASE, or not page aligned: libxc ignores it. */
    ib_drop_note(&im, XEN_ELFNOTE_INIT_P2M);
    ib_note_u64(&im, XEN_ELFNOTE_INIT_P2M, 0xffffffffc0000000);
    ck_assert(!ok()->has_init_p2m);
    ib_drop_note(&im, XEN_ELFNOTE_INIT_P2M);
    ib_note_u64(&im, XEN_ELFNOTE_INIT_P2M, 0x8000000800);
    ck_assert(!ok()->has_init_p2m);

    /* In the hypervisor's range or non-canonical: refused. */
    ib_drop_note(&im, XEN_ELFNOTE_INIT_P2M);
    ib_note_u64(&im, XEN_ELFNOTE_INIT_P2M, 0xffff800000000000);
    IB_EXPECT_FAIL(ib_parse_image(&im), "INIT_P2M 0xffff800000000000 is not a usable guest "
                   "address");
    ib_drop_note(&im, XEN_ELFNOTE_INIT_P2M);
    ib_note_u64(&im, XEN_ELFNOTE_INIT_P2M, 0x0000900000000000);
    IB_EXPECT_FAIL(ib_parse_image(&im), "INIT_P2M 0x900000000000 is not a usable");
}
END_TEST

START_TEST(flags_and_strings)
{
    minimal64();
    ib_note_u32(&im, XEN_ELFNOTE_SUSPEND_CANCEL, 0);
    ib_note_u64(&im, XEN_ELFNOTE_MOD_START_PFN, 0);
    ib_note_str(&im, XEN_ELFNOTE_BSD_SYMTAB, "no");
    ib_note_str(&im, XEN_ELFNOTE_GUEST_VERSION, "a-guest-version-longer-than-thirty-two");
    const struct xen_guest_params *x = ok();
    ck_assert(!x->suspend_cancel);
    ck_assert(!x->mod_start_pfn);
    ck_assert(!x->bsd_symtab);
    ck_assert_str_eq(x->guest_version, "a-guest-version-longer-than-thi");

    minimal64();
    ib_note_u64(&im, XEN_ELFNOTE_MOD_START_PFN, 2);
    ib_note_str(&im, XEN_ELFNOTE_BSD_SYMTAB, "yes");
    /* A string that fills its note without a NUL ends with the note. */
    ib_note(&im, "Xen", XEN_ELFNOTE_LOADER, "generic", 7);
    x = ok();
    ck_assert(x->mod_start_pfn);
    ck_assert(x->bsd_symtab);
    ck_assert_str_eq(x->loader, "generic");

    /* INFO, PHYS32_RELOC, crash notes and unknown types are ignored. */
    minimal64();
    ib_note_str(&im, XEN_ELFNOTE_INFO, "anything");
    ib_note_u32(&im, 19, 0x200000);
    ib_note_u32(&im, XEN_ELFNOTE_CRASH_INFO, 1);
    ib_note_u32(&im, 77, 1);
    ok();
}
END_TEST

START_TEST(l1_mfn_valid)
{
    minimal64();
    uint8_t pairs[32] = { 0x81, 0, 0, 0, 0, 0, 0, 0x80, 0x01, 0, 0, 0, 0, 0, 0, 0x80 };
    ib_note(&im, "Xen", XEN_ELFNOTE_L1_MFN_VALID, pairs, sizeof(pairs));
    const struct xen_guest_params *x = ok();
    ck_assert(x->has_l1_mfn_valid);
    ck_assert_uint_eq(x->l1_mfn_valid_mask, 0x8000000000000081);
    ck_assert_uint_eq(x->l1_mfn_valid_value, 0x8000000000000001);

    minimal64();
    ib_note(&im, "Xen", XEN_ELFNOTE_L1_MFN_VALID, pairs, 12);
    IB_EXPECT_FAIL(ib_parse_image(&im), "L1_MFN_VALID has 12 bytes");
    /* 4-byte pairs only from a (non-PAE) 32-bit kernel. */
    minimal64();
    ib_note(&im, "Xen", XEN_ELFNOTE_L1_MFN_VALID, pairs, 8);
    IB_EXPECT_FAIL(ib_parse_image(&im), "L1_MFN_VALID has 8 bytes");
    ib_pae32(&im);
    ib_drop_note(&im, XEN_ELFNOTE_L1_MFN_VALID);
    ib_note(&im, "Xen", XEN_ELFNOTE_L1_MFN_VALID, pairs, 8);
    x = ok();
    ck_assert_uint_eq(x->l1_mfn_valid_mask, 0x81);
    ck_assert_uint_eq(x->l1_mfn_valid_value, 0x80000000);
}
END_TEST

START_TEST(identity_checks)
{
    /* GUEST_OS "linux..." or LOADER "generic..." (prefixes, as libelf compares). */
    ib_bare(&im, 64);
    ib_note_str(&im, XEN_ELFNOTE_LOADER, "generic");
    ib_note_str(&im, XEN_ELFNOTE_XEN_VERSION, "xen-3.0");
    ok();
    ib_bare(&im, 64);
    ib_note_str(&im, XEN_ELFNOTE_GUEST_OS, "linux-2.6.18");
    ib_note_str(&im, XEN_ELFNOTE_XEN_VERSION, "xen-3.0-unstable");
    ok();

    ib_bare(&im, 64);
    ib_note_str(&im, XEN_ELFNOTE_GUEST_OS, "Mini-OS");
    ib_note_str(&im, XEN_ELFNOTE_XEN_VERSION, "xen-3.0");
    IB_EXPECT_FAIL(ib_parse_image(&im), "kernel is neither for the generic loader nor Linux "
                   "(LOADER '', GUEST_OS 'Mini-OS')");
    ib_note_str(&im, XEN_ELFNOTE_LOADER, "generic");
    ok();

    ib_bare(&im, 64);
    ib_note_str(&im, XEN_ELFNOTE_GUEST_OS, "linux");
    IB_EXPECT_FAIL(ib_parse_image(&im), "built for Xen interface '', not 'xen-3.0'");
    ib_note_str(&im, XEN_ELFNOTE_XEN_VERSION, "xen-3.1");
    IB_EXPECT_FAIL(ib_parse_image(&im), "built for Xen interface 'xen-3.1'");

    /* A PVH-only kernel (CONFIG_XEN_PVH without CONFIG_XEN_PV). */
    ib_bare(&im, 64);
    ib_note_u32(&im, XEN_ELFNOTE_PHYS32_ENTRY, 0x1000000);
    IB_EXPECT_FAIL(ib_parse_image(&im), "only a PVH entry point");

    ib_bare(&im, 64);
    IB_EXPECT_FAIL(ib_parse_image(&im), "not a Xen PV kernel: no Xen ELF notes and no "
                   "__xen_guest section");
}
END_TEST

START_TEST(note_sources)
{
    /* SHT_NOTE section only. */
    ib_linux64(&im);
    im.notes_where = IB_NOTES_SECTION;
    const struct xen_guest_params *x = ok();
    ck_assert(x->from_notes);
    ck_assert_uint_eq(x->virt_base, 0xffffffff80000000);

    /* A PT_NOTE with p_offset 0 is skipped (binutils bug); the section is used. */
    ib_linux64(&im);
    im.notes_where = IB_NOTES_BOTH;
    im.note_phdr_offset_zero = true;
    ck_assert_uint_eq(ok()->virt_base, 0xffffffff80000000);
    im.notes_where = IB_NOTES_SEGMENT;
    IB_EXPECT_FAIL(ib_parse_image(&im), "not a Xen PV kernel");

    /* Only non-Xen notes in the segment: not counted. */
    ib_linux64(&im);
    for (unsigned i = 0; i < im.nr_notes; i++)
        strcpy(im.notes[i].owner, "Xenx");
    IB_EXPECT_FAIL(ib_parse_image(&im), "not a Xen PV kernel");

    /* Owner compared as a string: namesz 3 (no NUL counted) works too. */
    ib_bare(&im, 64);
    size_t off = raw_note(im.raw_notes, 0, 3, XEN_ELFNOTE_GUEST_OS, "linux");
    off = raw_note(im.raw_notes, off, 3, XEN_ELFNOTE_XEN_VERSION, "xen-3.0");
    im.raw_notes_len = off;
    ck_assert_str_eq(ok()->guest_os, "linux");
}
END_TEST

START_TEST(malformed_notes)
{
    ib_linux64(&im);
    uint8_t *p = im.raw_notes;
    memset(p, 0, 64);
    p[0] = 4;
    p[4] = 200;                 /* descsz beyond the segment */
    p[8] = XEN_ELFNOTE_ENTRY;
    memcpy(p + 12, "Xen", 4);
    im.raw_notes_len = 32;
    IB_EXPECT_FAIL(ib_parse_image(&im), "malformed ELF note at offset 0x0 of segment 2");
    p[4] = 0;
    p[0] = 0xff;                /* namesz beyond the segment */
    p[1] = 0xff;
    p[2] = 0xff;
    p[3] = 0xff;
    IB_EXPECT_FAIL(ib_parse_image(&im), "malformed ELF note");
    im.notes_where = IB_NOTES_SECTION;
    IB_EXPECT_FAIL(ib_parse_image(&im), "malformed ELF note at offset 0x0 of section 2");

    /* Trailing bytes shorter than a note header are padding. */
    ib_bare(&im, 64);
    size_t off = raw_note(im.raw_notes, 0, 4, XEN_ELFNOTE_GUEST_OS, "linux");
    off = raw_note(im.raw_notes, off, 4, XEN_ELFNOTE_XEN_VERSION, "xen-3.0");
    memset(im.raw_notes + off, 0xee, 11);
    im.raw_notes_len = off + 11;
    ck_assert_str_eq(ok()->xen_version, "xen-3.0");
}
END_TEST

/*
 * GRUB's i386-xen image: its last note, PAE_MODE, declares a 12-byte
 * descriptor ("yes,bimodal") but only "yes\0" lies inside the note
 * segment. The string is read up to its NUL; cut numbers stay refused.
 */
static size_t cut_note(uint8_t *p, size_t off, uint32_t type, uint32_t descsz, const char *s)
{
    size_t n = strlen(s) + 1;
    memset(p + off, 0, 16 + n);
    p[off] = 4;
    p[off + 4] = (uint8_t)descsz;
    p[off + 8] = (uint8_t)type;
    memcpy(p + off + 12, "Xen", 4);
    memcpy(p + off + 16, s, n);
    return off + 16 + n;
}

START_TEST(note_past_segment_end)
{
    ib_bare(&im, 32);
    im.entry = 0x100000;        /* no VIRT_BASE: segments at their physical addresses */
    size_t off = raw_note(im.raw_notes, 0, 4, XEN_ELFNOTE_GUEST_OS, "GRUB");
    off = raw_note(im.raw_notes, off, 4, XEN_ELFNOTE_LOADER, "generic");
    off = raw_note(im.raw_notes, off, 4, XEN_ELFNOTE_XEN_VERSION, "xen-3.0");
    size_t last = off;
    im.raw_notes_len = cut_note(im.raw_notes, off, XEN_ELFNOTE_PAE_MODE, 12, "yes");
    const struct xen_guest_params *x = ok();
    ck_assert_str_eq(x->guest_os, "GRUB");
    ck_assert_int_eq(x->pae, GUEST_PAE_EXTENDED_CR3);

    /* The same cut in a SHT_NOTE section. */
    im.notes_where = IB_NOTES_SECTION;
    ck_assert_int_eq(ok()->pae, GUEST_PAE_EXTENDED_CR3);
    im.notes_where = IB_NOTES_SEGMENT;

    /* A cut string without its NUL inside the segment is refused. */
    im.raw_notes_len = cut_note(im.raw_notes, last, XEN_ELFNOTE_PAE_MODE, 12, "yes") - 1;
    IB_EXPECT_FAIL(ib_parse_image(&im), "malformed ELF note at offset 0x48 of segment 2: it "
                   "extends past the end of the segment");

    /* A cut number is refused: its value is not all there. */
    uint8_t entry[4] = { 0x10, 0x00, 0x10, 0xc0 };
    memset(im.raw_notes + last, 0, 32);
    im.raw_notes[last] = 4;
    im.raw_notes[last + 4] = 8;
    im.raw_notes[last + 8] = XEN_ELFNOTE_ENTRY;
    memcpy(im.raw_notes + last + 12, "Xen", 4);
    memcpy(im.raw_notes + last + 16, entry, 4);
    im.raw_notes_len = last + 20;
    IB_EXPECT_FAIL(ib_parse_image(&im), "malformed ELF note at offset 0x48");

    /* A cut note of another owner ends the walk and is ignored. */
    off = raw_note(im.raw_notes, last, 4, XEN_ELFNOTE_PAE_MODE, "yes");
    cut_note(im.raw_notes, off, XEN_ELFNOTE_ENTRY, 40, "whatever");
    memcpy(im.raw_notes + off + 12, "GNU", 4);
    im.raw_notes_len = off + 20;
    x = ok();
    ck_assert_int_eq(x->pae, GUEST_PAE_EXTENDED_CR3);
    ck_assert_str_eq(x->loader, "generic");
}
END_TEST

START_TEST(features_string)
{
    minimal64();
    ib_note_str(&im, XEN_ELFNOTE_FEATURES,
                "!writable_page_tables|pae_pgdir_above_4gb||no_such_feature|"
                "mmu_pt_update_preserve_ad");
    const struct xen_guest_params *x = ok();
    ck_assert_uint_eq(x->features_required[0], 1u << XENFEAT_writable_page_tables);
    /* Names libelf does not know (even real XENFEAT ones) are ignored. */
    ck_assert_uint_eq(x->features_supported[0],
                      1u << XENFEAT_writable_page_tables | 1u << XENFEAT_pae_pgdir_above_4gb);

    /* Several FEATURES notes accumulate, and SUPPORTED_FEATURES adds bits. */
    ib_note_str(&im, XEN_ELFNOTE_FEATURES, "!auto_translated_physmap");
    ib_note_u32(&im, XEN_ELFNOTE_SUPPORTED_FEATURES, 1u << XENFEAT_linux_rsdp_unrestricted);
    x = ok();
    ck_assert_uint_eq(x->features_required[0], 1u << XENFEAT_writable_page_tables |
                                               1u << XENFEAT_auto_translated_physmap);
    ck_assert_uint_eq(x->features_supported[0],
                      1u << XENFEAT_writable_page_tables | 1u << XENFEAT_pae_pgdir_above_4gb |
                      1u << XENFEAT_auto_translated_physmap |
                      1u << XENFEAT_linux_rsdp_unrestricted);

    /* libelf cuts names at 63 characters: the tail becomes a name of its own. */
    minimal64();
    ib_note_str(&im, XEN_ELFNOTE_FEATURES,
                "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
                "writable_descriptor_tables");
    ck_assert_uint_eq(ok()->features_supported[0], 1u << XENFEAT_writable_descriptor_tables);

    minimal64();
    ib_note_u64(&im, XEN_ELFNOTE_SUPPORTED_FEATURES, 1u << XENFEAT_dom0);
    ck_assert_uint_eq(ok()->features_supported[0], 1u << XENFEAT_dom0);
    ib_note(&im, "Xen", XEN_ELFNOTE_SUPPORTED_FEATURES, "abc", 3);
    IB_EXPECT_FAIL(ib_parse_image(&im), "SUPPORTED_FEATURES has 3 bytes");
}
END_TEST

START_TEST(required_features)
{
    /* Unknown to libelf: refused by name. */
    minimal64();
    ib_note_str(&im, XEN_ELFNOTE_FEATURES, "writable_page_tables|!xyz");
    IB_EXPECT_FAIL(ib_parse_image(&im), "guest kernel requires Xen feature 'xyz' that pvshim "
                   "does not offer");
    minimal64();
    ib_note_str(&im, XEN_ELFNOTE_FEATURES, "!");
    IB_EXPECT_FAIL(ib_parse_image(&im), "requires Xen feature ''");
    minimal64();
    ib_note_str(&im, XEN_ELFNOTE_FEATURES, "!mmu_pt_update_preserve_ad");
    IB_EXPECT_FAIL(ib_parse_image(&im), "requires Xen feature 'mmu_pt_update_preserve_ad'");

    /* Known but not offered: refused by name. */
    minimal64();
    ib_note_str(&im, XEN_ELFNOTE_FEATURES, "!writable_page_tables|!dom0");
    IB_EXPECT_FAIL(ib_parse_image(&im), "guest kernel requires Xen feature 'dom0' that pvshim "
                   "does not offer");
    uint32_t offered[GUEST_FEATURE_WORDS] = { 1u << XENFEAT_writable_page_tables |
                                              1u << XENFEAT_dom0 };
    static uint8_t b[1 << 16];
    size_t len = ib_build(&im, b, sizeof(b));
    IB_EXPECT_OK(ib_parse(b, len, offered));
    offered[0] = 1u << XENFEAT_dom0;
    IB_EXPECT_FAIL(ib_parse(b, len, offered), "Xen feature 'writable_page_tables'");

    /* Merely supported features are never a reason to refuse. */
    minimal64();
    ib_note_str(&im, XEN_ELFNOTE_FEATURES, "dom0|hvm_callback_vector");
    offered[0] = 0;
    len = ib_build(&im, b, sizeof(b));
    IB_EXPECT_OK(ib_parse(b, len, offered));
}
END_TEST

static Suite *loader_notes_suite(void)
{
    Suite *s = suite_create("loader_notes");
    TCase *tc = tcase_create("core");
    tcase_add_checked_fixture(tc, NULL, ib_release);
    tcase_add_test(tc, defaults_with_notes);
    tcase_add_test(tc, numeric_sizes);
    tcase_add_test(tc, address_notes);
    tcase_add_test(tc, hypercall_page);
    tcase_add_test(tc, init_p2m);
    tcase_add_test(tc, flags_and_strings);
    tcase_add_test(tc, l1_mfn_valid);
    tcase_add_test(tc, identity_checks);
    tcase_add_test(tc, note_sources);
    tcase_add_test(tc, malformed_notes);
    tcase_add_test(tc, note_past_segment_end);
    tcase_add_test(tc, features_string);
    tcase_add_test(tc, required_features);
    suite_add_tcase(s, tc);
    return s;
}
UNIT_SUITE(loader_notes_suite)
