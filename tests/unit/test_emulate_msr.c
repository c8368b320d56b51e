/* RDMSR/WRMSR emulation against Xen's PV MSR rules. */
#include <string.h>
#include <pvshim/xen_abi.h>
#include "domain.h"
#include "cpuid_policy.h"
#include "emulate.h"
#include "unit.h"
#include "fakes.h"
#include "fake_emulate.h"
#include "vcpu.h"

static struct cpu_regs r;

static void setup(void)
{
    fake_emulate_guest_setup(&r);
    fake_msr_set(0xc0000080, 0xd01);                    /* EFER: SCE LME LMA NXE */
    fake_msr_set(0x1a0, 0x850089);                      /* MISC_ENABLE: fast strings, PERF_AVAIL, ... */
    fake_msr_set(0x17, 0x0012000000000000ull);          /* PLATFORM_ID */
    fake_msr_set(0x8b, 0x200005e00000000ull);           /* microcode revision */
}

static void setup_amd(void)
{
    setup();
    fake_emulate_reset();
    fake_cpuid_load_amd();
    struct cpuid_policy_params p = { .xcr0_max = 7 };
    cpuid_policy_init(&p);
    fake_desc_set(0xe030, FAKE_DESC_CODE64);
    fake_guest_map(FAKE_KCODE, fake_code, sizeof(fake_code));
    current->kernel_mode = true;
    current->trap_ctxt[13].address = FAKE_KCODE + 0x800;
    pv_emul_vcpu_init();
    fake_msr_set(0xc0000080, 0xd01);
}

/* RDMSR ecx through the #GP path; true if emulated (value in *val). */
static bool rdmsr(uint32_t msr, uint64_t *val)
{
    r.rcx = msr;
    r.rax = r.rdx = 0xaaaaaaaaaaaaaaaaull;
    bool ok = RUN(&r, 0x0f, 0x32);
    if (ok) {
        ck_assert_uint_eq(r.rip, FAKE_KCODE + 2);
        ck_assert_uint_eq(r.rax >> 32, 0);
        ck_assert_uint_eq(r.rdx >> 32, 0);
        *val = r.rax | r.rdx << 32;
    } else {
        ck_assert_uint_eq(r.rip, FAKE_KCODE);
        ck_assert_uint_eq(r.rax, 0xaaaaaaaaaaaaaaaaull);
    }
    return ok;
}

static bool wrmsr(uint32_t msr, uint64_t val)
{
    r.rcx = msr | 0xffffffff00000000ull;                /* upper half ignored */
    r.rax = (uint32_t)val | 0x5555555500000000ull;      /* likewise */
    r.rdx = val >> 32;
    bool ok = RUN(&r, 0x0f, 0x30);
    ck_assert_uint_eq(r.rip, FAKE_KCODE + (ok ? 2 : 0));
    return ok;
}

static uint64_t rd(uint32_t msr)
{
    uint64_t v = 0;
    ck_assert_msg(rdmsr(msr, &v), "RDMSR %#x refused", msr);
    return v;
}

