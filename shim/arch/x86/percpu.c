/*
 * Per-physical-CPU state (include/pvshim/percpu.h). Until application
 * processors are brought up only the boot CPU exists, and this_pcpu() is
 * pcpus[0].
 */
#include <pvshim/percpu.h>
#include <pvshim/compiler.h>
#include <stddef.h>
#include "domain.h"

struct pcpu pcpus[MAX_PCPUS] = {
    /* The boot CPU runs vCPU 0 from the start, so `current` is never NULL. */
    [0] = { .curr = &dom.vcpu[0] },
};
unsigned nr_pcpus = 1;

/* entry.asm reads the entry stack top of a CPU at this offset. */
STATIC_ASSERT(offsetof(struct pcpu, entry_stack_top) == 16, "PCPU_ENTRY_STACK_TOP in entry.asm");

struct pcpu *this_pcpu(void)
{
    return &pcpus[0];
}
