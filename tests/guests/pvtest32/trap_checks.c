/* Traps bounced to the guest kernel in 32-bit frames. */
#include "pvtest32.h"

static uint32_t int3_at(void)
{
    uint32_t after;
    __asm__ volatile("int3\n1:\n\tmovl $1b, %0" : "=r"(after) : : "memory");
    return after;
}

/* CS | saved upcall mask << 16, EFLAGS.IF = !mask, EIP after the int3. */
static void check_int3(void)
{
    unsigned before = last_trap.count;
    uint32_t after = int3_at();
    expect_eq(last_trap.count, before + 1);
    expect_eq(last_trap.vector, 3);
    expect_eq(last_trap.eip, after);
    expect_eq(last_trap.cs, RING1_CS | (1u << 16));
    expect_eq(last_trap.eflags & 0x200, 0);

    shinfo->vcpu_info[0].evtchn_upcall_mask = 0;
    int3_at();
    shinfo->vcpu_info[0].evtchn_upcall_mask = 1;
    expect_eq(last_trap.cs, RING1_CS);
    expect_eq(last_trap.eflags & 0x200, 0x200);
}

/* #PF: a supervisor read, CR2 at its 32-bit place in vcpu_info. */
static void check_page_fault(void)
{
    uint32_t v;
    expect_rc(probe_read32((void *)0x1000, &v), -1);
    expect_eq(last_trap.vector, 14);
    expect_eq(last_trap.error & 7, 0);
    expect_eq(last_trap.cr2, 0x1000);
    expect_rc(probe_write32((void *)(0x2000 + 4), 1), -1);
    expect_eq(last_trap.error & 7, 2);
    expect_eq(last_trap.cr2, 0x2004);
}

/* `int $0x40` with no DPL-1 entry: #GP with the IDT error code. */
static void check_gp(void)
{
    expect_rc(probe_int40(), -1);
    expect_eq(last_trap.vector, 13);
    expect_eq(last_trap.error, (0x40 << 3) | 2);
}

/*
 * HYPERVISOR_iret to a CS that does not load: the failsafe callback, at
 * FLAT_RING1_CS, with the data selectors below the frame that failed.
 */
static void check_failsafe(void)
{
    unsigned before = failsafe_seen;
    /* A return to ring 3 failed: the frame goes on the kernel stack. */
    expect_rc(hypercall2(__HYPERVISOR_stack_switch, RING1_DS, kernel_stack_top), 0);
    expect_rc(probe_bad_iret(), 1);
    expect_eq(failsafe_seen, before + 1);
    expect_eq(failsafe_cs_seen & 0xffff, 0x0ffb);
    expect_eq(failsafe_ds_seen & 0xffff, RING1_DS);
}

void trap_checks(void)
{
    run_check("traps.failsafe", check_failsafe);
    run_check("traps.int3", check_int3);
    run_check("traps.page_fault", check_page_fault);
    run_check("traps.gp_int", check_gp);
}
