/*
 * Everything the guest does that enters pvshim arrives here from the arch
 * layer: SYSCALL (a hypercall from the guest kernel, a system call from
 * guest user space), exceptions, and the last step before every return.
 */
#include "pv.h"
#include "vcpu.h"
#include "hypercall.h"
#include "abi_trace.h"
#include "emulate.h"
#include <pvshim/guest_entry.h>
#include <pvshim/guest_access.h>
#include <pvshim/hw.h>
#include <pvshim/log.h>
#include <pvshim/layout.h>
#include <pvshim/phys.h>
#include "mm.h"
#include "compat.h"
#include "pv_lock.h"
#include <pvshim/irq.h>
#include "watchdog.h"

#define PFEC_user   (1u << 2)

/*
 * SYSENTER goes to the sysenter callback whatever the guest's mode, with
 * events masked if it asked; with none registered the guest gets #GP(0),
 * as on Xen. The CPU cleared IF on the way in: the guest's view has it set.
 */
static void sysenter(struct cpu_regs *r)
{
    r->rflags = (r->rflags | X86_EFLAGS_IF) & ~X86_EFLAGS_NT;
    if (!current->sysenter_callback) {
        pv_inject_exception(r, TRAP_gp_fault, true, 0);
        return;
    }
    pv_bounce(r, current->sysenter_callback, false, 0, current->sysenter_disables_events,
              "sysenter");
}

/*
 * Every entry from the guest starts here. A 32-bit guest's kernel is the
 * one in ring 1 (its mode follows the CS it was running with); a 64-bit
 * guest's mode is switched by pvshim itself.
 */
static inline struct pv_vcpu *entered_on(struct pv_vcpu *v, struct cpu_regs *r)
{
    v->regs = r;
    if (dom.compat)
        v->kernel_mode = (r->cs & 3) == COMPAT_KERNEL_RPL;
    return v;
}

static struct pv_vcpu *entered(struct cpu_regs *r)
{
    return entered_on(current, r);
}

/* guest_syscall for v, the calling CPU's vCPU; entered_on already done. */
static inline ALWAYS_INLINE void syscall_on(struct pv_vcpu *v, struct cpu_regs *r)
{
    if (dom.compat && r->vector != ENTRY_SYSENTER) {
        compat_syscall(r);
        return;
    }

    if (v->kernel_mode) {
        hypercall_dispatch(r);
        return;
    }
    if (r->vector == ENTRY_SYSENTER) {
        sysenter(r);
        return;
    }
    /* A system call from guest user space goes to the guest kernel. */
    bool compat = r->vector == ENTRY_SYSCALL32;
    uint64_t cb = compat ? v->syscall32_callback : v->syscall_callback;
    bool mask = compat ? v->syscall32_disables_events : v->syscall_disables_events;
    if (!cb) {
        /* No callback: the instruction behaves as if SYSCALL were disabled. */
        r->rip -= 2;
        pv_inject_exception(r, TRAP_invalid_op, false, 0);
        return;
    }
    pv_bounce(r, cb, false, 0, mask, compat ? "compat syscall" : "syscall");
}

void guest_syscall(struct cpu_regs *r)
{
    syscall_on(entered(r), r);
}

/*
 * A #GP from `int n` (the IDT gate's DPL is 0). As on Xen, the guest's
 * trap table decides: the entry's DPL must be at least the guest's own
 * privilege, 1 in kernel mode and 3 in user mode (a 64-bit PV kernel really
 * runs in ring 3, but counts as ring 1 here). Allowed: the handler gets
 * vector n with RIP after the instruction. Refused: the guest gets the
 * #GP the CPU gives, n * 8 + 2 (QEMU's TCG reports n * 16 + 2; the vector
 * is read from the instruction instead). Returns false for any other #GP.
 */
static bool software_interrupt(struct cpu_regs *r)
{
    uint8_t insn[2];
    if ((r->error_code & 3) != 2)
        return false;
    if (copy_from_guest(insn, r->rip, sizeof(insn)) || insn[0] != 0xcd)
        return false;
    unsigned vector = insn[1];
    const struct trap_info *ti = &current->trap_ctxt[vector];
    unsigned privilege = current->kernel_mode ? 1 : 3;
    if ((ti->flags & 3) < privilege) {
        pv_inject_exception(r, TRAP_gp_fault, true, (vector << 3) | 2);
        return true;
    }
    r->rip += 2;
    pv_inject_exception(r, vector, false, 0);
    return true;
}

