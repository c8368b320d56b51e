/* The hypercall entry: from a guest-kernel SYSCALL to a do_* handler. */
#ifndef PVSHIM_HYPERCALL_H
#define PVSHIM_HYPERCALL_H

#include <pvshim/cpu_regs.h>

#define NR_HYPERCALLS 64

/* A handler's argument adapter: the six argument words, as the ABI reads them. */
typedef long (*hypercall_fn)(const uint64_t a[6]);

/*
 * How a guest width passes hypercalls: its column of the table
 * (hypercall_defs.h), where its arguments are (six words from the
 * registers; a 32-bit guest's zero-extended), and the width of a word in
 * memory and in the result register (multicall entries: op, result and
 * six arguments of that width).
 */
struct pv_abi {
    const hypercall_fn *table;      /* NR_HYPERCALLS entries, NULL: -ENOSYS */
    void (*read_args)(const struct cpu_regs *r, uint64_t a[6]);
    unsigned word;                  /* 8 or 4 bytes */
};
extern const struct pv_abi pv64_abi;   /* hypercall.c; pv32_abi: compat.h */

/* Hypercall op of the ABI with its six argument words; counted by trace=abi. */
long hypercall_invoke(const struct pv_abi *abi, uint64_t op, const uint64_t args[6]);
/* rc as the ABI's result word (a 32-bit guest's EAX, zero-extended). */
static inline uint64_t hypercall_result_word(const struct pv_abi *abi, long rc)
{
    return abi->word == sizeof(uint32_t) ? (uint32_t)rc : (uint64_t)rc;
}
/* The hypercall in r (number in RAX), its result to RAX. */
void hypercall_dispatch_abi(const struct pv_abi *abi, struct cpu_regs *r);
/* multicall for the ABI: nr entries at list (multicall.c). */
long multicall_run(const struct pv_abi *abi, vaddr_t list, uint32_t nr);

/*
 * The table's own column (hypercall_defs.h): whether a call with these
 * argument words touches only the calling vCPU's own state.
 */
typedef bool (*hypercall_own_fn)(const uint64_t a[6]);
bool hc_own(const uint64_t a[6]);
bool own_vcpu_op(const uint64_t a[6]);
bool own_sched_op(const uint64_t a[6]);
bool own_event_channel_op(const uint64_t a[6]);

/* Whether the 64-bit guest's hypercall in r may run without the PV lock. */
bool hypercall_is_own(const struct cpu_regs *r);

/* A 64-bit guest's: handle the hypercall in r; the result goes to RAX. */
void hypercall_dispatch(struct cpu_regs *r);

/* A 64-bit guest's hypercall op with five arguments. */
long hypercall_call(uint64_t op, const uint64_t args[5]);

#endif
