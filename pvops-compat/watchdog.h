/*
 * Watchdogs that end a stuck guest with the watchdog status: the guest's
 * own (SCHEDOP_watchdog, two timers as on Xen) and pvshim's (`watchdog=N`:
 * no hypercall for N seconds means the guest is hung).
 */
#ifndef PVSHIM_WATCHDOG_H
#define PVSHIM_WATCHDOG_H

#include <pvshim/types.h>

long pv_watchdog_op(vaddr_t arg);
void pv_watchdog_host_start(unsigned seconds);
/* The guest showed a sign of life (called on every hypercall). */
extern uint64_t pv_progress_count;

#endif
