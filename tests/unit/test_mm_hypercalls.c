/*
 * The MMU hypercalls' argument handling and answers: mmu_update,
 * mmuext_op, update_va_mapping(_otherdomain), with Xen's error codes,
 * pdone accounting and recorded TLB operations.
 */
#include <string.h>
#include <pvshim/compiler.h>
#include "unit.h"

#define MMU_UPDATE_PREEMPTED_BIT 0x80000000u
#include "mm_sim.h"

#define RO (PTE_P | PTE_US | PTE_A)
#define RWF (PTE_P | PTE_RW | PTE_US | PTE_A)

/* ---------------------------------------------------------- mmu_update */

START_TEST(mmu_update_batches_and_pdone)
{
    mfn_t l1 = mm_sim_alloc(), d = mm_sim_alloc();
    ck_assert_int_eq(pv_mm_pin(l1, 1), 0);
    struct mmu_update r[4] = {
        { mm_sim_slot_maddr(l1, 0), mm_sim_pte(d, RWF) },
        { mm_sim_slot_maddr(l1, 1), mm_sim_pte(d, RO) },
        { mm_sim_slot_maddr(l1, 2), mm_sim_pte(SIM_IO_FIRST, RO) },       /* fails */
        { mm_sim_slot_maddr(l1, 3), mm_sim_pte(d, RO) },
    };
    unsigned done;
    ck_assert_int_eq(mm_sim_mmu_update(r, 4, &done), -XEN_EPERM);
    ck_assert_uint_eq(done, 2);
    ck_assert_uint_eq(mm_sim_table(l1)[3], 0);
    ck_assert_int_eq(mm_sim_mmu_update(r, 2, &done), 0);
    ck_assert_uint_eq(done, 2);
    ck_mm_invariants();
    /* No pdone: fine. Zero count: fine. */
    ck_assert_int_eq(do_mmu_update(SIM_ARGS_VA, 1, 0, DOMID_SELF), 0);
    ck_assert_int_eq(do_mmu_update(0, 0, 0, DOMID_SELF), 0);
}
END_TEST

START_TEST(mmu_update_bad_buffers)
{
    unsigned done;
    /* Outside the guest's range: -EFAULT before anything, pdone untouched. */
    ck_assert_int_eq(do_mmu_update(0xffff800000000000ull, 1, SIM_PDONE_VA, DOMID_SELF),
                     -XEN_EFAULT);
    ck_assert_int_eq(do_mmu_update(0x0000800000000000ull, 1, SIM_PDONE_VA, DOMID_SELF),
                     -XEN_EFAULT);
    /* Unmapped: -EFAULT at the first request, pdone says 0. */
    memset(mm_sim_args, 0xff, 8);
    ck_assert_int_eq(do_mmu_update(0x5000000, 3, SIM_PDONE_VA, DOMID_SELF), -XEN_EFAULT);
    memcpy(&done, mm_sim_args + (SIM_PDONE_VA - SIM_ARGS_VA), 4);
    ck_assert_uint_eq(done, 0);
    /* A batch running off the end of the buffer stops there. */
    mfn_t d = mm_sim_alloc();
    struct mmu_update r = { mfn_to_paddr(d) | MMU_MACHPHYS_UPDATE, 7 };
    vaddr_t last = SIM_ARGS_VA + SIM_ARGS_SIZE - sizeof(r);
    memcpy(mm_sim_args + (last - SIM_ARGS_VA), &r, sizeof(r));
    ck_assert_int_eq(do_mmu_update(last, 0xffffffffu >> 1, 0, DOMID_SELF), -XEN_EFAULT);
    /* A bad pdone pointer is ignored. */
    ck_assert_int_eq(do_mmu_update(last, 1, 0xdead0000000ull, DOMID_SELF), 0);
}
END_TEST

