/*
 * The CPUID a 64-bit PV guest sees: the host's CPUID (hw_cpuid), with what
 * a PV guest cannot use or must not see taken out, as Xen 4.17's default
 * PV policy does, plus Xen's leaves at 0x40000000. pvshim presents one
 * vCPU, so the topology leaves describe a single logical processor.
 *
 * Where pvshim hides more than Xen (it does not virtualise the feature's
 * MSRs or state), cpuid_policy.c says so next to the mask.
 *
 * The guest reaches this through the forced-emulation prefix (#UD path,
 * pv_emulate_invalid_op). Plain CPUID runs natively and shows the host
 * unless pvshim enables CPUID faulting on the CPU (then the #GP path,
 * pv_emulate_privileged_op, answers from the same policy); set
 * params.cpuid_faulting when it does, so the guest may also use faulting
 * for its own user space (MSR_PLATFORM_INFO / MISC_FEATURES_ENABLES).
 */
#ifndef PVSHIM_CPUID_POLICY_H
#define PVSHIM_CPUID_POLICY_H

#include <pvshim/types.h>

/* The Xen version pvshim reports (CPUID 0x40000001, like XENVER_version). */
#ifndef PVSHIM_XEN_VERSION
#define PVSHIM_XEN_VERSION 0x00040011u      /* 4.17 */
#endif

struct cpuid_leaf {
    uint32_t a, b, c, d;
};

enum cpu_vendor {
    CPU_VENDOR_UNKNOWN,
    CPU_VENDOR_INTEL,
    CPU_VENDOR_AMD,
    CPU_VENDOR_HYGON,
    CPU_VENDOR_CENTAUR,
    CPU_VENDOR_SHANGHAI,
};

struct cpuid_policy_params {
    uint64_t xcr0_max;      /* XCR0 bits pvshim lets the guest enable; 0: no XSAVE */
    bool cpuid_faulting;    /* pvshim runs the guest with CPUID faulting on */
    bool fsgsbase;          /* the core keeps FS/GS bases live in hardware, so
                               RD/WR{FS,GS}BASE may be offered */
    uint64_t tsc_khz;       /* TSC frequency, for the Xen time leaf */
    mfn_t max_mfn;          /* highest machine frame, for Xen leaf 5 */
};

/* Build the policy from the host's CPUID. Call once, before the guest runs. */
void cpuid_policy_init(const struct cpuid_policy_params *params);

/*
 * The guest's CPUID leaf/subleaf. guest_cr4 is the guest's view of CR4.
 * enlightened: asked from guest kernel mode through the forced-emulation
 * prefix; there Xen also shows OSXSAVE when pvshim's own CR4.OSXSAVE is
 * set, a leak PV kernels came to depend on.
 */
void pv_guest_cpuid(uint32_t leaf, uint32_t subleaf, bool enlightened,
                    uint64_t guest_cr4, struct cpuid_leaf *res);

/* Has cpuid_policy_init run? Until then nothing is emulated. */
bool cpuid_policy_ready(void);

/* Questions the emulator asks of the policy (features: XEN_X86_FEATURE_*). */
bool cpuid_policy_has(unsigned int feature);
enum cpu_vendor cpuid_policy_vendor(void);
unsigned int cpuid_policy_family(void);
uint64_t cpuid_policy_xcr0_max(void);
bool cpuid_policy_faulting(void);

#endif
