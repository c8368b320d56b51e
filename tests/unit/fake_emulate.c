/* Simulated hardware for the instruction emulator's hw.h hooks. */
#include <stdlib.h>
#include <string.h>
#include <pvshim/hw.h>
#include <pvshim/xen_abi.h>
#include <xen/arch-x86/cpufeatureset.h>
#include "domain.h"
#include "cpuid_policy.h"
#include "fakes.h"
#include "fake_emulate.h"

struct fake_emu_hw fake_emu;

static void fake_inject_exception(struct cpu_regs *r, unsigned int vector, bool has_error,
                                  uint64_t error_code)
{
    (void)r;
    if (fake_emu.nr_events < FAKE_EVENT_MAX)
        fake_emu.events[fake_emu.nr_events++] =
            (struct fake_event){ vector, has_error ? (int)error_code : -1, 0 };
}

static void fake_inject_page_fault(struct cpu_regs *r, uint64_t error_code, vaddr_t cr2)
{
    (void)r;
    if (fake_emu.nr_events < FAKE_EVENT_MAX)
        fake_emu.events[fake_emu.nr_events++] =
            (struct fake_event){ 14, (int)error_code, cr2 };
}

static int fake_new_baseptr(mfn_t mfn)
{
    fake_emu.baseptr_calls++;
    fake_emu.baseptr_mfn = mfn;
    return fake_emu.baseptr_rc;
}

static int fake_install_hypercall_page(mfn_t mfn)
{
    fake_emu.hypercall_page_calls++;
    fake_emu.hypercall_page_mfn = mfn;
    return fake_emu.hypercall_page_rc;
}

void fake_emulate_hw_reset(void)
{
    memset(&fake_emu, 0, sizeof(fake_emu));
    memset(&pv_emul, 0, sizeof(pv_emul));
    pv_emul_ops = (struct pv_emul_ops){
        .new_baseptr = fake_new_baseptr,
        .inject_exception = fake_inject_exception,
        .inject_page_fault = fake_inject_page_fault,
        .install_hypercall_page = fake_install_hypercall_page,
    };
}

void fake_emulate_reset(void)
{
    fake_emulate_hw_reset();
    memset(&dom, 0, sizeof(dom));
    dom.nr_vcpus = 1;
    dom.vcpu[0].initialised = dom.vcpu[0].up = dom.vcpu[0].loaded = true;   /* booted, running */
    fake_guest_reset();
    fake_hw_reset();
    dom.vcpu[0].guest_table = INVALID_MFN;
    dom.vcpu[0].guest_table_user = INVALID_MFN;
}

void fake_cpuid_set(uint32_t leaf, uint32_t subleaf, uint32_t a, uint32_t b,
                    uint32_t c, uint32_t d)
{
    for (unsigned i = 0; i < fake_emu.nr_cpuid; i++)
        if (fake_emu.cpuid[i].leaf == leaf && fake_emu.cpuid[i].subleaf == subleaf) {
            fake_emu.cpuid[i].a = a;
            fake_emu.cpuid[i].b = b;
            fake_emu.cpuid[i].c = c;
            fake_emu.cpuid[i].d = d;
            return;
        }
    if (fake_emu.nr_cpuid == FAKE_CPUID_MAX)
        abort();
    fake_emu.cpuid[fake_emu.nr_cpuid++] =
        (typeof(fake_emu.cpuid[0])){ leaf, subleaf, a, b, c, d };
}

void fake_msr_set(uint32_t msr, uint64_t val)
{
    for (unsigned i = 0; i < fake_emu.nr_msr; i++)
        if (fake_emu.msr[i].msr == msr) {
            fake_emu.msr[i].val = val;
            return;
        }
    if (fake_emu.nr_msr == FAKE_MSR_MAX)
        abort();
    fake_emu.msr[fake_emu.nr_msr++] = (typeof(fake_emu.msr[0])){ msr, val };
}

