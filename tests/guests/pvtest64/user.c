/*
 * User mode: a user L4 of its own (NEW_USER_BASEPTR), the iret hypercall
 * to ring 3 user mode, SYSCALL reaching the syscall callback on the
 * kernel stack (stack_switch), the return with VGCF_in_syscall, the user
 * GS base, every register across a system call and a plain iret back, a
 * software interrupt refused in user mode, and a user-mode #PF.
 */
#include "pvtest.h"
#include "hypercall.h"
#include "traps.h"

#define USER_CODE_VA 0x400000UL
#define USER_DATA_VA 0x401000UL
#define USER_MAGIC   0x0badc0ffee0ddf00UL
/* user_mode.asm's: where its registers are stored after syscall 3, and
 * the value it gives register n (1-12) before it. */
#define USER_REGS_OFFSET 0x100
/* ... and where it stores RCX and R11 as the return from syscall 1 left them. */
#define USER_SYSRET_REGS_OFFSET 0x200
#define REG_PATTERN(n) (0xc0de000000000000UL + (n) * 0x0101010101UL)
/* What syscall 3 returns in RAX, RCX and R11 (a plain iret: no VGCF_in_syscall). */
#define RAX_BACK 0x3333333333333333UL
#define RCX_BACK 0x0123456789abcdefUL
#define R11_BACK 0xfedcba9876543210UL

extern char user_code_start[], user_after_syscall1[], user_after_syscall2[],
    user_after_syscall3[], user_int84[], user_kernel_touch[], _user_text_start[], kernel_stack_top[];
void enter_user(unsigned long rip, unsigned long rsp) __attribute__((noreturn));

#define USER_VA(sym) (USER_CODE_VA + ((unsigned long)(sym) - (unsigned long)user_code_start))
#define RW (PTE_P | PTE_RW | PTE_US | PTE_A | PTE_D)

static struct jump_ctx user_ctx;
static struct trap_frame sc_frame[2];
static uint64_t sc_frame_top[2];
static unsigned n_syscalls;
static uint64_t reported_rdi, reported_rsi;
static struct trap_frame regs_frame;
static uint8_t regs_mask;
static struct trap_frame pf_frame, gp_frame;
static uint64_t pf_cr2, pf_frame_top;
static uint8_t pf_mask;

static void user_syscall(struct trap_frame *f)
{
    if (n_syscalls < 2) {
        sc_frame[n_syscalls] = *f;
        sc_frame_top[n_syscalls] = (uint64_t)(&f->ss + 1);
    }
    n_syscalls++;
    if (f->rax == 1)
        f->rax = f->rdi + 1;
    else if (f->rax == 2) {
        reported_rdi = f->rdi;
        reported_rsi = f->rsi;
        f->rax = 0;
    } else if (f->rax == 3) {
        regs_frame = *f;
        regs_mask = vcpu0()->evtchn_upcall_mask;
        f->rax = RAX_BACK;
        f->rcx = RCX_BACK;
        f->r11 = R11_BACK;
        f->rflags |= 1;                 /* CF */
        f->error_code = 0;              /* a plain iret: RCX and R11 from the frame */
        return;
    }
    f->error_code = VGCF_in_syscall;    /* back like SYSRET */
}

/*
 * Syscall 3: the guest kernel got every register user mode had and the
 * bounce frame exactly (CS and SS with nothing above the selector: the
 * event mask saved in CS bits 32-39 was 0), events masked by the callback;
 * user mode got back every register, with RAX, RCX, R11 and RFLAGS from the
 * iret frame.
 */
