/*
 * PV MMU bookkeeping: frame ownership, pins, base pointers and type/
 * reference counts through pin/unpin/map/unmap sequences, always checked
 * against counts recomputed from the live tables, and always returning to
 * the baseline (no leak).
 */
#include <stdlib.h>
#include <string.h>
#include <pvshim/compiler.h>
#include "test_rng.h"
#include "unit.h"
#include "mm_sim.h"

#define RO (PTE_P | PTE_US | PTE_A)
#define RWF (PTE_P | PTE_RW | PTE_US | PTE_A)

START_TEST(config_checked)
{
    static uint64_t ft[8];
    static uint64_t m2p[8] = { 5, 6, 7, 8, 9, 10, 11, 12 };
    ck_assert_uint_eq(pv_mm_frame_table_bytes(0), 0);
    ck_assert_uint_eq(pv_mm_frame_table_bytes(8), sizeof(ft));
    ck_assert_uint_eq(pv_mm_frame_table_bytes(1ull << 40), 8ull << 40);
    ck_assert_uint_eq(pv_mm_frame_table_bytes((1ull << 40) + 1), 0);
    ck_assert_uint_eq(pv_mm_frame_table_bytes(~0ull), 0);
    /* Bad set-ups leave an MMU that refuses everything. */
    void *tables[] = { NULL, ft, ft, ft };
    uint64_t *m2ps[] = { m2p, NULL, m2p, m2p };
    const uint64_t *slots[] = { mm_sim_hyp_slots, mm_sim_hyp_slots, NULL, mm_sim_hyp_slots };
    uint64_t counts[] = { 8, 8, 8, 0 };
    for (unsigned i = 0; i < 4; i++) {
        pv_mm_init(tables[i], counts[i], m2ps[i], slots[i]);
        ck_assert_int_eq(pv_mm_assign(0, 1, PV_OWNER_GUEST), -XEN_EINVAL);
        ck_assert_int_eq(pv_mm_pin(0, 1), -XEN_EINVAL);
        ck_assert_int_eq(mm_sim_mmu_update1(0, 0), -XEN_EINVAL);
        struct cpu_regs r = { 0 };
        ck_assert(!pv_ptwr_fault(&r, 0, 3));
    }
    pv_mm_init(ft, 8, m2p, mm_sim_hyp_slots);
    ck_assert_int_eq(pv_mm_assign(0, 8, PV_OWNER_GUEST), 0);
    ck_assert_uint_eq(m2p[7], 12);                   /* the M2P is the caller's */
    ck_assert_uint_eq(current->guest_table, INVALID_MFN);
}
END_TEST

/*
 * pv_mm_mark_io from a firmware-style map: partial pages, a reserved range
 * and ACPI tables between RAM, a hole, RAM beyond the frame table, and
 * the first frames I/O whatever the map says (Xen's first MiB).
 */
