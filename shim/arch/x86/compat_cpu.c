/*
 * What the CPU needs to run a 32-bit PAE PV guest (compat.h): the reserved
 * GDT entries of a 32-bit guest, the guest's data selectors at its first
 * entry, and SMEP/SMAP off while it runs. A 32-bit guest's kernel runs in
 * ring 1, which the CPU counts as supervisor: with SMEP or SMAP on it
 * could not run or touch its own user pages. pvshim turns them back on
 * at every entry from such a guest and off at every return to it, as
 * Xen's CR4_PV32_RESTORE does.
 */
#include <pvshim/arch.h>
#include <pvshim/percpu.h>
#include <pvshim/xen_abi32.h>
#include "x86.h"
#include "arch.h"
#include "selectors.h"

/* The guest is 32-bit (set once, before its first entry). */
static bool compat_guest;
uint64_t pv32_cr4_bits;

/* Flat 4 GiB code and data descriptors: access byte, 32-bit, 4 KiB granular. */
static uint64_t flat32(unsigned access)
{
    return 0x0000ffffull | (0xfull << 48) | ((uint64_t)access << 40) | (0xcull << 52);
}

void arch_compat_gdt(uint64_t *reserved_gdt)
{
    if (!compat_guest)
        return;
    reserved_gdt[(FLAT_RING1_CS_X86_32 >> 3) - GDT_FIRST_RESERVED] = flat32(0xbb);
    reserved_gdt[(FLAT_RING1_DS_X86_32 >> 3) - GDT_FIRST_RESERVED] = flat32(0xb3);
    reserved_gdt[(COMPAT_FLAT_RING3_CS >> 3) - GDT_FIRST_RESERVED] = flat32(0xfb);
    reserved_gdt[(COMPAT_FLAT_RING3_DS >> 3) - GDT_FIRST_RESERVED] = flat32(0xf3);
}

void arch_set_compat_guest(void)
{
    compat_guest = true;
    for (unsigned i = 0; i < MAX_PCPUS; i++)
        if (pcpus[i].reserved_gdt)
            arch_compat_gdt(pcpus[i].reserved_gdt);
    pv32_cr4_bits = read_cr4() & (CR4_SMEP | CR4_SMAP);
    /* A 32-bit guest starts with its flat kernel data selector everywhere. */
    __asm__ volatile("movl %0, %%ds\n\tmovl %0, %%es\n\tmovl %0, %%fs\n\tmovl %0, %%gs"
                     : : "r"((uint32_t)FLAT_RING1_DS_X86_32) : "memory");
}

