/* The PV CPUID policy: what is hidden, what is kept, Xen's leaves, topology, XSAVE. */
#include <string.h>
#include <pvshim/time_scale.h>
#include <pvshim/xen_abi.h>
#include <xen/arch-x86/cpuid.h>
#include <xen/arch-x86/cpufeatureset.h>
#include "cpuid_policy.h"
#include "unit.h"
#include "fakes.h"
#include "fake_emulate.h"

#define FB(name) (1u << (XEN_X86_FEATURE_##name % 32))
#define X87_SSE_YMM 7ull

static struct cpuid_leaf q(uint32_t leaf, uint32_t subleaf)
{
    struct cpuid_leaf l;
    pv_guest_cpuid(leaf, subleaf, false, 0, &l);
    return l;
}

static void init_intel(uint64_t xcr0_max, bool fsgsbase)
{
    fake_emulate_reset();
    fake_cpuid_load_intel();
    fake_emu.cr4 = FAKE_CR4;
    struct cpuid_policy_params p = {
        .xcr0_max = xcr0_max, .fsgsbase = fsgsbase,
        .tsc_khz = 2500000, .max_mfn = 0x123456,
    };
    cpuid_policy_init(&p);
}

static void init_amd(void)
{
    fake_emulate_reset();
    fake_cpuid_load_amd();
    struct cpuid_policy_params p = { .xcr0_max = X87_SSE_YMM, .tsc_khz = 3000000 };
    cpuid_policy_init(&p);
}

START_TEST(xen_leaves)
{
    init_intel(X87_SSE_YMM, false);
    struct cpuid_leaf l = q(0x40000000, 0);
    ck_assert_uint_eq(l.a, 0x40000005);
    char sig[13] = { 0 };
    memcpy(sig, &l.b, 4);
    memcpy(sig + 4, &l.c, 4);
    memcpy(sig + 8, &l.d, 4);
    ck_assert_str_eq(sig, "XenVMMXenVMM");

    ck_assert_uint_eq(q(0x40000001, 0).a, 0x00040011);

    l = q(0x40000002, 0);
    ck_assert_uint_eq(l.a, 1);
    ck_assert_uint_eq(l.b, 0x40000000);
    ck_assert_uint_eq(l.c, XEN_CPUID_FEAT1_MMU_PT_UPDATE_PRESERVE_AD);
    ck_assert_uint_eq(l.d, 0);

    l = q(0x40000003, 0);
    ck_assert_uint_eq(l.a, (1u << 1) | (1u << 2));      /* TSC safe, RDTSCP; no vTSC */
    ck_assert_uint_eq(l.b, 0);
    ck_assert_uint_eq(l.c, 2500000);
    l = q(0x40000003, 1);
    struct time_scale s;
    time_scale_init(&s, 2500000000ull, 1000000000ull);
    ck_assert_uint_eq(l.a, 0);
    ck_assert_uint_eq(l.c, s.mul);
    ck_assert_uint_eq(l.d, (uint32_t)(int32_t)s.shift);
    ck_assert_uint_eq(q(0x40000003, 2).a, 2500000);

    l = q(0x40000004, 0);                               /* HVM only */
    ck_assert(!l.a && !l.b && !l.c && !l.d);
    ck_assert_uint_eq(q(0x40000005, 0).b, 21 + 12);     /* 0x123456: 21 bits */
    ck_assert_uint_eq(q(0x40000005, 1).b, 0);
    l = q(0x40000006, 0);
    ck_assert(!l.a && !l.b && !l.c && !l.d);
    l = q(0x40000100, 0);
    ck_assert(!l.a && !l.b && !l.c && !l.d);
}
END_TEST

