/*
 * The PV CPUID policy. Facts from Xen 4.17 (xen/arch/x86/cpu-policy.c,
 * cpuid.c, traps.c cpuid_hypervisor_leaves, the 'A' annotations of
 * public/arch-x86/cpufeatureset.h and the dependency graph of
 * xen/tools/gen-cpuid.py); the code is pvshim's own.
 */
#include <pvshim/compiler.h>
#include <pvshim/hw.h>
#include <pvshim/string.h>
#include <pvshim/time_scale.h>
#include <pvshim/xen_abi.h>
#include <xen/arch-x86/cpuid.h>
#include <xen/arch-x86/cpufeatureset.h>
#include "cpuid_policy.h"

#define F(name)     XEN_X86_FEATURE_##name
#define NR_WORDS    19      /* Xen's featureset words 0-18 */
#define WORD(f)     ((f) / 32)
#define BIT(f)      (1u << ((f) % 32))

#define NR_BASIC    (0xd + 1)
#define NR_CACHE    (5 + 1)
#define NR_FEAT     (2 + 1)
#define NR_XSTATE   (62 + 1)
#define NR_EXTD_INTEL (0x8 + 1)
#define NR_EXTD_AMD (0x21 + 1)

#define XCR0_FP     (1ull << 0)
#define XCR0_SSE    (1ull << 1)
#define XCR0_YMM    (1ull << 2)
#define XCR0_AVX512 (7ull << 5)     /* OPMASK, ZMM_Hi256, Hi16_ZMM */
#define XSTATE_LEGACY_SIZE 576      /* FXSAVE area + XSAVE header */

#define CR4_OSXSAVE (1ull << 18)

/*
 * What a PV guest may see by default: Xen's 'A' features. Features Xen
 * offers but pvshim does not (yet) virtualise are left out here and listed
 * in pvshim_hidden below, so the difference stays visible.
 */
static const unsigned pv_default_features[] = {
    /* leaf 1 EDX */
    F(FPU), F(DE), F(TSC), F(MSR), F(PAE), F(MCE), F(CX8), F(APIC), F(SEP),
    F(MCA), F(CMOV), F(PAT), F(CLFLUSH), F(ACPI), F(MMX), F(FXSR), F(SSE),
    F(SSE2), F(SS),
    /* leaf 1 ECX */
    F(SSE3), F(PCLMULQDQ), F(SSSE3), F(FMA), F(CX16), F(SSE4_1), F(SSE4_2),
    F(MOVBE), F(POPCNT), F(AESNI), F(XSAVE), F(AVX), F(F16C), F(RDRAND),
    /* 0x80000001 EDX / ECX */
    F(SYSCALL), F(NX), F(MMXEXT), F(FFXSR), F(RDTSCP), F(LM), F(3DNOWEXT),
    F(3DNOW),
    F(LAHF_LM), F(ABM), F(SSE4A), F(MISALIGNSSE), F(3DNOWPREFETCH), F(XOP),
    F(FMA4), F(TBM),
    /* leaf 0xd:1 EAX */
    F(XSAVEOPT), F(XSAVEC), F(XGETBV1),
    /* leaf 7:0 EBX */
    F(FSGSBASE), F(BMI1), F(AVX2), F(BMI2), F(ERMS), F(RTM), F(AVX512F),
    F(AVX512DQ), F(RDSEED), F(ADX), F(AVX512_IFMA), F(CLFLUSHOPT), F(CLWB),
    F(AVX512PF), F(AVX512ER), F(AVX512CD), F(SHA), F(AVX512BW), F(AVX512VL),
    /* leaf 7:0 ECX */
    F(PREFETCHWT1), F(AVX512_VBMI), F(AVX512_VBMI2), F(GFNI), F(VAES),
    F(VPCLMULQDQ), F(AVX512_VNNI), F(AVX512_BITALG), F(AVX512_VPOPCNTDQ),
    F(RDPID), F(CLDEMOTE),
    /* 0x80000008 EBX */
    F(CLZERO), F(RSTR_FP_ERR_PTRS), F(SSB_NO), F(BTC_NO),
    /* leaf 7:0 EDX */
    F(AVX512_4VNNIW), F(AVX512_4FMAPS), F(FSRM), F(MD_CLEAR), F(SERIALIZE),
    /* leaf 7:1 EAX */
    F(AVX_VNNI), F(AVX512_BF16), F(FZRM), F(FSRS), F(FSRCS),
    /* 0x80000021 EAX */
    F(LFENCE_DISPATCH), F(VERW_CLEAR), F(NSCB), F(SRSO_NO),
    /* leaf 7:2 EDX */
    F(MCDT_NO),
    /* 0x80000021 ECX */
    F(TSA_SQ_NO), F(TSA_L1_NO),
};

