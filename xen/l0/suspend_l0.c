/*
 * The guest's suspend on a Xen host (xl save, xl restore, xl save -c): the
 * domain L0 saves is the whole PVH domain, pvshim and guest, so pvshim's
 * part is to suspend itself with the guest and connect again afterwards.
 *
 * Guest-visible contract (the guest's SCHEDOP_shutdown(SHUTDOWN_suspend),
 * rdx = its start_info frame):
 *   - it becomes SCHEDOP_shutdown(SHUTDOWN_suspend) at L0, made by
 *     pvshim on the guest's vCPU 0 with interrupts off;
 *   - L0 returns nonzero (xl save -c, or a save that failed: libxl resumes
 *     the domain with the suspend "cancelled"): the guest's hypercall
 *     returns 1 and it goes on in the same domain, nothing changed;
 *   - L0 returns 0: the domain was restored, a new one at L0 (new domid,
 *     new console and xenstore ports, no other event channel, a fresh
 *     shared_info and grant table). pvshim maps L0's shared_info, upcall,
 *     console, xenstore and grant frames again, takes L0's wall clock
 *     again, gives the guest what a Xen restore of a PV domain leaves
 *     (pvops-compat/domain_moved.c) with its store and console ports at
 *     L0's new numbers, and the hypercall returns 0;
 *   - refused before L0 is asked (the hypercall returns 1, logged as
 *     "save: cancelled: REASON"; L0's toolstack then gives up waiting): a
 *     32-bit guest, a suspend from a vCPU other than 0, L0's events not
 *     forwarded.
 * Other vCPUs up go on where they were (L0 saves and restores all of the
 * domain's vCPUs; a Linux guest has them spinning in stop_machine); the
 * guest then downs, re-registers and ups them itself, as after Xen's
 * restore.
 * Time: L0 restores the domain's TSC where it was saved, so pvshim's
 * system time (and the guest's) goes on from the suspend, without the gap;
 * the wall clock is L0's again.
 */
#include <pvshim/l0.h>
#include <pvshim/log.h>
#include <pvshim/xen_abi.h>
#include "domain.h"
#include "pv.h"
#include "services.h"
#include "console_backend.h"
#include "l0_internal.h"

static const char *unsuspendable(void)
{
    if (!l0_services.evtchn)
        return "L0's event channels are not forwarded";
    if (dom.compat)
        return "a 32-bit guest";
    if (current != &dom.vcpu[0])
        return "the suspend did not come from vCPU 0";
    return NULL;
}

/* The guest's store and console ends at L0's new numbers. */
static void rebind_guest_ports(void)
{
    dom.console_port = console_backend_bind(l0_console_port());
    dom.xenstore_port = l0_services.store_bind();
}

long l0_suspend(void)
{
    const char *why = unsuspendable();
    if (why) {
        log_warn("save: cancelled: %s; the guest's suspend returns 1 and it goes on", why);
        return 1;
    }
    pv_services_flush();
    mfn_t si_mfn = guest_regs->rdx;
    log_info("l0: the guest suspends: suspending the domain at L0");
    struct sched_shutdown s = { .reason = SHUTDOWN_suspend };
    long rc = l0_hypercall(__HYPERVISOR_sched_op, SCHEDOP_shutdown, (unsigned long)&s, 0);
    if (rc) {
        log_info("l0: L0's suspend returned %ld (cancelled): the guest goes on", rc);
        return 1;
    }
    if (!l0_reconnect())
        pv_crash("l0: restored, but L0's shared_info or upcall cannot be set up again");
    pv_domain_moved();
    rebind_guest_ports();
    pv_start_info_moved(si_mfn);
    log_info("l0: restored as domain %u: console port %u, xenstore port %u", l0_domid(),
             dom.console_port, dom.xenstore_port);
    return 0;
}
