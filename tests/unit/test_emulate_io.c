/*
 * Port I/O emulation: permission (virtual IOPL, I/O bitmap, kernel/user
 * mode), the values a domU without port access sees, the latched RTC index
 * and PCI CONFIG_ADDRESS, string I/O with REP, faults and breakpoints.
 */
#include <string.h>
#include <pvshim/xen_abi.h>
#include "domain.h"
#include "emulate.h"
#include "unit.h"
#include "fakes.h"
#include "fake_emulate.h"

#define IOBMP_VA    0xffffffff82000000ull
#define BUF_VA      0x0000000000600000ull

static struct cpu_regs r;
static uint8_t iobmp[16];
static uint8_t buf[256];

static void setup(void)
{
    fake_emulate_guest_setup(&r);
    memset(iobmp, 0xff, sizeof(iobmp));
    memset(buf, 0x11, sizeof(buf));
    fake_guest_map(BUF_VA, buf, sizeof(buf));
    current->iopl = 1;                                  /* what Linux PV asks for */
}

#define ASSERT_DONE(ok, n) do {                                         \
        ck_assert(ok);                                                  \
        ck_assert_uint_eq(r.rip, FAKE_KCODE + (n));                     \
        ck_assert_uint_eq(fake_emu.nr_events, 0);                       \
    } while (0)

#define ASSERT_REFUSED(ok) do {                                         \
        ck_assert(!(ok));                                               \
        ck_assert_uint_eq(r.rip, FAKE_KCODE);                           \
        ck_assert_uint_eq(fake_emu.nr_events, 0);                       \
    } while (0)

START_TEST(reads_are_all_ones)
{
    r.rax = 0x1122334455667788ull;
    ASSERT_DONE(RUN(&r, 0xe4, 0x60), 2);                /* in al, 0x60 */
    ck_assert_uint_eq(r.rax, 0x11223344556677ffull);
    ASSERT_DONE(RUN(&r, 0x66, 0xe5, 0x60), 3);          /* in ax, 0x60 */
    ck_assert_uint_eq(r.rax, 0x112233445566ffffull);
    ASSERT_DONE(RUN(&r, 0xe5, 0x60), 2);                /* in eax: upper half zeroed */
    ck_assert_uint_eq(r.rax, 0xffffffffull);
    r.rax = 0x1122334455667788ull;
    r.rdx = 0xffff0000000003f8ull;                      /* port from DX only */
    ASSERT_DONE(RUN(&r, 0x48, 0xed), 2);                /* REX.W in eax, dx: still 32-bit */
    ck_assert_uint_eq(r.rax, 0xffffffffull);
    ASSERT_DONE(RUN(&r, 0xec), 1);                      /* in al, dx */
    /* The PIT and the RTC data port give nothing either (no vPIT, no RTC access). */
    r.rax = 0;
    ASSERT_DONE(RUN(&r, 0xe4, 0x61), 2);
    ck_assert_uint_eq(r.rax, 0xff);
    r.rax = 0;
    ASSERT_DONE(RUN(&r, 0xe4, 0x71), 2);
    ck_assert_uint_eq(r.rax, 0xff);
    r.rax = 0;
    r.rdx = 0xcfc;
    ASSERT_DONE(RUN(&r, 0xed), 1);                      /* PCI config data */
    ck_assert_uint_eq(r.rax, 0xffffffff);
}
END_TEST

START_TEST(writes_are_dropped)
{
    r.rax = 0x12345678;
    ASSERT_DONE(RUN(&r, 0xe6, 0x80), 2);                /* out 0x80, al */
    ASSERT_DONE(RUN(&r, 0xe7, 0x43), 2);                /* PIT mode */
    r.rdx = 0x3f8;
    ASSERT_DONE(RUN(&r, 0xee), 1);                      /* serial: nothing reaches it */
    ASSERT_DONE(RUN(&r, 0x66, 0xef), 2);
    ck_assert_uint_eq(r.rax, 0x12345678);
    ck_assert_uint_eq(pv_emul.cmos_index, 0);
    ck_assert_uint_eq(pv_emul.pci_cf8, 0);
}
END_TEST

