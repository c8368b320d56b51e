/*
 * The PV MMU with several vCPUs (the fake CPU switches between them with
 * fake_run_vcpu; other CPUs' flushes are recorded, not simulated): a base
 * pointer keeps its table typed whoever unpins it, a frame losing its
 * writable or table type is flushed from every vCPU that ran before its new
 * type is visible, each vCPU's LDT frames are its own, and interleaved pins,
 * unpins, maps and base-pointer switches on different vCPUs keep every
 * count right and never leave a table mapped writable.
 */
#include <string.h>
#include "test_rng.h"
#include "unit.h"
#include "mm_sim.h"
#include "mm/mm_private.h"
#include "flush_stats.h"

#define RO (PTE_P | PTE_US | PTE_A)
#define RWF (PTE_P | PTE_RW | PTE_US | PTE_A)

static void setup2(void)
{
    mm_sim_setup();
    mm_sim_add_vcpus(2);
}

static void setup4(void)
{
    mm_sim_setup();
    mm_sim_add_vcpus(4);
}

static void teardown(void)
{
    fake_run_vcpu(0);
    mm_sim_teardown();
}

/* vCPU 1 runs on an L4 that vCPU 0 unpins: it stays an L4, never writable. */
START_TEST(other_vcpus_base_keeps_its_type)
{
    mfn_t k = mm_sim_alloc(), k2 = mm_sim_alloc(), l1 = mm_sim_alloc();
    mm_sim_map_raw(k, 0x200000, mm_sim_alloc(), RWF);
    ck_assert_int_eq(mm_sim_mmuext(MMUEXT_PIN_L4_TABLE, k, 0), 0);
    ck_assert_int_eq(pv_mm_pin(l1, 1), 0);
    fake_run_vcpu(1);
    ck_assert_int_eq(mm_sim_mmuext(MMUEXT_NEW_BASEPTR, k, 0), 0);
    ck_assert_uint_eq(mm_sim_info(k).type_count, 2);       /* the pin and vCPU 1's base */
    ck_mm_invariants();

    fake_run_vcpu(0);
    ck_assert_int_eq(mm_sim_mmuext(MMUEXT_UNPIN_TABLE, k, 0), 0);
    ck_assert(mm_sim_info(k).validated);
    ck_assert_uint_eq(mm_sim_info(k).type, PV_TYPE_L4);
    ck_assert_int_eq(mm_sim_mmu_update1(mm_sim_slot_maddr(l1, 0), mm_sim_pte(k, RWF)),
                     -XEN_EBUSY);
    ck_assert_int_eq(mm_sim_mmuext(MMUEXT_CLEAR_PAGE, k, 0), -XEN_EINVAL);
    ck_mm_invariants();

    /* vCPU 1 moves away: k's last use goes, and with it every CPU's view
     * through it before it can become writable. */
    fake_run_vcpu(1);
    ck_assert_int_eq(mm_sim_mmuext(MMUEXT_NEW_BASEPTR, k2, 0), 0);
    ck_assert_uint_eq(mm_sim_info(k).type_count, 0);
    fake_run_vcpu(0);
    fake_hw.remote_flush_mask = 0;
    ck_assert_int_eq(mm_sim_mmu_update1(mm_sim_slot_maddr(l1, 0), mm_sim_pte(k, RWF)), 0);
    ck_assert_uint_eq(fake_hw.remote_flush_mask, 2);
    ck_mm_invariants();
}
END_TEST

/* A writable mapping dropped on vCPU 1: vCPU 0 making the frame a table
 * has vCPU 1's CPU flushed first (or flushes it before it next runs). */
START_TEST(type_change_flushes_other_vcpus)
{
    mfn_t l1 = mm_sim_alloc(), data = mm_sim_alloc(), data2 = mm_sim_alloc();
    ck_assert_int_eq(pv_mm_pin(l1, 1), 0);
    fake_run_vcpu(1);
    ck_assert_int_eq(mm_sim_mmu_update1(mm_sim_slot_maddr(l1, 0), mm_sim_pte(data, RWF)), 0);
    ck_assert_int_eq(mm_sim_mmu_update1(mm_sim_slot_maddr(l1, 0), 0), 0);   /* no flush asked */
    fake_run_vcpu(0);
    unsigned own = fake_hw.tlb_flushes;
    fake_hw.remote_flush_mask = 0;
    ck_assert_int_eq(pv_mm_pin(data, 1), 0);
    ck_assert_uint_eq(fake_hw.remote_flush_mask, 2);       /* vCPU 1 only: it ran */
    ck_assert_uint_eq(fake_hw.tlb_flushes, own + 1);       /* and this CPU */
    ck_mm_invariants();

    /* An idle vCPU is not interrupted: its CPU flushes when it wakes. */
    fake_run_vcpu(1);
    ck_assert_int_eq(mm_sim_mmu_update1(mm_sim_slot_maddr(l1, 1), mm_sim_pte(data2, RWF)), 0);
    ck_assert_int_eq(mm_sim_mmu_update1(mm_sim_slot_maddr(l1, 1), 0), 0);
    dom.vcpu[1].idle = true;
    fake_run_vcpu(0);
    fake_hw.remote_flush_mask = 0;
    ck_assert_int_eq(pv_mm_pin(data2, 2), 0);
    ck_assert_uint_eq(fake_hw.remote_flush_mask, 0);
    ck_assert(dom.vcpu[1].tlb_flush_due);
}
END_TEST

