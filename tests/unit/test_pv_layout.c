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
#include <pvshim/xen_abi32.h>
#include <pvshim/compiler.h>
#include "mm.h"
#include "domain.h"

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

/* A 32-bit PAE image: VIRT_BASE 0xc0000000 (Linux) or 0 (GRUB, Mini-OS). */
static struct guest_image pae_like(uint64_t virt_base, uint64_t kernel_bytes)
{
    struct guest_image img;
    memset(&img, 0, sizeof(img));
    img.elf_class = 32;
    img.xen.pae = GUEST_PAE_EXTENDED_CR3;
    img.xen.virt_base = virt_base;
    img.virt_kstart = virt_base + MiB(1);
    img.virt_kend = img.virt_kstart + ALIGN_UP(kernel_bytes, PAGE_SIZE);
    img.entry = img.virt_kstart;
    return img;
}

START_TEST(layout_pae)
{
    /* Linux: the region is in L3 slot 3, the top L2 is one of its own. */
    struct guest_image img = pae_like(0xc0000000ull, MiB(4));
    struct pv_layout l;
    ck_assert_msg(pv_layout_compute(&img, 65536, MiB(2), &l, err, sizeof(err)) == 0, "%s", err);
    check_layout_invariants(&l);
    ck_assert_uint_eq(l.levels, 3);
    ck_assert_uint_eq(l.p2m_entry_size, 4);
    ck_assert_uint_eq(l.p2m_pages, 64);         /* 65536 4-byte entries */
    ck_assert_uint_eq(l.nr_l3, 0);              /* the root is the L3 */
    ck_assert_uint_eq(l.nr_l2, 1);
    ck_assert_uint_eq(l.nr_l1, (l.virt_end - l.virt_base) / MiB(2));

    /* GRUB / Mini-OS: the region in slot 0, plus the top L2 for the hypervisor slots. */
    img = pae_like(0, MiB(1));
    ck_assert_msg(pv_layout_compute(&img, 65536, 0, &l, err, sizeof(err)) == 0, "%s", err);
    check_layout_invariants(&l);
    ck_assert_uint_eq(l.nr_l2, 2);

    /* A 64-bit guest keeps 8-byte entries and four levels. */
    img = linux_like(MiB(4), false, true);
    ck_assert_int_eq(pv_layout_compute(&img, 65536, 0, &l, err, sizeof(err)), 0);
    ck_assert_uint_eq(l.levels, 4);
    ck_assert_uint_eq(l.p2m_pages, 128);
}
END_TEST

