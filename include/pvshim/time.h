/*
 * Time as pvshim keeps it: nanoseconds since boot from the TSC, and one
 * one-shot timer (the local APIC) that calls back when a deadline passes.
 */
#ifndef PVSHIM_TIME_H
#define PVSHIM_TIME_H

#include <pvshim/types.h>

#include <pvshim/time_scale.h>

extern uint64_t tsc_khz;        /* TSC frequency */
extern uint64_t tsc_at_boot;    /* TSC value that is time 0 */
/* Wall-clock time (ns since the Unix epoch) at time 0, from the RTC. */
extern uint64_t wallclock_at_boot_ns;

/* The TSC-to-nanoseconds scale (what vcpu_time_info publishes). */
void time_get_tsc_scale(struct time_scale *s);

uint64_t read_tsc(void);
uint64_t now_ns(void);
uint64_t tsc_to_ns(uint64_t tsc_delta);

/*
 * A restored guest's system time continues from its save: from here on
 * now_ns() goes on from ns (nothing if it is past ns already), and the wall
 * clock's time 0 moves back by as much, so that wall time does not jump.
 * Before any timer is armed.
 */
void time_continue_from(uint64_t ns);

/*
 * Arm the one-shot timer for an absolute now_ns() deadline; 0 disarms it.
 * The callback runs in interrupt context with interrupts off.
 */
void timer_set_deadline(uint64_t deadline_ns);
void timer_set_callback(void (*fn)(uint64_t now));

/* Wait for the next interrupt with interrupts enabled (idle). */
void cpu_idle_wait(void);

/*
 * Ends the TSC's (and the local APIC timer's) rate measurement that began at
 * boot, where it was provisional: before the guest sees a rate (its time
 * info, CPUID), as late as possible (the interval is the precision). now_ns()
 * stays continuous. Once; later calls do nothing.
 */
void time_calibrate_finish(void);

/* Busy-wait; for short device delays only. */
void udelay(uint64_t us);

#endif
