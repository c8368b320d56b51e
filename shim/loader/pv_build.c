#include <pvshim/pv_build.h>
#include <pvshim/phys.h>
#include <pvshim/paging.h>
#include <pvshim/string.h>
#include <pvshim/error.h>
#include <pvshim/compiler.h>
#include <pvshim/xen_abi.h>

#define M2P_INVALID     (~0ull)
STATIC_ASSERT(M2P_INVALID == ~0ull && INVALID_MFN == ~(mfn_t)0, "all-ones fills");
/* Mappings of the boot region: the guest kernel runs in ring 3, so user too. */
#define L1_FLAGS        (PTE_P | PTE_RW | PTE_US | PTE_A | PTE_D)
#define TABLE_FLAGS     (PTE_P | PTE_RW | PTE_US | PTE_A)
#define HYP_FIRST_SLOT  256
#define HYP_SLOTS       16

static void *frame(mfn_t mfn)
{
    return phys_access_frame(mfn);
}

/* All ones: M2P_INVALID, by string stores a word at a time. */
static void m2p_invalid(const struct pv_build_params *p, mfn_t from, mfn_t to)
{
    to = MIN(to, p->max_mfn);
    if (from < to)
        memset(p->m2p + from, 0xff, (to - from) * sizeof(p->m2p[0]));
}

static void m2p_invalid_outside_pool(const struct pv_build_params *p)
{
    mfn_t next = 0;
    for (unsigned i = 0; i < p->pool->nr; i++) {
        m2p_invalid(p, next, p->pool->r[i].start);
        next = p->pool->r[i].end;
    }
    m2p_invalid(p, next, p->max_mfn);
}

static void m2p_invalid_in_pool(const struct pv_build_params *p)
{
    for (unsigned i = 0; i < p->pool->nr; i++)
        m2p_invalid(p, p->pool->r[i].start, p->pool->r[i].end);
}

/* pfns [pfn, pfn + n) get frames [m, m + n): the p2m list and the M2P. */
static void record_run(const struct pv_build_params *p, struct pv_build_state *s,
                       pfn_t pfn, mfn_t m, uint64_t n)
{
    mfn_t *p2m = s->p2m + pfn;
    uint64_t *m2p = p->m2p + m;
#pragma GCC unroll 8
    for (uint64_t i = 0; i < n; i++) {
        p2m[i] = m + i;
        m2p[i] = pfn + i;
    }
    if (p->assigned)
        p->assigned(m, n);
}

/* Frames for pfns [pfn, upto), none of which has one yet: lowest first, a range at a time. */
static bool assign_range(const struct pv_build_params *p, struct pv_build_state *s,
                         pfn_t pfn, pfn_t upto)
{
    while (pfn < upto) {
        if (p->pool->nr == 0)
            return false;
        const struct frame_range *r = &p->pool->r[0];
        uint64_t n = MIN(upto - pfn, r->end - r->start);
        mfn_t m = frame_pool_alloc(p->pool, n, 1, p->max_mfn);
        if (m == INVALID_MFN)
            return false;
        record_run(p, s, pfn, m, n);
        pfn += n;
    }
    return true;
}

/*
 * Give every pfn in [from, upto) that has none yet a frame from the pool.
 * The only pfns with frames before this are the p2m list's own, which
 * pv_build_boot() gives frames first.
 */
static bool assign_frames(const struct pv_build_params *p, struct pv_build_state *s,
                          pfn_t from, pfn_t upto)
{
    const struct pv_layout *l = &s->layout;
    pfn_t held_s = MAX(from, MIN(upto, l->p2m_pfn));
    pfn_t held_e = MAX(held_s, MIN(upto, l->p2m_pfn + l->p2m_pages));
    return assign_range(p, s, from, held_s) && assign_range(p, s, held_e, upto);
}

static void zero_pfns(const struct pv_build_state *s, pfn_t first, uint64_t n)
{
    for (uint64_t i = 0; i < n; i++)
        memset(frame(s->p2m[first + i]), 0, PAGE_SIZE);
}

void pv_write_hypercall_page(uint8_t *page)
{
    memset(page, 0xcc, PAGE_SIZE);      /* int3 between stubs */
    for (unsigned i = 0; i < PAGE_SIZE / 32; i++) {
        uint8_t *p = page + i * 32;
        if (i == __HYPERVISOR_iret) {
            /* push %rcx; push %r11; push %rax; mov $23,%eax; syscall */
            const uint8_t stub[] = { 0x51, 0x41, 0x53, 0x50, 0xb8, i, 0, 0, 0, 0x0f, 0x05 };
            memcpy(p, stub, sizeof(stub));
        } else {
            /* push %rcx; push %r11; mov $i,%eax; syscall; pop %r11; pop %rcx; ret */
            const uint8_t stub[] = { 0x51, 0x41, 0x53, 0xb8, i, 0, 0, 0, 0x0f, 0x05,
                                     0x41, 0x5b, 0x59, 0xc3 };
            memcpy(p, stub, sizeof(stub));
        }
    }
}