START_TEST(mmu_update_commands)
{
    mfn_t l1 = mm_sim_alloc(), d = mm_sim_alloc();
    ck_assert_int_eq(pv_mm_pin(l1, 1), 0);
    for (unsigned cmd = 4; cmd < 8; cmd++)
        ck_assert_int_eq(mm_sim_mmu_update1(mm_sim_slot_maddr(l1, 0) | cmd, 0), -XEN_ENOSYS);
    /* NO_TRANSLATE behaves as NORMAL for a PV guest. */
    ck_assert_int_eq(mm_sim_mmu_update1(mm_sim_slot_maddr(l1, 0) | MMU_PT_UPDATE_NO_TRANSLATE,
                                     mm_sim_pte(d, RO)), 0);
    /* PRESERVE_AD keeps A and D the entry has. */
    mm_sim_table(l1)[0] |= PTE_D;
    ck_assert_int_eq(mm_sim_mmu_update1(mm_sim_slot_maddr(l1, 0) | MMU_PT_UPDATE_PRESERVE_AD,
                                     mm_sim_pte(d, PTE_P | PTE_US)), 0);
    ck_assert_uint_eq(mm_sim_table(l1)[0], mm_sim_pte(d, PTE_P | PTE_US | PTE_A | PTE_D));
    ck_assert_int_eq(mm_sim_mmu_update1(mm_sim_slot_maddr(l1, 0), mm_sim_pte(d, PTE_P | PTE_US)), 0);
    ck_assert_uint_eq(mm_sim_table(l1)[0], mm_sim_pte(d, PTE_P | PTE_US));
    /* Targets that are not the guest's. */
    ck_assert_int_eq(mm_sim_mmu_update1(mm_sim_slot_maddr(SIM_SHIM_FIRST, 0), 0), -XEN_EINVAL);
    ck_assert_int_eq(mm_sim_mmu_update1(mm_sim_slot_maddr(SIM_IO_FIRST, 0), 0), -XEN_EINVAL);
    ck_assert_int_eq(mm_sim_mmu_update1(mm_sim_slot_maddr(SIM_FRAMES, 0), 0), -XEN_EINVAL);
    ck_assert_int_eq(mm_sim_mmu_update1(~0ull & ~7ull, 0), -XEN_EINVAL);
    ck_mm_invariants();
}
END_TEST

START_TEST(mmu_update_plain_pages)
{
    mfn_t w = mm_sim_alloc();
    /* A frame in no use: a raw write, and it stays untyped-in-use. */
    ck_assert_int_eq(mm_sim_mmu_update1(mm_sim_slot_maddr(w, 9), 0x1234), 0);
    ck_assert_uint_eq(mm_sim_table(w)[9], 0x1234);
    ck_assert_uint_eq(mm_sim_info(w).type_count, 0);
    /* A frame held writable: a raw write too. */
    ck_assert_int_eq(pv_mm_get_writable_frame(w), 0);
    mm_sim_note_writable_hold(w, 1);
    ck_assert_int_eq(mm_sim_mmu_update1(mm_sim_slot_maddr(w, 10), 0x99), 0);
    ck_assert_uint_eq(mm_sim_table(w)[10], 0x99);
    /* A descriptor page: refused. */
    mfn_t g = mm_sim_alloc();
    ck_assert_int_eq(pv_mm_pin(mm_sim_alloc(), 1), 0);
    mm_sim_args[0x800] = 0;
    uint64_t frame = g;
    memcpy(mm_sim_args + 0x800, &frame, 8);
    ck_assert_int_eq(do_set_gdt(SIM_ARGS_VA + 0x800, 16), 0);
    ck_assert_int_eq(mm_sim_mmu_update1(mm_sim_slot_maddr(g, 0), 0x1), -XEN_EINVAL);
    ck_mm_invariants();
}
END_TEST