START_TEST(rtc_index_latch)
{
    r.rax = 0xaa8f;
    ASSERT_DONE(RUN(&r, 0xe6, 0x70), 2);                /* out 0x70, al */
    ck_assert_uint_eq(pv_emul.cmos_index, 0x8f);
    r.rax = 0;
    ASSERT_DONE(RUN(&r, 0xe4, 0x70), 2);
    ck_assert_uint_eq(r.rax, 0x8f);
    r.rax = 0;
    ASSERT_DONE(RUN(&r, 0x66, 0xe5, 0x70), 3);          /* 0x70 and 0x71 together */
    ck_assert_uint_eq(r.rax, 0xff8f);
    r.rax = 0x1234;
    ASSERT_DONE(RUN(&r, 0x66, 0xe7, 0x70), 3);          /* word write: index = low byte */
    ck_assert_uint_eq(pv_emul.cmos_index, 0x34);
}
END_TEST

START_TEST(pci_cf8_latch)
{
    r.rdx = 0xcf8;
    r.rax = 0x80001234;
    ASSERT_DONE(RUN(&r, 0xef), 1);                      /* out dx, eax */
    ck_assert_uint_eq(pv_emul.pci_cf8, 0x80001234);
    r.rax = 0;
    ASSERT_DONE(RUN(&r, 0xed), 1);                      /* in eax, dx */
    ck_assert_uint_eq(r.rax, 0x80001234);
    /* Only dword accesses reach CONFIG_ADDRESS. */
    r.rax = 0;
    ASSERT_DONE(RUN(&r, 0xec), 1);
    ck_assert_uint_eq(r.rax, 0xff);
    r.rax = 0x55;
    ASSERT_DONE(RUN(&r, 0xee), 1);
    ck_assert_uint_eq(pv_emul.pci_cf8, 0x80001234);
    r.rdx = 0xcfa;                                      /* straddling 0xcfb/0xcfc */
    r.rax = 0;
    ASSERT_DONE(RUN(&r, 0xed), 1);
    ck_assert_uint_eq(r.rax, 0xffffffff);
}
END_TEST

START_TEST(iopl_rules)
{
    current->iopl = 0;
    ASSERT_REFUSED(RUN(&r, 0xe4, 0x60));
    ASSERT_REFUSED(RUN(&r, 0xe6, 0x60));
    /* architectural_iopl: the kernel counts as ring 0. */
    dom.vm_assist = 1ul << VMASST_TYPE_architectural_iopl;
    ASSERT_DONE(RUN(&r, 0xe4, 0x60), 2);
    dom.vm_assist = 0;
    current->iopl = 1;
    ASSERT_DONE(RUN(&r, 0xe4, 0x60), 2);
    /* Guest user needs IOPL 3. */
    current->kernel_mode = false;
    ASSERT_REFUSED(RUN(&r, 0xe4, 0x60));
    current->iopl = 2;
    ASSERT_REFUSED(RUN(&r, 0xe4, 0x60));
    current->iopl = 3;
    ASSERT_DONE(RUN(&r, 0xe4, 0x60), 2);
    /* LOCK makes it #UD whatever the permission. */
    ck_assert(RUN(&r, 0xf0, 0xe4, 0x60));
    ck_assert_uint_eq(fake_emu.nr_events, 1);
    ck_assert_uint_eq(fake_emu.events[0].vector, 6);
}
END_TEST

