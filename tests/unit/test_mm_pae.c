/*
 * The PV MMU in PAE mode (a 32-bit guest): the L3 with 4 entries and its
 * fixed slot 3, the hypervisor slots of the top L2, supervisor mappings
 * left as the ring-1 kernel wrote them, through pinning and mmu_update,
 * with the same invariant checker as the 64-bit tests after every step.
 */
#include <string.h>
#include "unit.h"
#include <pvshim/compiler.h>
#include "mm_sim.h"

#define SUP (PTE_P | PTE_RW | PTE_A)            /* a ring-1 kernel's entry */
#define TBL (PTE_P | PTE_RW | PTE_US | PTE_A)

struct pae_tree {
    mfn_t l3, l2_0, l2_3, l1, data;
};

/* L3 slot 0 -> L2 -> L1 -> one supervisor data page; slot 3 -> the top L2. */
static struct pae_tree pae_tree(void)
{
    struct pae_tree t;
    t.l3 = mm_sim_alloc();
    t.l2_0 = mm_sim_alloc();
    t.l2_3 = mm_sim_alloc();
    t.l1 = mm_sim_alloc();
    t.data = mm_sim_alloc();
    pte_t *l3 = mm_sim_table(t.l3);
    l3[0] = mm_sim_pte(t.l2_0, PTE_P);
    l3[3] = mm_sim_pte(t.l2_3, PTE_P);
    mm_sim_table(t.l2_0)[1] = mm_sim_pte(t.l1, TBL);
    mm_sim_table(t.l1)[2] = mm_sim_pte(t.data, SUP | PTE_G);
    return t;
}

static void setup(void)
{
    mm_sim_setup_pae();
}

START_TEST(pae_pin_l3)
{
    struct pae_tree t = pae_tree();
    mm_sim_table(t.l3)[5] = mm_sim_pte(t.data, PTE_P);      /* beyond the 4 entries */
    mm_sim_table(t.l2_3)[500] = mm_sim_pte(t.data, SUP);    /* in the hypervisor slots */
    ck_assert_int_eq(pv_mm_pin(t.l3, 3), 0);
    ck_mm_invariants();

    const pte_t *l3 = mm_sim_table(t.l3);
    ck_assert_uint_eq(l3[5], 0);
    ck_assert_uint_eq(l3[0], mm_sim_pte(t.l2_0, PTE_P | PTE_US | PTE_RW));
    ck_assert(mm_sim_info(t.l2_3).pae_xen_l2);
    ck_assert(!mm_sim_info(t.l2_0).pae_xen_l2);
    const pte_t *top = mm_sim_table(t.l2_3);
    for (unsigned i = 428; i < 512; i++)
        ck_assert_uint_eq(top[i], mm_sim_compat_slots[i - 428]);
    /* Supervisor stays supervisor (ring 1); Global is still dropped. */
    ck_assert_uint_eq(mm_sim_table(t.l1)[2], mm_sim_pte(t.data, SUP));
    ck_assert_uint_eq(mm_sim_table(t.l2_0)[1], mm_sim_pte(t.l1, TBL));
    ck_assert_int_eq(mm_sim_info(t.data).type, PV_TYPE_WRITABLE);

    /* No L4 in PAE mode. */
    ck_assert_int_eq(pv_mm_pin(mm_sim_alloc(), 4), -XEN_EINVAL);

    ck_assert_int_eq(pv_mm_unpin(t.l3), 0);
    ck_assert(!mm_sim_info(t.l2_3).pae_xen_l2);
    ck_mm_baseline();
}
END_TEST