/* A vCPU that never ran holds no translations: nothing to flush there. */
START_TEST(flush_skips_vcpus_never_run)
{
    dom.vcpu[2].loaded = dom.vcpu[3].loaded = false;
    mfn_t l1 = mm_sim_alloc(), data = mm_sim_alloc();
    ck_assert_int_eq(pv_mm_pin(l1, 1), 0);
    ck_assert_int_eq(mm_sim_mmu_update1(mm_sim_slot_maddr(l1, 0), mm_sim_pte(data, RWF)), 0);
    ck_assert_int_eq(mm_sim_mmu_update1(mm_sim_slot_maddr(l1, 0), 0), 0);
    fake_hw.remote_flush_mask = 0;
    ck_assert_int_eq(pv_mm_pin(data, 1), 0);
    ck_assert_uint_eq(fake_hw.remote_flush_mask, 2);
}
END_TEST

/*
 * A vCPU whose CPU loaded CR3 after a frame's type last fell to 0 caches
 * nothing of its dropped mappings: the frame becoming a table leaves that
 * CPU alone (Xen's flush filter), while one dropped after the load still
 * has it flushed.
 */
START_TEST(retype_skips_vcpus_flushed_since_the_drop)
{
    mfn_t l1 = mm_sim_alloc(), data = mm_sim_alloc(), data2 = mm_sim_alloc();
    ck_assert_int_eq(pv_mm_pin(l1, 1), 0);
    fake_run_vcpu(1);
    ck_assert_int_eq(mm_sim_mmu_update1(mm_sim_slot_maddr(l1, 0), mm_sim_pte(data, RWF)), 0);
    ck_assert_int_eq(mm_sim_mmu_update1(mm_sim_slot_maddr(l1, 0), 0), 0);
    pv_mm_cr3_loading();                                    /* then a CR3 load */
    fake_run_vcpu(0);
    ck_assert_int_eq(mm_sim_mmu_update1(mm_sim_slot_maddr(l1, 1), mm_sim_pte(data2, RWF)), 0);
    ck_assert_int_eq(mm_sim_mmu_update1(mm_sim_slot_maddr(l1, 1), 0), 0);
    ck_assert_uint_eq(pv_mm.stale_tlb & 2, 2);             /* vCPU 1 is stale again */
    fake_hw.remote_flush_mask = 0;
    ck_assert_int_eq(pv_mm_pin(data, 1), 0);
    ck_assert_uint_eq(fake_hw.remote_flush_mask, 0);
    ck_assert_int_eq(pv_mm_pin(data2, 1), 0);
    ck_assert_uint_eq(fake_hw.remote_flush_mask, 2);
    ck_mm_invariants();
}
END_TEST

/* MMUEXT_TLB_FLUSH_LOCAL flushes this CPU only; another's stale bit stays for a type change. */
START_TEST(flush_local_leaves_other_vcpus)
{
    mfn_t l1 = mm_sim_alloc(), data = mm_sim_alloc();
    ck_assert_int_eq(pv_mm_pin(l1, 1), 0);
    ck_assert_int_eq(mm_sim_mmu_update1(mm_sim_slot_maddr(l1, 0), mm_sim_pte(data, RWF)), 0);
    ck_assert_int_eq(mm_sim_mmu_update1(mm_sim_slot_maddr(l1, 0), 0), 0);
    fake_hw.remote_flush_mask = 0;
    unsigned own = fake_hw.tlb_flushes;
    ck_assert_int_eq(mm_sim_mmuext(MMUEXT_TLB_FLUSH_LOCAL, 0, 0), 0);
    ck_assert_uint_eq(fake_hw.tlb_flushes, own + 1);
    ck_assert_uint_eq(fake_hw.remote_flush_mask, 0);
    ck_assert_uint_eq(pv_mm.stale_tlb, 2);
    ck_assert_int_eq(pv_mm_pin(data, 1), 0);
    ck_assert_uint_eq(fake_hw.remote_flush_mask, 2);
    ck_assert_uint_eq(fake_hw.tlb_flushes, own + 1);
}
END_TEST

