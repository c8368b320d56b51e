/* The PAE PV MMU from a 32-bit guest, grant tables, and ring 3. */
#include "pvtest32.h"

static long uvm(uint32_t va, uint64_t pte, uint32_t flags)
{
    return hypercall4(__HYPERVISOR_update_va_mapping, va, (uint32_t)pte,
                      (uint32_t)(pte >> 32), flags);
}

static uint64_t pte_for(uint32_t pfn, uint64_t flags)
{
    return ((uint64_t)p2m[pfn] << 12) | flags;
}

#define RW_FLAGS (PTE_P | PTE_RW | PTE_A | PTE_D)

static void check_update_va_mapping(void)
{
    uint32_t va = scratch_va(0), pfn = alloc_pfn(), v = 0;
    expect_rc(uvm(va, pte_for(pfn, RW_FLAGS), UVMF_INVLPG), 0);
    expect_rc(probe_write32((void *)va, 0x5a5a1234), 0);
    expect_rc(probe_read32((void *)va, &v), 0);
    expect_eq(v, 0x5a5a1234);
    /* NX lives in the upper half of the entry, passed in the third register. */
    expect_rc(uvm(va, pte_for(pfn, RW_FLAGS) | (1ull << 63), UVMF_INVLPG), 0);
    uint64_t *e = pte_of(va, 1);
    expect(e && (*e >> 63), "NX not in the entry");
    expect_rc(uvm(va, 0, UVMF_INVLPG), 0);
    expect_rc(probe_read32((void *)va, &v), -1);
}

/* mmu_update on the L1 entry's machine address (16-byte requests). */
static void check_mmu_update(void)
{
    uint32_t va = scratch_va(1), pfn = alloc_pfn(), v = 0;
    uint64_t *e = pte_of(va, 1);
    if (!expect(e != NULL, "no L1 entry"))
        return;
    mmu_update_t req = {
        .ptr = ((uint64_t)virt_to_mfn(e) << 12) | ((uint32_t)e & 0xfff),
        .val = pte_for(pfn, RW_FLAGS),
    };
    unsigned done = 0;
    expect_rc(hypercall4(__HYPERVISOR_mmu_update, &req, 1, &done, DOMID_SELF), 0);
    expect_eq(done, 1);
    struct mmuext_op op = { .cmd = MMUEXT_INVLPG_LOCAL };
    op.arg1.linear_addr = va;
    expect_rc(hypercall4(__HYPERVISOR_mmuext_op, &op, 1, 0, DOMID_SELF), 0);
    expect_rc(probe_write32((void *)va, 77), 0);
    expect_rc(probe_read32((void *)va, &v), 0);
    expect_eq(v, 77);
    expect_rc(uvm(va, 0, UVMF_INVLPG), 0);
}

/*
 * Writable page tables: the entry's two 4-byte halves written one at a
 * time into the read-only L1, low half first, then the upper half first
 * (pvshim keeps the entry not present until it is whole).
 */
static void check_ptwr_halves(void)
{
    uint32_t va = scratch_va(2), pfn = alloc_pfn(), v = 0;
    volatile uint32_t *half = (volatile uint32_t *)pte_of(va, 1);
    if (!expect(half != NULL, "no L1 entry"))
        return;
    expect_rc(hypercall2(__HYPERVISOR_vm_assist, VMASST_CMD_enable,
                         VMASST_TYPE_writable_pagetables), 0);
    uint64_t pte = pte_for(pfn, RW_FLAGS);
    half[0] = (uint32_t)pte;
    half[1] = (uint32_t)(pte >> 32);
    expect_eq(((volatile uint64_t *)half)[0], pte);
    expect_rc(probe_write32((void *)va, 99), 0);
    expect_rc(probe_read32((void *)va, &v), 0);
    expect_eq(v, 99);
    /* Upper half (NX) first, then the low half: present and NX. */
    half[0] = 0;
    hypercall4(__HYPERVISOR_mmuext_op, &(struct mmuext_op){ .cmd = MMUEXT_TLB_FLUSH_LOCAL },
               1, 0, DOMID_SELF);
    half[1] = 0x80000000u;
    half[0] = (uint32_t)pte;
    expect_eq(((volatile uint64_t *)half)[0], pte | (1ull << 63));
    expect_rc(probe_read32((void *)va, &v), 0);
    expect_eq(v, 99);
    half[0] = 0;
    half[1] = 0;
    hypercall4(__HYPERVISOR_mmuext_op, &(struct mmuext_op){ .cmd = MMUEXT_TLB_FLUSH_LOCAL },
               1, 0, DOMID_SELF);
    expect_rc(probe_read32((void *)va, &v), -1);
}

