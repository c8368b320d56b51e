/*
 * Linear (recursive) page tables, as Xen 4.17 allows them (pv-linear-pt
 * with the XSA-240 limits): a read-only entry of an L2, L3 or L4 naming a
 * table of its own level, itself or another live one, never nested. Each
 * case with Xen's error code, through pinning (whole-table validation) and
 * mmu_update (one entry), with the invariant checker (which recomputes the
 * linear counts too) after every step, and back to the baseline at the end.
 */
#include <string.h>
#include "test_rng.h"
#include "unit.h"
#include "mm_sim.h"
#include "mm/mm_private.h"

#define RO (PTE_P | PTE_US | PTE_A)
#define RWF (PTE_P | PTE_RW | PTE_US | PTE_A)

static long set_entry(mfn_t t, unsigned idx, pte_t val)
{
    long rc = mm_sim_mmu_update1(mm_sim_slot_maddr(t, idx), val);
    ck_mm_invariants();
    return rc;
}

static mfn_t pinned(unsigned level)
{
    mfn_t t = mm_sim_alloc();
    ck_assert_int_eq(pv_mm_pin(t, level), 0);
    return t;
}

static void back_to_baseline(void)
{
    mm_sim_release_all();
    ck_mm_baseline();
}

START_TEST(self_map_read_only)
{
    for (unsigned level = 2; level <= 4; level++) {
        /* At validation: read-only yes, writable no. */
        mfn_t t = mm_sim_alloc();
        mm_sim_table(t)[3] = mm_sim_pte(t, RWF);
        ck_assert_int_eq(pv_mm_pin(t, level), -XEN_EINVAL);
        ck_mm_baseline();
        mm_sim_table(t)[3] = mm_sim_pte(t, RO);
        ck_assert_int_eq(pv_mm_pin(t, level), 0);
        /* A self map holds nothing: only the pin's references. */
        ck_assert_uint_eq(mm_sim_info(t).refs, 2);
        ck_assert_uint_eq(mm_sim_info(t).type_count, 1);
        ck_assert_int_eq(mm_sim_info(t).linear, 0);
        ck_mm_invariants();

        /* Through mmu_update: a second self map, read-only only. */
        ck_assert_int_eq(set_entry(t, 4, mm_sim_pte(t, RWF)), -XEN_EINVAL);
        ck_assert_uint_eq(mm_sim_table(t)[4], 0);
        ck_assert_int_eq(set_entry(t, 4, mm_sim_pte(t, RO)), 0);
        /* A, D, NX and available bits change in place. */
        ck_assert_int_eq(set_entry(t, 4, mm_sim_pte(t, RO | PTE_D | PTE_NX | (1ull << 9))), 0);
        /* XSA-182: RW added in place to a linear entry is refused. */
        ck_assert_int_eq(set_entry(t, 4, mm_sim_pte(t, RWF)), -XEN_EINVAL);
        ck_assert_int_eq(set_entry(t, 3, mm_sim_pte(t, RWF | PTE_D)), -XEN_EINVAL);
        ck_assert_uint_eq(mm_sim_table(t)[3] & PTE_RW, 0);
        ck_assert_uint_eq(mm_sim_table(t)[4] & PTE_RW, 0);
        ck_assert_int_eq(set_entry(t, 4, 0), 0);
        ck_assert_int_eq(pv_mm_unpin(t), 0);
        ck_mm_baseline();
    }
}
END_TEST

START_TEST(l4_self_map_as_kernel_base)
{
    /* XSA-182's set-up: the running L4 maps itself read-only, then RW. */
    mfn_t l4 = mm_sim_kernel_tables();
    mfn_t data = mm_sim_alloc();
    ck_assert_int_eq(set_entry(l4, 0, mm_sim_pte(mm_sim_alloc(), RWF)), 0);
    ck_assert_int_eq(set_entry(l4, 1, mm_sim_pte(l4, RO)), 0);
    ck_assert_int_eq(set_entry(l4, 1, mm_sim_pte(l4, RWF)), -XEN_EINVAL);
    /* The walk through the self map reaches the tables, read-only. */
    struct pv_walk w;
    vaddr_t self = (1ull << 39) | (1ull << 30) | (1ull << 21) | (1ull << 12);
    ck_assert(pv_mm_walk(self, true, &w));
    ck_assert_uint_eq(w.mfn, l4);
    ck_assert(!w.rw);
    /* Nothing found through it is an L1 that update_va_mapping may edit. */
    ck_assert_int_eq(do_update_va_mapping(self, mm_sim_pte(data, RWF), 0), -XEN_EINVAL);
    ck_assert_int_eq(do_update_va_mapping(1ull << 39, mm_sim_pte(data, RWF), 0), -XEN_EINVAL);
    ck_mm_invariants();
    back_to_baseline();
}
END_TEST

