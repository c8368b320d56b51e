/*
 * A vCPU's life: VCPUOP_initialise gives it a context (vcpu_context.c),
 * VCPUOP_up and VCPUOP_down make it runnable or not (vcpu_run.c). All
 * under the PV lock.
 */
#ifndef PVSHIM_PV_VCPU_H
#define PVSHIM_PV_VCPU_H

#include "domain.h"

/* VCPUOP_initialise for v, the context at guest address arg. */
long pv_vcpu_initialise(struct pv_vcpu *v, vaddr_t arg);
/* The same for a context already read (a 32-bit guest's, translated). */
long pv_vcpu_initialise_native(struct pv_vcpu *v, const struct vcpu_guest_context *c);

/* VCPUOP_up: -XEN_EINVAL before initialise, else 0 (already up or not). */
long pv_vcpu_up(struct pv_vcpu *v);

/*
 * VCPUOP_down. v stops running: at once when it is the caller (which
 * returns from here only once brought up again), else when its CPU next
 * leaves the guest. The last vCPU going down powers the domain off, as on
 * Xen; a domain of one vCPU refuses (-XEN_EINVAL), as pvshim always did.
 */
long pv_vcpu_down(struct pv_vcpu *v);

/* The calling CPU's vCPU was taken down: idle until it is up again. */
void pv_vcpu_park(void);

#endif