/*
 * The CPU touched a page of the LDT window for the first time: map the
 * guest's frame once the MMU accepts it as a descriptor page, or hand the
 * guest a page fault at its own LDT address, as Xen does. window: this
 * CPU's LDT window (hw_ldt_window).
 */
static bool ldt_fault(struct cpu_regs *r, vaddr_t cr2, vaddr_t window)
{
    if (cr2 < window || cr2 >= window + LDT_WINDOW_PAGES * PAGE_SIZE)
        return false;
    unsigned offset = (unsigned)(cr2 - window);
    mfn_t mfn;
    if (pv_mm_map_ldt_page(offset, &mfn) == 0) {
        hw_map_guest_ldt_page(offset >> PAGE_SHIFT, mfn);
        return true;
    }
    pv_set_guest_cr2(current->ldt_base + offset);
    pv_inject_exception(r, TRAP_page_fault, true, r->error_code);
    return true;
}

/*
 * QEMU's TCG reads the frame of a ring-3 IRETQ with supervisor accesses,
 * so with SMAP on a guest's own iretq (Linux uses one in sync_core) faults
 * as a supervisor read of its user stack. Real CPUs never do this. pvshim
 * performs that iretq itself, as the CPU would from ring 3 to ring 3.
 */
#define PFEC_present    (1u << 0)
#define PFEC_write      (1u << 1)

static bool tcg_smap_iretq(struct cpu_regs *r)
{
    uint8_t insn[2];
    uint64_t f[5];      /* RIP, CS, RFLAGS, RSP, SS */
    if (!hw_smap_active() || (r->error_code & (PFEC_user | PFEC_write)) ||
        !(r->error_code & PFEC_present))
        return false;
    if (copy_from_guest(insn, r->rip, 2) || insn[0] != 0x48 || insn[1] != 0xcf)
        return false;
    if (copy_from_guest(f, r->rsp, sizeof(f)))
        return false;
    /* Ring 3 to ring 3 only; anything else is the guest's #GP to take. */
    if ((f[1] & 3) != 3 || (f[4] & 3) != 3)
        return false;
    r->rip = f[0];
    r->cs = f[1] & 0xffff;
    /* IOPL is 0 in ring 3: IF and IOPL cannot change; VM and VIF/VIP stay clear. */
    const uint64_t changeable = 0x254dd5;   /* CF PF AF ZF SF TF DF OF NT RF AC ID */
    r->rflags = (r->rflags & ~changeable) | (f[2] & changeable);
    r->rsp = f[3];
    r->ss = f[4] & 0xffff;
    abi_trace_event("iretq emulated (QEMU TCG SMAP quirk)");
    return true;
}

/*
 * QEMU's multi-threaded TCG can keep a translation of guest code that
 * another vCPU rewrote while it was being translated: it reads the bytes,
 * the other vCPU's store drops the page's translations, then the new one
 * is added, stale, and stays until the page is written again. Linux's
 * text_poke_bp (int3 over the first byte, the rest, then the new first
 * byte, syncing every CPU in between) then leaves an int3 that every vCPU
 * keeps executing after the patcher has forgotten it: the guest's handler
 * finds no patch in progress and oopses ("Oops: int3"). On hardware a
 * vCPU executes the int3 only while it is in memory.
 * So a 64-bit guest's #BP whose int3 is no longer in memory is not
 * bounced: an atomic OR of 0 on that byte (which changes nothing) makes
 * QEMU drop every translation of it, and the vCPU runs the instruction
 * now there. Linux does the same itself for an int3 removed after it was
 * hit (kprobe_int3_handler). Returns false for any other #BP (user mode,
 * `int $3`, an unreadable address): those are bounced as Xen bounces them.
 */
static bool stale_int3(struct cpu_regs *r)
{
    uint8_t byte, before;
    vaddr_t at = r->rip - 1;
    /* Only the guest kernel's own text is patched this way; user mode keeps
     * Xen's behaviour exactly. */
    if (dom.compat || !current->kernel_mode || copy_from_guest(&byte, at, 1) || byte == 0xcc)
        return false;
    /* `int $3` (CD 03) raises the same #BP, from an instruction that is
     * still there: bounced, as by Xen. */
    if (byte == 0x03 && (copy_from_guest(&before, at - 1, 1) || before == 0xcd))
        return false;
    /* The walk reads the MMU's view of the tables: locked. */
    pv_entry_lock(PV_SITE_EXCEPTION + TRAP_int3);
    struct pv_walk w;
    if (!pv_mm_walk(at, current->kernel_mode, &w))
        return false;
    uint8_t *p = phys_access(mfn_to_paddr(w.mfn) + (at & (PAGE_SIZE - 1)), 1);
    if (!p)
        return false;
    __atomic_fetch_or(p, 0, __ATOMIC_SEQ_CST);
    r->rip = at;
    abi_trace_event("int3 no longer in memory: run again (QEMU TCG stale code)");
    return true;
}