START_TEST(pae_l3_refusals)
{
    struct pae_tree t = pae_tree();
    pte_t *l3 = mm_sim_table(t.l3);

    /* Slot 3 must be present. */
    l3[3] = 0;
    ck_assert_int_eq(pv_mm_pin(t.l3, 3), -XEN_EINVAL);
    ck_mm_baseline();
    l3[3] = mm_sim_pte(t.l2_3, PTE_P);

    /* Flags a PAE L3 entry may not carry; RW, US and A are fine. */
    static const pte_t bad[] = { PTE_PWT, PTE_PCD, PTE_PS, PTE_G, PTE_NX, 1ull << 52,
                                 1ull << 62 };
    for (unsigned i = 0; i < ARRAY_SIZE(bad); i++) {
        l3[0] = mm_sim_pte(t.l2_0, PTE_P | bad[i]);
        ck_assert_int_eq(pv_mm_pin(t.l3, 3), -XEN_EINVAL);
        ck_mm_baseline();
        l3[0] = mm_sim_pte(t.l2_0, PTE_P);
        l3[3] = mm_sim_pte(t.l2_3, PTE_P | bad[i]);
        ck_assert_int_eq(pv_mm_pin(t.l3, 3), -XEN_EINVAL);
        ck_mm_baseline();
        l3[3] = mm_sim_pte(t.l2_3, PTE_P);
    }
    l3[0] = mm_sim_pte(t.l2_0, PTE_P | PTE_RW | PTE_US | PTE_A | PTE_D);
    ck_assert_int_eq(pv_mm_pin(t.l3, 3), 0);
    ck_assert_int_eq(pv_mm_unpin(t.l3), 0);
    ck_mm_baseline();

    /* No linear entries in an L3 (a 64-bit guest may have them). */
    mfn_t other = pae_tree().l3;
    ck_assert_int_eq(pv_mm_pin(other, 3), 0);
    l3[1] = mm_sim_pte(other, PTE_P);
    ck_assert_int_eq(pv_mm_pin(t.l3, 3), -XEN_EINVAL);
    l3[1] = 0;
    ck_mm_invariants();
    ck_assert_int_eq(pv_mm_unpin(other), 0);
    ck_mm_baseline();

    /* No superpages in an L2. */
    mm_sim_table(t.l2_0)[9] = mm_sim_pte(t.data, SUP | PTE_PS);
    ck_assert_int_eq(pv_mm_pin(t.l3, 3), -XEN_EINVAL);
    mm_sim_table(t.l2_0)[9] = 0;
    ck_mm_baseline();
}
END_TEST

START_TEST(pae_top_l2_not_shared)
{
    struct pae_tree a = pae_tree();
    ck_assert_int_eq(pv_mm_pin(a.l3, 3), 0);

    /* Another L3 with the same slot-3 L2. */
    mfn_t b = mm_sim_alloc();
    mm_sim_table(b)[3] = mm_sim_pte(a.l2_3, PTE_P);
    ck_assert_int_eq(pv_mm_pin(b, 3), -XEN_EINVAL);
    ck_mm_invariants();
    /* ...or with it in a guest slot, or pinned on its own. */
    mfn_t c = mm_sim_alloc();
    mfn_t c_top = mm_sim_alloc();
    mm_sim_table(c)[3] = mm_sim_pte(c_top, PTE_P);
    mm_sim_table(c)[1] = mm_sim_pte(a.l2_3, PTE_P);
    ck_assert_int_eq(pv_mm_pin(c, 3), -XEN_EINVAL);
    ck_assert_int_eq(pv_mm_pin(a.l2_3, 2), -XEN_EINVAL);
    ck_mm_invariants();

    /* A plain L2 in use can't become a slot-3 L2 either. */
    ck_assert_int_eq(pv_mm_pin(c_top, 2), 0);
    mm_sim_table(c)[1] = 0;
    ck_assert_int_eq(pv_mm_pin(c, 3), -XEN_EINVAL);
    ck_assert_int_eq(pv_mm_unpin(c_top), 0);
    ck_assert_int_eq(pv_mm_pin(c, 3), 0);
    ck_mm_invariants();

    ck_assert_int_eq(pv_mm_unpin(a.l3), 0);
    ck_assert_int_eq(pv_mm_unpin(c), 0);
    ck_mm_baseline();
}
END_TEST

