/*
 * The PV lock's counts (pv_lock.h), summed over the CPUs and printed at
 * shutdown with trace=boot: per site, how often an entry took the lock,
 * how often it had to wait for it (another CPU held it), how long those
 * waits took, and how often it ran without it. Waits / taken is the contention of that site, a ratio
 * that depends little on the host's load.
 */
#include "pv_lock.h"
#include "abi_trace.h"
#include <pvshim/log.h>
#include <pvshim/string.h>

struct pv_lock_count pv_lock_counts[MAX_PCPUS][PV_SITES];
bool pv_lock_stats_enabled;

static void site_name(unsigned site, char *buf, size_t len)
{
    unsigned op = site - PV_SITE_HYPERCALL;
    if (site < PV_SITE_EXCEPTION && strcmp(abi_trace_op_name(op), "unknown"))
        snprintf(buf, len, "hypercall %s", abi_trace_op_name(op));
    else if (site < PV_SITE_EXCEPTION)
        snprintf(buf, len, "hypercall %u", op);
    else if (site < PV_SITE_SYSCALL)
        snprintf(buf, len, "exception %u", site - PV_SITE_EXCEPTION);
    else if (site == PV_SITE_SYSCALL)
        snprintf(buf, len, "user syscall");
    else if (site == PV_SITE_INTERRUPT)
        snprintf(buf, len, "interrupt");
    else if (site == PV_SITE_WAKE)
        snprintf(buf, len, "wake from idle");
    else
        snprintf(buf, len, "other");
}

void pv_lock_stats_report(void)
{
    if (!pv_lock_stats_enabled)
        return;
    uint32_t all_taken = 0, all_waited = 0, all_free = 0;
    uint64_t all_wait_us = 0;
    for (unsigned site = 0; site < PV_SITES; site++) {
        uint32_t taken = 0, waited = 0, lock_free = 0;
        uint64_t wait_us = 0;
        for (unsigned cpu = 0; cpu < MAX_PCPUS; cpu++) {
            taken += pv_lock_counts[cpu][site].taken;
            waited += pv_lock_counts[cpu][site].waited;
            lock_free += pv_lock_counts[cpu][site].lock_free;
            wait_us += pv_lock_counts[cpu][site].wait_us;
        }
        if (!taken && !lock_free)
            continue;
        all_taken += taken;
        all_waited += waited;
        all_free += lock_free;
        all_wait_us += wait_us;
        char name[48];
        site_name(site, name, sizeof(name));
        log_info("pv-lock: %-32s taken %10u waited %8u (%3u%%) lock-free %10u wait %8llu us",
                 name, taken, waited, taken ? (unsigned)(100ull * waited / taken) : 0,
                 lock_free, (unsigned long long)wait_us);
    }
    log_info("pv-lock: %-32s taken %10u waited %8u (%3u%%) lock-free %10u wait %8llu us", "all",
             all_taken, all_waited, all_taken ? (unsigned)(100ull * all_waited / all_taken) : 0,
             all_free, (unsigned long long)all_wait_us);
}