static void page_fault(struct cpu_regs *r, vaddr_t cr2)
{
    struct pv_vcpu *v = current;
    vaddr_t ldt = hw_ldt_window();
    bool ptwr = v->kernel_mode && (r->error_code & 3) == 3 &&
                (dom.vm_assist & (1ul << VMASST_TYPE_writable_pagetables));
    bool smap_quirk = hw_smap_active() && !(r->error_code & (PFEC_user | PFEC_write)) &&
                      (r->error_code & PFEC_present);
    if (ptwr || smap_quirk || (cr2 >= ldt && cr2 < ldt + LDT_WINDOW_PAGES * PAGE_SIZE)) {
        /* The LDT window and writable page tables reach the MMU: locked. */
        pv_entry_lock(PV_SITE_EXCEPTION + TRAP_page_fault);
        if (ldt_fault(r, cr2, ldt) || tcg_smap_iretq(r))
            return;
        if (ptwr && pv_ptwr_fault(r, cr2, r->error_code)) {
            abi_trace_event("writable page-table write emulated");
            return;
        }
    }
    /* The hardware saw ring 3 either way; tell the guest which mode it was. */
    uint64_t ec = (r->error_code & ~(uint64_t)PFEC_user) | (v->kernel_mode ? 0 : PFEC_user);
    pv_set_guest_cr2(cr2);
    pv_inject_exception(r, TRAP_page_fault, true, ec);
}

void guest_exception(struct cpu_regs *r)
{
    /* Read CR2 before anything else can fault and overwrite it. */
    vaddr_t cr2 = r->vector == TRAP_page_fault ? hw_read_cr2() : 0;
    struct pv_vcpu *v = entered(r);

    /*
     * A 64-bit guest's exception starts without the PV lock (pv_trap_lock):
     * the cases below that emulate or reach shared state take it; the
     * others only bounce the exception to the guest (see lock_free_entry).
     */
    switch (r->vector) {
    case TRAP_page_fault:
        page_fault(r, cr2);
        return;
    case TRAP_gp_fault:
        pv_entry_lock(PV_SITE_EXCEPTION + TRAP_gp_fault);
        if (software_interrupt(r))
            return;
        if (r->error_code == 0 && pv_emulate_privileged_op(r))
            return;
        pv_inject_exception(r, TRAP_gp_fault, true, r->error_code);
        return;
    case TRAP_invalid_op:
        pv_entry_lock(PV_SITE_EXCEPTION + TRAP_invalid_op);
        if (pv_emulate_invalid_op(r))
            return;
        pv_inject_exception(r, TRAP_invalid_op, false, 0);
        return;
    case TRAP_int3:
        if (stale_int3(r))
            return;
        pv_inject_exception(r, TRAP_int3, false, 0);
        return;
    case TRAP_no_device:
        /* pvshim never uses the FPU, so TS is set only when the guest asked. */
        hw_set_ts(false);
        if (v->fpu_ts) {
            v->fpu_ts = false;
            pv_inject_exception(r, TRAP_no_device, false, 0);
        }
        return;
    case TRAP_nmi:
        pv_entry_lock(PV_SITE_EXCEPTION + TRAP_nmi);
        log_warn("NMI while the guest ran; ignored");
        return;
    case TRAP_machine_check:
        pv_crash("machine check while the guest ran");
    default:
        pv_inject_exception(r, (unsigned)r->vector, trap_has_error_code((unsigned)r->vector),
                            r->error_code);
        return;
    }
}

/*
 * `int $0x80` reaches pvshim through a DPL-3 gate, as Xen's direct path
 * does: with a guest handler for 0x80 it is bounced there whatever the
 * entry's DPL; without one the guest gets the #GP the CPU would give.
 */
