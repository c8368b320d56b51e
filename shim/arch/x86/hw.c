/* The hardware operations of include/pvshim/hw.h. */
#include <pvshim/hw.h>
#include <pvshim/layout.h>
#include <pvshim/paging.h>
#include <pvshim/log.h>
#include <pvshim/string.h>
#include "x86.h"
#include "arch.h"
#include "selectors.h"

#include <pvshim/percpu.h>

/* The calling CPU's GDT and LDT windows (layout.h). */
static vaddr_t gdt_window(void)
{
    return GDT_WINDOW_VIRT + (vaddr_t)this_pcpu()->id * PCPU_WINDOW_STRIDE;
}

vaddr_t hw_ldt_window(void)
{
    return LDT_WINDOW_VIRT + (vaddr_t)this_pcpu()->id * PCPU_WINDOW_STRIDE;
}

bool smap_active;

void hw_load_cr3(paddr_t l4_maddr)
{
    write_cr3(l4_maddr);
}

paddr_t hw_current_cr3(void)
{
    return read_cr3() & PTE_ADDR_MASK;
}

void hw_flush_tlb(void)
{
    write_cr3(read_cr3());
}

void hw_invlpg(vaddr_t va)
{
    invlpg(va);
}

void hw_flush_cache(void)
{
    wbinvd();
}

void hw_set_guest_gdt(const mfn_t *frames, unsigned n)
{
    for (unsigned i = 0; i < 14; i++) {
        paddr_t pa = i < n ? mfn_to_paddr(frames[i]) : arch_zero_page();
        paging_set_page(gdt_window() + i * PAGE_SIZE, pa, PTE_RW | PTE_NX);
    }
}

/*
 * The CPU reads LDT descriptors with supervisor rights (and SMAP forbids
 * that on user pages), so the guest's LDT frames are mapped into pvshim's
 * LDT window and LDTR points there.
 */
void hw_set_guest_ldt(unsigned ents)
{
    vaddr_t window = hw_ldt_window();
    for (unsigned i = 0; i < LDT_WINDOW_PAGES; i++)
        paging_clear_page(window + i * PAGE_SIZE);
    if (ents == 0 || ents > LDT_WINDOW_PAGES * PAGE_SIZE / 8) {
        __asm__ volatile("lldt %w0" : : "r"(0));
        return;
    }
    arch_set_ldt_descriptor(window, ents * 8 - 1);
    __asm__ volatile("lldt %w0" : : "r"(SEL_LDT));
}

void hw_map_guest_ldt_page(unsigned page, mfn_t mfn)
{
    if (page < LDT_WINDOW_PAGES)
        paging_set_page(hw_ldt_window() + page * PAGE_SIZE, mfn_to_paddr(mfn),
                        PTE_RW | PTE_NX);
}

void hw_set_fs_base(uint64_t base)
{
    wrmsr(MSR_FS_BASE, base);
}

uint64_t hw_get_fs_base(void)
{
    return rdmsr(MSR_FS_BASE);
}

void hw_set_gs_base(uint64_t base)
{
    wrmsr(MSR_GS_BASE, base);
}

uint64_t hw_get_gs_base(void)
{
    return rdmsr(MSR_GS_BASE);
}

void hw_set_inactive_gs_base(uint64_t base)
{
    wrmsr(MSR_KERNEL_GS_BASE, base);
}

uint64_t hw_get_inactive_gs_base(void)
{
    return rdmsr(MSR_KERNEL_GS_BASE);
}

void hw_swap_gs(void)
{
    __asm__ volatile("swapgs" ::: "memory");
}

int hw_load_gs_selector_checked(uint16_t sel);

int hw_load_user_gs_selector(uint16_t sel)
{
    /* The selector load sets the active GS base: swap so it lands in the user one. */
    hw_swap_gs();
    int rc = hw_load_gs_selector_checked(sel);
    hw_swap_gs();
    return rc;
}

void hw_set_ts(bool set)
{
    uint64_t cr0 = read_cr0();
    if (set != !!(cr0 & CR0_TS))
        write_cr0(set ? cr0 | CR0_TS : cr0 & ~CR0_TS);
}

bool hw_smap_active(void)
{
    return smap_active;
}

vaddr_t hw_read_cr2(void)
{
    return read_cr2();
}

void hw_read_data_selectors(uint16_t sel[4])
{
    __asm__ volatile("movw %%ds, %0; movw %%es, %1; movw %%fs, %2; movw %%gs, %3"
                     : "=m"(sel[0]), "=m"(sel[1]), "=m"(sel[2]), "=m"(sel[3]));
}