START_TEST(other_table_same_level)
{
    for (unsigned level = 2; level <= 4; level++) {
        mfn_t a = pinned(level), b = pinned(level);
        struct pv_frame_info before = mm_sim_info(b);
        ck_assert_int_eq(set_entry(a, 5, mm_sim_pte(b, RWF)), -XEN_EINVAL);
        ck_assert_int_eq(set_entry(a, 5, mm_sim_pte(b, RO)), 0);
        ck_assert_uint_eq(mm_sim_info(b).refs, before.refs + 1);
        ck_assert_uint_eq(mm_sim_info(b).type_count, before.type_count + 1);
        ck_assert_int_eq(mm_sim_info(a).linear, 1);
        ck_assert_int_eq(mm_sim_info(b).linear, -1);
        /* Made writable in place: refused, the entry and counts stay. */
        ck_assert_int_eq(set_entry(a, 5, mm_sim_pte(b, RWF)), -XEN_EINVAL);
        ck_assert_uint_eq(mm_sim_table(a)[5] & PTE_RW, 0);
        ck_assert_int_eq(mm_sim_info(b).linear, -1);
        /* The same table twice: two uses. */
        ck_assert_int_eq(set_entry(a, 6, mm_sim_pte(b, RO)), 0);
        ck_assert_int_eq(mm_sim_info(a).linear, 2);
        ck_assert_int_eq(mm_sim_info(b).linear, -2);
        /* Replaced by an ordinary entry, then removed. */
        ck_assert_int_eq(set_entry(a, 6, mm_sim_pte(mm_sim_alloc(), RWF)), 0);
        ck_assert_int_eq(mm_sim_info(a).linear, 1);
        ck_assert_int_eq(set_entry(a, 5, 0), 0);
        ck_assert_int_eq(mm_sim_info(a).linear, 0);
        ck_assert_int_eq(mm_sim_info(b).linear, 0);
        ck_assert_uint_eq(mm_sim_info(b).type_count, before.type_count);
        back_to_baseline();
    }
}
END_TEST

START_TEST(at_validation)
{
    /* A table whose raw contents name another live table of its level. */
    mfn_t b = pinned(3);
    mfn_t a = mm_sim_alloc();
    mm_sim_table(a)[0] = mm_sim_pte(b, RO);
    mm_sim_table(a)[1] = mm_sim_pte(a, RO);
    ck_assert_int_eq(pv_mm_pin(a, 3), 0);
    ck_assert_int_eq(mm_sim_info(a).linear, 1);
    ck_assert_int_eq(mm_sim_info(b).linear, -1);
    ck_mm_invariants();
    ck_assert_int_eq(pv_mm_unpin(a), 0);
    ck_assert_int_eq(mm_sim_info(b).linear, 0);
    ck_mm_invariants();

    /* A failure after the linear entry gives its counts back. */
    mm_sim_table(a)[2] = mm_sim_pte(SIM_IO_FIRST, RO);
    ck_assert_int_eq(pv_mm_pin(a, 3), -XEN_EINVAL);
    ck_assert_int_eq(mm_sim_info(b).linear, 0);
    ck_assert_uint_eq(mm_sim_info(b).type_count, 1);
    ck_mm_invariants();

    /* Writable at validation: refused. */
    mm_sim_table(a)[2] = 0;
    mm_sim_table(a)[0] = mm_sim_pte(b, RWF);
    ck_assert_int_eq(pv_mm_pin(a, 3), -XEN_EINVAL);
    back_to_baseline();
}
END_TEST