START_TEST(segment_bases)
{
    ck_assert(wrmsr(0xc0000100, 0x00007f0000001000ull));        /* FS_BASE */
    ck_assert_uint_eq(current->fs_base, 0x00007f0000001000ull);
    ck_assert_uint_eq(fake_hw.fs_base, 0x00007f0000001000ull);
    ck_assert(wrmsr(0xc0000101, 0xffff888000002000ull));        /* GS_BASE = kernel's */
    ck_assert_uint_eq(current->gs_base_kernel, 0xffff888000002000ull);
    ck_assert_uint_eq(fake_hw.gs_base, 0xffff888000002000ull);
    ck_assert(wrmsr(0xc0000102, 0x00007f0000003000ull));        /* SHADOW = user's */
    ck_assert_uint_eq(current->gs_base_user, 0x00007f0000003000ull);
    ck_assert_uint_eq(fake_hw.gs_inactive, 0x00007f0000003000ull);
    ck_assert_uint_eq(fake_hw.gs_base, 0xffff888000002000ull);  /* active GS untouched */
    ck_assert_uint_eq(rd(0xc0000100), 0x00007f0000001000ull);
    ck_assert_uint_eq(rd(0xc0000101), 0xffff888000002000ull);
    ck_assert_uint_eq(rd(0xc0000102), 0x00007f0000003000ull);
    /* Reads come from the hardware, where set_segment_base puts them too. */
    fake_hw.fs_base = 0x1000;
    fake_hw.gs_base = 0x2000;
    fake_hw.gs_inactive = 0x3000;
    ck_assert_uint_eq(rd(0xc0000100), 0x1000);
    ck_assert_uint_eq(rd(0xc0000101), 0x2000);
    ck_assert_uint_eq(rd(0xc0000102), 0x3000);
    /* Non-canonical bases: #GP, nothing recorded. */
    ck_assert(!wrmsr(0xc0000100, 0x0000800000000000ull));
    ck_assert(!wrmsr(0xc0000101, 0xfff0000000000000ull));
    ck_assert(!wrmsr(0xc0000102, 0x8000000000000000ull));
    ck_assert_uint_eq(fake_hw.fs_base, 0x1000);
    ck_assert_uint_eq(fake_hw.gs_base, 0x2000);
    ck_assert_uint_eq(fake_hw.gs_inactive, 0x3000);
}
END_TEST

START_TEST(efer_pat_apic)
{
    ck_assert_uint_eq(rd(0xc0000080), 0xd01);
    fake_msr_set(0xc0000080, 0xd01 | (1 << 12) | (1 << 15));   /* SVME, an unknown bit */
    ck_assert_uint_eq(rd(0xc0000080), 0xd01);
    ck_assert(wrmsr(0xc0000080, 0xd01));                        /* write back what was read */
    ck_assert(!wrmsr(0xc0000080, 0xd00));                       /* any change: #GP */
    ck_assert(!wrmsr(0xc0000080, 0xd01 | (1 << 12)));
    ck_assert_uint_eq(rd(0x277), 0x0000050100070406ull);         /* Xen's PAT */
    ck_assert(!wrmsr(0x277, 0x0007040600070406ull));
    ck_assert_uint_eq(rd(0x1b), 0xfee00900);                     /* APIC_BASE: enabled BSP */
    ck_assert(!wrmsr(0x1b, 0xfee00900));
    ck_assert_uint_eq(rd(0x10), 0x123456789abcull);              /* TSC */
    ck_assert(!wrmsr(0x10, 0));
}
END_TEST

START_TEST(intel_misc_msrs)
{
    /* MISC_ENABLE: PERF_AVAIL and MONITOR off, BTS/PEBS/xTPR unavailable. */
    fake_msr_set(0x1a0, (1 << 0) | (1 << 7) | (1 << 18));
    ck_assert_uint_eq(rd(0x1a0), (1 << 0) | (1 << 11) | (1 << 12) | (1 << 23));
    ck_assert(wrmsr(0x1a0, 0));                                 /* dropped, no #GP */
    ck_assert_uint_eq(rd(0x17), 0x0012000000000000ull);          /* PLATFORM_ID */
    ck_assert_uint_eq(rd(0x8b), 0x200005e00000000ull);           /* microcode */
    ck_assert(wrmsr(0x8b, 0));                                  /* Intel's ritual */
    ck_assert(!wrmsr(0x8b, 1));
    ck_assert(!wrmsr(0x79, 0x1000));                            /* no microcode loads */
    ck_assert_uint_eq(rd(0x3a), 1);                              /* FEATURE_CONTROL: locked, no VMX */
    ck_assert_uint_eq(rd(0x198), 0);
    ck_assert_uint_eq(rd(0x199), 0);
    ck_assert(wrmsr(0x199, 0x1234));
    ck_assert_uint_eq(rd(0x19c), 0);
    ck_assert(wrmsr(0x19a, 1));                                 /* THERM_CONTROL dropped */
    ck_assert(wrmsr(0x1b0, 6));                                 /* ENERGY_PERF_BIAS dropped */
    ck_assert(wrmsr(0xe7, 0));                                  /* MPERF dropped */
    ck_assert_uint_eq(rd(0x345), 0);                             /* PERF_CAPABILITIES */
    /* vPMU off: counters read 0, writes vanish. */
    ck_assert_uint_eq(rd(0xc1), 0);
    ck_assert_uint_eq(rd(0x38f), 0);
    ck_assert(wrmsr(0x186, 0x43003c));
    ck_assert_uint_eq(rd(0x186), 0);
    /* AMD-only MSRs on Intel: #GP. */
    uint64_t v;
    ck_assert(!rdmsr(0xc0010015, &v));
    ck_assert(!rdmsr(0xc0011029, &v));
    ck_assert(!rdmsr(0xc0010062, &v));
    ck_assert(!wrmsr(0xc0010015, 0));
}
END_TEST

