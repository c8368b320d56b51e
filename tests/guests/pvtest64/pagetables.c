/*
 * Stage 1: the initial page tables, walked from the L4 at pt_base (which
 * boot.c checked is CR3): the region is mapped 1:1 onto pseudo-physical
 * frames, the page-table frames are exactly the ones start_info names and
 * are mapped read-only, and Xen's L4 slots are there.
 */
#include "pvtest.h"
#include "hypercall.h"
#include "traps.h"

static bool is_pt_frame(unsigned long mfn)
{
    for (unsigned long i = 0; i < si->nr_pt_frames; i++)
        if (virt_to_mfn((void *)(si->pt_base + i * PG_SIZE)) == mfn)
            return true;
    return false;
}

/* Every page of the region maps its own pseudo-physical frame. */
static void check_region_mapping(void)
{

    for (unsigned long va = region_start; va < region_end; va += PG_SIZE) {
        uint64_t *pte = pte_of(va, 1);
        if (va == (unsigned long)shared_info_page)
            continue;           /* boot.c mapped shared_info there */
        if (!expect(pte && (*pte & PTE_P), "%#lx not mapped", va))
            return;
        unsigned long pfn = (va - region_start) >> 12;
        if (!expect(((*pte & PTE_ADDR) >> 12) == p2m[pfn],
                    "%#lx maps mfn %#lx, p2m[%#lx] = %#lx", va,
                    (unsigned long)((*pte & PTE_ADDR) >> 12), pfn, p2m[pfn]))
            return;
        if (!expect(*pte & PTE_US, "%#lx lacks _PAGE_USER (pte %#lx)", va,
                    (unsigned long)*pte))
            return;
    }
    /* Nothing mapped right after the region in its last L1. */
    uint64_t *after = pte_of(region_end, 1);
    expect(!after || !(*after & PTE_P), "%#lx mapped after the region",
           region_end);
}

/* The tables reachable from the L4's guest slots are the pt_base frames;
 * they and only they are mapped read-only. */
static void check_tables_are_pt_frames(void)
{
    const uint64_t *l4 = (const uint64_t *)si->pt_base;
    unsigned reached = 1;           /* the L4 itself */
    for (unsigned i4 = 0; i4 < 512; i4++) {
        if ((i4 >= 256 && i4 < 272) || !(l4[i4] & PTE_P))
            continue;
        unsigned long va4 = (unsigned long)i4 << 39;
        if (i4 >= 256)
            va4 |= 0xffff000000000000UL;
        const uint64_t *l3 = (const uint64_t *)pte_of(va4, 3) - ((va4 >> 30) & 511);
        if (!expect(is_pt_frame((l4[i4] & PTE_ADDR) >> 12), "L4[%u] -> not a pt frame", i4))
            return;
        reached++;
        for (unsigned i3 = 0; i3 < 512; i3++) {
            if (!(l3[i3] & PTE_P))
                continue;
            expect(!(l3[i3] & PTE_PSE), "L3[%u] is a 1 GiB page", i3);
            if (!expect(is_pt_frame((l3[i3] & PTE_ADDR) >> 12), "L3[%u] -> not a pt frame", i3))
                return;
            reached++;
            unsigned long va3 = va4 | ((unsigned long)i3 << 30);
            const uint64_t *l2 = (const uint64_t *)pte_of(va3, 2) - ((va3 >> 21) & 511);
            for (unsigned i2 = 0; i2 < 512; i2++) {
                if (!(l2[i2] & PTE_P))
                    continue;
                expect(!(l2[i2] & PTE_PSE), "L2[%u] is a 2 MiB page", i2);
                if (!expect(is_pt_frame((l2[i2] & PTE_ADDR) >> 12), "L2[%u] -> not a pt frame", i2))
                    return;
                reached++;
            }
        }
    }
    expect(reached <= si->nr_pt_frames, "%u tables, nr_pt_frames %lu",
           reached, si->nr_pt_frames);
    if (reached != si->nr_pt_frames)
        printf("INFO %lu of nr_pt_frames unused\n", si->nr_pt_frames - reached);
}

static void check_tables_read_only(void)
{
    for (unsigned long va = region_start; va < region_end; va += PG_SIZE) {
        uint64_t pte = *pte_of(va, 1);

        if (va == (unsigned long)shared_info_page)
            continue;
        bool pt = is_pt_frame((pte & PTE_ADDR) >> 12);
        bool in_pt_range = va >= si->pt_base &&
                           va < si->pt_base + si->nr_pt_frames * PG_SIZE;
        expect(pt == in_pt_range, "%#lx: page-table frame outside pt_base", va);
        if (pt && !expect(!(pte & PTE_RW), "page table at %#lx mapped writable", va))
            return;
        if (!pt && !expect(pte & PTE_RW, "%#lx mapped read-only", va))
            return;
    }
}

static void check_hypervisor_slots(void)
{
    const uint64_t *l4 = (const uint64_t *)si->pt_base;
    /* Slot 256 holds the read-only M2P (and Xen): it must be present. */
    expect(l4[256] & PTE_P, "L4[256] not present");
    /* The slots around Xen's belong to the guest: ours are empty. */
    expect(!(l4[255] & PTE_P) && !(l4[272] & PTE_P), "guest slots around Xen's in use");
    expect(l4[511] & PTE_P, "L4[511] (our image) not present");
}

/* A guest access to Xen's own area faults with a protection #PF. */
static void check_hypervisor_area_protected(void)
{
    unsigned before = last_trap.count;
    unsigned long xen_va = 0xffff830000000000UL;    /* Xen's direct map */
    trap_resume_rip = (unsigned long)probe_read_after;
    probe_read((void *)xen_va);
    if (!expect_trap(before, 14, probe_read_insn))
        return;
    expect_eq(last_trap.cr2, xen_va);
    /* A read; the U bit tells guest user from guest kernel mode (not the
     * ring), so it is clear here. Present or not is Xen's business. */
    expect_eq(last_trap.frame.error_code & ~1UL, 0);
}

void pagetable_checks(void)
{
    run_check("pagetables.region_mapping", check_region_mapping);
    run_check("pagetables.tables_are_pt_frames", check_tables_are_pt_frames);
    run_check("pagetables.tables_read_only", check_tables_read_only);
    run_check("pagetables.hypervisor_slots", check_hypervisor_slots);
    run_check("pagetables.hypervisor_area_protected",
              check_hypervisor_area_protected);
}