START_TEST(pae_mmu_update)
{
    struct pae_tree t = pae_tree();
    ck_assert_int_eq(pv_mm_pin(t.l3, 3), 0);

    /* Slot 3 is fixed; slots 0-2 change like any entry. */
    mfn_t l2 = mm_sim_alloc();
    ck_assert_int_eq(mm_sim_mmu_update1(mm_sim_slot_maddr(t.l3, 3), mm_sim_pte(l2, PTE_P)),
                     -XEN_EINVAL);
    ck_assert_int_eq(mm_sim_mmu_update1(mm_sim_slot_maddr(t.l3, 3), 0), -XEN_EINVAL);
    ck_assert_int_eq(mm_sim_mmu_update1(mm_sim_slot_maddr(t.l3, 4), 0), -XEN_EINVAL);
    ck_assert_int_eq(mm_sim_mmu_update1(mm_sim_slot_maddr(t.l3, 2), mm_sim_pte(l2, PTE_P)), 0);
    ck_assert_uint_eq(mm_sim_table(t.l3)[2], mm_sim_pte(l2, PTE_P | PTE_US | PTE_RW));
    ck_mm_invariants();
    ck_assert_int_eq(mm_sim_mmu_update1(mm_sim_slot_maddr(t.l3, 2),
                                        mm_sim_pte(l2, PTE_P | PTE_NX)), -XEN_EINVAL);
    ck_assert_int_eq(mm_sim_mmu_update1(mm_sim_slot_maddr(t.l3, 2), 0), 0);
    ck_mm_invariants();

    /* The hypervisor slots of the top L2 are not the guest's; the rest are. */
    mfn_t l1 = mm_sim_alloc();
    ck_assert_int_eq(mm_sim_mmu_update1(mm_sim_slot_maddr(t.l2_3, 428), mm_sim_pte(l1, TBL)),
                     -XEN_EINVAL);
    ck_assert_int_eq(mm_sim_mmu_update1(mm_sim_slot_maddr(t.l2_3, 511), 0), -XEN_EINVAL);
    ck_assert_int_eq(mm_sim_mmu_update1(mm_sim_slot_maddr(t.l2_3, 427), mm_sim_pte(l1, TBL)), 0);
    /* A plain L2's slot 428 is an ordinary slot. */
    ck_assert_int_eq(mm_sim_mmu_update1(mm_sim_slot_maddr(t.l2_0, 428), 0), 0);
    ck_mm_invariants();

    /* L1: a supervisor mapping stays supervisor; a user one keeps US. */
    mfn_t page = mm_sim_alloc();
    ck_assert_int_eq(mm_sim_mmu_update1(mm_sim_slot_maddr(l1, 0), mm_sim_pte(page, SUP)), 0);
    ck_assert_uint_eq(mm_sim_table(l1)[0], mm_sim_pte(page, SUP));
    ck_assert_int_eq(mm_sim_mmu_update1(mm_sim_slot_maddr(l1, 1),
                                        mm_sim_pte(page, SUP | PTE_US)), 0);
    ck_assert_uint_eq(mm_sim_table(l1)[1], mm_sim_pte(page, SUP | PTE_US));
    /* Mapping a page table writable is refused as for 64-bit guests. */
    ck_assert_int_eq(mm_sim_mmu_update1(mm_sim_slot_maddr(l1, 2), mm_sim_pte(t.l3, SUP)),
                     -XEN_EBUSY);
    ck_assert_int_eq(mm_sim_mmu_update1(mm_sim_slot_maddr(l1, 2), mm_sim_pte(t.l2_3, SUP)),
                     -XEN_EBUSY);
    ck_mm_invariants();

    ck_assert_int_eq(mm_sim_mmu_update1(mm_sim_slot_maddr(t.l2_3, 427), 0), 0);
    ck_assert_int_eq(pv_mm_unpin(t.l3), 0);
    ck_mm_baseline();
}
END_TEST