START_TEST(io_frames_from_memmap)
{
    /* The simulated machine's own map (mm_sim_setup). */
    ck_assert_uint_eq(mm_sim_info(SIM_SHIM_FIRST).owner, PV_OWNER_SHIM);
    for (mfn_t m = SIM_RESERVED_FIRST; m < SIM_FREE_FIRST; m++)
        ck_assert_uint_eq(mm_sim_info(m).owner, PV_OWNER_IO);
    for (mfn_t m = SIM_FREE_FIRST; m < SIM_FRAMES; m++)
        ck_assert_uint_eq(mm_sim_info(m).owner, PV_OWNER_NONE);

    enum { N = 0x400 };                 /* 4 MiB */
    static uint64_t m2p[N];
    void *table = calloc(1, pv_mm_frame_table_bytes(N));
    ck_assert_ptr_nonnull(table);
    static struct memmap map;
    map.nr = 0;
    ck_assert(memmap_add(&map, 0x300000, 0x40800, MEM_RAM));       /* ends mid-frame 0x340 */
    ck_assert(memmap_add(&map, 0x3a0000, 0x100000, MEM_RAM));      /* past the last frame */
    ck_assert(memmap_add(&map, 0, 0x9fc00, MEM_RAM));
    ck_assert(memmap_add(&map, 0x9fc00, 0x400, MEM_RESERVED));
    ck_assert(memmap_add(&map, 0xf0000, 0x10000, MEM_RESERVED));
    ck_assert(memmap_add(&map, 0x100000, 0x100000, MEM_RAM));
    ck_assert(memmap_add(&map, 0x200000, 0x4000, MEM_ACPI));
    ck_assert(memmap_add(&map, 0x204000, 0x7c800, MEM_RAM));       /* ends mid-frame 0x280 */
    ck_assert(memmap_add(&map, 0x2f0000, 0x10000, MEM_UNUSABLE));
    memmap_sanitize(&map);

    pv_mm_init(table, N, m2p, mm_sim_hyp_slots);
    ck_assert_int_eq(pv_mm_assign(0x290, 1, PV_OWNER_SHIM), 0);    /* taken first: left alone */
    ck_assert_int_eq(pv_mm_mark_io(&map, 0x100), 0);
    static const struct { mfn_t first, end; enum pv_owner owner; } want[] = {
        { 0x000, 0x100, PV_OWNER_IO },      /* the first MiB, RAM in it included */
        { 0x100, 0x200, PV_OWNER_NONE },
        { 0x200, 0x204, PV_OWNER_IO },      /* ACPI tables */
        { 0x204, 0x280, PV_OWNER_NONE },
        { 0x280, 0x290, PV_OWNER_IO },      /* the partial frame and the hole */
        { 0x290, 0x291, PV_OWNER_SHIM },
        { 0x291, 0x2f0, PV_OWNER_IO },
        { 0x2f0, 0x340, PV_OWNER_NONE },    /* unusable, then RAM from 3 MiB */
        { 0x340, 0x3a0, PV_OWNER_IO },      /* the partial frame and a hole */
        { 0x3a0, N,     PV_OWNER_NONE },
    };
    for (unsigned i = 0; i < ARRAY_SIZE(want); i++)
        for (mfn_t m = want[i].first; m < want[i].end; m++)
            ck_assert_msg(mm_sim_info(m).owner == want[i].owner,
                          "frame %#llx: owner %u, want %u", (unsigned long long)m,
                          mm_sim_info(m).owner, want[i].owner);
    /* Marked frames are no one's: nothing can be given over them. */
    ck_assert_int_eq(pv_mm_assign(0x10, 1, PV_OWNER_GUEST), -XEN_EINVAL);
    ck_assert_int_eq(pv_mm_release_frame(0x10), -XEN_EINVAL);
    ck_assert_int_eq(pv_mm_mark_io(NULL, 0), -XEN_EINVAL);
    pv_mm_init(NULL, N, m2p, mm_sim_hyp_slots);
    ck_assert_int_eq(pv_mm_mark_io(&map, 0x100), -XEN_EINVAL);
    free(table);
}
END_TEST

START_TEST(ownership)
{
    uint64_t pages = dom.tot_pages;
    /* Only free frames can be given, all or nothing. */
    ck_assert_int_eq(pv_mm_assign(SIM_FREE_FIRST - 1, 2, PV_OWNER_GUEST), -XEN_EINVAL);
    ck_assert(!pv_mm_guest_owns(SIM_FREE_FIRST));
    ck_assert_int_eq(pv_mm_assign(SIM_FREE_FIRST, 9, PV_OWNER_GUEST), -XEN_EINVAL);
    ck_assert_int_eq(pv_mm_assign(SIM_FRAMES, 1, PV_OWNER_GUEST), -XEN_EINVAL);
    ck_assert_int_eq(pv_mm_assign(SIM_FREE_FIRST, ~0ull, PV_OWNER_GUEST), -XEN_EINVAL);
    ck_assert_int_eq(pv_mm_assign(SIM_FREE_FIRST, 1, PV_OWNER_NONE), -XEN_EINVAL);
    ck_assert_int_eq(pv_mm_assign(SIM_FREE_FIRST, 1, (enum pv_owner)7), -XEN_EINVAL);
    ck_assert_int_eq(pv_mm_assign(SIM_FREE_FIRST, 1, PV_OWNER_GUEST), 0);
    ck_assert(pv_mm_guest_owns(SIM_FREE_FIRST));
    pv_mm_assign_frame(SIM_FREE_FIRST);              /* not free: logged, ignored */
    pv_mm_assign_frame(SIM_FREE_FIRST + 1);
    ck_assert(pv_mm_guest_owns(SIM_FREE_FIRST + 1));
    ck_assert_uint_eq(dom.tot_pages, pages);         /* counted by its owners */

    /* Release: ordinary guest frames (referenced ones: test_mm_release.c). */
    ck_assert_int_eq(pv_mm_release_frame(SIM_SHIM_FIRST), -XEN_EINVAL);
    ck_assert_int_eq(pv_mm_release_frame(SIM_IO_FIRST), -XEN_EINVAL);
    ck_assert_int_eq(pv_mm_release_frame(SIM_FREE_FIRST + 2), -XEN_EINVAL);
    ck_assert_int_eq(pv_mm_release_frame(~0ull), -XEN_EINVAL);
    mfn_t l1 = mm_sim_alloc(), data = mm_sim_alloc();
    ck_assert_int_eq(pv_mm_pin(l1, 1), 0);
    ck_assert_int_eq(mm_sim_mmu_update1(mm_sim_slot_maddr(l1, 0), mm_sim_pte(data, RO)), 0);
    ck_assert_int_eq(mm_sim_mmu_update1(mm_sim_slot_maddr(l1, 0), 0), 0);
    ck_assert_int_eq(pv_mm_release_frame(data), 0);
    ck_assert(!pv_mm_guest_owns(data));
    /* Gone means unmappable, and it can come back (populate_physmap). */
    ck_assert_int_eq(mm_sim_mmu_update1(mm_sim_slot_maddr(l1, 0), mm_sim_pte(data, RO)), -XEN_EBUSY);
    ck_assert_int_eq(pv_mm_assign(data, 1, PV_OWNER_GUEST), 0);
    ck_assert_int_eq(mm_sim_mmu_update1(mm_sim_slot_maddr(l1, 0), mm_sim_pte(data, RO)), 0);
    ck_mm_invariants();
}
END_TEST

