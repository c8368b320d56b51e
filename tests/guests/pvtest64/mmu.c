/*
 * The PV MMU: update_va_mapping, mmu_update, mmuext_op (pin/unpin, base
 * pointers, TLB ops), what Xen refuses and with which error, and writable
 * page tables (VMASST_TYPE_writable_pagetables).
 */
#include "pvtest.h"
#include "hypercall.h"
#include "traps.h"

#define PTE_PCD 0x010UL

/* A free VA inside the region's L2 (well above anything mapped). */
#define FREE_L2_INDEX 400

static uint64_t maddr_of(const void *va)
{
    return virt_to_maddr(va);
}

static long mmu_update1(uint64_t ptr, uint64_t val)
{
    mmu_update_t req = { .ptr = ptr, .val = val };
    unsigned done = 0xdead;
    long rc = hc_mmu_update(&req, 1, &done, DOMID_SELF);
    if (rc == 0)
        expect_eq(done, 1);
    return rc;
}

static long mmuext1(unsigned cmd, unsigned long mfn_or_va)
{
    struct mmuext_op op = { .cmd = cmd };
    op.arg1.mfn = mfn_or_va;
    unsigned done = 0;
    return hc_mmuext_op(&op, 1, &done, DOMID_SELF);
}

/* A fresh frame, zeroed, mapped nowhere. */
static unsigned long zeroed_pfn(void)
{
    unsigned long pfn = alloc_pfn();
    void *p = map_pfn(pfn, true);
    memset(p, 0, PG_SIZE);
    unmap_va(p);
    return pfn;
}

/* The machine address of the L1 entry that maps a scratch VA. */
static uint64_t l1e_maddr(void *va)
{
    return maddr_of(pte_of((unsigned long)va, 1));
}

static uint64_t pte_for(unsigned long pfn, uint64_t flags)
{
    return (p2m[pfn] << 12) | flags;
}

#define RW_FLAGS (PTE_P | PTE_RW | PTE_US | PTE_A | PTE_D)
#define RO_FLAGS (PTE_P | PTE_US | PTE_A)

static void check_update_va_mapping(void)
{
    unsigned long a = alloc_pfn(), b = alloc_pfn();
    volatile uint64_t *pa = map_pfn(a, true);
    pa[0] = 0xaaaa;
    unmap_va((void *)pa);
    volatile uint64_t *pb = map_pfn(b, true);
    pb[0] = 0xbbbb;
    unsigned long va = (unsigned long)pb;
    /* remap the same VA to frame a: the old contents show through */
    if (!expect_rc(hc_update_va_mapping(va, pte_for(a, RW_FLAGS), UVMF_INVLPG), 0))
        return;
    expect_eq(pb[0], 0xaaaa);
    expect_rc(hc_update_va_mapping(va, pte_for(b, RW_FLAGS), UVMF_TLB_FLUSH | UVMF_ALL), 0);
    expect_eq(pb[0], 0xbbbb);
    /* unmapped: a not-present #PF */
    expect_rc(hc_update_va_mapping(va, 0, UVMF_INVLPG), 0);
    unsigned before = last_trap.count;
    trap_resume_rip = (unsigned long)probe_read_after;
    probe_read((void *)va);
    if (expect_trap(before, 14, probe_read_insn))
        expect_eq(last_trap.frame.error_code, 0);
    expect_rc(hc_update_va_mapping(va, pte_for(b, RW_FLAGS), UVMF_INVLPG), 0);
    unmap_va((void *)pb);
}

static void check_update_va_mapping_refused(void)
{
    unsigned long pfn = alloc_pfn();
    /* in Xen's area */
    expect_rc(hc_update_va_mapping(0xffff830000000000UL, pte_for(pfn, RW_FLAGS), 0),
              -XEN_EINVAL);
    /* no L1 behind this VA */
    expect_rc(hc_update_va_mapping(0x12345000UL, pte_for(pfn, RW_FLAGS), 0),
              -XEN_EINVAL);
    /* a page table made writable */
    void *va = map_pfn(pfn, true);
    expect_rc(hc_update_va_mapping((unsigned long)va,
                                   (virt_to_mfn((void *)si->pt_base) << 12) | RW_FLAGS,
                                   UVMF_INVLPG), -XEN_EBUSY);
    unmap_va(va);
}

