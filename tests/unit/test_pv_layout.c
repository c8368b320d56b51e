/* The domain builder's layout and construction over simulated memory. */
#include <string.h>
#include <stdlib.h>
#include "unit.h"
#include "fakes.h"
#include <pvshim/pv_layout.h>
#include <pvshim/pv_build.h>
#include <pvshim/paging.h>
#include <pvshim/phys.h>
#include <pvshim/xen_abi.h>
#include <pvshim/compiler.h>

static char err[200];

/* A Linux-like image: VIRT_BASE 0xffffffff80000000, kernel at +16 MiB. */
static struct guest_image linux_like(uint64_t kernel_bytes, bool init_p2m, bool mod_pfn)
{
    struct guest_image img;
    memset(&img, 0, sizeof(img));
    img.elf_class = 64;
    img.xen.virt_base = 0xffffffff80000000ull;
    img.virt_kstart = 0xffffffff81000000ull;
    img.virt_kend = img.virt_kstart + ALIGN_UP(kernel_bytes, PAGE_SIZE);
    img.entry = img.virt_kstart;
    img.xen.has_init_p2m = init_p2m;
    img.xen.virt_init_p2m = 0x8000000000ull;
    img.xen.mod_start_pfn = mod_pfn;
    return img;
}

static void check_layout_invariants(const struct pv_layout *l)
{
    /* Elements are ordered, distinct, inside the boot region, with slack. */
    ck_assert_uint_lt(l->kernel_pfn + l->kernel_pages, l->start_info_pfn + 1);
    ck_assert_uint_lt(l->start_info_pfn, l->xenstore_pfn);
    ck_assert_uint_lt(l->xenstore_pfn, l->console_pfn);
    ck_assert_uint_lt(l->console_pfn, l->pt_pfn);
    ck_assert_uint_eq(l->stack_pfn, l->pt_pfn + l->pt_pages);
    ck_assert_uint_eq(l->virt_end % MiB(4), 0);
    ck_assert_uint_ge(l->virt_end - pv_layout_va(l, l->stack_pfn + 1), KiB(512));
    ck_assert_uint_le(l->pfns_used, l->nr_pages);
    ck_assert_uint_eq(l->pt_pages, 1 + l->nr_l3 + l->nr_l2 + l->nr_l1);
    /* Page tables cover the region: one L1 per 2 MiB at least. */
    ck_assert_uint_ge(l->nr_l1, (l->virt_end - l->virt_base) / MiB(2));
}

START_TEST(layout_memory_sizes)
{
    static const uint64_t sizes_mib[] = { 96, 128, 256, 1024, 4096, 65536 };
    for (size_t i = 0; i < ARRAY_SIZE(sizes_mib); i++) {
        struct guest_image img = linux_like(MiB(30), false, true);
        struct pv_layout l;
        uint64_t nr = sizes_mib[i] << 8;
        ck_assert_msg(pv_layout_compute(&img, nr, MiB(20), &l, err, sizeof(err)) == 0, "%s", err);
        check_layout_invariants(&l);
        ck_assert_uint_eq(l.kernel_pfn, 0x1000);
        ck_assert_uint_eq(l.p2m_pages, DIV_ROUND_UP(nr * 8, PAGE_SIZE));
        ck_assert(!l.initrd_mapped);
        ck_assert_uint_eq(l.initrd_pfn, (l.virt_end - l.virt_base) >> PAGE_SHIFT);
        ck_assert_uint_eq(l.pfns_used, l.initrd_pfn + l.initrd_pages);
    }
}
END_TEST

