/*
 * RDMSR and WRMSR from the guest kernel, by the rules Xen 4.17 applies to a
 * PV domU (xen/arch/x86/msr.c guest_rdmsr/guest_wrmsr, the read_msr/
 * write_msr hooks of pv/emul-priv-op.c and cpu/mcheck/vmce.c), with the
 * vPMU off and no cpufreq control. Unknown MSRs raise #GP; a guest without
 * a #GP handler yet reads 0 from MSRs the hardware has (Xen's "faking
 * RDMSR"). No guest WRMSR reaches a hardware MSR except the FS/GS bases
 * and TSC_AUX, through hw.h.
 */
#include <pvshim/compiler.h>
#include <pvshim/hw.h>
#include <pvshim/log.h>
#include <pvshim/xen_abi.h>
#include <xen/arch-x86/cpufeatureset.h>
#include "domain.h"
#include "cpuid_policy.h"
#include "emulate.h"
#include "emulate_internal.h"

#define MSR_P5_MC_ADDR              0x00000000
#define MSR_P5_MC_TYPE              0x00000001
#define MSR_IA32_TSC                0x00000010
#define MSR_IA32_PLATFORM_ID        0x00000017
#define MSR_APIC_BASE               0x0000001b
#define MSR_IA32_FEATURE_CONTROL    0x0000003a
#define MSR_IA32_UCODE_WRITE        0x00000079
#define MSR_IA32_UCODE_REV          0x0000008b
#define MSR_P6_PERFCTR0             0x000000c1
#define MSR_P6_PERFCTR7             0x000000c8
#define MSR_INTEL_PLATFORM_INFO     0x000000ce
#define MSR_IA32_MPERF              0x000000e7
#define MSR_IA32_APERF              0x000000e8
#define MSR_INTEL_MISC_FEATURES_ENABLES 0x00000140
#define MSR_IA32_MCG_CAP            0x00000179
#define MSR_IA32_MCG_STATUS         0x0000017a
#define MSR_IA32_MCG_CTL            0x0000017b
#define MSR_P6_EVNTSEL0             0x00000186
#define MSR_P6_EVNTSEL3             0x00000189
#define MSR_IA32_PERF_STATUS        0x00000198
#define MSR_IA32_PERF_CTL           0x00000199
#define MSR_IA32_THERM_CONTROL      0x0000019a
#define MSR_IA32_THERM_STATUS       0x0000019c
#define MSR_IA32_MISC_ENABLE        0x000001a0
#define MSR_IA32_ENERGY_PERF_BIAS   0x000001b0
#define MSR_IA32_CR_PAT             0x00000277
#define MSR_IA32_MC0_CTL2           0x00000280
#define MSR_CORE_PERF_FIXED_CTR0    0x00000309
#define MSR_CORE_PERF_FIXED_CTR2    0x0000030b
#define MSR_IA32_PERF_CAPABILITIES  0x00000345
#define MSR_CORE_PERF_FIXED_CTR_CTRL 0x0000038d
#define MSR_CORE_PERF_GLOBAL_OVF_CTRL 0x00000390
#define MSR_IA32_MC0_CTL            0x00000400
#define MSR_IA32_MCx_LAST           0x0000047f
#define MSR_IA32_MCG_EXT_CTL        0x000004d0
#define MSR_X2APIC_FIRST            0x00000800
#define MSR_X2APIC_LAST             0x000008ff
#define MSR_XEN_HYPERCALL_PAGE      0x40000000
#define MSR_EFER                    0xc0000080
#define MSR_FS_BASE                 0xc0000100
#define MSR_GS_BASE                 0xc0000101
#define MSR_SHADOW_GS_BASE          0xc0000102
#define MSR_TSC_AUX                 0xc0000103
#define MSR_K7_EVNTSEL0             0xc0010000
#define MSR_K7_PERFCTR3             0xc0010007
#define MSR_K8_HWCR                 0xc0010015
#define MSR_AMD64_NB_CFG            0xc001001f
#define MSR_AMD_PATCHLOADER         0xc0010020
#define MSR_K7_FID_VID_CTL          0xc0010041
#define MSR_K7_FID_VID_STATUS       0xc0010042
#define MSR_FAM10H_MMIO_CONF_BASE   0xc0010058
#define MSR_K8_PSTATE_LIMIT         0xc0010061
#define MSR_K8_PSTATE7              0xc001006b
#define MSR_AMD_FAM15H_EVNTSEL0     0xc0010200
#define MSR_AMD_FAM15H_PERFCTR5     0xc001020b
#define MSR_AMD64_DE_CFG            0xc0011029