static void expect_registers(unsigned long data)
{
    const struct trap_frame *f = &regs_frame;
    const uint64_t sent[12] = { f->rbx, f->rdx, f->rsi, f->rdi, f->rbp, f->r8, f->r9,
                                f->r10, f->r12, f->r13, f->r14, f->r15 };
    for (unsigned n = 1; n <= 12; n++)
        expect_fmt(sent[n - 1] == REG_PATTERN(n), "syscall: register %u is %#lx in the kernel",
                   n, (unsigned long)sent[n - 1]);
    expect_eq(f->rax, 3);
    expect_eq(f->rip, USER_VA(user_after_syscall3));
    expect_eq(f->rcx, f->rip);
    expect_eq(f->cs, FLAT_USER_CS64);
    expect_eq(f->ss, FLAT_USER_SS64);
    expect_eq(f->rflags, f->r11);
    expect_eq(f->rflags & 0x3200, 0x200);   /* IF (events were on), IOPL 0 */
    expect_eq(regs_mask, 1);                /* CALLBACKF_mask_events */

    const uint64_t *d = map_pfn(data, false);
    const uint64_t *back = d + USER_REGS_OFFSET / 8;
    /* stored: RAX RBX RCX RDX RSI RDI RBP R8-R15 RFLAGS */
    const uint64_t want[15] = { RAX_BACK, REG_PATTERN(1), RCX_BACK, REG_PATTERN(2),
                                REG_PATTERN(3), REG_PATTERN(4), REG_PATTERN(5),
                                REG_PATTERN(6), REG_PATTERN(7), REG_PATTERN(8), R11_BACK,
                                REG_PATTERN(9), REG_PATTERN(10), REG_PATTERN(11),
                                REG_PATTERN(12) };
    for (unsigned i = 0; i < 15; i++)
        expect_fmt(back[i] == want[i], "iret: user register slot %u is %#lx, want %#lx", i,
                   (unsigned long)back[i], (unsigned long)want[i]);
    expect_eq(back[15] & 0x201, 0x201);     /* CF from the frame, IF */

    /* Syscall 1 came back with VGCF_in_syscall: as after Xen's SYSRET,
     * RCX is the RIP and R11 the RFLAGS user mode resumed with. */
    const uint64_t *sysret = d + USER_SYSRET_REGS_OFFSET / 8;
    expect_fmt(sysret[0] == USER_VA(user_after_syscall1),
               "in_syscall return: RCX %#lx, want the RIP %#lx", (unsigned long)sysret[0],
               (unsigned long)USER_VA(user_after_syscall1));
    expect_fmt(sysret[1] == sc_frame[0].rflags,
               "in_syscall return: R11 %#lx, want the RFLAGS %#lx", (unsigned long)sysret[1],
               (unsigned long)sc_frame[0].rflags);
    unmap_va((void *)d);
}

static bool user_fault(struct trap_frame *f)
{
    if ((f->cs & 3) != 3)
        return false;
    if (trap_vector(f) == 13 && f->rip == USER_VA(user_int84)) {
        gp_frame = *f;
        f->rip += 2;
        return true;
    }
    pf_frame = *f;
    pf_mask = vcpu0()->evtchn_upcall_mask;
    pf_cr2 = last_trap.cr2;
    pf_frame_top = (uint64_t)(&f->ss + 1);
    check_longjmp(&user_ctx);
}

static void go_user(void)
{
    enter_user(USER_VA(user_code_start), USER_DATA_VA + PG_SIZE - 64);
}

static unsigned long table_with(unsigned idx, uint64_t entry)
{
    unsigned long pfn = alloc_pfn();
    uint64_t *t = map_pfn(pfn, true);
    memset(t, 0, PG_SIZE);
    t[idx] = entry;
    unmap_va(t);
    return pfn;
}

