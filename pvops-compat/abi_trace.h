/*
 * What the guest used of the PV ABI: every hypercall and sub-operation,
 * how often, and how often it was refused. Counted always (it is cheap);
 * printed at shutdown with `trace=abi`. Something pvshim does not implement
 * is also warned about once, when first seen.
 */
#ifndef PVSHIM_ABI_TRACE_H
#define PVSHIM_ABI_TRACE_H

#include <pvshim/types.h>

#define ABI_SUB_NONE    0xffffu     /* a hypercall without sub-operations */

extern bool abi_trace_enabled;

/* Count one use of hypercall op (sub-operation sub) that returned rc. */
void abi_trace_call(unsigned op, unsigned sub, long rc);

/* Count one use of something that is not a hypercall (emulated instruction, trap). */
void abi_trace_event(const char *what);

/* Hypercall op's name ("unknown" for none). */
const char *abi_trace_op_name(unsigned op);

/* Print the table (when enabled). */
void abi_trace_report(void);

#endif