#define APIC_BASE_BSP               (1ull << 8)
#define APIC_BASE_ENABLE            (1ull << 11)
#define APIC_DEFAULT_PHYS_BASE      0xfee00000ull
#define FEATURE_CONTROL_LOCK        1ull
#define PLATFORM_INFO_CPUID_FAULTING (1ull << 31)
#define MISC_FEATURES_CPUID_FAULTING 1ull
#define XEN_MSR_PAT                 0x0000050100070406ull   /* Xen's fixed PAT */
#define AMD64_DE_CFG_LFENCE_SERIALISE (1ull << 1)

/* MISC_ENABLE as a guest sees it: no perfmon, no MONITOR, no BTS/PEBS/xTPR. */
#define MISC_ENABLE_PERF_AVAIL      (1ull << 7)
#define MISC_ENABLE_BTS_UNAVAIL     (1ull << 11)
#define MISC_ENABLE_PEBS_UNAVAIL    (1ull << 12)
#define MISC_ENABLE_MONITOR_ENABLE  (1ull << 18)
#define MISC_ENABLE_XTPR_DISABLE    (1ull << 23)

#define EFER_SCE    (1ull << 0)
#define EFER_LME    (1ull << 8)
#define EFER_LMA    (1ull << 10)
#define EFER_NXE    (1ull << 11)
#define EFER_SVME   (1ull << 12)
#define EFER_FFXSE  (1ull << 14)
#define EFER_KNOWN  (EFER_SCE | EFER_LME | EFER_LMA | EFER_NXE | EFER_SVME | EFER_FFXSE)

/* The virtual machine-check architecture: two banks (Xen's vMCE). */
#define GUEST_MC_BANKS      2
#define MCG_CMCI_P          (1ull << 10)
#define MCG_TES_P           (1ull << 11)
#define MCG_SER_P           (1ull << 24)

enum { MSR_OK = 0, MSR_GP = -1 };

static bool vendor_is(unsigned mask)
{
    return (1u << cpuid_policy_vendor()) & mask;
}
#define V_INTEL     (1u << CPU_VENDOR_INTEL)
#define V_AMD       (1u << CPU_VENDOR_AMD)
#define V_HYGON     (1u << CPU_VENDOR_HYGON)
#define V_CENTAUR   (1u << CPU_VENDOR_CENTAUR)
#define V_SHANGHAI  (1u << CPU_VENDOR_SHANGHAI)

static uint64_t guest_efer(void)
{
    uint64_t efer = 0;
    hw_rdmsr_safe(MSR_EFER, &efer);
    return efer & EFER_KNOWN & ~EFER_SVME;
}

static uint64_t guest_misc_enable(uint64_t v)
{
    v &= ~(MISC_ENABLE_PERF_AVAIL | MISC_ENABLE_MONITOR_ENABLE);
    return v | MISC_ENABLE_BTS_UNAVAIL | MISC_ENABLE_PEBS_UNAVAIL |
           MISC_ENABLE_XTPR_DISABLE;
}

static uint64_t guest_mcg_cap(void)
{
    return vendor_is(V_INTEL) ? (MCG_SER_P | MCG_TES_P | MCG_CMCI_P | GUEST_MC_BANKS)
                              : GUEST_MC_BANKS;
}

/* Performance counters: with the vPMU off they read 0 and ignore writes. */
static bool is_vpmu_msr(uint32_t msr)
{
    if (vendor_is(V_INTEL) &&
        ((msr >= MSR_P6_PERFCTR0 && msr <= MSR_P6_PERFCTR7) ||
         (msr >= MSR_P6_EVNTSEL0 && msr <= MSR_P6_EVNTSEL3) ||
         (msr >= MSR_CORE_PERF_FIXED_CTR0 && msr <= MSR_CORE_PERF_FIXED_CTR2) ||
         (msr >= MSR_CORE_PERF_FIXED_CTR_CTRL && msr <= MSR_CORE_PERF_GLOBAL_OVF_CTRL)))
        return true;
    if (vendor_is(V_AMD | V_HYGON) &&
        ((msr >= MSR_AMD_FAM15H_EVNTSEL0 && msr <= MSR_AMD_FAM15H_PERFCTR5) ||
         (msr >= MSR_K7_EVNTSEL0 && msr <= MSR_K7_PERFCTR3)))
        return true;
    return false;
}