START_TEST(machine_check)
{
    ck_assert_uint_eq(rd(0x179), (1 << 24) | (1 << 11) | (1 << 10) | 2);   /* Intel MCG_CAP */
    ck_assert_uint_eq(rd(0x17b), 0);                             /* no MCG_CTL_P */
    ck_assert(wrmsr(0x17a, 4));
    ck_assert_uint_eq(rd(0x17a), 4);
    ck_assert(wrmsr(0x179, 0));                                 /* read-only, ignored */
    ck_assert_uint_eq(rd(0x179) & 0xff, 2);
    uint64_t v;
    ck_assert(!rdmsr(0x4d0, &v));                               /* no LMCE */
    ck_assert(!wrmsr(0x4d0, 1));
    ck_assert_uint_eq(rd(0x400), ~0ull);                         /* MC0_CTL */
    ck_assert_uint_eq(rd(0x404), ~0ull);                         /* MC1_CTL */
    ck_assert_uint_eq(rd(0x408), 0);                             /* beyond the two banks */
    ck_assert_uint_eq(rd(0x401), 0);                             /* MC0_STATUS */
    ck_assert(wrmsr(0x401, 0));
    ck_assert(!wrmsr(0x401, 1));
    ck_assert(!wrmsr(0x406, 0x10));                             /* MC1_ADDR */
    ck_assert(wrmsr(0x400, 0));                                 /* CTL writes ignored */
    ck_assert_uint_eq(rd(0x400), ~0ull);
    ck_assert(wrmsr(0x281, 0x7fff));                            /* MC1_CTL2 */
    ck_assert_uint_eq(rd(0x281), 0x7fff);
    ck_assert_uint_eq(rd(0x282), 0);
    ck_assert_uint_eq(rd(0), 0);                                 /* P5_MC_ADDR */
}
END_TEST

START_TEST(cpuid_faulting_msrs)
{
    ck_assert_uint_eq(rd(0xce), 0);                              /* not offered */
    ck_assert_uint_eq(rd(0x140), 0);
    ck_assert(wrmsr(0x140, 0));
    ck_assert(!wrmsr(0x140, 1));

    /* pvshim runs with CPUID faulting: the guest may have it for its user space. */
    struct cpuid_policy_params p = { .xcr0_max = 7, .cpuid_faulting = true };
    cpuid_policy_init(&p);
    ck_assert_uint_eq(rd(0xce), 1ull << 31);
    ck_assert(wrmsr(0x140, 1));
    ck_assert_uint_eq(rd(0x140), 1);
    ck_assert(!wrmsr(0x140, 2));
}
END_TEST

START_TEST(tsc_aux)
{
    ck_assert(wrmsr(0xc0000103, 0x42));
    ck_assert_uint_eq(fake_emu.tsc_aux, 0x42);
    ck_assert_uint_eq(rd(0xc0000103), 0x42);
    ck_assert(!wrmsr(0xc0000103, 1ull << 32));
    ck_assert_uint_eq(pv_emul.tsc_aux, 0x42);
}
END_TEST

/* A restored vCPU's X86_PV_VCPU_MSRS record (vcpu_restore.c). */
static uint8_t msr_rec[4 * 16];
static uint32_t msr_entries(uint32_t n, const uint32_t *idx, const uint64_t *val)
{
    memset(msr_rec, 0, sizeof(msr_rec));
    for (uint32_t i = 0; i < n; i++) {
        memcpy(msr_rec + 16 * i, &idx[i], 4);
        memcpy(msr_rec + 16 * i + 8, &val[i], 8);
    }
    return 16 * n;
}

