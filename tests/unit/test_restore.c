/*
 * The rebuild of a saved domain (shim/restore/restore.c) and the loading of
 * its vCPU context (pvops-compat/vcpu_restore.c) on the simulated machine
 * of mm_sim.c: the default stream of save_builder.c is rebuilt with its
 * tables localised, validated and pinned by the PV MMU (invariants checked
 * after), the p2m, M2P, start_info and shared_info as Xen's restore leaves
 * them; each hostile variant of the table is refused with a message naming
 * what is wrong, and the MMU's books still balance.
 */
#include <stdlib.h>
#include <string.h>
#include <pvshim/restore.h>
#include <pvshim/phys.h>
#include "unit.h"
#include "mm_sim.h"
#include "save_builder.h"
#include "vcpu.h"

static struct frame_pool pool;
static struct shared_info shinfo_page;
static struct save_image img;
static struct restore_state rs;
static uint8_t *file;
static char err[400];

#define CTX(f) __builtin_offsetof(struct vcpu_guest_context, f)

/* Parse (must pass) and rebuild on a fresh simulated machine; restore_domain's result. */
static int rebuild(struct sb_stream *s)
{
    size_t len;
    free(file);
    file = sb_write(s, &len);
    ck_assert_msg(save_stream_parse(file, len, &img, err, sizeof(err)) == 0, "parse: %s", err);
    mm_sim_setup();
    frame_pool_init(&pool);
    ck_assert(frame_pool_free(&pool, SIM_GUEST_FIRST, SIM_GUEST_END - SIM_GUEST_FIRST));
    memset(&shinfo_page, 0, sizeof(shinfo_page));
    struct restore_params p = {
        .file = file, .img = &img, .pool = &pool, .m2p = NULL, .max_mfn = SIM_FRAMES,
        .shared_info = &shinfo_page, .shared_info_maddr = 0x123000,
        .console_evtchn = 2, .xenstore_evtchn = 1,
    };
    err[0] = '\0';
    return restore_domain(&p, &rs, err, sizeof(err));
}

/* vCPU 0's rebuilt context into the simulated vCPU 0, as guest_restore does. */
static int restore_vcpu0(void)
{
    mm_sim_unstarted_vcpu0();
    err[0] = '\0';
    return pv_vcpu_restore(current, &rs.vcpu[0].ctx, rs.vcpu[0].ext, rs.vcpu[0].ext_len, err,
                           sizeof(err));
}

/* The guest's own p2m (pfn 7's frame) says where each pfn went. */
static mfn_t mfn_of(uint64_t pfn)
{
    const uint64_t *entry = NULL;
    for (mfn_t m = SIM_GUEST_FIRST; m < SIM_GUEST_END && !entry; m++) {
        const uint64_t *page = phys_access_frame(m);
        /* pfn 7 is the p2m frame: its entry 7 names itself. */
        if (page[7] == m && page[8] == INVALID_MFN)
            entry = page;
    }
    ck_assert_ptr_nonnull(entry);
    return entry[pfn];
}