START_TEST(pae_base_pointer)
{
    struct pae_tree t = pae_tree();
    /* The base is an L3, reached through slot 0 of pvshim's L4. */
    ck_assert_int_eq(mm_sim_mmuext(MMUEXT_NEW_BASEPTR, t.l3, 0), 0);
    ck_assert_uint_eq(current->guest_table, t.l3);
    ck_assert_uint_eq(pv_mm_base_maddr(true), mfn_to_paddr(SIM_PAE_L4));
    ck_assert_uint_eq(pv_mm_base_maddr(false), mfn_to_paddr(SIM_PAE_L4));
    const pte_t *l4 = mm_sim_table(SIM_PAE_L4);
    for (unsigned i = 1; i < 512; i++)
        ck_assert_uint_eq(l4[i], i > 256 && i < 272 ? mm_sim_hyp_slots[i - 256] : 0);
    ck_mm_invariants();

    /* No user tables of their own; not an L4, not a bare L2. */
    ck_assert_int_eq(mm_sim_mmuext(MMUEXT_NEW_USER_BASEPTR, t.l3, 0), -XEN_EINVAL);
    ck_assert_int_eq(mm_sim_mmuext(MMUEXT_NEW_BASEPTR, t.l2_0, 0), -XEN_EINVAL);
    ck_assert_uint_eq(current->guest_table, t.l3);

    /* Walks start at the L3 and stop at the hypervisor hole. */
    struct pv_walk w;
    vaddr_t va = (1ull << 21) + (2ull << 12);    /* L3 0, L2 1, L1 2 */
    ck_assert(pv_mm_walk(va, false, &w));
    ck_assert_uint_eq(w.mfn, t.data);
    ck_assert(w.rw && !w.user);
    ck_assert_uint_eq(w.table[3], t.l3);
    ck_assert(!pv_mm_walk(0xf5800000ull, true, &w));
    ck_assert(!pv_mm_walk(1ull << 32, true, &w));

    /* A second L3 replaces the first, which is then released. */
    struct pae_tree u = pae_tree();
    ck_assert_int_eq(mm_sim_mmuext(MMUEXT_NEW_BASEPTR, u.l3, 0), 0);
    ck_assert_uint_eq(mm_sim_info(t.l3).type_count, 0);
    ck_mm_invariants();
    pv_mm_drop_base_pointers();
    ck_assert_uint_eq(mm_sim_table(SIM_PAE_L4)[0], 0);
    ck_mm_baseline();
}
END_TEST

/*
 * Several vCPUs: each walks its own L4 (pv_mm_set_vcpu_root), whose slot 0
 * names its own L3 (VCPUOP_initialise's base) and whose other slots are
 * vCPU 0's; one vCPU changing its L3 leaves the other's alone.
 */
START_TEST(pae_vcpu_roots)
{
    struct pae_tree t = pae_tree(), u = pae_tree();
    struct pv_vcpu *v1 = &dom.vcpu[1];
    memset(v1, 0, sizeof(*v1));
    v1->vcpu_id = 1;
    v1->guest_table = v1->guest_table_user = INVALID_MFN;
    const mfn_t root1 = SIM_PAE_L4 - 1;
    /* No L4 of its own yet: refused. */
    ck_assert_int_eq(pv_mm_vcpu_set_bases(v1, t.l3, 0), -XEN_EINVAL);
    pv_mm_set_vcpu_root(1, root1);
    /* No separate user tables; the kernel base must be an L3. */
    ck_assert_int_eq(pv_mm_vcpu_set_bases(v1, t.l3, u.l3), -XEN_EINVAL);
    ck_assert_int_eq(pv_mm_vcpu_set_bases(v1, t.l2_0, 0), -XEN_EINVAL);
    ck_assert_uint_eq(v1->guest_table, INVALID_MFN);

    ck_assert_int_eq(pv_mm_vcpu_set_bases(v1, t.l3, 0), 0);
    ck_assert_uint_eq(v1->guest_table, t.l3);
    ck_assert_uint_eq(mm_sim_info(t.l3).type, PV_TYPE_L3);
    ck_assert_uint_eq(mm_sim_table(root1)[0], mfn_to_paddr(t.l3) | TBL);
    for (unsigned i = 1; i < 512; i++)
        ck_assert_uint_eq(mm_sim_table(root1)[i], mm_sim_table(SIM_PAE_L4)[i]);

    /* vCPU 0 takes another L3: vCPU 1's slot 0 stays. */
    ck_assert_int_eq(mm_sim_mmuext(MMUEXT_NEW_BASEPTR, u.l3, 0), 0);
    ck_assert_uint_eq(mm_sim_table(SIM_PAE_L4)[0], mfn_to_paddr(u.l3) | TBL);
    ck_assert_uint_eq(mm_sim_table(root1)[0], mfn_to_paddr(t.l3) | TBL);
    ck_assert_uint_eq(mm_sim_info(t.l3).type_count, 1);

    /* As vCPU 1 sees it, then its base goes. */
    this_pcpu()->curr = v1;
    ck_assert_uint_eq(pv_mm_base_maddr(true), mfn_to_paddr(root1));
    pv_mm_drop_base_pointers();
    ck_assert_uint_eq(mm_sim_table(root1)[0], 0);
    this_pcpu()->curr = &dom.vcpu[0];
    ck_assert_uint_eq(mm_sim_info(t.l3).type_count, 0);
    ck_assert_uint_eq(pv_mm_base_maddr(true), mfn_to_paddr(SIM_PAE_L4));
    pv_mm_drop_base_pointers();
    ck_mm_baseline();
}
END_TEST