void fake_desc_set(uint16_t sel, uint64_t desc)
{
    if (fake_emu.nr_desc == FAKE_DESC_MAX)
        abort();
    fake_emu.desc[fake_emu.nr_desc++] = (typeof(fake_emu.desc[0])){ sel, desc };
}

/* ------------------------------------------------------------- hw.h */

uint64_t hw_read_cr0(void) { return fake_emu.cr0; }
uint64_t hw_read_cr4(void) { return fake_emu.cr4; }

void hw_apply_guest_cr4(uint64_t guest_cr4)
{
    fake_emu.guest_cr4 = guest_cr4;
    fake_emu.guest_cr4_applies++;
}

void hw_cpuid(uint32_t leaf, uint32_t subleaf, uint32_t *eax, uint32_t *ebx,
              uint32_t *ecx, uint32_t *edx)
{
    *eax = *ebx = *ecx = *edx = 0;
    for (unsigned i = 0; i < fake_emu.nr_cpuid; i++)
        if (fake_emu.cpuid[i].leaf == leaf &&
            (fake_emu.cpuid[i].subleaf == subleaf ||
             fake_emu.cpuid[i].subleaf == FAKE_SUBLEAF_ANY)) {
            *eax = fake_emu.cpuid[i].a;
            *ebx = fake_emu.cpuid[i].b;
            *ecx = fake_emu.cpuid[i].c;
            *edx = fake_emu.cpuid[i].d;
            return;
        }
}

bool hw_rdmsr_safe(uint32_t msr, uint64_t *val)
{
    for (unsigned i = 0; i < fake_emu.nr_msr; i++)
        if (fake_emu.msr[i].msr == msr) {
            *val = fake_emu.msr[i].val;
            return true;
        }
    *val = 0;
    return false;
}

uint64_t hw_rdtsc(void) { return fake_emu.tsc; }

bool hw_set_xcr0(uint64_t xcr0)
{
    if (fake_emu.refuse_xcr0)
        return false;
    fake_emu.xcr0 = xcr0;
    fake_emu.xcr0_loads++;
    return true;
}

void hw_set_debugreg(unsigned int reg, uint64_t val)
{
    if (reg >= 8 || reg == 4 || reg == 5)
        abort();                /* the emulator must never load DR4/DR5 */
    fake_emu.dr[reg] = val;
    fake_emu.dr_writes++;
}

void hw_set_tsc_aux(uint32_t val) { fake_emu.tsc_aux = val; }

bool hw_read_descriptor(uint16_t sel, uint64_t *desc)
{
    for (unsigned i = 0; i < fake_emu.nr_desc; i++)
        if (fake_emu.desc[i].sel == (sel & ~3)) {
            *desc = fake_emu.desc[i].desc;
            return true;
        }
    return false;
}

/* ------------------------------------------------------------- fake CPUs */

#define FB(name) (1u << (XEN_X86_FEATURE_##name % 32))

static void vendor_leaf(uint32_t max, const char id[12])
{
    uint32_t b, c, d;
    memcpy(&b, id, 4);
    memcpy(&d, id + 4, 4);
    memcpy(&c, id + 8, 4);
    fake_cpuid_set(0, FAKE_SUBLEAF_ANY, max, b, c, d);
}

