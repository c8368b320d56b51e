#include <pvshim/m2p.h>
#include <pvshim/pv_build.h>
#include <pvshim/phys.h>
#include <pvshim/paging.h>
#include <pvshim/string.h>
#include <pvshim/fill.h>
#include <pvshim/error.h>
#include <pvshim/compiler.h>
#include <pvshim/xen_abi.h>
#include <pvshim/xen_abi32.h>

#define M2P_INVALID     (~0ull)
/* Mappings of the boot region: the guest kernel runs in ring 3, so user too. */
#define L1_FLAGS        (PTE_P | PTE_RW | PTE_US | PTE_A | PTE_D)
#define TABLE_FLAGS     (PTE_P | PTE_RW | PTE_US | PTE_A)
#define HYP_FIRST_SLOT  256
#define HYP_SLOTS       16
/*
 * A 32-bit PAE guest's kernel runs in ring 1 (supervisor): its boot
 * mappings have no user bit, its L2 entries do (so its user mappings work
 * later), and its L3 entries are bare present bits, as Xen's toolstack
 * writes them (the PV MMU adds what a 4-level walk of them needs).
 */
#define PAE_L1_FLAGS    (PTE_P | PTE_RW | PTE_A | PTE_D)
#define PAE_L2_FLAGS    (PTE_P | PTE_RW | PTE_US | PTE_A)
#define PAE_L3_FLAGS    PTE_P
#define FRAMES_BELOW_4G (1ull << (32 - PAGE_SHIFT))
#define COMPAT_M2P_INVALID (~0u)
STATIC_ASSERT(M2P_INVALID == ~0ull && COMPAT_M2P_INVALID == ~0u && INVALID_MFN == ~(mfn_t)0,
              "all-ones fills");

static bool is_pae(const struct pv_build_params *p)
{
    return p->img->elf_class == 32;
}

static void *frame(mfn_t mfn)
{
    return phys_access_frame(mfn);
}

