/*
 * decrease_reservation of frames the guest still references, as Xen
 * 4.17's guest_remove_page: the extent is done, the frame stops being the
 * guest's (M2P entry invalid, no ownership reference) but keeps its pins,
 * mappings and holds, is never reused while any is left, and goes back to
 * pvshim's pool at the last one. GNU Mach's Xen kernel gives back a frame
 * it still has pinned as an L1 table.
 */
#include <string.h>
#include "unit.h"
#include "mm_sim.h"
#include <pvshim/compiler.h>
#include <pvshim/frame_alloc.h>

#define RO (PTE_P | PTE_US | PTE_A)
#define RWF (PTE_P | PTE_RW | PTE_US | PTE_A)

/* The references a case takes on the frame, then drops in the same order. */
enum ref { NONE, PIN_L1, MAP_RO, MAP_RW, HOLD };

static const struct release_case {
    const char *name;
    enum ref refs[4];
} cases[] = {
    { "pinned L1 (GNU Mach)",               { PIN_L1 } },
    { "pinned L1, unpinned before unmaps",  { PIN_L1, MAP_RO, MAP_RO } },
    { "pinned L1, unmapped before unpin",   { MAP_RO, PIN_L1 } },
    { "mapped writable",                    { MAP_RW } },
    { "mapped twice writable",              { MAP_RW, MAP_RW } },
    { "held by pvshim",                     { HOLD } },
};

/* One extent of order 0 through the hypercall; the extents done. */
static long decrease(mfn_t m)
{
    struct xen_memory_reservation *r = (void *)mm_sim_args;
    xen_pfn_t *list = (void *)(mm_sim_args + 64);
    *list = m;
    *r = (struct xen_memory_reservation){ .nr_extents = 1, .domid = DOMID_SELF };
    set_xen_guest_handle(r->extent_start, (xen_pfn_t *)(uintptr_t)(SIM_ARGS_VA + 64));
    return do_memory_op(XENMEM_decrease_reservation, SIM_ARGS_VA);
}

static void take(enum ref r, mfn_t m, mfn_t l1, unsigned slot)
{
    switch (r) {
    case PIN_L1:
        ck_assert_int_eq(pv_mm_pin(m, 1), 0);
        break;
    case MAP_RO:
    case MAP_RW:
        ck_assert_int_eq(mm_sim_mmu_update1(mm_sim_slot_maddr(l1, slot),
                                            mm_sim_pte(m, r == MAP_RO ? RO : RWF)), 0);
        break;
    case HOLD:
        ck_assert_int_eq(pv_mm_get_writable_frame(m), 0);
        mm_sim_note_writable_hold(m, 1);
        break;
    case NONE:
        break;
    }
}

static void drop(enum ref r, mfn_t m, mfn_t l1, unsigned slot)
{
    switch (r) {
    case PIN_L1:
        ck_assert_int_eq(mm_sim_mmuext(MMUEXT_UNPIN_TABLE, m, 0), 0);
        break;
    case MAP_RO:
    case MAP_RW:
        ck_assert_int_eq(mm_sim_mmu_update1(mm_sim_slot_maddr(l1, slot), 0), 0);
        break;
    case HOLD:
        pv_mm_put_writable_frame(m);
        mm_sim_note_writable_hold(m, -1);
        break;
    case NONE:
        break;
    }
}

static bool in_pool(mfn_t m)
{
    return frame_pool_is_free(&machine_frames, m);
}