START_TEST(intel_leaf1_masks)
{
    init_intel(X87_SSE_YMM, false);
    struct cpuid_leaf l = q(1, 0);
    ck_assert_uint_eq(l.a, 0x00050654);
    ck_assert_uint_eq(l.b, 0x00000800);                 /* APIC ID 0, no HT count; CLFLUSH 64 */
    /* hidden from PV */
    uint32_t c_hidden = FB(DTES64) | FB(MONITOR) | FB(DSCPL) | FB(VMX) | FB(SMX) |
                        FB(EIST) | FB(TM2) | FB(XTPR) | FB(PDCM) | FB(PCID) | FB(DCA) |
                        FB(X2APIC) | FB(TSC_DEADLINE) | FB(OSXSAVE);
    uint32_t d_hidden = FB(VME) | FB(PSE) | FB(MTRR) | FB(PGE) | FB(PSE36) | FB(DS) |
                        FB(HTT) | FB(TM1) | FB(PBE);
    ck_assert_uint_eq(l.c & c_hidden, 0);
    ck_assert_uint_eq(l.d & d_hidden, 0);
    /* kept */
    uint32_t c_kept = FB(SSE3) | FB(PCLMULQDQ) | FB(SSSE3) | FB(FMA) | FB(CX16) |
                      FB(SSE4_1) | FB(SSE4_2) | FB(MOVBE) | FB(POPCNT) | FB(AESNI) |
                      FB(XSAVE) | FB(AVX) | FB(F16C) | FB(RDRAND) | FB(HYPERVISOR);
    uint32_t d_kept = FB(FPU) | FB(DE) | FB(TSC) | FB(MSR) | FB(PAE) | FB(MCE) | FB(CX8) |
                      FB(APIC) | FB(SEP) | FB(MCA) | FB(CMOV) | FB(PAT) | FB(CLFLUSH) |
                      FB(ACPI) | FB(MMX) | FB(FXSR) | FB(SSE) | FB(SSE2) | FB(SS);
    ck_assert_uint_eq(l.c, c_kept);
    ck_assert_uint_eq(l.d, d_kept);
}
END_TEST

START_TEST(osxsave_leak)
{
    init_intel(X87_SSE_YMM, false);
    struct cpuid_leaf l;
    /* Architectural: OSXSAVE follows the guest's CR4. */
    pv_guest_cpuid(1, 0, false, 0, &l);
    ck_assert_uint_eq(l.c & FB(OSXSAVE), 0);
    pv_guest_cpuid(1, 0, false, 1u << 18, &l);
    ck_assert_uint_ne(l.c & FB(OSXSAVE), 0);
    /* Enlightened, with pvshim's CR4.OSXSAVE set: Xen's leak. */
    pv_guest_cpuid(1, 0, true, 0, &l);
    ck_assert_uint_ne(l.c & FB(OSXSAVE), 0);
    fake_emu.cr4 &= ~(1ull << 18);
    pv_guest_cpuid(1, 0, true, 0, &l);
    ck_assert_uint_eq(l.c & FB(OSXSAVE), 0);
    /* No XSAVE in the policy: no leak either. */
    init_intel(0, false);
    pv_guest_cpuid(1, 0, true, 0, &l);
    ck_assert_uint_eq(l.c & (FB(OSXSAVE) | FB(XSAVE)), 0);
}
END_TEST

START_TEST(intel_leaf7)
{
    init_intel(X87_SSE_YMM, false);
    struct cpuid_leaf l = q(7, 0);
    ck_assert_uint_eq(l.a, 0);                          /* max subleaf */
    uint32_t b_hidden = FB(FSGSBASE) | FB(TSC_ADJUST) | FB(HLE) | FB(SMEP) | FB(INVPCID) |
                        FB(PQM) | FB(MPX) | FB(PQE) | FB(SMAP) | FB(PROC_TRACE) |
                        FB(AVX512F) | FB(AVX512DQ) | FB(AVX512CD) | FB(AVX512BW) |
                        FB(AVX512VL);                  /* AVX-512: XCR0 has no ZMM */
    ck_assert_uint_eq(l.b & b_hidden, 0);
    ck_assert_uint_eq(l.b, FB(BMI1) | FB(AVX2) | FB(BMI2) | FB(ERMS) | FB(RTM) |
                           FB(RDSEED) | FB(ADX) | FB(CLFLUSHOPT) | FB(CLWB));
    ck_assert_uint_eq(l.c, 0);                          /* no PKU, no OSPKE */
    ck_assert_uint_eq(l.d, FB(MD_CLEAR));               /* no SPEC_CTRL, ARCH_CAPS, L1D_FLUSH */
    ck_assert_uint_eq(q(7, 1).a | q(7, 1).b | q(7, 1).c | q(7, 1).d, 0);

    /* FSGSBASE when the core keeps bases in hardware; AVX-512 with its XCR0 bits. */
    init_intel(0xe7, true);
    l = q(7, 0);
    ck_assert_uint_ne(l.b & FB(FSGSBASE), 0);
    ck_assert_uint_eq(l.b & (FB(AVX512F) | FB(AVX512DQ) | FB(AVX512CD) | FB(AVX512BW) |
                             FB(AVX512VL)),
                      FB(AVX512F) | FB(AVX512DQ) | FB(AVX512CD) | FB(AVX512BW) | FB(AVX512VL));
}
END_TEST