static void check_mmu_update_normal(void)
{
    unsigned long pfn = alloc_pfn();
    volatile uint64_t *p = map_pfn(pfn, true);
    p[1] = 0x1234;
    uint64_t ptr = l1e_maddr((void *)p) | MMU_NORMAL_PT_UPDATE;
    /* read-only through mmu_update, then a write faults */
    if (!expect_rc(mmu_update1(ptr, pte_for(pfn, RO_FLAGS)), 0))
        return;
    mmuext1(MMUEXT_INVLPG_LOCAL, (unsigned long)p);
    expect_eq(p[1], 0x1234);
    unsigned before = last_trap.count;
    trap_resume_rip = (unsigned long)probe_write_after;
    probe_write(&p[1], 1);
    if (expect_trap(before, 14, probe_write_insn))
        expect_eq(last_trap.frame.error_code, 3);
    /* MMU_PT_UPDATE_PRESERVE_AD */
    ptr = l1e_maddr((void *)p) | MMU_PT_UPDATE_PRESERVE_AD;
    expect_rc(mmu_update1(ptr, pte_for(pfn, RW_FLAGS)), 0);
    mmuext1(MMUEXT_INVLPG_LOCAL, (unsigned long)p);
    p[1] = 0x5678;
    expect_eq(p[1], 0x5678);
    unmap_va((void *)p);
}

static void check_mmu_update_errors(void)
{
    unsigned long pfn = alloc_pfn();
    void *p = map_pfn(pfn, true);
    uint64_t ptr = l1e_maddr(p);
    /* an unknown command in the low bits (0-3 exist) */
    expect_rc(mmu_update1(ptr | 5, pte_for(pfn, RW_FLAGS)), -XEN_ENOSYS);
    /* ptr into an ordinary page of ours: Xen just writes the value */
    unsigned long data = alloc_pfn();
    volatile uint64_t *d = map_pfn(data, true);
    d[5] = 0;
    expect_rc(mmu_update1((p2m[data] << 12) + 5 * 8, 0x1234000UL | RW_FLAGS), 0);
    expect_eq(d[5], 0x1234000UL | RW_FLAGS);
    unmap_va((void *)d);
    /* ptr into a frame that is not ours (Xen's L3 behind slot 256) */
    uint64_t xen_l3 = ((uint64_t *)si->pt_base)[256] & PTE_ADDR;
    expect_rc(mmu_update1(xen_l3, 0), -XEN_EINVAL);
    /* a bad request list */
    unsigned done;
    expect_rc(hc_mmu_update((void *)0x1000, 1, &done, DOMID_SELF), -XEN_EFAULT);
    /* count 0 is fine */
    expect_rc(hc_mmu_update(NULL, 0, &done, DOMID_SELF), 0);
    unmap_va(p);
}

/* Mapping a page-table frame writable is refused; read-only is fine. */
static void check_writable_pt_refused(void)
{
    unsigned long pfn = alloc_pfn();
    void *p = map_pfn(pfn, true);
    uint64_t ptr = l1e_maddr(p);
    uint64_t l4_mfn = virt_to_mfn((void *)si->pt_base);
    expect_rc(mmu_update1(ptr, (l4_mfn << 12) | RW_FLAGS), -XEN_EBUSY);
    expect_rc(mmu_update1(ptr, (l4_mfn << 12) | RO_FLAGS), 0);
    mmuext1(MMUEXT_INVLPG_LOCAL, (unsigned long)p);
    expect_eq(((uint64_t *)p)[511], ((uint64_t *)si->pt_base)[511]);
    expect_rc(mmu_update1(ptr, pte_for(pfn, RW_FLAGS)), 0);
    unmap_va(p);
}

/* A frame Xen owns (the L3 behind Xen's L4 slot 256) cannot be mapped. */
static void check_foreign_frame_refused(void)
{
    uint64_t xen_l3 = ((uint64_t *)si->pt_base)[256] & PTE_ADDR;
    unsigned long pfn = alloc_pfn();
    void *p = map_pfn(pfn, true);
    expect_rc(mmu_update1(l1e_maddr(p), xen_l3 | RO_FLAGS), -XEN_EBUSY);
    unmap_va(p);
}