static bool is_mce_msr(uint32_t msr)
{
    return msr == MSR_P5_MC_ADDR || msr == MSR_P5_MC_TYPE ||
           (msr >= MSR_IA32_MCG_CAP && msr <= MSR_IA32_MCG_CTL) ||
           (msr >= MSR_IA32_MC0_CTL2 && msr <= MSR_IA32_MC0_CTL2 + 31) ||
           (msr >= MSR_IA32_MC0_CTL && msr <= MSR_IA32_MCx_LAST) ||
           msr == MSR_IA32_MCG_EXT_CTL;
}

static bool is_amd_pstate_msr(uint32_t msr)
{
    return msr == MSR_K7_FID_VID_CTL || msr == MSR_K7_FID_VID_STATUS ||
           (msr >= MSR_K8_PSTATE_LIMIT && msr <= MSR_K8_PSTATE7);
}

static bool fam10h_mmio_conf_ok(void)
{
    unsigned fam = cpuid_policy_family();
    return vendor_is(V_AMD) && fam >= 0x10 && fam < 0x17;
}

static int mce_rdmsr(uint32_t msr, uint64_t *val)
{
    *val = 0;
    switch (msr) {
    case MSR_IA32_MCG_CAP:
        *val = guest_mcg_cap();
        return MSR_OK;
    case MSR_IA32_MCG_STATUS:
        *val = pv_emul.mcg_status;
        return MSR_OK;
    case MSR_IA32_MCG_CTL:              /* MCG_CTL_P is not offered */
        return MSR_OK;
    case MSR_IA32_MCG_EXT_CTL:          /* LMCE is not offered */
        return MSR_GP;
    }
    if (msr >= MSR_IA32_MC0_CTL2 && msr < MSR_IA32_MC0_CTL2 + GUEST_MC_BANKS) {
        if (vendor_is(V_INTEL))
            *val = pv_emul.mci_ctl2[msr - MSR_IA32_MC0_CTL2];
        return MSR_OK;
    }
    if (msr >= MSR_IA32_MC0_CTL && msr < MSR_IA32_MC0_CTL + 4 * GUEST_MC_BANKS &&
        (msr & 3) == 0)
        *val = ~0ull;                   /* MCi_CTL: every error type enabled */
    /* STATUS/ADDR/MISC of the virtual banks stay 0: no error is ever injected. */
    return MSR_OK;
}

static int mce_wrmsr(uint32_t msr, uint64_t val)
{
    switch (msr) {
    case MSR_IA32_MCG_STATUS:
        pv_emul.mcg_status = val;
        return MSR_OK;
    case MSR_IA32_MCG_CAP:              /* read-only: write ignored */
    case MSR_IA32_MCG_CTL:
        return MSR_OK;
    case MSR_IA32_MCG_EXT_CTL:
        return MSR_GP;
    }
    if (msr >= MSR_IA32_MC0_CTL2 && msr < MSR_IA32_MC0_CTL2 + GUEST_MC_BANKS) {
        if (vendor_is(V_INTEL))
            pv_emul.mci_ctl2[msr - MSR_IA32_MC0_CTL2] = val;
        return MSR_OK;
    }
    if (msr >= MSR_IA32_MC0_CTL && msr < MSR_IA32_MC0_CTL + 4 * GUEST_MC_BANKS &&
        (msr & 3) != 0 && val != 0)
        return MSR_GP;                  /* STATUS/ADDR/MISC accept only 0 */
    return MSR_OK;
}

