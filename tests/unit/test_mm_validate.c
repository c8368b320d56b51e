/*
 * PV MMU validation rules, each positive and negative with Xen's error
 * code: through pinning (whole-table validation) and through mmu_update
 * (one entry), with the invariant checker after every step.
 */
#include <string.h>
#include "unit.h"
#include "mm_sim.h"

#define RO (PTE_P | PTE_US | PTE_A)
#define RWF (PTE_P | PTE_RW | PTE_US | PTE_A)

/* An L1 whose entry 0 is e, pinned: Xen's answer for that entry. */
static long pin_l1_with(pte_t e)
{
    mfn_t l1 = mm_sim_alloc();
    mm_sim_table(l1)[0] = e;
    long rc = pv_mm_pin(l1, 1);
    ck_mm_invariants();
    return rc;
}

/* The same entry written by mmu_update into a pinned, empty L1. */
static long update_l1_with(pte_t e)
{
    mfn_t l1 = mm_sim_alloc();
    ck_assert_int_eq(pv_mm_pin(l1, 1), 0);
    long rc = mm_sim_mmu_update1(mm_sim_slot_maddr(l1, 7), e);
    if (rc)
        ck_assert_uint_eq(mm_sim_table(l1)[7], 0);
    ck_mm_invariants();
    return rc;
}

static void both_l1(pte_t e, long want)
{
    ck_assert_int_eq(pin_l1_with(e), want);
    ck_assert_int_eq(update_l1_with(e), want);
}

START_TEST(l1_own_frames)
{
    mfn_t data = mm_sim_alloc();
    both_l1(mm_sim_pte(data, RO), 0);
    both_l1(mm_sim_pte(data, RWF), 0);
    ck_assert_int_eq(mm_sim_info(data).type, PV_TYPE_WRITABLE);
    ck_assert_uint_eq(mm_sim_info(data).type_count, 2);
    /* Not present: anything goes, nothing is referenced. */
    both_l1(0xfffffffffffffffeull, 0);
}
END_TEST

START_TEST(l1_foreign_frames)
{
    both_l1(mm_sim_pte(SIM_SHIM_FIRST + 3, RO), -XEN_EBUSY);     /* pvshim's */
    both_l1(mm_sim_pte(SIM_FREE_FIRST, RO), -XEN_EBUSY);         /* free */
    both_l1(mm_sim_pte(SIM_IO_FIRST, RO), -XEN_EPERM);           /* I/O */
    both_l1(mm_sim_pte(0x123456, RO), -XEN_EPERM);               /* beyond RAM */
    both_l1(mm_sim_pte(0xffffffffffull, RO), -XEN_EINVAL);       /* Xen's "no frame" */
}
END_TEST

START_TEST(l1_flags)
{
    mfn_t data = mm_sim_alloc();
    both_l1(mm_sim_pte(data, RO | PTE_PWT), -XEN_EINVAL);
    both_l1(mm_sim_pte(data, RO | PTE_PCD), -XEN_EINVAL);
    both_l1(mm_sim_pte(data, RO | PTE_PS), -XEN_EINVAL);         /* PAT */
    both_l1(mm_sim_pte(data, RO | (1ull << 62)), -XEN_EINVAL);   /* _PAGE_GNTTAB */
    both_l1(mm_sim_pte(data, RO | PTE_NX | PTE_D | PTE_AVAIL | (0x3full << 52)), 0);
}
END_TEST

START_TEST(l1_adjustments)
{
    mfn_t data = mm_sim_alloc(), l1 = mm_sim_alloc();
    pte_t *t = mm_sim_table(l1);
    t[0] = mm_sim_pte(data, PTE_P);                    /* kernel page, no US */
    t[1] = mm_sim_pte(data, PTE_P | PTE_US | PTE_G);   /* Global allowed in L1 */
    ck_assert_int_eq(pv_mm_pin(l1, 1), 0);
    ck_assert_uint_eq(t[0], mm_sim_pte(data, PTE_P | PTE_US | (1ull << 52)));
    ck_assert_uint_eq(t[1], mm_sim_pte(data, PTE_P | PTE_US));
    ck_assert_int_eq(mm_sim_mmu_update1(mm_sim_slot_maddr(l1, 2), mm_sim_pte(data, PTE_P | PTE_G)), 0);
    ck_assert_uint_eq(t[2], mm_sim_pte(data, PTE_P | PTE_US | (1ull << 52)));
    ck_mm_invariants();
}
END_TEST