/*
 * Frames that are no RAM. Xen's get_page_from_l1e sends them to the I/O
 * memory permission check, which a domU fails (-EPERM) wherever the frame
 * lies: in a hole or reserved range below the top of RAM, or above it.
 * Xen counts the first MiB as I/O even where it is RAM. dom0 has the
 * permission except for the interrupt controllers and the MSI window.
 * The fixed addresses are no RAM on a PC at any VM size: above the top
 * of RAM below 3 GiB, in the PCI hole with more.
 */
static const struct {
    const char *what;
    uint64_t maddr;
    long dom0_rc;
} mmio_rows[] = {
    { "RAM in the first MiB",           0x10000,    0 },
    { "the VGA window",                 0xa0000,    0 },
    { "the PCI hole",                   0xe0000000, 0 },
    { "the local APIC (MSI window)",    0xfee00000, -XEN_EPERM },
    { "the firmware below 4 GiB",       0xfffc0000, 0 },
    { "the first frame above RAM",      0,          0 },    /* maximum_ram_page */
};

static void check_mmio_frame(void)
{
    unsigned long pfn = alloc_pfn();
    void *p = map_pfn(pfn, true);
    long top = hc_memory_op(XENMEM_maximum_ram_page, NULL);
    if (is_dom0)
        printf("INFO mmu.mmio_frame: dom0 expectations (iomem permitted)\n");
    for (unsigned i = 0; i < sizeof(mmio_rows) / sizeof(mmio_rows[0]); i++) {
        uint64_t maddr = mmio_rows[i].maddr ? mmio_rows[i].maddr : (uint64_t)top << 12;
        long want = is_dom0 ? mmio_rows[i].dom0_rc : -XEN_EPERM;
        long rc = mmu_update1(l1e_maddr(p), maddr | RO_FLAGS);
        expect_fmt(rc == want, "%s (%#lx): mmu_update returned %ld, want %ld",
                   mmio_rows[i].what, (unsigned long)maddr, rc, want);
        if (rc == 0)
            mmu_update1(l1e_maddr(p), 0);
    }
    unmap_va(p);
}

/* Cache attributes in an L1 entry need I/O privileges (dom0 has them). */
static void check_l1_cache_attrs(void)
{
    unsigned long pfn = alloc_pfn();
    void *p = map_pfn(pfn, true);
    long rc = mmu_update1(l1e_maddr(p), pte_for(pfn, RW_FLAGS | PTE_PCD));
    if (is_dom0) {
        printf("INFO mmu.l1_cache_attrs: dom0 expectation (PCD allowed)\n");
        expect_rc(rc, 0);
    } else {
        expect_rc(rc, -XEN_EINVAL);
    }
    expect_rc(mmu_update1(l1e_maddr(p), pte_for(pfn, RW_FLAGS)), 0);
    unmap_va(p);
}

/* Superpages are refused in L2 entries; an L1 is accepted there. */
static void check_l2_pse_refused(void)
{
    uint64_t *l2e = pte_of(region_start, 2) + FREE_L2_INDEX;
    uint64_t ptr = maddr_of(l2e);
    unsigned long base_pfn = alloc_pfn();
    uint64_t big = ((p2m[base_pfn] << 12) & ~0x1fffffUL) | RW_FLAGS | PTE_PSE;
    expect_rc(mmu_update1(ptr, big), -XEN_EINVAL);
    expect_eq(*l2e, 0);
    /* a new L1 hooked in there maps a page at that VA */
    unsigned long l1 = zeroed_pfn(), data = alloc_pfn();
    void *p = map_pfn(data, true);
    ((volatile uint64_t *)p)[0] = 0x77;
    unmap_va(p);
    if (!expect_rc(mmu_update1(ptr, pte_for(l1, RW_FLAGS)), 0))
        return;
    unsigned long va = region_start + ((unsigned long)FREE_L2_INDEX << 21);
    if (expect_rc(hc_update_va_mapping(va, pte_for(data, RW_FLAGS), UVMF_INVLPG), 0))
        expect_eq(*(volatile uint64_t *)va, 0x77);
    expect_rc(hc_update_va_mapping(va, 0, UVMF_INVLPG), 0);
    expect_rc(mmu_update1(ptr, 0), 0);
    mmuext1(MMUEXT_TLB_FLUSH_LOCAL, 0);
}