START_TEST(io_bitmap)
{
    current->iopl = 0;
    fake_guest_map(IOBMP_VA, iobmp, sizeof(iobmp));
    current->iobmp = IOBMP_VA;
    current->iobmp_limit = 0x60;                        /* ports 0-0x5f described */
    iobmp[0x40 / 8] = 0xfe;                             /* port 0x40 allowed */
    iobmp[0x48 / 8] = 0x7f;                             /* port 0x4f allowed */
    iobmp[0x50 / 8] = 0x00;                             /* 0x50-0x57 allowed */

    ASSERT_DONE(RUN(&r, 0xe4, 0x40), 2);
    ASSERT_REFUSED(RUN(&r, 0x66, 0xe5, 0x40));          /* 0x41 denied */
    ASSERT_REFUSED(RUN(&r, 0xe4, 0x41));
    ASSERT_DONE(RUN(&r, 0xe4, 0x4f), 2);
    ASSERT_DONE(RUN(&r, 0x66, 0xe5, 0x4f), 3);          /* 0x4f + 0x50: across bytes */
    ASSERT_DONE(RUN(&r, 0xe5, 0x54), 2);                /* 0x54-0x57 */
    ASSERT_REFUSED(RUN(&r, 0xe5, 0x55));                /* reaches 0x58 */
    iobmp[0x58 / 8] = 0x00;
    ASSERT_DONE(RUN(&r, 0xe5, 0x5c), 2);                /* 0x5c-0x5f: ends at the limit */
    ASSERT_REFUSED(RUN(&r, 0x66, 0xe5, 0x5f));          /* 0x60 is past the limit */
    ASSERT_REFUSED(RUN(&r, 0xe4, 0x60));
}
END_TEST

START_TEST(io_bitmap_unreadable)
{
    current->iopl = 0;
    current->iobmp = IOBMP_VA + sizeof(iobmp) - 1;      /* second byte unmapped */
    current->iobmp_limit = 0x10000;
    fake_guest_map(IOBMP_VA, iobmp, sizeof(iobmp));
    iobmp[sizeof(iobmp) - 1] = 0;
    ASSERT_DONE(RUN(&r, 0xe4, 0x00), 2);                /* bits in the readable byte */
    ASSERT_REFUSED(RUN(&r, 0x66, 0xe5, 0x07));          /* 0x08 is in the unreadable one */
    current->iobmp = 0x0000900000000000ull;             /* non-canonical */
    ASSERT_REFUSED(RUN(&r, 0xe4, 0x00));
    current->iobmp = 0xffff800000000000ull;             /* pvshim's range */
    ASSERT_REFUSED(RUN(&r, 0xe4, 0x00));
}
END_TEST

START_TEST(io_bitmap_from_user_mode)
{
    /* The bitmap is a kernel address: read it through the kernel's L4. */
    current->iopl = 0;
    current->kernel_mode = false;
    current->guest_table = 0x4000;
    current->guest_table_user = 0x5000;
    fake_hw.cr3 = 0x5000000;
    fake_guest_map(IOBMP_VA, iobmp, sizeof(iobmp));
    current->iobmp = IOBMP_VA;
    current->iobmp_limit = 0x400;
    iobmp[0] = 0xfe;
    ASSERT_DONE(RUN(&r, 0xe4, 0x00), 2);
    ck_assert_uint_eq(fake_hw.cr3_loads, 4);            /* kernel L4, back; twice */
    ck_assert_uint_eq(fake_hw.cr3, 0x5000000);          /* restored */
    /* No kernel L4 yet: deny. */
    current->guest_table = INVALID_MFN;
    ASSERT_REFUSED(RUN(&r, 0xe4, 0x00));
}
END_TEST