START_TEST(intel_hidden_leaves)
{
    init_intel(X87_SSE_YMM, false);
    static const uint32_t zero_leaves[] = { 3, 5, 6, 8, 9, 0xa, 0xb, 0xc, 0xe, 0x16,
                                            0x80000005, 0x80000009, 0x8000001e };
    for (unsigned i = 0; i < sizeof(zero_leaves) / sizeof(zero_leaves[0]); i++) {
        struct cpuid_leaf l = q(zero_leaves[i], 0);
        ck_assert_msg(!l.a && !l.b && !l.c && !l.d, "leaf %#x not empty", zero_leaves[i]);
    }
    ck_assert_uint_eq(q(0, 0).a, 0xd);                  /* max basic leaf clamped */
    ck_assert_uint_eq(q(2, 0).a & 0xff, 1);             /* one query */

    /* Deterministic cache leaf: one core, one thread; terminator stays. */
    struct cpuid_leaf l = q(4, 3);
    ck_assert_uint_eq(l.a, 0x163);
    ck_assert_uint_eq(l.d, 0x4);
    l = q(4, 4);
    ck_assert(!l.a && !l.b && !l.c && !l.d);
    l = q(4, 6);
    ck_assert(!l.a && !l.b && !l.c && !l.d);
}
END_TEST

START_TEST(intel_extended)
{
    init_intel(X87_SSE_YMM, false);
    struct cpuid_leaf l = q(0x80000000, 0);
    ck_assert_uint_eq(l.a, 0x80000008);
    ck_assert(!l.b && !l.c && !l.d);
    l = q(0x80000001, 0);
    ck_assert(!l.a && !l.b);
    ck_assert_uint_eq(l.c, FB(LAHF_LM) | FB(ABM) | FB(3DNOWPREFETCH));
    ck_assert_uint_eq(l.d, FB(SYSCALL) | FB(NX) | FB(RDTSCP) | FB(LM));   /* no PAGE1GB */
    ck_assert_uint_eq(q(0x80000002, 0).a, 0x65746e49);  /* brand string kept */
    l = q(0x80000006, 0);
    ck_assert(!l.a && !l.b && !l.d);
    ck_assert_uint_eq(l.c, 0x04008040);
    ck_assert_uint_eq(q(0x80000007, 0).d, 0);           /* no invariant TSC */
    l = q(0x80000008, 0);
    ck_assert_uint_eq(l.a, 0x302e);                     /* 46 physical, 48 linear bits */
    ck_assert(!l.b && !l.c && !l.d);
}
END_TEST