/*
 * Xen offers these to PV guests; pvshim hides them because it does not
 * virtualise what they announce:
 *   IBRSB STIBP SSBD INTEL_PSFD IBPB IBPB_RET SBPB IBPB_BRTYPE:
 *       MSR_SPEC_CTRL / MSR_PRED_CMD are not context-switched for the guest;
 *   ARCH_CAPS (and its MSR words 16, 17): MSR_ARCH_CAPABILITIES not offered;
 *   DBEXT: the AMD debug address-mask MSRs are not context-switched;
 *   SRSO_US_NO: Xen drops it too unless BP_SPEC_REDUCE is active;
 *   HTT, CMP_LEGACY: one vCPU, no multi-thread/multi-core package;
 *   FSGSBASE: unless params.fsgsbase (the guest could then move FS/GS
 *       bases behind the recorded values).
 */

/* Feature -> features that cannot exist without it (gen-cpuid.py "deps"). */
static const struct {
    unsigned feature;
    unsigned dependents[13];
} deps[] = {
    { F(FPU),      { F(MMX), F(RSTR_FP_ERR_PTRS) } },
    { F(PSE),      { F(PSE36) } },
    { F(PAE),      { F(LM), F(NX) } },
    { F(TSC),      { F(TSC_DEADLINE), F(RDTSCP), F(TSC_ADJUST), F(ITSC) } },
    { F(APIC),     { F(X2APIC), F(TSC_DEADLINE), F(EXTAPIC) } },
    { F(MMX),      { F(MMXEXT), F(3DNOW) } },
    { F(FXSR),     { F(FFXSR), F(SSE) } },
    { F(SSE),      { F(SSE2), F(MISALIGNSSE) } },
    { F(SSE2),     { F(SSE3), F(LM), F(AESNI), F(PCLMULQDQ), F(SHA), F(GFNI) } },
    { F(SSE3),     { F(SSSE3), F(SSE4A) } },
    { F(SSSE3),    { F(SSE4_1) } },
    { F(SSE4_1),   { F(SSE4_2) } },
    { F(XSAVE),    { F(XSAVEOPT), F(XSAVEC), F(XGETBV1), F(XSAVES), F(AVX),
                     F(MPX), F(PKU), F(LWP) } },
    { F(AVX),      { F(FMA), F(FMA4), F(F16C), F(AVX2), F(XOP) } },
    { F(NX),       { F(SMAP) } },
    { F(LM),       { F(CX16), F(PCID), F(LAHF_LM), F(PAGE1GB), F(PKU), F(NO_LMSL) } },
    { F(3DNOW),    { F(3DNOWEXT) } },
    { F(AVX2),     { F(AVX512F), F(VAES), F(VPCLMULQDQ), F(AVX_VNNI) } },
    { F(AVX512F),  { F(AVX512DQ), F(AVX512_IFMA), F(AVX512PF), F(AVX512ER),
                     F(AVX512CD), F(AVX512BW), F(AVX512VL), F(AVX512_4VNNIW),
                     F(AVX512_4FMAPS), F(AVX512_VNNI), F(AVX512_VPOPCNTDQ),
                     F(AVX512_VP2INTERSECT) } },
    { F(AVX512BW), { F(AVX512_VBMI), F(AVX512_VBMI2), F(AVX512_BITALG),
                     F(AVX512_BF16), F(AVX512_FP16) } },
    { F(PCLMULQDQ), { F(VPCLMULQDQ) } },
    { F(AESNI),    { F(VAES) } },
    { F(IBRSB),    { F(STIBP), F(SSBD), F(INTEL_PSFD), F(EIBRS), F(IPRED_CTRL),
                     F(RRSBA_CTRL), F(BHI_CTRL) } },
    { F(IBRS),     { F(AMD_STIBP), F(AMD_SSBD), F(PSFD), F(IBRS_ALWAYS),
                     F(IBRS_FAST), F(IBRS_SAME_MODE) } },
    { F(IBPB),     { F(IBPB_RET), F(SBPB), F(IBPB_BRTYPE) } },
    { F(AMD_STIBP), { F(STIBP_ALWAYS) } },
    { F(RTM),      { F(TSXLDTRK) } },
    { F(EIBRS),    { F(RRSBA) } },
};