static void check_l4_xen_slot_refused(void)
{
    uint64_t l4 = virt_to_maddr((void *)si->pt_base);
    uint64_t old = ((uint64_t *)si->pt_base)[256];
    unsigned long l3 = zeroed_pfn();
    expect_rc(mmu_update1(l4 + 256 * 8, pte_for(l3, RW_FLAGS)), -XEN_EINVAL);
    expect_rc(mmu_update1(l4 + 260 * 8, pte_for(l3, RW_FLAGS)), -XEN_EINVAL);
    expect_eq(((uint64_t *)si->pt_base)[256], old);
    /* a guest slot takes it */
    if (expect_rc(mmu_update1(l4 + 300 * 8, pte_for(l3, RW_FLAGS)), 0))
        expect_rc(mmu_update1(l4 + 300 * 8, 0), 0);
}

/* Pin and unpin a table of each level; a pinned table cannot be mapped
 * writable, pinning twice or unpinning an unpinned frame is refused. */
static void pin_level(unsigned pin_cmd)
{
    unsigned long pfn = zeroed_pfn(), mfn = p2m[pfn];
    if (!expect_rc(mmuext1(pin_cmd, mfn), 0))
        return;
    expect_rc(mmuext1(pin_cmd, mfn), -XEN_EINVAL);
    unsigned long other = alloc_pfn();
    void *p = map_pfn(other, true);
    expect_rc(hc_update_va_mapping((unsigned long)p, (mfn << 12) | RW_FLAGS,
                                   UVMF_INVLPG), -XEN_EBUSY);
    expect_rc(hc_update_va_mapping((unsigned long)p, (mfn << 12) | RO_FLAGS,
                                   UVMF_INVLPG), 0);
    expect_rc(hc_update_va_mapping((unsigned long)p, pte_for(other, RW_FLAGS),
                                   UVMF_INVLPG), 0);
    unmap_va(p);
    expect_rc(mmuext1(MMUEXT_UNPIN_TABLE, mfn), 0);
    expect_rc(mmuext1(MMUEXT_UNPIN_TABLE, mfn), -XEN_EINVAL);
    /* unpinned and unused: writable again */
    p = map_pfn(pfn, true);
    unmap_va(p);
}

static void check_pin_l1(void) { pin_level(MMUEXT_PIN_L1_TABLE); }
static void check_pin_l2(void) { pin_level(MMUEXT_PIN_L2_TABLE); }
static void check_pin_l3(void) { pin_level(MMUEXT_PIN_L3_TABLE); }
static void check_pin_l4(void) { pin_level(MMUEXT_PIN_L4_TABLE); }

static void check_pin_refused(void)
{
    /* a frame mapped writable cannot become a page table */
    unsigned long pfn = alloc_pfn();
    void *p = map_pfn(pfn, true);
    memset(p, 0, PG_SIZE);
    expect_rc(mmuext1(MMUEXT_PIN_L1_TABLE, p2m[pfn]), -XEN_EINVAL);
    /* an L1 whose entry maps a page table writable is no valid L1: the
     * entry's own error comes back (as from mmu_update) */
    ((uint64_t *)p)[0] = (virt_to_mfn((void *)si->pt_base) << 12) | RW_FLAGS;
    unmap_va(p);
    expect_rc(mmuext1(MMUEXT_PIN_L1_TABLE, p2m[pfn]), -XEN_EBUSY);
    /* the L4 in use is already an L4: it cannot be pinned as an L1 */
    expect_rc(mmuext1(MMUEXT_PIN_L1_TABLE, virt_to_mfn((void *)si->pt_base)),
              -XEN_EINVAL);
    /* not our frame */
    expect_rc(mmuext1(MMUEXT_PIN_L1_TABLE, si->shared_info >> 12), -XEN_EINVAL);
    expect_rc(mmuext1(99, 0), -XEN_ENOSYS);
}