/* The guest's vCPU mask for the *_MULTI ops and UVMF, in the argument buffer. */
#define MASK_VA (SIM_ARGS_VA + 0x400)
static void set_guest_mask(uint64_t mask)
{
    memcpy(mm_sim_args + (MASK_VA - SIM_ARGS_VA), &mask, sizeof(mask));
}

/*
 * MMUEXT_INVLPG_MULTI: this CPU invalidates the page, the other CPUs named
 * invalidate that page and nothing else (no full flush), so their stale
 * bits stay for the next type change; an idle CPU is not woken but flushes
 * in full when it does; a vCPU that never ran is left alone.
 */
START_TEST(invlpg_multi_is_one_page_remotely)
{
    const vaddr_t va = 0x7f0000123000ull;
    mfn_t l1 = mm_sim_alloc(), data = mm_sim_alloc();
    ck_assert_int_eq(pv_mm_pin(l1, 1), 0);
    ck_assert_int_eq(mm_sim_mmu_update1(mm_sim_slot_maddr(l1, 0), mm_sim_pte(data, RWF)), 0);
    ck_assert_int_eq(mm_sim_mmu_update1(mm_sim_slot_maddr(l1, 0), 0), 0);
    ck_assert_uint_eq(pv_mm.stale_tlb & 0xf, 0xf);
    dom.vcpu[3].loaded = false;
    dom.vcpu[2].idle = true;
    struct pv_flush_count before = pv_flush_stats_sum();
    unsigned flushes = fake_hw.tlb_flushes, invlpgs = fake_hw.invlpgs;
    fake_hw.remote_flush_mask = 0;

    set_guest_mask(0xf);
    ck_assert_int_eq(mm_sim_mmuext(MMUEXT_INVLPG_MULTI, va, MASK_VA), 0);
    ck_assert_uint_eq(fake_hw.invlpgs, invlpgs + 1);                /* this CPU: the page */
    ck_assert_uint_eq(fake_hw.last_invlpg, va);
    ck_assert_uint_eq(fake_hw.tlb_flushes, flushes);
    ck_assert_uint_eq(fake_hw.remote_invlpg_mask, 2);               /* vCPU 1: the page */
    ck_assert_uint_eq(fake_hw.last_remote_invlpg, va);
    ck_assert_uint_eq(fake_hw.remote_flush_mask, 0);                /* no one in full */
    ck_assert(dom.vcpu[2].tlb_flush_due);                           /* idle: when it wakes */
    ck_assert(!dom.vcpu[3].tlb_flush_due);
    ck_assert_uint_eq(pv_mm.stale_tlb & 0x7, 0x7);                  /* nothing flushed in full */
    struct pv_flush_count after = pv_flush_stats_sum();
    ck_assert_uint_eq(after.page - before.page, 1);
    ck_assert_uint_eq(after.full - before.full, 0);
    ck_assert_uint_eq(after.deferred - before.deferred, 1);

    /* So the frame becoming a table still flushes vCPU 1 in full. */
    dom.vcpu[2].idle = false;
    ck_assert_int_eq(pv_mm_pin(data, 1), 0);
    ck_assert_uint_eq(fake_hw.remote_flush_mask & 2, 2);
    ck_assert_uint_eq(pv_flush_stats_sum().full - before.full,
                      (unsigned)__builtin_popcountll(fake_hw.remote_flush_mask));
    ck_mm_invariants();
}
END_TEST

/* MMUEXT_INVLPG_ALL and TLB_FLUSH_MULTI from vCPU 1: the one page on
 * every other CPU, and a full flush of those named, counted as such. */
START_TEST(invlpg_all_and_flush_multi_remotely)
{
    const vaddr_t va = 0xffff880000045000ull;
    fake_run_vcpu(1);
    struct pv_flush_count before = pv_flush_stats_sum();
    ck_assert_int_eq(mm_sim_mmuext(MMUEXT_INVLPG_ALL, va, 0), 0);
    ck_assert_uint_eq(fake_hw.last_invlpg, va);
    ck_assert_uint_eq(fake_hw.remote_invlpg_mask, 0xd);
    ck_assert_uint_eq(fake_hw.last_remote_invlpg, va);
    ck_assert_uint_eq(fake_hw.remote_flush_mask, 0);
    set_guest_mask(0x6);
    ck_assert_int_eq(mm_sim_mmuext(MMUEXT_TLB_FLUSH_MULTI, 0, MASK_VA), 0);
    ck_assert_uint_eq(fake_hw.remote_flush_mask, 0x4);
    struct pv_flush_count after = pv_flush_stats_sum();
    ck_assert_uint_eq(after.page - before.page, 3);
    ck_assert_uint_eq(after.full - before.full, 1);
    ck_assert_uint_eq(after.calls - before.calls, 2);
}
END_TEST

