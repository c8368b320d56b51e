/*
 * The #GP and #UD emulation paths: control and debug registers, CLTS,
 * WBINVD, CLI/STI, RDTSC(P), XSETBV, CPUID, what is refused, RIP/RF/TF
 * handling, bad code segments and unreadable instruction bytes.
 */
#include <string.h>
#include <pvshim/xen_abi.h>
#include <xen/arch-x86/cpufeatureset.h>
#include "domain.h"
#include "cpuid_policy.h"
#include "emulate.h"
#include "hypercalls.h"
#include "unit.h"
#include "fakes.h"
#include "fake_emulate.h"

static struct cpu_regs r;

static void setup(void)
{
    fake_emulate_guest_setup(&r);
}

/* Emulated and RIP moved past n bytes, nothing injected. */
#define ASSERT_DONE(ok, n) do {                                         \
        ck_assert(ok);                                                  \
        ck_assert_uint_eq(r.rip, FAKE_KCODE + (n));                     \
        ck_assert_uint_eq(fake_emu.nr_events, 0);                       \
    } while (0)

/* Not emulated: the caller will bounce #GP; nothing moved, nothing injected. */
#define ASSERT_REFUSED(ok) do {                                         \
        ck_assert(!(ok));                                               \
        ck_assert_uint_eq(r.rip, FAKE_KCODE);                           \
        ck_assert_uint_eq(fake_emu.nr_events, 0);                       \
    } while (0)

#define ASSERT_INJECTED(ok, vec) do {                                   \
        ck_assert(ok);                                                  \
        ck_assert_uint_eq(fake_emu.nr_events, 1);                       \
        ck_assert_uint_eq(fake_emu.events[0].vector, (vec));            \
    } while (0)

/* ------------------------------------------------------------ CR0, CLTS */

START_TEST(cr0_read)
{
    current->fpu_ts = true;
    fake_emu.cr0 = FAKE_CR0;                    /* hardware TS clear */
    ASSERT_DONE(RUN(&r, 0x0f, 0x20, 0xc0), 3);  /* mov rax, cr0 */
    ck_assert_uint_eq(r.rax, FAKE_CR0 | 8);
    current->fpu_ts = false;
    fake_emu.cr0 = FAKE_CR0 | 8;                /* hardware TS set, guest's clear */
    ASSERT_DONE(RUN(&r, 0x41, 0x0f, 0x20, 0xc7), 4);    /* mov r15, cr0 */
    ck_assert_uint_eq(r.r15, FAKE_CR0);
}
END_TEST

START_TEST(cr0_write_ts_only)
{
    r.rax = FAKE_CR0 | 8;
    ASSERT_DONE(RUN(&r, 0x0f, 0x22, 0xc0), 3);  /* mov cr0, rax */
    ck_assert(current->fpu_ts);
    ck_assert(fake_hw.ts);
    r.rax = FAKE_CR0;
    ASSERT_DONE(RUN(&r, 0x0f, 0x22, 0xc0), 3);
    ck_assert(!current->fpu_ts);
    ck_assert(!fake_hw.ts);
}
END_TEST

START_TEST(cr0_write_other_bits_refused)
{
    r.rax = FAKE_CR0 & ~(1ull << 16);           /* clear WP */
    ASSERT_REFUSED(RUN(&r, 0x0f, 0x22, 0xc0));
    r.rax = FAKE_CR0 | (1ull << 30) | 8;        /* set CD and TS */
    ASSERT_REFUSED(RUN(&r, 0x0f, 0x22, 0xc0));
    ck_assert(!current->fpu_ts);
}
END_TEST

START_TEST(clts)
{
    current->fpu_ts = true;
    fake_hw.ts = true;
    ASSERT_DONE(RUN(&r, 0x0f, 0x06), 2);
    ck_assert(!current->fpu_ts);
    ck_assert(!fake_hw.ts);
    current->kernel_mode = false;
    current->fpu_ts = true;
    ASSERT_REFUSED(RUN(&r, 0x0f, 0x06));
    ck_assert(current->fpu_ts);
}
END_TEST

/* ------------------------------------------------------------ CR2, CR3, CR4, CR8 */