/* The MSRs Xen handles for a PV guest; MSR_GP for all others. */
static int rdmsr_policy(uint32_t msr, uint64_t *val)
{
    *val = 0;

    if (is_mce_msr(msr))
        return mce_rdmsr(msr, val);
    if (is_vpmu_msr(msr))
        return MSR_OK;

    switch (msr) {
    case MSR_IA32_TSC:
        *val = pv_emul_tsc();
        return MSR_OK;
    case MSR_IA32_PLATFORM_ID:
        if (!vendor_is(V_INTEL) || !hw_rdmsr_safe(msr, val))
            return MSR_GP;
        return MSR_OK;
    case MSR_APIC_BASE:
        /* Linux PV reads it; vCPU 0 is the BSP. */
        *val = APIC_DEFAULT_PHYS_BASE | APIC_BASE_ENABLE | APIC_BASE_BSP;
        return MSR_OK;
    case MSR_IA32_FEATURE_CONTROL:
        if (!vendor_is(V_INTEL | V_CENTAUR | V_SHANGHAI))
            return MSR_GP;
        *val = FEATURE_CONTROL_LOCK;    /* locked; no VMX, no LMCE */
        return MSR_OK;
    case MSR_IA32_UCODE_REV:
        if (!vendor_is(V_INTEL | V_AMD) || !hw_rdmsr_safe(msr, val))
            return MSR_GP;
        return MSR_OK;
    case MSR_INTEL_PLATFORM_INFO:
        *val = cpuid_policy_faulting() ? PLATFORM_INFO_CPUID_FAULTING : 0;
        return MSR_OK;
    case MSR_INTEL_MISC_FEATURES_ENABLES:
        *val = pv_emul.misc_features;
        return MSR_OK;
    case MSR_IA32_PERF_STATUS:
    case MSR_IA32_PERF_CTL:
        return vendor_is(V_INTEL | V_CENTAUR) ? MSR_OK : MSR_GP;
    case MSR_IA32_THERM_STATUS:
        return vendor_is(V_INTEL) ? MSR_OK : MSR_GP;
    case MSR_IA32_MISC_ENABLE:
        if (!hw_rdmsr_safe(msr, val))
            return MSR_GP;
        *val = guest_misc_enable(*val);
        return MSR_OK;
    case MSR_IA32_CR_PAT:
        *val = XEN_MSR_PAT;
        return MSR_OK;
    case MSR_IA32_PERF_CAPABILITIES:
        return MSR_OK;
    case MSR_XEN_HYPERCALL_PAGE:
        return MSR_OK;                  /* write-only: reads as 0 */
    case MSR_EFER:
        *val = guest_efer();
        return MSR_OK;
    /* The bases live in hardware (pvshim swaps GS on guest mode switches). */
    case MSR_FS_BASE:
        *val = hw_get_fs_base();
        return MSR_OK;
    case MSR_GS_BASE:                   /* the active GS: kernel's in kernel mode */
        *val = hw_get_gs_base();
        return MSR_OK;
    case MSR_SHADOW_GS_BASE:            /* the inactive one: user's */
        *val = hw_get_inactive_gs_base();
        return MSR_OK;
    case MSR_TSC_AUX:
        if (!cpuid_policy_has(XEN_X86_FEATURE_RDTSCP) &&
            !cpuid_policy_has(XEN_X86_FEATURE_RDPID))
            return MSR_GP;
        *val = pv_emul.tsc_aux;
        return MSR_OK;
    case MSR_K8_HWCR:
        return vendor_is(V_AMD | V_HYGON) ? MSR_OK : MSR_GP;
    case MSR_AMD64_DE_CFG:
        if (!vendor_is(V_AMD | V_HYGON))
            return MSR_GP;
        *val = AMD64_DE_CFG_LFENCE_SERIALISE;
        return MSR_OK;
    case MSR_FAM10H_MMIO_CONF_BASE:
        return fam10h_mmio_conf_ok() ? MSR_OK : MSR_GP;
    case MSR_AMD64_NB_CFG:
        return MSR_OK;
    }
    if (is_amd_pstate_msr(msr))
        return vendor_is(V_AMD) ? MSR_OK : MSR_GP;
    return MSR_GP;
}

int pv_emul_rdmsr(uint32_t msr, uint64_t *val)
{
    if (rdmsr_policy(msr, val) == MSR_OK)
        return 0;

    /*
     * A guest with no #GP handler yet (early boot) gets 0 for an MSR the
     * hardware has, rather than a fault it cannot survive.
     */
    uint64_t ignored;
    if (!current->trap_ctxt[X86_EXC_GP].address && (msr >> 16) != 0x4000 &&
        hw_rdmsr_safe(msr, &ignored)) {
        log_warn("emulate: faking RDMSR %#x", msr);
        *val = 0;
        return 0;
    }
    return -1;
}