/*
 * A PAE kernel writes an entry in two 4-byte halves, the upper first: the
 * entry merged from the new upper and the old lower half may not check
 * out, and is then taken with P clear until the lower half follows (Xen's
 * ptwr_emulated_update).
 */
START_TEST(pae_ptwr_halves)
{
    static uint8_t code[16];
    struct pae_tree t = pae_tree();
    dom.vm_assist |= 1ul << VMASST_TYPE_writable_pagetables;
    /* The L1 maps itself read-only at 0x200000 + 3 pages (L3 0, L2 1, L1 3). */
    const vaddr_t pt_va = (1ull << 21) + (3ull << 12);
    mm_sim_table(t.l1)[3] = mm_sim_pte(t.l1, PTE_P | PTE_A);
    ck_assert_int_eq(mm_sim_mmuext(MMUEXT_NEW_BASEPTR, t.l3, 0), 0);
    fake_guest_map(0x10000, code, sizeof(code));
    static const uint8_t mov_hi[] = { 0x89, 0x47, 0x04 };      /* mov %eax,4(%edi) */
    static const uint8_t mov_lo[] = { 0x89, 0x07 };            /* mov %eax,(%edi) */
    struct cpu_regs r;

    /* Entry 2 maps data; it is re-pointed at a frame past the simulated
     * machine's 4 GiB-aligned window: upper half 1, then the lower half. */
    mfn_t page = mm_sim_alloc();
    memset(&r, 0, sizeof(r));
    memcpy(code, mov_hi, sizeof(mov_hi));
    r.rip = 0x10000;
    r.rdi = pt_va + 2 * 8;
    r.rax = 1;                  /* frame bits 32-51 of the new entry */
    ck_assert(pv_ptwr_fault(&r, r.rdi + 4, 7));
    ck_assert_uint_eq(mm_sim_table(t.l1)[2], mm_sim_pte(t.data, SUP) + (1ull << 32) - PTE_P);
    ck_assert_uint_eq(mm_sim_info(t.data).refs, 1);
    ck_mm_invariants();
    /* The lower half makes it whole: a frame that does not exist is refused. */
    memcpy(code, mov_lo, sizeof(mov_lo));
    r.rip = 0x10000;
    r.rdi = pt_va + 2 * 8;
    r.rax = (uint32_t)mm_sim_pte(page, SUP);
    ck_assert(!pv_ptwr_fault(&r, r.rdi, 7));
    ck_mm_invariants();
    /* Upper half 0 (still not present), then the lower half: mapped. */
    memcpy(code, mov_hi, sizeof(mov_hi));
    r.rip = 0x10000;
    r.rax = 0;
    ck_assert(pv_ptwr_fault(&r, r.rdi + 4, 7));
    ck_assert_uint_eq(mm_sim_table(t.l1)[2], mm_sim_pte(t.data, SUP) - PTE_P);
    memcpy(code, mov_lo, sizeof(mov_lo));
    r.rip = 0x10000;
    r.rax = (uint32_t)mm_sim_pte(page, SUP);
    ck_assert(pv_ptwr_fault(&r, r.rdi, 7));
    ck_assert_uint_eq(mm_sim_table(t.l1)[2], mm_sim_pte(page, SUP));
    ck_assert_uint_eq(mm_sim_info(page).type, PV_TYPE_WRITABLE);
    ck_mm_invariants();

    /* A lower-half write that does not check out is refused, not zapped. */
    r.rip = 0x10000;
    r.rax = (uint32_t)mm_sim_pte(t.l3, SUP);        /* a page table, writable */
    ck_assert(!pv_ptwr_fault(&r, r.rdi, 7));
    ck_assert_uint_eq(mm_sim_table(t.l1)[2], mm_sim_pte(page, SUP));
    ck_mm_invariants();
    pv_mm_drop_base_pointers();
    ck_mm_baseline();
}
END_TEST

