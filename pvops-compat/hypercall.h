/* The hypercall entry: from a guest-kernel SYSCALL to a do_* handler. */
#ifndef PVSHIM_HYPERCALL_H
#define PVSHIM_HYPERCALL_H

#include <pvshim/cpu_regs.h>
#include "abi_trace.h"

#define NR_HYPERCALLS 64

/* A handler's argument adapter: the six argument words, as the ABI reads
 * them, passed in registers. */
#define HC_ARGS uint64_t a0, uint64_t a1, uint64_t a2, uint64_t a3, uint64_t a4, uint64_t a5
typedef long (*hypercall_fn)(HC_ARGS);

/*
 * The table's own column (hypercall_defs.h): whether a call whose first
 * two argument words are these touches only the calling vCPU's own state.
 */
typedef bool (*hypercall_own_fn)(uint64_t a0, uint64_t a1);
/* Always own: rows compare their column with it (hidden, so that -fpie
 * takes its address from the code, not from the GOT). */
__attribute__((visibility("hidden"))) bool hc_own(uint64_t a0, uint64_t a1);
bool own_vcpu_op(uint64_t a0, uint64_t a1);
bool own_sched_op(uint64_t a0, uint64_t a1);
bool own_event_channel_op(uint64_t a0, uint64_t a1);

/* One hypercall's row of an ABI's table (hypercall_defs.h). */
struct hypercall_row {
    hypercall_fn fn;            /* NULL: -ENOSYS */
    hypercall_own_fn own;       /* HC_LOCKED (NULL), hc_own, or a predicate */
    bool subop;                 /* the first argument is a sub-operation */
};

/*
 * How a guest width passes hypercalls: its table (hypercall_defs.h),
 * where its arguments are (six words from the registers; a 32-bit guest's
 * zero-extended), and the width of a word in memory and in the result
 * register (multicall entries: op, result and six arguments of that width).
 */
struct pv_abi {
    const struct hypercall_row *rows;   /* NR_HYPERCALLS rows */
    void (*read_args)(const struct cpu_regs *r, uint64_t a[6]);
    unsigned word;                  /* 8 or 4 bytes */
};
extern const struct pv_abi pv64_abi;   /* hypercall.c; pv32_abi: compat.h */
/* The 64-bit guest's table: the entry (entry.c) runs a hypercall from it. */
extern const struct hypercall_row pv64_rows[NR_HYPERCALLS];

/* Whether row h's call with these first two argument words may run without the PV lock. */
static inline bool hypercall_row_is_own(const struct hypercall_row *h, uint64_t a0, uint64_t a1)
{
    return h->own && (h->own == hc_own || h->own(a0, a1));
}

/*
 * trace=abi's count of a call of op (row h, NULL past the table) with
 * first argument a0 that returned rc, and the warning about a refusal:
 * what hypercall_invoke does after the call (inline: without trace=abi
 * only a refusal has anything to do).
 */
void hypercall_count(uint64_t op, const struct hypercall_row *h, uint64_t a0, long rc);
static inline void hypercall_counted(uint64_t op, const struct hypercall_row *h, uint64_t a0,
                                     long rc)
{
    if (abi_trace_enabled || unlikely(rc < 0))
        hypercall_count(op, h, a0, rc);
}

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

/* Whether the 64-bit guest's hypercall in r may run without the PV lock. */
bool hypercall_is_own(const struct cpu_regs *r);

/* A 64-bit guest's: handle the hypercall in r; the result goes to RAX. */
void hypercall_dispatch(struct cpu_regs *r);

/* A 64-bit guest's hypercall op with five arguments. */
long hypercall_call(uint64_t op, const uint64_t args[5]);

#endif