/* update_va_mapping with UVMF_INVLPG and a vCPU mask: the same one page remotely. */
START_TEST(uvmf_invlpg_mask_is_one_page_remotely)
{
    const vaddr_t va = 0x400000ull;
    mfn_t l4 = mm_sim_alloc(), data = mm_sim_alloc(), data2 = mm_sim_alloc();
    mm_sim_map_raw(l4, va, data, RWF);
    ck_assert_int_eq(pv_mm_pin(l4, 4), 0);
    ck_assert_int_eq(pv_mm_set_kernel_base(l4), 0);
    fake_hw.remote_flush_mask = 0;
    set_guest_mask(0x3);
    ck_assert_int_eq(do_update_va_mapping(va, mm_sim_pte(data2, RWF), UVMF_INVLPG | MASK_VA), 0);
    ck_assert_uint_eq(fake_hw.last_invlpg, va);
    ck_assert_uint_eq(fake_hw.remote_invlpg_mask, 2);
    ck_assert_uint_eq(fake_hw.last_remote_invlpg, va);
    ck_assert_uint_eq(fake_hw.remote_flush_mask, 0);
    /* UVMF_TLB_FLUSH with the same mask: vCPU 1 in full. */
    ck_assert_int_eq(do_update_va_mapping(va, mm_sim_pte(data, RWF), UVMF_TLB_FLUSH | MASK_VA), 0);
    ck_assert_uint_eq(fake_hw.remote_flush_mask, 2);
    ck_mm_invariants();
}
END_TEST

/*
 * Each vCPU's LDT frames are its own: vCPU 1 loading another LDT (or
 * switching tables) leaves vCPU 0's descriptor page typed, so it can't
 * become writable while vCPU 0's CPU maps it in its LDT window.
 */
START_TEST(ldt_frames_per_vcpu)
{
    mfn_t l4 = mm_sim_alloc(), p0 = mm_sim_alloc(), p1 = mm_sim_alloc(), k2 = mm_sim_alloc();
    vaddr_t base = 0xffffc90000000000ull;
    mfn_t l1 = mm_sim_map_raw(l4, base, p0, RO);
    mm_sim_map_raw(l4, base + PAGE_SIZE, p1, RO);
    ck_assert_int_eq(mm_sim_mmuext(MMUEXT_PIN_L4_TABLE, l4, 0), 0);
    ck_assert_int_eq(mm_sim_mmuext(MMUEXT_NEW_BASEPTR, l4, 0), 0);
    ck_assert_int_eq(mm_sim_mmuext(MMUEXT_SET_LDT, base, 512), 0);
    mfn_t m;
    ck_assert_int_eq(pv_mm_map_ldt_page(0, &m), 0);
    ck_assert_uint_eq(m, p0);

    fake_run_vcpu(1);
    ck_assert_int_eq(mm_sim_mmuext(MMUEXT_NEW_BASEPTR, l4, 0), 0);
    ck_assert_uint_eq(pv_mm_ldt_frame(0), INVALID_MFN);    /* not vCPU 0's */
    ck_assert_int_eq(mm_sim_mmuext(MMUEXT_SET_LDT, base + PAGE_SIZE, 512), 0);
    ck_assert_int_eq(pv_mm_map_ldt_page(0, &m), 0);
    ck_assert_uint_eq(m, p1);
    ck_mm_invariants();
    /* vCPU 1's LDT and tables change: vCPU 0's frame stays a descriptor page. */
    ck_assert_int_eq(mm_sim_mmuext(MMUEXT_SET_LDT, 0, 0), 0);
    ck_assert_int_eq(mm_sim_mmuext(MMUEXT_NEW_BASEPTR, k2, 0), 0);
    ck_assert_uint_eq(pv_mm_vcpu_ldt_frame(0, 0), p0);
    ck_assert_uint_eq(mm_sim_info(p0).type, PV_TYPE_SEG_DESC);
    ck_assert_uint_eq(mm_sim_info(p0).type_count, 1);
    ck_assert_uint_eq(mm_sim_info(p1).type_count, 0);
    ck_assert_int_eq(mm_sim_mmu_update1(mm_sim_slot_maddr(l1, (base >> 12) & 511),
                                        mm_sim_pte(p0, RWF)), -XEN_EBUSY);
    ck_mm_invariants();
    fake_run_vcpu(0);
    ck_assert_uint_eq(pv_mm_ldt_frame(0), p0);
    ck_assert_int_eq(mm_sim_mmuext(MMUEXT_SET_LDT, 0, 0), 0);
    ck_assert_uint_eq(mm_sim_info(p0).type_count, 0);
    ck_mm_invariants();
}
END_TEST

