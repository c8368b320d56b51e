/* The guest's view of time: vcpu_time_info, wallclock, timers, runstate. */
#ifndef PVSHIM_PV_TIME_H
#define PVSHIM_PV_TIME_H

#include <pvshim/types.h>

#define PV_DEFAULT_PERIOD_NS    10000000ull     /* Xen starts each vCPU with a 10 ms tick */

struct pv_vcpu;
/* Hook a vCPU's timers up (pv_vcpu_init does it). */
void pv_time_vcpu_init(struct pv_vcpu *v);
/* Publish the wallclock and time info and start the default periodic timer. */
void pv_time_init(void);
/* The calling CPU's vCPU starts running: its time info, runstate and periodic timer. */
void pv_time_vcpu_start(struct pv_vcpu *v);
/* The domain was restored (pv_domain_moved): the wallclock published again
 * (wallclock_at_boot_ns may have moved) and the calling vCPU's time info. */
void pv_time_domain_moved(void);
/* Refresh vcpu_time_info (and the registered user copy). */
void pv_time_update(struct pv_vcpu *v);
/* System time as the guest computes it. */
uint64_t pv_system_time(void);

/* Timers, in system time (ns). 0 cancels. */
void pv_set_singleshot(uint64_t deadline);
/* v's periodic timer (any vCPU; 0 stops it). */
void pv_set_periodic(struct pv_vcpu *v, uint64_t period);

/* Runstate changes (RUNSTATE_running / RUNSTATE_blocked). */
void pv_runstate_set(int state);
/* Write the runstate to the guest's registered area, if any. */
void pv_runstate_publish(struct pv_vcpu *v);

#endif
