/*
 * MMUEXT_OP (hypercall 26): pinning, base pointers, TLB and cache
 * maintenance, the LDT, page clearing and copying. Error codes as Xen's
 * do_mmuext_op for a 64-bit PV domU. Ops run to completion
 * (no continuations); a failing op stops the batch and *pdone reports how
 * many went through.
 */
#include <pvshim/string.h>
#include <pvshim/hw.h>
#include <pvshim/guest_access.h>
#include "mm_private.h"
#include "abi_trace.h"
#include "hypercalls.h"

STATIC_ASSERT(sizeof(struct mmuext_op) == 24, "64-bit mmuext_op layout");

/*
 * A vCPU bitmap argument (TLB_FLUSH_MULTI, INVLPG_MULTI, UVMF): as many
 * words as the vCPUs need (PV_MAX_VCPUS fit in the first). -XEN_EFAULT if
 * it can't be read.
 */
STATIC_ASSERT(PV_MAX_VCPUS <= 64, "one bitmap word holds every vCPU");

int mm_read_vcpumask(vaddr_t ptr, uint64_t *vcpus)
{
    uint64_t mask;
    if (copy_from_guest(&mask, ptr, sizeof(mask)))
        return -XEN_EFAULT;
    *vcpus = dom.nr_vcpus >= 64 ? mask : mask & ((1ull << dom.nr_vcpus) - 1);
    return 0;
}


static int clear_page(mfn_t mfn)
{
    if (!get_page(mfn))
        return -XEN_EINVAL;
    if (get_page_type(mfn, PV_TYPE_WRITABLE)) {
        put_page(mfn);
        return -XEN_EINVAL;
    }
    void *p = frame_map(mfn);
    if (p)
        memset(p, 0, PAGE_SIZE);
    put_page_and_type(mfn);
    return p ? 0 : -XEN_EINVAL;
}

static int copy_page(mfn_t dst, mfn_t src)
{
    if (!get_page(src))
        return -XEN_EINVAL;
    if (get_page_and_type(dst, PV_TYPE_WRITABLE)) {
        put_page(src);
        return -XEN_EINVAL;
    }
    void *d = frame_map(dst), *s = frame_map(src);
    if (d && s)
        memmove(d, s, PAGE_SIZE);
    put_page_and_type(dst);
    put_page(src);
    return d && s ? 0 : -XEN_EINVAL;
}

static int one_op(const struct mmuext_op *op)
{
    vaddr_t linear = op->arg1.linear_addr;
    vaddr_t mask_ptr;
    uint64_t vcpus;

    switch (op->cmd) {
    case MMUEXT_PIN_L1_TABLE:
    case MMUEXT_PIN_L2_TABLE:
    case MMUEXT_PIN_L3_TABLE:
    case MMUEXT_PIN_L4_TABLE:
        return pv_mm_pin(op->arg1.mfn, op->cmd - MMUEXT_PIN_L1_TABLE + 1);

    case MMUEXT_UNPIN_TABLE:
        return pv_mm_unpin(op->arg1.mfn);

    case MMUEXT_NEW_BASEPTR:
        return mm_new_baseptr(op->arg1.mfn, true);

    case MMUEXT_NEW_USER_BASEPTR:
        return pv_mm_set_user_base(op->arg1.mfn);

    case MMUEXT_TLB_FLUSH_LOCAL:
        /* This vCPU only, as Xen: the others' stale bits wait for a type change. */
        mm_flush_tlb_vcpus(1ull << current->vcpu_id);
        return 0;

    case MMUEXT_TLB_FLUSH_ALL:
        mm_flush_tlb_vcpus(mm_all_vcpus());
        return 0;

    case MMUEXT_INVLPG_LOCAL:
        if (is_canonical(linear))
            hw_invlpg(linear);
        return 0;

    case MMUEXT_INVLPG_ALL:
        if (guest_addr_ok(linear))
            mm_invlpg_vcpus(mm_all_vcpus(), linear);
        return 0;

    case MMUEXT_TLB_FLUSH_MULTI:
    case MMUEXT_INVLPG_MULTI:
        memcpy(&mask_ptr, &op->arg2, sizeof(mask_ptr));
        if (mm_read_vcpumask(mask_ptr, &vcpus))
            return -XEN_EINVAL;
        if (op->cmd == MMUEXT_TLB_FLUSH_MULTI)
            mm_flush_tlb_vcpus(vcpus);
        else if (guest_addr_ok(linear))
            mm_invlpg_vcpus(vcpus, linear);
        return 0;

    case MMUEXT_FLUSH_CACHE:
    case MMUEXT_FLUSH_CACHE_GLOBAL:
        return -XEN_EACCES;             /* a domU has no cache-flush permission */

    case MMUEXT_SET_LDT:
        return mm_set_ldt(linear, op->arg2.nr_ents);

    case MMUEXT_CLEAR_PAGE:
        return clear_page(op->arg1.mfn);

    case MMUEXT_COPY_PAGE:
        return copy_page(op->arg1.mfn, op->arg2.src_mfn);

    case MMUEXT_MARK_SUPER:
    case MMUEXT_UNMARK_SUPER:
        return -XEN_EOPNOTSUPP;

    default:
        return -XEN_ENOSYS;
    }
}

long do_mmuext_op(vaddr_t uops, unsigned int count, vaddr_t pdone, unsigned int foreigndom)
{
    unsigned int done = 0, i;
    long rc = 0;

    /* Xen's continuation protocol, which a guest may also invoke directly. */
    if (count == MMU_UPDATE_PREEMPTED && !uops)
        return (int)foreigndom;
    if (count & MMU_UPDATE_PREEMPTED) {
        count &= ~MMU_UPDATE_PREEMPTED;
        if (pdone)
            (void)copy_from_guest(&done, pdone, sizeof(done));
    }
    if (!guest_addr_ok(uops))
        return -XEN_EFAULT;

    domid_t fd = (domid_t)foreigndom;
    if (fd == DOMID_IO || fd == DOMID_XEN)
        return -XEN_EINVAL;             /* exists, but is not a PV domain */
    if (fd != DOMID_SELF)
        return -XEN_ESRCH;              /* itself by number included, as Xen */

    for (i = 0; i < count; i++) {
        struct mmuext_op op;
        if (copy_from_guest(&op, uops + (vaddr_t)i * sizeof(op), sizeof(op))) {
            rc = -XEN_EFAULT;
            break;
        }
        rc = one_op(&op);
        abi_trace_call(__HYPERVISOR_mmuext_op, op.cmd, rc);
        if (rc)
            break;
    }

    if (pdone) {
        done += i;
        (void)copy_to_guest(pdone, &done, sizeof(done));
    }
    return rc;
}
