/*
 * memory_op for a 64-bit PV domU (public/memory.h): its memory map and
 * reservation, ballooning (frames given back to pvshim and taken again),
 * and where the read-only machine-to-phys table lives. A PV guest names
 * machine frames directly, so extents are MFNs (decrease) and pvshim
 * reports the MFNs it hands out (populate, increase).
 */
#include <pvshim/m2p.h>
#include "domain.h"
#include "mm.h"
#include "hypercalls.h"
#include "mm_glue.h"
#include "event_channel.h"
#include "services.h"
#include <pvshim/guest_access.h>
#include <pvshim/frame_alloc.h>
#include <pvshim/phys.h>
#include <pvshim/layout.h>
#include <pvshim/string.h>
#include "memory_exchange.h"

#define MAX_EXTENT_ORDER 9          /* 2 MiB, as Xen allows a domU */
#define M2P_INVALID      (~0ull)    /* INVALID_M2P_ENTRY */

static bool domid_is_self(domid_t d)
{
    return d == DOMID_SELF || d == dom.domid;
}

/* Both M2Ps (a 32-bit guest's compat one too), through the MMU that keeps them. */
static void m2p_set(mfn_t mfn, uint64_t pfn)
{
    if (mfn < dom.max_mfn)
        pv_mm_set_m2p(mfn, pfn);
}

/*
 * Extents the guest gives back. A frame nothing else references goes back
 * now; one still mapped, pinned or held is the guest's no more (M2P entry
 * invalid) but stays until its last reference goes (pv_mm_frame_freed),
 * and counts in tot_pages until then, as Xen 4.17 frees it at its last put.
 */
static long decrease_reservation(struct xen_memory_reservation *r, unsigned long start)
{
    unsigned long done;
    for (done = start; done < r->nr_extents; done++) {
        xen_pfn_t mfn;
        if (copy_from_guest(&mfn, (vaddr_t)(uintptr_t)r->extent_start.p + done * sizeof(mfn),
                            sizeof(mfn)))
            break;
        uint64_t n = 1ull << r->extent_order;
        if (mfn & (n - 1))
            break;
        unsigned long j, freed = 0;
        bool deferred = false;
        for (j = 0; j < n; j++) {
            int rc = pv_mm_release_frame(mfn + j);
            if (rc < 0)
                break;
            deferred |= rc == PV_MM_RELEASE_DEFERRED;
            freed += rc == 0;
        }
        /* On a Xen host a whole extent freed now leaves the domain; else pvshim keeps it. */
        const struct mem_forward *l0 = services ? services->mem : NULL;
        if (!(j == n && !deferred && l0 && l0->release(mfn, n)))
            for (unsigned long k = 0; k < j; k++)
                if (!pv_mm_guest_owns(mfn + k))
                    frame_pool_free(&machine_frames, mfn + k, 1);
        dom.tot_pages -= freed;
        if (j != n)
            break;
    }
    return (long)done;
}

void pv_mm_frame_freed(mfn_t mfn)
{
    frame_pool_free(&machine_frames, mfn, 1);
    dom.tot_pages--;
}

/* populate_physmap (gpfns in, MFNs out) and increase_reservation (MFNs out). */
static long populate(struct xen_memory_reservation *r, bool set_m2p, unsigned long start)
{
    unsigned long done;
    uint64_t n = 1ull << r->extent_order;
    for (done = start; done < r->nr_extents; done++) {
        vaddr_t slot = (vaddr_t)(uintptr_t)r->extent_start.p + done * sizeof(xen_pfn_t);
        xen_pfn_t gpfn = 0;
        if (set_m2p && copy_from_guest(&gpfn, slot, sizeof(gpfn)))
            break;
        if (dom.tot_pages + n > dom.max_pages)
            break;
        /* What the guest gave back to L0 comes back first, then pvshim's own. */
        const struct mem_forward *l0 = services ? services->mem : NULL;
        mfn_t mfn = l0 ? l0->reclaim(n) : INVALID_MFN;
        if (mfn == INVALID_MFN)
            mfn = frame_pool_alloc(&machine_frames, n, n, ~(mfn_t)0);
        if (mfn == INVALID_MFN)
            break;
        for (uint64_t j = 0; j < n; j++) {
            void *page = phys_access_frame(mfn + j);
            memset(page, 0, PAGE_SIZE);
            pv_mm_assign_frame(mfn + j);
            m2p_set(mfn + j, set_m2p ? gpfn + j : M2P_INVALID);
        }
        dom.tot_pages += n;
        xen_pfn_t out = mfn;
        if (copy_to_guest(slot, &out, sizeof(out)))
            break;
    }
    return (long)done;
}

static long reservation_op(unsigned op, unsigned long start, vaddr_t arg)
{
    struct xen_memory_reservation r;
    if (copy_from_guest(&r, arg, sizeof(r)))
        return -XEN_EFAULT;
    if (!domid_is_self(r.domid))
        return -XEN_ESRCH;
    if (start >= r.nr_extents)
        return (long)start;
    if (r.extent_order > MAX_EXTENT_ORDER)
        return (long)start;     /* Xen does no work for a too-large order */
    if (r.mem_flags & ~0xffu)
        return -XEN_EINVAL;
    switch (op) {
    case XENMEM_decrease_reservation:
        return decrease_reservation(&r, start);
    case XENMEM_populate_physmap:
        return populate(&r, true, start);
    default:
        return populate(&r, false, start);
    }
}

static long domid_query(vaddr_t arg, domid_t *d)
{
    return copy_from_guest(d, arg, sizeof(*d)) ? -XEN_EFAULT : 0;
}

