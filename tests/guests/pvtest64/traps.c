/*
 * Exceptions and callbacks: the trap table, the dispatcher every entry
 * stub calls, and the checks of the bounce frames Xen builds.
 */
#include "pvtest.h"
#include "hypercall.h"
#include "traps.h"

volatile struct trap_record last_trap;
volatile unsigned long trap_resume_rip;
bool (*trap_hook)(struct trap_frame *f);
void (*event_hook)(struct trap_frame *f);
void (*syscall_hook)(struct trap_frame *f);
void (*failsafe_hook)(uint64_t *frame);

static long trap_table_rc, callback_rc[3];

#define TRAP(vec, dpl, fn) { vec, dpl, FLAT_KERNEL_CS, (unsigned long)(fn) }
static const struct trap_info trap_table[] = {
    TRAP(0, 0, trap_de), TRAP(1, 0, trap_db), TRAP(2, 0, trap_nmi),
    TRAP(3, 3, trap_bp), TRAP(4, 3, trap_of), TRAP(5, 0, trap_br),
    TRAP(6, 0, trap_ud), TRAP(7, 0, trap_nm), TRAP(8, 0, trap_df),
    TRAP(9, 0, trap_cso), TRAP(10, 0, trap_ts), TRAP(11, 0, trap_np),
    TRAP(12, 0, trap_ss), TRAP(13, 0, trap_gp), TRAP(14, 0, trap_pf),
    TRAP(15, 0, trap_spurious), TRAP(16, 0, trap_mf), TRAP(17, 0, trap_ac),
    TRAP(18, 0, trap_mc), TRAP(19, 0, trap_xm),
    TRAP(0x80, 3, trap_soft80),     /* Xen's direct int $0x80 path */
    TRAP(0x81, 3, trap_soft81),     /* int $0x81 allowed from ring 3 */
    TRAP(0x83, 0, trap_soft83),     /* int $0x83 not allowed: #GP */
    TRAP(0x84, 1, trap_soft84),     /* int $0x84 from the kernel only */
    { 0, 0, 0, 0 },
};

static long register_callback(unsigned type, unsigned flags, void *fn)
{
    struct callback_register cb = {
        .type = (uint16_t)type, .flags = (uint16_t)flags,
        .address = (unsigned long)fn,
    };
    return hc_callback_op(CALLBACKOP_register, &cb);
}

void trap_setup(void)
{
    trap_table_rc = hc_set_trap_table(trap_table);
    callback_rc[0] = register_callback(CALLBACKTYPE_event,
                                       CALLBACKF_mask_events, event_entry);
    callback_rc[1] = register_callback(CALLBACKTYPE_failsafe,
                                       CALLBACKF_mask_events, failsafe_entry);
    callback_rc[2] = register_callback(CALLBACKTYPE_syscall,
                                       CALLBACKF_mask_events, syscall_entry);
}

void trap_dispatch(struct trap_frame *f)
{
    unsigned vec = trap_vector(f);

    if (vec == KIND_EVENT) {
        if (event_hook)
            event_hook(f);
        else
            vcpu0()->evtchn_upcall_pending = 0;
        return;
    }
    if (vec == KIND_SYSCALL) {
        if (syscall_hook) {
            syscall_hook(f);
            return;
        }
        expect(false, "syscall callback without a check expecting it");
        check_abort();
    }

    last_trap.count++;
    last_trap.frame = *f;
    last_trap.frame_top = (uint64_t)(&f->ss + 1);
    last_trap.cr2 = vec == 14 ? vcpu0()->arch.cr2 : 0;

    if (trap_hook && trap_hook(f))
        return;
    if (trap_resume_rip) {
        f->rip = trap_resume_rip;
        trap_resume_rip = 0;
        return;
    }
    if (vec == 3 || vec == 4 || vec == 0x80 || vec == 0x81)
        return;                     /* traps: carry on after them */
    expect(false, "unexpected exception %u at rip %#lx, error code %#lx, "
           "cr2 %#lx", vec, (unsigned long)f->rip,
           (unsigned long)f->error_code, (unsigned long)last_trap.cr2);
    check_abort();
}

