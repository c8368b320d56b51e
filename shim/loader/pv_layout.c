#include <pvshim/pv_layout.h>
#include <pvshim/compiler.h>
#include <pvshim/string.h>
#include <pvshim/error.h>
#include <pvshim/xen_abi32.h>

#define REGION_ALIGN    MiB(4)
#define REGION_SLACK    KiB(512)

static uint64_t pages_of(uint64_t bytes)
{
    return DIV_ROUND_UP(bytes, PAGE_SIZE);
}

/* Tables needed at one level to cover the ranges: distinct (va >> shift) slots. */
static uint64_t tables_for(const struct pv_va_range *r, unsigned n, unsigned shift)
{
    uint64_t count = 0;
    uint64_t last = ~0ull;
    /* Ranges are few and ascending; count each slot once. */
    for (unsigned i = 0; i < n; i++) {
        if (r[i].end <= r[i].start)
            continue;
        uint64_t first = r[i].start >> shift, final = (r[i].end - 1) >> shift;
        if (first == last)
            first++;
        if (final >= first)
            count += final - first + 1;
        last = final;
    }
    return count;
}

static void count_tables(struct pv_layout *l)
{
    l->nr_l2 = tables_for(l->ranges, l->nr_ranges, 30);
    l->nr_l1 = tables_for(l->ranges, l->nr_ranges, 21);
    if (l->levels == 4) {
        l->nr_l3 = tables_for(l->ranges, l->nr_ranges, 39);
    } else {
        /* The root is the L3; the top L2 exists even if nothing of ours is in it. */
        l->nr_l3 = 0;
        if ((l->ranges[l->nr_ranges - 1].end - 1) >> 30 != COMPAT_L3_XEN_SLOT)
            l->nr_l2++;
    }
    l->pt_pages = 1 + l->nr_l3 + l->nr_l2 + l->nr_l1;
}

int pv_layout_compute(const struct guest_image *img, uint64_t nr_pages, uint64_t initrd_len,
                      struct pv_layout *l, char *err, size_t errlen)
{
    const struct xen_guest_params *x = &img->xen;
    memset(l, 0, sizeof(*l));
    l->nr_pages = nr_pages;
    l->virt_base = x->virt_base;
    bool pae = img->elf_class == 32;
    l->levels = pae ? 3 : 4;
    l->p2m_entry_size = pae ? 4 : 8;
    if (pae && x->has_init_p2m)
        return error_set(err, errlen, -1, "INIT_P2M is for 64-bit guests only");

    if (img->virt_kstart < x->virt_base || img->virt_kend <= img->virt_kstart)
        return error_set(err, errlen, -1, "kernel at %#llx-%#llx is not above VIRT_BASE %#llx",
                    (unsigned long long)img->virt_kstart, (unsigned long long)img->virt_kend,
                    (unsigned long long)x->virt_base);
    l->kernel_pfn = (img->virt_kstart - x->virt_base) >> PAGE_SHIFT;
    l->kernel_pages = (img->virt_kend - img->virt_kstart) >> PAGE_SHIFT;
    if (l->kernel_pfn + l->kernel_pages > nr_pages)
        return error_set(err, errlen, -1, "too little memory: the kernel alone needs %llu MiB, "
                    "%llu MiB are left",
                    (unsigned long long)(((l->kernel_pfn + l->kernel_pages) * PAGE_SIZE) >> 20),
                    (unsigned long long)((nr_pages * PAGE_SIZE) >> 20));
    pfn_t pfn = l->kernel_pfn + l->kernel_pages;

    l->initrd_pages = pages_of(initrd_len);
    l->initrd_mapped = !x->mod_start_pfn;
    if (l->initrd_mapped && l->initrd_pages) {
        l->initrd_pfn = pfn;
        pfn += l->initrd_pages;
    }