/* A second L4 sharing our L3: switch to it and back. */
static void check_new_baseptr(void)
{
    unsigned long pfn = alloc_pfn();
    uint64_t *p = map_pfn(pfn, true);
    memset(p, 0, PG_SIZE);
    p[511] = ((uint64_t *)si->pt_base)[511];
    unmap_va(p);
    unsigned long mfn = p2m[pfn], old = virt_to_mfn((void *)si->pt_base);
    if (!expect_rc(mmuext1(MMUEXT_PIN_L4_TABLE, mfn), 0))
        return;
    if (expect_rc(mmuext1(MMUEXT_NEW_BASEPTR, mfn), 0)) {
        expect_eq(probe_read_cr3() >> 12, mfn);
        expect_rc(mmuext1(MMUEXT_NEW_BASEPTR, old), 0);
    }
    expect_eq(probe_read_cr3() >> 12, old);
    expect_rc(mmuext1(MMUEXT_UNPIN_TABLE, mfn), 0);
    /* not an L4 (an unpinned data frame cannot become one while mapped) */
    void *q = map_pfn(pfn, true);
    expect_rc(mmuext1(MMUEXT_NEW_BASEPTR, p2m[pfn]), -XEN_EINVAL);
    unmap_va(q);
}

static void check_tlb_ops(void)
{
    expect_rc(mmuext1(MMUEXT_TLB_FLUSH_LOCAL, 0), 0);
    expect_rc(mmuext1(MMUEXT_INVLPG_LOCAL, region_start), 0);
    expect_rc(mmuext1(MMUEXT_TLB_FLUSH_ALL, 0), 0);
    expect_rc(mmuext1(MMUEXT_INVLPG_ALL, region_start), 0);
}

/* MMU_MACHPHYS_UPDATE moves an M2P entry of a frame we own. */
static void check_machphys_update(void)
{
    const volatile unsigned long *m2p = (const unsigned long *)MACH2PHYS_VIRT_START;
    unsigned long pfn = alloc_pfn(), mfn = p2m[pfn];
    uint64_t ptr = ((uint64_t)mfn << 12) | MMU_MACHPHYS_UPDATE;
    if (!expect_rc(mmu_update1(ptr, 0x123456), 0))
        return;
    expect_eq(m2p[mfn], 0x123456);
    expect_rc(mmu_update1(ptr, pfn), 0);
    expect_eq(m2p[mfn], pfn);
    /* not ours */
    expect_rc(mmu_update1(((uint64_t)(((uint64_t *)si->pt_base)[256] >> 12) << 12)
                          | MMU_MACHPHYS_UPDATE, 1), -XEN_EINVAL);
}

/* Writable page tables: a plain write to a read-only mapped L1 that is
 * in use is emulated (once VMASST_TYPE_writable_pagetables is on), and
 * checked like mmu_update: a bad entry is refused with a #PF. */
static void check_writable_pagetables(void)
{
    unsigned long pfn = alloc_pfn();
    volatile uint64_t *p = map_pfn(pfn, true);
    p[0] = 0x4242;
    unmap_va((void *)p);
    p = map_pfn(pfn, true);
    uint64_t *pte = pte_of((unsigned long)p, 1);   /* RO mapping of the L1 */
    uint64_t good = pte_for(pfn, RO_FLAGS);

    if (!expect_rc(hc_vm_assist(VMASST_CMD_enable, VMASST_TYPE_writable_pagetables), 0))
        return;
    unsigned before = last_trap.count;
    probe_write(pte, good);                 /* emulated: no exception */
    expect_no_trap(before);
    /* Xen may add _PAGE_GLOBAL (user pages of a 64-bit PV guest) */
    expect_eq(*pte & ~PTE_G, good);
    mmuext1(MMUEXT_INVLPG_LOCAL, (unsigned long)p);
    expect_eq(p[0], 0x4242);
    /* a writable mapping of a page table: refused, #PF bounced */
    uint64_t bad = (virt_to_mfn((void *)si->pt_base) << 12) | RW_FLAGS;
    trap_resume_rip = (unsigned long)probe_write_after;
    probe_write(pte, bad);
    if (expect_trap(before, 14, probe_write_insn))
        expect_eq(last_trap.frame.error_code, 3);
    expect_eq(*pte & ~PTE_G, good);
    expect_rc(hc_vm_assist(VMASST_CMD_disable, VMASST_TYPE_writable_pagetables), 0);
    unmap_va((void *)p);
}