static uint64_t failsafe_frame[11];
static unsigned failsafe_count;

void failsafe_dispatch(uint64_t *regs)
{
    /* regs: the 13 registers pushed by the stub, then Xen's frame. */
    memcpy(failsafe_frame, regs + 13, sizeof(failsafe_frame));
    failsafe_count++;
    if (failsafe_hook)
        failsafe_hook(failsafe_frame);
    expect(false, "failsafe callback: rip %#lx ds %#lx es %#lx fs %#lx gs %#lx",
           (unsigned long)failsafe_frame[6], (unsigned long)failsafe_frame[2],
           (unsigned long)failsafe_frame[3], (unsigned long)failsafe_frame[4],
           (unsigned long)failsafe_frame[5]);
    check_abort();
}

bool expect_trap(unsigned before, unsigned vector, const void *rip)
{
    if (!expect(last_trap.count == before + 1, "%u exceptions taken, want 1",
                last_trap.count - before))
        return false;
    bool ok = expect_eq(trap_vector((const struct trap_frame *)&last_trap.frame),
                        vector);
    ok &= expect_eq(last_trap.frame.rip, (uint64_t)rip);
    return ok;
}

bool expect_no_trap(unsigned before)
{
    return expect(last_trap.count == before,
                  "unexpected exception %u at rip %#lx",
                  trap_vector((const struct trap_frame *)&last_trap.frame),
                  (unsigned long)last_trap.frame.rip);
}

/* ---- checks */

static void check_set_trap_table(void)
{
    expect_rc(trap_table_rc, 0);
}

static void check_callbacks_registered(void)
{
    expect_rc(callback_rc[0], 0);
    expect_rc(callback_rc[1], 0);
    expect_rc(callback_rc[2], 0);
}

/* The frame of an exception taken in guest kernel mode: Xen's bounce
 * frame on the interrupted stack, 16-byte aligned, CS with RPL 0 and the
 * saved upcall mask in bits 32-39, RFLAGS.IF = !mask, SS flat. */
static void expect_kernel_frame(uint64_t rsp_before, uint8_t mask)
{
    const volatile struct trap_frame *f = &last_trap.frame;
    expect_eq(f->cs, ((uint64_t)mask << 32) | (FLAT_KERNEL_CS & ~3));
    expect_eq(f->ss, FLAT_KERNEL_SS);
    expect_eq(f->rsp, rsp_before);
    expect_eq(last_trap.frame_top, rsp_before & ~15UL);
    expect_eq(f->rflags & 0x200, mask ? 0 : 0x200);
    expect_eq(f->rflags & 0x3000, 0);               /* IOPL */
}

static uint64_t current_rsp(void)
{
    uint64_t rsp;
    asm volatile("mov %%rsp, %0" : "=r"(rsp));
    return rsp;
}

/* int3: a trap; RCX and R11 as they were, RIP after the instruction. */
static void check_int3(void)
{
    unsigned before = last_trap.count;
    /* probe_int3 pushes one word and calls: rsp at int3 = ours - 16 */
    uint64_t rsp = current_rsp() - 16;
    long moved = probe_int3(0x1111222233334444UL, 0x5555666677778888UL);
    if (!expect_trap(before, 3, probe_int3_after))
        return;
    expect_eq(last_trap.frame.rcx, 0x1111222233334444UL);
    expect_eq(last_trap.frame.r11, 0x5555666677778888UL);
    expect_eq(moved, 0);
    expect_kernel_frame(rsp, 1);
}

static void check_int3_events_enabled(void)
{
    unsigned before = last_trap.count;
    uint64_t rsp = current_rsp() - 16;
    vcpu0()->evtchn_upcall_mask = 0;
    probe_int3(0, 0);
    vcpu0()->evtchn_upcall_mask = 1;
    if (!expect_trap(before, 3, probe_int3_after))
        return;
    expect_kernel_frame(rsp, 0);
}

