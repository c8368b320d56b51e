/* The remote flush counts (flush_stats.h), summed and printed at shutdown. */
#include "flush_stats.h"
#include "pv_lock.h"
#include <pvshim/log.h>

struct pv_flush_count pv_flush_counts[MAX_PCPUS];

struct pv_flush_count pv_flush_stats_sum(void)
{
    struct pv_flush_count s = { 0, 0, 0, 0, 0 };
    for (unsigned cpu = 0; cpu < MAX_PCPUS; cpu++) {
        s.full += pv_flush_counts[cpu].full;
        s.page += pv_flush_counts[cpu].page;
        s.deferred += pv_flush_counts[cpu].deferred;
        s.calls += pv_flush_counts[cpu].calls;
        s.wait_ns += pv_flush_counts[cpu].wait_ns;
    }
    return s;
}

void pv_flush_stats_report(void)
{
    if (!pv_lock_stats_enabled)
        return;
    struct pv_flush_count s = pv_flush_stats_sum();
    log_info("remote flush: %llu sent (%llu full, %llu single page) in %llu cross-calls, "
             "%llu deferred to idle CPUs, %llu us waited",
             (unsigned long long)(s.full + s.page), (unsigned long long)s.full,
             (unsigned long long)s.page, (unsigned long long)s.calls,
             (unsigned long long)s.deferred, (unsigned long long)(s.wait_ns / 1000));
}