START_TEST(cr2)
{
    static struct vcpu_info vi;
    memset(&vi, 0, sizeof(vi));
    current->vcpu_info = &vi;
    vi.arch.cr2 = 0xdeadbeef000ull;
    ASSERT_DONE(RUN(&r, 0x0f, 0x20, 0xd3), 3);  /* mov rbx, cr2 */
    ck_assert_uint_eq(r.rbx, 0xdeadbeef000ull);
    r.rsi = 0x1234;
    ASSERT_DONE(RUN(&r, 0x0f, 0x22, 0xd6), 3);  /* mov cr2, rsi */
    ck_assert_uint_eq(vi.arch.cr2, 0x1234);
    current->vcpu_info = NULL;                  /* before registration: no crash */
    ASSERT_DONE(RUN(&r, 0x0f, 0x20, 0xd3), 3);
    ck_assert_uint_eq(r.rbx, 0);
}
END_TEST

START_TEST(cr3_read)
{
    current->guest_table = 0x12345;
    current->guest_table_user = 0x54321;
    ASSERT_DONE(RUN(&r, 0x41, 0x0f, 0x20, 0xd8), 4);    /* mov r8, cr3 */
    ck_assert_uint_eq(r.r8, 0x12345000ull);
    current->guest_table = INVALID_MFN;
    ASSERT_DONE(RUN(&r, 0x41, 0x0f, 0x20, 0xd8), 4);
    ck_assert_uint_eq(r.r8, 0);
}
END_TEST

START_TEST(cr3_write)
{
    r.rdx = 0x77777000ull;
    ASSERT_DONE(RUN(&r, 0x0f, 0x22, 0xda), 3);  /* mov cr3, rdx */
    ck_assert_uint_eq(fake_emu.baseptr_calls, 1);
    ck_assert_uint_eq(fake_emu.baseptr_mfn, 0x77777);

    /* Preempted: run it again later, nothing bounced. */
    fake_emu.baseptr_rc = -PV_ERESTART;
    ck_assert(RUN(&r, 0x0f, 0x22, 0xda));
    ck_assert_uint_eq(r.rip, FAKE_KCODE);
    ck_assert_uint_eq(fake_emu.nr_events, 0);

    /* Refused by the MMU: #GP. */
    fake_emu.baseptr_rc = -XEN_EINVAL;
    ASSERT_REFUSED(RUN(&r, 0x0f, 0x22, 0xda));

    /* From guest user mode: never reaches the MMU. */
    fake_emu.baseptr_rc = 0;
    fake_emu.baseptr_calls = 0;
    current->kernel_mode = false;
    ASSERT_REFUSED(RUN(&r, 0x0f, 0x22, 0xda));
    ck_assert_uint_eq(fake_emu.baseptr_calls, 0);
}
END_TEST

START_TEST(cr4)
{
    /* Initial view: what Xen shows of its own CR4. */
    ASSERT_DONE(RUN(&r, 0x0f, 0x20, 0xe0), 3);  /* mov rax, cr4 */
    ck_assert_uint_eq(r.rax, 0x660);            /* PAE MCE OSFXSR OSXMMEXCPT; not PGE */

    /* The guest's choices it may make, and nothing else. */
    r.rax = 0x6e0 | (1 << 2) | (1 << 3) | (1 << 4) | (1 << 7) | (1 << 16) | (1 << 18) |
            (1 << 20) | (1 << 21) | (1 << 22) | (1 << 17);
    ASSERT_DONE(RUN(&r, 0x0f, 0x22, 0xe0), 3);
    uint64_t want = 0x660 | (1 << 2) | (1 << 3) | (1 << 18);   /* TSD DE OSXSAVE */
    ck_assert_uint_eq(pv_emul.cr4, want);
    ck_assert_uint_eq(fake_emu.guest_cr4, want);
    ck_assert_uint_eq(fake_emu.guest_cr4_applies, 1);
    ASSERT_DONE(RUN(&r, 0x0f, 0x20, 0xe1), 3);  /* mov rcx, cr4 */
    ck_assert_uint_eq(r.rcx, want);

    /* Clearing everything keeps the visible hardware bits. */
    r.rax = 0;
    ASSERT_DONE(RUN(&r, 0x0f, 0x22, 0xe0), 3);
    ck_assert_uint_eq(pv_emul.cr4, 0x660);
}
END_TEST

START_TEST(cr4_fsgsbase_with_policy)
{
    fake_emulate_reset();
    fake_cpuid_load_intel();
    fake_emu.cr4 = FAKE_CR4;
    struct cpuid_policy_params p = { .xcr0_max = 0, .fsgsbase = true };
    cpuid_policy_init(&p);
    fake_desc_set(0xe030, FAKE_DESC_CODE64);
    fake_guest_map(FAKE_KCODE, fake_code, sizeof(fake_code));
    current->kernel_mode = true;
    pv_emul_vcpu_init();
    r.cs = 0xe033;
    r.rax = (1 << 16) | (1 << 18);
    ck_assert(RUN(&r, 0x0f, 0x22, 0xe0));
    ck_assert_uint_eq(pv_emul.cr4, 0x660 | (1 << 16));     /* no XSAVE: no OSXSAVE */
    ck_assert_uint_eq(fake_emu.xcr0_loads, 0);
}
END_TEST