START_TEST(restore_default)
{
    struct sb_stream s;
    sb_default(&s);
    ck_assert_msg(rebuild(&s) == 0, "%s", err);
    ck_assert_uint_eq(rs.nr_pages, SB_NR_PFNS - 1);          /* pfn 8 is XTAB */
    mfn_t l4 = mfn_of(0), l1 = mfn_of(3), si = mfn_of(4);
    ck_assert_uint_eq(rs.start_info_mfn, si);
    ck_assert_uint_eq(rs.xenstore_mfn, mfn_of(5));
    ck_assert_uint_eq(rs.console_mfn, mfn_of(6));
    ck_assert_uint_eq(mfn_of(8), INVALID_MFN);
    /* Pinned and validated by the MMU; the L1 entries name the new frames. */
    struct pv_frame_info fi;
    ck_assert(pv_mm_frame_info(l4, &fi));
    ck_assert(fi.pinned && fi.type == PV_TYPE_L4 && fi.validated);
    ck_assert_uint_eq(mm_sim_table(l1)[1] & ~0xfffull, mfn_to_paddr(mfn_of(5)));
    /* start_info: frames, ports, shared_info, flags. */
    const start_info_t *sip = phys_access_frame(si);
    ck_assert_uint_eq(sip->store_mfn, mfn_of(5));
    ck_assert_uint_eq(sip->console.domU.mfn, mfn_of(6));
    ck_assert_uint_eq(sip->store_evtchn, 1);
    ck_assert_uint_eq(sip->console.domU.evtchn, 2);
    ck_assert_uint_eq(sip->shared_info, 0x123000);
    ck_assert_uint_eq(sip->flags, 0);
    ck_assert_uint_eq(sip->nr_pages, SB_NR_PFNS);
    /* shared_info: every port masked, nothing pending. */
    ck_assert_uint_eq(shinfo_page.evtchn_mask[0], ~(xen_ulong_t)0);
    ck_assert_uint_eq(shinfo_page.evtchn_pending[0], 0);
    /* The context: frames localised, then loaded into the vCPU. */
    ck_assert_uint_eq(rs.vcpu[0].ctx.ctrlreg[3], mfn_to_paddr(l4));
    ck_assert_uint_eq(rs.vcpu[0].ctx.user_regs.rdx, si);
    /* (The backend frames are held by guest_restore; the simulation does not count holds.) */
    ck_assert_msg(restore_vcpu0() == 0, "%s", err);
    const struct cpu_regs *r = &current->start_regs;
    ck_assert_uint_eq(current->guest_table, l4);
    ck_assert_uint_eq(r->rip, SB_VA_BASE + 0x100);
    ck_assert_uint_eq(r->rdx, si);
    ck_assert_uint_eq(r->rax, 0);
    ck_assert_uint_eq(r->rflags, 0x202);
    ck_assert(current->initialised && current->up);
    ck_assert_uint_eq(current->trap_ctxt[14].address, SB_VA_BASE + 0x500);
    ck_assert_uint_eq(current->event_callback, SB_VA_BASE + 0x200);
    ck_mm_invariants();
    sb_free(&s);
}
END_TEST

static struct sb_rec *pd(struct sb_stream *s)
{
    return &s->rec[sb_find(s, SAVE_REC_PAGE_DATA)];
}

/* The page of pfn (1..7 have data, in order) inside the PAGE_DATA body. */
static uint8_t *page_of(struct sb_stream *s, unsigned pfn)
{
    return pd(s)->body + 8 + 8 * SB_NR_PFNS + (size_t)pfn * SAVE_PAGE_SIZE;
}

static void put64(uint8_t *p, uint64_t v) { memcpy(p, &v, 8); }

static void h_l1_self_rw(struct sb_stream *s) { put64(page_of(s, 3) + 8 * 7, 3ull << 12 | 0x67); }
static void h_l1_maps_l4_rw(struct sb_stream *s) { put64(page_of(s, 3) + 8 * 7, 0ull << 12 | 0x67); }
static void h_pte_unpopulated(struct sb_stream *s) { put64(page_of(s, 3) + 8 * 7, 8ull << 12 | 0x65); }
static void h_superpage(struct sb_stream *s) { put64(page_of(s, 2) + 8 * 1, 4ull << 12 | 0xe7); }
static void h_pfn_twice(struct sb_stream *s)
{
    uint8_t body[8 + 8 + SAVE_PAGE_SIZE] = { 1 };
    put64(body + 8, 5);
    sb_insert(s, (unsigned)sb_find(s, SAVE_REC_PAGE_DATA) + 1, SAVE_REC_PAGE_DATA, body, sizeof(body));
}
static void h_cr3_not_l4(struct sb_stream *s) { sb_ctx_put64(s, CTX(ctrlreg[3]), 4ull << 12); }
static void h_start_info_table(struct sb_stream *s) { sb_ctx_put64(s, CTX(user_regs.rdx), 1); }
static void h_p2m_is_table(struct sb_stream *s)
{
    put64(s->rec[sb_find(s, SAVE_REC_X86_PV_P2M_FRAMES)].body + 8, 3);
}
static void h_store_past(struct sb_stream *s) { put64(page_of(s, 4) + 56, 77); }
static void h_gdt_is_table(struct sb_stream *s)
{
    sb_ctx_put64(s, CTX(gdt_ents), 16);
    sb_ctx_put64(s, CTX(gdt_frames[0]), 2);
}