/* Leaf 1 EDX features AMD repeats in 0x80000001 EDX. */
#define COMMON_1D_MASK 0x0183f3ffu

/* ------------------------------------------------------------ the policy */

static struct {
    bool ready;
    struct cpuid_policy_params params;
    enum cpu_vendor vendor;
    unsigned family;
    uint32_t fs[NR_WORDS];              /* final featureset */
    uint32_t basic_max, feat_max, extd_max;
    struct cpuid_leaf basic[NR_BASIC];
    struct cpuid_leaf cache[NR_CACHE];
    struct cpuid_leaf feat[NR_FEAT];
    struct cpuid_leaf xstate[NR_XSTATE];
    struct cpuid_leaf extd[NR_EXTD_AMD];
    uint64_t xcr0;                      /* XCR0 bits the guest may set */
} pol;

static void cpuid_raw(uint32_t leaf, uint32_t subleaf, struct cpuid_leaf *l)
{
    hw_cpuid(leaf, subleaf, &l->a, &l->b, &l->c, &l->d);
}

static bool fs_has(const uint32_t *fs, unsigned f)
{
    return WORD(f) < NR_WORDS && (fs[WORD(f)] & BIT(f));
}

static void fs_clear(uint32_t *fs, unsigned f)
{
    if (WORD(f) < NR_WORDS)
        fs[WORD(f)] &= ~BIT(f);
}

static void fs_set(uint32_t *fs, unsigned f)
{
    if (WORD(f) < NR_WORDS)
        fs[WORD(f)] |= BIT(f);
}

static enum cpu_vendor vendor_of(const struct cpuid_leaf *l0)
{
    static const struct { char id[13]; enum cpu_vendor v; } ids[] = {
        { "GenuineIntel", CPU_VENDOR_INTEL },
        { "AuthenticAMD", CPU_VENDOR_AMD },
        { "HygonGenuine", CPU_VENDOR_HYGON },
        { "CentaurHauls", CPU_VENDOR_CENTAUR },
        { "  Shanghai  ", CPU_VENDOR_SHANGHAI },
    };
    char id[12];
    memcpy(id, &l0->b, 4);
    memcpy(id + 4, &l0->d, 4);
    memcpy(id + 8, &l0->c, 4);
    for (unsigned i = 0; i < ARRAY_SIZE(ids); i++)
        if (!memcmp(id, ids[i].id, 12))
            return ids[i].v;
    return CPU_VENDOR_UNKNOWN;
}

static bool amd_like(void)
{
    return pol.vendor == CPU_VENDOR_AMD || pol.vendor == CPU_VENDOR_HYGON;
}