START_TEST(cr8_and_others_refused)
{
    ASSERT_REFUSED(RUN(&r, 0x44, 0x0f, 0x20, 0xc0));    /* mov rax, cr8 */
    ASSERT_REFUSED(RUN(&r, 0x44, 0x0f, 0x22, 0xc0));    /* mov cr8, rax */
    ASSERT_REFUSED(RUN(&r, 0x0f, 0x20, 0xc8));          /* mov rax, cr1 */
    ASSERT_REFUSED(RUN(&r, 0x0f, 0x22, 0xe8));          /* mov cr5, rax */
    /* LOCK MOV CR0 (AMD's CR8 alias) is #UD: CR8_LEGACY is not offered. */
    ASSERT_INJECTED(RUN(&r, 0xf0, 0x0f, 0x20, 0xc0), 6);
    ck_assert_uint_eq(r.rip, FAKE_KCODE);
}
END_TEST

/* ------------------------------------------------------------ debug registers */

START_TEST(dr_moves)
{
    r.rax = 0x7fff00001000ull;
    ASSERT_DONE(RUN(&r, 0x0f, 0x23, 0xc0), 3);          /* mov dr0, rax */
    ck_assert_uint_eq(current->debugreg[0], 0x7fff00001000ull);
    ck_assert_uint_eq(fake_emu.dr[0], 0x7fff00001000ull);

    r.rbx = 0x00010401;                                 /* L0, write, 1 byte */
    ASSERT_DONE(RUN(&r, 0x0f, 0x23, 0xfb), 3);          /* mov dr7, rbx */
    ck_assert_uint_eq(current->debugreg[7], 0x10401);
    ck_assert_uint_eq(fake_emu.dr[7], 0x10401);

    ASSERT_DONE(RUN(&r, 0x0f, 0x21, 0xf9), 3);          /* mov rcx, dr7 */
    ck_assert_uint_eq(r.rcx, 0x10401);
    ASSERT_DONE(RUN(&r, 0x0f, 0x21, 0xf2), 3);          /* mov rdx, dr6 */
    ck_assert_uint_eq(r.rdx, 0xffff0ff0);

    /* DR4/DR5 alias DR6/DR7 without CR4.DE... */
    ASSERT_DONE(RUN(&r, 0x0f, 0x21, 0xea), 3);          /* mov rdx, dr5 */
    ck_assert_uint_eq(r.rdx, 0x10401);
    /* ...and are #UD with it. */
    pv_emul.cr4 |= 1 << 3;
    ASSERT_INJECTED(RUN(&r, 0x0f, 0x21, 0xe2), 6);      /* mov rdx, dr4 */
    fake_emu.nr_events = 0;
    ASSERT_INJECTED(RUN(&r, 0x0f, 0x23, 0xe2), 6);      /* mov dr4, rdx */
    fake_emu.nr_events = 0;
    /* DR8+ do not exist. */
    ASSERT_INJECTED(RUN(&r, 0x44, 0x0f, 0x21, 0xc0), 6);
}
END_TEST

START_TEST(dr_validation)
{
    /* Breakpoints in pvshim's range or non-canonical: #GP. */
    r.rax = 0xffff800000001000ull;
    ASSERT_REFUSED(RUN(&r, 0x0f, 0x23, 0xc0));
    r.rax = 0x0000800000000000ull;
    ASSERT_REFUSED(RUN(&r, 0x0f, 0x23, 0xc0));
    r.rax = 0xffff880000000000ull;                      /* guest kernel space: fine */
    ck_assert(RUN(&r, 0x0f, 0x23, 0xc0));
    /* DR7: upper half reserved, GD forbidden, reserved bits normalised. */
    r.rax = 1ull << 32;
    ASSERT_REFUSED(RUN(&r, 0x0f, 0x23, 0xf8));
    r.rax = 0x2000;
    ASSERT_REFUSED(RUN(&r, 0x0f, 0x23, 0xf8));
    r.rax = 0xd801;                                     /* bits 11, 12, 14, 15 set */
    ck_assert(RUN(&r, 0x0f, 0x23, 0xf8));
    ck_assert_uint_eq(current->debugreg[7], 0x401);
    /* DR6 normalised too. */
    r.rax = 0x1001;
    ck_assert(RUN(&r, 0x0f, 0x23, 0xf0));
    ck_assert_uint_eq(current->debugreg[6], 0xffff0ff1);
    /* I/O breakpoints need CR4.DE. */
    r.rax = 0x20001;                                    /* L0, R/W = I/O */
    ASSERT_REFUSED(RUN(&r, 0x0f, 0x23, 0xf8));
    pv_emul.cr4 |= 1 << 3;
    ck_assert(RUN(&r, 0x0f, 0x23, 0xf8));
    ck_assert_uint_eq(current->debugreg[7], 0x20400);  /* enable kept out of hardware */
    ck_assert_uint_eq(fake_emu.dr[7], 0x20400);
    ck_assert_uint_eq(current->debugreg[5], 1);
    uint64_t v;
    ck_assert(pv_get_debugreg(7, &v));
    ck_assert_uint_eq(v, 0x20401);
    /* From user mode, not at all. */
    current->kernel_mode = false;
    ASSERT_REFUSED(RUN(&r, 0x0f, 0x21, 0xf8));
}
END_TEST