/* The boot's unchecked assignment writes what the checked one does. */
START_TEST(assign_free)
{
    ck_assert_int_eq(pv_mm_assign(SIM_FREE_FIRST, 1, PV_OWNER_GUEST), 0);
    ck_assert_int_eq(pv_mm_assign_free(SIM_FREE_FIRST + 1, 2, PV_OWNER_GUEST), 0);
    struct pv_frame_info a = mm_sim_info(SIM_FREE_FIRST);
    for (mfn_t m = SIM_FREE_FIRST + 1; m < SIM_FREE_FIRST + 3; m++) {
        struct pv_frame_info b = mm_sim_info(m);
        ck_assert(b.owner == a.owner && b.type == a.type && b.type_count == a.type_count &&
                  b.refs == a.refs && b.validated == a.validated && b.pinned == a.pinned &&
                  b.shared == a.shared && b.released == a.released);
        ck_assert(pv_mm_guest_owns(m));
    }
    ck_assert(!pv_mm_guest_owns(SIM_FREE_FIRST + 3));
    ck_assert_int_eq(pv_mm_assign_free(SIM_FRAMES, 1, PV_OWNER_GUEST), -XEN_EINVAL);
    ck_assert_int_eq(pv_mm_assign_free(SIM_FREE_FIRST, ~0ull, PV_OWNER_GUEST), -XEN_EINVAL);
    ck_assert_int_eq(pv_mm_assign_free(SIM_FREE_FIRST + 3, 1, PV_OWNER_NONE), -XEN_EINVAL);
    ck_assert(!pv_mm_guest_owns(SIM_FREE_FIRST + 3));
    ck_mm_invariants();
}
END_TEST

START_TEST(m2p_entries)
{
    mfn_t m = mm_sim_alloc();
    ck_assert(pv_mm_set_m2p(m, 0x1234));
    ck_assert(!pv_mm_set_m2p(SIM_FRAMES, 1));
    ck_assert(!pv_mm_set_m2p(~0ull, 1));
    ck_assert_int_eq(mm_sim_mmu_update1(mfn_to_paddr(m) | MMU_MACHPHYS_UPDATE, 0x55), 0);
    struct pv_frame_info fi = mm_sim_info(m);
    ck_assert_uint_eq(fi.refs, 1);
    ck_assert_int_eq(mm_sim_mmu_update1(mfn_to_paddr(SIM_SHIM_FIRST) | MMU_MACHPHYS_UPDATE, 1),
                     -XEN_EINVAL);
    ck_assert_int_eq(mm_sim_mmu_update1(mfn_to_paddr(SIM_FRAMES + 5) | MMU_MACHPHYS_UPDATE, 1),
                     -XEN_EINVAL);
    ck_assert_int_eq(pv_mm_release_frame(m), 0);
    ck_assert_int_eq(mm_sim_mmu_update1(mfn_to_paddr(m) | MMU_MACHPHYS_UPDATE, 1), -XEN_EINVAL);
}
END_TEST