START_TEST(mmu_update_foreign_domains)
{
    mfn_t l1 = mm_sim_alloc(), l2 = mm_sim_alloc(), d = mm_sim_alloc();
    ck_assert_int_eq(pv_mm_pin(l1, 1), 0);
    ck_assert_int_eq(pv_mm_pin(l2, 2), 0);
    struct mmu_update r = { mm_sim_slot_maddr(l1, 0), mm_sim_pte(d, RO) };
    memcpy(mm_sim_args, &r, sizeof(r));
    /* Ourselves by number, or any other domain: -ESRCH (pdone written). */
    ck_assert_int_eq(do_mmu_update(SIM_ARGS_VA, 1, SIM_PDONE_VA, dom.domid), -XEN_ESRCH);
    ck_assert_int_eq(do_mmu_update(SIM_ARGS_VA, 1, SIM_PDONE_VA, 7), -XEN_ESRCH);
    ck_assert_int_eq(do_mmu_update(SIM_ARGS_VA, 1, SIM_PDONE_VA, 0x7ff5), -XEN_ESRCH);
    /* Page-table owner field: ourselves (domid + 1) or nothing. */
    ck_assert_int_eq(do_mmu_update(SIM_ARGS_VA, 1, 0, ((dom.domid + 1u) << 16) | DOMID_SELF), 0);
    ck_assert_int_eq(do_mmu_update(SIM_ARGS_VA, 1, 0, (9u << 16) | DOMID_SELF), -XEN_ESRCH);
    /* DOMID_XEN: not for a domU. */
    ck_assert_int_eq(do_mmu_update(SIM_ARGS_VA, 1, 0, DOMID_XEN), -XEN_EPERM);
    /* DOMID_IO: guest RAM can't be mapped as I/O, I/O needs permission. */
    ck_assert_int_eq(do_mmu_update(SIM_ARGS_VA, 1, 0, DOMID_IO), 0);   /* unchanged frame: fast path */
    r.val = mm_sim_pte(mm_sim_alloc(), RO);
    memcpy(mm_sim_args, &r, sizeof(r));
    ck_assert_int_eq(do_mmu_update(SIM_ARGS_VA, 1, 0, DOMID_IO), -XEN_EBUSY);
    r.val = mm_sim_pte(SIM_IO_FIRST, RO);
    memcpy(mm_sim_args, &r, sizeof(r));
    ck_assert_int_eq(do_mmu_update(SIM_ARGS_VA, 1, 0, DOMID_IO), -XEN_EPERM);
    r = (struct mmu_update){ mm_sim_slot_maddr(l2, 0), mm_sim_pte(l1, RWF) };
    memcpy(mm_sim_args, &r, sizeof(r));
    ck_assert_int_eq(do_mmu_update(SIM_ARGS_VA, 1, 0, DOMID_IO), -XEN_EINVAL);
    r = (struct mmu_update){ mfn_to_paddr(d) | MMU_MACHPHYS_UPDATE, 3 };
    memcpy(mm_sim_args, &r, sizeof(r));
    ck_assert_int_eq(do_mmu_update(SIM_ARGS_VA, 1, 0, DOMID_IO), -XEN_EINVAL);
    ck_assert_int_eq(do_mmu_update(SIM_ARGS_VA, 1, 0, DOMID_XEN), -XEN_EPERM);
    ck_mm_invariants();
}
END_TEST

START_TEST(mmu_update_flushes_for_upper_levels)
{
    mfn_t l2 = mm_sim_alloc(), l1 = mm_sim_alloc();
    ck_assert_int_eq(pv_mm_pin(l2, 2), 0);
    unsigned f = fake_hw.tlb_flushes;
    ck_assert_int_eq(mm_sim_mmu_update1(mm_sim_slot_maddr(l2, 0), mm_sim_pte(l1, RWF)), 0);
    ck_assert_uint_eq(fake_hw.tlb_flushes, f + 1);
    mfn_t leaf = mm_sim_alloc();
    ck_assert_int_eq(mm_sim_mmu_update1(mm_sim_slot_maddr(l1, 0), mm_sim_pte(leaf, RWF)), 0);
    ck_assert_uint_eq(fake_hw.tlb_flushes, f + 1);     /* leaf updates: the guest's call */
}
END_TEST