START_TEST(no_writable_mapping_of_tables)
{
    mfn_t l1 = mm_sim_alloc(), l2 = mm_sim_alloc();
    ck_assert_int_eq(pv_mm_pin(l1, 1), 0);
    mm_sim_table(l2)[0] = mm_sim_pte(l1, RWF);
    ck_assert_int_eq(pv_mm_pin(l2, 2), 0);

    /* Read-only mappings of tables are fine, writable ones never. */
    both_l1(mm_sim_pte(l1, RO), 0);
    both_l1(mm_sim_pte(l1, RWF), -XEN_EBUSY);
    both_l1(mm_sim_pte(l2, RWF), -XEN_EBUSY);

    /* An L1 mapping itself writable cannot be pinned; read-only it can. */
    mfn_t self = mm_sim_alloc();
    mm_sim_table(self)[5] = mm_sim_pte(self, RWF);
    ck_assert_int_eq(pv_mm_pin(self, 1), -XEN_EBUSY);
    mm_sim_table(self)[5] = mm_sim_pte(self, RO);
    ck_assert_int_eq(pv_mm_pin(self, 1), 0);
    ck_assert_int_eq(mm_sim_mmu_update1(mm_sim_slot_maddr(self, 5), mm_sim_pte(self, RWF)), -XEN_EBUSY);
    ck_mm_invariants();
}
END_TEST

START_TEST(writable_frames_cannot_become_tables)
{
    mfn_t data = mm_sim_alloc(), l1 = mm_sim_alloc();
    ck_assert_int_eq(pv_mm_pin(l1, 1), 0);
    ck_assert_int_eq(mm_sim_mmu_update1(mm_sim_slot_maddr(l1, 0), mm_sim_pte(data, RWF)), 0);
    for (unsigned level = 1; level <= 4; level++)
        ck_assert_int_eq(pv_mm_pin(data, level), -XEN_EINVAL);
    /* Once the writable mapping goes, it can. */
    ck_assert_int_eq(mm_sim_mmu_update1(mm_sim_slot_maddr(l1, 0), 0), 0);
    ck_assert_int_eq(pv_mm_pin(data, 1), 0);
    ck_mm_invariants();
}
END_TEST

/* A table at `level` whose entry 3 is e: its pin result. */
static long pin_with(unsigned level, pte_t e)
{
    mfn_t t = mm_sim_alloc();
    mm_sim_table(t)[3] = e;
    long rc = pv_mm_pin(t, level);
    ck_mm_invariants();
    return rc;
}

START_TEST(upper_levels_flags)
{
    for (unsigned level = 2; level <= 4; level++) {
        mfn_t child = mm_sim_alloc();
        ck_assert_int_eq(pin_with(level, mm_sim_pte(child, RWF | PTE_PS)), -XEN_EINVAL);
        ck_assert_int_eq(pin_with(level, mm_sim_pte(child, RWF | PTE_G)), -XEN_EINVAL);
        ck_assert_int_eq(pin_with(level, mm_sim_pte(child, RWF | PTE_PWT)), -XEN_EINVAL);
        ck_assert_int_eq(pin_with(level, mm_sim_pte(child, RWF | PTE_PCD)), -XEN_EINVAL);
        ck_assert_int_eq(mm_sim_info(child).type_count, 0);
        ck_assert_int_eq(pin_with(level, mm_sim_pte(child, RWF | PTE_NX | (1ull << 62))), 0);
        ck_assert_int_eq(mm_sim_info(child).type, level - 1);
    }
}
END_TEST