void fake_cpuid_load_intel(void)
{
    vendor_leaf(0x16, "GenuineIntel");
    /* Skylake-SP: family 6, model 0x55, stepping 4; APIC ID 4, 16 logical. */
    fake_cpuid_set(1, FAKE_SUBLEAF_ANY, 0x00050654, 0x04100800,
                   FB(SSE3) | FB(PCLMULQDQ) | FB(DTES64) | FB(MONITOR) | FB(DSCPL) |
                   FB(VMX) | FB(SMX) | FB(EIST) | FB(TM2) | FB(SSSE3) | FB(FMA) |
                   FB(CX16) | FB(XTPR) | FB(PDCM) | FB(PCID) | FB(DCA) | FB(SSE4_1) |
                   FB(SSE4_2) | FB(X2APIC) | FB(MOVBE) | FB(POPCNT) |
                   FB(TSC_DEADLINE) | FB(AESNI) | FB(XSAVE) | FB(OSXSAVE) | FB(AVX) |
                   FB(F16C) | FB(RDRAND),
                   FB(FPU) | FB(VME) | FB(DE) | FB(PSE) | FB(TSC) | FB(MSR) | FB(PAE) |
                   FB(MCE) | FB(CX8) | FB(APIC) | FB(SEP) | FB(MTRR) | FB(PGE) |
                   FB(MCA) | FB(CMOV) | FB(PAT) | FB(PSE36) | FB(CLFLUSH) | FB(DS) |
                   FB(ACPI) | FB(MMX) | FB(FXSR) | FB(SSE) | FB(SSE2) | FB(SS) |
                   FB(HTT) | FB(TM1) | FB(PBE));
    fake_cpuid_set(2, FAKE_SUBLEAF_ANY, 0x76036301, 0x00f0b5ff, 0, 0x00c30000);
    fake_cpuid_set(3, FAKE_SUBLEAF_ANY, 0, 0, 0x12345678, 0x9abcdef0);
    /* Caches: L1d, L1i, L2, L3 shared by 28 cores / 56 threads, then none. */
    fake_cpuid_set(4, 0, 0x7c004121, 0x01c0003f, 0x3f, 0);
    fake_cpuid_set(4, 1, 0x7c004122, 0x01c0003f, 0x3f, 0);
    fake_cpuid_set(4, 2, 0x7c004143, 0x03c0003f, 0x3ff, 0);
    fake_cpuid_set(4, 3, 0x7c0fc163, 0x0280003f, 0xb7ff, 0x4);
    fake_cpuid_set(4, 4, 0, 0, 0, 0);
    fake_cpuid_set(5, FAKE_SUBLEAF_ANY, 0x40, 0x40, 3, 0x2020);
    fake_cpuid_set(6, FAKE_SUBLEAF_ANY, 0x77, 2, 9, 0);
    fake_cpuid_set(7, 0, 0,
                   FB(FSGSBASE) | FB(TSC_ADJUST) | FB(BMI1) | FB(HLE) | FB(AVX2) |
                   FB(SMEP) | FB(BMI2) | FB(ERMS) | FB(INVPCID) | FB(RTM) | FB(PQM) |
                   FB(MPX) | FB(PQE) | FB(AVX512F) | FB(AVX512DQ) | FB(RDSEED) |
                   FB(ADX) | FB(SMAP) | FB(CLFLUSHOPT) | FB(CLWB) | FB(PROC_TRACE) |
                   FB(AVX512CD) | FB(AVX512BW) | FB(AVX512VL),
                   FB(PKU) | FB(OSPKE),
                   FB(MD_CLEAR) | FB(IBRSB) | FB(STIBP) | FB(L1D_FLUSH) |
                   FB(ARCH_CAPS) | FB(SSBD));
    fake_cpuid_set(0xa, FAKE_SUBLEAF_ANY, 0x07300404, 0, 0, 0x603);
    fake_cpuid_set(0xb, 0, 1, 2, 0x100, 4);
    fake_cpuid_set(0xb, 1, 5, 0x38, 0x201, 4);
    /* XSAVE: x87 SSE YMM BNDREGS BNDCSR OPMASK ZMM_Hi256 Hi16_ZMM PKRU; XSS: PT. */
    fake_cpuid_set(0xd, 0, 0x2ff, 0x240, 0xa88, 0);
    fake_cpuid_set(0xd, 1, FB(XSAVEOPT) | FB(XSAVEC) | FB(XGETBV1) | FB(XSAVES),
                   0x3c0, 0x100, 0);
    fake_cpuid_set(0xd, 2, 0x100, 0x240, 0, 0);
    fake_cpuid_set(0xd, 3, 0x40, 0x3c0, 0, 0);
    fake_cpuid_set(0xd, 4, 0x40, 0x400, 0, 0);
    fake_cpuid_set(0xd, 5, 0x40, 0x440, 0, 0);
    fake_cpuid_set(0xd, 6, 0x200, 0x480, 0, 0);
    fake_cpuid_set(0xd, 7, 0x400, 0x680, 0, 0);
    fake_cpuid_set(0xd, 8, 0x80, 0, 1, 0);
    fake_cpuid_set(0xd, 9, 0x8, 0xa80, 0, 0);
    fake_cpuid_set(0x80000000, FAKE_SUBLEAF_ANY, 0x80000008, 0, 0, 0);
    fake_cpuid_set(0x80000001, FAKE_SUBLEAF_ANY, 0, 0,
                   FB(LAHF_LM) | FB(ABM) | FB(3DNOWPREFETCH),
                   FB(SYSCALL) | FB(NX) | FB(PAGE1GB) | FB(RDTSCP) | FB(LM));
    fake_cpuid_set(0x80000002, FAKE_SUBLEAF_ANY, 0x65746e49, 0x2952286c, 0x6f655820, 0x2952286e);
    fake_cpuid_set(0x80000006, FAKE_SUBLEAF_ANY, 0, 0, 0x04008040, 0);
    fake_cpuid_set(0x80000007, FAKE_SUBLEAF_ANY, 0, 0, 0, FB(ITSC));
    fake_cpuid_set(0x80000008, FAKE_SUBLEAF_ANY, 0x0000302e, 0, 0, 0);
}

