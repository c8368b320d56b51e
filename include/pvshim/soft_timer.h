/*
 * A handful of software timers on top of the one hardware one-shot timer:
 * the guest's singleshot and periodic timers, console polling, watchdogs.
 * Each timer belongs to one CPU and fires there. Callbacks run with
 * interrupts off, from that CPU's timer interrupt or a kick (smp_kick),
 * under the PV layer's lock unless the timer is own_cpu.
 */
#ifndef PVSHIM_SOFT_TIMER_H
#define PVSHIM_SOFT_TIMER_H

#include <pvshim/types.h>

struct soft_timer {
    uint64_t deadline;      /* now_ns() time; 0 when not armed */
    void (*fire)(struct soft_timer *t, uint64_t now);
    bool registered;
    unsigned cpu;           /* the CPU it fires on (pcpus[] index) */
    /* Its callback touches only its CPU's own state: it runs without the
     * lock soft_timer_set_lock() names (the others run under it). */
    bool own_cpu;
};

/*
 * Interrupts may start without the PV layer's lock (pvops-compat/entry.c):
 * take(), when set, is called before each callback of a timer that is not
 * own_cpu, and takes that lock for the rest of the interrupt if it is not
 * held (without timer_lock held).
 */
void soft_timer_set_lock(void (*take)(void));

/* Make t fire on CPU cpu; only before it is first armed. */
void soft_timer_bind(struct soft_timer *t, unsigned cpu);

/* Arm (or re-arm) t for an absolute deadline; deadline 0 cancels. */
void soft_timer_arm(struct soft_timer *t, uint64_t deadline);
void soft_timer_cancel(struct soft_timer *t);

/* Fire the calling CPU's expired timers, then program the hardware for the next one. */
void soft_timer_run(uint64_t now);

/* Hook the layer to the hardware timer (boot). */
void soft_timer_init(void);

#endif