void guest_int80(struct cpu_regs *r)
{
    struct pv_vcpu *v = entered(r);
    if (v->trap_ctxt[0x80].address) {
        pv_inject_exception(r, 0x80, false, 0);
        return;
    }
    r->rip -= 2;
    pv_inject_exception(r, TRAP_gp_fault, true, (0x80 << 3) | 2);
}

void guest_return_failed(struct cpu_regs *r)
{
    struct pv_vcpu *v = entered(r);
    if (dom.compat) {
        compat_return_failed(r);
        return;
    }
    if (!v->failsafe_callback || r->rip == v->failsafe_callback)
        pv_crash("cannot return to the guest at %04llx:%#llx (stack %04llx:%#llx)",
                 (unsigned long long)r->cs, (unsigned long long)r->rip,
                 (unsigned long long)r->ss, (unsigned long long)r->rsp);
    /*
     * The failsafe frame adds the live data selectors: a Linux guest sees
     * they match its segment registers and so treats this as a bad iret.
     */
    uint16_t sel[4];
    hw_read_data_selectors(sel);
    r->cs |= 3;
    r->ss |= 3;
    pv_bounce_failsafe(r, sel);
}

/* guest_resume for v, the calling CPU's vCPU. */
static inline ALWAYS_INLINE void resume_on(struct pv_vcpu *v, struct cpu_regs *r)
{
    /* Taken down by another vCPU while it ran: it stops here. */
    if (unlikely(!__atomic_load_n(&v->up, __ATOMIC_ACQUIRE))) {
        pv_entry_lock(PV_SITE_OTHER);
        pv_vcpu_park();
    }
    if (v->event_callback && pv_events_deliverable_on(v))
        pv_bounce(r, v->event_callback, false, 0, true, "event upcall");
}

void guest_resume(struct cpu_regs *r)
{
    resume_on(current, r);
}

/*
 * Entries without the PV lock (domain.c): a 64-bit guest's system call
 * from user space (bounced to its kernel), the hypercalls the table marks
 * own (hypercall_defs.h), exceptions that are only bounced to the guest
 * (guest_exception), and the timer, kick and cross-call interrupts taken
 * while it ran (self_locking_irq). Why that is safe:
 *  - they read and write only this vCPU's own state, this CPU's registers
 *    and timers, and guest memory through this vCPU's page tables, or an
 *    event channel port under that port's own lock (event_channel.c); other
 *    CPUs change a running vCPU's state only under the lock, and a change
 *    that must stop it (VCPUOP_down) kicks it and is seen in resume_on;
 *  - a remote TLB flush is an IPI this CPU takes only once it re-enables
 *    interrupts, on its way back to the guest: every guest-memory access
 *    of the entry happens before any flush it is sent completes, so before
 *    the type change that flush guards becomes visible;
 *  - a base-pointer switch (user to kernel mode) clears this CPU's
 *    stale-TLB bit before its CR3 load, with an atomic operation
 *    (pv_mm_cr3_loading);
 *  - the counters they touch are atomic (abi_trace.c) or relaxed
 *    (pv_progress), and a crash or shutdown takes the lock itself.
 * A 32-bit guest's entries all take the lock.
 */
static bool lock_free_syscall(const struct pv_vcpu *v, const struct cpu_regs *r)
{
    if (dom.compat || r->vector == ENTRY_SYSENTER)
        return false;
    return !v->kernel_mode || hypercall_is_own(r);
}

static enum pv_lock_site syscall_site(const struct pv_vcpu *v, const struct cpu_regs *r)
{
    if (!v->kernel_mode || r->vector == ENTRY_SYSENTER)
        return PV_SITE_SYSCALL;
    return PV_SITE_HYPERCALL + (unsigned)MIN(r->rax, (uint64_t)NR_HYPERCALLS - 1);
}

/*
 * A 64-bit guest's hypercall, whole, on pc (the calling CPU): the row of
 * the table is looked up once, the call runs under the PV lock unless its
 * own column says it needs none (lock_free_syscall), then resume_on, as
 * for every system call. From guest_syscall_enter, or straight from the
 * SYSCALL entry (entry_fast.asm). A number past the table is row 63's,
 * which has no handler: -ENOSYS, counted and warned about as 63.
 */
