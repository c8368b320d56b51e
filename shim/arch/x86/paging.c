/*
 * pvshim's page tables. Until paging_init() switches CR3, the boot tables
 * of entry.asm map the first 4 GiB at IMAGE_VIRT_OFFSET ("boot window").
 * Afterwards all RAM and ACPI memory is reachable through the direct map,
 * and the image is mapped page by page with the permissions its sections
 * need.
 */
#include <pvshim/paging.h>
#include <pvshim/phys.h>
#include <pvshim/layout.h>
#include <pvshim/frame_alloc.h>
#include <pvshim/status.h>
#include <pvshim/string.h>
#include <pvshim/log.h>
#include "x86.h"
#include "arch.h"

extern char __image_start[], __text_start[], __text_end[];
extern char __rodata_start[], __rodata_end[], __data_start[], __image_end[];

#define BOOT_WINDOW_LIMIT   GiB(4)
#define DIRECTMAP_RANGES    MEMMAP_MAX

static bool directmap_ready;
static struct { paddr_t start, end; } mapped[DIRECTMAP_RANGES];
static unsigned nr_mapped;
/* The largest range (most of RAM: the guest's frames), tried first. */
static unsigned largest;
static pte_t *master_l4;
static paddr_t master_l4_pa;
static uint64_t table_frames;       /* frames alloc_table() took */

/* mapped[largest] once the direct map is in use (phys.h). */
struct phys_window phys_window;

void *phys_access(paddr_t pa, size_t len)
{
    if (pa + len < pa)
        return NULL;
    if (!directmap_ready)
        return pa + len <= BOOT_WINDOW_LIMIT
               ? (void *)(uintptr_t)(IMAGE_VIRT_OFFSET + pa) : NULL;
    if (largest < nr_mapped &&
        mapped[largest].start <= pa && pa + len <= mapped[largest].end)
        return maddr_to_virt(pa);
    for (unsigned i = 0; i < nr_mapped; i++)
        if (mapped[i].start <= pa && pa + len <= mapped[i].end)
            return maddr_to_virt(pa);
    return NULL;
}

paddr_t phys_of(const void *p)
{
    uintptr_t v = (uintptr_t)p;
    if (v >= DIRECTMAP_VIRT_START && v < DIRECTMAP_VIRT_END)
        return v - DIRECTMAP_VIRT_START;
    return v - IMAGE_VIRT_OFFSET;
}

/* A zeroed page-table page. Below 4 GiB while the boot window is in use. */
static pte_t *alloc_table(paddr_t *pa_out)
{
    mfn_t limit = directmap_ready ? ~(mfn_t)0 : paddr_to_mfn(BOOT_WINDOW_LIMIT);
    mfn_t mfn = frame_pool_alloc(&machine_frames, 1, 1, limit);
    if (mfn == INVALID_MFN)
        panic("out of memory for pvshim's page tables");
    table_frames++;
    pte_t *t = phys_access(mfn_to_paddr(mfn), PAGE_SIZE);
    memset(t, 0, PAGE_SIZE);
    *pa_out = mfn_to_paddr(mfn);
    return t;
}

static pte_t *table_of(pte_t e)
{
    return phys_access(e & PTE_ADDR_MASK, PAGE_SIZE);
}

/* The entry for va at the given level, creating tables above it. */
static pte_t *walk_create(vaddr_t va, int level_shift)
{
    pte_t *t = master_l4;
    for (int shift = L4_SHIFT; shift > level_shift; shift -= 9) {
        pte_t *e = &t[pt_index(va, shift)];
        if (!(*e & PTE_P)) {
            paddr_t pa;
            alloc_table(&pa);
            /* Intermediate levels grant all; leaves decide. */
            *e = pa | PTE_P | PTE_RW | (va < DIRECTMAP_VIRT_START &&
                                        va >= RO_M2P_VIRT_START &&
                                        va < RO_M2P_VIRT_END ? PTE_US : 0);
        } else if (*e & PTE_PS) {
            panic("paging: %#llx is inside a superpage", (unsigned long long)va);
        }
        t = table_of(*e);
    }
    return &t[pt_index(va, level_shift)];
}

void paging_map(vaddr_t va, paddr_t pa, uint64_t size, uint64_t flags)
{
    uint64_t off = 0;
    while (off < size) {
        vaddr_t v = va + off;
        paddr_t p = pa + off;
        if (IS_ALIGNED(v, MiB(2)) && IS_ALIGNED(p, MiB(2)) && size - off >= MiB(2)) {
            *walk_create(v, L2_SHIFT) = p | flags | PTE_P | PTE_PS;
            off += MiB(2);
        } else {
            *walk_create(v, L1_SHIFT) = p | flags | PTE_P;
            off += PAGE_SIZE;
        }
    }
}

