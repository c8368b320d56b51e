/* Simulated guest address space and hardware for host tests. */
#include <pvshim/layout.h>
#include <stdlib.h>
#include <string.h>
#include <pvshim/guest_access.h>
#include <pvshim/hw.h>
#include <pvshim/heap.h>
#include <pvshim/xen_abi.h>
#include "fakes.h"

#define FAKE_GUEST_REGIONS 64

static struct { vaddr_t va; size_t len; uint8_t *host; } gregions[FAKE_GUEST_REGIONS];
static unsigned nr_gregions;
void *(*fake_guest_translate)(vaddr_t va, bool write);

void fake_guest_reset(void)
{
    nr_gregions = 0;
    fake_guest_translate = NULL;
}

void fake_guest_map(vaddr_t va, void *host, size_t len)
{
    if (nr_gregions == FAKE_GUEST_REGIONS)
        abort();
    gregions[nr_gregions++] = (typeof(gregions[0])){ va, len, host };
}

static uint8_t *translate(vaddr_t va, bool write)
{
    if (fake_guest_translate)
        return fake_guest_translate(va, write);
    for (unsigned i = 0; i < nr_gregions; i++)
        if (gregions[i].va <= va && va < gregions[i].va + gregions[i].len)
            return gregions[i].host + (va - gregions[i].va);
    return NULL;
}

int copy_from_guest(void *dst, vaddr_t src, size_t len)
{
    if (!guest_range_ok(src, len))
        return -XEN_EFAULT;
    for (size_t i = 0; i < len; i++) {
        uint8_t *p = translate(src + i, false);
        if (!p)
            return -XEN_EFAULT;
        ((uint8_t *)dst)[i] = *p;
    }
    return 0;
}

int copy_to_guest(vaddr_t dst, const void *src, size_t len)
{
    if (!guest_range_ok(dst, len))
        return -XEN_EFAULT;
    /* Check the whole range first: a failed copy writes nothing here. */
    for (size_t i = 0; i < len; i++)
        if (!translate(dst + i, true))
            return -XEN_EFAULT;
    for (size_t i = 0; i < len; i++)
        *translate(dst + i, true) = ((const uint8_t *)src)[i];
    return 0;
}

/* ------------------------------------------------------------- hardware */

struct fake_hw fake_hw;

void fake_hw_reset(void)
{
    memset(&fake_hw, 0, sizeof(fake_hw));
}

void hw_load_cr3(paddr_t l4)
{
    if (fake_hw.cr3_load_hook)
        fake_hw.cr3_load_hook();
    fake_hw.cr3 = l4;
    fake_hw.cr3_loads++;
}
paddr_t hw_current_cr3(void) { return fake_hw.cr3; }
void hw_flush_tlb(void) { fake_hw.tlb_flushes++; }
void hw_invlpg(vaddr_t va) { fake_hw.invlpgs++; fake_hw.last_invlpg = va; }
void hw_flush_cache(void) { fake_hw.cache_flushes++; }
void hw_set_guest_gdt(const mfn_t *frames, unsigned n)
{
    fake_hw.gdt_nr = n;
    for (unsigned i = 0; i < n && i < 16; i++)
        fake_hw.gdt_frames[i] = frames[i];
}
vaddr_t hw_ldt_window(void) { return LDT_WINDOW_VIRT; }
void hw_set_guest_ldt(unsigned ents) { fake_hw.ldt_ents = ents; fake_hw.ldt_loads++; }
void hw_map_guest_ldt_page(unsigned page, mfn_t mfn)
{
    if (page < 16)
        fake_hw.ldt_pages[page] = mfn;
}
void hw_set_fs_base(uint64_t b) { fake_hw.fs_base = b; }
void hw_set_gs_base(uint64_t b) { fake_hw.gs_base = b; }
void hw_set_ts(bool set) { fake_hw.ts = set; }
vaddr_t hw_read_cr2(void) { return fake_hw.cr2; }

/* ------------------------------------------------------------- heap */

static size_t heap_in_use;

void heap_init(void) {}

void *heap_alloc(size_t size)
{
    size_t *p = calloc(1, size + 16);
    if (!p)
        return NULL;
    p[0] = size;
    heap_in_use += size;
    return (uint8_t *)p + 16;
}

void heap_free(void *ptr)
{
    if (!ptr)
        return;
    size_t *p = (size_t *)((uint8_t *)ptr - 16);
    heap_in_use -= p[0];
    free(p);
}

size_t heap_bytes_in_use(void)
{
    return heap_in_use;
}

uint64_t hw_get_fs_base(void) { return fake_hw.fs_base; }
uint64_t hw_get_gs_base(void) { return fake_hw.gs_base; }
void hw_set_inactive_gs_base(uint64_t b) { fake_hw.gs_inactive = b; }
uint64_t hw_get_inactive_gs_base(void) { return fake_hw.gs_inactive; }
void hw_swap_gs(void)
{
    uint64_t t = fake_hw.gs_base;
    fake_hw.gs_base = fake_hw.gs_inactive;
    fake_hw.gs_inactive = t;
}
int hw_load_user_gs_selector(uint16_t sel)
{
    fake_hw.user_gs_sel = sel;
    fake_hw.gs_inactive = 0;
    return 0;
}
void hw_read_data_selectors(uint16_t sel[4]) { memset(sel, 0, 4 * sizeof(sel[0])); }
unsigned hw_load_data_selectors(const uint16_t sel[4])
{
    memcpy(fake_hw.data_sels, sel, sizeof(fake_hw.data_sels));
    return 0;
}
bool hw_smap_active(void) { return fake_hw.smap; }