START_TEST(continuation_protocol)
{
    /* Xen's own continuation encoding, reachable by a guest: mirrored. */
    ck_assert_int_eq(do_mmu_update(0, MMU_UPDATE_PREEMPTED_BIT, 0, 0x1234), 0x1234);
    ck_assert_int_eq(do_mmuext_op(0, MMU_UPDATE_PREEMPTED_BIT, 0, 0xfff0u), 0xfff0);
    /* Count with the bit: done continues from *pdone. */
    mfn_t d = mm_sim_alloc();
    struct mmu_update r = { mfn_to_paddr(d) | MMU_MACHPHYS_UPDATE, 1 };
    memcpy(mm_sim_args, &r, sizeof(r));
    uint32_t before = 5, after;
    memcpy(mm_sim_args + (SIM_PDONE_VA - SIM_ARGS_VA), &before, 4);
    ck_assert_int_eq(do_mmu_update(SIM_ARGS_VA, MMU_UPDATE_PREEMPTED_BIT | 1, SIM_PDONE_VA,
                                   DOMID_SELF), 0);
    memcpy(&after, mm_sim_args + (SIM_PDONE_VA - SIM_ARGS_VA), 4);
    ck_assert_uint_eq(after, 6);
}
END_TEST

/* ---------------------------------------------------------- mmuext_op */

START_TEST(mmuext_flushes)
{
    struct fake_hw before = fake_hw;
    ck_assert_int_eq(mm_sim_mmuext(MMUEXT_TLB_FLUSH_LOCAL, 0, 0), 0);
    ck_assert_int_eq(mm_sim_mmuext(MMUEXT_TLB_FLUSH_ALL, 0, 0), 0);
    ck_assert_uint_eq(fake_hw.tlb_flushes, before.tlb_flushes + 2);
    ck_assert_int_eq(mm_sim_mmuext(MMUEXT_INVLPG_LOCAL, 0x7000, 0), 0);
    ck_assert_uint_eq(fake_hw.last_invlpg, 0x7000);
    ck_assert_int_eq(mm_sim_mmuext(MMUEXT_INVLPG_ALL, 0xffff880000001000ull, 0), 0);
    ck_assert_uint_eq(fake_hw.last_invlpg, 0xffff880000001000ull);
    ck_assert_uint_eq(fake_hw.invlpgs, before.invlpgs + 2);
    /* Out-of-range addresses are ignored, not errors. */
    ck_assert_int_eq(mm_sim_mmuext(MMUEXT_INVLPG_LOCAL, 0x0000900000000000ull, 0), 0);
    ck_assert_int_eq(mm_sim_mmuext(MMUEXT_INVLPG_ALL, 0xffff800000001000ull, 0), 0);
    ck_assert_uint_eq(fake_hw.invlpgs, before.invlpgs + 2);

    /* vCPU masks: read from the guest, bit 0 is us. */
    uint64_t mask = 1;
    memcpy(mm_sim_args + 0x400, &mask, 8);
    ck_assert_int_eq(mm_sim_mmuext(MMUEXT_TLB_FLUSH_MULTI, 0, SIM_ARGS_VA + 0x400), 0);
    ck_assert_uint_eq(fake_hw.tlb_flushes, before.tlb_flushes + 3);
    ck_assert_int_eq(mm_sim_mmuext(MMUEXT_INVLPG_MULTI, 0x9000, SIM_ARGS_VA + 0x400), 0);
    ck_assert_uint_eq(fake_hw.last_invlpg, 0x9000);
    mask = 2;
    memcpy(mm_sim_args + 0x400, &mask, 8);
    ck_assert_int_eq(mm_sim_mmuext(MMUEXT_TLB_FLUSH_MULTI, 0, SIM_ARGS_VA + 0x400), 0);
    ck_assert_uint_eq(fake_hw.tlb_flushes, before.tlb_flushes + 3);
    ck_assert_int_eq(mm_sim_mmuext(MMUEXT_TLB_FLUSH_MULTI, 0, 0x40000000), -XEN_EINVAL);
    ck_assert_int_eq(mm_sim_mmuext(MMUEXT_INVLPG_MULTI, 0x9000, 0xffff830000000000ull), -XEN_EINVAL);
}
END_TEST