START_TEST(ins_rep)
{
    r.rdi = BUF_VA + 8;
    r.rcx = 3;
    r.rdx = 0x70;
    pv_emul.cmos_index = 0x0a;
    ASSERT_DONE(RUN(&r, 0xf3, 0x6c), 2);                /* rep insb */
    ck_assert_uint_eq(buf[7], 0x11);
    ck_assert_uint_eq(buf[8], 0x0a);
    ck_assert_uint_eq(buf[10], 0x0a);
    ck_assert_uint_eq(buf[11], 0x11);
    ck_assert_uint_eq(r.rdi, BUF_VA + 11);
    ck_assert_uint_eq(r.rcx, 0);

    /* Backwards with DF, dwords. */
    r.rflags |= 1 << 10;
    r.rdi = BUF_VA + 100;
    r.rcx = 2;
    r.rdx = 0x80;
    ASSERT_DONE(RUN(&r, 0xf3, 0x6d), 2);                /* rep insd */
    ck_assert_uint_eq(buf[95], 0x11);                   /* dwords at 100, then 96 */
    ck_assert_uint_eq(buf[96], 0xff);
    ck_assert_uint_eq(buf[103], 0xff);
    ck_assert_uint_eq(buf[104], 0x11);
    ck_assert_uint_eq(r.rdi, BUF_VA + 92);
    ck_assert_uint_eq(buf[92], 0x11);

    /* Without REP: one word, RCX untouched. */
    r.rflags &= ~(1ull << 10);
    r.rdi = BUF_VA + 200;
    r.rcx = 77;
    ASSERT_DONE(RUN(&r, 0x66, 0x6d), 2);
    ck_assert_uint_eq(r.rdi, BUF_VA + 202);
    ck_assert_uint_eq(r.rcx, 77);
}
END_TEST

START_TEST(rep_zero_and_addr32)
{
    r.rcx = 0;
    r.rdi = BUF_VA;
    ASSERT_DONE(RUN(&r, 0xf3, 0x6c), 2);
    ck_assert_uint_eq(buf[0], 0x11);
    /* 32-bit addressing: ECX counts, registers are zero-extended. */
    r.rcx = 0xffffffff00000000ull;
    r.rdi = 0xdead000000000000ull | BUF_VA;
    ASSERT_DONE(RUN(&r, 0x67, 0xf3, 0x6c), 3);
    ck_assert_uint_eq(r.rcx, 0);
    ck_assert_uint_eq(r.rdi, BUF_VA);
    r.rcx = 0xffffffff00000002ull;
    ASSERT_DONE(RUN(&r, 0x67, 0xf3, 0x6c), 3);
    ck_assert_uint_eq(r.rcx, 0);
    ck_assert_uint_eq(r.rdi, BUF_VA + 2);
    ck_assert_uint_eq(buf[1], 0xff);
}
END_TEST

START_TEST(rep_long_runs_in_batches)
{
    static uint8_t big[8192];
    fake_guest_map(0x800000, big, sizeof(big));
    r.rdi = 0x800000;
    r.rcx = 3000;
    r.rdx = 0x80;
    ck_assert(RUN(&r, 0xf3, 0x6c));
    ck_assert_uint_eq(r.rip, FAKE_KCODE);               /* more to do: run again */
    ck_assert_uint_eq(r.rcx, 3000 - 1024);
    ck_assert_uint_eq(r.rdi, 0x800000 + 1024);
    unsigned rounds = 1;
    while (r.rip == FAKE_KCODE && rounds < 10) {
        ck_assert(pv_emulate_privileged_op(&r));
        rounds++;
    }
    ck_assert_uint_eq(rounds, 3);
    ck_assert_uint_eq(r.rip, FAKE_KCODE + 2);
    ck_assert_uint_eq(r.rcx, 0);
    ck_assert_uint_eq(big[2999], 0xff);
    ck_assert_uint_eq(big[3000], 0);
}
END_TEST