START_TEST(restore_msrs)
{
    char err[200];
    /* What pvshim emulates takes its value; a zero SPEC_CTRL changes nothing for the guest. */
    uint32_t len = msr_entries(3, (const uint32_t[]){ 0xc0000103, 0x140, 0x48 },
                               (const uint64_t[]){ 0x42, 0, 0 });
    ck_assert_int_eq(pv_vcpu_restore_msrs(msr_rec, len, err, sizeof(err)), 0);
    ck_assert_uint_eq(pv_emul.tsc_aux, 0x42);
    ck_assert_uint_eq(fake_emu.tsc_aux, 0x42);
    /* A SPEC_CTRL the guest set, an MSR pvshim keeps at another value: refused, named. */
    len = msr_entries(1, (const uint32_t[]){ 0x48 }, (const uint64_t[]){ 1 });
    ck_assert_int_eq(pv_vcpu_restore_msrs(msr_rec, len, err, sizeof(err)), -1);
    ck_assert_msg(strstr(err, "MSR 0x48 = 0x1: pvshim does not offer it"), "%s", err);
    len = msr_entries(1, (const uint32_t[]){ 0xc0000103 }, (const uint64_t[]){ 1ull << 32 });
    ck_assert_int_eq(pv_vcpu_restore_msrs(msr_rec, len, err, sizeof(err)), -1);
    ck_assert_msg(strstr(err, "MSR 0xc0000103 = 0x100000000: pvshim keeps another value"),
                  "%s", err);
    ck_assert_uint_eq(pv_emul.tsc_aux, 0x42);
}
END_TEST

START_TEST(hypercall_page_msr)
{
    ck_assert_uint_eq(rd(0x40000000), 0);
    ck_assert(wrmsr(0x40000000, 0x1234000));
    ck_assert_uint_eq(fake_emu.hypercall_page_calls, 1);
    ck_assert_uint_eq(fake_emu.hypercall_page_mfn, 0x1234);
    ck_assert(!wrmsr(0x40000000, 0x1234001));                   /* page index 1 */
    fake_emu.hypercall_page_rc = -XEN_EINVAL;
    ck_assert(!wrmsr(0x40000000, 0x5000));                      /* not the guest's frame */
    ck_assert_uint_eq(fake_emu.hypercall_page_calls, 2);
    uint64_t v;
    ck_assert(!rdmsr(0x40000001, &v));
    ck_assert(!wrmsr(0x40000001, 0));
}
END_TEST

START_TEST(refused_msrs)
{
    static const uint32_t never[] = {
        0x48 /* SPEC_CTRL: not offered */, 0x49 /* PRED_CMD */, 0x10b /* FLUSH_CMD */,
        0x10a /* ARCH_CAPS */, 0xda0 /* XSS */, 0x802 /* x2APIC */, 0xc0000081 /* STAR */,
        0xc0000082 /* LSTAR */, 0x174 /* SYSENTER_CS */, 0x12345678, 0xffffffff,
        0x2ff /* MTRR_DEF_TYPE */, 0x3f1 /* PEBS */, 0xc001011f /* VIRT_SPEC_CTRL */,
    };
    for (unsigned i = 0; i < sizeof(never) / sizeof(never[0]); i++) {
        uint64_t v;
        ck_assert_msg(!rdmsr(never[i], &v), "RDMSR %#x", never[i]);
        ck_assert_msg(!wrmsr(never[i], 0), "WRMSR %#x", never[i]);
    }
    ck_assert_uint_eq(fake_emu.nr_events, 0);
    ck_assert_uint_eq(fake_hw.fs_base, 0);
}
END_TEST

