/*
 * A hostile guest against the PV MMU: absurd counts and pointers, frames
 * out of range, self-referencing and cyclic tables, random table contents
 * and random hypercalls. Whatever happens, the invariants hold and every
 * reference can be returned.
 */
#include <string.h>
#include <pvshim/compiler.h>
#include "test_rng.h"
#include "unit.h"
#include "mm_sim.h"

#define RO (PTE_P | PTE_US | PTE_A)
#define RWF (PTE_P | PTE_RW | PTE_US | PTE_A)

static uint64_t rng;
static uint64_t rnd(void)
{
    return xorshift64(&rng);
}

START_TEST(absurd_frames_everywhere)
{
    static const uint64_t mfns[] = {
        SIM_FRAMES, SIM_FRAMES + 1, 1ull << 32, (1ull << 40) - 1, 1ull << 40, 1ull << 52,
        ~0ull, ~0ull >> 12, 0x8000000000000000ull, SIM_SHIM_FIRST, SIM_IO_FIRST, SIM_FREE_FIRST,
    };
    for (unsigned i = 0; i < ARRAY_SIZE(mfns); i++) {
        uint64_t m = mfns[i];
        for (unsigned cmd = MMUEXT_PIN_L1_TABLE; cmd <= MMUEXT_NEW_BASEPTR; cmd++)
            ck_assert_int_eq(mm_sim_mmuext(cmd, m, 0), -XEN_EINVAL);
        long rc = mm_sim_mmuext(MMUEXT_NEW_USER_BASEPTR, m, 0);
        ck_assert_int_eq(rc, m == 0 ? 0 : -XEN_EINVAL);
        ck_assert_int_eq(mm_sim_mmuext(MMUEXT_CLEAR_PAGE, m, 0), -XEN_EINVAL);
        ck_assert_int_eq(mm_sim_mmuext(MMUEXT_COPY_PAGE, m, SIM_GUEST_FIRST), -XEN_EINVAL);
        ck_assert_int_eq(mm_sim_mmu_update1(m << PAGE_SHIFT, 0), -XEN_EINVAL);
        ck_assert_int_eq(mm_sim_mmu_update1((m << PAGE_SHIFT) | MMU_MACHPHYS_UPDATE, 0), -XEN_EINVAL);
        ck_assert_int_eq(do_update_descriptor(m << PAGE_SHIFT, 0), -XEN_EINVAL);
        ck_assert(!pv_mm_guest_owns(m) || m < SIM_GUEST_END);
        ck_assert_int_eq(pv_mm_release_frame(m), -XEN_EINVAL);
        ck_assert_int_eq(pv_mm_get_writable_frame(m), -XEN_EINVAL);
        mfn_t l;
        ck_assert_int_eq(pv_mm_map_ldt_page(0, &l), -XEN_EINVAL);
    }
    ck_mm_invariants();
}
END_TEST

START_TEST(absurd_counts_and_pointers)
{
    /* Huge counts over a buffer that ends: stop at the end, report progress. */
    mfn_t m = mm_sim_alloc();
    struct mmu_update r[64];
    for (unsigned i = 0; i < 64; i++)
        r[i] = (struct mmu_update){ mfn_to_paddr(m) | MMU_MACHPHYS_UPDATE, i };
    vaddr_t start = SIM_ARGS_VA + SIM_ARGS_SIZE - sizeof(r);
    memcpy(mm_sim_args + (start - SIM_ARGS_VA), r, sizeof(r));
    ck_assert_int_eq(do_mmu_update(start, 0x7fffffff, SIM_ARGS_VA, DOMID_SELF), -XEN_EFAULT);
    uint32_t done;
    memcpy(&done, mm_sim_args, 4);
    ck_assert_uint_eq(done, 64);
    /* Continuation bit plus a huge count. */
    ck_assert_int_eq(do_mmu_update(start, 0xffffffffu, SIM_ARGS_VA, DOMID_SELF), -XEN_EFAULT);
    memcpy(&done, mm_sim_args, 4);
    ck_assert_uint_eq(done, 128);
    struct mmuext_op op;
    memset(&op, 0, sizeof(op));
    op.cmd = MMUEXT_TLB_FLUSH_LOCAL;
    vaddr_t ostart = SIM_ARGS_VA + SIM_ARGS_SIZE - sizeof(op);
    memcpy(mm_sim_args + (ostart - SIM_ARGS_VA), &op, sizeof(op));
    ck_assert_int_eq(do_mmuext_op(ostart, 0x7fffffff, 0, DOMID_SELF), -XEN_EFAULT);
    /* Pointers into pvshim's range or the non-canonical hole. */
    static const vaddr_t evil[] = {
        0xffff800000000000ull, 0xffff830000001000ull, 0xffff87fffffff000ull,
        0x0000800000000000ull, 0x8000000000000000ull,
    };
    for (unsigned i = 0; i < ARRAY_SIZE(evil); i++) {
        ck_assert_int_eq(do_mmu_update(evil[i], 1, 0, DOMID_SELF), -XEN_EFAULT);
        ck_assert_int_eq(do_mmuext_op(evil[i], 1, 0, DOMID_SELF), -XEN_EFAULT);
        ck_assert_int_eq(do_set_gdt(evil[i], 1), -XEN_EFAULT);
        ck_assert_int_eq(do_update_va_mapping(evil[i], 0, 0), -XEN_EINVAL);
        ck_assert_int_eq(mm_sim_mmuext(MMUEXT_SET_LDT, evil[i] & ~0xfffull, 1), -XEN_EINVAL);
    }
    /* pdone in pvshim's range: the work is done, nothing written there. */
    memcpy(mm_sim_args, r, sizeof(r[0]));
    ck_assert_int_eq(do_mmu_update(SIM_ARGS_VA, 1, 0xffff830000000000ull, DOMID_SELF), 0);
}
END_TEST