START_TEST(ins_faults)
{
    /* Destination partly unmapped: the done part stays, #PF at the first bad byte. */
    r.rdi = BUF_VA + sizeof(buf) - 4;
    r.rcx = 3;
    r.rdx = 0x80;
    ck_assert(RUN(&r, 0xf3, 0x66, 0x6d));               /* rep insw */
    ck_assert_uint_eq(r.rip, FAKE_KCODE);
    ck_assert_uint_eq(r.rcx, 1);
    ck_assert_uint_eq(r.rdi, BUF_VA + sizeof(buf));
    ck_assert_uint_eq(fake_emu.nr_events, 1);
    ck_assert_uint_eq(fake_emu.events[0].vector, 14);
    ck_assert_int_eq(fake_emu.events[0].error_code, 2);
    ck_assert_uint_eq(fake_emu.events[0].cr2, BUF_VA + sizeof(buf));
    ck_assert_uint_eq(buf[sizeof(buf) - 1], 0xff);

    /* A word straddling the end: the fault names the unmapped byte, nothing written. */
    fake_emu.nr_events = 0;
    buf[sizeof(buf) - 1] = 0x11;
    r.rdi = BUF_VA + sizeof(buf) - 1;
    r.rcx = 1;
    ck_assert(RUN(&r, 0xf3, 0x66, 0x6d));
    ck_assert_uint_eq(fake_emu.events[0].cr2, BUF_VA + sizeof(buf));
    ck_assert_uint_eq(buf[sizeof(buf) - 1], 0x11);
    ck_assert_uint_eq(r.rcx, 1);

    /* Non-canonical or pvshim's addresses: #GP, no write. */
    fake_emu.nr_events = 0;
    r.rdi = 0x0000800000000000ull;
    ASSERT_REFUSED(RUN(&r, 0x6c));
    r.rdi = 0xffff800000000000ull;
    ASSERT_REFUSED(RUN(&r, 0x6c));

    /* No permission: #GP before anything is written. */
    current->iopl = 0;
    r.rdi = BUF_VA;
    ASSERT_REFUSED(RUN(&r, 0x6c));
    ck_assert_uint_eq(buf[0], 0x11);
}
END_TEST

START_TEST(outs)
{
    uint32_t addr = 0x8000f800;
    memcpy(buf + 16, &addr, 4);
    r.rsi = BUF_VA + 16;
    r.rdx = 0xcf8;
    ASSERT_DONE(RUN(&r, 0x6f), 1);                      /* outsd */
    ck_assert_uint_eq(pv_emul.pci_cf8, 0x8000f800);
    ck_assert_uint_eq(r.rsi, BUF_VA + 20);

    /* FS override uses the guest's FS base. */
    addr = 0x80000010;
    memcpy(buf + 40, &addr, 4);
    fake_hw.fs_base = BUF_VA;
    r.rsi = 40;
    ASSERT_DONE(RUN(&r, 0x64, 0x6f), 2);
    ck_assert_uint_eq(pv_emul.pci_cf8, 0x80000010);
    /* GS override in kernel mode: the active (kernel's) GS base. */
    fake_hw.gs_base = BUF_VA + 16;
    fake_hw.gs_inactive = 0x12340000;
    r.rsi = 0;
    ASSERT_DONE(RUN(&r, 0x65, 0x6f), 2);
    ck_assert_uint_eq(pv_emul.pci_cf8, 0x8000f800);

    /* Source unmapped: #PF (read), nothing sent. */
    r.rsi = 0x900000;
    ck_assert(RUN(&r, 0x6f));
    ck_assert_uint_eq(fake_emu.nr_events, 1);
    ck_assert_uint_eq(fake_emu.events[0].vector, 14);
    ck_assert_int_eq(fake_emu.events[0].error_code, 0);
    ck_assert_uint_eq(fake_emu.events[0].cr2, 0x900000);
    ck_assert_uint_eq(pv_emul.pci_cf8, 0x8000f800);
}
END_TEST

START_TEST(string_io_in_compat_mode_refused)
{
    r.cs = 0xe023;
    current->kernel_mode = false;
    current->iopl = 3;
    fake_guest_map(0x08048000, fake_code, sizeof(fake_code));
    fake_code[0] = 0x6c;
    r.rip = 0x08048000;
    r.rdi = BUF_VA;
    ck_assert(!pv_emulate_privileged_op(&r));
    ck_assert_uint_eq(buf[0], 0x11);
}
END_TEST