static int write_hypercall_page(uint64_t val)
{
    if (val & (PAGE_SIZE - 1))
        return MSR_GP;                  /* only page index 0 exists */
    return pv_emul_ops.install_hypercall_page(paddr_to_mfn(val)) ? MSR_GP : MSR_OK;
}

int pv_emul_wrmsr(uint32_t msr, uint64_t val)
{
    if (is_mce_msr(msr))
        return mce_wrmsr(msr, val);
    if (is_vpmu_msr(msr))
        return MSR_OK;

    switch (msr) {
    case MSR_FS_BASE:
        if (!is_canonical(val))
            return MSR_GP;
        current->fs_base = val;
        hw_set_fs_base(val);
        return MSR_OK;
    case MSR_GS_BASE:                   /* kernel mode: the kernel's GS */
        if (!is_canonical(val))
            return MSR_GP;
        current->gs_base_kernel = val;
        hw_set_gs_base(val);
        return MSR_OK;
    case MSR_SHADOW_GS_BASE:            /* the user's, swapped in for user mode */
        if (!is_canonical(val))
            return MSR_GP;
        current->gs_base_user = val;
        hw_set_inactive_gs_base(val);
        return MSR_OK;
    case MSR_EFER:
        /* Linux writes back what it read; any change is refused. */
        return val == guest_efer() ? MSR_OK : MSR_GP;
    case MSR_IA32_UCODE_REV:
        /* Intel's "write 0, CPUID, read" ritual is allowed. */
        return (vendor_is(V_INTEL) && val == 0) ? MSR_OK : MSR_GP;
    case MSR_INTEL_MISC_FEATURES_ENABLES: {
        uint64_t rsvd = ~(cpuid_policy_faulting() ? MISC_FEATURES_CPUID_FAULTING : 0);
        if (val & rsvd)
            return MSR_GP;
        pv_emul.misc_features = val;
        return MSR_OK;
    }
    case MSR_IA32_PERF_CTL:
        return vendor_is(V_INTEL | V_CENTAUR) ? MSR_OK : MSR_GP;
    case MSR_IA32_MISC_ENABLE: {
        uint64_t cur;
        if (!hw_rdmsr_safe(msr, &cur))
            return MSR_GP;
        if (val != guest_misc_enable(cur))
            log_debug("emulate: ignoring WRMSR MISC_ENABLE %#llx", (unsigned long long)val);
        return MSR_OK;
    }
    case MSR_IA32_MPERF:
    case MSR_IA32_APERF:
        return vendor_is(V_INTEL | V_AMD | V_HYGON) ? MSR_OK : MSR_GP;
    case MSR_IA32_THERM_CONTROL:
    case MSR_IA32_ENERGY_PERF_BIAS:
        return vendor_is(V_INTEL) ? MSR_OK : MSR_GP;
    case MSR_XEN_HYPERCALL_PAGE:
        return write_hypercall_page(val);
    case MSR_TSC_AUX:
        if ((!cpuid_policy_has(XEN_X86_FEATURE_RDTSCP) &&
             !cpuid_policy_has(XEN_X86_FEATURE_RDPID)) || val != (uint32_t)val)
            return MSR_GP;
        pv_emul.tsc_aux = (uint32_t)val;
        hw_set_tsc_aux((uint32_t)val);
        return MSR_OK;
    case MSR_K8_HWCR:
        return vendor_is(V_AMD | V_HYGON) ? MSR_OK : MSR_GP;
    case MSR_AMD64_DE_CFG:
        return vendor_is(V_AMD | V_HYGON) ? MSR_OK : MSR_GP;
    case MSR_AMD64_NB_CFG:
        return MSR_OK;
    case MSR_FAM10H_MMIO_CONF_BASE:
        return fam10h_mmio_conf_ok() ? MSR_OK : MSR_GP;
    case MSR_IA32_UCODE_WRITE:
    case MSR_AMD_PATCHLOADER:
        return MSR_GP;                  /* never for PV */
    }
    if (is_amd_pstate_msr(msr))
        return vendor_is(V_AMD | V_HYGON) ? MSR_OK : MSR_GP;

    log_debug("emulate: WRMSR %#x value %#llx not allowed", msr, (unsigned long long)val);
    return MSR_GP;
}
