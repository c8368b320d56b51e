/*
 * What each physical CPU keeps for itself (as Xen's struct cpu_info): the
 * vCPU it runs, where entries from the guest land, its reserved GDT page
 * and its hardware timer. Only the CPU itself changes its own struct pcpu,
 * except while the CPU is being brought up by the boot CPU.
 */
#ifndef PVSHIM_PERCPU_H
#define PVSHIM_PERCPU_H

#include <pvshim/types.h>
#include <pvshim/layout.h>

/* Physical CPUs pvshim drives at most; the rest are left in reset. */
#define MAX_PCPUS 32

struct pv_vcpu;
struct pcpu_stacks;

struct pcpu {
    struct pv_vcpu *curr;       /* the vCPU this CPU runs (`current`) */
    unsigned id;                /* 0 = boot CPU, dense */
    uint32_t apic_id;
    uint64_t entry_stack_top;   /* guest entries (TSS RSP0, SYSCALL, SYSENTER) */
    uint64_t *reserved_gdt;     /* pvshim's own GDT entries (pages 14-15) */
    uint64_t timer_deadline;    /* now_ns() of the armed LAPIC one-shot; 0: none */
    uint64_t syscall_scratch;   /* the guest RSP while SYSCALL entry switches stacks */
    struct pcpu_stacks *stacks; /* entry and IST stacks, TSS (arch) */
    volatile bool online;       /* set by the CPU itself once it runs pvshim */
    volatile bool call_pending; /* smp_call request for this CPU (smp.c) */
} __attribute__((aligned(64)));

extern struct pcpu pcpus[MAX_PCPUS];
extern unsigned nr_pcpus;       /* CPUs 0 .. nr_pcpus-1 are online */

#ifdef PVSHIM_HOSTED
/* The calling CPU's struct pcpu (the unit tests' fake: one CPU). */
struct pcpu *this_pcpu(void);
#else
/*
 * The calling CPU's struct pcpu, from its stack pointer. After boot every
 * stack a CPU runs pvshim on lies in one naturally aligned block of
 * PCPU_STACK_SIZE whose last word points at its struct pcpu (struct
 * pcpu_stacks, shim/arch/x86/arch.h); before its first entry into the
 * guest the boot CPU runs on boot_stack. Inline: every path into pvshim
 * asks for it, often (hot code still looks it up once and keeps it).
 */
#define PCPU_STACK_SIZE 0x8000
extern char boot_stack[];
static inline struct pcpu *this_pcpu(void)
{
    uintptr_t sp;
    __asm__("mov %%rsp, %0" : "=r"(sp));
    if (__builtin_expect(sp - (uintptr_t)boot_stack < BOOT_STACK_SIZE, 0))
        return &pcpus[0];
    return *(struct pcpu *const *)((sp & ~(uintptr_t)(PCPU_STACK_SIZE - 1)) +
                                   PCPU_STACK_SIZE - sizeof(struct pcpu *));
}
#endif

/*
 * Run fn(arg) on every online CPU in cpumask (bit n = pcpus[n]), the
 * caller's own included, and return once all have finished. fn runs with
 * interrupts off, in interrupt context on the others: it must not block
 * or take locks the interrupted code could hold.
 */
void smp_call(uint64_t cpumask, void (*fn)(void *), void *arg);

/*
 * Make CPU n leave the guest or its idle wait and look at its state again
 * (an event for its vCPU, a timer armed from elsewhere, VCPUOP_up/down).
 * Nothing is waited for; a kick of the calling CPU itself does nothing.
 */
void smp_kick(unsigned n);

/* Run a cross-call addressed to the calling CPU, if one is waiting: for
 * loops that spin with interrupts off (a lock's waiters). */
void smp_serve_calls(void);

/* Flush the TLBs (global pages too) of the CPUs in cpumask; done on return. */
void smp_flush_tlb(uint64_t cpumask);

/* Invalidate va's translation (a global one too) in the TLBs of the CPUs
 * in cpumask, and nothing else; done on return. */
void smp_invlpg(uint64_t cpumask, vaddr_t va);

#endif
