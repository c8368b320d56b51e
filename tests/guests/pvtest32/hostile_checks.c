/*
 * The compat paths under attack, each answered as Xen 4.17 answers a
 * 32-bit guest and pvshim still healthy after (the later checks run):
 * handles into the read-only M2P, the hypervisor hole and unmapped pages;
 * argument lists that run off the end of the guest's memory (the
 * translation loops must stop there, not read or write on); counts far
 * beyond any list; PAE L3 rules (slot 3 fixed and present, no shared
 * slot-3 L2, no caching or size bits in an L3 entry).
 */
#include "pvtest32.h"

#define RW_FLAGS    (PTE_P | PTE_RW | PTE_A | PTE_D)
#define M2P_VA      0xf5800000u     /* read-only to the guest */
#define HOLE_VA     0xff000000u     /* in the hypervisor hole: nothing of ours */

static long uvm(uint32_t va, uint64_t pte)
{
    return hypercall4(__HYPERVISOR_update_va_mapping, va, (uint32_t)pte,
                      (uint32_t)(pte >> 32), UVMF_INVLPG);
}

/* A page of ours mapped at scratch slot `slot`, the page after it not mapped. */
static uint8_t *page_before_hole(unsigned slot)
{
    uint32_t va = scratch_va(slot);
    if (!expect_rc(uvm(va, ((uint64_t)p2m[alloc_pfn()] << 12) | RW_FLAGS), 0))
        return NULL;
    expect_rc(uvm(va + PG_SIZE, 0), 0);
    memset((void *)va, 0, PG_SIZE);
    return (uint8_t *)va;
}

/* Output handles the guest cannot write, input handles it cannot read. */
static void check_bad_handles(void)
{
    char buf[16];
    expect_rc(hypercall2(__HYPERVISOR_xen_version, XENVER_extraversion, M2P_VA), -XEN_EFAULT);
    expect_rc(hypercall2(__HYPERVISOR_xen_version, XENVER_extraversion, HOLE_VA), -XEN_EFAULT);
    expect_rc(hypercall2(__HYPERVISOR_memory_op, XENMEM_machphys_mapping, M2P_VA),
              -XEN_EFAULT);
    expect_rc(hypercall3(__HYPERVISOR_vcpu_op, VCPUOP_initialise, 0, HOLE_VA), -XEN_EFAULT);
    expect_rc(hypercall3(__HYPERVISOR_vcpu_op, VCPUOP_get_runstate_info, 0, M2P_VA),
              -XEN_EFAULT);
    expect_rc(hypercall2(__HYPERVISOR_set_trap_table, HOLE_VA, 0), -XEN_EFAULT);
    struct xen_machphys_mfn_list l = { .max_extents = 4 };
    set_xen_guest_handle(l.extent_start, (xen_pfn_t *)M2P_VA);
    expect_rc(hypercall2(__HYPERVISOR_memory_op, XENMEM_machphys_mfn_list, &l), -XEN_EFAULT);
    /* The M2P reads back unchanged. */
    expect_rc(hypercall2(__HYPERVISOR_xen_version, XENVER_extraversion, buf), 0);
    expect_eq(((volatile uint32_t *)M2P_VA)[virt_to_mfn(si)],
              ((uint32_t)si - VIRT_BASE) >> 12);
}

/*
 * Lists whose last entries lie in an unmapped page: 12-byte mmuext ops,
 * 32-byte multicall entries and 24-byte grant copies are taken one by one
 * up to the edge (the ones before it done, their results written), then
 * -EFAULT.
 */
static void check_lists_off_the_edge(void)
{
    uint8_t *page = page_before_hole(24);
    if (!page)
        return;
    /* Two TLB flushes in the last 24 bytes, the third op past the edge. */
    struct mmuext_op *ops = (struct mmuext_op *)(page + PG_SIZE - 2 * sizeof(*ops));
    ops[0].cmd = ops[1].cmd = MMUEXT_TLB_FLUSH_LOCAL;
    expect_rc(hypercall4(__HYPERVISOR_mmuext_op, ops, 3, 0, DOMID_SELF), -XEN_EFAULT);
    /* Two multicall entries (xen_version) before the edge, results 32 bits wide. */
    multicall_entry_t *mc = (multicall_entry_t *)(page + PG_SIZE - 2 * sizeof(*mc));
    _Static_assert(sizeof(*mc) == 32, "i386 multicall entry");
    for (unsigned i = 0; i < 2; i++) {
        mc[i].op = __HYPERVISOR_xen_version;
        mc[i].args[0] = XENVER_version;
        mc[i].result = 0xdeadbeef;
    }
    long v = hypercall2(__HYPERVISOR_xen_version, XENVER_version, 0);
    expect_rc(hypercall2(__HYPERVISOR_multicall, mc, 3), -XEN_EFAULT);
    expect_eq(mc[0].result, (uint32_t)v);
    expect_eq(mc[1].result, (uint32_t)v);
    /* A multicall inside one: that entry fails, the batch goes on. */
    mc[0].op = __HYPERVISOR_multicall;
    mc[0].args[0] = (uint32_t)&mc[1];
    mc[0].args[1] = 1;
    mc[1].result = 0xdeadbeef;
    expect_rc(hypercall2(__HYPERVISOR_multicall, mc, 2), 0);
    expect_eq(mc[0].result, (uint32_t)-XEN_EINVAL);
    expect_eq(mc[1].result, (uint32_t)v);
    /* Grant copies: the first (domain 0's frame 0: refused) gets its status. */
    struct gnttab_copy *gc = (struct gnttab_copy *)(page + PG_SIZE - sizeof(*gc));
    gc->status = 99;
    expect_rc(hypercall3(__HYPERVISOR_grant_table_op, GNTTABOP_copy, gc, 2), -XEN_EFAULT);
    expect(gc->status < 0, "status %d", gc->status);
    expect_rc(uvm(scratch_va(24), 0), 0);
}