/* Flags a context may not carry into the guest: IOPL (virtual), VM, NT. */
START_TEST(restore_rflags_sanitised)
{
    struct sb_stream s;
    sb_default(&s);
    sb_ctx_put64(&s, CTX(user_regs.rflags), 0x3000 | 0x20000 | 0x4000 | 0x1 | 0x100);
    ck_assert_msg(rebuild(&s) == 0, "%s", err);
    ck_assert_int_eq(restore_vcpu0(), 0);
    ck_assert_uint_eq(current->start_regs.rflags, 0x1 | 0x100 | 0x200 | 0x2);
    sb_free(&s);
}
END_TEST

static const struct hostile {
    const char *name;
    void (*mutate)(struct sb_stream *);
    const char *want;
} hostile[] = {
    { "an L1 mapping itself writable", h_l1_self_rw, "pinned L4 table at pfn 0 does not validate" },
    { "an L1 mapping the L4 writable", h_l1_maps_l4_rw, "pinned L4 table at pfn 0 does not validate" },
    { "a PTE naming an XTAB pfn", h_pte_unpopulated, "L1 table at pfn 0x3 entry 7 names pfn 0x8" },
    { "a superpage", h_superpage, "L2 table at pfn 0x2 entry 1 is a superpage" },
    { "a pfn sent twice", h_pfn_twice, "pfn 0x5 is sent twice" },
    { "cr3 not an L4", h_cr3_not_l4, "cr3 pfn 0x4 is not an L4 table" },
    { "start_info a page table", h_start_info_table, "start_info (vcpu 0's rdx) is pfn 0x1, not a plain" },
    { "a p2m frame that is a table", h_p2m_is_table, "X86_PV_P2M_FRAMES frame is pfn 0x3" },
    { "a store page past the end", h_store_past, "xenstore page is pfn 0x4d, past the end" },
};

START_TEST(restore_hostile)
{
    const struct hostile *h = &hostile[_i];
    struct sb_stream s;
    sb_default(&s);
    h->mutate(&s);
    ck_assert_msg(rebuild(&s) == -1, "%s: accepted", h->name);
    ck_assert_msg(strstr(err, h->want), "%s: \"%s\" lacks \"%s\"", h->name, err, h->want);
    ck_mm_invariants();
    sb_free(&s);
}
END_TEST

/* A GDT frame that is a page table: refused when the context is loaded. */
START_TEST(restore_gdt_frame_is_table)
{
    struct sb_stream s;
    sb_default(&s);
    h_gdt_is_table(&s);
    ck_assert_int_eq(rebuild(&s), -1);
    ck_assert_msg(strstr(err, "a GDT frame of vcpu 0 is pfn 0x2"), "%s", err);
    sb_free(&s);
}
END_TEST

static Suite *restore_suite(void)
{
    Suite *s = suite_create("restore");
    TCase *tc = tcase_create("rebuild");
    tcase_add_test(tc, restore_default);
    tcase_add_loop_test(tc, restore_hostile, 0, (int)(sizeof(hostile) / sizeof(hostile[0])));
    tcase_add_test(tc, restore_gdt_frame_is_table);
    tcase_add_test(tc, restore_rflags_sanitised);
    suite_add_tcase(s, tc);
    return s;
}
UNIT_SUITE(restore_suite)