START_TEST(upper_levels_targets)
{
    for (unsigned level = 2; level <= 4; level++) {
        ck_assert_int_eq(pin_with(level, mm_sim_pte(SIM_SHIM_FIRST, RWF)), -XEN_EINVAL);
        ck_assert_int_eq(pin_with(level, mm_sim_pte(SIM_IO_FIRST, RWF)), -XEN_EINVAL);
        ck_assert_int_eq(pin_with(level, mm_sim_pte(SIM_FREE_FIRST, RWF)), -XEN_EINVAL);
        ck_assert_int_eq(pin_with(level, mm_sim_pte(0xfffffffffull, RWF)), -XEN_EINVAL);
        /* A frame that is a table of the wrong level. */
        mfn_t wrong = mm_sim_alloc();
        ck_assert_int_eq(pv_mm_pin(wrong, level == 2 ? 2 : 1), 0);
        ck_assert_int_eq(pin_with(level, mm_sim_pte(wrong, RWF)), -XEN_EINVAL);
    }
}
END_TEST

START_TEST(nested_errors_propagate)
{
    /* L4 -> L3 -> L2 -> L1 whose entry maps I/O space: the L1's -EPERM comes up. */
    mfn_t l4 = mm_sim_alloc();
    mfn_t l1 = mm_sim_map_raw(l4, 0x400000, SIM_IO_FIRST, RO);
    ck_assert_int_eq(pv_mm_pin(l4, 4), -XEN_EPERM);
    ck_mm_invariants();
    ck_mm_baseline();
    mm_sim_table(l1)[pt_index(0x400000, L1_SHIFT)] = mm_sim_pte(SIM_SHIM_FIRST, RO);
    ck_assert_int_eq(pv_mm_pin(l4, 4), -XEN_EBUSY);
    mm_sim_table(l1)[pt_index(0x400000, L1_SHIFT)] = mm_sim_pte(mm_sim_alloc(), RWF);
    ck_assert_int_eq(pv_mm_pin(l4, 4), 0);
    ck_mm_invariants();
}
END_TEST

START_TEST(hypervisor_slots)
{
    mfn_t l4 = mm_sim_alloc(), l3 = mm_sim_alloc();
    pte_t *t = mm_sim_table(l4);
    /* Guest junk in the hypervisor slots is ignored and replaced. */
    for (unsigned i = 256; i <= 271; i++)
        t[i] = mm_sim_pte(SIM_SHIM_FIRST + 1, RWF);
    t[255] = mm_sim_pte(l3, RWF);
    ck_assert_int_eq(pv_mm_pin(l4, 4), 0);
    ck_assert_uint_eq(t[256], 0);                    /* RO M2P hidden until used */
    for (unsigned i = 257; i <= 271; i++)
        ck_assert_uint_eq(t[i], mm_sim_hyp_slots[i - 256]);
    ck_mm_invariants();

    /* Guest writes to them: -EINVAL, whatever the value. */
    for (unsigned i = 256; i <= 271; i++) {
        ck_assert_int_eq(mm_sim_mmu_update1(mm_sim_slot_maddr(l4, i), 0), -XEN_EINVAL);
        ck_assert_int_eq(mm_sim_mmu_update1(mm_sim_slot_maddr(l4, i), mm_sim_pte(l3, RWF)), -XEN_EINVAL);
    }
    ck_assert_uint_eq(t[257], mm_sim_hyp_slots[1]);
    /* As the kernel base (m2p_strict off) the RO M2P appears. */
    ck_assert_int_eq(mm_sim_mmuext(MMUEXT_NEW_BASEPTR, l4, 0), 0);
    ck_assert_uint_eq(t[256], mm_sim_hyp_slots[0]);
    ck_assert_uint_eq(fake_hw.cr3, mfn_to_paddr(l4));
    ck_mm_invariants();
}
END_TEST