/* Counts and sizes no list can have. */
static void check_oversize_counts(void)
{
    expect_rc(hypercall2(__HYPERVISOR_set_gdt, 0, 0xffffffffu), -XEN_EINVAL);
    expect_rc(hypercall2(__HYPERVISOR_set_gdt, HOLE_VA, 14 * 512 + 1), -XEN_EINVAL);
    expect_rc(hypercall3(__HYPERVISOR_grant_table_op, GNTTABOP_copy, HOLE_VA, 0x80000000u),
              -XEN_EINVAL);
    /* The domain is still whole. */
    domid_t self = DOMID_SELF;
    expect(hypercall2(__HYPERVISOR_memory_op, XENMEM_current_reservation, &self) > 0,
           "current_reservation");
}

/* A fresh frame of ours, zeroed but for entry idx, left unmapped (it may become a table). */
static uint32_t zeroed_frame(unsigned idx, uint64_t val)
{
    uint32_t pfn = alloc_pfn(), va = scratch_va(26);
    expect_rc(uvm(va, ((uint64_t)p2m[pfn] << 12) | RW_FLAGS), 0);
    memset((void *)va, 0, PG_SIZE);
    ((volatile uint64_t *)va)[idx] = val;
    expect_rc(uvm(va, 0), 0);
    return p2m[pfn];
}

static long mmuext1(unsigned cmd, uint32_t mfn)
{
    struct mmuext_op op = { .cmd = cmd };
    op.arg1.mfn = mfn;
    return hypercall4(__HYPERVISOR_mmuext_op, &op, 1, 0, DOMID_SELF);
}

/* PAE L3 rules, each refused (-EINVAL) and nothing left behind. */
static void check_pae_l3_rules(void)
{
    uint32_t l2 = zeroed_frame(0, 0);
    /* Slot 3 absent: no L3. */
    uint32_t l3 = zeroed_frame(0, 0);
    expect_rc(mmuext1(MMUEXT_PIN_L3_TABLE, l3), -XEN_EINVAL);
    /* Slot 3 shared with the running L3's: no L3. */
    uint64_t *root = (uint64_t *)si->pt_base;
    l3 = zeroed_frame(3, (root[3] & PTE_ADDR) | PTE_P);
    expect_rc(mmuext1(MMUEXT_PIN_L3_TABLE, l3), -XEN_EINVAL);
    /* Cache-disable or size bits in an L3 entry: no L3. */
    static const uint64_t bad_bits[] = { 0x10 /* PCD */, 0x08 /* PWT */, PTE_PSE,
                                         1ull << 63 /* NX */ };
    for (unsigned i = 0; i < ARRAY_LEN(bad_bits); i++) {
        uint32_t own_l2 = zeroed_frame(0, 0);
        l3 = zeroed_frame(3, ((uint64_t)own_l2 << 12) | PTE_P | bad_bits[i]);
        expect(mmuext1(MMUEXT_PIN_L3_TABLE, l3) == -XEN_EINVAL, "L3 entry bits %#llx taken",
               (unsigned long long)bad_bits[i]);
    }
    /* A good one pins; its slot 3 cannot change, slots 0-2 can. */
    l3 = zeroed_frame(3, ((uint64_t)l2 << 12) | PTE_P);
    if (!expect_rc(mmuext1(MMUEXT_PIN_L3_TABLE, l3), 0))
        return;
    uint32_t other_l2 = zeroed_frame(0, 0);
    mmu_update_t u = { .ptr = ((uint64_t)l3 << 12) + 3 * 8,
                       .val = ((uint64_t)other_l2 << 12) | PTE_P };
    expect_rc(hypercall4(__HYPERVISOR_mmu_update, &u, 1, 0, DOMID_SELF), -XEN_EINVAL);
    u.ptr = ((uint64_t)l3 << 12) + 0 * 8;
    expect_rc(hypercall4(__HYPERVISOR_mmu_update, &u, 1, 0, DOMID_SELF), 0);
    u.val = 0;
    expect_rc(hypercall4(__HYPERVISOR_mmu_update, &u, 1, 0, DOMID_SELF), 0);
    expect_rc(mmuext1(MMUEXT_UNPIN_TABLE, l3), 0);
}

void hostile_checks(void)
{
    run_check("hostile.bad_handles", check_bad_handles);
    run_check("hostile.lists_off_the_edge", check_lists_off_the_edge);
    run_check("hostile.oversize_counts", check_oversize_counts);
    run_check("hostile.pae_l3_rules", check_pae_l3_rules);
}