START_TEST(release_referenced_frame)
{
    const struct release_case *c = &cases[_i];
    mfn_t l1 = mm_sim_alloc(), m = mm_sim_alloc();
    ck_assert_int_eq(pv_mm_pin(l1, 1), 0);
    unsigned n = 0;
    while (n < ARRAY_SIZE(c->refs) && c->refs[n] != NONE) {
        take(c->refs[n], m, l1, n);
        n++;
    }
    uint32_t refs = mm_sim_info(m).refs;
    uint64_t pages = dom.tot_pages;

    /* Done like Xen (not -EBUSY, not 0 extents); nothing else changes. */
    ck_assert_msg(decrease(m) == 1, "%s: decrease_reservation not done", c->name);
    struct pv_frame_info fi = mm_sim_info(m);
    ck_assert_msg(fi.released && fi.owner == PV_OWNER_GUEST, "%s: not kept", c->name);
    ck_assert_uint_eq(fi.refs, refs - 1);           /* the ownership reference */
    ck_assert_int_eq(fi.pinned, c->refs[0] == PIN_L1 || c->refs[1] == PIN_L1);
    ck_assert(!in_pool(m));
    ck_assert_uint_eq(dom.tot_pages, pages);        /* freed at the last put, as Xen */
    ck_mm_invariants();
    /* Given back twice: done, nothing dropped twice. */
    ck_assert_int_eq(decrease(m), 1);
    ck_assert_uint_eq(mm_sim_info(m).refs, refs - 1);
    ck_assert(!in_pool(m));

    for (unsigned i = 0; i < n; i++) {
        bool last = i + 1 == n;
        unsigned flushes = fake_hw.tlb_flushes;
        drop(c->refs[i], m, l1, i);
        ck_mm_invariants();
        fi = mm_sim_info(m);
        if (!last) {
            /* Still referenced: never reused, never given again. */
            ck_assert_msg(fi.released && fi.refs, "%s: freed at drop %u", c->name, i);
            ck_assert(!in_pool(m));
            ck_assert_int_eq(pv_mm_assign(m, 1, PV_OWNER_GUEST), -XEN_EINVAL);
            continue;
        }
        /* The last reference: back to the pool, after a TLB flush. */
        ck_assert_msg(fi.owner == PV_OWNER_NONE && !fi.refs && !fi.type_count && !fi.released,
                      "%s: not freed at the last drop", c->name);
        ck_assert(in_pool(m));
        ck_assert_uint_eq(dom.tot_pages, pages - 1);
        ck_assert_uint_gt(fake_hw.tlb_flushes, flushes);
    }
    /* Free now: it can be the guest's again, and mapped. */
    ck_assert_int_eq(pv_mm_assign(m, 1, PV_OWNER_GUEST), 0);
    ck_assert_int_eq(mm_sim_mmu_update1(mm_sim_slot_maddr(l1, 0), mm_sim_pte(m, RWF)), 0);
    mm_sim_release_all();
    ck_mm_baseline();
}
END_TEST

/* An unreferenced frame still goes back at once (the common balloon case). */
START_TEST(release_unreferenced_frame)
{
    mfn_t m = mm_sim_alloc();
    uint64_t pages = dom.tot_pages;
    ck_assert_int_eq(decrease(m), 1);
    ck_assert_uint_eq(mm_sim_info(m).owner, PV_OWNER_NONE);
    ck_assert(in_pool(m));
    ck_assert_uint_eq(dom.tot_pages, pages - 1);
    /* No longer the guest's at all: refused. */
    ck_assert_int_eq(decrease(m), 0);
    ck_assert_int_eq(pv_mm_release_frame(m), -XEN_EINVAL);
}
END_TEST

/* GNU Mach's case on a PAE guest: the compat M2P entry goes at once. */
START_TEST(release_pinned_pae_l1)
{
    mfn_t m = mm_sim_alloc();
    ck_assert_int_eq(pv_mm_pin(m, 1), 0);
    ck_assert_uint_eq(mm_sim_info(m).refs, 2);      /* as seen in Mach: pinned, 2 refs */
    ck_assert_int_eq(decrease(m), 1);
    ck_assert_uint_eq(mm_sim_compat_m2p[m], 0xffffffffu);
    ck_assert(mm_sim_info(m).pinned && !in_pool(m));
    ck_assert_int_eq(mm_sim_mmuext(MMUEXT_UNPIN_TABLE, m, 0), 0);
    ck_assert(in_pool(m));
    ck_mm_baseline();
}
END_TEST

static Suite *mm_release_suite(void)
{
    Suite *s = suite_create("mm_release");
    TCase *tc = tcase_create("release");
    tcase_add_checked_fixture(tc, mm_sim_setup, mm_sim_teardown);
    tcase_add_loop_test(tc, release_referenced_frame, 0, ARRAY_SIZE(cases));
    tcase_add_test(tc, release_unreferenced_frame);
    suite_add_tcase(s, tc);
    TCase *pae = tcase_create("release_pae");
    tcase_add_checked_fixture(pae, mm_sim_setup_pae, mm_sim_teardown);
    tcase_add_test(pae, release_pinned_pae_l1);
    suite_add_tcase(s, pae);
    return s;
}
UNIT_SUITE(mm_release_suite)