static void check_ud2(void)
{
    unsigned before = last_trap.count;
    uint64_t rsp = current_rsp() - 8;
    trap_resume_rip = (unsigned long)probe_ud2_after;
    probe_ud2(0xabcdUL, 0x246UL);
    if (!expect_trap(before, 6, probe_ud2_insn))
        return;
    expect_eq(last_trap.frame.rcx, 0xabcd);
    expect_eq(last_trap.frame.r11, 0x246);
    expect_eq(last_trap.frame.kind & FRAME_HAS_ERROR, 0);
    expect_kernel_frame(rsp, 1);
}

static void check_div0(void)
{
    unsigned before = last_trap.count;
    trap_resume_rip = (unsigned long)probe_div0_after;
    probe_div0();
    expect_trap(before, 0, probe_div0_insn);
}

/* #GP with an error code: loading a selector whose descriptor is null
 * (the guest GDT is empty at boot) gives #GP(selector). */
static void check_gp_selector(void)
{
    unsigned before = last_trap.count;
    uint64_t rsp = current_rsp() - 8;
    trap_resume_rip = (unsigned long)probe_load_ds_after;
    probe_load_ds(0x10);
    if (!expect_trap(before, 13, probe_load_ds_insn))
        return;
    expect_eq(last_trap.frame.kind & FRAME_HAS_ERROR, FRAME_HAS_ERROR);
    expect_eq(last_trap.frame.error_code, 0x10);
    expect_kernel_frame(rsp, 1);
}

/* int $0x80 (DPL 3 in our table): Xen's IDT lets it through to a direct
 * bounce, vector 0x80, RIP after it. */
static void check_soft_int80(void)
{
    unsigned before = last_trap.count;
    probe_int80();
    if (!expect_trap(before, 0x80, probe_int80_after))
        return;
    expect_eq(last_trap.frame.error_code, 0);
}

/* The error code of a #GP raised by "int n" through a DPL 0 IDT gate is
 * n << 3 | 2 (IDT). QEMU TCG reports n << 4 | 2 in 64-bit mode (it uses
 * the 16-byte gate's offset); the hypervisor then cannot tell which
 * vector it was. */
#define QEMU_TCG_IDT_ERROR(n) (((n) << 4) | 2)

/* int $0x81 is in our trap table with DPL 3: Xen sees the #GP from its
 * own DPL 0 gate, finds our DPL 3 entry and delivers vector 0x81 with RIP
 * after the instruction. */
static bool qemu_code;
/* int $0x81 arrived as vector 0x81: the hypervisor knows the vector of an
 * int n even under QEMU TCG (pvshim reads the instruction). */
static bool int_vector_known;

static bool int81_qemu_hook(struct trap_frame *f)
{
    if (trap_vector(f) == 13 && f->error_code == QEMU_TCG_IDT_ERROR(0x81)) {
        qemu_code = true;
        f->rip = (uint64_t)probe_int81_after;
        return true;
    }
    return false;
}

static void check_soft_int_allowed(void)
{
    unsigned before = last_trap.count;
    qemu_code = false;
    trap_hook = int81_qemu_hook;
    probe_int81();
    trap_hook = NULL;
    if (qemu_code) {
        last_trap.count = before + 1;
        check_skip_current("#GP(%#x) is QEMU TCG's error code for int $0x81; "
                           "Xen cannot know the vector", QEMU_TCG_IDT_ERROR(0x81));
    }
    if (!expect_trap(before, 0x81, probe_int81_after))
        return;
    expect_eq(last_trap.frame.error_code, 0);
    int_vector_known = true;
}

/* int $0x83 has DPL 0 in our table: #GP(0x83 << 3 | 2) at the int. */
static void check_soft_int_denied(void)
{
    unsigned before = last_trap.count;
    trap_resume_rip = (unsigned long)probe_int83_after;
    probe_int83();
    if (!expect_trap(before, 13, probe_int83_insn))
        return;
    uint64_t ec = last_trap.frame.error_code;
    if (ec == QEMU_TCG_IDT_ERROR(0x83))
        printf("INFO traps.soft_int_dpl0_gp: error code %#lx from QEMU TCG\n",
               (unsigned long)ec);
    else
        expect_eq(ec, (0x83 << 3) | 2);
}