START_TEST(shared_frame)
{
    mfn_t s = SIM_FREE_FIRST;
    ck_assert_int_eq(pv_mm_share_with_guest(SIM_GUEST_FIRST), -XEN_EINVAL);   /* not free */
    ck_assert_int_eq(pv_mm_share_with_guest(s), 0);
    ck_assert_int_eq(pv_mm_share_with_guest(s), -XEN_EINVAL);
    ck_assert(mm_sim_info(s).shared);
    mfn_t l1 = mm_sim_alloc();
    ck_assert_int_eq(pv_mm_pin(l1, 1), 0);
    ck_assert_int_eq(mm_sim_mmu_update1(mm_sim_slot_maddr(l1, 0), mm_sim_pte(s, RWF)), 0);
    for (unsigned level = 1; level <= 4; level++)
        ck_assert_int_eq(pv_mm_pin(s, level), -XEN_EINVAL);
    ck_assert_int_eq(mm_sim_mmu_update1(mm_sim_slot_maddr(l1, 0), 0), 0);
    ck_assert_int_eq(pv_mm_pin(s, 1), -XEN_EINVAL);         /* still: forever writable */
    ck_assert_int_eq(pv_mm_release_frame(s), -XEN_EINVAL);
    ck_mm_invariants();
}
END_TEST

START_TEST(writable_holds)
{
    mfn_t ring = mm_sim_alloc();
    ck_assert_int_eq(pv_mm_get_writable_frame(ring), 0);
    mm_sim_note_writable_hold(ring, 1);
    ck_assert_int_eq(pv_mm_pin(ring, 1), -XEN_EINVAL);
    ck_assert_int_eq(pv_mm_get_writable_frame(SIM_SHIM_FIRST), -XEN_EINVAL);
    ck_assert_int_eq(pv_mm_get_writable_frame(SIM_FRAMES), -XEN_EINVAL);
    mfn_t l1 = mm_sim_alloc();
    ck_assert_int_eq(pv_mm_pin(l1, 1), 0);
    ck_assert_int_eq(pv_mm_get_writable_frame(l1), -XEN_EINVAL);
    ck_mm_invariants();
    pv_mm_put_writable_frame(ring);
    mm_sim_note_writable_hold(ring, -1);
    /* Unbalanced puts are ignored and logged, never underflow. */
    pv_mm_put_writable_frame(ring);
    pv_mm_put_writable_frame(l1);
    ck_assert_int_eq(pv_mm_pin(ring, 1), 0);
    ck_mm_invariants();
}
END_TEST

START_TEST(pin_unpin)
{
    mfn_t l1 = mm_sim_alloc(), data = mm_sim_alloc();
    mm_sim_table(l1)[0] = mm_sim_pte(data, RWF);
    ck_assert_int_eq(pv_mm_pin(l1, 0), -XEN_EINVAL);
    ck_assert_int_eq(pv_mm_pin(l1, 5), -XEN_EINVAL);
    ck_assert_int_eq(pv_mm_pin(l1, 1), 0);
    ck_assert(mm_sim_info(l1).pinned);
    ck_assert_uint_eq(mm_sim_info(l1).refs, 2);
    /* Double pin: -EINVAL, counts as before. */
    ck_assert_int_eq(mm_sim_mmuext(MMUEXT_PIN_L1_TABLE, l1, 0), -XEN_EINVAL);
    ck_assert_uint_eq(mm_sim_info(l1).refs, 2);
    ck_assert_uint_eq(mm_sim_info(l1).type_count, 1);
    /* Pinned as another level: type conflict. */
    ck_assert_int_eq(mm_sim_mmuext(MMUEXT_PIN_L2_TABLE, l1, 0), -XEN_EINVAL);
    ck_mm_invariants();
    ck_assert_int_eq(mm_sim_mmuext(MMUEXT_UNPIN_TABLE, l1, 0), 0);
    ck_assert_int_eq(mm_sim_mmuext(MMUEXT_UNPIN_TABLE, l1, 0), -XEN_EINVAL);
    ck_assert_int_eq(mm_sim_mmuext(MMUEXT_UNPIN_TABLE, SIM_SHIM_FIRST, 0), -XEN_EINVAL);
    ck_assert_int_eq(mm_sim_mmuext(MMUEXT_UNPIN_TABLE, ~0ull, 0), -XEN_EINVAL);
    ck_assert_int_eq(mm_sim_mmuext(MMUEXT_PIN_L1_TABLE, SIM_IO_FIRST, 0), -XEN_EINVAL);
    ck_assert_int_eq(mm_sim_mmuext(MMUEXT_PIN_L4_TABLE, 1ull << 50, 0), -XEN_EINVAL);
    /* Unpinned and unreferenced: the writable reference it held is gone. */
    ck_assert_uint_eq(mm_sim_info(data).type_count, 0);
    ck_mm_baseline();
}
END_TEST

