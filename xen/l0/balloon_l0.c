/*
 * The guest's balloon on a Xen host (services.h, struct mem_forward). A
 * whole extent the guest gives back (XENMEM_decrease_reservation) goes on
 * to L0 with its own frame numbers (decrease_reservation at L0: the GFNs
 * become holes), and pvshim remembers the numbers in `ballooned`; when the
 * guest asks for memory again, those numbers are populated at L0 first.
 * Invariant: a frame is in at most one of machine_frames (RAM pvshim may
 * hand out) and ballooned (a hole at L0); pvshim never touches the latter.
 */
#include <pvshim/l0.h>
#include <pvshim/frame_alloc.h>
#include <pvshim/log.h>
#include <pvshim/xen_abi.h>
#include "services.h"
#include "l0_internal.h"

/* Global: one domain, its hypercalls run to completion (no lock). */
static struct frame_pool ballooned;
static bool ballooned_ready;

static unsigned order_of(uint64_t n)
{
    return (unsigned)__builtin_ctzll(n);
}

/* One extent of order log2(n) at gfn: XENMEM_decrease_reservation or
 * XENMEM_populate_physmap at L0; true if L0 did it. */
static bool l0_extent(unsigned op, mfn_t gfn, uint64_t n)
{
    xen_pfn_t list[1] = { gfn };
    struct xen_memory_reservation r = {
        .nr_extents = 1, .extent_order = order_of(n), .domid = DOMID_SELF,
    };
    set_xen_guest_handle(r.extent_start, list);
    long rc = l0_hypercall(__HYPERVISOR_memory_op, op, (unsigned long)&r, 0);
    return rc == 1;
}

static bool release(mfn_t mfn, uint64_t n)
{
    if (!ballooned_ready) {
        frame_pool_init(&ballooned);
        ballooned_ready = true;
    }
    /* Remembered first: a pool out of range slots keeps the frames pvshim's. */
    if (!frame_pool_free(&ballooned, mfn, n))
        return false;
    if (!l0_extent(XENMEM_decrease_reservation, mfn, n)) {
        frame_pool_reserve(&ballooned, mfn_to_paddr(mfn), mfn_to_paddr(mfn + n));
        return false;
    }
    return true;
}

static mfn_t reclaim(uint64_t n)
{
    if (!ballooned_ready || !ballooned.free_frames)
        return INVALID_MFN;
    mfn_t m = frame_pool_alloc(&ballooned, n, n, ~(mfn_t)0);
    if (m == INVALID_MFN)
        return m;
    if (!l0_extent(XENMEM_populate_physmap, m, n)) {
        frame_pool_free(&ballooned, m, n);
        log_warn("l0: L0 would not populate %llu frames at %#llx again",
                 (unsigned long long)n, (unsigned long long)m);
        return INVALID_MFN;
    }
    return m;
}

const struct mem_forward l0_mem_forward = {
    .release = release,
    .reclaim = reclaim,
};

uint64_t l0_ballooned_frames(void)
{
    return ballooned_ready ? ballooned.free_frames : 0;
}
