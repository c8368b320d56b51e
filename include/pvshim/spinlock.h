/*
 * spinlock_t: a ticket lock (FIFO, so no CPU starves) for state that
 * several physical CPUs share. Zero-initialised storage is an unlocked
 * lock.
 *
 * Convention: every spinlock_t is declared next to the data it protects
 * (in the same struct or file) with a comment saying
 *   - protects: which fields or objects, and
 *   - order: which locks may be taken while holding it (nesting order,
 *     outermost first in the list below; never take an earlier one inside
 *     a later one).
 * Functions that require a lock held check it with ASSERT_LOCKED(l).
 * pvshim runs with interrupts off except inside cpu_idle_wait(): never
 * hold a lock across it, and take no lock from an interrupt handler that
 * the interrupted code on the same CPU could hold.
 *
 * Nesting order, outermost first:
 *   1. pv_big_lock (pvops-compat/domain.c; recursive, see pv_lock)
 *   2. event channel port locks (pvops-compat/event_channel.c, port_locks)
 *   3. FIFO event queue locks (pvops-compat/event_fifo.c, fifo_vcpu.lock)
 *   4. abi_trace_lock (pvops-compat/abi_trace.c)
 *   5. call_lock (shim/arch/x86/smp.c)
 *   6. timer_lock (shim/soft_timer.c)
 *   7. console_lock (shim/console.c)
 */
#ifndef PVSHIM_SPINLOCK_H
#define PVSHIM_SPINLOCK_H

#include <pvshim/types.h>
#include <pvshim/assert.h>
#include <pvshim/percpu.h>

typedef struct {
    uint16_t next;      /* the next ticket handed out */
    uint16_t serving;   /* the ticket that holds the lock */
    unsigned owner;     /* 1 + id of the holding CPU; 0: none (debugging) */
} spinlock_t;

static inline void spin_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#endif
}

/* The owner value of the calling CPU (spinlock_t.owner). */
static inline unsigned spin_me(void)
{
    return this_pcpu()->id + 1;
}

static inline void spin_lock(spinlock_t *l)
{
    uint16_t ticket = __atomic_fetch_add(&l->next, 1, __ATOMIC_RELAXED);
    while (__atomic_load_n(&l->serving, __ATOMIC_ACQUIRE) != ticket)
        spin_relax();
    l->owner = spin_me();
}

/* Take l if it is free now; true when taken. me: spin_me(). */
static inline bool spin_trylock_as(spinlock_t *l, unsigned me)
{
    uint16_t serving = __atomic_load_n(&l->serving, __ATOMIC_RELAXED);
    uint16_t expect = serving;
    if (!__atomic_compare_exchange_n(&l->next, &expect, (uint16_t)(serving + 1), false,
                                     __ATOMIC_ACQUIRE, __ATOMIC_RELAXED))
        return false;
    l->owner = me;
    return true;
}

static inline bool spin_trylock(spinlock_t *l)
{
    return spin_trylock_as(l, spin_me());
}

/* Held by the CPU whose spin_me() is me. */
static inline bool spin_is_mine_as(const spinlock_t *l, unsigned me)
{
    return __atomic_load_n(&l->owner, __ATOMIC_RELAXED) == me;
}

/* Held by the calling CPU. */
static inline bool spin_is_mine(const spinlock_t *l)
{
    return spin_is_mine_as(l, spin_me());
}

/* Release l, held by the CPU whose spin_me() is me. */
static inline void spin_unlock_as(spinlock_t *l, unsigned me)
{
    ASSERT(spin_is_mine_as(l, me));
    l->owner = 0;
    __atomic_store_n(&l->serving, (uint16_t)(l->serving + 1), __ATOMIC_RELEASE);
}

static inline void spin_unlock(spinlock_t *l)
{
    spin_unlock_as(l, spin_me());
}

#define ASSERT_LOCKED(l) ASSERT(spin_is_mine(l))

#endif