START_TEST(single_step_rep)
{
    r.rflags |= 1 << 8;
    r.rdi = BUF_VA;
    r.rcx = 5;
    r.rdx = 0x80;
    ck_assert(RUN(&r, 0xf3, 0x6c));
    ck_assert_uint_eq(r.rcx, 4);                        /* one iteration per step */
    ck_assert_uint_eq(r.rip, FAKE_KCODE);
    ck_assert_uint_eq(fake_emu.nr_events, 1);
    ck_assert_uint_eq(fake_emu.events[0].vector, 1);
    ck_assert_uint_eq(current->debugreg[6] & 0x4000, 0x4000);
}
END_TEST

START_TEST(io_breakpoints)
{
    pv_emul.cr4 |= 1 << 3;                              /* CR4.DE */
    ck_assert_int_eq(pv_set_debugreg(0, 0x70), 0);
    ck_assert_int_eq(pv_set_debugreg(1, 0x3f8), 0);
    /* DR0: I/O, 1 byte, L0. DR1: I/O, 4 bytes, G1. */
    ck_assert_int_eq(pv_set_debugreg(7, 0x00e20000 | 0x1 | 0x8), 0);
    ck_assert(RUN(&r, 0xe4, 0x70));
    ck_assert_uint_eq(r.rip, FAKE_KCODE + 2);
    ck_assert_uint_eq(fake_emu.nr_events, 1);
    ck_assert_uint_eq(fake_emu.events[0].vector, 1);
    ck_assert_uint_eq(current->debugreg[6] & 0xf, 1);
    /* A dword at 0x3fb touches 0x3fb-0x3fe: matches DR1 (0x3f8-0x3fb). */
    fake_emu.nr_events = 0;
    current->debugreg[6] = 0xffff0ff0;
    r.rdx = 0x3fb;
    ck_assert(RUN(&r, 0xed));
    ck_assert_uint_eq(current->debugreg[6] & 0xf, 2);
    /* Elsewhere: nothing. */
    fake_emu.nr_events = 0;
    current->debugreg[6] = 0xffff0ff0;
    ck_assert(RUN(&r, 0xe4, 0x60));
    ck_assert_uint_eq(fake_emu.nr_events, 0);
    /* Without CR4.DE, I/O breakpoints are off. */
    pv_emul.cr4 &= ~(1ull << 3);
    ck_assert(RUN(&r, 0xe4, 0x70));
    ck_assert_uint_eq(fake_emu.nr_events, 0);
}
END_TEST

static Suite *emulate_io_suite(void)
{
    Suite *s = suite_create("emulate_io");
    TCase *tc = tcase_create("io");
    tcase_add_checked_fixture(tc, setup, NULL);
    tcase_add_test(tc, reads_are_all_ones);
    tcase_add_test(tc, writes_are_dropped);
    tcase_add_test(tc, rtc_index_latch);
    tcase_add_test(tc, pci_cf8_latch);
    tcase_add_test(tc, iopl_rules);
    tcase_add_test(tc, io_bitmap);
    tcase_add_test(tc, io_bitmap_unreadable);
    tcase_add_test(tc, io_bitmap_from_user_mode);
    tcase_add_test(tc, ins_rep);
    tcase_add_test(tc, rep_zero_and_addr32);
    tcase_add_test(tc, rep_long_runs_in_batches);
    tcase_add_test(tc, ins_faults);
    tcase_add_test(tc, outs);
    tcase_add_test(tc, string_io_in_compat_mode_refused);
    tcase_add_test(tc, single_step_rep);
    tcase_add_test(tc, io_breakpoints);
    suite_add_tcase(s, tc);
    return s;
}
UNIT_SUITE(emulate_io_suite)
