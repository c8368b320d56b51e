/*
 * Where everything goes in a new 64-bit PV domain, per the start-of-day
 * rules of public/xen.h: one virtual region from VIRT_BASE, mapped 1:1 onto
 * the first pseudo-physical frames, holding in order the kernel, the
 * initrd (unless the kernel takes it unmapped), the p2m list (unless
 * relocated by INIT_P2M), start_info, the xenstore and console rings, the
 * bootstrap page tables and the boot stack; the region ends on a 4 MiB
 * boundary at least 512 KiB after the stack. Pure arithmetic, no memory.
 *
 * A 32-bit PAE guest gets the same region with the widths of its ABI:
 * 4-byte p2m entries, a PAE L3 as the root of its tables (pvshim's own L4
 * points at it), an L2 for L3 slot 3 even where the region does not reach
 * it (it carries the hypervisor's slots), and everything below the
 * hypervisor hole at COMPAT_HV_VIRT_START.
 */
#ifndef PVSHIM_PV_LAYOUT_H
#define PVSHIM_PV_LAYOUT_H

#include <pvshim/types.h>
#include <pvshim/guest_image.h>

#define PV_MAX_MAPPED_RANGES 2      /* the boot region, and the INIT_P2M area */

struct pv_va_range {
    uint64_t start, end;            /* page-aligned virtual range */
    pfn_t first_pfn;                /* start maps to this pfn, consecutively */
};

struct pv_layout {
    uint64_t nr_pages;              /* guest memory in frames */
    unsigned levels;                /* 4, or 3 for a 32-bit PAE guest */
    unsigned p2m_entry_size;        /* 8, or 4 for a 32-bit PAE guest */
    uint64_t virt_base;
    uint64_t virt_end;              /* end of the boot region (4 MiB aligned) */

    pfn_t kernel_pfn;               /* first frame of [virt_kstart, virt_kend) */
    uint64_t kernel_pages;

    bool initrd_mapped;             /* false: SIF_MOD_START_PFN, pfns past the region */
    pfn_t initrd_pfn;
    uint64_t initrd_pages;

    bool p2m_relocated;             /* true: the p2m list lives at INIT_P2M */
    pfn_t p2m_pfn;
    uint64_t p2m_pages;
    uint64_t p2m_va;

    pfn_t start_info_pfn;
    pfn_t xenstore_pfn;
    pfn_t console_pfn;

    pfn_t pt_pfn;                   /* the root (L4, or PAE L3), then L3s, L2s, L1s */
    uint64_t pt_pages;              /* 1 + nr_l3 + nr_l2 + nr_l1 */
    uint64_t nr_l3, nr_l2, nr_l1;   /* below the root: nr_l3 is 0 for PAE */

    pfn_t stack_pfn;

    /* What the page tables map. */
    unsigned nr_ranges;
    struct pv_va_range ranges[PV_MAX_MAPPED_RANGES];

    uint64_t pfns_used;             /* frames the layout places (all below nr_pages) */
};

/* The virtual address of a pfn inside the boot region. */
static inline uint64_t pv_layout_va(const struct pv_layout *l, pfn_t pfn)
{
    return l->virt_base + (pfn << PAGE_SHIFT);
}

/*
 * Lay out a domain of nr_pages frames for img and an initrd of initrd_len
 * bytes. Returns 0, or -1 with a one-line reason (e.g. too little memory).
 */
int pv_layout_compute(const struct guest_image *img, uint64_t nr_pages, uint64_t initrd_len,
                      struct pv_layout *l, char *err, size_t errlen);

#endif
