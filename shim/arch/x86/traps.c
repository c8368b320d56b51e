/*
 * Where every exception and interrupt lands. Faults in pvshim itself are
 * either expected (a guest-memory access with a fixup) or fatal: those get
 * a full report and the internal-error exit, never a silent hang or a
 * triple fault.
 */
#include <pvshim/cpu_regs.h>
#include <pvshim/irq.h>
#include <pvshim/log.h>
#include <pvshim/status.h>
#include <pvshim/string.h>
#include <pvshim/guest_entry.h>
#include "x86.h"
#include "arch.h"

static const char *const exception_names[32] = {
    "divide error", "debug", "NMI", "breakpoint", "overflow",
    "bound range", "invalid opcode", "device not available", "double fault",
    "coprocessor overrun", "invalid TSS", "segment not present",
    "stack fault", "general protection", "page fault", "reserved 15",
    "x87 FP error", "alignment check", "machine check", "SIMD FP error",
    "virtualization", "control protection", "reserved 22", "reserved 23",
    "reserved 24", "reserved 25", "reserved 26", "reserved 27",
    "hypervisor injection", "VMM communication", "security", "reserved 31",
};

static irq_handler_t irq_handlers[256];

void irq_register(unsigned vector, irq_handler_t h)
{
    irq_handlers[vector & 0xff] = h;
}

/* Exception-table entries: a faulting instruction and where to resume. */
struct extable_entry {
    uint64_t insn;
    uint64_t fixup;
};
extern const struct extable_entry __extable_start[], __extable_end[];

static bool extable_fixup(struct cpu_regs *r)
{
    for (const struct extable_entry *e = __extable_start; e < __extable_end; e++)
        if (e->insn == r->rip) {
            r->rip = e->fixup;
            return true;
        }
    return false;
}

extern char boot_stack[], boot_stack_top[];

/* A frame pointer is followed only while it stays inside a known stack. */
static bool on_known_stack(uint64_t p, uint64_t rsp)
{
    uint64_t lo = rsp & ~(uint64_t)0x3fff, hi = lo + 0x8000;
    return p >= lo && p + 16 <= hi && (p & 7) == 0;
}

static void backtrace(const struct cpu_regs *r)
{
    log_err("backtrace (addr2line -e build/pvshim):");
    log_err("  0x%016llx", (unsigned long long)r->rip);
    uint64_t fp = r->rbp;
    for (int depth = 0; depth < 16 && fp && on_known_stack(fp, r->rsp); depth++) {
        const uint64_t *frame = (const uint64_t *)fp;
        if (!frame[1])
            break;
        log_err("  0x%016llx", (unsigned long long)frame[1]);
        if (frame[0] <= fp)
            break;
        fp = frame[0];
    }
}

void fatal_exception(const struct cpu_regs *r)
{
    const char *name = r->vector < 32 ? exception_names[r->vector] : "interrupt";
    log_err("internal error: %s (vector %llu, error code %#llx) in pvshim",
            name, (unsigned long long)r->vector, (unsigned long long)r->error_code);
    log_err("rip 0x%016llx cs %04llx rflags %#010llx rsp 0x%016llx ss %04llx",
            (unsigned long long)r->rip, (unsigned long long)r->cs,
            (unsigned long long)r->rflags, (unsigned long long)r->rsp,
            (unsigned long long)r->ss);
    log_err("rax 0x%016llx rbx 0x%016llx rcx 0x%016llx rdx 0x%016llx",
            (unsigned long long)r->rax, (unsigned long long)r->rbx,
            (unsigned long long)r->rcx, (unsigned long long)r->rdx);
    log_err("rsi 0x%016llx rdi 0x%016llx rbp 0x%016llx r8  0x%016llx",
            (unsigned long long)r->rsi, (unsigned long long)r->rdi,
            (unsigned long long)r->rbp, (unsigned long long)r->r8);
    log_err("r9  0x%016llx r10 0x%016llx r11 0x%016llx r12 0x%016llx",
            (unsigned long long)r->r9, (unsigned long long)r->r10,
            (unsigned long long)r->r11, (unsigned long long)r->r12);
    log_err("r13 0x%016llx r14 0x%016llx r15 0x%016llx",
            (unsigned long long)r->r13, (unsigned long long)r->r14,
            (unsigned long long)r->r15);
    log_err("cr0 %#llx cr2 %#llx cr3 %#llx cr4 %#llx",
            (unsigned long long)read_cr0(), (unsigned long long)read_cr2(),
            (unsigned long long)read_cr3(), (unsigned long long)read_cr4());
    if (r->vector == 14)
        log_err("faulting address %#llx (%s, %s, %s)",
                (unsigned long long)read_cr2(),
                r->error_code & 1 ? "protection" : "not present",
                r->error_code & 2 ? "write" : "read",
                r->error_code & 16 ? "fetch" : "data");
    backtrace(r);
    machine_exit(EXIT_INTERNAL_ERROR);
}

extern char return_iretq[];

/*
 * The iretq back to the guest faulted (a bad CS/SS or RIP the guest put in
 * its iret frame). The frame it tried to load lies at r->rsp; the general
 * registers are the guest's already. Rebuild a guest frame from the pieces
 * and let the PV layer deliver the failsafe callback.
 */
static void iret_to_guest_failed(struct cpu_regs *r)
{
    const uint64_t *hw = (const uint64_t *)r->rsp;
    struct cpu_regs g = *r;
    g.rip = hw[0];
    g.cs = hw[1];
    g.rflags = hw[2];
    g.rsp = hw[3];
    g.ss = hw[4];
    g.vector = r->vector;
    g.error_code = r->error_code;
    guest_return_failed(&g);
    guest_resume(&g);
    *r = g;
}

static void trap_entry_body(struct cpu_regs *r)
{
    bool from_guest = (r->cs & 3) != 0;

    if (from_guest)
        arch_compat_enter_shim();
    if (r->vector == 0x80 && from_guest) {
        guest_int80(r);
    } else if (r->vector == 0x82 && from_guest) {
        guest_int82(r);
    } else if (r->vector >= 32) {
        irq_handler_t h = irq_handlers[r->vector];
        if (h)
            h(r);
        else if (r->vector != VECTOR_SPURIOUS)
            log_warn("unexpected interrupt vector %llu", (unsigned long long)r->vector);
    } else if (!from_guest) {
        if (r->rip == (uint64_t)return_iretq && (r->vector == 13 || r->vector == 11 ||
                                                 r->vector == 12)) {
            iret_to_guest_failed(r);
            return;
        }
        if (extable_fixup(r))
            return;
        fatal_exception(r);
    } else {
        guest_exception(r);
    }
    if (from_guest) {
        guest_resume(r);
        arch_compat_leave_shim();
    }
}

/* Handlers run under the PV layer's lock, but those of guest exceptions
 * that need none (pv_trap_lock); the guest runs without it. */
void trap_entry(struct cpu_regs *r);
void trap_entry(struct cpu_regs *r)
{
    bool lazy = pv_trap_lock(r);
    trap_entry_body(r);
    pv_trap_unlock(r, lazy);
}

/* entry_fast.asm and trap_fast.asm run only while this is set (selftest=c-entry clears it). */
bool entry_fast_enabled = true;

void guest_syscall_entry(struct cpu_regs *r);
void guest_syscall_entry(struct cpu_regs *r)
{
    arch_compat_enter_shim();
    guest_syscall_enter(r);
    arch_compat_leave_shim();
}