START_TEST(debugreg_hypercalls)
{
    ck_assert_int_eq(do_set_debugreg(1, 0x400000), 0);
    ck_assert_int_eq(do_get_debugreg(1), 0x400000);
    ck_assert_int_eq(do_set_debugreg(7, 0x2000), -XEN_EPERM);
    ck_assert_int_eq(do_set_debugreg(6, 1ull << 40), -XEN_EINVAL);
    ck_assert_int_eq(do_set_debugreg(8, 0), -XEN_ENODEV);
    ck_assert_int_eq(do_set_debugreg(-1, 0), -XEN_ENODEV);
    ck_assert_int_eq(do_get_debugreg(-5), -XEN_ENODEV);
    ck_assert_int_eq(do_get_debugreg(6), 0xffff0ff0);
    ck_assert_int_eq(do_get_debugreg(7), 0x400);
    ck_assert_int_eq(do_set_debugreg(3, 0xffff87ffffffffffull), -XEN_EPERM);
    pv_emul.cr4 |= 1 << 3;
    ck_assert_int_eq(do_get_debugreg(4), -XEN_ENODEV);
    ck_assert_int_eq(do_set_debugreg(5, 0), -XEN_ENODEV);
}
END_TEST

/* ------------------------------------------------------------ misc instructions */

START_TEST(wbinvd_and_refusals)
{
    ASSERT_DONE(RUN(&r, 0x0f, 0x09), 2);                /* WBINVD: ignored for a domU */
    ck_assert_uint_eq(fake_hw.cache_flushes, 0);
    ASSERT_DONE(RUN(&r, 0xf3, 0x0f, 0x09), 3);          /* WBNOINVD */
    /* What Xen does not emulate for PV: the guest gets its #GP. */
    ASSERT_REFUSED(RUN(&r, 0xf4));                      /* HLT */
    ASSERT_REFUSED(RUN(&r, 0x0f, 0x08));                /* INVD */
    ASSERT_REFUSED(RUN(&r, 0x0f, 0x01, 0xf0));          /* LMSW ax */
    ASSERT_REFUSED(RUN(&r, 0x0f, 0x01, 0xe0));          /* SMSW eax */
    ASSERT_REFUSED(RUN(&r, 0x0f, 0x33));                /* RDPMC */
    ASSERT_REFUSED(RUN(&r, 0x0f, 0x01, 0x10));          /* LGDT [rax] */
    ASSERT_REFUSED(RUN(&r, 0x0f, 0x00, 0xd8));          /* LTR ax */
    ASSERT_REFUSED(RUN(&r, 0x0f, 0x01, 0xc1));          /* VMCALL */
    ASSERT_REFUSED(RUN(&r, 0xcd, 0x80));                /* INT 0x80 */
    ASSERT_REFUSED(RUN(&r, 0x48, 0x8b, 0x00));          /* an ordinary load */
    ASSERT_REFUSED(RUN(&r, 0x0f, 0x01, 0xd0));          /* XGETBV is not privileged */
    ASSERT_REFUSED(RUN(&r, 0xc4, 0xe2, 0x79, 0x18, 0x00));  /* VEX */
    ASSERT_REFUSED(RUN(&r, 0x0f, 0xff));                /* undecodable: truncated */
    r.error_code = 0xe032;                              /* a selector: not ours */
    ASSERT_REFUSED(RUN(&r, 0x0f, 0x09));
    r.error_code = 0;
    current->kernel_mode = false;
    ASSERT_REFUSED(RUN(&r, 0x0f, 0x09));                /* WBINVD from user */
}
END_TEST