static void check_vm_assist_errors(void)
{
    expect_rc(hc_vm_assist(VMASST_CMD_enable, 31), -XEN_EINVAL);
    expect_rc(hc_vm_assist(7, VMASST_TYPE_writable_pagetables), -XEN_ENOSYS);
}

/* ---- linear (recursive) page tables: Xen 4.17's pv-linear-pt rules */

/* The first guest slot of a table that is not present (0 if none). */
static unsigned free_slot(const uint64_t *t, unsigned from, unsigned to)
{
    for (unsigned i = from; i < to; i++)
        if (!(t[i] & PTE_P))
            return i;
    return 0;
}

#define LINEAR_RO (PTE_P | PTE_US | PTE_A)
#define PTE_KEEP  (~(PTE_A | PTE_D | PTE_G))

/* The live L4 maps itself read-only: its slot s, four times, reads the L4. */
static void check_linear_l4_self_map(void)
{
    uint64_t *l4 = (uint64_t *)si->pt_base;
    unsigned long l4_mfn = virt_to_mfn(l4);
    unsigned s = free_slot(l4, 1, 256);
    if (!expect(s, "no free L4 slot"))
        return;
    uint64_t ptr = virt_to_maddr(&l4[s]);
    /* writable: refused; read-only: accepted */
    expect_rc(mmu_update1(ptr, (l4_mfn << 12) | LINEAR_RO | PTE_RW), -XEN_EINVAL);
    expect_eq(l4[s], 0);
    if (!expect_rc(mmu_update1(ptr, (l4_mfn << 12) | LINEAR_RO), 0))
        return;
    unsigned long u = s;
    volatile uint64_t *self = (volatile uint64_t *)((u << 39) | (u << 30) | (u << 21) | (u << 12));
    expect_eq(self[511] & PTE_KEEP, l4[511] & PTE_KEEP);
    expect_eq(self[s] & PTE_KEEP, l4[s] & PTE_KEEP);
    /* the L3-level view: the L4's slot 511 read as an L3 */
    volatile uint64_t *l3_view = (volatile uint64_t *)((u << 39) | (u << 30) | (u << 21) | (511UL << 12));
    uint64_t *l3 = pte_of(VIRT_BASE, 3) - ((VIRT_BASE >> 30) & 511);
    expect_eq(l3_view[(VIRT_BASE >> 30) & 511] & PTE_KEEP, l3[(VIRT_BASE >> 30) & 511] & PTE_KEEP);
    /* read-only through it: a write faults */
    unsigned before = last_trap.count;
    trap_resume_rip = (unsigned long)probe_write_after;
    probe_write(&self[s + 1], 0x1234);
    if (expect_trap(before, 14, probe_write_insn))
        expect_eq(last_trap.frame.error_code, 3);
    /* XSA-182: made writable in place, it is refused and stays read-only */
    expect_rc(mmu_update1(ptr, (l4_mfn << 12) | LINEAR_RO | PTE_RW), -XEN_EINVAL);
    expect_rc(mmu_update1(ptr, (l4_mfn << 12) | LINEAR_RO | PTE_RW | PTE_D), -XEN_EINVAL);
    expect_eq(l4[s] & PTE_RW, 0);
    expect_eq(l4[s + 1], 0);
    expect_rc(mmu_update1(ptr, 0), 0);
    mmuext1(MMUEXT_TLB_FLUSH_LOCAL, 0);
}

/* A fresh pinned table of a level (2-4), its pfn returned. */
static unsigned long pinned_table(unsigned level)
{
    static const unsigned cmd[5] = { 0, MMUEXT_PIN_L1_TABLE, MMUEXT_PIN_L2_TABLE,
                                     MMUEXT_PIN_L3_TABLE, MMUEXT_PIN_L4_TABLE };
    unsigned long pfn = zeroed_pfn();
    if (!expect_rc(mmuext1(cmd[level], p2m[pfn]), 0))
        check_abort();
    return pfn;
}