/* Read what the host offers, in the leaves the policy keeps. */
static void fill_from_host(void)
{
    struct cpuid_leaf l0;
    cpuid_raw(0, 0, &l0);
    pol.vendor = vendor_of(&l0);
    pol.basic_max = MIN(l0.a, (uint32_t)(NR_BASIC - 1));
    pol.basic[0] = l0;

    for (uint32_t i = 1; i <= pol.basic_max; i++) {
        switch (i) {
        case 0x4:
            for (uint32_t s = 0; s < NR_CACHE; s++) {
                cpuid_raw(4, s, &pol.cache[s]);
                if ((pol.cache[s].a & 0x1f) == 0) {     /* no more caches */
                    memset(&pol.cache[s], 0, sizeof(pol.cache[s]));
                    break;
                }
            }
            break;
        case 0x7:
            cpuid_raw(7, 0, &pol.feat[0]);
            pol.feat_max = MIN(pol.feat[0].a, (uint32_t)(NR_FEAT - 1));
            for (uint32_t s = 1; s <= pol.feat_max; s++)
                cpuid_raw(7, s, &pol.feat[s]);
            break;
        case 0xb:
            break;                              /* topology: synthesised */
        case 0xd: {
            cpuid_raw(0xd, 0, &pol.xstate[0]);
            cpuid_raw(0xd, 1, &pol.xstate[1]);
            uint64_t states = pol.xstate[0].a | (uint64_t)pol.xstate[0].d << 32 |
                              pol.xstate[1].c | (uint64_t)pol.xstate[1].d << 32;
            for (uint32_t s = 2; s < NR_XSTATE; s++)
                if (states & (1ull << s))
                    cpuid_raw(0xd, s, &pol.xstate[s]);
            break;
        }
        default:
            cpuid_raw(i, 0, &pol.basic[i]);
            break;
        }
    }

    struct cpuid_leaf e0;
    cpuid_raw(0x80000000, 0, &e0);
    uint32_t limit = amd_like() ? NR_EXTD_AMD : NR_EXTD_INTEL;
    pol.extd_max = (e0.a & 0xffff0000) == 0x80000000 ? MIN(e0.a & 0xffff, limit - 1) : 0;
    pol.extd[0] = e0;
    for (uint32_t i = 1; i <= pol.extd_max; i++)
        cpuid_raw(0x80000000 + i, 0, &pol.extd[i]);

    uint32_t fms = pol.basic[1].a;
    pol.family = (fms >> 8) & 0xf;
    if (pol.family == 0xf)
        pol.family += (fms >> 20) & 0xff;
}

/* Where each featureset word lives. */
static uint32_t *word_reg(unsigned w)
{
    switch (w) {
    case 0:  return &pol.basic[1].d;
    case 1:  return &pol.basic[1].c;
    case 2:  return &pol.extd[1].d;
    case 3:  return &pol.extd[1].c;
    case 4:  return &pol.xstate[1].a;
    case 5:  return &pol.feat[0].b;
    case 6:  return &pol.feat[0].c;
    case 7:  return &pol.extd[7].d;
    case 8:  return &pol.extd[8].b;
    case 9:  return &pol.feat[0].d;
    case 10: return &pol.feat[1].a;
    case 11: return &pol.extd[0x21].a;
    case 12: return &pol.feat[1].b;
    case 13: return &pol.feat[2].d;
    case 14: return &pol.feat[1].c;
    case 15: return &pol.feat[1].d;
    case 18: return &pol.extd[0x21].c;
    default: return NULL;               /* 16, 17: MSR_ARCH_CAPS, not offered */
    }
}

/* Is the leaf holding word w within the host's (clamped) range? */
static bool word_present(unsigned w)
{
    switch (w) {
    case 0: case 1: return pol.basic_max >= 1;
    case 2: case 3: return pol.extd_max >= 1;
    case 4:         return pol.basic_max >= 0xd;
    case 5: case 6: case 9: return pol.basic_max >= 7;
    case 10: case 12: case 14: case 15: return pol.basic_max >= 7 && pol.feat_max >= 1;
    case 13:        return pol.basic_max >= 7 && pol.feat_max >= 2;
    case 7:         return pol.extd_max >= 7;
    case 8:         return pol.extd_max >= 8;
    case 11: case 18: return pol.extd_max >= 0x21;
    default:        return false;
    }
}

/* Clear every feature that depends, transitively, on a missing one. */
static void sanitise(uint32_t *fs)
{
    /* Each pass settles at least one more level of the (acyclic) graph. */
    for (unsigned pass = 0; pass < ARRAY_SIZE(deps); pass++) {
        bool changed = false;
        for (unsigned i = 0; i < ARRAY_SIZE(deps); i++) {
            if (fs_has(fs, deps[i].feature))
                continue;
            for (unsigned j = 0; j < ARRAY_SIZE(deps[i].dependents); j++) {
                unsigned d = deps[i].dependents[j];
                if (d && fs_has(fs, d)) {
                    fs_clear(fs, d);
                    changed = true;
                }
            }
        }
        if (!changed)
            break;
    }
}

