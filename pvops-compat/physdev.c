/*
 * physdev_op for a domU: it owns no physical devices, so only the I/O
 * privilege controls matter (virtual IOPL and the I/O bitmap, which the
 * port-I/O emulation consults). Everything else is refused as Xen refuses
 * an unprivileged domain.
 */
#include "domain.h"
#include "hypercalls.h"
#include <pvshim/guest_access.h>

long do_physdev_op(int cmd, vaddr_t arg)
{
    struct pv_vcpu *v = current;
    switch (cmd) {
    case PHYSDEVOP_set_iopl: {
        struct physdev_set_iopl s;
        if (copy_from_guest(&s, arg, sizeof(s)))
            return -XEN_EFAULT;
        if (s.iopl > 3)
            return -XEN_EINVAL;
        v->iopl = s.iopl;
        return 0;
    }
    case PHYSDEVOP_set_iobitmap: {
        struct physdev_set_iobitmap s;
        if (copy_from_guest(&s, arg, sizeof(s)))
            return -XEN_EFAULT;
        if (s.nr_ports > 65536)
            return -XEN_EINVAL;
        v->iobmp = (vaddr_t)(uintptr_t)s.bitmap.p;
        v->iobmp_limit = s.nr_ports;
        return 0;
    }
    case PHYSDEVOP_eoi:
    case PHYSDEVOP_irq_status_query:
    case PHYSDEVOP_pirq_eoi_gmfn_v1:
    case PHYSDEVOP_pirq_eoi_gmfn_v2:
    case PHYSDEVOP_map_pirq:
    case PHYSDEVOP_unmap_pirq:
    case PHYSDEVOP_manage_pci_add:
    case PHYSDEVOP_manage_pci_remove:
    case PHYSDEVOP_restore_msi:
    case PHYSDEVOP_setup_gsi:
    case PHYSDEVOP_get_free_pirq:
    case PHYSDEVOP_pci_device_add:
    case PHYSDEVOP_pci_device_remove:
        return -XEN_EPERM;
    default:
        return -XEN_ENOSYS;
    }
}

/* The old form: struct physdev_op { cmd; union u; }. */
long do_physdev_op_compat(vaddr_t uop)
{
    struct physdev_op op;
    if (copy_from_guest(&op, uop, sizeof(op)))
        return -XEN_EFAULT;
    return do_physdev_op((int)op.cmd, uop + offsetof(struct physdev_op, u));
}