START_TEST(mmuext_refusals)
{
    ck_assert_int_eq(mm_sim_mmuext(MMUEXT_FLUSH_CACHE, 0, 0), -XEN_EACCES);
    ck_assert_int_eq(mm_sim_mmuext(MMUEXT_FLUSH_CACHE_GLOBAL, 0, 0), -XEN_EACCES);
    ck_assert_uint_eq(fake_hw.cache_flushes, 0);
    ck_assert_int_eq(mm_sim_mmuext(MMUEXT_MARK_SUPER, SIM_GUEST_FIRST, 0), -XEN_EOPNOTSUPP);
    ck_assert_int_eq(mm_sim_mmuext(MMUEXT_UNMARK_SUPER, SIM_GUEST_FIRST, 0), -XEN_EOPNOTSUPP);
    ck_assert_int_eq(mm_sim_mmuext(14, 0, 0), -XEN_ENOSYS);
    ck_assert_int_eq(mm_sim_mmuext(21, 0, 0), -XEN_ENOSYS);
    ck_assert_int_eq(mm_sim_mmuext(0xffffffffu, 0, 0), -XEN_ENOSYS);
}
END_TEST

START_TEST(mmuext_batches)
{
    mfn_t a = mm_sim_alloc(), b = mm_sim_alloc();
    struct mmuext_op ops[3];
    memset(ops, 0, sizeof(ops));
    ops[0].cmd = MMUEXT_PIN_L1_TABLE;
    ops[0].arg1.mfn = a;
    ops[1].cmd = MMUEXT_PIN_L1_TABLE;
    ops[1].arg1.mfn = a;                        /* already pinned */
    ops[2].cmd = MMUEXT_PIN_L1_TABLE;
    ops[2].arg1.mfn = b;
    unsigned done;
    ck_assert_int_eq(mm_sim_mmuext_n(ops, 3, &done), -XEN_EINVAL);
    ck_assert_uint_eq(done, 1);
    ck_assert(!mm_sim_info(b).pinned);
    /* Foreign domains: DOMID_IO/XEN exist but aren't PV; others unknown. */
    ck_assert_int_eq(do_mmuext_op(SIM_ARGS_VA, 1, 0, DOMID_IO), -XEN_EINVAL);
    ck_assert_int_eq(do_mmuext_op(SIM_ARGS_VA, 1, 0, DOMID_XEN), -XEN_EINVAL);
    ck_assert_int_eq(do_mmuext_op(SIM_ARGS_VA, 1, 0, dom.domid), -XEN_ESRCH);
    ck_assert_int_eq(do_mmuext_op(SIM_ARGS_VA, 1, 0, 3), -XEN_ESRCH);
    ck_assert_int_eq(do_mmuext_op(0xffff830000000000ull, 1, 0, DOMID_SELF), -XEN_EFAULT);
    ck_assert_int_eq(do_mmuext_op(0x4000000, 1, SIM_PDONE_VA, DOMID_SELF), -XEN_EFAULT);
    ck_mm_invariants();
}
END_TEST