START_TEST(layout_mapped_initrd_and_relocated_p2m)
{
    struct guest_image img = linux_like(MiB(8), true, false);
    struct pv_layout l;
    ck_assert_int_eq(pv_layout_compute(&img, 262144, MiB(3) + 5, &l, err, sizeof(err)), 0);
    check_layout_invariants(&l);
    ck_assert(l.initrd_mapped);
    ck_assert_uint_eq(l.initrd_pfn, l.kernel_pfn + l.kernel_pages);
    ck_assert_uint_eq(l.initrd_pages, 769);
    ck_assert(l.p2m_relocated);
    ck_assert_uint_eq(l.p2m_va, 0x8000000000ull);
    ck_assert_uint_eq(l.start_info_pfn, l.initrd_pfn + l.initrd_pages);
    ck_assert_uint_eq(l.nr_ranges, 2);
    ck_assert_uint_eq(l.ranges[0].start, 0x8000000000ull);     /* sorted by address */
    ck_assert_uint_eq(l.ranges[0].first_pfn, l.p2m_pfn);
    ck_assert_uint_eq(l.nr_l3, 2);      /* two L4 slots */
}
END_TEST

START_TEST(layout_too_little_memory)
{
    struct guest_image img = linux_like(MiB(30), false, true);
    struct pv_layout l;
    ck_assert_int_eq(pv_layout_compute(&img, 4096, 0, &l, err, sizeof(err)), -1);
    ck_assert_ptr_nonnull(strstr(err, "too little memory"));
    /* Enough for the kernel but not the region after it. */
    ck_assert_int_eq(pv_layout_compute(&img, 0x1000 + (MiB(30) >> 12) + 10, 0, &l, err,
                                       sizeof(err)), -1);
    ck_assert_ptr_nonnull(strstr(err, "too little memory"));
}
END_TEST

START_TEST(layout_bad_addresses)
{
    struct guest_image img = linux_like(MiB(1), false, true);
    struct pv_layout l;
    img.virt_kstart = img.xen.virt_base - PAGE_SIZE;     /* below VIRT_BASE */
    ck_assert_int_eq(pv_layout_compute(&img, 65536, 0, &l, err, sizeof(err)), -1);
    img = linux_like(MiB(1), true, true);
    img.xen.virt_init_p2m = 0xffffffff81000000ull;       /* inside the boot region */
    ck_assert_int_eq(pv_layout_compute(&img, 65536, 0, &l, err, sizeof(err)), -1);
    ck_assert_ptr_nonnull(strstr(err, "overlaps"));
    img.xen.virt_init_p2m = 0xfffffffffffff000ull;       /* would wrap */
    ck_assert_int_eq(pv_layout_compute(&img, 65536, 0, &l, err, sizeof(err)), -1);
}
END_TEST

/* ------------------------------------------------------------ building */

#define SIM_FRAMES  8192u               /* 32 MiB of simulated machine memory */
#define SIM_BASE    0x100000ull

static uint8_t elf_bytes[4 * PAGE_SIZE];