START_TEST(self_reference_and_cycles)
{
    /* An L4 referencing itself in every guest slot it could. */
    mfn_t l4 = mm_sim_alloc();
    for (unsigned i = 0; i < 512; i++)
        mm_sim_table(l4)[i] = mm_sim_pte(l4, i & 1 ? RO : RWF);
    ck_assert_int_eq(pv_mm_pin(l4, 4), -XEN_EINVAL);
    ck_assert_int_eq(mm_sim_mmuext(MMUEXT_NEW_BASEPTR, l4, 0), -XEN_EINVAL);
    ck_mm_baseline();

    /* A cycle through levels: L3 -> L2 -> L1 that maps the L3 writable. */
    mfn_t l3 = mm_sim_alloc(), l2 = mm_sim_alloc(), l1 = mm_sim_alloc();
    mm_sim_table(l3)[0] = mm_sim_pte(l2, RWF);
    mm_sim_table(l2)[0] = mm_sim_pte(l1, RWF);
    mm_sim_table(l1)[0] = mm_sim_pte(l3, RWF);
    ck_assert_int_eq(pv_mm_pin(l3, 3), -XEN_EBUSY);
    ck_mm_baseline();
    /* Read-only it is legitimate. */
    mm_sim_table(l1)[0] = mm_sim_pte(l3, RO);
    ck_assert_int_eq(pv_mm_pin(l3, 3), 0);
    /* The L2 entry pointing back up at the L3 (as an L1): refused. */
    ck_assert_int_eq(mm_sim_mmu_update1(mm_sim_slot_maddr(l2, 1), mm_sim_pte(l3, RO)), -XEN_EINVAL);
    /* An L1 trying to become writable-mapped through itself. */
    ck_assert_int_eq(mm_sim_mmu_update1(mm_sim_slot_maddr(l1, 1), mm_sim_pte(l1, RWF)), -XEN_EBUSY);
    /* Replacing the only path to a table with a path to itself. */
    ck_assert_int_eq(mm_sim_mmu_update1(mm_sim_slot_maddr(l3, 0), mm_sim_pte(l3, RWF)), -XEN_EINVAL);
    ck_assert_int_eq(mm_sim_info(l2).type_count, 1);
    ck_mm_invariants();
    /* The same L2 twice in one L3 and the L3 twice in an L4: fine, counted twice. */
    ck_assert_int_eq(mm_sim_mmu_update1(mm_sim_slot_maddr(l3, 1), mm_sim_pte(l2, RWF)), 0);
    mfn_t top = mm_sim_alloc();
    mm_sim_table(top)[0] = mm_sim_pte(l3, RWF);
    mm_sim_table(top)[511] = mm_sim_pte(l3, RWF);
    ck_assert_int_eq(pv_mm_pin(top, 4), 0);
    ck_assert_uint_eq(mm_sim_info(l3).type_count, 3);
    ck_assert_uint_eq(mm_sim_info(l2).type_count, 2);
    ck_mm_invariants();
    mm_sim_release_all();
    ck_mm_baseline();
}
END_TEST