void guest_hypercall(struct cpu_regs *r, struct pcpu *pc)
{
    struct pv_vcpu *v = pc->curr;
    v->regs = r;
    unsigned op = (unsigned)MIN(r->rax, (uint64_t)NR_HYPERCALLS - 1);
    const struct hypercall_row *h = &pv64_rows[op];
    enum pv_lock_site site = PV_SITE_HYPERCALL + op;
    uint64_t a0 = r->rdi;
    if (!hypercall_row_is_own(h, a0, r->rsi))
        pv_lock_on_at(pc, site);
    pv_progress();
    long rc = h->fn ? h->fn(a0, r->rsi, r->rdx, r->r10, r->r8, 0) : -XEN_ENOSYS;
    hypercall_counted(op, h, a0, rc);
    r->rax = (uint64_t)rc;
    resume_on(v, r);
    pv_entry_unlock(pc, site);
}

/*
 * The path of every guest system call, its bounce to the guest kernel and
 * the kernel's HYPERVISOR_iret back, as one function: the calling CPU and
 * its vCPU are looked up once and kept (the vCPU a CPU runs never changes
 * while it is in pvshim).
 */
void guest_syscall_enter(struct cpu_regs *r)
{
    struct pcpu *pc = this_pcpu();
    if (!dom.compat && pc->curr->kernel_mode && r->vector != ENTRY_SYSENTER) {
        guest_hypercall(r, pc);
        return;
    }
    struct pv_vcpu *v = entered_on(pc->curr, r);
    enum pv_lock_site site = syscall_site(v, r);
    if (!lock_free_syscall(v, r))
        pv_lock_on_at(pc, site);
    syscall_on(v, r);
    resume_on(v, r);
    pv_entry_unlock(pc, site);
}

/*
 * Interrupts whose handlers take the lock themselves where they need it:
 * the timer (soft timers that are not own_cpu take it, pv_timer_lock),
 * kicks (timers, then the event check of resume_on) and cross-calls (TLB
 * flushes). The timer's VIRQ and the event upcall need only a port's lock
 * (event_channel.c). Device interrupts and L0's upcall reach backends:
 * locked from the start.
 */
static bool self_locking_irq(uint64_t vector)
{
    return vector == VECTOR_LAPIC_TIMER || vector == VECTOR_KICK_IPI ||
           vector == VECTOR_CALL_IPI;
}

/* A 64-bit guest's exception, or one of those interrupts taken while it
 * ran (so not in an idle wait: see pv_flush_vcpus_tlb): it takes the lock
 * itself if it needs it. */
static bool lock_free_entry(const struct cpu_regs *r)
{
    return (r->cs & 3) && !dom.compat && (r->vector < 32 || self_locking_irq(r->vector));
}

static enum pv_lock_site trap_site(const struct cpu_regs *r)
{
    return r->vector < 32 ? PV_SITE_EXCEPTION + (unsigned)r->vector : PV_SITE_INTERRUPT;
}

/* CPU n is in an interrupt entry that started without the lock. */
static bool in_lazy_irq[MAX_PCPUS];

bool pv_trap_lock(const struct cpu_regs *r)
{
    if (lock_free_entry(r)) {
        in_lazy_irq[this_pcpu()->id] = r->vector >= 32;
        return true;
    }
    pv_lock_on_at(this_pcpu(), r->vector >= 32 ? PV_SITE_INTERRUPT : PV_SITE_OTHER);
    return false;
}

void pv_trap_unlock(const struct cpu_regs *r, bool lazy)
{
    struct pcpu *pc = this_pcpu();
    if (lazy) {
        in_lazy_irq[pc->id] = false;
        pv_entry_unlock(pc, trap_site(r));
    } else {
        pv_unlock_on(pc);
    }
}

/* Elsewhere the interrupt's entry holds the lock already. */
void pv_timer_lock(void)
{
    if (in_lazy_irq[this_pcpu()->id])
        pv_entry_lock(PV_SITE_INTERRUPT);
}

/*
 * The entry fast paths (shim/arch/x86/entry_fast.asm, trap_fast.asm) count their uses in
 * each vCPU; said once at the end, so a test can see that it was taken.
 */
void pv_fast_path_report(void)
{
    uint64_t syscalls = 0, irets = 0, faults = 0;
    for (unsigned i = 0; i < dom.nr_vcpus; i++) {
        syscalls += dom.vcpu[i].fast_syscalls;
        irets += dom.vcpu[i].fast_irets;
        faults += dom.vcpu[i].fast_page_faults;
    }
    log_info("entry fast path: %llu system calls, %llu irets, %llu page faults",
             (unsigned long long)syscalls, (unsigned long long)irets,
             (unsigned long long)faults);
}
