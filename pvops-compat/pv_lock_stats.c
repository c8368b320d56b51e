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
    struct pv_lock_count sum = { 0, 0, 0, 0 };
    for (unsigned site = 0; site < PV_SITES; site++) {
        struct pv_lock_count c = { 0, 0, 0, 0 };
        for (unsigned cpu = 0; cpu < MAX_PCPUS; cpu++) {
            c.taken += pv_lock_counts[cpu][site].taken;
            c.waited += pv_lock_counts[cpu][site].waited;
            c.lock_free += pv_lock_counts[cpu][site].lock_free;
            c.wait_ns += pv_lock_counts[cpu][site].wait_ns;
        }
        if (!c.taken && !c.lock_free)
            continue;
        sum.taken += c.taken;
        sum.waited += c.waited;
        sum.lock_free += c.lock_free;
        sum.wait_ns += c.wait_ns;
        char name[48];
        site_name(site, name, sizeof(name));
        log_info("pv-lock: %-32s taken %10u waited %8u (%3u%%) lock-free %10u wait %8llu us",
                 name, c.taken, c.waited, c.taken ? (unsigned)(100ull * c.waited / c.taken) : 0,
                 c.lock_free, (unsigned long long)(c.wait_ns / 1000));
    }
    log_info("pv-lock: %-32s taken %10u waited %8u (%3u%%) lock-free %10u wait %8llu us", "all",
             sum.taken, sum.waited, sum.taken ? (unsigned)(100ull * sum.waited / sum.taken) : 0,
             sum.lock_free, (unsigned long long)(sum.wait_ns / 1000));
}