START_TEST(shared_tables_and_teardown)
{
    /* Two L4s sharing one L3; one L2 referenced twice; one L1 from two L2s. */
    mfn_t a = mm_sim_alloc(), b = mm_sim_alloc(), l3 = mm_sim_alloc(), l2a = mm_sim_alloc(),
          l2b = mm_sim_alloc(), l1 = mm_sim_alloc(), d1 = mm_sim_alloc(), d2 = mm_sim_alloc();
    mm_sim_table(a)[0] = mm_sim_pte(l3, RWF);
    mm_sim_table(b)[0] = mm_sim_pte(l3, RWF);
    mm_sim_table(b)[1] = mm_sim_pte(l3, RWF);
    mm_sim_table(l3)[0] = mm_sim_pte(l2a, RWF);
    mm_sim_table(l3)[1] = mm_sim_pte(l2a, RWF);
    mm_sim_table(l3)[2] = mm_sim_pte(l2b, RWF);
    mm_sim_table(l2a)[0] = mm_sim_pte(l1, RWF);
    mm_sim_table(l2b)[0] = mm_sim_pte(l1, RWF);
    mm_sim_table(l1)[0] = mm_sim_pte(d1, RWF);
    mm_sim_table(l1)[1] = mm_sim_pte(d1, RO);
    mm_sim_table(l1)[2] = mm_sim_pte(d2, RO);
    mm_sim_table(l1)[3] = mm_sim_pte(l3, RO);             /* a table, read-only */
    ck_assert_int_eq(pv_mm_pin(a, 4), 0);
    ck_assert_int_eq(pv_mm_pin(b, 4), 0);
    ck_assert_uint_eq(mm_sim_info(l3).type_count, 3);
    ck_assert_uint_eq(mm_sim_info(l2a).type_count, 2);
    ck_assert_uint_eq(mm_sim_info(l1).type_count, 2);
    ck_assert_uint_eq(mm_sim_info(d1).refs, 3);
    ck_assert_uint_eq(mm_sim_info(l3).refs, 5);
    ck_mm_invariants();

    ck_assert_int_eq(pv_mm_set_kernel_base(a), 0);
    ck_assert_int_eq(pv_mm_set_user_base(b), 0);
    ck_assert_int_eq(pv_mm_unpin(a), 0);
    ck_assert_int_eq(pv_mm_unpin(b), 0);
    /* Still in use as base pointers: still validated. */
    ck_assert_uint_eq(mm_sim_info(a).type_count, 1);
    ck_assert(mm_sim_info(l1).validated);
    ck_mm_invariants();
    pv_mm_drop_base_pointers();
    ck_mm_baseline();
    ck_assert_int_eq(mm_sim_info(l1).type, PV_TYPE_L1);     /* type stays, unvalidated */
    ck_assert(!mm_sim_info(l1).validated);
    /* and a table with no type count may become writable again */
    mfn_t m = mm_sim_alloc();
    ck_assert_int_eq(pv_mm_pin(m, 1), 0);
    ck_assert_int_eq(mm_sim_mmu_update1(mm_sim_slot_maddr(m, 0), mm_sim_pte(l1, RWF)), 0);
    ck_assert_int_eq(mm_sim_info(l1).type, PV_TYPE_WRITABLE);
    ck_mm_invariants();
}
END_TEST