START_TEST(mmuext_clear_copy)
{
    mfn_t src = mm_sim_alloc(), dst = mm_sim_alloc(), l1 = mm_sim_alloc();
    memset(mm_sim_table(src), 0xab, PAGE_SIZE);
    memset(mm_sim_table(dst), 0xcd, PAGE_SIZE);
    ck_assert_int_eq(mm_sim_mmuext(MMUEXT_COPY_PAGE, dst, src), 0);
    ck_assert_int_eq(memcmp(mm_sim_table(src), mm_sim_table(dst), PAGE_SIZE), 0);
    ck_assert_int_eq(mm_sim_mmuext(MMUEXT_CLEAR_PAGE, src, 0), 0);
    ck_assert_uint_eq(mm_sim_table(src)[100], 0);
    ck_assert_uint_eq(mm_sim_info(src).type_count, 0);
    /* Tables can be read but not cleared or overwritten. */
    ck_assert_int_eq(pv_mm_pin(l1, 1), 0);
    mm_sim_table(l1)[1] = 0;
    ck_assert_int_eq(mm_sim_mmuext(MMUEXT_CLEAR_PAGE, l1, 0), -XEN_EINVAL);
    ck_assert_int_eq(mm_sim_mmuext(MMUEXT_COPY_PAGE, l1, src), -XEN_EINVAL);
    ck_assert_int_eq(mm_sim_mmuext(MMUEXT_COPY_PAGE, dst, l1), 0);
    ck_assert_int_eq(mm_sim_mmuext(MMUEXT_COPY_PAGE, dst, SIM_SHIM_FIRST), -XEN_EINVAL);
    ck_assert_int_eq(mm_sim_mmuext(MMUEXT_COPY_PAGE, SIM_SHIM_FIRST, src), -XEN_EINVAL);
    ck_assert_int_eq(mm_sim_mmuext(MMUEXT_CLEAR_PAGE, SIM_SHIM_FIRST, 0), -XEN_EINVAL);
    ck_assert_int_eq(mm_sim_mmuext(MMUEXT_CLEAR_PAGE, SIM_FRAMES + 1, 0), -XEN_EINVAL);
    ck_assert_int_eq(mm_sim_mmuext(MMUEXT_COPY_PAGE, dst, dst), 0);
    ck_mm_invariants();
}
END_TEST

/*
 * An L1 entry naming a frame that is no RAM goes, in Xen's
 * get_page_from_l1e, to the I/O memory permission check, which a domU
 * fails with -EPERM wherever the frame lies: a reserved range or a hole
 * between RAM, or above the top of RAM. RAM the guest does not own
 * (pvshim's, free, "unusable": Xen keeps those out of DOMID_IO) is
 * -EBUSY; the all-ones frame is -EINVAL.
 */
static const struct { mfn_t mfn; long rc; } l1e_targets[] = {
    { SIM_SHIM_FIRST,          -XEN_EBUSY },
    { SIM_FREE_FIRST,          -XEN_EBUSY },
    { SIM_UNUSABLE_FIRST,      -XEN_EBUSY },
    { SIM_FRAMES - 1,          -XEN_EBUSY },    /* last unusable frame */
    { SIM_RESERVED_FIRST,      -XEN_EPERM },
    { SIM_HOLE_FIRST - 1,      -XEN_EPERM },    /* last reserved frame */
    { SIM_HOLE_FIRST,          -XEN_EPERM },
    { SIM_FREE_FIRST - 1,      -XEN_EPERM },    /* last frame of the hole */
    { SIM_FRAMES,              -XEN_EPERM },    /* above RAM */
    { 0xc0000,                 -XEN_EPERM },
    { 1ull << 32,              -XEN_EPERM },
    { 0xffffffffffull - 1,     -XEN_EPERM },
    { 0xffffffffffull,         -XEN_EINVAL },
};

