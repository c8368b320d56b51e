/*
 * The save-file writer (shim/restore/save_write.c) on the simulated machine
 * of mm_sim.c: the default stream of save_builder.c is rebuilt by the
 * restore, then written out again from the rebuilt domain; the parser must
 * accept what the writer wrote, with the tables normalised back to pfns,
 * the pins kept, the context's frames as pfns, and a second restore of it
 * must succeed. A table naming a frame that is not the guest's, and a sink
 * that fails, stop the writer with a message.
 */
#include <stdlib.h>
#include <string.h>
#include <pvshim/restore.h>
#include <pvshim/save_write.h>
#include <pvshim/phys.h>
#include "unit.h"
#include "mm_sim.h"
#include "save_builder.h"

static struct frame_pool pool;
/* shared_info is a whole page to the writer. */
static union { struct shared_info si; uint8_t page[SAVE_PAGE_SIZE]; } shinfo_page;
static struct save_image img;
static struct restore_state rs;
static char err[400];
static uint8_t *file;

#define CTX(f) __builtin_offsetof(struct vcpu_guest_context, f)
static size_t file_len;

/* The writer's output, in memory. */
static uint8_t *out;
static size_t out_len, out_cap, fail_at;

static int mem_write(void *arg, const void *buf, size_t len)
{
    (void)arg;
    if (fail_at && out_len + len > fail_at)
        return -XEN_EIO;
    if (out_len + len > out_cap) {
        out_cap = (out_len + len) * 2;
        out = realloc(out, out_cap);
    }
    memcpy(out + out_len, buf, len);
    out_len += len;
    return 0;
}

/* Parse and rebuild a file on a fresh machine; restore_domain's result. */
static int rebuild_file(const uint8_t *f, size_t len)
{
    ck_assert_msg(save_stream_parse(f, len, &img, err, sizeof(err)) == 0, "parse: %s", err);
    mm_sim_setup();
    frame_pool_init(&pool);
    ck_assert(frame_pool_free(&pool, SIM_GUEST_FIRST, SIM_GUEST_END - SIM_GUEST_FIRST));
    memset(&shinfo_page, 0, sizeof(shinfo_page));
    struct restore_params p = {
        .file = f, .img = &img, .pool = &pool, .m2p = NULL, .max_mfn = SIM_FRAMES,
        .shared_info = &shinfo_page.si, .shared_info_maddr = 0x123000,
        .console_evtchn = 2, .xenstore_evtchn = 1,
    };
    return restore_domain(&p, &rs, err, sizeof(err));
}

static mfn_t p2m_mfn;
static uint64_t p2m_pfn = 7;        /* save_builder's p2m frame */
static uint64_t m2p[SIM_FRAMES];

/* The rebuilt default domain, described for the writer as the kernel does. */
static void source(struct save_source *src)
{
    struct sb_stream s;
    sb_default(&s);
    free(file);
    file = sb_write(&s, &file_len);
    sb_free(&s);
    ck_assert_msg(rebuild_file(file, file_len) == 0, "%s", err);
    /* The guest's p2m names the new frames; the M2P is their inverse. */
    for (mfn_t m = SIM_GUEST_FIRST; m < SIM_GUEST_END; m++) {
        const uint64_t *page = phys_access_frame(m);
        if (page[p2m_pfn] == m && page[SB_NR_PFNS - 1] == INVALID_MFN)
            p2m_mfn = m;
    }
    ck_assert_uint_ne(p2m_mfn, 0);
    const uint64_t *p2m = phys_access_frame(p2m_mfn);
    memset(m2p, 0xff, sizeof(m2p));
    for (uint64_t pfn = 0; pfn < SB_NR_PFNS; pfn++)
        if (p2m[pfn] != INVALID_MFN)
            m2p[p2m[pfn]] = pfn;
    /* The guest's part before it suspends: start_info's frames as pfns. */
    start_info_t *si = phys_access_frame(rs.start_info_mfn);
    si->store_mfn = m2p[si->store_mfn];
    si->console.domU.mfn = m2p[si->console.domU.mfn];
    memset(src, 0, sizeof(*src));
    src->max_pfn = SB_NR_PFNS - 1;
    src->p2m_mfns = &p2m_mfn;
    src->p2m_frames = &p2m_pfn;
    src->m2p = m2p;
    src->max_mfn = SIM_FRAMES;
    src->ctx = &rs.vcpu[0].ctx;
    src->ext = rs.vcpu[0].ext;
    src->ext_len = rs.vcpu[0].ext_len;
    src->shared_info = &shinfo_page;
    src->tsc_khz = 1000000;
}