START_TEST(cli_sti)
{
    current->iopl = 0;
    ASSERT_REFUSED(RUN(&r, 0xfa));
    current->iopl = 1;                                  /* kernel is ring 1 to IOPL */
    ASSERT_DONE(RUN(&r, 0xfa), 1);
    ASSERT_DONE(RUN(&r, 0xfb), 1);
    ck_assert_uint_eq(r.rflags, 0x202);                 /* nothing masked for real */
    current->kernel_mode = false;
    ASSERT_REFUSED(RUN(&r, 0xfa));
    current->iopl = 3;
    ASSERT_DONE(RUN(&r, 0xfa), 1);
    ASSERT_INJECTED(RUN(&r, 0xf0, 0xfa), 6);            /* LOCK CLI */
}
END_TEST

START_TEST(rdtsc_rdtscp)
{
    /* Only faults with CR4.TSD; the kernel still reads the TSC. */
    pv_emul.cr4 |= 1 << 2;
    r.rax = r.rdx = ~0ull;
    ASSERT_DONE(RUN(&r, 0x0f, 0x31), 2);
    ck_assert_uint_eq(r.rax, 0x56789abc);
    ck_assert_uint_eq(r.rdx, 0x1234);
    pv_emul.tsc_aux = 7;
    ASSERT_DONE(RUN(&r, 0x0f, 0x01, 0xf9), 3);
    ck_assert_uint_eq(r.rcx, 7);
    ck_assert_uint_eq(r.rax, 0x56789abc);
    /* Guest user with its kernel's TSD set: #GP to the guest. */
    current->kernel_mode = false;
    ASSERT_REFUSED(RUN(&r, 0x0f, 0x31));
    ASSERT_REFUSED(RUN(&r, 0x0f, 0x01, 0xf9));
    pv_emul.cr4 &= ~(1ull << 2);
    ASSERT_DONE(RUN(&r, 0x0f, 0x31), 2);
}
END_TEST

START_TEST(xsetbv)
{
    r.rcx = 0;
    r.rax = 7;
    r.rdx = 0;
    /* CR4.OSXSAVE clear in the guest's view: #UD. */
    ASSERT_INJECTED(RUN(&r, 0x0f, 0x01, 0xd1), 6);
    ck_assert_uint_eq(r.rip, FAKE_KCODE);
    fake_emu.nr_events = 0;

    pv_emul.cr4 |= 1 << 18;
    unsigned loads = fake_emu.xcr0_loads;
    ASSERT_DONE(RUN(&r, 0x0f, 0x01, 0xd1), 3);
    ck_assert_uint_eq(pv_emul.xcr0, 7);
    ck_assert_uint_eq(fake_emu.xcr0, 7);
    ck_assert_uint_eq(fake_emu.xcr0_loads, loads + 1);

    r.rax = 6;                                          /* no x87 */
    ASSERT_REFUSED(RUN(&r, 0x0f, 0x01, 0xd1));
    r.rax = 5;                                          /* YMM without SSE */
    ASSERT_REFUSED(RUN(&r, 0x0f, 0x01, 0xd1));
    r.rax = 0xe7;                                       /* AVX-512: not in this policy */
    ASSERT_REFUSED(RUN(&r, 0x0f, 0x01, 0xd1));
    r.rax = 0x1f;                                       /* MPX: never for PV */
    ASSERT_REFUSED(RUN(&r, 0x0f, 0x01, 0xd1));
    r.rax = 3;
    r.rdx = 1;                                          /* bit 32 */
    ASSERT_REFUSED(RUN(&r, 0x0f, 0x01, 0xd1));
    r.rdx = 0;
    r.rcx = 1;                                          /* XCR1 */
    ASSERT_REFUSED(RUN(&r, 0x0f, 0x01, 0xd1));
    r.rcx = 0;
    fake_emu.refuse_xcr0 = true;
    ASSERT_REFUSED(RUN(&r, 0x0f, 0x01, 0xd1));
    ck_assert_uint_eq(pv_emul.xcr0, 7);
    fake_emu.refuse_xcr0 = false;
    current->kernel_mode = false;
    ASSERT_REFUSED(RUN(&r, 0x0f, 0x01, 0xd1));
    ck_assert_uint_eq(pv_emul.xcr0, 7);
    ASSERT_INJECTED(RUN(&r, 0x66, 0x0f, 0x01, 0xd1), 6);
}
END_TEST