/*
 * The live L2 names another L2 read-only: that L2's entries then show as
 * L1 entries, so the L1 it holds reads as a page. Writable, or made
 * writable in place: refused. While the live L2 holds it, it may not be
 * named linearly itself.
 */
static void check_linear_l2_other_table(void)
{
    uint64_t *l2 = pte_of(region_start, 2) - ((region_start >> 21) & 511);
    unsigned long l2_mfn = virt_to_mfn(l2);
    uint64_t ptr = maddr_of(&l2[FREE_L2_INDEX]);
    if (!expect_eq(l2[FREE_L2_INDEX], 0))
        return;
    /* b: an L2 whose entry 5 is an L1, whose entry 0 maps `data` */
    unsigned long l1 = zeroed_pfn(), b = zeroed_pfn(), data = alloc_pfn();
    uint64_t *p = map_pfn(l1, true);
    p[0] = pte_for(data, RO_FLAGS);
    unmap_va(p);
    p = map_pfn(b, true);
    p[5] = pte_for(l1, RW_FLAGS);
    unmap_va(p);
    if (!expect_rc(mmuext1(MMUEXT_PIN_L2_TABLE, p2m[b]), 0))
        return;
    expect_rc(mmu_update1(ptr, pte_for(b, LINEAR_RO | PTE_RW)), -XEN_EINVAL);
    if (expect_rc(mmu_update1(ptr, pte_for(b, LINEAR_RO)), 0)) {
        unsigned long va = (region_start & ~((1UL << 30) - 1)) |
                           ((unsigned long)FREE_L2_INDEX << 21) | (5UL << 12);
        /* through a[FREE] -> b (as an L1) -> b[5]: the L1 itself, read-only */
        expect_eq(*(volatile uint64_t *)va & PTE_ADDR, p2m[data] << 12);
        unsigned long c = pinned_table(2);
        /* the live L2 holds a linear entry: no other L2 may name it */
        expect_rc(mmu_update1((p2m[c] << 12) + 8, (l2_mfn << 12) | LINEAR_RO), -XEN_EINVAL);
        /* and it can't be made writable in place */
        expect_rc(mmu_update1(ptr, pte_for(b, RW_FLAGS)), -XEN_EINVAL);
        expect_eq(l2[FREE_L2_INDEX] & PTE_RW, 0);
        expect_rc(mmu_update1(ptr, 0), 0);
        mmuext1(MMUEXT_TLB_FLUSH_LOCAL, 0);
        /* no longer holding one, the live L2 may be named by c */
        if (expect_rc(mmu_update1((p2m[c] << 12) + 8, (l2_mfn << 12) | LINEAR_RO), 0))
            expect_rc(mmu_update1((p2m[c] << 12) + 8, 0), 0);
        expect_rc(mmuext1(MMUEXT_UNPIN_TABLE, p2m[c]), 0);
    }
    expect_rc(mmuext1(MMUEXT_UNPIN_TABLE, p2m[b]), 0);
}

/*
 * No nesting, among pinned L3s: with a -> b linear, b may name no other
 * L3 (its self map is fine: it holds nothing) and no L3 may name a; once
 * a lets go of b, both are possible.
 */