    l->p2m_pages = pages_of(nr_pages * l->p2m_entry_size);
    l->p2m_relocated = x->has_init_p2m;
    if (!l->p2m_relocated) {
        l->p2m_pfn = pfn;
        l->p2m_va = pv_layout_va(l, pfn);
        pfn += l->p2m_pages;
    } else {
        l->p2m_va = x->virt_init_p2m;
        if (l->p2m_va & (PAGE_SIZE - 1))
            return error_set(err, errlen, -1, "INIT_P2M %#llx is not page aligned",
                        (unsigned long long)l->p2m_va);
    }

    l->start_info_pfn = pfn++;
    l->xenstore_pfn = pfn++;
    l->console_pfn = pfn++;
    l->pt_pfn = pfn;

    /* The table count depends on the region size and vice versa: iterate. */
    uint64_t pt_guess = 1;
    for (int round = 0; round < 16; round++) {
        pfn_t stack = l->pt_pfn + pt_guess;
        uint64_t used_end = pv_layout_va(l, stack + 1);
        if (used_end < l->virt_base || used_end + REGION_SLACK + REGION_ALIGN < used_end)
            return error_set(err, errlen, -1, "the boot region wraps around the address space");
        l->virt_end = ALIGN_UP(used_end + REGION_SLACK, REGION_ALIGN);
        l->nr_ranges = 1;
        l->ranges[0] = (struct pv_va_range){ l->virt_base, l->virt_end, 0 };
        if (l->p2m_relocated) {
            uint64_t s = l->p2m_va;
            uint64_t e = s + l->p2m_pages * PAGE_SIZE;
            if (e < s)
                return error_set(err, errlen, -1, "INIT_P2M area wraps around the address space");
            if (s < l->virt_end && l->virt_base < e)
                return error_set(err, errlen, -1, "INIT_P2M %#llx overlaps the boot region",
                            (unsigned long long)s);
            l->ranges[1] = (struct pv_va_range){ s, e, 0 };
            l->nr_ranges = 2;
            if (l->ranges[1].start < l->ranges[0].start) {
                struct pv_va_range t = l->ranges[0];
                l->ranges[0] = l->ranges[1];
                l->ranges[1] = t;
            }
        }
        count_tables(l);
        if (l->pt_pages == pt_guess)
            break;
        pt_guess = l->pt_pages;
    }
    l->stack_pfn = l->pt_pfn + l->pt_pages;
    pfn = (l->virt_end - l->virt_base) >> PAGE_SHIFT;

    if (!l->initrd_mapped && l->initrd_pages) {
        l->initrd_pfn = pfn;
        pfn += l->initrd_pages;
    }
    if (l->p2m_relocated) {
        l->p2m_pfn = pfn;
        pfn += l->p2m_pages;
        for (unsigned i = 0; i < l->nr_ranges; i++)
            if (l->ranges[i].start != l->virt_base)
                l->ranges[i].first_pfn = l->p2m_pfn;
    }
    l->pfns_used = pfn;

    if (pae && l->virt_end > COMPAT_HV_VIRT_START)
        return error_set(err, errlen, -1, "the boot region %#llx-%#llx of a 32-bit guest reaches "
                         "into the hypervisor hole at %#x: too much memory for its "
                         "VIRT_BASE", (unsigned long long)l->virt_base,
                         (unsigned long long)l->virt_end - 1, COMPAT_HV_VIRT_START);
    if (pae && nr_pages > UINT32_MAX)
        return error_set(err, errlen, -1, "a 32-bit guest cannot have %llu frames",
                         (unsigned long long)nr_pages);

    if (l->pfns_used > nr_pages)
        return error_set(err, errlen, -1,
                    "too little memory: the guest needs at least %llu MiB to boot, "
                    "%llu MiB are left",
                    (unsigned long long)((l->pfns_used * PAGE_SIZE) >> 20) + 1,
                    (unsigned long long)((nr_pages * PAGE_SIZE) >> 20));
    return 0;
}
