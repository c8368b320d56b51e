/*
 * The save-file parser (shim/restore/save_stream.c): the default stream of
 * save_builder.c is accepted and described; each malformation of the table
 * is refused with a message naming the record; every truncation is refused.
 */
#include <stdlib.h>
#include <string.h>
#include <pvshim/save_stream.h>
#include <pvshim/xen_abi.h>
#include "unit.h"
#include "save_builder.h"

static char err[512];

static int parse_stream(const struct sb_stream *s, struct save_image *img)
{
    size_t len;
    uint8_t *buf = sb_write(s, &len);
    /* An exact-size copy: a read past the end is a bug ASan or valgrind sees. */
    uint8_t *exact = malloc(len);
    memcpy(exact, buf, len);
    free(buf);
    err[0] = '\0';
    int rc = save_stream_parse(exact, len, img, err, sizeof(err));
    free(exact);
    return rc;
}

START_TEST(save_default_accepted)
{
    struct sb_stream s;
    struct save_image img;
    sb_default(&s);
    ck_assert_msg(parse_stream(&s, &img) == 0, "%s", err);
    ck_assert(img.xl_header);
    ck_assert_uint_eq(img.version, 3);
    ck_assert_uint_eq(img.xen_major, 4);
    ck_assert_uint_eq(img.xen_minor, 17);
    ck_assert_uint_eq(img.max_pfn, SB_NR_PFNS - 1);
    ck_assert_uint_eq(img.nr_p2m_frames, 1);
    ck_assert_uint_eq(img.nr_page_records, 1);
    ck_assert_uint_eq(img.nr_page_entries, SB_NR_PFNS);
    ck_assert_uint_eq(img.nr_pages_with_data, SB_NR_PFNS - 1);
    ck_assert_uint_eq(img.shared_info.len, 4096);
    ck_assert(img.has_tsc);
    ck_assert_uint_eq(img.tsc_khz, 2000000);
    ck_assert_uint_eq(img.tsc_nsec, 123456789);
    ck_assert_uint_eq(img.cpuid_policy.len, 48);
    ck_assert_uint_eq(img.msr_policy.len, 16);
    ck_assert_uint_eq(img.nr_vcpus, 1);
    ck_assert_uint_eq(img.vcpu[0].basic.len, SAVE_VCPU_CTX_LEN);
    ck_assert_uint_eq(img.vcpu[0].extended.len, 64);
    ck_assert_uint_eq(img.vcpu[0].msrs.len, 16);
    ck_assert_uint_eq(img.vcpu[0].xsave.len, 0);
    sb_free(&s);
}
END_TEST

/* The batches come back in order, with their entries and data. */
START_TEST(save_page_batches)
{
    struct sb_stream s;
    struct save_image img;
    sb_default(&s);
    size_t len;
    uint8_t *buf = sb_write(&s, &len);
    ck_assert_int_eq(save_stream_parse(buf, len, &img, err, sizeof(err)), 0);
    uint64_t cur = img.libxc_start;
    struct save_page_batch b;
    ck_assert(save_next_page_batch(buf, &img, &cur, &b));
    ck_assert_uint_eq(b.count, SB_NR_PFNS);
    ck_assert_uint_eq(save_entry_type(save_batch_entry(&b, 0)), SAVE_PF_PINNED | SAVE_PF_L4);
    ck_assert_uint_eq(save_entry_pfn(save_batch_entry(&b, 5)), 5);
    ck_assert_uint_eq(save_entry_type(save_batch_entry(&b, 8)), SAVE_PF_XTAB);
    /* Page 5 is the sixth page with data: 0x45 bytes. */
    ck_assert_uint_eq(b.data[5 * SAVE_PAGE_SIZE], 0x45);
    ck_assert(!save_next_page_batch(buf, &img, &cur, &b));
    free(buf);
    sb_free(&s);
}
END_TEST