START_TEST(base_pointers)
{
    mfn_t k1 = mm_sim_alloc(), k2 = mm_sim_alloc(), u = mm_sim_alloc(), l1 = mm_sim_alloc();
    mm_sim_map_raw(k1, 0x1000, mm_sim_alloc(), RWF);
    ck_assert_int_eq(mm_sim_mmuext(MMUEXT_NEW_BASEPTR, k1, 0), 0);   /* validates */
    ck_assert_uint_eq(fake_hw.cr3, mfn_to_paddr(k1));
    ck_assert_uint_eq(pv_mm_base_maddr(true), mfn_to_paddr(k1));
    ck_assert_uint_eq(pv_mm_base_maddr(false), 0);
    ck_assert_uint_eq(mm_sim_info(k1).type_count, 1);
    ck_mm_invariants();
    /* Not an L4 / not ours: refused, old base kept. */
    ck_assert_int_eq(pv_mm_pin(l1, 1), 0);
    ck_assert_int_eq(mm_sim_mmuext(MMUEXT_NEW_BASEPTR, l1, 0), -XEN_EINVAL);
    ck_assert_int_eq(mm_sim_mmuext(MMUEXT_NEW_BASEPTR, SIM_SHIM_FIRST, 0), -XEN_EINVAL);
    ck_assert_int_eq(mm_sim_mmuext(MMUEXT_NEW_BASEPTR, ~0ull, 0), -XEN_EINVAL);
    ck_assert_uint_eq(current->guest_table, k1);
    /* The same again: just reloads. */
    unsigned loads = fake_hw.cr3_loads;
    ck_assert_int_eq(mm_sim_mmuext(MMUEXT_NEW_BASEPTR, k1, 0), 0);
    ck_assert_uint_eq(fake_hw.cr3_loads, loads + 1);
    ck_assert_uint_eq(mm_sim_info(k1).type_count, 1);
    /* Switching releases the old tree (it was not pinned). */
    ck_assert_int_eq(mm_sim_mmuext(MMUEXT_NEW_BASEPTR, k2, 0), 0);
    ck_assert_uint_eq(mm_sim_info(k1).type_count, 0);
    ck_assert_uint_eq(fake_hw.cr3, mfn_to_paddr(k2));
    ck_mm_invariants();

    ck_assert_int_eq(mm_sim_mmuext(MMUEXT_NEW_USER_BASEPTR, u, 0), 0);
    ck_assert_uint_eq(pv_mm_base_maddr(false), mfn_to_paddr(u));
    ck_assert_uint_eq(fake_hw.cr3, mfn_to_paddr(k2));     /* kernel mode: no reload */
    ck_assert_int_eq(mm_sim_mmuext(MMUEXT_NEW_USER_BASEPTR, l1, 0), -XEN_EINVAL);
    ck_assert_uint_eq(current->guest_table_user, u);
    ck_assert_int_eq(mm_sim_mmuext(MMUEXT_NEW_USER_BASEPTR, 0, 0), 0);
    ck_assert_uint_eq(current->guest_table_user, INVALID_MFN);
    ck_assert_uint_eq(mm_sim_info(u).type_count, 0);
    ck_assert_int_eq(mm_sim_mmuext(MMUEXT_NEW_USER_BASEPTR, 0, 0), 0);
    /* The same table may be both. */
    ck_assert_int_eq(mm_sim_mmuext(MMUEXT_NEW_USER_BASEPTR, k2, 0), 0);
    ck_assert_uint_eq(mm_sim_info(k2).type_count, 2);
    ck_mm_invariants();
    /* In user mode a new kernel base loads nothing user-visible into CR3 but the user table. */
    current->kernel_mode = false;
    ck_assert_int_eq(mm_sim_mmuext(MMUEXT_NEW_BASEPTR, k1, 0), 0);
    ck_assert_uint_eq(fake_hw.cr3, mfn_to_paddr(k2));
    current->kernel_mode = true;
    mm_sim_release_all();
    ck_mm_baseline();
}
END_TEST

START_TEST(unpin_in_use_base)
{
    mfn_t k = mm_sim_alloc();
    mm_sim_map_raw(k, 0x200000, mm_sim_alloc(), RWF);
    ck_assert_int_eq(mm_sim_mmuext(MMUEXT_PIN_L4_TABLE, k, 0), 0);
    ck_assert_int_eq(mm_sim_mmuext(MMUEXT_NEW_BASEPTR, k, 0), 0);
    ck_assert_int_eq(mm_sim_mmuext(MMUEXT_UNPIN_TABLE, k, 0), 0);
    /* Still the base: still validated, still not writable-mappable. */
    ck_assert(mm_sim_info(k).validated);
    mfn_t l1 = mm_sim_alloc();
    ck_assert_int_eq(pv_mm_pin(l1, 1), 0);
    ck_assert_int_eq(mm_sim_mmu_update1(mm_sim_slot_maddr(l1, 0), mm_sim_pte(k, RWF)), -XEN_EBUSY);
    ck_mm_invariants();
    struct pv_walk w;
    ck_assert(pv_mm_walk(0x200000, true, &w));
}
END_TEST