START_TEST(no_nesting)
{
    for (unsigned level = 2; level <= 4; level++) {
        mfn_t a = pinned(level), b = pinned(level), c = pinned(level), d = pinned(level);
        ck_assert_int_eq(set_entry(a, 1, mm_sim_pte(b, RO)), 0);          /* a -> b */
        /* a holds a linear entry: nothing may name it linearly. */
        ck_assert_int_eq(set_entry(c, 1, mm_sim_pte(a, RO)), -XEN_EINVAL);
        /* b is named linearly: it may hold no linear entry. */
        ck_assert_int_eq(set_entry(b, 1, mm_sim_pte(c, RO)), -XEN_EINVAL);
        /* but its self map holds nothing and nests nothing */
        ck_assert_int_eq(set_entry(b, 2, mm_sim_pte(b, RO)), 0);
        /* Siblings are fine: a -> d, and c -> b beside a -> b. */
        ck_assert_int_eq(set_entry(a, 2, mm_sim_pte(d, RO)), 0);
        ck_assert_int_eq(set_entry(c, 2, mm_sim_pte(b, RO)), 0);
        ck_assert_int_eq(mm_sim_info(b).linear, -2);
        ck_assert_int_eq(mm_sim_info(c).linear, 1);
        /* d is named by a: it may not name c. */
        ck_assert_int_eq(set_entry(d, 1, mm_sim_pte(c, RO)), -XEN_EINVAL);
        /* Once a's entries go, a may be named and d may name. */
        ck_assert_int_eq(set_entry(a, 1, 0), 0);
        ck_assert_int_eq(set_entry(a, 2, 0), 0);
        ck_assert_int_eq(set_entry(d, 1, mm_sim_pte(a, RO)), 0);
        ck_assert_int_eq(mm_sim_info(a).linear, -1);
        back_to_baseline();
    }
}
END_TEST

START_TEST(no_nesting_at_validation)
{
    /* x -> y at validation while x is already named linearly. */
    mfn_t y = pinned(2), x = mm_sim_alloc();
    ck_assert_int_eq(pv_mm_pin(x, 2), 0);
    mfn_t z = pinned(2);
    ck_assert_int_eq(set_entry(z, 0, mm_sim_pte(x, RO)), 0);    /* z -> x */
    ck_assert_int_eq(pv_mm_unpin(x), 0);                        /* held by z alone */
    ck_assert_int_eq(set_entry(x, 0, mm_sim_pte(y, RO)), -XEN_EINVAL);
    /* A table that holds a linear entry can't be named at validation. */
    mfn_t w = mm_sim_alloc();
    mm_sim_table(w)[0] = mm_sim_pte(z, RO);
    ck_assert_int_eq(pv_mm_pin(w, 2), -XEN_EINVAL);
    back_to_baseline();
}
END_TEST

START_TEST(cross_level_refused)
{
    mfn_t l4 = pinned(4), l3 = pinned(3), l2 = pinned(2), l1 = pinned(1);
    mfn_t t[5] = { 0, l1, l2, l3, l4 };
    /* An entry of level n may name level n-1 (RW or not) or level n read-only: nothing else. */
    for (unsigned from = 2; from <= 4; from++)
        for (unsigned to = 1; to <= 4; to++) {
            if (to == from || to == from - 1)
                continue;
            ck_assert_int_eq(set_entry(t[from], 9, mm_sim_pte(t[to], RO)), -XEN_EINVAL);
            ck_assert_int_eq(set_entry(t[from], 9, mm_sim_pte(t[to], RWF)), -XEN_EINVAL);
        }
    /* L1s never: a read-only L1 entry naming an L1 is a plain read-only mapping. */
    ck_assert_int_eq(set_entry(l1, 9, mm_sim_pte(l1, RO)), 0);
    ck_assert_int_eq(mm_sim_info(l1).linear, 0);
    ck_assert_int_eq(set_entry(l1, 9, mm_sim_pte(l1, RWF)), -XEN_EBUSY);
    back_to_baseline();
}
END_TEST