START_TEST(save_bare_libxc_and_v2)
{
    struct sb_stream s;
    struct save_image img;
    sb_default(&s);
    s.xl = false;
    ck_assert_msg(parse_stream(&s, &img) == 0, "%s", err);
    ck_assert(!img.xl_header);
    /* Version 2 has no STATIC_DATA_END: it is inferred. */
    s.version = 2;
    sb_remove(&s, (unsigned)sb_find(&s, SAVE_REC_STATIC_DATA_END));
    ck_assert_msg(parse_stream(&s, &img) == 0, "%s", err);
    ck_assert_uint_eq(img.version, 2);
    sb_free(&s);
}
END_TEST

/* Optional records of unknown type are skipped, in both layers. */
START_TEST(save_optional_skipped)
{
    struct sb_stream s;
    struct save_image img;
    sb_default(&s);
    sb_insert(&s, 1, SAVE_REC_OPTIONAL | 0x77, "abc", 3);
    s.libxl_tail[1] = s.libxl_tail[0];
    s.libxl_tail[0] = (struct sb_rec){ .type = SAVE_REC_OPTIONAL | 9 };
    sb_resize(&s.libxl_tail[0], 5);
    s.nr_libxl_tail = 2;
    ck_assert_msg(parse_stream(&s, &img) == 0, "%s", err);
    sb_free(&s);
}
END_TEST

/* ---- the table of malformed streams */

static struct sb_rec *rec(struct sb_stream *s, uint32_t type)
{
    int i = sb_find(s, type);
    ck_assert_int_ge(i, 0);
    return &s->rec[i];
}

static void put32(uint8_t *p, uint32_t v) { memcpy(p, &v, 4); }
static void put64(uint8_t *p, uint64_t v) { memcpy(p, &v, 8); }
#define CTX(f) __builtin_offsetof(struct vcpu_guest_context, f)
#define PD(s) rec(s, SAVE_REC_PAGE_DATA)