START_TEST(xsave_leaves)
{
    init_intel(X87_SSE_YMM, false);
    fake_cpuid_set(0xd, 0, 0x2ff, 0x340, 0xa88, 0);     /* hardware: size for current XCR0 */
    struct cpuid_leaf l = q(0xd, 0);
    ck_assert_uint_eq(l.a, 7);                          /* x87 SSE YMM; no BND, AVX-512, PKRU */
    ck_assert_uint_eq(l.d, 0);
    ck_assert_uint_eq(l.b, 0x340);
    ck_assert_uint_eq(l.c, 0x340);                      /* YMM at 0x240 + 0x100 */
    l = q(0xd, 1);
    ck_assert_uint_eq(l.a, FB(XSAVEOPT) | FB(XSAVEC) | FB(XGETBV1));     /* no XSAVES */
    ck_assert_uint_eq(l.b, 0x3c0);                      /* XSAVEC size from hardware */
    ck_assert(!l.c && !l.d);                            /* no XSS states */
    l = q(0xd, 2);
    ck_assert_uint_eq(l.a, 0x100);
    ck_assert_uint_eq(l.b, 0x240);
    for (unsigned s = 3; s < 64; s++) {
        l = q(0xd, s);
        ck_assert_msg(!l.a && !l.b && !l.c && !l.d, "xstate subleaf %u", s);
    }

    /* AVX-512 offered: its components appear, size grows. */
    init_intel(0xe7, false);
    l = q(0xd, 0);
    ck_assert_uint_eq(l.a, 0xe7);
    ck_assert_uint_eq(l.c, 0x680 + 0x400);
    ck_assert_uint_eq(q(0xd, 7).a, 0x400);

    /* x87/SSE only: XSAVE stays, AVX and everything built on it goes. */
    init_intel(3, false);
    l = q(1, 0);
    ck_assert_uint_ne(l.c & FB(XSAVE), 0);
    ck_assert_uint_eq(l.c & (FB(AVX) | FB(FMA) | FB(F16C)), 0);
    ck_assert_uint_eq(q(7, 0).b & FB(AVX2), 0);
    ck_assert_uint_eq(q(0xd, 0).a, 3);
    ck_assert_uint_eq(q(0xd, 0).c, 576);
    ck_assert_uint_eq(cpuid_policy_xcr0_max(), 3);

    /* No XSAVE for the guest at all. */
    init_intel(0, false);
    l = q(1, 0);
    ck_assert_uint_eq(l.c & (FB(XSAVE) | FB(AVX) | FB(FMA) | FB(F16C)), 0);
    ck_assert_uint_eq(q(7, 0).b & FB(AVX2), 0);
    l = q(0xd, 0);
    ck_assert(!l.a && !l.b && !l.c && !l.d);
    l = q(0xd, 1);
    ck_assert(!l.a && !l.b && !l.c && !l.d);
    ck_assert_uint_eq(cpuid_policy_xcr0_max(), 0);
    ck_assert(!cpuid_policy_has(XEN_X86_FEATURE_XSAVEOPT));
}
END_TEST

START_TEST(deep_dependencies)
{
    /* A host (or VMM) reporting AVX bits without XSAVE: they must go too. */
    fake_emulate_reset();
    fake_cpuid_load_intel();
    fake_cpuid_set(1, FAKE_SUBLEAF_ANY, 0x00050654, 0,
                   FB(SSE3) | FB(AVX) | FB(FMA) | FB(F16C) | FB(AESNI) | FB(PCLMULQDQ),
                   FB(FPU) | FB(TSC) | FB(PAE) | FB(MMX) | FB(FXSR) | FB(SSE));  /* no SSE2 */
    struct cpuid_policy_params p = { .xcr0_max = X87_SSE_YMM };
    cpuid_policy_init(&p);
    struct cpuid_leaf l = q(1, 0);
    ck_assert_uint_eq(l.c & (FB(AVX) | FB(FMA) | FB(F16C)), 0);
    /* Without SSE2: SSE3, AES-NI, PCLMULQDQ, and long mode are implausible. */
    ck_assert_uint_eq(l.c & (FB(SSE3) | FB(AESNI) | FB(PCLMULQDQ)), 0);
    ck_assert_uint_eq(q(0x80000001, 0).d & (FB(LM)), 0);
    ck_assert_uint_eq(q(7, 0).b & FB(AVX2), 0);
    ck_assert_uint_ne(l.d & FB(SSE), 0);
}
END_TEST

START_TEST(ivybridge_rdrand)
{
    fake_emulate_reset();
    fake_cpuid_load_intel();
    fake_cpuid_set(1, FAKE_SUBLEAF_ANY, 0x000306a9, 0, FB(RDRAND) | FB(SSE3),
                   FB(FPU) | FB(FXSR) | FB(SSE) | FB(SSE2));
    struct cpuid_policy_params p = { 0 };
    cpuid_policy_init(&p);
    ck_assert_uint_eq(q(1, 0).c & FB(RDRAND), 0);
    ck_assert_uint_ne(q(1, 0).c & FB(SSE3), 0);
}
END_TEST

