/* What the CPU offers, and switching on the protections pvshim relies on. */
#include <pvshim/log.h>
#include <pvshim/string.h>
#include <pvshim/status.h>
#include "x86.h"
#include "arch.h"
#include <pvshim/platform.h>
#include <pvshim/arch.h>

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
        cpu.rdtscp = r.edx & (1u << 27);
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

#define MSR_PLATFORM_INFO           0xce
#define MSR_MISC_FEATURES_ENABLES   0x140
/* XCR0 components a guest may use: x87, SSE, AVX and the AVX-512 state. */
#define XCR0_GUEST_MASK             0xe7ull

int arch_rdmsr_safe(uint32_t msr, uint64_t *val);
int arch_xsetbv_safe(uint64_t xcr0);

/*
 * The FPU and vector state belongs to the guest alone (pvshim's C never
 * uses it; the domain build's table fills do, before the guest's first
 * instruction, and leave the registers zero: shim/lib/fill.c), so pvshim
 * only switches the features on: FXSR/SSE, XSAVE with the
 * components the CPU has, and CPUID faulting so guest user space sees the
 * PV CPUID policy too.
 */
static void enable_guest_cpu_features(void)
{
    write_cr4(read_cr4() | CR4_OSFXSR | CR4_OSXMMEXCPT);
    if (cpu.xsave) {
        write_cr4(read_cr4() | CR4_OSXSAVE);
        struct cpuid_result r = cpuid(0xd, 0);
        cpu.xcr0_max = (((uint64_t)r.edx << 32) | r.eax) & XCR0_GUEST_MASK;
        if (arch_xsetbv_safe(cpu.xcr0_max & 3) != 0)
            cpu.xcr0_max = 0;
    }
    uint64_t info;
    if (arch_rdmsr_safe(MSR_PLATFORM_INFO, &info) == 0 && (info & (1ull << 31))) {
        uint64_t mfe;
        if (arch_rdmsr_safe(MSR_MISC_FEATURES_ENABLES, &mfe) == 0) {
            wrmsr(MSR_MISC_FEATURES_ENABLES, mfe | 1);
            cpu.cpuid_faulting = true;
        }
    }
}

/* An application processor: the same EFER, CR0 and CR4 features, XCR0 and
 * CPUID faulting as the boot CPU (cpu_enable_protections ran there). */
void cpu_init_secondary(void)
{
    uint64_t efer = rdmsr(MSR_EFER);
    if (cpu.nx)
        efer |= EFER_NXE;
    wrmsr(MSR_EFER, efer);
    write_cr0(read_cr0() | CR0_WP | CR0_NE | CR0_MP);
    uint64_t cr4 = read_cr4() | CR4_OSFXSR | CR4_OSXMMEXCPT;
    if (cpu.smep)
        cr4 |= CR4_SMEP;
    if (smap_active)
        cr4 |= CR4_SMAP;
    if (cpu.xcr0_max)
        cr4 |= CR4_OSXSAVE;
    write_cr4(cr4);
    if (cpu.xcr0_max)
        (void)arch_xsetbv_safe(cpu.xcr0_max & 3);
    if (cpu.cpuid_faulting) {
        uint64_t mfe;
        if (arch_rdmsr_safe(MSR_MISC_FEATURES_ENABLES, &mfe) == 0)
            wrmsr(MSR_MISC_FEATURES_ENABLES, mfe | 1);
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
    /* (QEMU's TCG trips over SMAP in a ring-3 iretq: see entry.c.) */
    if (cpu.smap)
        cr4 |= CR4_SMAP;
    write_cr4(cr4);
    smap_active = cpu.smap;
    enable_guest_cpu_features();

    const char *s = cpu.brand[0] ? cpu.brand : cpu.vendor;
    while (*s == ' ')
        s++;
    log_info("cpu: %s (family %u model %u stepping %u), %u-bit physical",
             s, cpu.family, cpu.model, cpu.stepping, cpu.phys_addr_bits);
    log_info("cpu: nx %s, smep %s, smap %s, pge %s, 1G pages %s, invariant tsc %s",
             cpu.nx ? "on" : "absent", cpu.smep ? "on" : "absent",
             smap_active ? "on" : "absent",
             cpu.pge ? "yes" : "no",
             cpu.pdpe1gb ? "yes" : "no", cpu.invariant_tsc ? "yes" : "no");
    log_info("cpu: xsave %s (guest XCR0 up to %#llx), cpuid faulting %s",
             cpu.xcr0_max ? "on" : "absent", (unsigned long long)cpu.xcr0_max,
             cpu.cpuid_faulting ? "on" : "absent");
}

struct arch_guest_cpu arch_guest_cpu(void)
{
    return (struct arch_guest_cpu){ .xcr0_max = cpu.xcr0_max,
                                    .cpuid_faulting = cpu.cpuid_faulting };
}