static void m_xl_flags(struct sb_stream *s) { s->xl_flags |= 1u << 5; }
static void m_xl_legacy(struct sb_stream *s) { s->xl_flags = SAVE_XL_FLAG_JSON; }
static void m_version(struct sb_stream *s) { s->version = 4; }
static void m_hvm(struct sb_stream *s) { s->dom_type = 2; }
static void m_no_libxl_end(struct sb_stream *s) { s->nr_libxl_tail = 0; }
static void m_emulator(struct sb_stream *s)
{
    s->libxl_tail[1] = s->libxl_tail[0];
    s->libxl_tail[0] = (struct sb_rec){ .type = LIBXL_REC_EMULATOR_CONTEXT };
    s->nr_libxl_tail = 2;
}
static void m_info_32bit(struct sb_stream *s) { rec(s, SAVE_REC_X86_PV_INFO)->body[0] = 4; rec(s, SAVE_REC_X86_PV_INFO)->body[1] = 3; }
static void m_info_twice(struct sb_stream *s) { sb_insert(s, 1, SAVE_REC_X86_PV_INFO, rec(s, SAVE_REC_X86_PV_INFO)->body, 8); }
static void m_info_late(struct sb_stream *s)
{
    struct sb_rec r = s->rec[0];
    memmove(&s->rec[0], &s->rec[1], 4 * sizeof(r));
    s->rec[4] = r;
}
static void m_no_static_end(struct sb_stream *s) { sb_remove(s, (unsigned)sb_find(s, SAVE_REC_STATIC_DATA_END)); }
static void m_cpuid_late(struct sb_stream *s)
{
    int i = sb_find(s, SAVE_REC_X86_CPUID_POLICY);
    struct sb_rec r = s->rec[i];
    memmove(&s->rec[i], &s->rec[i + 1], 2 * sizeof(r));
    s->rec[i + 2] = r;
}
static void m_cpuid_len(struct sb_stream *s) { sb_resize(rec(s, SAVE_REC_X86_CPUID_POLICY), 30); }
static void m_cpuid_big(struct sb_stream *s) { sb_resize(rec(s, SAVE_REC_X86_CPUID_POLICY), SAVE_CPUID_POLICY_MAX + 24); }
static void m_msr_len(struct sb_stream *s) { sb_resize(rec(s, SAVE_REC_X86_MSR_POLICY), 12); }
static void m_pages_before_p2m(struct sb_stream *s)
{
    int i = sb_find(s, SAVE_REC_X86_PV_P2M_FRAMES);
    struct sb_rec r = s->rec[i];
    s->rec[i] = s->rec[i + 1];
    s->rec[i + 1] = r;
}
static void m_p2m_start(struct sb_stream *s) { put32(rec(s, SAVE_REC_X86_PV_P2M_FRAMES)->body, 1); }
static void m_p2m_huge(struct sb_stream *s) { put32(rec(s, SAVE_REC_X86_PV_P2M_FRAMES)->body + 4, 0xfffffff0); }
static void m_p2m_count(struct sb_stream *s) { sb_resize(rec(s, SAVE_REC_X86_PV_P2M_FRAMES), 24); }
static void m_p2m_frame_past(struct sb_stream *s) { put64(rec(s, SAVE_REC_X86_PV_P2M_FRAMES)->body + 8, 99); }
static void m_p2m_twice(struct sb_stream *s)
{
    int i = sb_find(s, SAVE_REC_X86_PV_P2M_FRAMES);
    sb_insert(s, (unsigned)i, SAVE_REC_X86_PV_P2M_FRAMES, s->rec[i].body, s->rec[i].len);
}
static void m_pd_count0(struct sb_stream *s) { put32(PD(s)->body, 0); }
static void m_pd_count_big(struct sb_stream *s) { put32(PD(s)->body, SAVE_BATCH_MAX + 1); }
static void m_pd_pfn_past(struct sb_stream *s) { put64(PD(s)->body + 8 + 8 * 5, 0x1234); }
static void m_pd_type(struct sb_stream *s) { put64(PD(s)->body + 8 + 8 * 5, 6ull << 60 | 5); }
static void m_pd_reserved(struct sb_stream *s) { put64(PD(s)->body + 8 + 8 * 5, 1ull << 55 | 5); }
static void m_pd_short(struct sb_stream *s) { sb_resize(PD(s), PD(s)->len - SAVE_PAGE_SIZE); }
static void m_pd_long(struct sb_stream *s) { sb_resize(PD(s), PD(s)->len + 8); }
/* pfn 8 becomes NOTAB: the record now lacks one page. */
static void m_pd_type_needs_data(struct sb_stream *s) { put64(PD(s)->body + 8 + 8 * 8, 8); }
static void m_shinfo_len(struct sb_stream *s) { sb_resize(rec(s, SAVE_REC_SHARED_INFO), 4000); }
static void m_shinfo_twice(struct sb_stream *s)
{
    int i = sb_find(s, SAVE_REC_SHARED_INFO);
    sb_insert(s, (unsigned)i, SAVE_REC_SHARED_INFO, s->rec[i].body, s->rec[i].len);
}
static void m_no_shinfo(struct sb_stream *s) { sb_remove(s, (unsigned)sb_find(s, SAVE_REC_SHARED_INFO)); }
static void m_tsc_mode(struct sb_stream *s) { put32(rec(s, SAVE_REC_X86_TSC_INFO)->body, 7); }
static void m_tsc_len(struct sb_stream *s) { sb_resize(rec(s, SAVE_REC_X86_TSC_INFO), 16); }
static void m_no_vcpu0(struct sb_stream *s)
{
    put32(rec(s, SAVE_REC_X86_PV_VCPU_BASIC)->body, 1);
    put32(rec(s, SAVE_REC_X86_PV_VCPU_EXTENDED)->body, 1);
    put32(rec(s, SAVE_REC_X86_PV_VCPU_MSRS)->body, 1);
}
static void m_vcpu_id(struct sb_stream *s) { put32(rec(s, SAVE_REC_X86_PV_VCPU_BASIC)->body, 4096); }
static void m_vcpu_len(struct sb_stream *s) { sb_resize(rec(s, SAVE_REC_X86_PV_VCPU_BASIC), 8 + 5000); }
static void m_ext_before_basic(struct sb_stream *s)
{
    int i = sb_find(s, SAVE_REC_X86_PV_VCPU_BASIC);
    struct sb_rec r = s->rec[i];
    s->rec[i] = s->rec[i + 1];
    s->rec[i + 1] = r;
}
static void m_ext_big(struct sb_stream *s) { sb_resize(rec(s, SAVE_REC_X86_PV_VCPU_EXTENDED), 8 + 200); }
static void m_msrs_len(struct sb_stream *s) { sb_resize(rec(s, SAVE_REC_X86_PV_VCPU_MSRS), 8 + 12); }
static void m_xsave_small(struct sb_stream *s)
{
    int i = sb_find(s, SAVE_REC_X86_PV_VCPU_MSRS);
    uint8_t x[8 + 8] = { 0 };
    sb_insert(s, (unsigned)i, SAVE_REC_X86_PV_VCPU_XSAVE, x, sizeof(x));
}
static void m_basic_twice(struct sb_stream *s)
{
    int i = sb_find(s, SAVE_REC_X86_PV_VCPU_BASIC);
    sb_insert(s, (unsigned)i, SAVE_REC_X86_PV_VCPU_BASIC, s->rec[i].body, s->rec[i].len);
}
static void m_rip(struct sb_stream *s) { sb_ctx_put64(s, CTX(user_regs.rip), 0x0000800000000000ull); }
static void m_kernel_sp(struct sb_stream *s) { sb_ctx_put64(s, CTX(kernel_sp), 0x8000000000000000ull); }
static void m_callback(struct sb_stream *s) { sb_ctx_put64(s, CTX(event_callback_eip), 0x00ff000000000000ull); }
static void m_cs_ring0(struct sb_stream *s) { sb_ctx_put16(s, CTX(user_regs.cs), 0xe030); }
static void m_ss_ring0(struct sb_stream *s) { sb_ctx_put16(s, CTX(user_regs.ss), 0x0010); }
static void m_cs_null(struct sb_stream *s) { sb_ctx_put16(s, CTX(user_regs.cs), 0x0003); }
static void m_ds_ring0(struct sb_stream *s) { sb_ctx_put16(s, CTX(user_regs.ds), 0x0018); }
static void m_kernel_ss_ring0(struct sb_stream *s) { sb_ctx_put64(s, CTX(kernel_ss), 0xe028); }
static void m_trap_ring0(struct sb_stream *s) { sb_ctx_put16(s, CTX(trap_ctxt[14].cs), 0xe030); }
static void m_trap_addr(struct sb_stream *s) { sb_ctx_put64(s, CTX(trap_ctxt[14].address), 0x1000000000000000ull); }
static void m_gdt_ents(struct sb_stream *s) { sb_ctx_put64(s, CTX(gdt_ents), 8000); }
static void m_gdt_frame(struct sb_stream *s) { sb_ctx_put64(s, CTX(gdt_ents), 16); sb_ctx_put64(s, CTX(gdt_frames[0]), 50); }
static void m_cr3_past(struct sb_stream *s) { sb_ctx_put64(s, CTX(ctrlreg[3]), 0x40ull << 12); }
static void m_cr1_bad(struct sb_stream *s) { sb_ctx_put64(s, CTX(ctrlreg[1]), 2ull << 12); }
static void m_ldt(struct sb_stream *s) { sb_ctx_put64(s, CTX(ldt_ents), 9000); }
static void m_start_info(struct sb_stream *s) { sb_ctx_put64(s, CTX(user_regs.rdx), 0x99); }
static void m_hvm_rec(struct sb_stream *s) { sb_insert(s, 5, SAVE_REC_HVM_PARAMS, "12345678", 8); }
static void m_checkpoint(struct sb_stream *s) { sb_insert(s, 6, SAVE_REC_CHECKPOINT, NULL, 0); }
static void m_unknown(struct sb_stream *s) { sb_insert(s, 6, 0x55, NULL, 0); }
static void m_end_len(struct sb_stream *s) { sb_resize(rec(s, SAVE_REC_END), 8); }
static void m_no_end(struct sb_stream *s) { sb_remove(s, (unsigned)sb_find(s, SAVE_REC_END)); s->nr_libxl_tail = 0; }
static void m_no_pages(struct sb_stream *s) { sb_remove(s, (unsigned)sb_find(s, SAVE_REC_PAGE_DATA)); }

