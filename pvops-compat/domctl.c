/*
 * domctl: the toolstack's per-domain operations, which Xen 4.17 grants the
 * control domain only (XSM's dummy policy). pvshim's guest is a domU, so
 * no operation is ever carried out; what it gets is the error Xen gives a
 * domU, in Xen's order (common/domctl.c, arch/x86/domctl.c):
 *   - the whole struct xen_domctl unreadable: -EFAULT;
 *   - another interface_version: -EACCES (how a guest finds the version);
 *   - op->domain names no domain: -ESRCH (Xen looks the domain up by
 *     number, DOMID_SELF included in "no domain", before asking XSM);
 *     except createdomain (no domain), assign/deassign_device on DOMID_IO,
 *     test_assign_device and vm_event_op on DOMID_INVALID, and
 *     getdomaininfo, which answers for the next domain up: -EINVAL for a
 *     reserved id, -ESRCH when no domain has that id or a higher one;
 *   - the sub-operations Xen checks before XSM (domctl_precheck below);
 *   - otherwise -EPERM.
 * The domains that exist here are the guest and the backends' domain 0.
 * A 32-bit guest's struct has the same layout (every field is 64-bit
 * aligned), and Xen runs the same handler for it.
 * Xen checks two arguments against the host that pvshim does not model:
 * memory_mapping's frames against the host's physical address width
 * (pvshim refuses only frames beyond the architectural 52 bits) and
 * irq_permission's pirq against the domain's pirq count (pvshim answers
 * -EPERM for every pirq, which is Xen's answer within the count).
 */
#include <pvshim/types.h>
/*
 * public/domctl.h and vm_event.h are for __XEN_TOOLS__ only, at the newest
 * interface version (as sysctl.c).
 */
#undef __XEN_INTERFACE_VERSION__
#define __XEN_TOOLS__ 1
#include <xen/domctl.h>
#include <xen/vm_event.h>
#include <xen/errno.h>
#include <pvshim/guest_access.h>
#include "domain.h"
#include "event_channel.h"
#include "hypercalls.h"

#define MAX_IOPORTS       0x10000u  /* x86 I/O port space */
#define MAX_MACHINE_FRAME (1ull << (52 - PAGE_SHIFT))

/* Xen's rcu_lock_domain_by_id on pvshim's domains (DOMID_SELF is none). */
static bool domain_exists(domid_t d)
{
    return d == dom.domid || d == BACKEND_DOMID;
}

/* getdomaininfo's search: some domain has id d or a higher one. */
static bool domain_at_or_above(domid_t d)
{
    return dom.domid >= d || BACKEND_DOMID >= d;
}

/*
 * Which domain the operation names; 0 if Xen goes on (with that domain,
 * or none), else its error. Every domain here is PV (no HVM target).
 */
static long domctl_lookup(const struct xen_domctl *op)
{
    switch (op->cmd) {
    case XEN_DOMCTL_createdomain:
        return 0;
    case XEN_DOMCTL_assign_device:
    case XEN_DOMCTL_deassign_device:
        if (op->domain == DOMID_IO)
            return 0;
        if (op->domain == DOMID_INVALID)
            return -XEN_ESRCH;
        break;
    case XEN_DOMCTL_test_assign_device:
    case XEN_DOMCTL_vm_event_op:
        if (op->domain == DOMID_INVALID)
            return 0;
        break;
    case XEN_DOMCTL_getdomaininfo:
        if (domain_exists(op->domain))
            return 0;
        if (op->domain >= DOMID_FIRST_RESERVED)
            return -XEN_EINVAL;
        return domain_at_or_above(op->domain) ? 0 : -XEN_ESRCH;
    }
    return domain_exists(op->domain) ? 0 : -XEN_ESRCH;
}

/*
 * The sub-operations Xen answers before its XSM check (or without one):
 * their argument and domain-kind errors come first. 1 when the operation
 * goes on to XSM (-EPERM); op may be updated to be copied back.
 */
static long domctl_precheck(struct xen_domctl *op)
{
    switch (op->cmd) {
    case XEN_DOMCTL_iomem_permission: {
        uint64_t first = op->u.iomem_permission.first_mfn;
        uint64_t nr = op->u.iomem_permission.nr_mfns;
        return first + nr - 1 < first ? -XEN_EINVAL : 1;
    }
    case XEN_DOMCTL_memory_mapping: {
        uint64_t first = op->u.memory_mapping.first_mfn;
        uint64_t nr = op->u.memory_mapping.nr_mfns;
        uint64_t gfn = op->u.memory_mapping.first_gfn;
        uint64_t last = first + nr - 1;
        if (last < first || ((first | last) >= MAX_MACHINE_FRAME) || gfn + nr - 1 < gfn)
            return -XEN_EINVAL;
        return 1;
    }
    case XEN_DOMCTL_set_target:
        /* The target must exist, differ and be HVM: none here is. */
        if (!domain_exists(op->u.set_target.target))
            return -XEN_ESRCH;
        return op->u.set_target.target == op->domain ? -XEN_EINVAL : -XEN_EOPNOTSUPP;
    case XEN_DOMCTL_vm_event_op:
        if (op->u.vm_event_op.op == XEN_VM_EVENT_GET_VERSION) {
            op->u.vm_event_op.u.version = VM_EVENT_INTERFACE_VERSION;
            return 0;
        }
        return op->domain == DOMID_INVALID ? -XEN_ESRCH : 1;
    case XEN_DOMCTL_get_device_group:
        return -XEN_EOPNOTSUPP;     /* no IOMMU for a domain here */
    case XEN_DOMCTL_ioport_permission: {
        uint32_t first = op->u.ioport_permission.first_port;
        uint32_t end = first + op->u.ioport_permission.nr_ports;
        return end <= first || end > MAX_IOPORTS ? -XEN_EINVAL : 1;
    }
    case XEN_DOMCTL_ioport_mapping:
        return -XEN_EOPNOTSUPP;     /* the domain is not HVM */
    case XEN_DOMCTL_bind_pt_irq:
    case XEN_DOMCTL_unbind_pt_irq:
        return -XEN_EINVAL;         /* the domain is not HVM */
    }
    return 1;
}

long do_domctl(vaddr_t u_domctl)
{
    struct xen_domctl op;
    long rc;

    if (copy_from_guest(&op, u_domctl, sizeof(op)))
        return -XEN_EFAULT;
    if (op.interface_version != XEN_DOMCTL_INTERFACE_VERSION)
        return -XEN_EACCES;
    rc = domctl_lookup(&op);
    if (rc)
        return rc;
    rc = domctl_precheck(&op);
    if (rc == 0 && copy_to_guest(u_domctl, &op, sizeof(op)))
        return -XEN_EFAULT;
    return rc > 0 ? -XEN_EPERM : rc;
}