START_TEST(type_change_flushes_stale_tlb)
{
    mfn_t l1 = mm_sim_alloc(), data = mm_sim_alloc();
    ck_assert_int_eq(pv_mm_pin(l1, 1), 0);
    ck_assert_int_eq(mm_sim_mmu_update1(mm_sim_slot_maddr(l1, 0), mm_sim_pte(data, RWF)), 0);
    ck_assert_int_eq(mm_sim_mmu_update1(mm_sim_slot_maddr(l1, 0), 0), 0);   /* no flush asked */
    unsigned flushes = fake_hw.tlb_flushes;
    /* The writable translation may still be cached: becoming a table flushes first. */
    ck_assert_int_eq(pv_mm_pin(data, 1), 0);
    ck_assert_uint_eq(fake_hw.tlb_flushes, flushes + 1);
    /* After a flush, nothing stale: no more flushes on type changes. */
    mfn_t other = mm_sim_alloc();
    ck_assert_int_eq(pv_mm_pin(other, 1), 0);
    ck_assert_uint_eq(fake_hw.tlb_flushes, flushes + 1);
    /* A guest flush clears the need too. */
    ck_assert_int_eq(mm_sim_mmu_update1(mm_sim_slot_maddr(l1, 1), mm_sim_pte(mm_sim_alloc(), RWF)), 0);
    ck_assert_int_eq(mm_sim_mmu_update1(mm_sim_slot_maddr(l1, 1), 0), 0);
    ck_assert_int_eq(mm_sim_mmuext(MMUEXT_TLB_FLUSH_LOCAL, 0, 0), 0);
    flushes = fake_hw.tlb_flushes;
    ck_assert_int_eq(pv_mm_pin(mm_sim_alloc(), 2), 0);
    ck_assert_uint_eq(fake_hw.tlb_flushes, flushes);
    /* Releasing a frame after its mappings went flushes as well. */
    mfn_t gone = mm_sim_alloc();
    ck_assert_int_eq(mm_sim_mmu_update1(mm_sim_slot_maddr(l1, 2), mm_sim_pte(gone, RO)), 0);
    ck_assert_int_eq(mm_sim_mmu_update1(mm_sim_slot_maddr(l1, 2), 0), 0);
    ck_assert_int_eq(pv_mm_release_frame(gone), 0);
    ck_assert_uint_eq(fake_hw.tlb_flushes, flushes + 1);
}
END_TEST

/* Pseudo-random map/unmap/pin/unpin over a few frames, checked at every step. */
static uint64_t rng = 0x9e3779b97f4a7c15ull;
static uint64_t rnd(void)
{
    return xorshift64(&rng);
}

START_TEST(random_sequences_balance)
{
    enum { POOL = 24 };
    mfn_t pool[POOL];
    for (unsigned i = 0; i < POOL; i++)
        pool[i] = mm_sim_alloc();
    rng = 0x12345 + (uint64_t)_i * 7919;
    static const uint64_t flag_choices[] = {
        RO, RWF, PTE_P, PTE_P | PTE_RW, RWF | PTE_D, 0, RO | PTE_PCD, RWF | PTE_PS, RWF | PTE_G,
    };
    unsigned ok = 0;
    for (unsigned step = 0; step < 1500; step++) {
        mfn_t t = pool[rnd() % POOL], target = pool[rnd() % POOL];
        unsigned slot = rnd() % 8;
        uint64_t flags = flag_choices[rnd() % ARRAY_SIZE(flag_choices)];
        long rc;
        switch (rnd() % 8) {
        case 0:
            rc = pv_mm_pin(t, 1 + rnd() % 4);
            break;
        case 1:
            rc = pv_mm_unpin(t);
            break;
        case 2:
            rc = mm_sim_mmuext(MMUEXT_NEW_BASEPTR, t, 0);
            break;
        case 3:
            rc = mm_sim_mmuext(MMUEXT_NEW_USER_BASEPTR, rnd() % 4 ? t : 0, 0);
            break;
        default:
            rc = mm_sim_mmu_update1(mm_sim_slot_maddr(t, slot) | (rnd() % 3 == 0 ? 2 : 0),
                                 mm_sim_pte(target, flags));
            break;
        }
        /* -EPERM: a former L4's hypervisor slots read as entries of another level. */
        ck_assert_msg(rc == 0 || rc == -XEN_EINVAL || rc == -XEN_EBUSY || rc == -XEN_EPERM,
                      "step %u: unexpected %ld", step, rc);
        ok += rc == 0;
        const char *why = mm_sim_check();
        ck_assert_msg(why == NULL, "step %u: %s", step, why);
    }
    ck_assert_uint_gt(ok, 100);
    mm_sim_release_all();
    /* Entries left in unvalidated frames hold nothing. */
    ck_mm_baseline();
}
END_TEST