static const struct bad_case {
    const char *name;
    void (*mutate)(struct sb_stream *);
    const char *want;       /* a substring of the message */
} bad_cases[] = {
    { "xl flags", m_xl_flags, "unknown mandatory flags" },
    { "xl legacy", m_xl_legacy, "legacy" },
    { "version 4", m_version, "version 4" },
    { "HVM domain", m_hvm, "not x86 PV" },
    { "no libxl END", m_no_libxl_end, "libxl record header" },
    { "emulator record", m_emulator, "device-model" },
    { "32-bit guest", m_info_32bit, "X86_PV_INFO" },
    { "PV_INFO twice", m_info_twice, "(X86_PV_INFO) at offset" },
    { "PV_INFO late", m_info_late, "before X86_PV_INFO" },
    { "no STATIC_DATA_END", m_no_static_end, "before STATIC_DATA_END" },
    { "CPUID after STATIC_DATA_END", m_cpuid_late, "X86_CPUID_POLICY) at offset" },
    { "CPUID length", m_cpuid_len, "X86_CPUID_POLICY" },
    { "CPUID oversized", m_cpuid_big, "6168 exceeds 6144" },
    { "MSR policy length", m_msr_len, "X86_MSR_POLICY" },
    { "PAGE_DATA before P2M", m_pages_before_p2m, "PAGE_DATA) at offset" },
    { "p2m start", m_p2m_start, "X86_PV_P2M_FRAMES" },
    { "p2m huge", m_p2m_huge, "X86_PV_P2M_FRAMES" },
    { "p2m count", m_p2m_count, "X86_PV_P2M_FRAMES" },
    { "p2m frame past end", m_p2m_frame_past, "past the end" },
    { "p2m twice", m_p2m_twice, "appears twice" },
    { "PAGE_DATA count 0", m_pd_count0, "0 entries" },
    { "PAGE_DATA count big", m_pd_count_big, "1025 entries" },
    { "PAGE_DATA pfn past end", m_pd_pfn_past, "pfn 0x1234 past the end" },
    { "PAGE_DATA reserved type", m_pd_type, "unknown type" },
    { "PAGE_DATA reserved bits", m_pd_reserved, "reserved bits" },
    { "PAGE_DATA short", m_pd_short, "PAGE_DATA" },
    { "PAGE_DATA long", m_pd_long, "PAGE_DATA" },
    { "PAGE_DATA data missing", m_pd_type_needs_data, "9 with data" },
    { "SHARED_INFO length", m_shinfo_len, "SHARED_INFO" },
    { "SHARED_INFO twice", m_shinfo_twice, "appears twice" },
    { "no SHARED_INFO", m_no_shinfo, "no SHARED_INFO" },
    { "TSC mode", m_tsc_mode, "X86_TSC_INFO" },
    { "TSC length", m_tsc_len, "X86_TSC_INFO" },
    { "no vcpu 0", m_no_vcpu0, "for vcpu 0" },
    { "vcpu id", m_vcpu_id, "vcpu 4096" },
    { "vcpu length", m_vcpu_len, "X86_PV_VCPU_BASIC" },
    { "EXTENDED before BASIC", m_ext_before_basic, "before its X86_PV_VCPU_BASIC" },
    { "EXTENDED big", m_ext_big, "X86_PV_VCPU_EXTENDED" },
    { "MSRS length", m_msrs_len, "X86_PV_VCPU_MSRS" },
    { "XSAVE small", m_xsave_small, "X86_PV_VCPU_XSAVE" },
    { "BASIC twice", m_basic_twice, "appears twice" },
    { "non-canonical rip", m_rip, "rip 0x800000000000 is not canonical" },
    { "non-canonical kernel_sp", m_kernel_sp, "kernel_sp" },
    { "non-canonical callback", m_callback, "event_callback_eip" },
    { "ring-0 cs", m_cs_ring0, "cs selector 0xe030 is ring 0" },
    { "ring-0 ss", m_ss_ring0, "ss selector 0x10 is ring 0" },
    { "null cs", m_cs_null, "cs selector 0x3 is null" },
    { "ring-0 ds", m_ds_ring0, "ds selector" },
    { "ring-0 kernel_ss", m_kernel_ss_ring0, "kernel_ss" },
    { "ring-0 trap cs", m_trap_ring0, "trap 14" },
    { "non-canonical trap", m_trap_addr, "trap 14" },
    { "gdt_ents", m_gdt_ents, "gdt_ents 8000" },
    { "GDT frame past end", m_gdt_frame, "GDT frame 0" },
    { "cr3 past end", m_cr3_past, "cr3" },
    { "user cr3 unmarked", m_cr1_bad, "user cr3" },
    { "LDT entries", m_ldt, "LDT" },
    { "start_info past end", m_start_info, "start_info pfn 0x99" },
    { "HVM record", m_hvm_rec, "HVM record" },
    { "checkpoint", m_checkpoint, "Remus/COLO" },
    { "unknown mandatory", m_unknown, "type 0x55" },
    { "END with a body", m_end_len, "(END)" },
    { "no END", m_no_end, "truncated" },
    { "no PAGE_DATA", m_no_pages, "no PAGE_DATA" },
};

