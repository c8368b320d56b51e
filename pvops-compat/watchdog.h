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
extern uint64_t pv_progress_count;

/*
 * The guest showed a sign of life (called on every hypercall, some of them
 * without the PV lock): a relaxed load and store, no locked instruction.
 * The watchdog only asks whether the count changed, and an increment lost
 * to a race on another CPU still changes it.
 */
static inline void pv_progress(void)
{
    __atomic_store_n(&pv_progress_count,
                     __atomic_load_n(&pv_progress_count, __ATOMIC_RELAXED) + 1, __ATOMIC_RELAXED);
}

#endif