START_TEST(cpuid_by_faulting)
{
    r.rax = 0x40000000;
    r.rcx = 0;
    ASSERT_DONE(RUN(&r, 0x0f, 0xa2), 2);
    ck_assert_uint_eq(r.rbx, 0x566e6558);               /* "XenV" */
    r.rax = 1;
    ASSERT_DONE(RUN(&r, 0x0f, 0xa2), 2);
    ck_assert_uint_eq(r.rcx & (1u << 27), 0);           /* no OSXSAVE leak on this path */
    ck_assert_uint_eq(r.rcx & (1u << 5), 0);            /* no VMX */
    /* From guest user, unless the guest kernel turned faulting on for it. */
    current->kernel_mode = false;
    r.rax = 0;
    ASSERT_DONE(RUN(&r, 0x0f, 0xa2), 2);
    pv_emul.misc_features = 1;
    ASSERT_REFUSED(RUN(&r, 0x0f, 0xa2));
}
END_TEST

/* ------------------------------------------------------------ RIP, RF, TF */

START_TEST(single_step_and_rf)
{
    r.rflags = 0x202 | (1 << 8) | (1 << 16);            /* TF, RF */
    r.rcx = 0x1b;
    ck_assert(RUN(&r, 0x0f, 0x32));                     /* RDMSR APIC_BASE */
    ck_assert_uint_eq(r.rip, FAKE_KCODE + 2);
    ck_assert_uint_eq(r.rflags, 0x202 | (1 << 8));      /* RF cleared, TF kept */
    ck_assert_uint_eq(fake_emu.nr_events, 1);
    ck_assert_uint_eq(fake_emu.events[0].vector, 1);
    ck_assert_int_eq(fake_emu.events[0].error_code, -1);
    ck_assert_uint_eq(current->debugreg[6] & 0x4000, 0x4000);
    /* A refused instruction raises no #DB. */
    fake_emu.nr_events = 0;
    ASSERT_REFUSED(RUN(&r, 0xf4));
}
END_TEST

/* ------------------------------------------------------------ code segments and bytes */

START_TEST(compat_code_segment)
{
    /* 32-bit user code with enough IOPL: IN works, RIP stays 32-bit. */
    r.cs = 0xe023;
    current->kernel_mode = false;
    current->iopl = 3;
    fake_guest_map(0x08048000, fake_code, sizeof(fake_code));
    fake_code[0] = 0xec;                                /* in al, dx */
    r.rip = 0xffffffff08048000ull;                      /* upper half ignored */
    r.rdx = 0x80;
    ck_assert(pv_emulate_privileged_op(&r));
    ck_assert_uint_eq(r.rip, 0x08048001);
    ck_assert_uint_eq(r.rax & 0xff, 0xff);
    /* 32-bit mode decodes 0x48 as DEC, not REX. */
    fake_code[0] = 0x48;
    r.rip = 0x08048000;
    ck_assert(!pv_emulate_privileged_op(&r));
}
END_TEST

START_TEST(bad_code_segments)
{
    static const uint8_t rdmsr[] = { 0x0f, 0x32 };
    memcpy(fake_code, rdmsr, sizeof(rdmsr));
    r.rcx = 0x1b;
    uint16_t sels[] = { 0, 3, 0xe02b /* data */, 0x1234 /* absent */, 0x0007 /* LDT, none */ };
    for (unsigned i = 0; i < sizeof(sels) / sizeof(sels[0]); i++) {
        r.cs = sels[i];
        ck_assert_msg(!pv_emulate_privileged_op(&r), "cs %#x", sels[i]);
    }
    /* The same bytes at a low address: 32-bit code runs them, 16-bit code not. */
    static uint8_t low16[16];
    memcpy(low16, rdmsr, sizeof(rdmsr));
    fake_guest_map(0x2000, low16, sizeof(low16));
    r.rip = 0x2000;
    r.cs = 0xe023;
    ck_assert(pv_emulate_privileged_op(&r));
    ck_assert_uint_eq(r.rip, 0x2002);
    fake_desc_set(0x0010, FAKE_DESC_CODE16);
    r.rip = 0x2000;
    r.cs = 0x0013;
    ck_assert(!pv_emulate_privileged_op(&r));
    ck_assert_uint_eq(r.rip, 0x2000);
    /* A 32-bit segment (base 0, limit 0xfff) ending inside the instruction. */
    static uint8_t low[0x200];
    fake_desc_set(0x0018, 0x0040fb0000000fffull);
    fake_guest_map(0xf00, low, sizeof(low));
    r.cs = 0x001b;
    low[0xfff - 0xf00] = 0x0f;                          /* rdmsr at 0xfff..0x1000 */
    low[0x1000 - 0xf00] = 0x32;
    r.rip = 0xfff;
    ck_assert(!pv_emulate_privileged_op(&r));
    r.rip = 0x1000;                                     /* beyond the limit */
    ck_assert(!pv_emulate_privileged_op(&r));
    low[0xffe - 0xf00] = 0x0f;                          /* rdmsr at 0xffe..0xfff fits */
    low[0xfff - 0xf00] = 0x32;
    r.rip = 0xffe;
    ck_assert(pv_emulate_privileged_op(&r));
    ck_assert_uint_eq(r.rip, 0x1000);
    ck_assert_uint_eq(r.rax, 0xfee00900);
    ck_assert_uint_eq(fake_emu.nr_events, 0);
}
END_TEST