START_TEST(build_small_domain)
{
    fake_phys_reset();
    fake_phys_add(SIM_BASE, SIM_FRAMES * PAGE_SIZE);
    struct frame_pool pool;
    frame_pool_init(&pool);
    ck_assert(frame_pool_free(&pool, SIM_BASE >> 12, SIM_FRAMES));
    mfn_t max_mfn = (SIM_BASE >> 12) + SIM_FRAMES;
    uint64_t *m2p = calloc(max_mfn, sizeof(uint64_t));

    struct guest_image img;
    memset(&img, 0, sizeof(img));
    img.elf_class = 64;
    img.elf = elf_bytes;
    img.elf_size = sizeof(elf_bytes);
    for (unsigned i = 0; i < sizeof(elf_bytes); i++)
        elf_bytes[i] = (uint8_t)(i * 7);
    img.xen.virt_base = 0xffffffff80000000ull;
    img.virt_kstart = img.xen.virt_base;
    img.virt_kend = img.virt_kstart + 4 * PAGE_SIZE;
    img.entry = img.virt_kstart + 0x10;
    img.nr_segments = 1;
    img.segments[0] = (struct guest_segment){ .vaddr = img.virt_kstart, .filesz = 2 * PAGE_SIZE + 5,
                                              .memsz = 4 * PAGE_SIZE, .offset = PAGE_SIZE };
    img.xen.has_hypercall_page = true;
    img.xen.virt_hypercall = img.virt_kstart + 3 * PAGE_SIZE;

    uint64_t hyp_slots[16];
    for (int i = 0; i < 16; i++)
        hyp_slots[i] = 0xabc000ull + (uint64_t)i * 0x1000 + 3;
    uint8_t initrd[5000];
    memset(initrd, 0x5a, sizeof(initrd));

    struct pv_build_params p = {
        .img = &img, .initrd = initrd, .initrd_len = sizeof(initrd),
        .cmdline = "console=hvc0 root=/dev/ram0",
        .nr_pages = SIM_FRAMES - 16, .pool = &pool, .m2p = m2p, .max_mfn = max_mfn,
        .hypervisor_l4_slots = hyp_slots, .shared_info_maddr = 0x5000,
        .console_evtchn = 2, .xenstore_evtchn = 3,
    };
    static struct pv_build_state s;
    ck_assert_msg(pv_build_boot(&p, &s, err, sizeof(err)) == 0, "%s", err);
    ck_assert_msg(pv_build_finish(&p, &s, err, sizeof(err)) == 0, "%s", err);
    const struct pv_layout *l = &s.layout;

    /* Every pfn has a distinct frame and the M2P inverts the p2m. */
    for (pfn_t pfn = 0; pfn < p.nr_pages; pfn++) {
        ck_assert_uint_ne(s.p2m[pfn], INVALID_MFN);
        ck_assert_uint_eq(m2p[s.p2m[pfn]], pfn);
    }
    ck_assert_uint_eq(pool.free_frames, 16);

    /* start_info */
    const struct start_info *si = phys_access_frame(s.start_info_mfn);
    ck_assert_str_eq(si->magic, "xen-3.0-x86_64");
    ck_assert_uint_eq(si->nr_pages, p.nr_pages);
    ck_assert_uint_eq(si->shared_info, 0x5000);
    ck_assert_uint_eq(si->store_evtchn, 3);
    ck_assert_uint_eq(si->console.domU.evtchn, 2);
    ck_assert_uint_eq(si->store_mfn, s.p2m[l->xenstore_pfn]);
    ck_assert_uint_eq(si->pt_base, pv_layout_va(l, l->pt_pfn));
    ck_assert_uint_eq(si->nr_pt_frames, l->pt_pages);
    ck_assert_uint_eq(si->mfn_list, pv_layout_va(l, l->p2m_pfn));
    ck_assert_uint_eq(si->mod_start, pv_layout_va(l, l->initrd_pfn));
    ck_assert_uint_eq(si->mod_len, sizeof(initrd));
    ck_assert_str_eq((const char *)si->cmd_line, "console=hvc0 root=/dev/ram0");
    ck_assert_uint_eq(si->flags, 0);

    /* Kernel bytes, bss zeroed, initrd, hypercall page. */
    const uint8_t *k0 = phys_access_frame(s.p2m[l->kernel_pfn]);
    ck_assert(!memcmp(k0, elf_bytes + PAGE_SIZE, PAGE_SIZE));
    const uint8_t *k2 = phys_access_frame(s.p2m[l->kernel_pfn + 2]);
    ck_assert_int_eq(k2[4], elf_bytes[PAGE_SIZE + 2 * PAGE_SIZE + 4]);
    ck_assert_int_eq(k2[5], 0);
    const uint8_t *rd = phys_access_frame(s.p2m[l->initrd_pfn + 1]);
    ck_assert_int_eq(rd[0], 0x5a);
    ck_assert_int_eq(rd[5000 - 4096], 0);
    const uint8_t *hp = phys_access_frame(s.p2m[l->kernel_pfn + 3]);
    ck_assert_int_eq(hp[0], 0x51);                   /* push %rcx */
    ck_assert_int_eq(hp[4], 0);                      /* mov $0,%eax */
    ck_assert_int_eq(hp[23 * 32 + 3], 0x50);         /* iret stub pushes %rax */
    ck_assert_int_eq(hp[1 * 32 + 4], 1);

    /* Walk the page tables: every region page maps its pfn; tables are read-only. */
    const pte_t *l4 = phys_access_frame(s.l4_mfn);
    for (int i = 0; i < 16; i++)
        ck_assert_uint_eq(l4[256 + i], hyp_slots[i]);
    for (uint64_t va = l->virt_base; va < l->virt_end; va += PAGE_SIZE) {
        pte_t e = l4[pt_index(va, L4_SHIFT)];
        ck_assert(e & PTE_P);
        const pte_t *t3 = phys_access_frame(paddr_to_mfn(e & PTE_ADDR_MASK));
        e = t3[pt_index(va, L3_SHIFT)];
        const pte_t *t2 = phys_access_frame(paddr_to_mfn(e & PTE_ADDR_MASK));
        e = t2[pt_index(va, L2_SHIFT)];
        const pte_t *t1 = phys_access_frame(paddr_to_mfn(e & PTE_ADDR_MASK));
        e = t1[pt_index(va, L1_SHIFT)];
        pfn_t pfn = (va - l->virt_base) >> PAGE_SHIFT;
        ck_assert_uint_eq(e & PTE_ADDR_MASK, mfn_to_paddr(s.p2m[pfn]));
        ck_assert(e & PTE_US);
        bool is_pt = pfn >= l->pt_pfn && pfn < l->pt_pfn + l->pt_pages;
        ck_assert_int_eq(!!(e & PTE_RW), !is_pt);
    }

    /* Entry state. */
    ck_assert_uint_eq(s.entry.rip, img.entry);
    ck_assert_uint_eq(s.entry.rsi, pv_layout_va(l, l->start_info_pfn));
    ck_assert_uint_eq(s.entry.rsp, pv_layout_va(l, l->stack_pfn + 1));
    ck_assert_uint_eq(s.entry.cs, 0xe033);
    ck_assert_uint_eq(s.entry.ss, 0xe02b);
    ck_assert_uint_eq(s.entry.rflags, 0x202);
    free(m2p);
}
END_TEST