START_TEST(save_bad_case)
{
    const struct bad_case *c = &bad_cases[_i];
    struct sb_stream s;
    struct save_image img;
    sb_default(&s);
    c->mutate(&s);
    ck_assert_msg(parse_stream(&s, &img) == -1, "%s: accepted", c->name);
    ck_assert_msg(strstr(err, c->want), "%s: message \"%s\" lacks \"%s\"", c->name, err, c->want);
    ck_assert_msg(strncmp(err, "save ", 5) == 0, "%s: \"%s\"", c->name, err);
    sb_free(&s);
}
END_TEST

/* Byte-level damage the record list cannot express. */
START_TEST(save_bad_bytes)
{
    struct sb_stream s;
    struct save_image img;
    size_t len;
    sb_default(&s);
    uint8_t *buf = sb_write(&s, &len);
    buf[33] = 0xff;                                     /* byte order */
    ck_assert_int_eq(save_stream_parse(buf, len, &img, err, sizeof(err)), -1);
    ck_assert_ptr_nonnull(strstr(err, "byte order"));
    buf[33] = 0x03;
    ck_assert_int_eq(save_stream_parse(buf, len, &img, err, sizeof(err)), 0);
    /* A record length over 128 MiB: the first libxc record (X86_PV_INFO). */
    size_t info = 52 + 4 + save_le32(buf + 48) + 16 + 8 + 40 - 4;
    memcpy(&buf[info + 4], &(uint32_t){ (128u << 20) + 1 }, 4);
    ck_assert_int_eq(save_stream_parse(buf, len, &img, err, sizeof(err)), -1);
    ck_assert_msg(strstr(err, "exceeds"), "%s", err);
    free(buf);
    ck_assert_int_eq(save_stream_parse("hello", 5, &img, err, sizeof(err)), -1);
    ck_assert(!save_stream_is("hello", 5));
    sb_free(&s);
}
END_TEST