START_TEST(only_live_tables)
{
    /* A frame that was an L2 and is no more becomes an L1 when named: the ordinary rule. */
    mfn_t a = pinned(2), b = pinned(2);
    ck_assert_int_eq(pv_mm_unpin(b), 0);
    ck_assert_int_eq(set_entry(a, 0, mm_sim_pte(b, RO)), 0);
    ck_assert_int_eq(mm_sim_info(b).type, PV_TYPE_L1);
    ck_assert_int_eq(mm_sim_info(a).linear, 0);
    ck_assert_int_eq(set_entry(a, 0, 0), 0);
    /* One that can't be an L1 either: that error, not a linear entry. */
    mfn_t c = pinned(2), l1 = pinned(1);
    ck_assert_int_eq(set_entry(c, 0, mm_sim_pte(l1, RWF)), 0);
    ck_assert_int_eq(pv_mm_unpin(c), 0);
    mm_sim_table(c)[0] = mm_sim_pte(l1, RWF);
    ck_assert_int_eq(set_entry(a, 1, mm_sim_pte(c, RO)), -XEN_EBUSY);
    /* Other frames: not the guest's, descriptor pages, writable ones. */
    ck_assert_int_eq(set_entry(a, 2, mm_sim_pte(SIM_SHIM_FIRST, RO)), -XEN_EINVAL);
    ck_assert_int_eq(set_entry(a, 2, mm_sim_pte(SIM_IO_FIRST, RO)), -XEN_EINVAL);
    mfn_t wr = mm_sim_alloc();
    ck_assert_int_eq(pv_mm_get_writable_frame(wr), 0);
    mm_sim_note_writable_hold(wr, 1);
    ck_assert_int_eq(set_entry(a, 2, mm_sim_pte(wr, RO)), -XEN_EINVAL);
    back_to_baseline();
}
END_TEST

START_TEST(teardown_releases_named_tree)
{
    /* a -> b linearly, b the only holder of a tree: unpinning a frees it all. */
    mfn_t a = pinned(4), b = mm_sim_alloc(), data = mm_sim_alloc();
    mfn_t l1 = mm_sim_map_raw(b, 0x200000, data, RWF);
    ck_assert_int_eq(pv_mm_pin(b, 4), 0);
    ck_assert_int_eq(set_entry(a, 7, mm_sim_pte(b, RO)), 0);
    ck_assert_int_eq(pv_mm_unpin(b), 0);
    ck_assert_uint_eq(mm_sim_info(b).type_count, 1);
    ck_assert_uint_eq(mm_sim_info(l1).type_count, 1);
    ck_mm_invariants();
    ck_assert_int_eq(pv_mm_unpin(a), 0);
    ck_assert_uint_eq(mm_sim_info(b).type_count, 0);
    ck_assert_uint_eq(mm_sim_info(l1).type_count, 0);
    ck_assert_uint_eq(mm_sim_info(data).type_count, 0);
    ck_assert_int_eq(mm_sim_info(a).linear, 0);
    ck_assert_int_eq(mm_sim_info(b).linear, 0);
    ck_mm_baseline();
    /* Now b can become anything, even writable. */
    ck_assert_int_eq(pv_mm_get_writable_frame(b), 0);
    pv_mm_put_writable_frame(b);
    ck_mm_baseline();
}
END_TEST

START_TEST(base_pointers_with_linear_entries)
{
    /* Kernel and user L4 naming each other's way: k -> u linearly, then swapped bases. */
    mfn_t k = mm_sim_kernel_tables(), u = pinned(4);
    ck_assert_int_eq(mm_sim_mmuext(MMUEXT_NEW_USER_BASEPTR, u, 0), 0);
    ck_assert_int_eq(set_entry(k, 2, mm_sim_pte(u, RO)), 0);
    ck_assert_int_eq(set_entry(k, 3, mm_sim_pte(k, RO)), 0);
    ck_assert_int_eq(pv_mm_unpin(u), 0);
    ck_assert_int_eq(mm_sim_mmuext(MMUEXT_NEW_USER_BASEPTR, 0, 0), 0);
    ck_assert_int_eq(mm_sim_info(u).linear, -1);
    /* u, held only through k's linear entry, can be a base again. */
    ck_assert_int_eq(mm_sim_mmuext(MMUEXT_NEW_USER_BASEPTR, u, 0), 0);
    ck_assert_int_eq(mm_sim_mmuext(MMUEXT_NEW_USER_BASEPTR, 0, 0), 0);
    /* A new kernel base: the old k's linear entry still holds u. */
    mfn_t k2 = pinned(4);
    ck_assert_int_eq(mm_sim_mmuext(MMUEXT_NEW_BASEPTR, k2, 0), 0);
    ck_mm_invariants();
    back_to_baseline();
    ck_assert_int_eq(mm_sim_info(u).linear, 0);
}
END_TEST

