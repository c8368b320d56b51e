/*
 * The L0 provider (xen/l0): pvshim as a PVH domain of a real Xen, started
 * by xl with pvshim_path. The arch layer finds the Xen (CPUID leaves) and
 * hands xen/l0 the two things it cannot do portably: the hypercall
 * instruction (VMCALL or VMMCALL, by CPU vendor) and a mapping of one of
 * the domain's special frames (the console and xenstore pages xl put at
 * HVM_PARAM_CONSOLE_PFN / HVM_PARAM_STORE_PFN, outside RAM).
 *
 * What is forwarded to L0 (and nothing else; the rest stays pvshim's own,
 * as in the local provider):
 *   - pvshim's log and the guest's console (its hvc0 ring, served by
 *     pvshim's console backend) go to L0's console ring, so `xl console`
 *     shows them; L0 console input goes to the guest;
 *   - the wall clock: L0's shared_info (XENMEM_add_to_physmap above RAM),
 *     read once at boot (the PVH domain has no RTC);
 *   - the guest's xenstore: relayed byte for byte between the guest's ring
 *     (pvshim's page) and L0's (HVM_PARAM_STORE_PFN/EVTCHN), so the guest
 *     talks to dom0's xenstored as the domain xl created; the guest's
 *     console and xenstore ports carry L0's numbers for those channels
 *     (HVM_PARAM_CONSOLE_EVTCHN/STORE_EVTCHN), as under xen-shim;
 *   - how the run ends: the guest's SCHEDOP_shutdown reason (and pvshim's
 *     own failures, as crash) become SCHEDOP_shutdown at L0, so xl sees
 *     poweroff, reboot, crash or watchdog;
 *   - event channels (xen/l0/evtchn_l0.c): every guest port number is an
 *     L0 port number; channels to other domains are L0's, pvshim's own
 *     ports (VIRQs, IPIs, its backends) hold numbers L0 reserved; L0's
 *     upcall (HVM_PARAM_CALLBACK_IRQ, a vector) makes them pending for the
 *     guest;
 *   - grant table frames (xen/l0/gnttab_l0.c): L0's, mapped over the frames
 *     pvshim gives the guest as its table (version 1 only);
 *   - the guest's balloon (xen/l0/balloon_l0.c): extents it gives back leave
 *     the domain at L0, and come back from L0 first when it asks again.
 * The guest has the domain's vCPUs (pvshim starts them as on bare metal);
 * L0's upcalls all reach pvshim's CPU 0 (ports stay bound to L0's vCPU 0).
 *   - the guest's suspend (xl save): SHUTDOWN_suspend at L0, and when the
 *     domain comes back in a new one (xl restore), pvshim connects to L0
 *     again and gives the guest what a Xen restore would
 *     (xen/l0/suspend_l0.c).
 */
#ifndef PVSHIM_L0_H
#define PVSHIM_L0_H

#include <pvshim/types.h>
#include <pvshim/status.h>

struct l0_arch {
    /* The domain's id at L0 (CPUID leaf base+4), 0 if L0 does not say;
     * read again after a restore (a new domain). */
    uint16_t (*read_domid)(void);
    /* A hypercall to L0 with up to three arguments; Xen's return value. */
    long (*hypercall)(unsigned nr, unsigned long a1, unsigned long a2, unsigned long a3);
    /* Map guest frame gfn (not RAM: uncached attributes are not used) into
     * pvshim's address space, slot 0 to 2; NULL if it cannot. */
    void *(*map_frame)(uint64_t gfn, unsigned slot);
    /* Call fn on the interrupt vector it returns (L0's event upcall). */
    uint8_t (*route_upcall)(void (*fn)(void));
};

/* pvshim runs on a Xen: hypercalls to it work from now on (boot, early). */
void l0_attach(const struct l0_arch *arch);
/* After paging is up: L0's console ring becomes a console sink. false if
 * L0 gives none. */
bool l0_console_init(void);
/* Was l0_attach called (pvshim runs on a Xen)? Is the console ring up? */
bool l0_active(void);
bool l0_console_up(void);
/* L0's wall clock (ns since 1970) from its shared_info, mapped at gfn (a
 * frame that is not RAM); 0 if L0 will not map it. */
uint64_t l0_wallclock_ns(uint64_t gfn);
/* After l0_wallclock_ns mapped L0's shared_info: L0's event channels
 * reach pvshim on an upcall vector, and the guest's are forwarded
 * (services.h, struct evtchn_forward). false if L0 refuses. */
bool l0_events_init(void);
/* L0's console port (HVM_PARAM_CONSOLE_EVTCHN), 0 without L0's console
 * ring: the guest's console end takes this number. */
uint32_t l0_console_port(void);
/* The domain's id at L0, 0 if unknown: the guest's own domid in L0 mode. */
uint16_t l0_domid(void);
/* Tell L0 how the run ends: SCHEDOP_shutdown with the matching reason.
 * Returns only if L0 refused. */
void l0_shutdown(enum pvshim_exit reason);
/* The guest's SHUTDOWN_suspend on a Xen host (pv_suspend_handler, see
 * xen/l0/suspend_l0.c): 0 restored in a new domain, 1 cancelled. */
long l0_suspend(void);
/* The SHUTDOWN_* reason L0 gets for an exit status. */
unsigned l0_shutdown_reason(enum pvshim_exit reason);

#endif