START_TEST(build_refuses_hypercall_page_outside_kernel)
{
    fake_phys_reset();
    fake_phys_add(SIM_BASE, 2048 * PAGE_SIZE);
    struct frame_pool pool;
    frame_pool_init(&pool);
    frame_pool_free(&pool, SIM_BASE >> 12, 2048);
    uint64_t *m2p = calloc((SIM_BASE >> 12) + 2048, 8);
    struct guest_image img;
    memset(&img, 0, sizeof(img));
    img.elf = elf_bytes;
    img.xen.virt_base = 0xffffffff80000000ull;
    img.virt_kstart = img.xen.virt_base;
    img.virt_kend = img.virt_kstart + PAGE_SIZE;
    img.xen.has_hypercall_page = true;
    img.xen.virt_hypercall = img.virt_kstart + 0x10000;
    uint64_t slots[16] = { 0 };
    struct pv_build_params p = { .img = &img, .nr_pages = 2000, .pool = &pool, .m2p = m2p,
                                 .max_mfn = (SIM_BASE >> 12) + 2048,
                                 .hypervisor_l4_slots = slots };
    static struct pv_build_state s;
    ck_assert_int_eq(pv_build_boot(&p, &s, err, sizeof(err)), -1);
    ck_assert_ptr_nonnull(strstr(err, "hypercall page"));
    free(m2p);
}
END_TEST

static Suite *pv_layout_suite(void)
{
    Suite *s = suite_create("pv_layout");
    TCase *tc = tcase_create("layout");
    tcase_add_test(tc, layout_memory_sizes);
    tcase_add_test(tc, layout_mapped_initrd_and_relocated_p2m);
    tcase_add_test(tc, layout_too_little_memory);
    tcase_add_test(tc, layout_bad_addresses);
    suite_add_tcase(s, tc);
    tc = tcase_create("build");
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, build_small_domain);
    tcase_add_test(tc, build_refuses_hypercall_page_outside_kernel);
    suite_add_tcase(s, tc);
    return s;
}
UNIT_SUITE(pv_layout_suite)