/* All ones: M2P_INVALID (and COMPAT_M2P_INVALID), by string stores a word at a time. */
static void m2p_invalid(const struct pv_build_params *p, mfn_t from, mfn_t to)
{
    to = MIN(to, p->max_mfn);
    if (from >= to)
        return;
    m2p_fill_invalid(p->m2p, p->m2p_chunks, from, to);
    if (p->compat_m2p)
        memset(p->compat_m2p + from, 0xff, (to - from) * sizeof(p->compat_m2p[0]));
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

/* pfns [pfn, pfn + n) get frames [m, m + n): the p2m list and the M2P (and the compat M2P). */
static void record_run(const struct pv_build_params *p, struct pv_build_state *s,
                       pfn_t pfn, mfn_t m, uint64_t n)
{
    fill_counts2(s->p2m + pfn, m, p->m2p + m, pfn, n);
    if (p->compat_m2p) {
        uint32_t *compat = p->compat_m2p + m;
        for (uint64_t i = 0; i < n; i++)
            compat[i] = (uint32_t)(pfn + i);
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
 * The only pfns with frames before this are the ones pv_build_boot() gives
 * frames first: a 64-bit guest's p2m list, a PAE guest's root L3.
 */
static bool assign_frames(const struct pv_build_params *p, struct pv_build_state *s,
                          pfn_t from, pfn_t upto)
{
    const struct pv_layout *l = &s->layout;
    pfn_t first = is_pae(p) ? l->pt_pfn : l->p2m_pfn;
    uint64_t count = is_pae(p) ? 1 : l->p2m_pages;
    pfn_t held_s = MAX(from, MIN(upto, first));
    pfn_t held_e = MAX(held_s, MIN(upto, first + count));
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

void pv_write_hypercall_page32(uint8_t *page)
{
    memset(page, 0xcc, PAGE_SIZE);
    for (unsigned i = 0; i < PAGE_SIZE / 32; i++) {
        uint8_t *p = page + i * 32;
        if (i == __HYPERVISOR_iret) {
            /* push %eax; mov $23,%eax; int $0x82 (reached by jmp, never returns) */
            const uint8_t stub[] = { 0x50, 0xb8, i, 0, 0, 0, 0xcd, 0x82 };
            memcpy(p, stub, sizeof(stub));
        } else {
            /* mov $i,%eax; int $0x82; ret */
            const uint8_t stub[] = { 0xb8, i, 0, 0, 0, 0xcd, 0x82, 0xc3 };
            memcpy(p, stub, sizeof(stub));
        }
    }
}

void pv_compat_m2p_l2_slots(paddr_t maddr, uint64_t bytes, uint64_t *slots)
{
    for (unsigned i = 0; i < COMPAT_L2_XEN_SLOTS; i++) {
        uint64_t off = (uint64_t)i << L2_SHIFT;
        bool m2p = COMPAT_HV_VIRT_START + off < COMPAT_M2P_VIRT_END && off < bytes;
        slots[i] = m2p ? (maddr + off) | PTE_P | PTE_PS : 0;
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

struct kernel_put {
    const struct pv_build_state *s;
    const struct guest_image *img;
};

/* Copy bytes to guest virtual va inside the kernel region, or refuse. */
static int put_kernel_bytes(void *ctx, uint64_t va, const void *src, size_t n)
{
    const struct kernel_put *k = ctx;
    const struct pv_layout *l = &k->s->layout;
    if (va < k->img->virt_kstart || va > k->img->virt_kend || n > k->img->virt_kend - va)
        return -1;
    for (size_t off = 0; off < n; ) {
        pfn_t pfn = (va + off - l->virt_base) >> PAGE_SHIFT;
        uint64_t in_page = (va + off) & (PAGE_SIZE - 1);
        size_t chunk = MIN(PAGE_SIZE - in_page, n - off);
        memcpy((uint8_t *)frame(k->s->p2m[pfn]) + in_page, (const uint8_t *)src + off, chunk);
        off += chunk;
    }
    return 0;
}

/* Whether a segment's file bytes fill the whole page at va: its copy overwrites every byte. */
static bool page_filled_by_file(const struct guest_image *img, uint64_t va)
{
    for (unsigned i = 0; i < img->nr_segments; i++) {
        const struct guest_segment *g = &img->segments[i];
        if (va >= g->vaddr && va - g->vaddr <= g->filesz && g->filesz - (va - g->vaddr) >= PAGE_SIZE)
            return true;
    }
    return false;
}

static int load_kernel(const struct pv_build_params *p, const struct pv_build_state *s,
                       char *err, size_t errlen)
{
    const struct guest_image *img = p->img;
    const struct pv_layout *l = &s->layout;
    /* Zero what no file byte lands on (bss, gaps, partial pages), before the copies. */
    for (uint64_t i = 0; i < l->kernel_pages; i++)
        if (!page_filled_by_file(img, l->virt_base + ((l->kernel_pfn + i) << PAGE_SHIFT)))
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
    struct kernel_put k = { s, img };
    if (guest_bsd_symtab_write(img, put_kernel_bytes, &k))
        return error_set(err, errlen, -1, "the BSD_SYMTAB tables fall outside the kernel");
    if (img->xen.has_hypercall_page) {
        uint64_t va = img->xen.virt_hypercall;
        pfn_t pfn = (va - l->virt_base) >> PAGE_SHIFT;
        if ((va & (PAGE_SIZE - 1)) || va < img->virt_kstart || va >= img->virt_kend)
            return error_set(err, errlen, -1, "hypercall page %#llx is not a page inside the kernel",
                        (unsigned long long)va);
        if (is_pae(p))
            pv_write_hypercall_page32(frame(s->p2m[pfn]));
        else
            pv_write_hypercall_page(frame(s->p2m[pfn]));
    }
    return 0;
}

static bool is_page_table_pfn(const struct pv_layout *l, pfn_t pfn)
{
    return pfn >= l->pt_pfn && pfn < l->pt_pfn + l->pt_pages;
}

/* Page-table frames handed out in order as pv_layout reserved them. */
struct table_supply {
    pfn_t next[4];              /* [n]: the next free level-n table (n = 1..3) */
    uint64_t entry_flags[5];    /* [n]: flags of a level-n entry naming a table */
    uint64_t leaf_flags;
};

/* Maps every page of the layout's ranges below root (a level-root_level
 * table), taking each missing table from t. Page-table frames are mapped
 * read-only, as a PV guest must keep them. */
static void map_layout_ranges(struct pv_build_state *s, pte_t *root, unsigned root_level,
                              struct table_supply *t)
{
    const struct pv_layout *l = &s->layout;
    for (unsigned r = 0; r < l->nr_ranges; r++) {
        const struct pv_va_range *range = &l->ranges[r];
        for (uint64_t va = range->start; va < range->end; va += PAGE_SIZE) {
            pte_t *table = root;
            for (unsigned level = root_level; level > 1; level--) {
                pte_t *e = &table[pt_index(va, pt_level_shift(level))];
                if (!(*e & PTE_P))
                    *e = mfn_to_paddr(s->p2m[t->next[level - 1]++]) | t->entry_flags[level];
                table = frame(paddr_to_mfn(*e & PTE_ADDR_MASK));
            }
            pfn_t pfn = range->first_pfn + ((va - range->start) >> PAGE_SHIFT);
            uint64_t flags = is_page_table_pfn(l, pfn) ? t->leaf_flags & ~PTE_RW : t->leaf_flags;
            table[pt_index(va, L1_SHIFT)] = mfn_to_paddr(s->p2m[pfn]) | flags;
        }
    }
}

static void build_page_tables(const struct pv_build_params *p, struct pv_build_state *s)
{
    const struct pv_layout *l = &s->layout;
    s->pae_l3_mfn = INVALID_MFN;
    struct table_supply t = {
        .entry_flags = { [2] = TABLE_FLAGS, [3] = TABLE_FLAGS, [4] = TABLE_FLAGS },
        .leaf_flags = L1_FLAGS,
    };
    t.next[3] = l->pt_pfn + 1;
    t.next[2] = t.next[3] + l->nr_l3;
    t.next[1] = t.next[2] + l->nr_l2;

    for (uint64_t i = 0; i < l->pt_pages; i++)
        memset(frame(s->p2m[l->pt_pfn + i]), 0, PAGE_SIZE);
    pte_t *l4 = frame(s->p2m[l->pt_pfn]);
    s->l4_mfn = s->p2m[l->pt_pfn];
    for (unsigned i = 0; i < HYP_SLOTS; i++)
        l4[HYP_FIRST_SLOT + i] = p->hypervisor_l4_slots[i];
    map_layout_ranges(s, l4, 4, &t);
}

/* PAE: the L3 (root), the L2s (the top one always), the L1s. */
static void build_pae_tables(const struct pv_build_params *p, struct pv_build_state *s)
{
    const struct pv_layout *l = &s->layout;
    struct table_supply t = {
        .entry_flags = { [2] = PAE_L2_FLAGS, [3] = PAE_L3_FLAGS },
        .leaf_flags = PAE_L1_FLAGS,
    };
    t.next[2] = l->pt_pfn + 1;
    t.next[1] = t.next[2] + l->nr_l2;

    for (uint64_t i = 0; i < l->pt_pages; i++)
        memset(frame(s->p2m[l->pt_pfn + i]), 0, PAGE_SIZE);
    pte_t *l3 = frame(s->p2m[l->pt_pfn]);
    s->pae_l3_mfn = s->p2m[l->pt_pfn];
    s->l4_mfn = INVALID_MFN;
    map_layout_ranges(s, l3, 3, &t);
    if (!(l3[COMPAT_L3_XEN_SLOT] & PTE_P))
        l3[COMPAT_L3_XEN_SLOT] = mfn_to_paddr(s->p2m[t.next[2]++]) | PAE_L3_FLAGS;
    pte_t *top = frame(paddr_to_mfn(l3[COMPAT_L3_XEN_SLOT] & PTE_ADDR_MASK));
    for (unsigned i = 0; i < COMPAT_L2_XEN_SLOTS; i++)
        top[COMPAT_L2_FIRST_XEN_SLOT + i] = p->compat_l2_xen_slots[i];
}

static void write_start_info32(const struct pv_build_params *p, struct pv_build_state *s)
{
    const struct pv_layout *l = &s->layout;
    struct start_info_x86_32 *si = frame(s->start_info_mfn);
    memset(si, 0, PAGE_SIZE);
    strlcpy_s(si->magic, COMPAT_START_INFO_MAGIC, sizeof(si->magic));
    /* The layout and pv_build_boot's checks keep every value below 2^32. */
    si->nr_pages = (uint32_t)l->nr_pages;
    si->shared_info = (uint32_t)p->shared_info_maddr;
    si->store_mfn = (uint32_t)s->xenstore_mfn;
    si->store_evtchn = p->xenstore_evtchn;
    si->console.domU.mfn = (uint32_t)s->console_mfn;
    si->console.domU.evtchn = p->console_evtchn;
    si->pt_base = (uint32_t)pv_layout_va(l, l->pt_pfn);
    si->nr_pt_frames = (uint32_t)l->pt_pages;
    si->mfn_list = (uint32_t)l->p2m_va;
    if (l->initrd_pages) {
        if (l->initrd_mapped) {
            si->mod_start = (uint32_t)pv_layout_va(l, l->initrd_pfn);
        } else {
            si->mod_start = (uint32_t)l->initrd_pfn;
            si->flags |= SIF_MOD_START_PFN;
        }
        si->mod_len = (uint32_t)p->initrd_len;
    }
    if (p->cmdline)
        strlcpy_s((char *)si->cmd_line, p->cmdline, sizeof(si->cmd_line));
    s->start_info_va = pv_layout_va(l, l->start_info_pfn);
}

/* The checks a 32-bit guest adds: everything it is told must fit its fields. */
static int check_pae_params(const struct pv_build_params *p, char *err, size_t errlen)
{
    if (!p->compat_m2p || !p->compat_l2_xen_slots)
        return error_set(err, errlen, -1, "no compat M2P for a 32-bit guest");
    if (p->max_mfn > COMPAT_MAX_MFN)
        return error_set(err, errlen, -1, "machine memory reaches %llu GiB: a 32-bit guest's "
                         "frames must lie below 128 GiB",
                         (unsigned long long)(p->max_mfn >> (30 - PAGE_SHIFT)));
    if (p->shared_info_maddr >> 32)
        return error_set(err, errlen, -1, "shared_info at %#llx is above 4 GiB",
                         (unsigned long long)p->shared_info_maddr);
    if (p->initrd_len >> 32)
        return error_set(err, errlen, -1, "the initrd is too large for a 32-bit guest");
    return 0;
}

/*
 * The root L3 goes below 4 GiB: Xen refuses a higher one unless the guest
 * said extended-cr3 (PAE "yes" in a note, "yes[extended-cr3]" in the
 * legacy string); for those it is only a preference.
 */
static int place_pae_root(const struct pv_build_params *p, struct pv_build_state *s,
                          char *err, size_t errlen)
{
    pfn_t root = s->layout.pt_pfn;
    mfn_t m = frame_pool_alloc(p->pool, 1, 1, MIN(p->max_mfn, FRAMES_BELOW_4G));
    if (m == INVALID_MFN && p->img->xen.pae != GUEST_PAE_YES)
        m = frame_pool_alloc(p->pool, 1, 1, p->max_mfn);
    if (m == INVALID_MFN)
        return error_set(err, errlen, -1, "no frame below 4 GiB for the PAE L3 of a guest "
                         "without extended-cr3");
    record_run(p, s, root, m, 1);
    return 0;
}

/* pvshim's own mfn_t array for a guest whose p2m list has 4-byte entries. */
static int alloc_p2m_view(const struct pv_build_params *p, struct pv_build_state *s,
                          char *err, size_t errlen)
{
    uint64_t pages = DIV_ROUND_UP(s->layout.nr_pages * sizeof(mfn_t), PAGE_SIZE);
    mfn_t m = frame_pool_alloc(p->pool, pages, 1, p->max_mfn);
    if (m == INVALID_MFN)
        return error_set(err, errlen, -1, "no contiguous %llu KiB for the p2m",
                         (unsigned long long)(pages * 4));
    s->p2m = phys_access(mfn_to_paddr(m), pages * PAGE_SIZE);
    if (!s->p2m)
        return error_set(err, errlen, -1, "p2m frames are not reachable");
    s->p2m_view_mfn = m;
    s->p2m_view_pages = pages;
    /* pvshim's frames, never the guest's: left out of the pool's M2P_INVALID fill at finish. */
    m2p_invalid(p, m, m + pages);
    memset(s->p2m, 0xff, pages * PAGE_SIZE);
    return 0;
}

/* The guest's own p2m list, 4-byte entries, from pvshim's view. */
static void write_p2m32(const struct pv_build_state *s)
{
    const struct pv_layout *l = &s->layout;
    const unsigned per_page = PAGE_SIZE / sizeof(uint32_t);
    for (uint64_t i = 0; i < l->p2m_pages; i++) {
        uint32_t *dst = frame(s->p2m[l->p2m_pfn + i]);
        for (unsigned j = 0; j < per_page; j++) {
            uint64_t pfn = i * per_page + j;
            dst[j] = pfn < l->nr_pages ? (uint32_t)s->p2m[pfn] : 0;
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

/*
 * The p2m list is one contiguous run of frames, so pvshim can use it as
 * the pfn-to-mfn array while it builds; its own pfns come first.
 */
static int take_p2m_list(const struct pv_build_params *p, struct pv_build_state *s,
                         char *err, size_t errlen)
{
    const struct pv_layout *l = &s->layout;
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
    return 0;
}

int pv_build_boot(const struct pv_build_params *p, struct pv_build_state *s,
                  char *err, size_t errlen)
{
    struct pv_layout *l = &s->layout;
    const bool pae = is_pae(p);
    memset(s, 0, sizeof(*s));
    if (pae && check_pae_params(p, err, errlen))
        return -1;
    if (pv_layout_compute(p->img, p->nr_pages, p->initrd_len, l, err, errlen))
        return -1;
    /*
     * M2P_INVALID (and COMPAT_M2P_INVALID) for every frame outside the
     * pool: the pool's frames get a pfn when given to the guest, or
     * M2P_INVALID in pv_build_finish() if they are left over.
     */
    m2p_invalid_outside_pool(p);

    if (pae) {
        if (alloc_p2m_view(p, s, err, errlen) || place_pae_root(p, s, err, errlen))
            return -1;
    } else if (take_p2m_list(p, s, err, errlen)) {
        return -1;
    }
    /* The boot region is filled while the kernel and initrd still occupy memory. */
    uint64_t placed = pae ? 1 : l->p2m_pages;
    if (l->pfns_used - placed > p->pool->free_frames)
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
    if (pae) {
        build_pae_tables(p, s);
        write_start_info32(p, s);
    } else {
        build_page_tables(p, s);
        write_start_info(p, s);
    }

    struct cpu_regs *r = &s->entry;
    memset(r, 0, sizeof(*r));
    r->rip = p->img->entry;
    r->rsp = pv_layout_va(l, l->stack_pfn + 1);
    r->rsi = s->start_info_va;
    r->cs = pae ? FLAT_KERNEL_CS_X86_32 : FLAT_KERNEL_CS64;
    r->ss = pae ? FLAT_KERNEL_SS_X86_32 : FLAT_KERNEL_SS64;
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
    if (is_pae(p))
        write_p2m32(s);
    return 0;
}