START_TEST(hypervisor_slots_m2p_strict)
{
    dom.vm_assist |= 1ull << VMASST_TYPE_m2p_strict;
    mfn_t k = mm_sim_alloc(), u = mm_sim_alloc();
    ck_assert_int_eq(pv_mm_pin(k, 4), 0);
    ck_assert_int_eq(pv_mm_pin(u, 4), 0);
    ck_assert_uint_eq(mm_sim_table(k)[256], mm_sim_hyp_slots[0]);
    ck_assert_int_eq(mm_sim_mmuext(MMUEXT_NEW_USER_BASEPTR, u, 0), 0);
    ck_assert_uint_eq(mm_sim_table(u)[256], 0);         /* user mode can't see the M2P */
    ck_assert_int_eq(mm_sim_mmuext(MMUEXT_NEW_BASEPTR, k, 0), 0);
    ck_assert_uint_eq(mm_sim_table(k)[256], mm_sim_hyp_slots[0]);
    ck_mm_invariants();
}
END_TEST

START_TEST(update_upper_levels)
{
    mfn_t l4 = mm_sim_alloc();
    ck_assert_int_eq(pv_mm_pin(l4, 4), 0);
    mfn_t l3 = mm_sim_alloc(), l2 = mm_sim_alloc(), l1 = mm_sim_alloc(), data = mm_sim_alloc();

    ck_assert_int_eq(mm_sim_mmu_update1(mm_sim_slot_maddr(l4, 0), mm_sim_pte(l3, PTE_P | PTE_RW)), 0);
    ck_assert_uint_eq(mm_sim_table(l4)[0], mm_sim_pte(l3, PTE_P | PTE_RW | PTE_US | PTE_A));
    ck_assert_int_eq(mm_sim_mmu_update1(mm_sim_slot_maddr(l3, 1), mm_sim_pte(l2, PTE_P | PTE_RW)), 0);
    ck_assert_int_eq(mm_sim_mmu_update1(mm_sim_slot_maddr(l2, 2), mm_sim_pte(l1, PTE_P | PTE_RW)), 0);
    ck_assert_uint_eq(mm_sim_table(l2)[2], mm_sim_pte(l1, PTE_P | PTE_RW | PTE_US));
    ck_assert_int_eq(mm_sim_mmu_update1(mm_sim_slot_maddr(l1, 3), mm_sim_pte(data, RWF)), 0);
    ck_assert_int_eq(mm_sim_info(l1).type, PV_TYPE_L1);
    ck_assert_int_eq(mm_sim_info(l3).type_count, 1);
    ck_mm_invariants();

    /* The tree's tables can no longer be mapped writable. */
    ck_assert_int_eq(mm_sim_mmu_update1(mm_sim_slot_maddr(l1, 4), mm_sim_pte(l2, RWF)), -XEN_EBUSY);
    /* Flags at upper levels, through updates. */
    ck_assert_int_eq(mm_sim_mmu_update1(mm_sim_slot_maddr(l2, 5), mm_sim_pte(data, RWF | PTE_PS)), -XEN_EINVAL);
    ck_assert_int_eq(mm_sim_mmu_update1(mm_sim_slot_maddr(l3, 5), mm_sim_pte(l2, RWF | PTE_G)), -XEN_EINVAL);
    ck_assert_int_eq(mm_sim_mmu_update1(mm_sim_slot_maddr(l4, 5), mm_sim_pte(l3, RWF | PTE_PWT)), -XEN_EINVAL);
    /* Wrong levels. */
    ck_assert_int_eq(mm_sim_mmu_update1(mm_sim_slot_maddr(l4, 6), mm_sim_pte(l2, RWF)), -XEN_EINVAL);
    ck_assert_int_eq(mm_sim_mmu_update1(mm_sim_slot_maddr(l2, 6), mm_sim_pte(l3, RWF)), -XEN_EINVAL);
    ck_mm_invariants();

    /* Cutting the tree at the top releases everything below. */
    ck_assert_int_eq(mm_sim_mmu_update1(mm_sim_slot_maddr(l4, 0), 0), 0);
    ck_assert_int_eq(mm_sim_info(l3).type_count, 0);
    ck_assert_int_eq(mm_sim_info(l1).type_count, 0);
    ck_assert_int_eq(mm_sim_info(data).type_count, 0);
    ck_assert_int_eq(mm_sim_info(data).refs, 1);
    ck_mm_invariants();
}
END_TEST