/* mmuext_op: 12-byte ops, a 32-bit vCPU mask, pins of a PAE L1 and L2. */
static void check_mmuext(void)
{
    uint32_t mask = 1;
    struct mmuext_op ops[4];
    _Static_assert(sizeof(struct mmuext_op) == 12, "i386 layout");
    memset(ops, 0, sizeof(ops));
    ops[0].cmd = MMUEXT_TLB_FLUSH_MULTI;
    ops[0].arg2.vcpumask.p = &mask;
    ops[1].cmd = MMUEXT_INVLPG_MULTI;
    ops[1].arg1.linear_addr = scratch_va(3);
    ops[1].arg2.vcpumask.p = &mask;
    ops[2].cmd = MMUEXT_PIN_L1_TABLE;
    ops[2].arg1.mfn = p2m[alloc_pfn()];
    ops[3].cmd = MMUEXT_UNPIN_TABLE;
    ops[3].arg1.mfn = ops[2].arg1.mfn;
    unsigned done = 0;
    expect_rc(hypercall4(__HYPERVISOR_mmuext_op, ops, 4, &done, DOMID_SELF), 0);
    expect_eq(done, 4);
    /* A PAE guest has no L4 to pin: refused, and *done says where it stopped. */
    ops[0].cmd = MMUEXT_PIN_L4_TABLE;
    ops[0].arg1.mfn = ops[2].arg1.mfn;
    done = 7;
    expect_rc(hypercall4(__HYPERVISOR_mmuext_op, ops, 1, &done, DOMID_SELF), -XEN_EINVAL);
    expect_eq(done, 0);
    /* The current root again: MMUEXT_NEW_BASEPTR takes an L3. */
    ops[0].cmd = MMUEXT_NEW_BASEPTR;
    ops[0].arg1.mfn = virt_to_mfn((void *)si->pt_base);
    expect_rc(hypercall4(__HYPERVISOR_mmuext_op, ops, 1, 0, DOMID_SELF), 0);
}

/* setup_table hands back 32-bit frame numbers. */
static void check_grant_setup(void)
{
    uint32_t frames[2] = { 0, 0xdeadbeef };
    struct gnttab_setup_table st = { .dom = DOMID_SELF, .nr_frames = 1 };
    _Static_assert(sizeof(st) == 16, "i386 layout");
    set_xen_guest_handle(st.frame_list, (xen_pfn_t *)frames);
    expect_rc(hypercall3(__HYPERVISOR_grant_table_op, GNTTABOP_setup_table, &st, 1), 0);
    expect_eq(st.status, GNTST_okay);
    expect(frames[0] != 0, "no frame");
    expect_eq(frames[1], 0xdeadbeef);
    /* The frame maps and holds a v1 table (entries of 8 bytes). */
    uint32_t va = scratch_va(4);
    expect_rc(uvm(va, ((uint64_t)frames[0] << 12) | RW_FLAGS, UVMF_INVLPG), 0);
    expect_rc(probe_write32((void *)(va + 8), 0), 0);
    struct gnttab_query_size q = { .dom = DOMID_SELF };
    expect_rc(hypercall3(__HYPERVISOR_grant_table_op, GNTTABOP_query_size, &q, 1), 0);
    expect(q.nr_frames >= 1 && q.max_nr_frames >= q.nr_frames, "query_size %u/%u",
           q.nr_frames, q.max_nr_frames);
    expect_rc(uvm(va, 0, UVMF_INVLPG), 0);
}

/*
 * Ring 3: user pages (US) for the code and a stack, the kernel stack from
 * stack_switch, `int $0x80` through a DPL-3 trap-table entry and back by
 * the CPU's own iret. The ring-1 kernel reads a user page too, which
 * SMAP would forbid: pvshim turns it off while a 32-bit guest runs.
 */
static void check_user_mode(void)
{
    for (char *p = _user_text_start; p < _user_text_end; p += PG_SIZE) {
        uint64_t *e = pte_of((uint32_t)p, 1);
        expect_rc(uvm((uint32_t)p, (*e & ~PTE_RW) | PTE_US, UVMF_INVLPG), 0);
    }
    uint32_t stack = scratch_va(5), v = 1;
    expect_rc(uvm(stack, pte_for(alloc_pfn(), RW_FLAGS | PTE_US), UVMF_INVLPG), 0);
    expect_rc(probe_write32((void *)stack, 0), 0);
    expect_rc(probe_read32((void *)stack, &v), 0);
    expect_eq(v, 0);
    expect_rc(hypercall2(__HYPERVISOR_stack_switch, RING1_DS, kernel_stack_top), 0);
    expect_eq(user_run(stack + PG_SIZE), 0x1235);
    expect_eq(last_trap.vector, 0x80);
    expect_eq(last_trap.cs & 0xffff, RING3_CS);
    for (char *p = _user_text_start; p < _user_text_end; p += PG_SIZE) {
        uint64_t *e = pte_of((uint32_t)p, 1);
        uvm((uint32_t)p, *e & ~PTE_US, UVMF_INVLPG);
    }
    uvm(stack, 0, UVMF_INVLPG);
}

void mm_checks(void)
{
    run_check("mm.update_va_mapping", check_update_va_mapping);
    run_check("mm.mmu_update", check_mmu_update);
    run_check("mm.ptwr_halves", check_ptwr_halves);
    run_check("mm.mmuext", check_mmuext);
}

void grant_checks(void)
{
    run_check("grant.setup_table", check_grant_setup);
}

void user_checks(void)
{
    run_check("user.int80", check_user_mode);
}
