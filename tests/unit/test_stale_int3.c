/*
 * A 64-bit guest's #BP (entry.c stale_int3): bounced to its handler while
 * the int3 is in memory; run again at the int3's address, without a bounce,
 * once memory holds another byte (a stale translation under QEMU's TCG),
 * that byte unchanged.
 */
#include <string.h>
#include "unit.h"
#include "mm_sim.h"
#include "pv.h"
#include <pvshim/guest_entry.h>
#include <pvshim/guest_access.h>
#include <pvshim/phys.h>

#define TEXT_VA     0xffffffff81000000ull
#define STACK_VA    0x100000ull
#define HANDLER     0xffffffff81200000ull
#define SITE        0x123               /* the patched byte's offset in its page */
#define RO          (PTE_P | PTE_US | PTE_A)

static uint8_t *text, stack[PAGE_SIZE];
static struct vcpu_info vi;
static struct cpu_regs regs;

static void setup(void)
{
    mm_sim_setup();
    mfn_t l4 = mm_sim_alloc(), code = mm_sim_alloc();
    mm_sim_map_raw(l4, TEXT_VA, code, RO);
    ck_assert_int_eq(mm_sim_mmuext(MMUEXT_NEW_BASEPTR, l4, 0), 0);
    /* The guest reads its text through the same frame the walk finds. */
    text = phys_access_frame(code);
    memset(text, 0x90, PAGE_SIZE);
    fake_guest_map(TEXT_VA, text, PAGE_SIZE);
    fake_guest_map(STACK_VA, stack, sizeof(stack));
    memset(&vi, 0, sizeof(vi));
    current->vcpu_info = &vi;
    current->kernel_mode = true;
    current->trap_ctxt[TRAP_int3] = (struct trap_info){ .vector = TRAP_int3, .flags = 4 | 3,
                                                        .address = HANDLER };
    memset(&regs, 0, sizeof(regs));
    regs.vector = TRAP_int3;
    regs.rip = TEXT_VA + SITE + 1;      /* after the int3, as the CPU reports it */
    regs.cs = FLAT_KERNEL_CS64;
    regs.ss = FLAT_KERNEL_SS64;
    regs.rsp = STACK_VA + 0x800;
    regs.rflags = 0x202;
}

START_TEST(int3_in_memory_is_bounced)
{
    text[SITE] = 0xcc;
    guest_exception(&regs);
    ck_assert_uint_eq(regs.rip, HANDLER);
    ck_assert_uint_lt(regs.rsp, STACK_VA + 0x800);
    ck_assert_int_eq(vi.evtchn_upcall_mask, 1);
    ck_assert_uint_eq(text[SITE], 0xcc);
}
END_TEST

START_TEST(int3_gone_from_memory_runs_again)
{
    text[SITE] = 0x66;                  /* the new instruction's first byte (nop2) */
    text[SITE + 1] = 0x90;
    guest_exception(&regs);
    ck_assert_uint_eq(regs.rip, TEXT_VA + SITE);
    ck_assert_uint_eq(regs.rsp, STACK_VA + 0x800);      /* no frame */
    ck_assert_int_eq(vi.evtchn_upcall_mask, 0);
    ck_assert_uint_eq(text[SITE], 0x66);
    ck_assert_uint_eq(text[SITE + 1], 0x90);
}
END_TEST

START_TEST(int3_unreadable_is_bounced)
{
    /* An address the guest cannot read: the #BP goes to the guest as before. */
    regs.rip = 0x7000000001ull;
    guest_exception(&regs);
    ck_assert_uint_eq(regs.rip, HANDLER);
}
END_TEST

START_TEST(int_3_instruction_is_bounced)
{
    /* `int $3` (CD 03) is still in memory: its #BP goes to the guest. */
    text[SITE - 1] = 0xcd;
    text[SITE] = 0x03;
    guest_exception(&regs);
    ck_assert_uint_eq(regs.rip, HANDLER);
    ck_assert_uint_eq(text[SITE], 0x03);
}
END_TEST

START_TEST(user_mode_int3_gone_is_bounced)
{
    /* User mode keeps Xen's behaviour: the #BP is bounced whatever memory holds. */
    text[SITE] = 0x66;
    current->kernel_mode = false;
    current->guest_table_user = current->guest_table;
    current->kernel_sp = STACK_VA + 0x800;
    regs.cs = FLAT_USER_CS64;
    regs.ss = FLAT_USER_SS64;
    regs.rsp = 0x7ff000;
    guest_exception(&regs);
    ck_assert_uint_eq(regs.rip, HANDLER);
    ck_assert(current->kernel_mode);
    ck_assert_uint_eq(text[SITE], 0x66);
}
END_TEST

static Suite *stale_int3_suite(void)
{
    Suite *s = suite_create("stale_int3");
    TCase *tc = tcase_create("core");
    tcase_add_checked_fixture(tc, setup, mm_sim_teardown);
    tcase_add_test(tc, int3_in_memory_is_bounced);
    tcase_add_test(tc, int3_gone_from_memory_runs_again);
    tcase_add_test(tc, int3_unreadable_is_bounced);
    tcase_add_test(tc, int_3_instruction_is_bounced);
    tcase_add_test(tc, user_mode_int3_gone_is_bounced);
    suite_add_tcase(s, tc);
    return s;
}

UNIT_SUITE(stale_int3_suite)