static void compute_featureset(void)
{
    uint32_t host[NR_WORDS] = { 0 }, mask[NR_WORDS] = { 0 };

    for (unsigned w = 0; w < NR_WORDS; w++)
        if (word_present(w))
            host[w] = *word_reg(w);
    for (unsigned i = 0; i < ARRAY_SIZE(pv_default_features); i++)
        fs_set(mask, pv_default_features[i]);

    for (unsigned w = 0; w < NR_WORDS; w++)
        pol.fs[w] = host[w] & mask[w];

    uint32_t *fs = pol.fs;
    if (!pol.params.fsgsbase)
        fs_clear(fs, F(FSGSBASE));
    /* 64-bit Xen on AMD cannot offer SYSENTER to PV guests. */
    if (amd_like())
        fs_clear(fs, F(SEP));
    /* IvyBridge RDRAND leaks through SRBDS (XSA-320): Xen hides it by default. */
    if (pol.vendor == CPU_VENDOR_INTEL && pol.family == 6 &&
        (((pol.basic[1].a >> 4) & 0xf) | ((pol.basic[1].a >> 12) & 0xf0)) == 0x3a)
        fs_clear(fs, F(RDRAND));

    /* XSAVE and its state components only as far as pvshim enables them. */
    uint64_t xmax = pol.params.xcr0_max;
    if (pol.basic_max < 0xd)
        fs_clear(fs, F(XSAVE));
    if ((xmax & (XCR0_FP | XCR0_SSE)) != (XCR0_FP | XCR0_SSE))
        fs_clear(fs, F(XSAVE));
    if (!(xmax & XCR0_YMM))
        fs_clear(fs, F(AVX));
    if ((xmax & XCR0_AVX512) != XCR0_AVX512)
        fs_clear(fs, F(AVX512F));

    fs_set(fs, F(HYPERVISOR));

    sanitise(fs);

    /* Host x87 quirks are facts about the hardware the guest runs on. */
    fs[WORD(F(FDP_EXCP_ONLY))] |= host[WORD(F(FDP_EXCP_ONLY))] &
                                  (BIT(F(FDP_EXCP_ONLY)) | BIT(F(NO_FPU_SEL)));
}

static void write_featureset(void)
{
    for (unsigned w = 0; w < NR_WORDS; w++) {
        uint32_t *r = word_reg(w);
        if (r)
            *r = word_present(w) ? pol.fs[w] : 0;
    }
    /* AMD repeats the common leaf-1 features in 0x80000001 EDX. */
    pol.extd[1].d &= ~COMMON_1D_MASK;
    if (amd_like())
        pol.extd[1].d |= pol.basic[1].d & COMMON_1D_MASK;
}

static void compute_xstate(void)
{
    struct cpuid_leaf raw[NR_XSTATE];
    memcpy(raw, pol.xstate, sizeof(raw));
    uint32_t da1 = pol.xstate[1].a;
    memset(pol.xstate, 0, sizeof(pol.xstate));
    pol.xcr0 = 0;
    if (!fs_has(pol.fs, F(XSAVE)))
        return;

    uint64_t x = XCR0_FP | XCR0_SSE;
    if (fs_has(pol.fs, F(AVX)))
        x |= XCR0_YMM;
    if (fs_has(pol.fs, F(AVX512F)))
        x |= XCR0_AVX512;
    pol.xcr0 = x;

    uint32_t size = XSTATE_LEGACY_SIZE;
    for (unsigned i = 2; i < NR_XSTATE; i++) {
        if (!(x & (1ull << i)))
            continue;
        pol.xstate[i].a = raw[i].a;             /* size */
        pol.xstate[i].b = raw[i].b;             /* offset in the standard form */
        pol.xstate[i].c = raw[i].c & 2;         /* 64-byte aligned when compacted */
        size = MAX(size, raw[i].a + raw[i].b);
    }
    pol.xstate[0].a = (uint32_t)x;
    pol.xstate[0].d = (uint32_t)(x >> 32);
    pol.xstate[0].c = size;
    pol.xstate[1].a = da1;                      /* already masked as word 4 */
}

/* One logical processor in one package, APIC ID 0. */
static void compute_topology(void)
{
    pol.basic[1].b &= 0x0000ffffu;          /* APIC ID 0, no logical-CPU count */
    for (unsigned i = 0; i < NR_CACHE; i++) {
        if ((pol.cache[i].a & 0x1f) == 0) {
            memset(&pol.cache[i], 0, sizeof(pol.cache) - i * sizeof(pol.cache[0]));
            break;
        }
        pol.cache[i].a &= 0x000003ffu;      /* one core, one thread sharing it */
        pol.cache[i].d &= 0x00000007u;
    }
    if (pol.extd_max >= 8)
        pol.extd[8].c = 0;                  /* NC = 0: one core; no APIC ID size */
}

