/*
 * A vCPU's life: VCPUOP_initialise gives it a context (vcpu_context.c),
 * VCPUOP_up and VCPUOP_down make it runnable or not (vcpu_run.c). All
 * under the PV lock.
 */
#ifndef PVSHIM_PV_VCPU_H
#define PVSHIM_PV_VCPU_H

#include "domain.h"

struct vcpu_guest_context;

/*
 * Check c and record it as v's context (vcpu_context.c states how), for v's
 * own CPU to load when v first runs. v has no context yet (no base
 * pointers, never run). 0 or -XEN_E*, v unchanged; *why (if why is not
 * NULL) then says what was refused.
 */
long pv_vcpu_set_context(struct pv_vcpu *v, const struct vcpu_guest_context *c,
                         const char **why);

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

/*
 * A saved vCPU of a restored guest (vcpu_restore.c): c with machine frames,
 * ext the stream's EXTENDED record (ext_len bytes, may be 0). v is up after.
 * 0, or -1 with the reason in err.
 */
int pv_vcpu_restore(struct pv_vcpu *v, const struct vcpu_guest_context *c, const uint8_t *ext,
                    uint32_t ext_len, char *err, size_t errlen);

/*
 * A restored vCPU's X86_PV_VCPU_MSRS record (len bytes of 16-byte entries),
 * into the calling CPU's vCPU after pv_emul_restore_state (vcpu_restore.c
 * says what is taken and what refused). 0, or -1 naming the MSR in err.
 */
int pv_vcpu_restore_msrs(const uint8_t *rec, uint32_t len, char *err, size_t errlen);

/*
 * Load v's recorded context into the calling CPU, v's own, before v first
 * enters the guest: debug registers, base pointer, GDT, LDT, segment bases,
 * v->first_run, CR0.TS. vCPU 0 of a restored guest comes here from the
 * boot path; the others from guest_ap_wait.
 */
void pv_vcpu_load(struct pv_vcpu *v);

/* The calling CPU's vCPU was taken down: idle until it is up again. */
void pv_vcpu_park(void);

#endif
