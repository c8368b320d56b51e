/* pvtest32: the start-of-day state, then each area's checks in turn. */
#include "pvtest32.h"

start_info_t *si;
shared_info_t *shinfo;
uint32_t *p2m;
uint32_t region_end;
static uint8_t initial_mask;

void pvtest_main(start_info_t *start) __attribute__((noreturn));

/* The first unmapped page above VIRT_BASE ends the initial region. */
static void find_region_end(void)
{
    region_end = si->pt_base + si->nr_pt_frames * PG_SIZE;
    uint32_t va = VIRT_BASE;
    for (;;) {
        uint64_t *e = pte_of(va, 1);
        if (!e || !(*e & PTE_P))
            break;
        va += PG_SIZE;
    }
    region_end = va;
}

/* shared_info is not mapped at boot: put it over a page of the slack. */
static void map_shared_info(void)
{
    uint32_t va = region_end - 64 * PG_SIZE;
    uint64_t pte = si->shared_info | PTE_P | PTE_RW | PTE_A | PTE_D;
    long rc = hypercall4(__HYPERVISOR_update_va_mapping, va, (uint32_t)pte,
                         (uint32_t)(pte >> 32), UVMF_INVLPG);
    if (rc) {
        printf("FAIL boot.shared_info: update_va_mapping returned %ld\n", rc);
        for (;;)
            ;
    }
    shinfo = (shared_info_t *)va;
}

void pvtest_main(start_info_t *start)
{
    si = start;
    p2m = (uint32_t *)si->mfn_list;
    find_region_end();
    map_shared_info();
    initial_mask = shinfo->vcpu_info[0].evtchn_upcall_mask;
    trap_setup();

    printf("pvtest32: starting\n");
    printf("INFO cmd_line: \"%s\"\n", (const char *)si->cmd_line);
    boot_checks();
    hypercall_checks();
    trap_checks();
    event_checks();
    mm_checks();
    grant_checks();
    user_checks();
    compat_checks();
    xlat_checks();
    hostile_checks();
    smp_checks();
    print_summary_and_exit();
}

/* ------------------------------------------------------------------ boot */

static void check_selectors(void)
{
    expect_eq(entry_regs.cs, RING1_CS);
    expect_eq(entry_regs.ss, RING1_DS);
    expect_eq(entry_regs.ds, RING1_DS);
    expect_eq(entry_regs.es, RING1_DS);
    expect_eq(entry_regs.fs, RING1_DS);
    expect_eq(entry_regs.gs, RING1_DS);
}

static void check_entry_regs(void)
{
    expect_eq(entry_regs.esi, (uint32_t)si);
    expect(entry_regs.esp > VIRT_BASE && entry_regs.esp <= region_end,
           "esp %#x outside the region", (unsigned)entry_regs.esp);
    expect_eq(initial_mask, 1);
}

static void check_start_info(void)
{
    expect(!memcmp(si->magic, "xen-3.0-x86_32p", 16), "magic \"%s\"", si->magic);
    expect(si->nr_pages > 0, "nr_pages 0");
    expect(si->pt_base >= VIRT_BASE && si->pt_base < region_end && !(si->pt_base & 0xfff),
           "pt_base %#lx", si->pt_base);
    expect(si->nr_pt_frames >= 4, "nr_pt_frames %lu", si->nr_pt_frames);
    expect(si->mfn_list >= VIRT_BASE && si->mfn_list < region_end, "mfn_list %#lx",
           si->mfn_list);
    expect(si->store_mfn && si->console.domU.mfn, "store/console mfn 0");
    expect(!(si->shared_info & 0xfff), "shared_info %#lx", si->shared_info);
    expect((region_end & 0x3fffff) == 0, "region end %#x not 4 MiB aligned",
           (unsigned)region_end);
}

/* The L3 is the root: slot 3 present (pvshim's L2 slots), the rest of the page 0. */
static void check_pae_root(void)
{
    uint64_t *l3 = (uint64_t *)si->pt_base;
    expect(l3[3] & PTE_P, "L3 slot 3 %#llx not present", (unsigned long long)l3[3]);
    for (unsigned i = 4; i < 512; i++)
        if (!expect(l3[i] == 0, "L3 entry %u %#llx", i, (unsigned long long)l3[i]))
            break;
    uint64_t *l2 = pte_of(0xf5800000u, 2);
    expect(l2 && (*l2 & (PTE_P | PTE_PSE)) == (PTE_P | PTE_PSE) && !(*l2 & (PTE_US | PTE_RW)),
           "compat M2P L2 entry %#llx", l2 ? (unsigned long long)*l2 : 0ull);
}

void boot_checks(void)
{
    run_check("boot.selectors", check_selectors);
    run_check("boot.entry_regs", check_entry_regs);
    run_check("boot.start_info", check_start_info);
    run_check("boot.pae_root", check_pae_root);
}