static void compute_misc(void)
{
    static const struct cpuid_leaf empty;

    pol.basic[0].a = pol.basic_max;
    pol.basic[1].a &= 0x0fff0fffu;          /* no processor type */
    pol.basic[3] = empty;                   /* PSN */
    pol.basic[5] = empty;                   /* MONITOR/MWAIT: not for PV */
    pol.basic[6] = empty;                   /* thermal and power */
    pol.basic[8] = empty;
    pol.basic[9] = empty;                   /* DCA */
    pol.basic[0xa] = empty;                 /* no vPMU */
    pol.basic[0xb] = empty;                 /* extended topology */
    pol.basic[0xc] = empty;
    pol.feat[0].a = pol.feat_max;
    for (unsigned s = 1; s < NR_FEAT; s++)
        if (s > pol.feat_max)
            pol.feat[s] = empty;
    pol.feat[2].a = pol.feat[2].b = pol.feat[2].c = 0;

    pol.extd[0].a = pol.extd_max ? 0x80000000u | pol.extd_max : 0;
    if (pol.extd_max >= 7) {
        pol.extd[7].a = pol.extd[7].b = pol.extd[7].c = 0;  /* power/RAS */
    }
    if (pol.extd_max >= 8) {
        pol.extd[8].a = (pol.extd[8].a & 0xffu) | (48u << 8); /* 48-bit linear */
        pol.extd[8].d = 0;
    }

    if (amd_like()) {
        pol.basic[2] = empty;
        pol.basic[4] = empty;
        memset(pol.cache, 0, sizeof(pol.cache));
        pol.extd[0].b = pol.basic[0].b;
        pol.extd[0].c = pol.basic[0].c;
        pol.extd[0].d = pol.basic[0].d;
        if (pol.extd_max >= 1) {
            pol.extd[1].a = pol.basic[1].a;
            pol.extd[1].b &= 0xff00ffffu;
        }
        for (uint32_t i = 9; i <= pol.extd_max; i++) {
            switch (i) {
            case 0x19:                      /* 1 GiB TLB: only with PAGE1GB */
                if (!fs_has(pol.fs, F(PAGE1GB)))
                    pol.extd[i] = empty;
                break;
            case 0x1a:                      /* performance hints */
                break;
            case 0x21:
                pol.extd[i].b = pol.extd[i].d = 0;
                break;
            default:                        /* SVM, IBS, LWP, TopoExt, SEV, QoS... */
                pol.extd[i] = empty;
                break;
            }
        }
    } else {
        if (pol.basic_max >= 2)
            pol.basic[2].a = (pol.basic[2].a & ~0xffu) | 1;  /* one query */
        pol.extd[0].b = pol.extd[0].c = pol.extd[0].d = 0;
        if (pol.extd_max >= 1)
            pol.extd[1].a = pol.extd[1].b = 0;
        if (pol.extd_max >= 5)
            pol.extd[5] = empty;
        if (pol.extd_max >= 6)
            pol.extd[6].a = pol.extd[6].b = pol.extd[6].d = 0;
    }
}

void cpuid_policy_init(const struct cpuid_policy_params *params)
{
    memset(&pol, 0, sizeof(pol));
    pol.params = *params;
    fill_from_host();
    compute_featureset();
    write_featureset();
    compute_xstate();
    compute_topology();
    compute_misc();
    pol.ready = true;
}

/* ------------------------------------------------------------ lookups */

bool cpuid_policy_ready(void)
{
    return pol.ready;
}

bool cpuid_policy_has(unsigned int feature)
{
    return pol.ready && fs_has(pol.fs, feature);
}

enum cpu_vendor cpuid_policy_vendor(void)
{
    return pol.vendor;
}

unsigned int cpuid_policy_family(void)
{
    return pol.family;
}

uint64_t cpuid_policy_xcr0_max(void)
{
    return pol.xcr0;
}

bool cpuid_policy_faulting(void)
{
    return pol.ready && pol.params.cpuid_faulting;
}

/* Index of the highest set bit plus one; 0 for 0 (Xen's flsl). */
static unsigned fls64(uint64_t x)
{
    unsigned n = 0;
    while (x) {
        n++;
        x >>= 1;
    }
    return n;
}

