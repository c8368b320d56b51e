/*
 * MMU_UPDATE (hypercall 1) and UPDATE_VA_MAPPING (14, 22): checked writes
 * of page-table entries and M2P entries. Error codes as Xen's
 * do_mmu_update / __do_update_va_mapping for a 64-bit PV domU with one
 * vCPU; requests run to completion (no continuations).
 */
#include <pvshim/hw.h>
#include <pvshim/guest_access.h>
#include "mm_private.h"
#include "abi_trace.h"
#include "hypercalls.h"

/* Whose frames a request maps: the caller's, DOMID_IO's or DOMID_XEN's. */
enum req_owner { REQ_SELF, REQ_IO, REQ_XEN };

/*
 * MMU_NORMAL_PT_UPDATE and friends: a live table gets a checked entry, a
 * frame that is (or can become) plain writable gets a raw write, anything
 * else is refused. *flush is set when a non-leaf entry changed.
 */
static int pt_update(uint64_t ptr, uint64_t val, unsigned cmd,
                     enum req_owner owner, bool *flush)
{
    if (owner == REQ_XEN)
        return -XEN_EPERM;              /* a domU may not map Xen's frames */

    mfn_t mfn = paddr_to_mfn(ptr);
    if (!get_page(mfn))
        return -XEN_EINVAL;

    struct pv_frame *f = frame_of(mfn);
    unsigned idx = (ptr & ~PAGE_MASK) / sizeof(pte_t);
    enum pg_owner pg = owner == REQ_SELF ? PG_OWNER_SELF : PG_OWNER_IO;
    bool preserve_ad = cmd == MMU_PT_UPDATE_PRESERVE_AD;
    int rc = -XEN_EINVAL;

    if (frame_type_count(f) && (f->info & FI_VALIDATED)) {
        unsigned type = frame_type(f);
        switch (type) {
        case PV_TYPE_L1:
            rc = mod_entry(mfn, 1, idx, val, preserve_ad, pg);
            break;
        case PV_TYPE_L2:
        case PV_TYPE_L3:
        case PV_TYPE_L4:
            if (owner != REQ_SELF)
                break;
            rc = mod_entry(mfn, type, idx, val, preserve_ad, pg);
            if (!rc)
                *flush = true;
            break;
        case PV_TYPE_WRITABLE: {
            pte_t *t = frame_map(mfn);
            if (t) {
                t[idx] = val;
                rc = 0;
            }
            break;
        }
        default:
            break;                      /* descriptor pages: no */
        }
    } else if (!get_page_type(mfn, PV_TYPE_WRITABLE)) {
        pte_t *t = frame_map(mfn);
        if (t) {
            t[idx] = val;
            rc = 0;
        }
        put_page_type(mfn);
    }
    put_page(mfn);
    return rc;
}

static int machphys_update(uint64_t ptr, uint64_t pfn, enum req_owner owner)
{
    if (owner == REQ_XEN)
        return -XEN_EPERM;
    mfn_t mfn = paddr_to_mfn(ptr);
    if (owner != REQ_SELF || !get_page(mfn))
        return -XEN_EINVAL;
    mm_write_m2p(mfn, pfn);
    put_page(mfn);
    return 0;
}