START_TEST(l1e_frames_not_ram)
{
    mfn_t target = l1e_targets[_i].mfn;
    long want = l1e_targets[_i].rc;
    mfn_t l1 = mm_sim_alloc();
    ck_assert_int_eq(pv_mm_pin(l1, 1), 0);
    ck_assert_int_eq(mm_sim_mmu_update1(mm_sim_slot_maddr(l1, 5), mm_sim_pte(target, RO)), want);
    ck_assert_int_eq(mm_sim_mmu_update1(mm_sim_slot_maddr(l1, 5), mm_sim_pte(target, RWF)), want);
    ck_assert_uint_eq(mm_sim_table(l1)[5], 0);
    /* DOMID_IO reverts to the caller's (absent) permission: the same answer. */
    struct mmu_update r = { mm_sim_slot_maddr(l1, 5), mm_sim_pte(target, RO) };
    memcpy(mm_sim_args, &r, sizeof(r));
    ck_assert_int_eq(do_mmu_update(SIM_ARGS_VA, 1, 0, DOMID_IO), want);
    ck_assert_uint_eq(mm_sim_table(l1)[5], 0);
    ck_mm_invariants();
}
END_TEST

/* ---------------------------------------------------------- update_va_mapping */

START_TEST(uva_basics)
{
    mfn_t l4 = mm_sim_alloc(), d = mm_sim_alloc(), d2 = mm_sim_alloc();
    vaddr_t va = 0xffffc90000123000ull;
    mfn_t l1 = mm_sim_map_raw(l4, va, d, RWF);
    ck_assert_int_eq(pv_mm_pin(l4, 4), 0);
    ck_assert_int_eq(mm_sim_mmuext(MMUEXT_NEW_BASEPTR, l4, 0), 0);

    ck_assert_int_eq(do_update_va_mapping(va, mm_sim_pte(d2, RO), UVMF_INVLPG), 0);
    ck_assert_uint_eq(mm_sim_table(l1)[pt_index(va, L1_SHIFT)], mm_sim_pte(d2, RO));
    ck_assert_uint_eq(fake_hw.last_invlpg, va);
    ck_assert_uint_eq(mm_sim_info(d).type_count, 0);
    unsigned f = fake_hw.tlb_flushes;
    ck_assert_int_eq(do_update_va_mapping(va, mm_sim_pte(d, RWF), UVMF_TLB_FLUSH | UVMF_ALL), 0);
    ck_assert_uint_eq(fake_hw.tlb_flushes, f + 1);
    ck_assert_int_eq(do_update_va_mapping(va, mm_sim_pte(d, RO), UVMF_NONE), 0);
    ck_assert_uint_eq(fake_hw.tlb_flushes, f + 1);
    /* A vCPU-mask pointer: read; unreadable means -EFAULT after the update. */
    uint64_t mask = 1;
    memcpy(mm_sim_args + 0x100, &mask, 8);
    ck_assert_int_eq(do_update_va_mapping(va, mm_sim_pte(d, RO), UVMF_TLB_FLUSH | (SIM_ARGS_VA + 0x100)), 0);
    ck_assert_uint_eq(fake_hw.tlb_flushes, f + 2);
    ck_assert_int_eq(do_update_va_mapping(va, 0, UVMF_TLB_FLUSH | 0x40000000ull), -XEN_EFAULT);
    ck_assert_uint_eq(mm_sim_table(l1)[pt_index(va, L1_SHIFT)], 0);
    /* Refused entries: Xen's codes, nothing flushed. */
    ck_assert_int_eq(do_update_va_mapping(va, mm_sim_pte(l4, RWF), UVMF_TLB_FLUSH), -XEN_EBUSY);
    ck_assert_int_eq(do_update_va_mapping(va, mm_sim_pte(SIM_IO_FIRST, RO), 0), -XEN_EPERM);
    ck_assert_uint_eq(fake_hw.tlb_flushes, f + 2);
    ck_mm_invariants();
}
END_TEST