/* Copy the bytes for guest pfns starting at first from src (n bytes), zero-filling the tail. */
static void copy_to_pfns(const struct pv_build_state *s, pfn_t first, const uint8_t *src,
                         uint64_t n, uint64_t pages)
{
    for (uint64_t i = 0; i < pages; i++) {
        uint8_t *dst = frame(s->p2m[first + i]);
        uint64_t off = i * PAGE_SIZE;
        uint64_t len = off < n ? MIN(PAGE_SIZE, n - off) : 0;
        if (len)
            memcpy(dst, src + off, len);
        memset(dst + len, 0, PAGE_SIZE - len);
    }
}

static int load_kernel(const struct pv_build_params *p, const struct pv_build_state *s,
                       char *err, size_t errlen)
{
    const struct guest_image *img = p->img;
    const struct pv_layout *l = &s->layout;
    for (uint64_t i = 0; i < l->kernel_pages; i++)
        memset(frame(s->p2m[l->kernel_pfn + i]), 0, PAGE_SIZE);
    for (unsigned i = 0; i < img->nr_segments; i++) {
        const struct guest_segment *g = &img->segments[i];
        for (uint64_t off = 0; off < g->filesz; ) {
            uint64_t va = g->vaddr + off;
            pfn_t pfn = (va - l->virt_base) >> PAGE_SHIFT;
            if (pfn < l->kernel_pfn || pfn >= l->kernel_pfn + l->kernel_pages)
                return error_set(err, errlen, -1, "segment %u byte %#llx falls outside the kernel", i,
                            (unsigned long long)off);
            uint64_t in_page = va & (PAGE_SIZE - 1);
            uint64_t n = MIN(PAGE_SIZE - in_page, g->filesz - off);
            memcpy((uint8_t *)frame(s->p2m[pfn]) + in_page, img->elf + g->offset + off, n);
            off += n;
        }
    }
    if (img->xen.has_hypercall_page) {
        uint64_t va = img->xen.virt_hypercall;
        pfn_t pfn = (va - l->virt_base) >> PAGE_SHIFT;
        if ((va & (PAGE_SIZE - 1)) || va < img->virt_kstart || va >= img->virt_kend)
            return error_set(err, errlen, -1, "hypercall page %#llx is not a page inside the kernel",
                        (unsigned long long)va);
        pv_write_hypercall_page(frame(s->p2m[pfn]));
    }
    return 0;
}

static bool is_page_table_pfn(const struct pv_layout *l, pfn_t pfn)
{
    return pfn >= l->pt_pfn && pfn < l->pt_pfn + l->pt_pages;
}

static void build_page_tables(const struct pv_build_params *p, struct pv_build_state *s)
{
    const struct pv_layout *l = &s->layout;
    pfn_t next_l3 = l->pt_pfn + 1;
    pfn_t next_l2 = next_l3 + l->nr_l3;
    pfn_t next_l1 = next_l2 + l->nr_l2;

    for (uint64_t i = 0; i < l->pt_pages; i++)
        memset(frame(s->p2m[l->pt_pfn + i]), 0, PAGE_SIZE);
    pte_t *l4 = frame(s->p2m[l->pt_pfn]);
    s->l4_mfn = s->p2m[l->pt_pfn];
    for (unsigned i = 0; i < HYP_SLOTS; i++)
        l4[HYP_FIRST_SLOT + i] = p->hypervisor_l4_slots[i];

    for (unsigned r = 0; r < l->nr_ranges; r++) {
        const struct pv_va_range *range = &l->ranges[r];
        for (uint64_t va = range->start; va < range->end; va += PAGE_SIZE) {
            pte_t *e = &l4[pt_index(va, L4_SHIFT)];
            if (!(*e & PTE_P))
                *e = mfn_to_paddr(s->p2m[next_l3++]) | TABLE_FLAGS;
            pte_t *l3 = frame(paddr_to_mfn(*e & PTE_ADDR_MASK));
            e = &l3[pt_index(va, L3_SHIFT)];
            if (!(*e & PTE_P))
                *e = mfn_to_paddr(s->p2m[next_l2++]) | TABLE_FLAGS;
            pte_t *l2 = frame(paddr_to_mfn(*e & PTE_ADDR_MASK));
            e = &l2[pt_index(va, L2_SHIFT)];
            if (!(*e & PTE_P))
                *e = mfn_to_paddr(s->p2m[next_l1++]) | TABLE_FLAGS;
            pte_t *l1 = frame(paddr_to_mfn(*e & PTE_ADDR_MASK));
            pfn_t pfn = range->first_pfn + ((va - range->start) >> PAGE_SHIFT);
            uint64_t flags = is_page_table_pfn(l, pfn) ? L1_FLAGS & ~PTE_RW : L1_FLAGS;
            l1[pt_index(va, L1_SHIFT)] = mfn_to_paddr(s->p2m[pfn]) | flags;
        }
    }
}

