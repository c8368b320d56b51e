/*
 * Where the guest kernel lives in its virtual address space. As in
 * libelf, a segment's address comes from its ELF *physical* address:
 * vaddr = paddr - PADDR_OFFSET + VIRT_BASE (Linux's per-CPU segment has
 * p_vaddr 0, and 2.6.18-era kernels put virtual addresses in p_paddr
 * with PADDR_OFFSET = VIRT_BASE). Then the checks Xen's libelf, libxc
 * and PV domain builder make, and a few stricter ones (no overlapping
 * segments, entry inside a segment, page-aligned VIRT_BASE, hypercall
 * page aligned and inside the kernel image).
 */
#include <pvshim/string.h>
#include "loader.h"

#define HV64_START      0xffff800000000000ull   /* L4 slots 256-271 */
#define HV64_END        0xffff880000000000ull
#define CANONICAL_LOW_END 0x0000800000000000ull
#define HV32_START_DEFAULT 0xf5800000ull        /* __HYPERVISOR_COMPAT_VIRT_START */
#define L2_SIZE_PAE     (2ull << 20)

typedef unsigned long long ull;

static bool overlaps(uint64_t a, uint64_t a_end, uint64_t b, uint64_t b_end)
{
    return a < b_end && b < a_end;
}

static bool canonical_range(uint64_t start, uint64_t end)
{
    return end <= CANONICAL_LOW_END || start >= 0xffff800000000000ull;
}

/* Fill img->segments with virtual addresses, refusing wraps and overlaps. */
static int place_segments(struct guest_image *img, const struct xen_guest_params *p,
                          const struct elf_load_seg *segs, unsigned nr, struct loader_err *e)
{
    const char *off_name = p->from_notes ? "PADDR_OFFSET" : "ELF_PADDR_OFFSET";

    for (unsigned i = 0; i < nr; i++) {
        const struct elf_load_seg *s = &segs[i];
        struct guest_segment *g = &img->segments[i];
        if (s->paddr < p->paddr_offset)
            return loader_fail(e, "segment %u: physical address 0x%llx is below %s 0x%llx",
                               s->phdr_index, (ull)s->paddr, off_name, (ull)p->paddr_offset);
        uint64_t rel = s->paddr - p->paddr_offset;
        /* The end must leave room to round up to a page without wrapping. */
        const uint64_t highest_end = UINT64_MAX - (PAGE_SIZE - 1);
        if (rel > UINT64_MAX - p->virt_base || rel + p->virt_base > highest_end ||
            s->memsz > highest_end - (rel + p->virt_base))
            return loader_fail(e, "segment %u wraps around the end of the address space",
                               s->phdr_index);
        g->vaddr = rel + p->virt_base;
        g->filesz = s->filesz;
        g->memsz = s->memsz;
        g->offset = s->offset;
        g->flags = s->flags;
    }
    img->nr_segments = nr;

    for (unsigned i = 0; i < nr; i++)
        for (unsigned j = 0; j < i; j++) {
            const struct guest_segment *a = &img->segments[i], *b = &img->segments[j];
            if (overlaps(a->vaddr, a->vaddr + a->memsz, b->vaddr, b->vaddr + b->memsz))
                return loader_fail(e, "segment %u overlaps segment %u",
                                   segs[i].phdr_index, segs[j].phdr_index);
        }
    return 0;
}

static bool entry_in_segments(const struct guest_image *img, uint64_t entry)
{
    for (unsigned i = 0; i < img->nr_segments; i++) {
        const struct guest_segment *g = &img->segments[i];
        if (entry >= g->vaddr && entry - g->vaddr < g->memsz)
            return true;
    }
    return false;
}

static int check_64bit(struct guest_image *img, struct xen_guest_params *p,
                       const struct elf_load_seg *segs, uint64_t kend, struct loader_err *e)
{
    /* Xen ignores PAE_MODE for 64-bit kernels, which may carry it by mistake. */
    p->pae = GUEST_PAE_NO;

    for (unsigned i = 0; i < img->nr_segments; i++) {
        const struct guest_segment *g = &img->segments[i];
        uint64_t end = g->vaddr + g->memsz;
        if (!canonical_range(g->vaddr, end))
            return loader_fail(e, "segment %u (0x%llx-0x%llx) is not in canonical address "
                               "space", segs[i].phdr_index, (ull)g->vaddr, (ull)end - 1);
        if (overlaps(g->vaddr, end, HV64_START, HV64_END))
            return loader_fail(e, "segment %u (0x%llx-0x%llx) lies in the hypervisor-reserved "
                               "range 0x%llx-0x%llx", segs[i].phdr_index, (ull)g->vaddr,
                               (ull)end - 1, HV64_START, HV64_END - 1);
    }
    /* The boot region runs from VIRT_BASE through the kernel and beyond. */
    if (overlaps(p->virt_base, kend, HV64_START, HV64_END))
        return loader_fail(e, "the kernel region from VIRT_BASE 0x%llx to 0x%llx spans the "
                           "hypervisor-reserved range", (ull)p->virt_base, (ull)kend);

    /* libxc ignores an INIT_P2M at or above VIRT_BASE or not page aligned. */
    if (p->has_init_p2m && (p->virt_init_p2m >= p->virt_base ||
                            !IS_ALIGNED(p->virt_init_p2m, PAGE_SIZE)))
        p->has_init_p2m = false;
    if (p->has_init_p2m &&
        (p->virt_init_p2m >= HV64_START ||
         !canonical_range(p->virt_init_p2m, p->virt_init_p2m + 1)))
        return loader_fail(e, "INIT_P2M 0x%llx is not a usable guest address",
                           (ull)p->virt_init_p2m);
    return 0;
}