void paging_set_page(vaddr_t va, paddr_t pa, uint64_t flags)
{
    *walk_create(va, L1_SHIFT) = pa | flags | PTE_P;
    invlpg(va);
}

void paging_clear_page(vaddr_t va)
{
    *walk_create(va, L1_SHIFT) = 0;
    invlpg(va);
}

/* The 4 KiB entry for va, or NULL if none (not mapped, or inside a superpage). */
static pte_t *walk_small(vaddr_t va)
{
    pte_t *t = master_l4;
    for (int shift = L4_SHIFT; shift > L1_SHIFT; shift -= 9) {
        pte_t e = t[pt_index(va, shift)];
        if (!(e & PTE_P) || (e & PTE_PS))
            return NULL;
        t = table_of(e);
    }
    return &t[pt_index(va, L1_SHIFT)];
}

uint64_t paging_unmap_small(vaddr_t va, uint64_t size)
{
    uint64_t n = 0;
    for (uint64_t off = 0; off < size; off += PAGE_SIZE) {
        pte_t *e = walk_small(va + off);
        if (!e)
            continue;
        *e = 0;
        invlpg(va + off);
        n++;
    }
    return n;
}

pte_t *paging_master_l4(void)
{
    return master_l4;
}

uint64_t paging_table_frames(void)
{
    return table_frames;
}

paddr_t paging_master_l4_maddr(void)
{
    return master_l4_pa;
}

static void map_image_section(char *start, char *end, uint64_t flags)
{
    vaddr_t s = ALIGN_DOWN((vaddr_t)start, PAGE_SIZE);
    vaddr_t e = ALIGN_UP((vaddr_t)end, PAGE_SIZE);
    for (vaddr_t v = s; v < e; v += PAGE_SIZE)
        *walk_create(v, L1_SHIFT) = (v - IMAGE_VIRT_OFFSET) | flags | PTE_P;
}

void paging_init(const struct memmap *m)
{
    master_l4 = alloc_table(&master_l4_pa);

    /* Direct map: RAM and firmware tables, nothing else (no MMIO). */
    for (unsigned i = 0; i < m->nr; i++) {
        const struct memmap_entry *e = &m->e[i];
        if (e->type != MEM_RAM && e->type != MEM_ACPI && e->type != MEM_NVS)
            continue;
        paddr_t s = ALIGN_DOWN(e->start, PAGE_SIZE);
        paddr_t t = ALIGN_UP(e->start + e->size, PAGE_SIZE);
        if (t > DIRECTMAP_VIRT_END - DIRECTMAP_VIRT_START)
            t = DIRECTMAP_VIRT_END - DIRECTMAP_VIRT_START;
        if (s >= t)
            continue;
        paging_map(DIRECTMAP_VIRT_START + s, s, t - s, PTE_RW | PTE_NX);
        if (nr_mapped && mapped[nr_mapped - 1].end == s)
            mapped[nr_mapped - 1].end = t;
        else
            mapped[nr_mapped++] = (typeof(mapped[0])){ s, t };
    }
    for (unsigned i = 0; i < nr_mapped; i++)
        if (mapped[i].end - mapped[i].start > mapped[largest].end - mapped[largest].start)
            largest = i;

    /* The image, W^X: text RX, rodata R, data and bss RW. */
    map_image_section(__text_start, __text_end, 0);
    map_image_section(__rodata_start, __rodata_end, PTE_NX);
    map_image_section(__data_start, __image_end, PTE_RW | PTE_NX);

    arch_map_devices();

    write_cr3(master_l4_pa);
    directmap_ready = true;
    if (largest < nr_mapped)
        phys_window = (struct phys_window){
            .lo = paddr_to_mfn(mapped[largest].start),
            .hi = paddr_to_mfn(mapped[largest].end),
            .offset = (uintptr_t)maddr_to_virt(0),
        };
    /* master_l4 was reached through the boot window; use the direct map now. */
    master_l4 = maddr_to_virt(master_l4_pa);
}

bool arch_guest_walk(vaddr_t va, paddr_t *pa)
{
    pte_t e = read_cr3() & PTE_ADDR_MASK;
    for (int shift = L4_SHIFT; shift >= L1_SHIFT; shift -= 9) {
        const pte_t *t = phys_access(e & PTE_ADDR_MASK, PAGE_SIZE);
        if (!t)
            return false;
        e = t[pt_index(va, shift)];
        if (!(e & PTE_P))
            return false;
        if (shift != L1_SHIFT && shift != L4_SHIFT && (e & PTE_PS)) {
            uint64_t mask = (1ull << shift) - 1;
            *pa = ((e & PTE_ADDR_MASK) & ~mask) | (va & mask & PAGE_MASK);
            return true;
        }
    }
    *pa = e & PTE_ADDR_MASK;
    return true;
}