static void xen_leaves(uint32_t idx, uint32_t subleaf, struct cpuid_leaf *res)
{
    switch (idx) {
    case 0:
        res->a = XEN_CPUID_FIRST_LEAF + XEN_CPUID_MAX_NUM_LEAVES;
        res->b = XEN_CPUID_SIGNATURE_EBX;
        res->c = XEN_CPUID_SIGNATURE_ECX;
        res->d = XEN_CPUID_SIGNATURE_EDX;
        break;
    case 1:
        res->a = PVSHIM_XEN_VERSION;
        break;
    case 2:
        res->a = 1;                         /* hypercall pages */
        res->b = XEN_CPUID_FIRST_LEAF;      /* MSR that writes one */
        res->c = XEN_CPUID_FEAT1_MMU_PT_UPDATE_PRESERVE_AD;
        break;
    case 3:                                 /* time */
        switch (subleaf) {
        case 0:
            /* No vTSC; the TSC is safe (one CPU); RDTSCP as the host has it. */
            res->a = (1u << 1) | (fs_has(pol.fs, F(RDTSCP)) ? 1u << 2 : 0);
            res->b = 0;                     /* TSC_MODE_DEFAULT */
            res->c = (uint32_t)pol.params.tsc_khz;
            res->d = 0;                     /* incarnation */
            break;
        case 1:
            /* No vTSC offset; the TSC-to-ns scale. */
            if (pol.params.tsc_khz) {
                struct time_scale s;
                time_scale_init(&s, pol.params.tsc_khz * 1000, 1000000000ull);
                res->c = s.mul;
                res->d = (uint32_t)(int32_t)s.shift;
            }
            break;
        case 2:
            res->a = (uint32_t)pol.params.tsc_khz;
            break;
        }
        break;
    case 4:                                 /* HVM only */
        break;
    case 5:                                 /* PV: machine address width */
        if (subleaf == 0)
            res->b = fls64(pol.params.max_mfn) + PAGE_SHIFT;
        break;
    }
}

void pv_guest_cpuid(uint32_t leaf, uint32_t subleaf, bool enlightened,
                    uint64_t guest_cr4, struct cpuid_leaf *res)
{
    memset(res, 0, sizeof(*res));
    if (!pol.ready)
        return;

    if (leaf < NR_BASIC) {
        if (leaf > pol.basic_max)
            return;
        switch (leaf) {
        case 0x4:
            if (subleaf < NR_CACHE)
                *res = pol.cache[subleaf];
            return;
        case 0x7:
            if (subleaf <= pol.feat_max)
                *res = pol.feat[subleaf];
            /* OSPKE would follow CR4.PKE; PKU is never offered to PV. */
            return;
        case 0xb:
            return;
        case 0xd:
            if (!fs_has(pol.fs, F(XSAVE)) || subleaf >= NR_XSTATE)
                return;
            *res = pol.xstate[subleaf];
            if (subleaf == 0 || (subleaf == 1 && fs_has(pol.fs, F(XSAVEC)))) {
                /* The size for the XCR0 in force now: ask the hardware. */
                uint32_t a, b, c, d;
                hw_cpuid(0xd, subleaf, &a, &b, &c, &d);
                res->b = b;
            }
            return;
        case 0x1:
            *res = pol.basic[1];
            /* Non-architectural, but PV kernels depend on it (see header). */
            if ((guest_cr4 & CR4_OSXSAVE) ||
                (enlightened && fs_has(pol.fs, F(XSAVE)) &&
                 (hw_read_cr4() & CR4_OSXSAVE)))
                res->c |= BIT(F(OSXSAVE));
            return;
        default:
            *res = pol.basic[leaf];
            return;
        }
    }

    if (leaf >= XEN_CPUID_FIRST_LEAF && leaf < XEN_CPUID_FIRST_LEAF + 0x200) {
        uint32_t idx = leaf - XEN_CPUID_FIRST_LEAF;
        if (idx <= XEN_CPUID_MAX_NUM_LEAVES)
            xen_leaves(idx, subleaf, res);
        return;
    }

    if (leaf >= 0x80000000u && leaf - 0x80000000u <= pol.extd_max && pol.extd_max)
        *res = pol.extd[leaf - 0x80000000u];
    else if (leaf == 0x80000000u)
        *res = pol.extd[0];
}