static int check_32bit(struct guest_image *img, struct xen_guest_params *p,
                       const struct elf_load_seg *segs, struct loader_err *e)
{
    if (p->pae == GUEST_PAE_BIMODAL)
        p->pae = GUEST_PAE_EXTENDED_CR3;
    if (p->pae == GUEST_PAE_NO)
        return loader_fail(e, "image is 32-bit i386 but not PAE (no PAE_MODE \"yes\"): "
                           "Xen and pvshim run only PAE 32-bit guests");

    /* The hole may start as low as HV_START_LOW says, rounded up to an L2 entry. */
    uint64_t hole = HV32_START_DEFAULT;
    if (p->has_hv_start_low) {
        if (p->hv_start_low > HV32_START_DEFAULT)
            return loader_fail(e, "HV_START_LOW 0x%llx is above the highest hypervisor start "
                               "0x%llx", (ull)p->hv_start_low, HV32_START_DEFAULT);
        hole = ALIGN_UP(p->hv_start_low, L2_SIZE_PAE);
    }
    for (unsigned i = 0; i < img->nr_segments; i++) {
        const struct guest_segment *g = &img->segments[i];
        if (g->vaddr + g->memsz > hole)
            return loader_fail(e, "segment %u (0x%llx-0x%llx) reaches into the hypervisor hole "
                               "at 0x%llx", segs[i].phdr_index, (ull)g->vaddr,
                               (ull)(g->vaddr + g->memsz - 1), (ull)hole);
    }
    /* Only the 64-bit builders place the p2m where INIT_P2M says. */
    p->has_init_p2m = false;
    return 0;
}

int guest_layout(struct guest_image *img, struct xen_parse *xp,
                 const struct elf_load_seg *segs, unsigned nr, uint64_t e_entry,
                 struct loader_err *e)
{
    struct xen_guest_params *p = xp->p;

    if (xp->paddr_offset_set && !xp->virt_base_set)
        return loader_fail(e, "%s is set but VIRT_BASE is not",
                           p->from_notes ? "PADDR_OFFSET" : "ELF_PADDR_OFFSET");
    if (!xp->virt_base_set)
        p->virt_base = 0;
    /* Pseudo-physical frame 0 is the page at VIRT_BASE. */
    if (!IS_ALIGNED(p->virt_base, PAGE_SIZE))
        return loader_fail(e, "VIRT_BASE 0x%llx is not page aligned", (ull)p->virt_base);
    /* Legacy kernels put virtual addresses in p_paddr: the offset defaults to VIRT_BASE. */
    if (!xp->paddr_offset_set)
        p->paddr_offset = p->from_notes ? 0 : p->virt_base;
    if (!xp->entry_set)
        p->virt_entry = e_entry;

    if (place_segments(img, p, segs, nr, e))
        return -1;

    uint64_t kstart = UINT64_MAX, kend = 0;
    for (unsigned i = 0; i < nr; i++) {
        const struct guest_segment *g = &img->segments[i];
        kstart = MIN(kstart, g->vaddr);
        kend = MAX(kend, g->vaddr + g->memsz);
    }
    /* libelf's "VIRT_BASE <= kstart" holds: place_segments refused paddr < PADDR_OFFSET. */

    img->entry = p->virt_entry;
    if (!entry_in_segments(img, img->entry))
        return loader_fail(e, "%s 0x%llx is outside the loaded segments",
                           xp->entry_set ? (p->from_notes ? "Xen ENTRY note" : "VIRT_ENTRY")
                                         : "ELF entry",
                           (ull)img->entry);

    if (p->has_init_p2m && p->virt_init_p2m >= kstart && p->virt_init_p2m < kend)
        return loader_fail(e, "INIT_P2M 0x%llx lies inside the kernel image",
                           (ull)p->virt_init_p2m);

    img->virt_kstart = ALIGN_DOWN(kstart, PAGE_SIZE);
    img->virt_kend = ALIGN_UP(kend, PAGE_SIZE);

    /* The builder writes a whole page of stubs there, inside the kernel image. */
    if (p->has_hypercall_page) {
        uint64_t hp = p->virt_hypercall;
        if (!IS_ALIGNED(hp, PAGE_SIZE))
            return loader_fail(e, "HYPERCALL_PAGE 0x%llx is not page aligned", (ull)hp);
        if (hp < img->virt_kstart || hp >= img->virt_kend)
            return loader_fail(e, "HYPERCALL_PAGE 0x%llx is outside the kernel image "
                               "0x%llx-0x%llx", (ull)hp, (ull)img->virt_kstart,
                               (ull)img->virt_kend - 1);
    }

    if (img->elf_class == 64)
        return check_64bit(img, p, segs, kend, e);
    return check_32bit(img, p, segs, e);
}
