/*
 * The guest's grant table frames on a Xen host are L0's (services.h,
 * gnttab_frame_fn): frame idx of the domain's table at L0 is mapped
 * (XENMEM_add_to_physmap, XENMAPSPACE_grant_table) over the machine frame
 * pvshim took for it, so the entries the guest writes are the ones dom0's
 * backends map, and entries 0 and 1 (console and xenstore, seeded by the
 * toolstack) show through. L0 frees the RAM page the frame replaces: each
 * table frame costs the domain one page of RAM, as under xen-shim.
 */
#include <pvshim/l0.h>
#include <pvshim/log.h>
#include <pvshim/xen_abi.h>
#include "services.h"
#include "l0_internal.h"

long l0_gnttab_frame(unsigned idx, mfn_t mfn)
{
    struct xen_add_to_physmap x = {
        .domid = DOMID_SELF, .space = XENMAPSPACE_grant_table, .idx = idx, .gpfn = mfn,
    };
    long rc = l0_hypercall(__HYPERVISOR_memory_op, XENMEM_add_to_physmap, (unsigned long)&x, 0);
    if (rc)
        log_warn("l0: grant frame %u not mapped at %#llx (%ld)", idx, (unsigned long long)mfn,
                 rc);
    return rc;
}

const gnttab_frame_fn l0_gnttab_frame_fn = l0_gnttab_frame;
