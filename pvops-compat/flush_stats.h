/*
 * The remote TLB flushes the PV layer asks other CPUs for (domain.c:
 * pv_flush_vcpus_tlb, pv_invlpg_vcpus), counted per sending CPU and
 * printed at shutdown with trace=boot: how many CPUs were interrupted for
 * a full flush and how many for one page, how many full flushes were left
 * to an idle CPU's wake-up instead, and how long the senders waited for
 * the others to finish (host time: with the VM's CPUs on a busy host,
 * the wait for a descheduled CPU shows here).
 */
#ifndef PVSHIM_FLUSH_STATS_H
#define PVSHIM_FLUSH_STATS_H

#include <pvshim/types.h>
#include <pvshim/percpu.h>

/* One CPU's counts as a sender; only that CPU writes them. */
struct pv_flush_count {
    uint64_t full;          /* CPUs sent a full flush */
    uint64_t page;          /* CPUs sent a single-page invalidation */
    uint64_t deferred;      /* idle CPUs left to flush in full when they wake */
    uint64_t calls;         /* cross-calls made (each to one CPU or more) */
    uint64_t wait_ns;       /* time in those cross-calls */
};
extern struct pv_flush_count pv_flush_counts[MAX_PCPUS];

/* The sum over the CPUs. */
struct pv_flush_count pv_flush_stats_sum(void);
/* Print the sum (when enabled: trace=boot, as pv_lock_stats_enabled). */
void pv_flush_stats_report(void);

#endif