long do_mmu_update(vaddr_t ureqs, unsigned int count, vaddr_t pdone, unsigned int foreigndom)
{
    unsigned int done = 0, i = 0;
    long rc = 0;
    bool flush = false;
    enum req_owner owner = REQ_SELF;

    if (count == MMU_UPDATE_PREEMPTED && !ureqs)
        return (int)foreigndom;
    if (count & MMU_UPDATE_PREEMPTED) {
        count &= ~MMU_UPDATE_PREEMPTED;
        if (pdone)
            (void)copy_from_guest(&done, pdone, sizeof(done));
    }
    if (!guest_addr_ok(ureqs))
        return -XEN_EFAULT;

    /* Tables of another domain: only ourselves by number exists here. */
    unsigned pt_dom = foreigndom >> 16;
    if (pt_dom && pt_dom - 1 != dom.domid)
        return -XEN_ESRCH;

    domid_t fd = (domid_t)foreigndom;
    if (fd == DOMID_IO)
        owner = REQ_IO;
    else if (fd == DOMID_XEN)
        owner = REQ_XEN;
    else if (fd != DOMID_SELF)
        rc = -XEN_ESRCH;                /* itself by number included, as Xen */

    for (; !rc && i < count; i++) {
        struct mmu_update req;
        if (copy_from_guest(&req, ureqs + (vaddr_t)i * sizeof(req), sizeof(req))) {
            rc = -XEN_EFAULT;
            break;
        }
        unsigned cmd = req.ptr & (sizeof(pte_t) - 1);
        uint64_t ptr = req.ptr - cmd;
        switch (cmd) {
        case MMU_NORMAL_PT_UPDATE:
        case MMU_PT_UPDATE_PRESERVE_AD:
        case MMU_PT_UPDATE_NO_TRANSLATE:
            rc = pt_update(ptr, req.val, cmd, owner, &flush);
            break;
        case MMU_MACHPHYS_UPDATE:
            rc = machphys_update(ptr, req.val, owner);
            break;
        default:
            rc = -XEN_ENOSYS;
            break;
        }
        abi_trace_call(__HYPERVISOR_mmu_update, cmd, rc);
        if (rc)
            break;
    }

    /* A table left the tree: this CPU flushes now; the others may still
     * cache it until their next flush, which a type change forces. */
    if (flush) {
        mm_mark_stale();
        mm_flush_tlb_vcpus(1ull << current->vcpu_id);
    }
    if (pdone) {
        done += i;
        (void)copy_to_guest(pdone, &done, sizeof(done));
    }
    return rc;
}

/* ---------------------------------------------------------- update_va_mapping */

static long update_va_mapping(vaddr_t va, uint64_t val, uint64_t flags)
{
    mfn_t l1;
    if (!mm_find_l1(va, &l1) || !get_page(l1))
        return -XEN_EINVAL;
    if (!frame_in_use_as(frame_of(l1), PV_TYPE_L1)) {
        put_page(l1);
        return -XEN_EINVAL;
    }
    int rc = mod_entry(l1, 1, pt_index(va, L1_SHIFT), val, false, PG_OWNER_SELF);
    put_page(l1);
    if (rc)
        return rc;

    /* UVMF_LOCAL (0): this vCPU; UVMF_ALL: every vCPU; else a bitmap pointer. */
    uint64_t target = flags & ~UVMF_FLUSHTYPE_MASK;
    uint64_t self = 1ull << current->vcpu_id;
    uint64_t vcpus = target == UVMF_LOCAL ? self :
                     target == UVMF_ALL ? mm_all_vcpus() : 0;
    if (target != UVMF_LOCAL && target != UVMF_ALL &&
        (flags & UVMF_FLUSHTYPE_MASK) && (flags & UVMF_FLUSHTYPE_MASK) != UVMF_FLUSHTYPE_MASK)
        rc = mm_read_vcpumask(target, &vcpus);
    if (rc)
        return rc;

    switch (flags & UVMF_FLUSHTYPE_MASK) {
    case UVMF_TLB_FLUSH:
        mm_flush_tlb_vcpus(vcpus);
        break;
    case UVMF_INVLPG:
        mm_invlpg_vcpus(vcpus, va);
        break;
    }
    return 0;
}

long do_update_va_mapping(vaddr_t va, uint64_t val, uint64_t flags)
{
    return update_va_mapping(va, val, flags);
}

long do_update_va_mapping_otherdomain(vaddr_t va, uint64_t val, uint64_t flags,
                                      unsigned int domid)
{
    if ((domid_t)domid != DOMID_SELF)
        return -XEN_ESRCH;
    return update_va_mapping(va, val, flags);
}