START_TEST(use_count_full)
{
    /* Xen's 16-bit count: at most 32768 linear entries may name one table. */
    mfn_t b = pinned(2);
    unsigned tables = 0;
    long rc;
    for (;;) {
        mfn_t a = mm_sim_alloc();
        for (unsigned i = 0; i < 512; i++)
            mm_sim_table(a)[i] = mm_sim_pte(b, RO);
        rc = pv_mm_pin(a, 2);
        if (rc)
            break;
        tables++;
    }
    ck_assert_int_eq(rc, -XEN_EINVAL);
    ck_assert_uint_eq(tables, 64);
    ck_assert_int_eq(mm_sim_info(b).linear, -32768);
    ck_assert_uint_eq(mm_sim_info(b).type_count, 1 + 32768);
    ck_mm_invariants();
    /* One let go: one more fits. */
    mfn_t first = SIM_GUEST_FIRST + 1;
    ck_assert_int_eq(set_entry(first, 0, 0), 0);
    mfn_t c = pinned(2);
    ck_assert_int_eq(set_entry(c, 0, mm_sim_pte(b, RO)), 0);
    ck_assert_int_eq(set_entry(c, 1, mm_sim_pte(b, RO)), -XEN_EINVAL);
    back_to_baseline();
}
END_TEST

/*
 * The counts' own table (linear_count.c) holds LINEAR_MAX_FRAMES frames:
 * a linear entry needing a frame more than there is room for is refused
 * like a full count, and one between frames already counted still fits.
 */
START_TEST(count_table_full)
{
    const mfn_t fake = 1000000;     /* far above the simulated RAM: only occupies slots */
    mfn_t a = pinned(2), b = pinned(2), c = pinned(2);
    for (mfn_t m = 0; m < LINEAR_MAX_FRAMES - 1; m++)
        linear_set(fake + m, (int16_t)(m % 2 ? 1 : -1));
    /* a and b both new: two frames, room for one. */
    ck_assert_int_eq(set_entry(a, 0, mm_sim_pte(b, RO)), -XEN_EINVAL);
    ck_assert_uint_eq(mm_sim_table(a)[0], 0);
    ck_assert_int_eq(mm_sim_info(b).linear, 0);
    linear_set(fake, 0);
    ck_assert_int_eq(set_entry(a, 0, mm_sim_pte(b, RO)), 0);
    ck_assert_int_eq(mm_sim_info(a).linear, 1);
    ck_assert_int_eq(mm_sim_info(b).linear, -1);
    /* Full now: c would be new, a second entry of a is not. */
    ck_assert(!linear_room(1));
    ck_assert_int_eq(set_entry(c, 0, mm_sim_pte(b, RO)), -XEN_EINVAL);
    ck_assert_int_eq(set_entry(a, 1, mm_sim_pte(b, RO)), 0);
    ck_assert_int_eq(mm_sim_info(b).linear, -2);
    for (mfn_t m = 1; m < LINEAR_MAX_FRAMES - 1; m++)
        linear_set(fake + m, 0);
    ck_assert_int_eq(set_entry(c, 0, mm_sim_pte(b, RO)), 0);
    ck_assert_int_eq(mm_sim_info(b).linear, -3);
    back_to_baseline();
    ck_assert_uint_eq(pv_mm.linear_frames, 0);
}
END_TEST

/*
 * The table against a plain array under random changes, frames chosen
 * to collide (one home slot for many) and to wrap around the end: every
 * count found, none lost when another is removed.
 */
