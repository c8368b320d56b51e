/* The hypercall entry: from a guest-kernel SYSCALL to a do_* handler. */
#ifndef PVSHIM_HYPERCALL_H
#define PVSHIM_HYPERCALL_H

#include <pvshim/cpu_regs.h>

#define NR_HYPERCALLS 64

/* Handle the hypercall in r (number in RAX); the result goes to RAX. */
void hypercall_dispatch(struct cpu_regs *r);

/* Call hypercall op with five arguments (multicall uses this too). */
long hypercall_call(uint64_t op, const uint64_t args[5]);

#endif