START_TEST(start_guest)
{
    /* As the domain builder leaves things: tree built, base recorded, rings placed. */
    mfn_t l4 = mm_sim_alloc(), shinfo = mm_sim_alloc(), cons = mm_sim_alloc(), store = mm_sim_alloc();
    mm_sim_map_raw(l4, 0xffffffff80000000ull, mm_sim_alloc(), RWF);
    mfn_t l1 = mm_sim_map_raw(l4, 0xffffffff80400000ull, cons, RWF);
    mm_sim_table(l1)[1] = mm_sim_pte(store, RWF);
    mm_sim_table(l1)[2] = mm_sim_pte(l4, RO);
    dom.shared_info_mfn = shinfo;
    dom.console_mfn = cons;
    dom.xenstore_mfn = store;
    current->guest_table = l4;
    ck_assert_int_eq(pv_mm_start_guest(l4), 0);
    ck_assert(mm_sim_info(l4).pinned);
    ck_assert_uint_eq(current->guest_table, l4);
    ck_assert_uint_eq(pv_mm_base_maddr(true), mfn_to_paddr(l4));
    mm_sim_note_writable_hold(shinfo, 1);
    mm_sim_note_writable_hold(cons, 1);
    mm_sim_note_writable_hold(store, 1);
    ck_mm_invariants();
    /* pvshim writes these: never tables, and given back they stay while held. */
    ck_assert_int_eq(pv_mm_pin(cons, 1), -XEN_EINVAL);
    ck_assert_int_eq(pv_mm_pin(shinfo, 1), -XEN_EINVAL);
    ck_assert_int_eq(pv_mm_release_frame(shinfo), PV_MM_RELEASE_DEFERRED);
    ck_assert(pv_mm_guest_owns(shinfo));
    ck_assert(mm_sim_info(shinfo).released);
    ck_assert_int_eq(mm_sim_mmuext(MMUEXT_UNPIN_TABLE, l4, 0), 0);
    ck_mm_invariants();
    mm_sim_release_all();
    ck_mm_baseline();
}
END_TEST

START_TEST(start_guest_refused)
{
    mfn_t l4 = mm_sim_alloc(), cons = mm_sim_alloc();
    mm_sim_map_raw(l4, 0x400000, l4, RWF);              /* its own L4 writable */
    dom.console_mfn = cons;
    dom.shared_info_mfn = dom.xenstore_mfn = INVALID_MFN;
    ck_assert_int_eq(pv_mm_start_guest(l4), -XEN_EBUSY);
    ck_assert_uint_eq(current->guest_table, INVALID_MFN);
    ck_mm_baseline();
    /* A ring the guest already uses as a table: refused, nothing kept. */
    mfn_t good = mm_sim_alloc();
    mm_sim_map_raw(good, 0x400000, mm_sim_alloc(), RWF);
    ck_assert_int_eq(pv_mm_pin(cons, 1), 0);
    ck_assert_int_eq(pv_mm_start_guest(good), -XEN_EINVAL);
    ck_assert_uint_eq(current->guest_table, INVALID_MFN);
    ck_assert_int_eq(pv_mm_unpin(cons), 0);
    ck_mm_baseline();
}
END_TEST

static Suite *mm_refs_suite(void)
{
    Suite *s = suite_create("mm_refs");
    TCase *tc = tcase_create("refs");
    tcase_add_checked_fixture(tc, mm_sim_setup, mm_sim_teardown);
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, config_checked);
    tcase_add_test(tc, io_frames_from_memmap);
    tcase_add_test(tc, ownership);
    tcase_add_test(tc, assign_free);
    tcase_add_test(tc, m2p_entries);
    tcase_add_test(tc, shared_frame);
    tcase_add_test(tc, writable_holds);
    tcase_add_test(tc, pin_unpin);
    tcase_add_test(tc, shared_tables_and_teardown);
    tcase_add_test(tc, base_pointers);
    tcase_add_test(tc, unpin_in_use_base);
    tcase_add_test(tc, type_change_flushes_stale_tlb);
    tcase_add_test(tc, start_guest);
    tcase_add_test(tc, start_guest_refused);
    tcase_add_loop_test(tc, random_sequences_balance, 0, 8);
    suite_add_tcase(s, tc);
    return s;
}
UNIT_SUITE(mm_refs_suite)