START_TEST(count_table_random)
{
    enum { KEYS = 700 };
    static int16_t ref[KEYS];
    static mfn_t key[KEYS];
    uint64_t rng = 0x2545f4914f6cdd1dull * (uint64_t)(_i + 1);
    memset(ref, 0, sizeof(ref));
    for (unsigned k = 0; k < KEYS; k++)
        key[k] = _i == 0 ? k : (mfn_t)k * LINEAR_SLOTS * 4099 + (k % 7);
    unsigned used = 0;
    for (unsigned step = 0; step < 40000; step++) {
        xorshift64(&rng);
        unsigned k = (unsigned)(rng % KEYS);
        int16_t v = (rng >> 32) % 3 == 0 ? 0 : (int16_t)((int)((rng >> 40) % 200) - 100);
        used += (ref[k] == 0 && v != 0) - (ref[k] != 0 && v == 0);
        ref[k] = v;
        linear_set(key[k], v);
        ck_assert_uint_eq(pv_mm.linear_frames, used);
        if (step % 997 == 0)
            for (unsigned j = 0; j < KEYS; j++)
                ck_assert_int_eq(linear_count(key[j]), ref[j]);
    }
    for (unsigned j = 0; j < KEYS; j++) {
        ck_assert_int_eq(linear_count(key[j]), ref[j]);
        linear_set(key[j], 0);
    }
    ck_assert_uint_eq(pv_mm.linear_frames, 0);
    for (unsigned i = 0; i < LINEAR_SLOTS; i++)
        ck_assert_uint_eq(pv_mm.linear[i], 0);
}
END_TEST

/* Random same-level and cross-level entries among a few live tables. */
START_TEST(random_linear_mix)
{
    uint64_t rng = 0x9e3779b97f4a7c15ull * (uint64_t)(_i + 1);
    mfn_t pool[12];
    for (unsigned i = 0; i < 12; i++)
        pool[i] = pinned(2 + i % 3);
    unsigned linear_made = 0;
    for (unsigned step = 0; step < 800; step++) {
        xorshift64(&rng);
        mfn_t t = pool[rng % 12], target = pool[(rng >> 8) % 12];
        pte_t flags = (rng >> 16) & 3 ? RO : RWF;
        pte_t val = (rng >> 20) % 5 ? mm_sim_pte(target, flags) : 0;
        unsigned idx = (rng >> 24) % 8;
        long rc = mm_sim_mmu_update1(mm_sim_slot_maddr(t, idx), val);
        if (!rc && val && t != target && mm_sim_info(target).linear < 0)
            linear_made++;
        ck_assert_msg(rc == 0 || rc == -XEN_EINVAL || rc == -XEN_EBUSY || rc == -XEN_EPERM, "step %u: rc %ld", step, rc);
        if ((rng >> 32) % 16 == 0) {
            mfn_t p = pool[(rng >> 40) % 12];
            if (mm_sim_info(p).pinned)
                ck_assert_int_eq(pv_mm_unpin(p), 0);
            else
                pv_mm_pin(p, 2 + (unsigned)((p - pool[0]) % 3));
        }
        const char *why = mm_sim_check();
        ck_assert_msg(why == NULL, "step %u: %s", step, why);
    }
    ck_assert_uint_gt(linear_made, 20);
    back_to_baseline();
}
END_TEST

static Suite *mm_linear_suite(void)
{
    Suite *s = suite_create("mm_linear");
    TCase *tc = tcase_create("linear");
    tcase_add_checked_fixture(tc, mm_sim_setup, mm_sim_teardown);
    tcase_add_test(tc, self_map_read_only);
    tcase_add_test(tc, l4_self_map_as_kernel_base);
    tcase_add_test(tc, other_table_same_level);
    tcase_add_test(tc, at_validation);
    tcase_add_test(tc, no_nesting);
    tcase_add_test(tc, no_nesting_at_validation);
    tcase_add_test(tc, cross_level_refused);
    tcase_add_test(tc, only_live_tables);
    tcase_add_test(tc, teardown_releases_named_tree);
    tcase_add_test(tc, base_pointers_with_linear_entries);
    tcase_add_test(tc, use_count_full);
    tcase_add_test(tc, count_table_full);
    tcase_add_loop_test(tc, count_table_random, 0, 2);
    tcase_add_loop_test(tc, random_linear_mix, 0, 4);
    suite_add_tcase(s, tc);
    return s;
}
UNIT_SUITE(mm_linear_suite)