static void check_linear_nesting_refused(void)
{
    unsigned long a = p2m[pinned_table(3)], b = p2m[pinned_table(3)], c = p2m[pinned_table(3)];
    if (expect_rc(mmu_update1((a << 12) + 1 * 8, (b << 12) | LINEAR_RO), 0)) {
        expect_rc(mmu_update1((b << 12) + 2 * 8, (c << 12) | LINEAR_RO), -XEN_EINVAL);
        expect_rc(mmu_update1((c << 12) + 3 * 8, (a << 12) | LINEAR_RO), -XEN_EINVAL);
        expect_rc(mmu_update1((b << 12) + 4 * 8, (b << 12) | LINEAR_RO), 0);
        /* siblings: c -> b beside a -> b */
        expect_rc(mmu_update1((c << 12) + 5 * 8, (b << 12) | LINEAR_RO), 0);
        expect_rc(mmu_update1((a << 12) + 1 * 8, 0), 0);
        expect_rc(mmu_update1((c << 12) + 5 * 8, 0), 0);
        /* b named by nobody now: it may name c, and a may be named */
        expect_rc(mmu_update1((b << 12) + 2 * 8, (c << 12) | LINEAR_RO), 0);
        expect_rc(mmu_update1((a << 12) + 6 * 8, (a << 12) | LINEAR_RO), 0);
        expect_rc(mmu_update1((b << 12) + 2 * 8, 0), 0);
        expect_rc(mmu_update1((b << 12) + 4 * 8, 0), 0);
        expect_rc(mmu_update1((a << 12) + 6 * 8, 0), 0);
    }
    expect_rc(mmuext1(MMUEXT_UNPIN_TABLE, a), 0);
    expect_rc(mmuext1(MMUEXT_UNPIN_TABLE, b), 0);
    expect_rc(mmuext1(MMUEXT_UNPIN_TABLE, c), 0);
}

/* Only the same level: an entry naming a table of any other level than its own or the one below is refused. */
static void check_linear_cross_level_refused(void)
{
    uint64_t *l4 = (uint64_t *)si->pt_base;
    uint64_t *l3 = pte_of(region_start, 3) - ((region_start >> 30) & 511);
    uint64_t *l2 = pte_of(region_start, 2) - ((region_start >> 21) & 511);
    unsigned long mfn[5] = { 0, virt_to_mfn(pte_of(region_start, 1)), virt_to_mfn(l2),
                             virt_to_mfn(l3), virt_to_mfn(l4) };
    uint64_t *table[5] = { 0, 0, l2, l3, l4 };
    unsigned slot[5] = { 0, 0, FREE_L2_INDEX, free_slot(l3, 1, 511), free_slot(l4, 1, 256) };
    for (unsigned from = 2; from <= 4; from++) {
        if (!expect(slot[from], "no free slot in the L%u", from))
            continue;
        uint64_t ptr = virt_to_maddr(&table[from][slot[from]]);
        for (unsigned to = 1; to <= 4; to++) {
            if (to == from || to == from - 1)
                continue;
            expect(mmu_update1(ptr, (mfn[to] << 12) | LINEAR_RO) == -XEN_EINVAL,
                   "L%u entry naming an L%u accepted or refused otherwise", from, to);
        }
        expect_eq(table[from][slot[from]], 0);
    }
}

void mmu_checks(void)
{
    run_check("mmu.update_va_mapping", check_update_va_mapping);
    run_check("mmu.update_va_mapping_refused", check_update_va_mapping_refused);
    run_check("mmu.mmu_update", check_mmu_update_normal);
    run_check("mmu.mmu_update_errors", check_mmu_update_errors);
    run_check("mmu.writable_pagetable_refused", check_writable_pt_refused);
    run_check("mmu.foreign_frame_refused", check_foreign_frame_refused);
    run_check("mmu.mmio_frame", check_mmio_frame);
    run_check("mmu.l1_cache_attrs", check_l1_cache_attrs);
    run_check("mmu.l2_superpage_refused", check_l2_pse_refused);
    run_check("mmu.l4_xen_slot_refused", check_l4_xen_slot_refused);
    run_check("mmu.pin_l1", check_pin_l1);
    run_check("mmu.pin_l2", check_pin_l2);
    run_check("mmu.pin_l3", check_pin_l3);
    run_check("mmu.pin_l4", check_pin_l4);
    run_check("mmu.pin_refused", check_pin_refused);
    run_check("mmu.new_baseptr", check_new_baseptr);
    run_check("mmu.tlb_ops", check_tlb_ops);
    run_check("mmu.machphys_update", check_machphys_update);
    run_check("mmu.writable_pagetables", check_writable_pagetables);
    run_check("mmu.vm_assist_errors", check_vm_assist_errors);
    run_check("mmu.linear_l4_self_map", check_linear_l4_self_map);
    run_check("mmu.linear_l2_other_table", check_linear_l2_other_table);
    run_check("mmu.linear_nesting_refused", check_linear_nesting_refused);
    run_check("mmu.linear_cross_level_refused", check_linear_cross_level_refused);
}