START_TEST(unreadable_or_truncated_bytes)
{
    /* RIP unmapped. */
    r.rip = 0x500000;
    ck_assert(!pv_emulate_privileged_op(&r));
    ck_assert_uint_eq(r.rip, 0x500000);
    /* RIP in pvshim's range, or non-canonical. */
    r.rip = 0xffff800000100000ull;
    ck_assert(!pv_emulate_privileged_op(&r));
    r.rip = 0x0000800000000000ull;
    ck_assert(!pv_emulate_privileged_op(&r));
    /* RDMSR whose second byte is past the end of mapped memory. */
    fake_code[sizeof(fake_code) - 1] = 0x0f;
    r.rip = FAKE_KCODE + sizeof(fake_code) - 1;
    r.rcx = 0x1b;
    ck_assert(!pv_emulate_privileged_op(&r));
    ck_assert_uint_eq(r.rip, FAKE_KCODE + sizeof(fake_code) - 1);
    ck_assert_uint_eq(r.rax, 0);
    /* Fifteen prefixes and no opcode. */
    memset(fake_code, 0x66, 16);
    r.rip = FAKE_KCODE;
    ck_assert(!pv_emulate_privileged_op(&r));
    ck_assert_uint_eq(fake_emu.nr_events, 0);
}
END_TEST

/* ------------------------------------------------------------ forced emulation (#UD) */

static bool run_ud(const uint8_t *bytes, size_t n)
{
    memcpy(fake_code, bytes, n);
    r.rip = FAKE_KCODE;
    r.vector = 6;
    return pv_emulate_invalid_op(&r);
}

static const uint8_t forced_bytes[] = { 0x0f, 0x0b, 'x', 'e', 'n', 0x0f, 0xa2 };

START_TEST(forced_cpuid)
{
    r.rax = 0x40000000;
    r.rbx = r.rcx = r.rdx = ~0ull;
    ck_assert(run_ud(forced_bytes, sizeof(forced_bytes)));
    ck_assert_uint_eq(r.rip, FAKE_KCODE + 7);
    ck_assert_uint_eq(r.rax, 0x40000005);
    ck_assert_uint_eq(r.rbx, 0x566e6558);
    ck_assert_uint_eq(r.rcx, 0x65584d4d);
    ck_assert_uint_eq(r.rdx, 0x4d4d566e);
    ck_assert_uint_eq(fake_emu.nr_events, 0);

    /* Leaf 1 from the kernel: the OSXSAVE leak Linux relies on. */
    r.rax = 1;
    r.rcx = 0;
    ck_assert(run_ud(forced_bytes, sizeof(forced_bytes)));
    ck_assert_uint_ne(r.rcx & (1u << 27), 0);
    ck_assert_uint_ne(r.rcx & (1u << 31), 0);           /* hypervisor */
    /* From user mode: architectural OSXSAVE (guest CR4 clear). */
    current->kernel_mode = false;
    r.rax = 1;
    ck_assert(run_ud(forced_bytes, sizeof(forced_bytes)));
    ck_assert_uint_eq(r.rcx & (1u << 27), 0);
}
END_TEST

START_TEST(forced_cpuid_refusals)
{
    static const uint8_t ud2_only[] = { 0x0f, 0x0b, 0x90, 0x90, 0x90, 0x90, 0x90 };
    static const uint8_t wrong_sig[] = { 0x0f, 0x0b, 'x', 'e', 'N', 0x0f, 0xa2 };
    static const uint8_t not_cpuid[] = { 0x0f, 0x0b, 'x', 'e', 'n', 0x0f, 0x32 };
    ck_assert(!run_ud(ud2_only, sizeof(ud2_only)));
    ck_assert(!run_ud(wrong_sig, sizeof(wrong_sig)));
    ck_assert(!run_ud(not_cpuid, sizeof(not_cpuid)));
    ck_assert_uint_eq(r.rip, FAKE_KCODE);

    /* Truncated at the end of mapped memory, and unmapped. */
    memcpy(fake_code + sizeof(fake_code) - 6, forced_bytes, 6);
    r.rip = FAKE_KCODE + sizeof(fake_code) - 6;
    ck_assert(!pv_emulate_invalid_op(&r));
    memcpy(fake_code + sizeof(fake_code) - 3, forced_bytes, 3);
    r.rip = FAKE_KCODE + sizeof(fake_code) - 3;
    ck_assert(!pv_emulate_invalid_op(&r));
    r.rip = 0x700000;
    ck_assert(!pv_emulate_invalid_op(&r));
    ck_assert_uint_eq(fake_emu.nr_events, 0);
}
END_TEST

