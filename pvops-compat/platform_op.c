/*
 * platform_op: host-wide firmware, time and CPU operations, which Xen 4.17
 * grants the control domain only. pvshim's guest is a domU, so each is
 * refused, in Xen's order (arch/x86/platform_hypercall.c with XSM's dummy
 * policy, the same for every cmd): the whole struct xen_platform_op
 * unreadable, -EFAULT; another interface_version, -EACCES; otherwise
 * -EPERM. A 32-bit guest's struct (Xen's compat_platform_op) has the same
 * size, 8 bytes of header and a 128-byte union, and the same order.
 */
#include <pvshim/types.h>
#include <xen/xen.h>
#include <xen/platform.h>
#include <xen/errno.h>
#include <pvshim/guest_access.h>
#include "hypercalls.h"

long do_platform_op(vaddr_t u_op)
{
    struct xen_platform_op op;

    if (copy_from_guest(&op, u_op, sizeof(op)))
        return -XEN_EFAULT;
    if (op.interface_version != XENPF_INTERFACE_VERSION)
        return -XEN_EACCES;
    return -XEN_EPERM;
}