void fake_cpuid_load_amd(void)
{
    vendor_leaf(0x10, "AuthenticAMD");
    /* Zen 2: family 0x17, model 0x31; APIC ID 2, 16 logical. */
    fake_cpuid_set(1, FAKE_SUBLEAF_ANY, 0x00830f10, 0x02100800,
                   FB(SSE3) | FB(PCLMULQDQ) | FB(MONITOR) | FB(SSSE3) | FB(FMA) |
                   FB(CX16) | FB(SSE4_1) | FB(SSE4_2) | FB(MOVBE) | FB(POPCNT) |
                   FB(AESNI) | FB(XSAVE) | FB(OSXSAVE) | FB(AVX) | FB(F16C) | FB(RDRAND),
                   FB(FPU) | FB(VME) | FB(DE) | FB(PSE) | FB(TSC) | FB(MSR) | FB(PAE) |
                   FB(MCE) | FB(CX8) | FB(APIC) | FB(SEP) | FB(MTRR) | FB(PGE) |
                   FB(MCA) | FB(CMOV) | FB(PAT) | FB(PSE36) | FB(CLFLUSH) | FB(MMX) |
                   FB(FXSR) | FB(SSE) | FB(SSE2) | FB(HTT));
    fake_cpuid_set(2, FAKE_SUBLEAF_ANY, 1, 2, 3, 4);
    fake_cpuid_set(4, FAKE_SUBLEAF_ANY, 0x121, 1, 1, 1);
    fake_cpuid_set(7, 0, 0,
                   FB(FSGSBASE) | FB(BMI1) | FB(AVX2) | FB(SMEP) | FB(BMI2) |
                   FB(RDSEED) | FB(ADX) | FB(SMAP) | FB(CLFLUSHOPT) | FB(CLWB) | FB(SHA),
                   FB(UMIP) | FB(RDPID), 0);
    fake_cpuid_set(0xd, 0, 0x207, 0x340, 0x380, 0);
    fake_cpuid_set(0xd, 1, FB(XSAVEOPT) | FB(XSAVEC) | FB(XGETBV1) | FB(XSAVES),
                   0x340, 0, 0);
    fake_cpuid_set(0xd, 2, 0x100, 0x240, 0, 0);
    fake_cpuid_set(0xd, 9, 0x40, 0x340, 0, 0);
    fake_cpuid_set(0x80000000, FAKE_SUBLEAF_ANY, 0x80000021, 0x68747541, 0x444d4163, 0x69746e65);
    fake_cpuid_set(0x80000001, FAKE_SUBLEAF_ANY, 0x00830f10, 0x40000000,
                   FB(LAHF_LM) | FB(CMP_LEGACY) | FB(SVM) | FB(EXTAPIC) |
                   FB(CR8_LEGACY) | FB(ABM) | FB(SSE4A) | FB(MISALIGNSSE) |
                   FB(3DNOWPREFETCH) | FB(OSVW) | FB(IBS) | FB(SKINIT) | FB(WDT) |
                   FB(TOPOEXT) | FB(DBEXT) | FB(MONITORX),
                   0x0183f3ffu /* leaf-1 repeats */ | FB(SYSCALL) | FB(NX) |
                   FB(MMXEXT) | FB(FFXSR) | FB(PAGE1GB) | FB(RDTSCP) | FB(LM));
    fake_cpuid_set(0x80000005, FAKE_SUBLEAF_ANY, 0xff40ff40, 0xff40ff40, 0x20080140, 0x20080140);
    fake_cpuid_set(0x80000006, FAKE_SUBLEAF_ANY, 0x48006400, 0x68006400, 0x02006140, 0x01009140);
    fake_cpuid_set(0x80000007, FAKE_SUBLEAF_ANY, 0, 0x1b, 0, 0x6799);
    fake_cpuid_set(0x80000008, FAKE_SUBLEAF_ANY, 0x3030,
                   FB(CLZERO) | FB(IBPB) | FB(IBRS) | FB(AMD_STIBP) | FB(AMD_SSBD),
                   0x0000700f, 0);
    fake_cpuid_set(0x8000000a, FAKE_SUBLEAF_ANY, 1, 0x8000, 0, 0x1ebfbff);
    fake_cpuid_set(0x80000019, FAKE_SUBLEAF_ANY, 0xf040f040, 0xf0400000, 0, 0);
    fake_cpuid_set(0x8000001a, FAKE_SUBLEAF_ANY, 6, 0, 0, 0);
    fake_cpuid_set(0x8000001e, FAKE_SUBLEAF_ANY, 2, 0x101, 0, 0);
    fake_cpuid_set(0x80000021, FAKE_SUBLEAF_ANY, FB(LFENCE_DISPATCH) | FB(NSCB), 0x55, 0, 0x66);
}