/* Every truncation of a good file is refused (and never read past its end). */
START_TEST(save_every_truncation)
{
    struct sb_stream s;
    struct save_image img;
    size_t len;
    sb_default(&s);
    uint8_t *buf = sb_write(&s, &len);
    for (size_t cut = 0; cut < len; cut += (cut < 512 || len - cut < 512) ? 1 : 509) {
        uint8_t *exact = malloc(cut ? cut : 1);
        memcpy(exact, buf, cut);
        ck_assert_msg(save_stream_parse(exact, cut, &img, err, sizeof(err)) == -1,
                      "accepted %zu of %zu bytes", cut, len);
        ck_assert(err[0]);
        free(exact);
    }
    free(buf);
    sb_free(&s);
}
END_TEST

static Suite *save_stream_suite(void)
{
    Suite *s = suite_create("save_stream");
    TCase *tc = tcase_create("parse");
    tcase_add_test(tc, save_default_accepted);
    tcase_add_test(tc, save_page_batches);
    tcase_add_test(tc, save_bare_libxc_and_v2);
    tcase_add_test(tc, save_optional_skipped);
    tcase_add_loop_test(tc, save_bad_case, 0, (int)(sizeof(bad_cases) / sizeof(bad_cases[0])));
    tcase_add_test(tc, save_bad_bytes);
    tcase_add_test(tc, save_every_truncation);
    suite_add_tcase(s, tc);
    return s;
}
UNIT_SUITE(save_stream_suite)
