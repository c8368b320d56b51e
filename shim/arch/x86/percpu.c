/*
 * Per-physical-CPU state (include/pvshim/percpu.h). A CPU finds its struct
 * pcpu from its stack pointer: after boot every stack it runs pvshim on
 * lies in its naturally aligned struct pcpu_stacks, whose last word points
 * back at it (arch.h). Before its first entry into the guest the boot CPU
 * still runs on boot_stack, which is only ever the boot CPU's.
 */
#include <pvshim/percpu.h>
#include <pvshim/compiler.h>
#include <stddef.h>
#include "domain.h"
#include "arch.h"

struct pcpu pcpus[MAX_PCPUS] = {
    /* The boot CPU runs vCPU 0 from the start, so `current` is never NULL. */
    [0] = { .curr = &dom.vcpu[0] },
};
unsigned nr_pcpus = 1;

/* entry.asm's view of struct pcpu. */
STATIC_ASSERT(sizeof(struct pcpu) == 64, "PCPU_SIZE in entry.asm");
STATIC_ASSERT(MAX_PCPUS == 32, "MAX_PCPUS in entry.asm");
STATIC_ASSERT(offsetof(struct pcpu, entry_stack_top) == 16, "PCPU_ENTRY_STACK_TOP in entry.asm");
STATIC_ASSERT(offsetof(struct pcpu, syscall_scratch) == 40, "PCPU_SYSCALL_SCRATCH in entry.asm");
/* this_pcpu()'s view of struct pcpu_stacks. */
STATIC_ASSERT(offsetof(struct pcpu_stacks, self) == PCPU_STACK_SIZE - sizeof(struct pcpu *),
              "the stack block's last word");

NORETURN void arch_enter_guest_on(const struct cpu_regs *r, uint64_t stack_top);
NORETURN void arch_enter_guest(const struct cpu_regs *r);

/* The first entry into the guest, on the calling CPU's entry stack. */
void arch_enter_guest(const struct cpu_regs *r)
{
    arch_compat_leave_shim();
    arch_enter_guest_on(r, this_pcpu()->entry_stack_top);
}
