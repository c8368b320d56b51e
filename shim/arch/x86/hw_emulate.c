/* The hardware side of privileged-instruction emulation (include/pvshim/hw.h). */
#include <pvshim/hw.h>
#include <pvshim/string.h>
#include <pvshim/layout.h>
#include "x86.h"
#include "arch.h"
#include "selectors.h"

#define CR4_TSD             (1ul << 2)
#define MSR_TSC_AUX         0xc0000103

int arch_rdmsr_safe(uint32_t msr, uint64_t *val);
int arch_xsetbv_safe(uint64_t xcr0);
int arch_read_qword_safe(const uint64_t *p, uint64_t *out);

uint64_t hw_read_cr0(void)
{
    return read_cr0();
}

uint64_t hw_read_cr4(void)
{
    return read_cr4();
}

void hw_apply_guest_cr4(uint64_t guest_cr4)
{
    uint64_t guest_bits = CR4_TSD | (cpu.fsgsbase ? CR4_FSGSBASE : 0);
    uint64_t cr4 = read_cr4();
    uint64_t want = (cr4 & ~guest_bits) | (guest_cr4 & guest_bits);
    if (want != cr4)
        write_cr4(want);
}

void hw_cpuid(uint32_t leaf, uint32_t subleaf, uint32_t *eax, uint32_t *ebx,
              uint32_t *ecx, uint32_t *edx)
{
    struct cpuid_result r = cpuid(leaf, subleaf);
    *eax = r.eax;
    *ebx = r.ebx;
    *ecx = r.ecx;
    *edx = r.edx;
}

bool hw_rdmsr_safe(uint32_t msr, uint64_t *val)
{
    return arch_rdmsr_safe(msr, val) == 0;
}

uint64_t hw_rdtsc(void)
{
    return rdtsc();
}

bool hw_set_xcr0(uint64_t xcr0)
{
    if (!(read_cr4() & CR4_OSXSAVE))
        return false;
    return arch_xsetbv_safe(xcr0) == 0;
}

void hw_set_debugreg(unsigned int reg, uint64_t v)
{
    switch (reg) {
    case 0: __asm__ volatile("mov %0, %%db0" : : "r"(v)); break;
    case 1: __asm__ volatile("mov %0, %%db1" : : "r"(v)); break;
    case 2: __asm__ volatile("mov %0, %%db2" : : "r"(v)); break;
    case 3: __asm__ volatile("mov %0, %%db3" : : "r"(v)); break;
    case 6: __asm__ volatile("mov %0, %%db6" : : "r"(v)); break;
    case 7: __asm__ volatile("mov %0, %%db7" : : "r"(v)); break;
    default: break;
    }
}

void hw_set_tsc_aux(uint32_t v)
{
    if (cpu.rdtscp)
        wrmsr(MSR_TSC_AUX, v);
}

/*
 * Descriptors are read where the CPU reads them: the GDT window (guest
 * pages 0-13, pvshim's 14-15) and the LDT window. An LDT page the guest
 * has not touched yet is not mapped; the read then fails like a fault.
 */
bool hw_read_descriptor(uint16_t sel, uint64_t *desc)
{
    unsigned index = sel >> 3;
    if ((sel & ~3u) == 0)
        return false;
    if (sel & 4) {
        uint16_t ldtr;
        uint32_t limit;
        __asm__ volatile("sldt %0" : "=r"(ldtr));
        if (!ldtr)
            return false;
        __asm__ volatile("lsl %1, %0" : "=r"(limit) : "r"((uint32_t)ldtr) : "cc");
        if ((uint64_t)index * 8 + 7 > limit)
            return false;
        return arch_read_qword_safe((const uint64_t *)(hw_ldt_window() + index * 8ull),
                                    desc) == 0;
    }
    if (index >= GDT_ENTRIES)
        return false;
    struct { uint16_t limit; uint64_t base; } PACKED gdtr;
    __asm__ volatile("sgdt %0" : "=m"(gdtr));
    return arch_read_qword_safe((const uint64_t *)(gdtr.base + index * 8ull), desc) == 0;
}

/* A suspending guest's FPU/SSE/AVX registers (hw.h): FXSAVE, or XSAVE of mask. */
void hw_save_fpu(void *area, bool xsave, uint64_t mask)
{
    uint64_t cr0 = hw_read_cr0();
    __asm__ volatile("clts");
    if (xsave)
        __asm__ volatile("xsave64 (%0)" : : "r"(area), "a"((uint32_t)mask),
                         "d"((uint32_t)(mask >> 32)) : "memory");
    else
        __asm__ volatile("fxsave64 (%0)" : : "r"(area) : "memory");
    if (cr0 & (1ull << 3))
        hw_set_ts(true);
}

/* A restored guest's FPU/SSE/AVX registers (hw.h): FXRSTOR, or XRSTOR of mask. */
void hw_load_fpu(const void *area, bool xsave, uint64_t mask)
{
    static uint8_t buf[4096] __attribute__((aligned(64)));
    memcpy(buf, area, xsave ? sizeof(buf) : 512);
    if (xsave)
        __asm__ volatile("xrstor64 %0" : : "m"(buf), "a"((uint32_t)mask),
                         "d"((uint32_t)(mask >> 32)) : "memory");
    else
        __asm__ volatile("fxrstor64 %0" : : "m"(buf) : "memory");
}