static void write_start_info(const struct pv_build_params *p, struct pv_build_state *s)
{
    const struct pv_layout *l = &s->layout;
    struct start_info *si = frame(s->start_info_mfn);
    memset(si, 0, PAGE_SIZE);
    strlcpy_s(si->magic, "xen-3.0-x86_64", sizeof(si->magic));
    si->nr_pages = l->nr_pages;
    si->shared_info = p->shared_info_maddr;
    si->flags = 0;
    si->store_mfn = s->xenstore_mfn;
    si->store_evtchn = p->xenstore_evtchn;
    si->console.domU.mfn = s->console_mfn;
    si->console.domU.evtchn = p->console_evtchn;
    si->pt_base = pv_layout_va(l, l->pt_pfn);
    si->nr_pt_frames = l->pt_pages;
    si->mfn_list = l->p2m_va;
    if (l->initrd_pages) {
        if (l->initrd_mapped) {
            si->mod_start = pv_layout_va(l, l->initrd_pfn);
        } else {
            si->mod_start = l->initrd_pfn;
            si->flags |= SIF_MOD_START_PFN;
        }
        si->mod_len = p->initrd_len;
    }
    if (p->cmdline)
        strlcpy_s((char *)si->cmd_line, p->cmdline, sizeof(si->cmd_line));
    if (l->p2m_relocated) {
        si->first_p2m_pfn = l->p2m_pfn;
        si->nr_p2m_frames = l->p2m_pages;
    }
    s->start_info_va = pv_layout_va(l, l->start_info_pfn);
}

int pv_build_boot(const struct pv_build_params *p, struct pv_build_state *s,
                  char *err, size_t errlen)
{
    struct pv_layout *l = &s->layout;
    memset(s, 0, sizeof(*s));
    if (pv_layout_compute(p->img, p->nr_pages, p->initrd_len, l, err, errlen))
        return -1;
    /*
     * M2P_INVALID for every frame outside the pool: the pool's frames get
     * a pfn when given to the guest, or M2P_INVALID in pv_build_finish()
     * if they are left over.
     */
    m2p_invalid_outside_pool(p);

    /*
     * The p2m list is one contiguous run of frames, so pvshim can use it
     * as the pfn-to-mfn array while it builds; its own pfns come first.
     */
    mfn_t p2m0 = frame_pool_alloc(p->pool, l->p2m_pages, 1, p->max_mfn);
    if (p2m0 == INVALID_MFN)
        return error_set(err, errlen, -1, "no contiguous %llu KiB for the p2m list",
                    (unsigned long long)(l->p2m_pages * 4));
    s->p2m = phys_access(mfn_to_paddr(p2m0), l->p2m_pages * PAGE_SIZE);
    if (!s->p2m)
        return error_set(err, errlen, -1, "p2m list frames are not reachable");
    /* Entries past nr_pages stay INVALID_MFN; every pfn below gets a frame. */
    memset(s->p2m + l->nr_pages, 0xff,
           l->p2m_pages * PAGE_SIZE - l->nr_pages * sizeof(mfn_t));
    record_run(p, s, l->p2m_pfn, p2m0, l->p2m_pages);
    /* The boot region is filled while the kernel and initrd still occupy memory. */
    if (l->pfns_used - l->p2m_pages > p->pool->free_frames)
        return error_set(err, errlen, -1, "too little memory: the guest's first %llu MiB must be "
                    "built while its kernel and initrd still take memory; %llu MiB are free",
                    (unsigned long long)((l->pfns_used * PAGE_SIZE) >> 20),
                    (unsigned long long)((p->pool->free_frames * PAGE_SIZE) >> 20));
    if (!assign_frames(p, s, 0, l->pfns_used))
        return error_set(err, errlen, -1, "too little memory while building the boot region");

    s->start_info_mfn = s->p2m[l->start_info_pfn];
    s->xenstore_mfn = s->p2m[l->xenstore_pfn];
    s->console_mfn = s->p2m[l->console_pfn];
    zero_pfns(s, l->xenstore_pfn, 1);
    zero_pfns(s, l->console_pfn, 1);
    zero_pfns(s, l->stack_pfn, 1);

    if (load_kernel(p, s, err, errlen))
        return -1;
    if (l->initrd_pages)
        copy_to_pfns(s, l->initrd_pfn, p->initrd, p->initrd_len, l->initrd_pages);
    build_page_tables(p, s);
    write_start_info(p, s);

    struct cpu_regs *r = &s->entry;
    memset(r, 0, sizeof(*r));
    r->rip = p->img->entry;
    r->rsp = pv_layout_va(l, l->stack_pfn + 1);
    r->rsi = s->start_info_va;
    r->cs = FLAT_KERNEL_CS64;
    r->ss = FLAT_KERNEL_SS64;
    r->rflags = 0x202;      /* IF and the always-one bit */
    return 0;
}

int pv_build_finish(const struct pv_build_params *p, struct pv_build_state *s,
                    char *err, size_t errlen)
{
    if (!assign_frames(p, s, s->layout.pfns_used, s->layout.nr_pages))
        return error_set(err, errlen, -1, "out of memory giving the guest its %llu frames",
                    (unsigned long long)s->layout.nr_pages);
    /* What the pool keeps, the frames the caller freed since pv_build_boot() included. */
    m2p_invalid_in_pool(p);
    return 0;
}