START_TEST(table_in_its_own_tree_writable)
{
    /* A tree whose leaf maps one of the tree's own tables writable. */
    mfn_t l4 = mm_sim_alloc();
    mfn_t l1 = mm_sim_map_raw(l4, 0x1000, mm_sim_alloc(), RWF);
    mm_sim_map_raw(l4, 0x2000, l4, RWF);
    ck_assert_int_eq(pv_mm_pin(l4, 4), -XEN_EBUSY);
    mm_sim_table(l1)[2] = mm_sim_pte(l4, RO);
    ck_assert_int_eq(pv_mm_pin(l4, 4), 0);
    /* and then through an update */
    ck_assert_int_eq(mm_sim_mmu_update1(mm_sim_slot_maddr(l1, 2), mm_sim_pte(l1, RWF)), -XEN_EBUSY);
    ck_assert_int_eq(mm_sim_mmu_update1(mm_sim_slot_maddr(l1, 3), mm_sim_pte(l4, RWF)), -XEN_EBUSY);
    ck_mm_invariants();
}
END_TEST

START_TEST(random_table_contents)
{
    rng = 0xfeedfacecafef00dull + (uint64_t)_i * 104729;
    mfn_t pool[16];
    for (unsigned i = 0; i < 16; i++)
        pool[i] = mm_sim_alloc();
    for (unsigned round = 0; round < 40; round++) {
        mfn_t t = pool[rnd() % 16];
        pte_t *p = mm_sim_table(t);
        if (!mm_sim_info(t).type_count) {
            /* Only frames not in use may be scribbled on raw. */
            for (unsigned i = 0; i < 512; i++) {
                uint64_t r = rnd();
                switch (r % 4) {
                case 0: p[i] = 0; break;
                case 1: p[i] = r; break;                           /* anything */
                case 2: p[i] = mm_sim_pte(pool[(r >> 8) % 16], r & 0x8000000000000fffull); break;
                default: p[i] = mm_sim_pte(pool[(r >> 8) % 16], (r & 1) ? RO : RWF); break;
                }
            }
        }
        long rc = pv_mm_pin(t, 1 + rnd() % 4);
        ck_assert(rc == 0 || rc == -XEN_EINVAL || rc == -XEN_EBUSY || rc == -XEN_EPERM);
        ck_mm_invariants();
        if (rnd() % 2)
            pv_mm_unpin(pool[rnd() % 16]);
        ck_mm_invariants();
    }
    mm_sim_release_all();
    ck_mm_baseline();
}
END_TEST

/* Random hypercalls with random, partly sensible arguments. */
START_TEST(random_hypercalls)
{
    rng = 0x0123456789abcdefull ^ ((uint64_t)_i << 32);
    mfn_t pool[20];
    for (unsigned i = 0; i < 20; i++)
        pool[i] = mm_sim_alloc();
    dom.vm_assist = 1ul << VMASST_TYPE_writable_pagetables;
    for (unsigned step = 0; step < 1200; step++) {
        uint64_t r = rnd();
        mfn_t a = rnd() % 7 ? pool[rnd() % 20] : rnd();
        mfn_t b = pool[rnd() % 20];
        uint64_t flags = rnd() % 5 ? (rnd() & 1 ? RWF : RO) : (rnd() & 0x8000000000000fffull);
        switch (r % 10) {
        case 0: case 1: case 2: {
            unsigned n = 1 + rnd() % 4;
            struct mmu_update u[4];
            for (unsigned i = 0; i < n; i++)
                u[i] = (struct mmu_update){ mm_sim_slot_maddr(pool[rnd() % 20], rnd() % 512) | (rnd() % 4),
                                            mm_sim_pte(rnd() % 3 ? pool[rnd() % 20] : rnd() % 300, flags) };
            mm_sim_mmu_update(u, n, NULL);
            break;
        }
        case 3: case 4: {
            struct mmuext_op op;
            memset(&op, 0, sizeof(op));
            op.cmd = rnd() % 22;
            op.arg1.mfn = a;
            if (op.cmd == MMUEXT_SET_LDT) {
                op.arg1.linear_addr = rnd() & 0x7ffffffff000ull;
                op.arg2.nr_ents = rnd() % 9000;
            } else if (op.cmd == MMUEXT_TLB_FLUSH_MULTI || op.cmd == MMUEXT_INVLPG_MULTI) {
                uint64_t p = rnd() & 1 ? SIM_ARGS_VA : rnd();
                memcpy(&op.arg2, &p, 8);
            } else {
                op.arg2.src_mfn = b;
            }
            mm_sim_mmuext_n(&op, 1, NULL);
            break;
        }
        case 5:
            do_update_va_mapping(rnd() & 0x7fffff000ull, mm_sim_pte(b, flags), rnd() % 8);
            break;
        case 6: {
            uint64_t f[3] = { a, b, pool[rnd() % 20] };
            memcpy(mm_sim_args + 0x2000, f, sizeof(f));
            do_set_gdt(SIM_ARGS_VA + 0x2000, rnd() % 1600);
            break;
        }
        case 7:
            do_update_descriptor(mfn_to_paddr(a) + (rnd() % 4096), rnd());
            break;
        case 8: {
            mfn_t m;
            pv_mm_map_ldt_page(rnd() % 65536, &m);
            break;
        }
        default: {
            /* A ptwr fault on a random address with a random store. */
            static uint8_t code[16];
            static bool mapped;
            if (!mapped) {
                fake_guest_map(0x50000000, code, sizeof(code));
                mapped = true;
            }
            for (unsigned i = 0; i < sizeof(code); i++)
                code[i] = (uint8_t)rnd();
            static const uint8_t forms[][4] = {
                { 0x48, 0x89, 0x07 }, { 0x48, 0x87, 0x07 }, { 0xf0, 0x80, 0x27 }, { 0x0f, 0xb1, 0x37 },
            };
            memcpy(code, forms[rnd() % 4], 4);
            struct cpu_regs regs;
            memset(&regs, 0, sizeof(regs));
            regs.rip = 0x50000000;
            regs.rdi = rnd() & 0x7ffffffffff8ull;
            regs.rax = mm_sim_pte(b, flags);
            pv_ptwr_fault(&regs, regs.rdi, 7);
            break;
        }
        }
        const char *why = mm_sim_check();
        ck_assert_msg(why == NULL, "step %u: %s", step, why);
    }
    mm_sim_release_all();
    ck_mm_baseline();
}
END_TEST