/*
 * int $0x84 has DPL 1 in our table. Xen lets a software interrupt through
 * when the entry's DPL is at least the guest's own privilege, which is 1
 * in kernel mode (3 in user mode), although a 64-bit PV kernel really runs
 * in ring 3: from here it is delivered as vector 0x84, RIP after the int.
 * Under QEMU TCG, Xen reads the vector from TCG's #GP error code (0x842)
 * as 0x08, whose entry has DPL 0, and passes the #GP on; a hypervisor that
 * got int $0x81 right has no such excuse.
 */
static bool int84_qemu_hook(struct trap_frame *f)
{
    if (trap_vector(f) == 13 && f->error_code == QEMU_TCG_IDT_ERROR(0x84)) {
        qemu_code = true;
        f->rip = (uint64_t)probe_int84_after;
        return true;
    }
    return false;
}

static void check_soft_int_dpl1_kernel(void)
{
    unsigned before = last_trap.count;
    qemu_code = false;
    trap_hook = int84_qemu_hook;
    trap_resume_rip = (unsigned long)probe_int84_after;
    probe_int84();
    trap_hook = NULL;
    trap_resume_rip = 0;
    if (qemu_code) {
        last_trap.count = before + 1;
        if (int_vector_known) {
            expect_fmt(false, "int $0x84 (DPL 1) refused in kernel mode: #GP(%#x)",
                       QEMU_TCG_IDT_ERROR(0x84));
            return;
        }
        check_skip_current("#GP(%#x) is QEMU TCG's error code for int $0x84; "
                           "Xen cannot know the vector", QEMU_TCG_IDT_ERROR(0x84));
    }
    if (!expect_trap(before, 0x84, probe_int84_after))
        return;
    expect_eq(last_trap.frame.error_code, 0);
}

/* #PF on a read of an unmapped address: error code 0 (not present, read,
 * kernel mode) and CR2 in vcpu_info.arch.cr2. */
static void check_pf_not_present(void)
{
    unsigned before = last_trap.count;
    unsigned long va = 0x12345000UL;
    uint64_t rsp = current_rsp() - 8;
    trap_resume_rip = (unsigned long)probe_read_after;
    probe_read((void *)va);
    if (!expect_trap(before, 14, probe_read_insn))
        return;
    expect_eq(last_trap.frame.error_code, 0);
    expect_eq(last_trap.cr2, va);
    expect_kernel_frame(rsp, 1);
}

/* #PF on a write to a read-only page: error code present|write. */
static void check_pf_read_only(void)
{
    unsigned long pfn = alloc_pfn();
    volatile uint64_t *page = map_pfn(pfn, false);
    unsigned before = last_trap.count;
    trap_resume_rip = (unsigned long)probe_write_after;
    probe_write(&page[3], 42);
    if (expect_trap(before, 14, probe_write_insn)) {
        expect_eq(last_trap.frame.error_code, 0x3);
        expect_eq(last_trap.cr2, (unsigned long)&page[3]);
    }
    unmap_va((void *)page);
}

/* #PF on a fetch from a no-execute page: error code present|fetch. */
static void check_pf_nx(void)
{
    unsigned long pfn = alloc_pfn();
    uint8_t *page = map_pfn(pfn, true);
    page[0] = 0xc3;                                 /* ret */
    unsigned long va = (unsigned long)page;
    long rc = hc_update_va_mapping(va, (p2m[pfn] << 12) | PTE_P | PTE_US |
                                   PTE_A | PTE_NX, UVMF_INVLPG);
    if (expect_rc(rc, 0)) {
        unsigned before = last_trap.count;
        trap_resume_rip = (unsigned long)probe_exec_after;
        uint64_t rsp = current_rsp() - 8;           /* + the call's push */
        probe_exec(page);
        if (expect_trap(before, 14, page)) {
            expect_eq(last_trap.frame.error_code, 0x11);
            expect_eq(last_trap.cr2, va);
            /* the call pushed its return address before the fetch */
            expect_eq(last_trap.frame.rsp, rsp - 8);
        }
    }
    unmap_va(page);
}

