/*
 * The guest's suspend came back in a new domain at the Xen underneath (xl
 * save, then xl restore: the whole PVH domain, pvshim and guest, was saved
 * and restored). The guest sees what a Xen restore of a PV domain leaves
 * (Xen's pv_shim_shutdown does the same for its guests):
 *   - no event channel (L0's went with the old domain; the guest binds its
 *     VIRQs, IPIs and interdomain ports again), 2-level, every port masked
 *     and nothing pending;
 *   - vcpu_info back in its shared_info slot, no runstate or time area
 *     registered (the guest registers them again; Xen refuses a second
 *     VCPUOP_register_vcpu_info), no single-shot timer, the 10 ms periodic
 *     timer;
 *   - its grant table frames L0's again;
 *   - start_info (the frame the suspend named in rdx, else the boot one):
 *     flags 0, shared_info, the store and console frames as MFNs and their
 *     ports (the provider bound them again meanwhile), nr_pages as it was
 *     (the guest's memory did not change).
 * Its memory, page tables, p2m and M2P are untouched: pvshim's frames are
 * the same guest frames at L0.
 */
#include "domain.h"
#include "event_channel.h"
#include "grant_table.h"
#include "mm_glue.h"
#include "pv.h"
#include "time.h"
#include "vcpu.h"
#include <pvshim/phys.h>
#include <pvshim/log.h>
#include <pvshim/string.h>

static void vcpu_moved(struct pv_vcpu *v)
{
    struct vcpu_info *slot = &dom.shared_info->vcpu_info[v->vcpu_id];
    if (v->vcpu_info_mfn != INVALID_MFN) {
        /* Events stay as blocked as the guest had them in its own copy. */
        slot->evtchn_upcall_mask = v->vcpu_info->evtchn_upcall_mask;
        pv_mm_put_writable_frame(v->vcpu_info_mfn);
        v->vcpu_info_mfn = INVALID_MFN;
    }
    v->vcpu_info = slot;
    v->runstate_area = 0;
    v->time_area = 0;
    if (v == current)
        pv_set_singleshot(0);
    pv_set_periodic(v, PV_DEFAULT_PERIOD_NS);
}

void pv_domain_moved(void)
{
    for (unsigned i = 0; i < dom.nr_vcpus; i++)
        vcpu_moved(&dom.vcpu[i]);
    evtchn_domain_moved();
    gnttab_domain_moved();
    pv_time_domain_moved();
}

void pv_start_info_moved(mfn_t si_mfn)
{
    if (si_mfn != dom.start_info_mfn) {
        log_warn("resume: the suspend named start_info %#llx, booted with %#llx: using that",
                 (unsigned long long)si_mfn, (unsigned long long)dom.start_info_mfn);
        si_mfn = dom.start_info_mfn;
    }
    struct start_info *si = phys_access_frame(si_mfn);
    si->flags = 0;
    si->shared_info = mfn_to_paddr(dom.shared_info_mfn);
    si->store_mfn = dom.xenstore_mfn;
    si->store_evtchn = dom.xenstore_port;
    si->console.domU.mfn = dom.console_mfn;
    si->console.domU.evtchn = dom.console_port;
}