START_TEST(fast_path_keeps_references)
{
    mfn_t l1 = mm_sim_alloc(), data = mm_sim_alloc();
    ck_assert_int_eq(pv_mm_pin(l1, 1), 0);
    ck_assert_int_eq(mm_sim_mmu_update1(mm_sim_slot_maddr(l1, 0), mm_sim_pte(data, RWF)), 0);
    /* A/D/NX/available bit changes: same references. */
    ck_assert_int_eq(mm_sim_mmu_update1(mm_sim_slot_maddr(l1, 0),
                                     mm_sim_pte(data, RWF | PTE_D | PTE_NX | (1ull << 9))), 0);
    ck_assert_uint_eq(mm_sim_info(data).refs, 2);
    ck_assert_uint_eq(mm_sim_info(data).type_count, 1);
    /* RW dropped: the writable type reference goes. */
    ck_assert_int_eq(mm_sim_mmu_update1(mm_sim_slot_maddr(l1, 0), mm_sim_pte(data, RO)), 0);
    ck_assert_uint_eq(mm_sim_info(data).type_count, 0);
    ck_assert_uint_eq(mm_sim_info(data).refs, 2);
    /* Refused flags are refused on the fast path too. */
    ck_assert_int_eq(mm_sim_mmu_update1(mm_sim_slot_maddr(l1, 0), mm_sim_pte(data, RO | PTE_PCD)), -XEN_EINVAL);
    ck_mm_invariants();
}
END_TEST

/*
 * Whole-table validation skips empty entries eight at a time: entries at
 * the edges of those groups and of the hypervisor slots each take their
 * references, a refused one releases every entry before it, and unpinning
 * drops them all.
 */
static const unsigned edge_slots[] = { 0, 1, 7, 8, 9, 15, 16, 247, 255, 256, 263,
                                       264, 271, 272, 273, 504, 510, 511 };
#define EDGES (sizeof(edge_slots) / sizeof(edge_slots[0]))

START_TEST(scan_edges_l1)
{
    mfn_t l1 = mm_sim_alloc(), data[EDGES];
    pte_t *t = mm_sim_table(l1);
    for (unsigned k = 0; k < EDGES; k++) {
        data[k] = mm_sim_alloc();
        t[edge_slots[k]] = mm_sim_pte(data[k], k & 1 ? RWF : RO);
    }
    /* Refused in the middle (slot 300): nothing stays held. */
    t[300] = mm_sim_pte(SIM_IO_FIRST, RO);
    ck_assert_int_eq(pv_mm_pin(l1, 1), -XEN_EPERM);
    for (unsigned k = 0; k < EDGES; k++)
        ck_assert_uint_eq(mm_sim_info(data[k]).refs, 1);
    ck_mm_invariants();
    /* Refused in the last slot. */
    t[300] = 0;
    pte_t last = t[511];
    t[511] = mm_sim_pte(SIM_SHIM_FIRST + 3, RO);
    ck_assert_int_eq(pv_mm_pin(l1, 1), -XEN_EBUSY);
    for (unsigned k = 0; k < EDGES; k++)
        ck_assert_uint_eq(mm_sim_info(data[k]).refs, 1);
    ck_mm_invariants();
    t[511] = last;
    ck_assert_int_eq(pv_mm_pin(l1, 1), 0);
    for (unsigned k = 0; k < EDGES; k++) {
        ck_assert_uint_eq(mm_sim_info(data[k]).refs, 2);
        ck_assert_uint_eq(mm_sim_info(data[k]).type_count, k & 1);
    }
    ck_mm_invariants();
    ck_assert_int_eq(mm_sim_mmuext(MMUEXT_UNPIN_TABLE, l1, 0), 0);
    for (unsigned k = 0; k < EDGES; k++) {
        ck_assert_uint_eq(mm_sim_info(data[k]).refs, 1);
        ck_assert_uint_eq(mm_sim_info(data[k]).type_count, 0);
    }
    ck_mm_invariants();
}
END_TEST

