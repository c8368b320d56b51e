/*
 * Page helpers for the checks: walking the current page tables, frames we
 * own beyond the initial mapping, and a small scratch window (the last
 * pages of the initial region, which startofday guarantees to be unused
 * padding) where such frames are mapped one at a time.
 */
#include "pvtest.h"
#include "hypercall.h"

#define SCRATCH_SLOTS 32

static unsigned long next_free_pfn;     /* counts down from nr_pages */
static unsigned long lowest_free_pfn;
static uint32_t scratch_used;

static inline unsigned long *m2p_table(void)
{
    return (unsigned long *)MACH2PHYS_VIRT_START;
}

/* The VA of a frame inside the initial region, or NULL. */
static void *region_va_of_mfn(unsigned long mfn)
{
    unsigned long pfn = m2p_table()[mfn];
    unsigned long region_pages = (region_end - region_start) >> 12;

    if (pfn >= region_pages || p2m[pfn] != mfn)
        return NULL;
    return (void *)(region_start + (pfn << 12));
}

uint64_t *pte_of(unsigned long va, int level)
{
    uint64_t *table = (uint64_t *)si->pt_base;

    for (int l = 4; l >= level; l--) {
        unsigned idx = (va >> (12 + 9 * (l - 1))) & 511;
        if (l == level)
            return &table[idx];
        if (!(table[idx] & PTE_P) || (table[idx] & PTE_PSE))
            return NULL;
        table = region_va_of_mfn((table[idx] & PTE_ADDR) >> 12);
        if (!table)
            return NULL;
    }
    return NULL;
}

void mm_init(void)
{
    next_free_pfn = si->nr_pages;
    lowest_free_pfn = (region_end - region_start) >> 12;
}

unsigned long free_pfns_left(void)
{
    return next_free_pfn - lowest_free_pfn;
}

unsigned long alloc_pfn(void)
{
    if (next_free_pfn <= lowest_free_pfn) {
        expect(false, "out of free frames");
        check_abort();
    }
    return --next_free_pfn;
}

static unsigned long scratch_va(unsigned slot)
{
    return region_end - (unsigned long)(SCRATCH_SLOTS - slot) * PG_SIZE;
}

void *map_pfn(unsigned long pfn, bool writable)
{
    for (unsigned slot = 0; slot < SCRATCH_SLOTS; slot++) {
        if (scratch_used & (1u << slot))
            continue;
        unsigned long va = scratch_va(slot);
        uint64_t pte = (p2m[pfn] << 12) | PTE_P | PTE_US | PTE_A |
                       (writable ? PTE_RW | PTE_D : 0);
        long rc = hc_update_va_mapping(va, pte, UVMF_INVLPG);
        if (rc) {
            expect(false, "mapping pfn %#lx (mfn %#lx) at %#lx: %ld", pfn,
                   p2m[pfn], va, rc);
            check_abort();
        }
        scratch_used |= 1u << slot;
        return (void *)va;
    }
    expect(false, "scratch window full");
    check_abort();
}

void unmap_va(void *va)
{
    unsigned long v = (unsigned long)va;
    long rc = hc_update_va_mapping(v, 0, UVMF_INVLPG);
    expect(rc == 0, "unmapping %#lx: %ld", v, rc);
    for (unsigned slot = 0; slot < SCRATCH_SLOTS; slot++)
        if (scratch_va(slot) == v)
            scratch_used &= ~(1u << slot);
}

/* Frees every scratch slot (after a check that was aborted). */
void scratch_reset(void)
{
    for (unsigned slot = 0; slot < SCRATCH_SLOTS; slot++)
        if (scratch_used & (1u << slot))
            unmap_va((void *)scratch_va(slot));
}