START_TEST(amd_policy)
{
    init_amd();
    ck_assert_int_eq(cpuid_policy_vendor(), CPU_VENDOR_AMD);
    ck_assert_uint_eq(cpuid_policy_family(), 0x17);
    struct cpuid_leaf l = q(1, 0);
    ck_assert_uint_eq(l.b, 0x00000800);
    ck_assert_uint_eq(l.d & (FB(SEP) | FB(HTT) | FB(MTRR) | FB(PGE)), 0);
    ck_assert_uint_eq(l.c & FB(MONITOR), 0);

    l = q(0x80000000, 0);
    ck_assert_uint_eq(l.a, 0x80000021);
    ck_assert_uint_eq(l.b, 0x68747541);                 /* vendor repeated */

    l = q(0x80000001, 0);
    ck_assert_uint_eq(l.a, 0x00830f10);
    ck_assert_uint_eq(l.c & (FB(CMP_LEGACY) | FB(SVM) | FB(EXTAPIC) | FB(CR8_LEGACY) |
                             FB(OSVW) | FB(IBS) | FB(SKINIT) | FB(WDT) | FB(TOPOEXT) |
                             FB(DBEXT) | FB(MONITORX)), 0);
    ck_assert_uint_eq(l.c, FB(LAHF_LM) | FB(ABM) | FB(SSE4A) | FB(MISALIGNSSE) |
                           FB(3DNOWPREFETCH));
    /* The leaf-1 repeats follow the leaf-1 policy (no MTRR/PGE/PSE/VME...). */
    uint32_t common = q(1, 0).d & 0x0183f3ffu;
    ck_assert_uint_eq(l.d & 0x0183f3ffu, common);
    ck_assert_uint_eq(l.d & ~0x0183f3ffu, FB(SYSCALL) | FB(NX) | FB(MMXEXT) | FB(FFXSR) |
                                          FB(RDTSCP) | FB(LM));

    l = q(0x80000008, 0);
    ck_assert_uint_eq(l.b, FB(CLZERO));                 /* no IBPB/IBRS/STIBP/SSBD */
    ck_assert_uint_eq(l.c, 0);                          /* one core */
    ck_assert_uint_eq(q(0x80000007, 0).d, 0);

    static const uint32_t zero_leaves[] = { 2, 4, 0x8000000a, 0x80000019, 0x8000001e };
    for (unsigned i = 0; i < sizeof(zero_leaves) / sizeof(zero_leaves[0]); i++) {
        l = q(zero_leaves[i], 0);
        ck_assert_msg(!l.a && !l.b && !l.c && !l.d, "leaf %#x not empty", zero_leaves[i]);
    }
    ck_assert_uint_eq(q(0x8000001a, 0).a, 6);           /* perf hints pass through */
    l = q(0x80000021, 0);
    ck_assert_uint_eq(l.a, FB(LFENCE_DISPATCH) | FB(NSCB));
    ck_assert(!l.b && !l.c && !l.d);

    l = q(7, 0);
    ck_assert_uint_eq(l.b & (FB(SMEP) | FB(SMAP) | FB(FSGSBASE)), 0);
    ck_assert_uint_eq(l.c, FB(RDPID));                  /* UMIP hidden */
}
END_TEST

START_TEST(out_of_range_leaves)
{
    init_intel(X87_SSE_YMM, false);
    static const uint32_t leaves[] = { 0x20, 0x3fffffff, 0x40000200, 0x7fffffff,
                                       0x80000009, 0x800000ff, 0xc0000000, 0xffffffff };
    for (unsigned i = 0; i < sizeof(leaves) / sizeof(leaves[0]); i++) {
        struct cpuid_leaf l = q(leaves[i], 7);
        ck_assert_msg(!l.a && !l.b && !l.c && !l.d, "leaf %#x", leaves[i]);
    }
    struct cpuid_leaf l = q(7, 5);
    ck_assert(!l.a && !l.b && !l.c && !l.d);
    l = q(0xd, 1000);
    ck_assert(!l.a && !l.b && !l.c && !l.d);
}
END_TEST

static Suite *emulate_cpuid_suite(void)
{
    Suite *s = suite_create("emulate_cpuid");
    TCase *tc = tcase_create("policy");
    tcase_add_test(tc, xen_leaves);
    tcase_add_test(tc, intel_leaf1_masks);
    tcase_add_test(tc, osxsave_leak);
    tcase_add_test(tc, intel_leaf7);
    tcase_add_test(tc, intel_hidden_leaves);
    tcase_add_test(tc, intel_extended);
    tcase_add_test(tc, xsave_leaves);
    tcase_add_test(tc, deep_dependencies);
    tcase_add_test(tc, ivybridge_rdrand);
    tcase_add_test(tc, amd_policy);
    tcase_add_test(tc, out_of_range_leaves);
    suite_add_tcase(s, tc);
    return s;
}
UNIT_SUITE(emulate_cpuid_suite)