START_TEST(faked_rdmsr_without_gp_handler)
{
    /* Early boot: no #GP handler yet, the MSR exists in hardware: read as 0. */
    current->trap_ctxt[13].address = 0;
    fake_msr_set(0x3f1, 0x1234);
    ck_assert_uint_eq(rd(0x3f1), 0);
    uint64_t v;
    ck_assert(!rdmsr(0x3f2, &v));                               /* absent in hardware */
    fake_msr_set(0x40000010, 5);
    ck_assert(!rdmsr(0x40000010, &v));                          /* never for Xen's range */
    ck_assert(!wrmsr(0x3f1, 0));                                /* writes still fault */
}
END_TEST

START_TEST(user_mode_refused)
{
    current->kernel_mode = false;
    uint64_t v;
    ck_assert(!rdmsr(0x1b, &v));
    ck_assert(!wrmsr(0xc0000100, 0x1000));
    ck_assert_uint_eq(current->fs_base, 0);
}
END_TEST

START_TEST(amd_msrs)
{
    setup_amd();
    ck_assert_uint_eq(rd(0x179), 2);                             /* AMD MCG_CAP */
    ck_assert_uint_eq(rd(0xc0010015), 0);                        /* HWCR */
    ck_assert(wrmsr(0xc0010015, 0x1234));
    ck_assert_uint_eq(rd(0xc0011029), 2);                        /* DE_CFG: LFENCE serialising */
    ck_assert(wrmsr(0xc0011029, 0));
    ck_assert_uint_eq(rd(0xc0010062), 0);                        /* P-state control */
    ck_assert(wrmsr(0xc0010064, 5));
    ck_assert_uint_eq(rd(0xc001001f), 0);                        /* NB_CFG */
    ck_assert(wrmsr(0xc001001f, 1));
    uint64_t v;
    ck_assert(!rdmsr(0xc0010058, &v));                          /* MMIO_CONF_BASE: family 0x17 */
    ck_assert_uint_eq(rd(0xc0010004), 0);                        /* K7 counter, vPMU off */
    ck_assert_uint_eq(rd(0xc0010203), 0);
    ck_assert(!rdmsr(0xc1, &v));                                /* Intel counter on AMD */
    ck_assert(!rdmsr(0x3a, &v));                                /* FEATURE_CONTROL */
    ck_assert(!rdmsr(0x17, &v));                                /* PLATFORM_ID */
    ck_assert(!rdmsr(0x198, &v));
    ck_assert(!rdmsr(0x1a0, &v));                               /* no MISC_ENABLE on AMD */
    ck_assert(!wrmsr(0x8b, 0));
    ck_assert(!rdmsr(0xc0011027, &v));                          /* DBEXT masks: not offered */
    ck_assert(!wrmsr(0xc0010020, 0));                           /* PATCH_LOADER */
}
END_TEST

START_TEST(amd_family10h)
{
    setup_amd();
    fake_cpuid_set(1, FAKE_SUBLEAF_ANY, 0x00100f22, 0, 0, 0);  /* family 0x10 */
    struct cpuid_policy_params p = { 0 };
    cpuid_policy_init(&p);
    ck_assert_uint_eq(cpuid_policy_family(), 0x10);
    ck_assert_uint_eq(rd(0xc0010058), 0);
    ck_assert(wrmsr(0xc0010058, 0xe0000021));
}
END_TEST

static Suite *emulate_msr_suite(void)
{
    Suite *s = suite_create("emulate_msr");
    TCase *tc = tcase_create("msr");
    tcase_add_checked_fixture(tc, setup, NULL);
    tcase_add_test(tc, segment_bases);
    tcase_add_test(tc, efer_pat_apic);
    tcase_add_test(tc, intel_misc_msrs);
    tcase_add_test(tc, machine_check);
    tcase_add_test(tc, cpuid_faulting_msrs);
    tcase_add_test(tc, tsc_aux);
    tcase_add_test(tc, hypercall_page_msr);
    tcase_add_test(tc, restore_msrs);
    tcase_add_test(tc, refused_msrs);
    tcase_add_test(tc, faked_rdmsr_without_gp_handler);
    tcase_add_test(tc, user_mode_refused);
    tcase_add_test(tc, amd_msrs);
    tcase_add_test(tc, amd_family10h);
    suite_add_tcase(s, tc);
    return s;
}
UNIT_SUITE(emulate_msr_suite)