START_TEST(type_count_overflow)
{
    /* 2^22 - 1 type references at most: one more is refused, not wrapped. */
    mfn_t m = mm_sim_alloc();
    unsigned n = 0;
    while (pv_mm_get_writable_frame(m) == 0)
        n++;
    ck_assert_uint_eq(n, 0x3fffff);
    ck_assert_uint_eq(mm_sim_info(m).refs, 1 + n);
    mfn_t l1 = mm_sim_alloc();
    ck_assert_int_eq(pv_mm_pin(l1, 1), 0);
    ck_assert_int_eq(mm_sim_mmu_update1(mm_sim_slot_maddr(l1, 0), mm_sim_pte(m, RWF)), -XEN_EBUSY);
    ck_assert_int_eq(mm_sim_mmu_update1(mm_sim_slot_maddr(l1, 0), mm_sim_pte(m, RO)), 0);
    while (n--)
        pv_mm_put_writable_frame(m);
    ck_assert_int_eq(mm_sim_mmu_update1(mm_sim_slot_maddr(l1, 0), 0), 0);
    ck_mm_invariants();
    ck_assert_int_eq(pv_mm_pin(m, 1), 0);
}
END_TEST

START_TEST(mmuext_continuation_count)
{
    struct mmuext_op op;
    memset(&op, 0, sizeof(op));
    op.cmd = MMUEXT_TLB_FLUSH_LOCAL;
    memcpy(mm_sim_args, &op, sizeof(op));
    uint32_t done = 40;
    memcpy(mm_sim_args + 0x1000, &done, 4);
    ck_assert_int_eq(do_mmuext_op(SIM_ARGS_VA, 0x80000001u, SIM_ARGS_VA + 0x1000, DOMID_SELF), 0);
    memcpy(&done, mm_sim_args + 0x1000, 4);
    ck_assert_uint_eq(done, 41);
}
END_TEST

static Suite *mm_hostile_suite(void)
{
    Suite *s = suite_create("mm_hostile");
    TCase *tc = tcase_create("hostile");
    tcase_add_checked_fixture(tc, mm_sim_setup, mm_sim_teardown);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, absurd_frames_everywhere);
    tcase_add_test(tc, absurd_counts_and_pointers);
    tcase_add_test(tc, self_reference_and_cycles);
    tcase_add_test(tc, table_in_its_own_tree_writable);
    tcase_add_test(tc, type_count_overflow);
    tcase_add_test(tc, mmuext_continuation_count);
    tcase_add_loop_test(tc, random_table_contents, 0, 6);
    tcase_add_loop_test(tc, random_hypercalls, 0, 6);
    suite_add_tcase(s, tc);
    /* The same random walks with the MMU in PAE mode (a 32-bit guest). */
    tc = tcase_create("hostile-pae");
    tcase_add_checked_fixture(tc, mm_sim_setup_pae, mm_sim_teardown);
    tcase_set_timeout(tc, 60);
    tcase_add_loop_test(tc, random_table_contents, 0, 6);
    tcase_add_loop_test(tc, random_hypercalls, 0, 6);
    suite_add_tcase(s, tc);
    return s;
}
UNIT_SUITE(mm_hostile_suite)