START_TEST(pae_compat_m2p)
{
    /* MMU_MACHPHYS_UPDATE writes both M2Ps; a released frame is invalid in both. */
    mfn_t m = mm_sim_alloc();
    ck_assert_int_eq(mm_sim_mmu_update1(mfn_to_paddr(m) | MMU_MACHPHYS_UPDATE, 0x1234), 0);
    ck_assert_uint_eq(mm_sim_compat_m2p[m], 0x1234);
    ck_assert(pv_mm_set_m2p(m, 0x777));
    ck_assert_uint_eq(mm_sim_compat_m2p[m], 0x777);
    ck_assert_int_eq(pv_mm_release_frame(m), 0);
    ck_assert_uint_eq(mm_sim_compat_m2p[m], 0xffffffffu);
}
END_TEST

/*
 * update_descriptor with a 32-bit guest's rules (Xen's check_descriptor for
 * compat): DPL raised to 1 (not 3), no 64-bit code, 32-bit call gates to
 * its own selectors or FLAT_RING1_CS with the parameter count allowed.
 */
#define D32(lo, hi) (((uint64_t)(hi) << 32) | (lo))
static const struct { uint64_t in, out; long rc; } desc32_cases[] = {
    { D32(0x0000ffff, 0x00cf9a00), D32(0x0000ffff, 0x00cfba00), 0 },   /* code DPL 0 -> 1 */
    { D32(0x0000ffff, 0x00cf9200), D32(0x0000ffff, 0x00cfb200), 0 },   /* data DPL 0 -> 1 */
    { D32(0x0000ffff, 0x00cffa00), D32(0x0000ffff, 0x00cffa00), 0 },   /* DPL 3 stays */
    { D32(0x0000ffff, 0x00af9a00), 0, -XEN_EINVAL },                    /* L: 64-bit code */
    { D32(0x0000ffff, 0x00af1a00), D32(0x0000ffff, 0x00af1a00), 0 },   /* not present: as is */
    { D32(0x00601234, 0x0000ec03), D32(0x00631234, 0x00008c03), 0 },   /* gate DPL 3, 3 params */
    { D32(0xe0191234, 0x0000ec00), D32(0xe01b1234, 0x00008c00), 0 },   /* to FLAT_RING1_CS */
    { D32(0xe0081234, 0x0000ec00), 0, -XEN_EINVAL },                    /* to pvshim's CS */
    { D32(0x00601234, 0x0000ec20), 0, -XEN_EINVAL },                    /* reserved bits */
    { D32(0x00000067, 0x00008900), 0, -XEN_EINVAL },                    /* TSS */
};

START_TEST(pae_descriptor_rules)
{
    mfn_t m = mm_sim_alloc();
    uint64_t *d = (uint64_t *)mm_sim_table(m);
    ck_assert_int_eq(do_update_descriptor(mfn_to_paddr(m) + 8, desc32_cases[_i].in),
                     desc32_cases[_i].rc);
    if (!desc32_cases[_i].rc)
        ck_assert_uint_eq(d[1] & ~(1ull << 40), desc32_cases[_i].out);
    ck_mm_invariants();
}
END_TEST

static Suite *mm_pae_suite(void)
{
    Suite *s = suite_create("mm_pae");
    TCase *tc = tcase_create("pae");
    tcase_add_checked_fixture(tc, setup, mm_sim_teardown);
    tcase_add_test(tc, pae_pin_l3);
    tcase_add_test(tc, pae_l3_refusals);
    tcase_add_test(tc, pae_top_l2_not_shared);
    tcase_add_test(tc, pae_mmu_update);
    tcase_add_test(tc, pae_base_pointer);
    tcase_add_test(tc, pae_vcpu_roots);
    tcase_add_test(tc, pae_ptwr_halves);
    tcase_add_test(tc, pae_compat_m2p);
    tcase_add_loop_test(tc, pae_descriptor_rules, 0,
                        (int)(sizeof(desc32_cases) / sizeof(desc32_cases[0])));
    suite_add_tcase(s, tc);
    return s;
}
UNIT_SUITE(mm_pae_suite)