static int write_out(const struct save_source *src)
{
    struct save_sink sink = { mem_write, NULL };
    uint64_t written = 0;
    out_len = 0;
    err[0] = '\0';
    int rc = save_write(src, &sink, &written, err, sizeof(err));
    if (!rc)
        ck_assert_uint_eq(written, out_len);
    return rc;
}

START_TEST(written_file_parses_and_restores)
{
    struct save_source src;
    source(&src);
    fail_at = 0;
    ck_assert_msg(write_out(&src) == 0, "%s", err);
    uint8_t *copy = malloc(out_len);
    memcpy(copy, out, out_len);
    /* What the parser sees: the same domain, the frames as pfns. */
    struct save_image w;
    ck_assert_msg(save_stream_parse(copy, out_len, &w, err, sizeof(err)) == 0, "%s", err);
    ck_assert(w.xl_header);
    ck_assert_uint_eq(w.version, 3);
    ck_assert_uint_eq(w.max_pfn, SB_NR_PFNS - 1);
    ck_assert_uint_eq(w.nr_page_entries, SB_NR_PFNS);
    ck_assert_uint_eq(w.nr_pages_with_data, SB_NR_PFNS - 1);     /* pfn 8 has no frame */
    ck_assert(w.vcpu[0].basic.len && w.vcpu[0].extended.len == rs.vcpu[0].ext_len);
    /* The records lie at any alignment in the file: bytes, not structs. */
    const uint8_t *c = copy + w.vcpu[0].basic.off;
    ck_assert_uint_eq(save_le64(c + CTX(ctrlreg[3])), 0);       /* the L4 is pfn 0 */
    ck_assert_uint_eq(save_le64(c + CTX(user_regs.rdx)), 4);    /* start_info pfn */
    uint64_t cur = w.libxc_start;
    struct save_page_batch b;
    ck_assert(save_next_page_batch(copy, &w, &cur, &b));
    ck_assert_uint_eq(save_entry_type(save_batch_entry(&b, 0)), SAVE_PF_PINNED | 4);
    ck_assert_uint_eq(save_entry_type(save_batch_entry(&b, 3)), 1);
    ck_assert_uint_eq(save_entry_type(save_batch_entry(&b, 4)), SAVE_PF_NOTAB);
    ck_assert_uint_eq(save_entry_type(save_batch_entry(&b, 8)), SAVE_PF_XTAB);
    /* The L1 (pfn 3, the fourth page with data) maps pfns again: entry 1 is the store page. */
    ck_assert_uint_eq(save_le64(b.data + 3 * SAVE_PAGE_SIZE + 8) >> 12, 5);
    /* And the restore takes it. */
    ck_assert_msg(rebuild_file(copy, out_len) == 0, "%s", err);
    ck_mm_invariants();
    free(copy);
}
END_TEST

START_TEST(a_table_naming_a_foreign_frame_stops_the_save)
{
    struct save_source src;
    source(&src);
    fail_at = 0;
    /* The L1 (pfn 3) gains an entry for an I/O frame, behind the MMU's back. */
    mfn_t l1 = ((const uint64_t *)phys_access_frame(p2m_mfn))[3];
    mm_sim_table(l1)[9] = mm_sim_pte(SIM_IO_FIRST, PTE_P);
    ck_assert_int_eq(write_out(&src), -1);
    ck_assert_msg(strstr(err, "L1 table at pfn 0x3 entry 9 maps frame 0xf0, which is not one "
                              "of the guest's pages"), "%s", err);
}
END_TEST

START_TEST(a_failing_sink_stops_the_save)
{
    struct save_source src;
    source(&src);
    fail_at = 5000;
    ck_assert_int_eq(write_out(&src), -1);
    ck_assert_msg(strstr(err, "save: writing at byte"), "%s", err);
    fail_at = 0;
}
END_TEST

static void teardown(void)
{
    free(out);
    out = NULL;
    out_cap = out_len = 0;
}

static Suite *save_write_suite(void)
{
    Suite *s = suite_create("save_write");
    TCase *tc = tcase_create("write");
    tcase_add_checked_fixture(tc, NULL, teardown);
    tcase_add_test(tc, written_file_parses_and_restores);
    tcase_add_test(tc, a_table_naming_a_foreign_frame_stops_the_save);
    tcase_add_test(tc, a_failing_sink_stops_the_save);
    suite_add_tcase(s, tc);
    return s;
}
UNIT_SUITE(save_write_suite)