/* An exception while events are unmasked does not mask them (trap
 * gates in our table), and the frame says so. */
static uint8_t mask_in_handler;

static bool record_mask_hook(struct trap_frame *f)
{
    mask_in_handler = vcpu0()->evtchn_upcall_mask;
    return false;
}

static void check_trap_gate_keeps_mask(void)
{
    vcpu0()->evtchn_upcall_mask = 0;
    unsigned before = last_trap.count;
    trap_hook = record_mask_hook;
    probe_int3(0, 0);
    trap_hook = NULL;
    vcpu0()->evtchn_upcall_mask = 1;
    if (!expect_trap(before, 3, probe_int3_after))
        return;
    expect_eq(mask_in_handler, 0);
}

static void check_set_trap_table_bad(void)
{
    expect_rc(hc_set_trap_table((void *)0x1000), -XEN_EFAULT);
    /* The table is still ours: a trap still arrives. */
    unsigned before = last_trap.count;
    probe_int3(0, 0);
    expect_trap(before, 3, probe_int3_after);
}

static void check_callback_op_errors(void)
{
    struct callback_register cb = { .type = 99, .address = (unsigned long)event_entry };
    expect_rc(hc_callback_op(CALLBACKOP_register, &cb), -XEN_ENOSYS);
    cb.type = CALLBACKTYPE_event;
    cb.address = 0x0000800000000000UL;              /* not canonical */
    expect_rc(hc_callback_op(CALLBACKOP_register, &cb), -XEN_EINVAL);
    struct callback_unregister un = { .type = CALLBACKTYPE_event };
    expect_rc(hc_callback_op(CALLBACKOP_unregister, &un), -XEN_EINVAL);
    un.type = 99;
    expect_rc(hc_callback_op(CALLBACKOP_unregister, &un), -XEN_ENOSYS);
    expect_rc(hc_callback_op(99, &un), -XEN_ENOSYS);
    expect_rc(hc_callback_op(CALLBACKOP_register, (void *)0x1000), -XEN_EFAULT);
    /* NMI callback: register and unregister */
    cb.type = CALLBACKTYPE_nmi;
    cb.address = (unsigned long)trap_nmi;
    expect_rc(hc_callback_op(CALLBACKOP_register, &cb), 0);
    un.type = CALLBACKTYPE_nmi;
    expect_rc(hc_callback_op(CALLBACKOP_unregister, &un), 0);
}

void trap_checks(void)
{
    run_check("traps.set_trap_table", check_set_trap_table);
    run_check("traps.set_trap_table_bad_pointer", check_set_trap_table_bad);
    run_check("traps.int3_frame", check_int3);
    run_check("traps.int3_frame_events_enabled", check_int3_events_enabled);
    run_check("traps.ud2", check_ud2);
    run_check("traps.divide_error", check_div0);
    run_check("traps.gp_error_code", check_gp_selector);
    run_check("traps.soft_int80", check_soft_int80);
    run_check("traps.soft_int_dpl3", check_soft_int_allowed);
    run_check("traps.soft_int_dpl0_gp", check_soft_int_denied);
    run_check("traps.soft_int_dpl1_kernel", check_soft_int_dpl1_kernel);
    run_check("traps.pf_not_present", check_pf_not_present);
    run_check("traps.pf_read_only", check_pf_read_only);
    run_check("traps.pf_no_execute", check_pf_nx);
    run_check("traps.trap_gate_keeps_mask", check_trap_gate_keeps_mask);
    run_check("callbacks.register", check_callbacks_registered);
    run_check("callbacks.errors", check_callback_op_errors);
}