START_TEST(layout_pae_refusals)
{
    /* The boot region may not reach the hypervisor hole at 0xf5800000. */
    struct guest_image img = pae_like(0xf5400000ull, MiB(4));
    struct pv_layout l;
    ck_assert_int_eq(pv_layout_compute(&img, 65536, 0, &l, err, sizeof(err)), -1);
    ck_assert_ptr_nonnull(strstr(err, "hypervisor hole at 0xf5800000"));
    /* A big p2m pushes a kernel high up into it too. */
    img = pae_like(0xf0000000ull, MiB(4));
    ck_assert_int_eq(pv_layout_compute(&img, 65536, 0, &l, err, sizeof(err)), 0);
    ck_assert_int_eq(pv_layout_compute(&img, 65536ull * 1024, 0, &l, err, sizeof(err)), -1);
    ck_assert_ptr_nonnull(strstr(err, "hypervisor hole"));
    img = pae_like(0xc0000000ull, MiB(4));
    img.xen.has_init_p2m = true;
    img.xen.virt_init_p2m = 0x40000000;
    ck_assert_int_eq(pv_layout_compute(&img, 65536, 0, &l, err, sizeof(err)), -1);
    ck_assert_ptr_nonnull(strstr(err, "INIT_P2M is for 64-bit guests only"));
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

/* ------------------------------------------------------------ building a PAE guest */

#define HIGH_BASE   (1ull << 32)        /* simulated memory above 4 GiB */

struct pae_sim {
    struct frame_pool pool;
    mfn_t max_mfn;
    uint64_t *m2p;
    uint32_t *compat_m2p;
    uint64_t xen_slots[COMPAT_L2_XEN_SLOTS];
    struct guest_image img;
    struct pv_build_params p;
};

/* low_frames below 4 GiB (at SIM_BASE) and SIM_FRAMES above. */
static void pae_sim_init(struct pae_sim *t, unsigned low_frames, enum guest_pae_mode pae)
{
    memset(t, 0, sizeof(*t));
    fake_phys_reset();
    frame_pool_init(&t->pool);
    if (low_frames) {
        fake_phys_add(SIM_BASE, low_frames * PAGE_SIZE);
        ck_assert(frame_pool_free(&t->pool, SIM_BASE >> 12, low_frames));
    }
    fake_phys_add(HIGH_BASE, SIM_FRAMES * PAGE_SIZE);
    ck_assert(frame_pool_free(&t->pool, HIGH_BASE >> 12, SIM_FRAMES));
    t->max_mfn = (HIGH_BASE >> 12) + SIM_FRAMES;
    t->m2p = calloc(t->max_mfn, sizeof(uint64_t));
    t->compat_m2p = calloc(t->max_mfn, sizeof(uint32_t));
    pv_compat_m2p_l2_slots(0x7e00000, MiB(4), t->xen_slots);

    struct guest_image *img = &t->img;
    img->elf_class = 32;
    img->machine = 3;
    img->elf = elf_bytes;
    img->elf_size = sizeof(elf_bytes);
    for (unsigned i = 0; i < sizeof(elf_bytes); i++)
        elf_bytes[i] = (uint8_t)(i * 7);
    img->xen.pae = pae;
    img->xen.virt_base = 0xc0000000ull;
    img->virt_kstart = img->xen.virt_base;
    img->virt_kend = img->virt_kstart + 4 * PAGE_SIZE;
    img->entry = img->virt_kstart + 0x10;
    img->nr_segments = 1;
    img->segments[0] = (struct guest_segment){ .vaddr = img->virt_kstart,
                                               .filesz = 2 * PAGE_SIZE + 5,
                                               .memsz = 4 * PAGE_SIZE, .offset = PAGE_SIZE };
    img->xen.has_hypercall_page = true;
    img->xen.virt_hypercall = img->virt_kstart + 3 * PAGE_SIZE;

    t->p = (struct pv_build_params){
        .img = img, .cmdline = "console=hvc0",
        .nr_pages = SIM_FRAMES - 64, .pool = &t->pool, .m2p = t->m2p, .max_mfn = t->max_mfn,
        .compat_m2p = t->compat_m2p, .compat_l2_xen_slots = t->xen_slots,
        .shared_info_maddr = 0x5000, .console_evtchn = 2, .xenstore_evtchn = 3,
    };
}

static void pae_sim_free(struct pae_sim *t)
{
    free(t->m2p);
    free(t->compat_m2p);
}

START_TEST(build_pae_domain)
{
    static struct pae_sim t;
    pae_sim_init(&t, 4, GUEST_PAE_YES);
    static uint8_t initrd[5000];
    memset(initrd, 0x5a, sizeof(initrd));
    t.p.initrd = initrd;
    t.p.initrd_len = sizeof(initrd);
    static struct pv_build_state s;
    ck_assert_msg(pv_build_boot(&t.p, &s, err, sizeof(err)) == 0, "%s", err);
    ck_assert_msg(pv_build_finish(&t.p, &s, err, sizeof(err)) == 0, "%s", err);
    const struct pv_layout *l = &s.layout;
    ck_assert_uint_eq(l->levels, 3);

    /* pvshim's own p2m array is not a guest frame; every other frame is. */
    ck_assert_uint_eq(s.p2m_view_pages, DIV_ROUND_UP(t.p.nr_pages * 8, PAGE_SIZE));
    ck_assert_uint_eq(t.pool.free_frames, SIM_FRAMES + 4 - t.p.nr_pages - s.p2m_view_pages);

    /* The guest's p2m list has 4-byte entries; both M2Ps invert it. */
    for (pfn_t pfn = 0; pfn < t.p.nr_pages; pfn++) {
        mfn_t m = s.p2m[pfn];
        ck_assert_uint_ne(m, INVALID_MFN);
        ck_assert_uint_lt(m, t.max_mfn);
        ck_assert(m < s.p2m_view_mfn || m >= s.p2m_view_mfn + s.p2m_view_pages);
        const uint32_t *list = phys_access_frame(s.p2m[l->p2m_pfn + pfn / 1024]);
        ck_assert_uint_eq(list[pfn % 1024], m);
        ck_assert_uint_eq(t.m2p[m], pfn);
        ck_assert_uint_eq(t.compat_m2p[m], pfn);
    }
    ck_assert_uint_eq(t.compat_m2p[s.p2m_view_mfn], 0xffffffffu);

    /* start_info in the 32-bit layout. */
    const struct start_info_x86_32 *si = phys_access_frame(s.start_info_mfn);
    ck_assert_str_eq(si->magic, "xen-3.0-x86_32p");
    ck_assert_uint_eq(si->nr_pages, t.p.nr_pages);
    ck_assert_uint_eq(si->shared_info, 0x5000);
    ck_assert_uint_eq(si->store_mfn, s.xenstore_mfn);
    ck_assert_uint_eq(si->store_evtchn, 3);
    ck_assert_uint_eq(si->console.domU.mfn, s.console_mfn);
    ck_assert_uint_eq(si->console.domU.evtchn, 2);
    ck_assert_uint_eq(si->pt_base, pv_layout_va(l, l->pt_pfn));
    ck_assert_uint_eq(si->nr_pt_frames, l->pt_pages);
    ck_assert_uint_eq(si->mfn_list, pv_layout_va(l, l->p2m_pfn));
    ck_assert_uint_eq(si->mod_start, pv_layout_va(l, l->initrd_pfn));
    ck_assert_uint_eq(si->mod_len, sizeof(initrd));
    ck_assert_uint_eq(si->flags, 0);
    ck_assert_str_eq((const char *)si->cmd_line, "console=hvc0");
    ck_assert_uint_eq(s.start_info_va, pv_layout_va(l, l->start_info_pfn));

    /* Kernel bytes and the int $0x82 hypercall page. */
    const uint8_t *k0 = phys_access_frame(s.p2m[l->kernel_pfn]);
    ck_assert(!memcmp(k0, elf_bytes + PAGE_SIZE, PAGE_SIZE));
    const uint8_t *hp = phys_access_frame(s.p2m[l->kernel_pfn + 3]);
    static const uint8_t stub5[] = { 0xb8, 5, 0, 0, 0, 0xcd, 0x82, 0xc3, 0xcc };
    ck_assert(!memcmp(hp + 5 * 32, stub5, sizeof(stub5)));
    static const uint8_t iret[] = { 0x50, 0xb8, 23, 0, 0, 0, 0xcd, 0x82, 0xcc };
    ck_assert(!memcmp(hp + 23 * 32, iret, sizeof(iret)));
    ck_assert_int_eq(hp[31], 0xcc);

    /* The root is a PAE L3 below 4 GiB (PAE "yes": no extended-cr3). */
    ck_assert_uint_eq(s.l4_mfn, INVALID_MFN);
    ck_assert_uint_eq(s.pae_l3_mfn, s.p2m[l->pt_pfn]);
    ck_assert_uint_eq(s.pae_l3_mfn, SIM_BASE >> 12);
    const pte_t *l3 = phys_access_frame(s.pae_l3_mfn);
    for (unsigned i = 4; i < 512; i++)
        ck_assert_uint_eq(l3[i], 0);
    ck_assert_uint_eq(l3[0] | l3[1] | l3[2], 0);
    ck_assert_uint_eq(l3[3] & ~PTE_ADDR_MASK, PTE_P);

    /* Every region page maps its pfn, supervisor-only; page tables read-only. */
    for (uint64_t va = l->virt_base; va < l->virt_end; va += PAGE_SIZE) {
        pte_t e = l3[pt_index(va, L3_SHIFT)];
        const pte_t *t2 = phys_access_frame(paddr_to_mfn(e & PTE_ADDR_MASK));
        e = t2[pt_index(va, L2_SHIFT)];
        ck_assert_uint_eq(e & ~PTE_ADDR_MASK, PTE_P | PTE_RW | PTE_US | PTE_A);
        const pte_t *t1 = phys_access_frame(paddr_to_mfn(e & PTE_ADDR_MASK));
        e = t1[pt_index(va, L1_SHIFT)];
        pfn_t pfn = (va - l->virt_base) >> PAGE_SHIFT;
        ck_assert_uint_eq(e & PTE_ADDR_MASK, mfn_to_paddr(s.p2m[pfn]));
        ck_assert(!(e & PTE_US));
        bool is_pt = pfn >= l->pt_pfn && pfn < l->pt_pfn + l->pt_pages;
        ck_assert_int_eq(!!(e & PTE_RW), !is_pt);
    }
    /* The top L2 carries the compat M2P slots from 0xf5800000 on. */
    const pte_t *top = phys_access_frame(paddr_to_mfn(l3[3] & PTE_ADDR_MASK));
    for (unsigned i = 0; i < COMPAT_L2_XEN_SLOTS; i++)
        ck_assert_uint_eq(top[428 + i], t.xen_slots[i]);
    ck_assert_uint_eq(top[428], 0x7e00000ull | PTE_P | PTE_PS);

    /* Entry in ring 1 with the flat 32-bit selectors. */
    ck_assert_uint_eq(s.entry.rip, t.img.entry);
    ck_assert_uint_eq(s.entry.rsi, s.start_info_va);
    ck_assert_uint_eq(s.entry.rsp, pv_layout_va(l, l->stack_pfn + 1));
    ck_assert_uint_eq(s.entry.cs, 0xe019);
    ck_assert_uint_eq(s.entry.ss, 0xe021);
    ck_assert_uint_eq(s.entry.rflags, 0x202);
    pae_sim_free(&t);
}
END_TEST

START_TEST(build_pae_l3_below_4g)
{
    static struct pae_sim t;
    static struct pv_build_state s;
    /* No memory below 4 GiB: a guest without extended-cr3 cannot be built... */
    pae_sim_init(&t, 0, GUEST_PAE_YES);
    ck_assert_int_eq(pv_build_boot(&t.p, &s, err, sizeof(err)), -1);
    ck_assert_ptr_nonnull(strstr(err, "no frame below 4 GiB for the PAE L3"));
    pae_sim_free(&t);
    /* ...one with it can, its L3 above 4 GiB. */
    pae_sim_init(&t, 0, GUEST_PAE_EXTENDED_CR3);
    ck_assert_msg(pv_build_boot(&t.p, &s, err, sizeof(err)) == 0, "%s", err);
    ck_assert_uint_ge(s.pae_l3_mfn, HIGH_BASE >> 12);
    pae_sim_free(&t);
    /* With low memory even an extended-cr3 guest gets its L3 there. */
    pae_sim_init(&t, 2, GUEST_PAE_EXTENDED_CR3);
    ck_assert_msg(pv_build_boot(&t.p, &s, err, sizeof(err)) == 0, "%s", err);
    ck_assert_uint_eq(s.pae_l3_mfn, SIM_BASE >> 12);
    pae_sim_free(&t);
}
END_TEST

START_TEST(build_pae_refusals)
{
    static struct pae_sim t;
    static struct pv_build_state s;
    pae_sim_init(&t, 4, GUEST_PAE_EXTENDED_CR3);
    t.p.shared_info_maddr = HIGH_BASE;
    ck_assert_int_eq(pv_build_boot(&t.p, &s, err, sizeof(err)), -1);
    ck_assert_ptr_nonnull(strstr(err, "shared_info at 0x100000000 is above 4 GiB"));
    t.p.shared_info_maddr = 0x5000;
    t.p.compat_m2p = NULL;
    ck_assert_int_eq(pv_build_boot(&t.p, &s, err, sizeof(err)), -1);
    ck_assert_ptr_nonnull(strstr(err, "no compat M2P"));
    t.p.compat_m2p = t.compat_m2p;
    t.p.max_mfn = COMPAT_MAX_MFN + 1;
    ck_assert_int_eq(pv_build_boot(&t.p, &s, err, sizeof(err)), -1);
    ck_assert_ptr_nonnull(strstr(err, "below 128 GiB"));
    pae_sim_free(&t);
}
END_TEST

START_TEST(compat_m2p_slots)
{
    uint64_t slots[COMPAT_L2_XEN_SLOTS];
    ck_assert_uint_eq(COMPAT_L2_FIRST_XEN_SLOT, 428);
    ck_assert_uint_eq(COMPAT_L2_XEN_SLOTS, 84);
    pv_compat_m2p_l2_slots(0x40000000, MiB(5), slots);
    for (unsigned i = 0; i < 3; i++)
        ck_assert_uint_eq(slots[i], (0x40000000 + i * MiB(2)) | PTE_P | PTE_PS);
    for (unsigned i = 3; i < COMPAT_L2_XEN_SLOTS; i++)
        ck_assert_uint_eq(slots[i], 0);
    /* The whole window: 0xf5800000-0xffdfffff, never the last slot. */
    pv_compat_m2p_l2_slots(0x80000000ull, 1ull << 32, slots);
    ck_assert_uint_eq(slots[82], (0x80000000ull + 82 * MiB(2)) | PTE_P | PTE_PS);
    ck_assert_uint_eq(slots[83], 0);
}
END_TEST

/* What the builder makes for a PAE guest is what the PAE MMU accepts. */
START_TEST(build_pae_validates)
{
    static struct pae_sim t;
    static struct pv_build_state s;
    pae_sim_init(&t, 4, GUEST_PAE_EXTENDED_CR3);
    ck_assert_msg(pv_build_boot(&t.p, &s, err, sizeof(err)) == 0, "%s", err);
    ck_assert_msg(pv_build_finish(&t.p, &s, err, sizeof(err)) == 0, "%s", err);

    uint64_t hyp_slots[16] = { 0 };
    void *ft = calloc(1, pv_mm_frame_table_bytes(t.max_mfn));
    memset(&dom, 0, sizeof(dom));
    pv_mm_init(ft, t.max_mfn, t.m2p, hyp_slots);
    for (pfn_t pfn = 0; pfn < t.p.nr_pages; pfn++)
        pv_mm_assign_frame(s.p2m[pfn]);
    mfn_t root_l4 = frame_pool_alloc(&t.pool, 1, 1, t.max_mfn);
    ck_assert_uint_ne(root_l4, INVALID_MFN);
    pv_mm_set_pae(true, t.xen_slots, root_l4, t.compat_m2p);

    ck_assert_int_eq(pv_mm_start_guest(s.pae_l3_mfn), 0);
    struct pv_frame_info fi;
    ck_assert(pv_mm_frame_info(s.pae_l3_mfn, &fi));
    ck_assert_int_eq(fi.type, PV_TYPE_L3);
    ck_assert(fi.pinned);
    const pte_t *l3 = phys_access_frame(s.pae_l3_mfn);
    ck_assert(pv_mm_frame_info(paddr_to_mfn(l3[3] & PTE_ADDR_MASK), &fi));
    ck_assert(fi.pae_xen_l2);
    ck_assert_uint_eq(pv_mm_base_maddr(true), mfn_to_paddr(root_l4));
    /* The boot region translates, read-only where it holds the tables. */
    const struct pv_layout *l = &s.layout;
    struct pv_walk w;
    ck_assert(pv_mm_walk(pv_layout_va(l, l->kernel_pfn), true, &w));
    ck_assert_uint_eq(w.mfn, s.p2m[l->kernel_pfn]);
    ck_assert(w.rw && !w.user);
    ck_assert(pv_mm_walk(pv_layout_va(l, l->pt_pfn + 1), true, &w));
    ck_assert(!w.rw);

    /* No L4 in PAE mode. */
    ck_assert_int_eq(pv_mm_pin(s.pae_l3_mfn, 4), -XEN_EINVAL);
    free(ft);
    pae_sim_free(&t);
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
    tcase_add_test(tc, layout_pae);
    tcase_add_test(tc, layout_pae_refusals);
    suite_add_tcase(s, tc);
    tc = tcase_create("build");
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, build_small_domain);
    tcase_add_test(tc, build_refuses_hypercall_page_outside_kernel);
    tcase_add_test(tc, build_pae_domain);
    tcase_add_test(tc, build_pae_l3_below_4g);
    tcase_add_test(tc, build_pae_refusals);
    tcase_add_test(tc, compat_m2p_slots);
    tcase_add_test(tc, build_pae_validates);
    suite_add_tcase(s, tc);
    return s;
}
UNIT_SUITE(pv_layout_suite)