/* ------------------------------------------------------------- a guest */

uint8_t fake_code[4096];

void fake_emulate_guest_setup(struct cpu_regs *regs)
{
    fake_emulate_reset();
    fake_cpuid_load_intel();
    fake_emu.cr0 = FAKE_CR0;
    fake_emu.cr4 = FAKE_CR4;
    fake_emu.tsc = 0x123456789abcull;
    struct cpuid_policy_params p = {
        .xcr0_max = 0x7, .tsc_khz = 2000000, .max_mfn = 0xfffff,
    };
    cpuid_policy_init(&p);
    fake_desc_set(0xe030, FAKE_DESC_CODE64);    /* FLAT_RING3_CS64 */
    fake_desc_set(0xe020, FAKE_DESC_CODE32);    /* FLAT_RING3_CS32 */
    fake_desc_set(0xe028, FAKE_DESC_DATA);      /* FLAT_RING3_DS */
    memset(fake_code, 0x90, sizeof(fake_code));
    fake_guest_map(FAKE_KCODE, fake_code, sizeof(fake_code));
    current->kernel_mode = true;
    current->trap_ctxt[13].address = FAKE_KCODE + 0x800;
    pv_emul_vcpu_init();
    memset(regs, 0, sizeof(*regs));
    regs->cs = 0xe033;
    regs->ss = 0xe02b;
    regs->rip = FAKE_KCODE;
    regs->rflags = 0x202;
}

bool fake_emulate_run(struct cpu_regs *regs, const uint8_t *bytes, size_t n)
{
    memcpy(fake_code, bytes, n);
    regs->rip = FAKE_KCODE;
    return pv_emulate_privileged_op(regs);
}