static void check_user_mode(void)
{
    unsigned long data = alloc_pfn();
    uint64_t *d = map_pfn(data, true);
    memset(d, 0, PG_SIZE);
    d[0] = USER_MAGIC;
    unmap_va(d);

    unsigned long l1 = alloc_pfn();
    uint64_t *t = map_pfn(l1, true);
    memset(t, 0, PG_SIZE);
    t[(USER_CODE_VA >> 12) & 511] = (virt_to_mfn(_user_text_start) << 12) | PTE_P | PTE_US | PTE_A;
    t[(USER_DATA_VA >> 12) & 511] = (p2m[data] << 12) | RW;
    unmap_va(t);
    unsigned long l2 = table_with((USER_CODE_VA >> 21) & 511, (p2m[l1] << 12) | RW);
    unsigned long l3 = table_with(0, (p2m[l2] << 12) | RW);
    unsigned long l4 = table_with(0, (p2m[l3] << 12) | RW);

    struct mmuext_op op = { .cmd = MMUEXT_PIN_L4_TABLE, .arg1.mfn = p2m[l4] };
    if (!expect_rc(hc_mmuext_op(&op, 1, NULL, DOMID_SELF), 0))
        return;
    op.cmd = MMUEXT_NEW_USER_BASEPTR;
    if (!expect_rc(hc_mmuext_op(&op, 1, NULL, DOMID_SELF), 0))
        return;
    expect_rc(hc_stack_switch(FLAT_KERNEL_SS, (unsigned long)kernel_stack_top), 0);
    expect_rc(hc_set_segment_base(SEGBASE_GS_USER, USER_DATA_VA), 0);

    n_syscalls = 0;
    syscall_hook = user_syscall;
    trap_hook = user_fault;
    unsigned before = last_trap.count;
    int back = check_call(go_user, &user_ctx);
    syscall_hook = NULL;
    trap_hook = NULL;

    expect_eq(back, 1);
    expect_eq(n_syscalls, 3);
    /* the syscall frame: on the kernel stack, user RIP/RSP, RCX = RIP
     * and R11 = RFLAGS as SYSCALL left them */
    struct trap_frame *f = &sc_frame[0];
    expect_eq(f->rip, USER_VA(user_after_syscall1));
    expect_eq(f->rcx, f->rip);
    expect_eq(f->r11 & 0x200, 0x200);
    expect_eq(f->cs & 0xffff, FLAT_USER_CS64);
    expect_eq(f->ss & 0xffff, FLAT_USER_SS64);
    expect_eq(f->rsp, USER_DATA_VA + PG_SIZE - 64);
    expect_eq(sc_frame_top[0], (uint64_t)kernel_stack_top);
    expect_eq(sc_frame[1].rip, USER_VA(user_after_syscall2));
    /* the SYSRET-style return gave user mode our RAX; GS was the user's */
    expect_eq(reported_rdi, 0x1235);
    expect_eq(reported_rsi, USER_MAGIC);
    expect_registers(data);
    /* int $0x84 has DPL 1: refused in user mode, #GP(0x84 << 3 | 2) at the
     * int (QEMU TCG's n << 4 | 2 under Xen, which cannot read the vector) */
    expect_eq(gp_frame.rip, USER_VA(user_int84));
    expect_fmt(gp_frame.error_code == ((0x84 << 3) | 2) || gp_frame.error_code == ((0x84 << 4) | 2),
               "int $0x84 in user mode: error code %#lx", (unsigned long)gp_frame.error_code);
    /* the kernel is not mapped in the user L4: #PF, user bit set */
    expect_eq(last_trap.count, before + 2);
    expect_eq(trap_vector(&pf_frame), 14);
    expect_eq(pf_frame.rip, USER_VA(user_kernel_touch));
    expect_eq(pf_frame.error_code, 4);              /* not present, read, user */
    expect_eq(pf_cr2, VIRT_BASE);
    expect_eq(pf_frame.cs, FLAT_USER_CS64);         /* saved mask 0: events were on */
    expect_eq(pf_frame.ss, FLAT_USER_SS64);
    expect_eq(pf_frame.rsp, USER_DATA_VA + PG_SIZE - 64);
    expect_eq(pf_frame.rflags & 0x3201, 0x201);     /* IF, IOPL 0, CF from syscall 3 */
    expect_eq(pf_frame.rcx, VIRT_BASE);             /* the address it read through */
    expect_eq(pf_frame.r11, R11_BACK);              /* from syscall 3's iret */
    expect_eq(pf_frame.rbx, REG_PATTERN(1));
    expect_eq(pf_mask, 0);                          /* a trap gate: events still on */
    expect_eq(pf_frame_top, (uint64_t)kernel_stack_top);

    /* back in kernel mode with the kernel L4 */
    expect_eq(probe_read_cr3() >> 12, virt_to_mfn((void *)si->pt_base));
    op.cmd = MMUEXT_NEW_USER_BASEPTR;
    op.arg1.mfn = 0;
    expect_rc(hc_mmuext_op(&op, 1, NULL, DOMID_SELF), 0);
    op.cmd = MMUEXT_UNPIN_TABLE;
    op.arg1.mfn = p2m[l4];
    expect_rc(hc_mmuext_op(&op, 1, NULL, DOMID_SELF), 0);
}

void user_checks(void)
{
    run_check("user.iret_syscall_sysret_pf", check_user_mode);
}
