/*
 * Page helpers: walking the 3-level PAE tables (8-byte entries), frames we
 * own beyond the initial mapping, and scratch pages in the initial
 * region's slack (the last pages, which start-of-day leaves unused).
 */
#include "pvtest32.h"

#define SCRATCH_SLOTS 32
#define COMPAT_M2P ((const uint32_t *)0xf5800000u)

static uint32_t next_free_pfn;

static void *va_of_mfn(uint64_t mfn)
{
    uint32_t pfn = COMPAT_M2P[mfn];
    if (pfn >= si->nr_pages || p2m[pfn] != mfn || VIRT_BASE + (pfn << 12) >= region_end)
        return NULL;
    return (void *)(VIRT_BASE + (pfn << 12));
}

uint64_t *pte_of(uint32_t va, int level)
{
    uint64_t *t = (uint64_t *)si->pt_base;
    for (int l = 3; l >= level; l--) {
        unsigned idx = l == 3 ? va >> 30 : (va >> (12 + 9 * (l - 1))) & 511;
        if (l == level)
            return &t[idx];
        if (!(t[idx] & PTE_P) || (l == 2 && (t[idx] & PTE_PSE)))
            return NULL;
        t = va_of_mfn((t[idx] & PTE_ADDR) >> 12);
        if (!t)
            return NULL;
    }
    return NULL;
}

uint32_t alloc_pfn(void)
{
    if (!next_free_pfn)
        next_free_pfn = si->nr_pages;
    return --next_free_pfn;
}

uint32_t scratch_va(unsigned slot)
{
    return region_end - (SCRATCH_SLOTS - slot) * PG_SIZE;
}