START_TEST(uva_addresses)
{
    mfn_t l4 = mm_sim_alloc(), d = mm_sim_alloc();
    mm_sim_map_raw(l4, 0x400000, d, RWF);
    ck_assert_int_eq(do_update_va_mapping(0x400000, 0, 0), -XEN_EINVAL);   /* no base yet */
    ck_assert_int_eq(pv_mm_pin(l4, 4), 0);
    ck_assert_int_eq(pv_mm_set_kernel_base(l4), 0);
    ck_assert_int_eq(do_update_va_mapping(0x400000, 0, 0), 0);
    ck_assert_int_eq(do_update_va_mapping(0x40000000, 0, 0), -XEN_EINVAL); /* no L2 there */
    ck_assert_int_eq(do_update_va_mapping(0x8000000000ull, 0, 0), -XEN_EINVAL);
    ck_assert_int_eq(do_update_va_mapping(0xffff800000000000ull, 0, 0), -XEN_EINVAL);
    ck_assert_int_eq(do_update_va_mapping(0x0000800000000000ull, 0, 0), -XEN_EINVAL);
    /* Otherdomain: DOMID_SELF only. */
    ck_assert_int_eq(do_update_va_mapping_otherdomain(0x400000, mm_sim_pte(d, RO), 0, DOMID_SELF), 0);
    ck_assert_int_eq(do_update_va_mapping_otherdomain(0x400000, 0, 0, dom.domid), -XEN_ESRCH);
    ck_assert_int_eq(do_update_va_mapping_otherdomain(0x400000, 0, 0, DOMID_IO), -XEN_ESRCH);
    ck_assert_int_eq(do_update_va_mapping_otherdomain(0x400000, 0, 0, 0x10000 | DOMID_SELF), 0);
    ck_mm_invariants();
}
END_TEST

START_TEST(uva_user_mode_tables)
{
    /* The L1 is found in the tables the CPU uses now. */
    mfn_t k = mm_sim_alloc(), u = mm_sim_alloc(), d = mm_sim_alloc();
    mm_sim_map_raw(k, 0x400000, d, RWF);
    ck_assert_int_eq(pv_mm_pin(k, 4), 0);
    ck_assert_int_eq(pv_mm_pin(u, 4), 0);
    ck_assert_int_eq(pv_mm_set_kernel_base(k), 0);
    ck_assert_int_eq(pv_mm_set_user_base(u), 0);
    current->kernel_mode = false;
    ck_assert_int_eq(do_update_va_mapping(0x400000, 0, 0), -XEN_EINVAL);
    current->kernel_mode = true;
    ck_assert_int_eq(do_update_va_mapping(0x400000, 0, 0), 0);
}
END_TEST

static Suite *mm_hypercalls_suite(void)
{
    Suite *s = suite_create("mm_hypercalls");
    TCase *tc = tcase_create("hypercalls");
    tcase_add_checked_fixture(tc, mm_sim_setup, mm_sim_teardown);
    tcase_add_test(tc, mmu_update_batches_and_pdone);
    tcase_add_test(tc, mmu_update_bad_buffers);
    tcase_add_test(tc, mmu_update_commands);
    tcase_add_test(tc, mmu_update_plain_pages);
    tcase_add_test(tc, mmu_update_foreign_domains);
    tcase_add_loop_test(tc, l1e_frames_not_ram, 0, ARRAY_SIZE(l1e_targets));
    tcase_add_test(tc, mmu_update_flushes_for_upper_levels);
    tcase_add_test(tc, continuation_protocol);
    tcase_add_test(tc, mmuext_flushes);
    tcase_add_test(tc, mmuext_refusals);
    tcase_add_test(tc, mmuext_batches);
    tcase_add_test(tc, mmuext_clear_copy);
    tcase_add_test(tc, uva_basics);
    tcase_add_test(tc, uva_addresses);
    tcase_add_test(tc, uva_user_mode_tables);
    suite_add_tcase(s, tc);
    return s;
}
UNIT_SUITE(mm_hypercalls_suite)