/*
 * Pins, unpins, maps (through hypercalls and through ptwr-style entry
 * updates), unmaps and base-pointer switches, interleaved over four vCPUs
 * on one small set of frames: after every step the counts match the live
 * tables and bases of all vCPUs, and no table is mapped writable anywhere.
 */
static uint64_t rng;
static uint64_t rnd(void)
{
    return xorshift64(&rng);
}

START_TEST(interleaved_vcpus_keep_invariants)
{
    rng = 0x9e3779b97f4a7c15ull * (unsigned)(_i + 1);
    enum { N = 12 };
    mfn_t f[N], l1 = mm_sim_alloc();
    for (unsigned i = 0; i < N; i++)
        f[i] = mm_sim_alloc();
    ck_assert_int_eq(pv_mm_pin(l1, 1), 0);
    for (unsigned step = 0; step < 3000; step++) {
        unsigned v = (unsigned)(rnd() % 4);
        fake_run_vcpu(v);
        mfn_t m = f[rnd() % N];
        switch (rnd() % 6) {
        case 0:
            (void)mm_sim_mmuext(MMUEXT_PIN_L1_TABLE + (unsigned)(rnd() % 4), m, 0);
            break;
        case 1:
            (void)mm_sim_mmuext(MMUEXT_UNPIN_TABLE, m, 0);
            break;
        case 2:     /* an entry of the shared L1, or of a pool frame */
            (void)mm_sim_mmu_update1(mm_sim_slot_maddr(rnd() % 2 ? l1 : f[rnd() % N],
                                                       (unsigned)(rnd() % 8)),
                                     rnd() % 4 ? mm_sim_pte(m, rnd() % 2 ? RWF : RO) : 0);
            break;
        case 3:
            (void)mm_sim_mmuext(MMUEXT_NEW_BASEPTR, m, 0);
            break;
        case 4:
            (void)mm_sim_mmuext(rnd() % 2 ? MMUEXT_TLB_FLUSH_ALL : MMUEXT_TLB_FLUSH_LOCAL, 0, 0);
            break;
        default:
            (void)mm_sim_mmuext(MMUEXT_CLEAR_PAGE, m, 0);
            break;
        }
        ck_mm_invariants();
    }
    /* Everything let go on every vCPU: back to the baseline, nothing leaked. */
    for (unsigned v = 0; v < 4; v++) {
        fake_run_vcpu(v);
        pv_mm_drop_base_pointers();
    }
    fake_run_vcpu(0);
    for (unsigned i = 0; i < 8; i++)
        ck_assert_int_eq(mm_sim_mmu_update1(mm_sim_slot_maddr(l1, i), 0), 0);
    mm_sim_release_all();
    ck_mm_baseline();
}
END_TEST

static Suite *mm_smp_suite(void)
{
    Suite *s = suite_create("mm_smp");
    TCase *tc = tcase_create("two");
    tcase_add_checked_fixture(tc, setup2, teardown);
    tcase_add_test(tc, other_vcpus_base_keeps_its_type);
    tcase_add_test(tc, type_change_flushes_other_vcpus);
    tcase_add_test(tc, ldt_frames_per_vcpu);
    tcase_add_test(tc, retype_skips_vcpus_flushed_since_the_drop);
    tcase_add_test(tc, flush_local_leaves_other_vcpus);
    suite_add_tcase(s, tc);
    tc = tcase_create("four");
    tcase_add_checked_fixture(tc, setup4, teardown);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, flush_skips_vcpus_never_run);
    tcase_add_test(tc, invlpg_multi_is_one_page_remotely);
    tcase_add_test(tc, invlpg_all_and_flush_multi_remotely);
    tcase_add_test(tc, uvmf_invlpg_mask_is_one_page_remotely);
    tcase_add_loop_test(tc, interleaved_vcpus_keep_invariants, 0, 4);
    suite_add_tcase(s, tc);
    return s;
}
UNIT_SUITE(mm_smp_suite)