long do_memory_op(unsigned long cmd, vaddr_t arg)
{
    unsigned op = cmd & MEMOP_CMD_MASK;
    domid_t d;
    long rc;

    switch (op) {
    case XENMEM_increase_reservation:
    case XENMEM_decrease_reservation:
    case XENMEM_populate_physmap:
        return reservation_op(op, cmd >> MEMOP_EXTENT_SHIFT, arg);
    case XENMEM_maximum_ram_page:
        return (long)dom.max_mfn;
    case XENMEM_current_reservation:
    case XENMEM_maximum_reservation:
    case XENMEM_maximum_gpfn:
        if ((rc = domid_query(arg, &d)))
            return rc;
        if (!domid_is_self(d))
            return -XEN_ESRCH;
        if (op == XENMEM_current_reservation)
            return (long)dom.tot_pages;
        if (op == XENMEM_maximum_reservation)
            return (long)dom.max_pages;
        return (long)dom.shared_info->arch.max_pfn - 1;
    case XENMEM_machphys_mapping: {
        /*
         * The whole M2P window, as Xen 4.17 gives it on a host with memory
         * hotplug (without, max_mfn is the host's last frame): a guest
         * keeps the size from boot, and a guest saved here may be restored
         * in a bigger VM, where its frames lie beyond this VM's RAM (Linux
         * then recurses in mfn_to_pfn until its stack overflows). Reads
         * past the RAM fault; Linux reads the M2P fault-safe.
         */
        struct xen_machphys_mapping m = {
            .v_start = MACH2PHYS_VIRT_START,
            .v_end = MACH2PHYS_VIRT_END,
            .max_mfn = MACH2PHYS_NR_ENTRIES - 1,
        };
        _Static_assert(MACH2PHYS_VIRT_START == RO_M2P_VIRT_START, "the guest's M2P window");
        return copy_to_guest(arg, &m, sizeof(m)) ? -XEN_EFAULT : 0;
    }
    case XENMEM_machphys_mfn_list: {
        struct xen_machphys_mfn_list l;
        if (copy_from_guest(&l, arg, sizeof(l)))
            return -XEN_EFAULT;
        /*
         * The last chunk may be partial: the M2P ends a frame past the last
         * RAM frame. A missing chunk (m2p.h) repeats the one before, as in Xen.
         */
        unsigned chunks = (unsigned)DIV_ROUND_UP(dom.m2p_bytes, M2P_CHUNK_BYTES);
        unsigned n = MIN(l.max_extents, chunks);
        xen_pfn_t mfn = 0;
        for (unsigned i = 0; i < n; i++) {
            if (dom.m2p_chunks[i] != INVALID_MFN)
                mfn = dom.m2p_chunks[i];
            if (copy_to_guest((vaddr_t)(uintptr_t)l.extent_start.p + i * sizeof(mfn), &mfn,
                              sizeof(mfn)))
                return -XEN_EFAULT;
        }
        l.nr_extents = n;
        return copy_to_guest(arg, &l, sizeof(l)) ? -XEN_EFAULT : 0;
    }
    case XENMEM_memory_map: {
        struct xen_memory_map map;
        if (copy_from_guest(&map, arg, sizeof(map)))
            return -XEN_EFAULT;
        /* One RAM region up to the reservation limit, as libxl sets for PV. */
        struct { uint64_t addr, size; uint32_t type; } __attribute__((packed)) e = {
            0, dom.max_pages << PAGE_SHIFT, 1
        };
        if (map.nr_entries < 1)
            return -XEN_EINVAL;
        if (copy_to_guest((vaddr_t)(uintptr_t)map.buffer.p, &e, sizeof(e)))
            return -XEN_EFAULT;
        map.nr_entries = 1;
        return copy_to_guest(arg, &map, sizeof(map)) ? -XEN_EFAULT : 0;
    }
    case XENMEM_add_to_physmap: {
        /*
         * Grant and status frames, shared_info...: for a translated guest
         * only. Xen 4.17 checks the arguments, then the PV domain has no
         * physmap: -EACCES.
         */
        struct xen_add_to_physmap x;
        if ((cmd >> MEMOP_EXTENT_SHIFT) > UINT16_MAX)
            return -XEN_EDOM;
        if (copy_from_guest(&x, arg, sizeof(x)))
            return -XEN_EFAULT;
        if (x.space == XENMAPSPACE_gmfn_foreign)
            return -XEN_ENOSYS;
        if (!domid_is_self(x.domid) && x.domid != BACKEND_DOMID)
            return -XEN_ESRCH;
        return -XEN_EACCES;
    }
    case XENMEM_exchange: {
        struct xen_memory_exchange e;
        if (copy_from_guest(&e, arg, sizeof(e)))
            return -XEN_EFAULT;
        struct exchange_args x = {
            .in = { (vaddr_t)(uintptr_t)e.in.extent_start.p, e.in.nr_extents, 8 },
            .out = { (vaddr_t)(uintptr_t)e.out.extent_start.p, e.out.nr_extents, 8 },
            .in_order = e.in.extent_order, .out_order = e.out.extent_order,
            .out_mem_flags = e.out.mem_flags,
            .in_domid = e.in.domid, .out_domid = e.out.domid,
            .nr_exchanged = e.nr_exchanged,
        };
        rc = memory_exchange_run(&x);
        if (x.complete)
            return rc;
        e.nr_exchanged = x.nr_exchanged;
        if (copy_to_guest(arg + offsetof(struct xen_memory_exchange, nr_exchanged),
                          &e.nr_exchanged, sizeof(e.nr_exchanged)))
            rc = -XEN_EFAULT;
        return rc;
    }
    default:
        /* The rest: not for a PV domU here. */
        return -XEN_ENOSYS;
    }
}
