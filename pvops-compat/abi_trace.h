/*
 * What the guest used of the PV ABI: every hypercall and sub-operation,
 * how often, and how often it was refused. Counted with `trace=abi` only,
 * in a table its caller gives (abi_trace_enable), and printed at shutdown.
 * Something pvshim does not implement is warned about once, when first
 * seen, with or without it.
 */
#ifndef PVSHIM_ABI_TRACE_H
#define PVSHIM_ABI_TRACE_H

#include <pvshim/types.h>
#include <pvshim/compiler.h>

#define ABI_SUB_NONE    0xffffu     /* a hypercall without sub-operations */

extern bool abi_trace_enabled;     /* set by abi_trace_enable only */

/* 64 hypercalls x 64 sub-operation rows x 3 counts of 4 bytes. */
#define ABI_TRACE_COUNTER_BYTES (64 * 64 * 12)

/* Count and report from now on, in counters (ABI_TRACE_COUNTER_BYTES, zeroed). */
void abi_trace_enable(void *counters);

/* abi_trace_call's work: counting, and the warning about a refusal. */
void abi_trace_count(unsigned op, unsigned sub, long rc);

/*
 * Count one use of hypercall op (sub-operation sub) that returned rc.
 * Inline: without trace=abi only a refusal has anything to do (its warning).
 */
static inline void abi_trace_call(unsigned op, unsigned sub, long rc)
{
    if (abi_trace_enabled || unlikely(rc < 0))
        abi_trace_count(op, sub, rc);
}

/* Count one use of something that is not a hypercall (emulated instruction, trap). */
void abi_trace_event(const char *what);

/* Hypercall op's name ("unknown" for none). */
const char *abi_trace_op_name(unsigned op);

/* Print the table (when enabled). */
void abi_trace_report(void);

#endif
