/* What the CPU offers, and switching on the protections pvshim relies on. */
#include <pvshim/log.h>
#include <pvshim/string.h>
#include <pvshim/status.h>
#include "x86.h"
#include "arch.h"

struct cpu_features cpu;

static void put_reg(char *dst, uint32_t v)
{
    memcpy(dst, &v, 4);
}

void cpu_detect(void)
{
    struct cpuid_result r = cpuid(0, 0);
    uint32_t max_leaf = r.eax;
    put_reg(cpu.vendor, r.ebx);
    put_reg(cpu.vendor + 4, r.edx);
    put_reg(cpu.vendor + 8, r.ecx);
    cpu.vendor[12] = '\0';

    r = cpuid(1, 0);
    cpu.family = (r.eax >> 8) & 0xf;
    cpu.model = (r.eax >> 4) & 0xf;
    if (cpu.family == 0xf)
        cpu.family += (r.eax >> 20) & 0xff;
    if (cpu.family >= 6)
        cpu.model |= ((r.eax >> 16) & 0xf) << 4;
    cpu.stepping = r.eax & 0xf;
    cpu.pge = r.edx & (1u << 13);
    cpu.xsave = r.ecx & (1u << 26);
    cpu.x2apic = r.ecx & (1u << 21);
    cpu.tsc_deadline = r.ecx & (1u << 24);
    cpu.hypervisor = r.ecx & (1u << 31);

    if (max_leaf >= 7) {
        r = cpuid(7, 0);
        cpu.fsgsbase = r.ebx & (1u << 0);
        cpu.smep = r.ebx & (1u << 7);
        cpu.smap = r.ebx & (1u << 20);
    }

    uint32_t max_ext = cpuid(0x80000000, 0).eax;
    if (max_ext >= 0x80000001) {
        r = cpuid(0x80000001, 0);
        cpu.nx = r.edx & (1u << 20);
        cpu.pdpe1gb = r.edx & (1u << 26);
    }
    if (max_ext >= 0x80000004) {
        for (uint32_t i = 0; i < 3; i++) {
            r = cpuid(0x80000002 + i, 0);
            put_reg(cpu.brand + i * 16, r.eax);
            put_reg(cpu.brand + i * 16 + 4, r.ebx);
            put_reg(cpu.brand + i * 16 + 8, r.ecx);
            put_reg(cpu.brand + i * 16 + 12, r.edx);
        }
        cpu.brand[48] = '\0';
    }
    if (max_ext >= 0x80000007)
        cpu.invariant_tsc = cpuid(0x80000007, 0).edx & (1u << 8);
    if (max_ext >= 0x80000008) {
        r = cpuid(0x80000008, 0);
        cpu.phys_addr_bits = r.eax & 0xff;
        cpu.virt_addr_bits = (r.eax >> 8) & 0xff;
    } else {
        cpu.phys_addr_bits = 36;
        cpu.virt_addr_bits = 48;
    }
}

void cpu_enable_protections(void)
{
    uint64_t efer = rdmsr(MSR_EFER);
    if (cpu.nx)
        efer |= EFER_NXE;
    wrmsr(MSR_EFER, efer);

    /* WP: pvshim honours read-only mappings too (guest page tables!). */
    write_cr0(read_cr0() | CR0_WP | CR0_NE | CR0_MP);
    uint64_t cr4 = read_cr4();
    if (cpu.smep)
        cr4 |= CR4_SMEP;
    if (cpu.smap)
        cr4 |= CR4_SMAP;
    write_cr4(cr4);
    smap_active = cpu.smap;

    const char *s = cpu.brand[0] ? cpu.brand : cpu.vendor;
    while (*s == ' ')
        s++;
    log_info("cpu: %s (family %u model %u stepping %u), %u-bit physical",
             s, cpu.family, cpu.model, cpu.stepping, cpu.phys_addr_bits);
    log_info("cpu: nx %s, smep %s, smap %s, pge %s, 1G pages %s, invariant tsc %s",
             cpu.nx ? "on" : "absent", cpu.smep ? "on" : "absent",
             cpu.smap ? "on" : "absent", cpu.pge ? "yes" : "no",
             cpu.pdpe1gb ? "yes" : "no", cpu.invariant_tsc ? "yes" : "no");
}
