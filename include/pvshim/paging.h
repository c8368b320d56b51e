/*
 * pvshim's own address space: the direct map of machine memory, the image,
 * device windows and the hypervisor L4 slots copied into every guest L4.
 */
#ifndef PVSHIM_PAGING_H
#define PVSHIM_PAGING_H

#include <pvshim/types.h>
#include <pvshim/memmap.h>

/* x86-64 page-table entry bits. */
#define PTE_P       (1ull << 0)
#define PTE_RW      (1ull << 1)
#define PTE_US      (1ull << 2)
#define PTE_PWT     (1ull << 3)
#define PTE_PCD     (1ull << 4)
#define PTE_A       (1ull << 5)
#define PTE_D       (1ull << 6)
#define PTE_PS      (1ull << 7)     /* L2/L3: superpage; L1: PAT */
#define PTE_G       (1ull << 8)
#define PTE_AVAIL   (7ull << 9)
#define PTE_NX      (1ull << 63)
#define PTE_ADDR_MASK 0x000ffffffffff000ull

typedef uint64_t pte_t;

#define L1_SHIFT    12
#define L2_SHIFT    21
#define L3_SHIFT    30
#define L4_SHIFT    39
#define PT_ENTRIES  512
#define pt_index(va, shift) (((va) >> (shift)) & (PT_ENTRIES - 1))
/* The shift of a level-n table's entries (n = 1 for an L1, up to 4). */
#define pt_level_shift(n)   (L1_SHIFT + 9 * ((n) - 1))

/* Build pvshim's page tables over a sanitized map and switch to them. */
void paging_init(const struct memmap *m);

/* Map [pa, pa + size) at va in pvshim's space with flags (PTE_P implied). */
void paging_map(vaddr_t va, paddr_t pa, uint64_t size, uint64_t flags);

/* Map a 4 KiB page at va (replacing any old mapping) and flush its TLB entry. */
void paging_set_page(vaddr_t va, paddr_t pa, uint64_t flags);

/* Remove the 4 KiB mapping at va (if any) and flush its TLB entry. */
void paging_clear_page(vaddr_t va);

/* pvshim's master L4 and its machine address. */
/*
 * Unmap the 4 KiB pages of [va, va + size) on this CPU (others never used
 * them); pages inside a superpage stay. Returns how many were unmapped.
 */
uint64_t paging_unmap_small(vaddr_t va, uint64_t size);
pte_t *paging_master_l4(void);
paddr_t paging_master_l4_maddr(void);

/* Frames pvshim's own page tables occupy (the boot footprint report). */
uint64_t paging_table_frames(void);

/* Direct-map address of a machine address (no checks). */
static inline void *maddr_to_virt(paddr_t pa)
{
    return (void *)(uintptr_t)(0xffff830000000000ull + pa);
}

#endif