START_TEST(forced_cpuid_faulting_and_tf)
{
    /* Guest user with its own CPUID faulting: #GP after the prefix. */
    current->kernel_mode = false;
    pv_emul.misc_features = 1;
    r.error_code = 0;
    ck_assert(run_ud(forced_bytes, sizeof(forced_bytes)));
    ck_assert_uint_eq(r.rip, FAKE_KCODE + 5);
    ck_assert_uint_eq(fake_emu.nr_events, 1);
    ck_assert_uint_eq(fake_emu.events[0].vector, 13);
    /* The kernel is not affected; TF gives a #DB after the CPUID. */
    fake_emu.nr_events = 0;
    current->kernel_mode = true;
    r.rflags |= (1 << 8) | (1 << 16);                  /* TF, RF */
    r.rax = 0;
    ck_assert(run_ud(forced_bytes, sizeof(forced_bytes)));
    ck_assert_uint_eq(r.rip, FAKE_KCODE + 7);
    ck_assert_uint_eq(r.rflags & (1 << 16), 0);
    ck_assert_uint_eq(fake_emu.nr_events, 1);
    ck_assert_uint_eq(fake_emu.events[0].vector, 1);
    ck_assert_uint_eq(current->debugreg[6] & 0x4000, 0x4000);
}
END_TEST

/* Before cpuid_policy_init (Check forks each test from a clean process). */
START_TEST(nothing_before_the_policy)
{
    ck_assert(!cpuid_policy_ready());
    memset(&r, 0, sizeof(r));
    fake_emulate_reset();
    fake_desc_set(0xe030, FAKE_DESC_CODE64);
    fake_guest_map(FAKE_KCODE, fake_code, sizeof(fake_code));
    current->kernel_mode = true;
    r.cs = 0xe033;
    ck_assert(!RUN(&r, 0x0f, 0x32));
    ck_assert(!run_ud(forced_bytes, sizeof(forced_bytes)));
    ck_assert_uint_eq(r.rip, FAKE_KCODE);
}
END_TEST

static Suite *emulate_privop_suite(void)
{
    Suite *s = suite_create("emulate_privop");
    TCase *early = tcase_create("no_policy");
    tcase_add_test(early, nothing_before_the_policy);
    suite_add_tcase(s, early);
    TCase *tc = tcase_create("privop");
    tcase_add_checked_fixture(tc, setup, NULL);
    tcase_add_test(tc, cr0_read);
    tcase_add_test(tc, cr0_write_ts_only);
    tcase_add_test(tc, cr0_write_other_bits_refused);
    tcase_add_test(tc, clts);
    tcase_add_test(tc, cr2);
    tcase_add_test(tc, cr3_read);
    tcase_add_test(tc, cr3_write);
    tcase_add_test(tc, cr4);
    tcase_add_test(tc, cr4_fsgsbase_with_policy);
    tcase_add_test(tc, cr8_and_others_refused);
    tcase_add_test(tc, dr_moves);
    tcase_add_test(tc, dr_validation);
    tcase_add_test(tc, debugreg_hypercalls);
    tcase_add_test(tc, wbinvd_and_refusals);
    tcase_add_test(tc, cli_sti);
    tcase_add_test(tc, rdtsc_rdtscp);
    tcase_add_test(tc, xsetbv);
    tcase_add_test(tc, cpuid_by_faulting);
    tcase_add_test(tc, single_step_and_rf);
    tcase_add_test(tc, compat_code_segment);
    tcase_add_test(tc, bad_code_segments);
    tcase_add_test(tc, unreadable_or_truncated_bytes);
    tcase_add_test(tc, forced_cpuid);
    tcase_add_test(tc, forced_cpuid_refusals);
    tcase_add_test(tc, forced_cpuid_faulting_and_tf);
    suite_add_tcase(s, tc);
    return s;
}
UNIT_SUITE(emulate_privop_suite)
