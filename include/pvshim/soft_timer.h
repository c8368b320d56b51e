/*
 * A handful of software timers on top of the one hardware one-shot timer:
 * the guest's singleshot and periodic timers, console polling, watchdogs.
 * Callbacks run with interrupts off, from the timer interrupt or from
 * soft_timer_run() in the idle loop.
 */
#ifndef PVSHIM_SOFT_TIMER_H
#define PVSHIM_SOFT_TIMER_H

#include <pvshim/types.h>

struct soft_timer {
    uint64_t deadline;      /* now_ns() time; 0 when not armed */
    void (*fire)(struct soft_timer *t, uint64_t now);
    bool registered;
};

/* Arm (or re-arm) t for an absolute deadline; deadline 0 cancels. */
void soft_timer_arm(struct soft_timer *t, uint64_t deadline);
void soft_timer_cancel(struct soft_timer *t);

/* Fire every expired timer, then program the hardware for the next one. */
void soft_timer_run(uint64_t now);

/* Hook the layer to the hardware timer (boot). */
void soft_timer_init(void);

#endif
