/*
 * The PV lock (what it protects and when it is held: domain.c), inline for
 * the paths every guest entry takes: pv_lock()/pv_unlock() are these on the
 * calling CPU, and the SYSCALL entry (entry.c) uses them with the struct
 * pcpu it has already looked up.
 */
#ifndef PVSHIM_PV_LOCK_H
#define PVSHIM_PV_LOCK_H

#include <pvshim/spinlock.h>
#include <pvshim/percpu.h>
#include <pvshim/hw.h>
#include "domain.h"

extern spinlock_t pv_big_lock;
extern unsigned pv_lock_depth;      /* nesting on the holding CPU */

/* pv_lock() on pc, the calling CPU. */
static inline void pv_lock_on(struct pcpu *pc)
{
    unsigned me = pc->id + 1;
    if (spin_is_mine_as(&pv_big_lock, me)) {
        pv_lock_depth++;
        return;
    }
    while (unlikely(!spin_trylock_as(&pv_big_lock, me)))
        smp_serve_calls();
    pv_lock_depth = 1;
    /* A flush deferred while this CPU idled: before anything reaches guest memory. */
    struct pv_vcpu *v = pc->curr;
    if (v && unlikely(v->tlb_flush_due)) {
        hw_flush_tlb();
        v->tlb_flush_due = false;
    }
}

/* pv_unlock() on pc, the calling CPU. */
static inline void pv_unlock_on(const struct pcpu *pc)
{
    unsigned me = pc->id + 1;
    ASSERT(spin_is_mine_as(&pv_big_lock, me));
    if (--pv_lock_depth == 0)
        spin_unlock_as(&pv_big_lock, me);
}

#endif