START_TEST(scan_edges_l4)
{
    mfn_t l4 = mm_sim_alloc(), l3[EDGES];
    pte_t *t = mm_sim_table(l4);
    for (unsigned k = 0; k < EDGES; k++) {
        l3[k] = mm_sim_alloc();
        t[edge_slots[k]] = mm_sim_pte(l3[k], RWF);
    }
    ck_assert_int_eq(pv_mm_pin(l4, 4), 0);
    for (unsigned k = 0; k < EDGES; k++) {
        unsigned slot = edge_slots[k];
        bool hyp = slot >= 256 && slot <= 271;
        /* The guest's own slots hold their L3s; the hypervisor's are replaced. */
        ck_assert_uint_eq(mm_sim_info(l3[k]).refs, hyp ? 1 : 2);
        ck_assert_uint_eq(mm_sim_info(l3[k]).type_count, hyp ? 0 : 1);
        if (hyp && slot > 256)
            ck_assert_uint_eq(t[slot], mm_sim_hyp_slots[slot - 256]);
    }
    ck_mm_invariants();
    ck_assert_int_eq(mm_sim_mmuext(MMUEXT_UNPIN_TABLE, l4, 0), 0);
    for (unsigned k = 0; k < EDGES; k++) {
        ck_assert_uint_eq(mm_sim_info(l3[k]).refs, 1);
        ck_assert_uint_eq(mm_sim_info(l3[k]).type_count, 0);
    }
    ck_mm_invariants();
}
END_TEST

/* Each slot alone, at every level's scan: found, held, and dropped again. */
START_TEST(scan_each_slot)
{
    mfn_t l1 = mm_sim_alloc(), l4 = mm_sim_alloc(), data = mm_sim_alloc(), l3 = mm_sim_alloc();
    for (unsigned s = 0; s < PT_ENTRIES; s++) {
        mm_sim_table(l1)[s] = mm_sim_pte(data, s & 1 ? RWF : RO);
        ck_assert_int_eq(pv_mm_pin(l1, 1), 0);
        ck_assert_uint_eq(mm_sim_info(data).refs, 2);
        ck_assert_int_eq(mm_sim_mmuext(MMUEXT_UNPIN_TABLE, l1, 0), 0);
        ck_assert_uint_eq(mm_sim_info(data).refs, 1);
        mm_sim_table(l1)[s] = 0;

        bool hyp = s >= 256 && s <= 271;
        mm_sim_table(l4)[s] = mm_sim_pte(l3, RWF);
        ck_assert_int_eq(pv_mm_pin(l4, 4), 0);
        ck_assert_uint_eq(mm_sim_info(l3).refs, hyp ? 1 : 2);
        ck_assert_int_eq(mm_sim_mmuext(MMUEXT_UNPIN_TABLE, l4, 0), 0);
        ck_assert_uint_eq(mm_sim_info(l3).refs, 1);
        mm_sim_table(l4)[s] = 0;
    }
    ck_mm_invariants();
}
END_TEST

static Suite *mm_validate_suite(void)
{
    Suite *s = suite_create("mm_validate");
    TCase *tc = tcase_create("rules");
    tcase_add_checked_fixture(tc, mm_sim_setup, mm_sim_teardown);
    tcase_add_test(tc, l1_own_frames);
    tcase_add_test(tc, l1_foreign_frames);
    tcase_add_test(tc, l1_flags);
    tcase_add_test(tc, l1_adjustments);
    tcase_add_test(tc, no_writable_mapping_of_tables);
    tcase_add_test(tc, writable_frames_cannot_become_tables);
    tcase_add_test(tc, upper_levels_flags);
    tcase_add_test(tc, upper_levels_targets);
    tcase_add_test(tc, nested_errors_propagate);
    tcase_add_test(tc, hypervisor_slots);
    tcase_add_test(tc, hypervisor_slots_m2p_strict);
    tcase_add_test(tc, update_upper_levels);
    tcase_add_test(tc, fast_path_keeps_references);
    tcase_add_test(tc, scan_edges_l1);
    tcase_add_test(tc, scan_edges_l4);
    tcase_add_test(tc, scan_each_slot);
    suite_add_tcase(s, tc);
    return s;
}
UNIT_SUITE(mm_validate_suite)
