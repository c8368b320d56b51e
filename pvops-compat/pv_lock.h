/*
 * The PV lock (what it protects and when it is held: domain.c), inline for
 * the paths every guest entry takes: pv_lock()/pv_unlock() are these on the
 * calling CPU, and the SYSCALL entry (entry.c) uses them with the struct
 * pcpu it has already looked up.
 *
 * Every entry counts, per CPU and per site (what the guest entered for),
 * how often it took the lock, how often it had to wait for it, and how
 * often it ran without it (pv_lock_stats.c prints them at shutdown with
 * trace=boot).
 */
#ifndef PVSHIM_PV_LOCK_H
#define PVSHIM_PV_LOCK_H

#include <pvshim/spinlock.h>
#include <pvshim/percpu.h>
#include <pvshim/hw.h>
#include <pvshim/time.h>
#include "domain.h"

extern spinlock_t pv_big_lock;
extern unsigned pv_lock_depth;      /* nesting on the holding CPU */

/* What an entry into pvshim was for. */
enum pv_lock_site {
    PV_SITE_HYPERCALL = 0,          /* + the hypercall's number (< 64) */
    PV_SITE_EXCEPTION = 64,         /* + the vector (< 32) of a guest exception */
    PV_SITE_SYSCALL = 96,           /* a system call from guest user space */
    PV_SITE_INTERRUPT = 97,         /* an interrupt (IPIs included) */
    PV_SITE_WAKE = 98,              /* taken again after an idle wait */
    PV_SITE_OTHER = 99,             /* pvshim's own faults, boot, APs */
    PV_SITES
};

/*
 * One CPU's counts for one site; only that CPU writes them. wait_us: the
 * time its waits took (host time: a descheduled holder shows here), in
 * microseconds and saturating, so that a slot stays 16 bytes (the table
 * is MAX_PCPUS x PV_SITES slots of pvshim's bss).
 */
struct pv_lock_count {
    uint32_t taken, waited, lock_free, wait_us;
};
extern struct pv_lock_count pv_lock_counts[MAX_PCPUS][PV_SITES];

/* Print the counts at shutdown (when enabled: trace=boot). */
extern bool pv_lock_stats_enabled;
void pv_lock_stats_report(void);

/* pv_lock() on pc, the calling CPU, for an entry of kind site. */
static inline void pv_lock_on_at(struct pcpu *pc, enum pv_lock_site site)
{
    unsigned me = pc->id + 1;
    if (spin_is_mine_as(&pv_big_lock, me)) {
        pv_lock_depth++;
        return;
    }
    struct pv_lock_count *c = &pv_lock_counts[pc->id][site];
    if (unlikely(!spin_trylock_as(&pv_big_lock, me))) {
        c->waited++;
        uint64_t t0 = now_ns();
        /*
         * Not FIFO: the VM's CPUs are host threads that may be descheduled,
         * and a FIFO lock handed to a waiter that is not running stalls
         * every CPU behind it (4 vCPUs on 2 host cores: 50 fork+exec took
         * 92 s that way, 1.6 s with this loop).
         */
        while (!spin_trylock_as(&pv_big_lock, me))
            smp_serve_calls();
        uint64_t us = (now_ns() - t0) / 1000;
        c->wait_us = us >= UINT32_MAX - c->wait_us ? UINT32_MAX : c->wait_us + (uint32_t)us;
    }
    c->taken++;
    pv_lock_depth = 1;
    /* A flush deferred while this CPU idled: before anything reaches guest memory. */
    struct pv_vcpu *v = pc->curr;
    if (v && unlikely(v->tlb_flush_due)) {
        hw_flush_tlb();
        v->tlb_flush_due = false;
    }
}

static inline void pv_lock_on(struct pcpu *pc)
{
    pv_lock_on_at(pc, PV_SITE_OTHER);
}

/* An entry of kind site on pc that runs without the lock. */
static inline void pv_lock_count_free(const struct pcpu *pc, enum pv_lock_site site)
{
    pv_lock_counts[pc->id][site].lock_free++;
}

/* pv_unlock() on pc, the calling CPU. */
static inline void pv_unlock_on(const struct pcpu *pc)
{
    unsigned me = pc->id + 1;
    ASSERT(spin_is_mine_as(&pv_big_lock, me));
    if (--pv_lock_depth == 0)
        spin_unlock_as(&pv_big_lock, me);
}

/*
 * Entries that start without the lock (entry.c) take it at the first step
 * that needs it, for the rest of the entry: pv_entry_lock() takes it
 * unless held, pv_entry_unlock() on the way back to the guest releases it
 * if it was taken, or counts an entry of kind site that did without.
 */
static inline void pv_entry_lock(enum pv_lock_site site)
{
    struct pcpu *pc = this_pcpu();
    if (!spin_is_mine_as(&pv_big_lock, pc->id + 1))
        pv_lock_on_at(pc, site);
}

/* soft_timer_set_lock's take(): the timers that are not own_cpu run under
 * the lock, taken for the rest of an interrupt that started without it
 * (entry.c); other entries hold it already. */
void pv_timer_lock(void);

static inline void pv_entry_unlock(struct pcpu *pc, enum pv_lock_site site)
{
    if (!spin_is_mine_as(&pv_big_lock, pc->id + 1)) {
        pv_lock_count_free(pc, site);
        return;
    }
    /* Taken by this entry, not nested: released outright. */
    ASSERT(pv_lock_depth == 1);
    pv_lock_depth = 0;
    spin_unlock_as(&pv_big_lock, pc->id + 1);
}

#endif
