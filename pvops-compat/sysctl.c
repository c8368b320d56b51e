/*
 * sysctl: the toolstack's whole-host operations, which Xen 4.17 grants the
 * control domain only. pvshim's guest is a domU, so every one is refused,
 * in Xen's order (common/sysctl.c with XSM's dummy policy): the whole
 * struct xen_sysctl unreadable, -EFAULT; another interface_version,
 * -EACCES (which is how a guest finds the version); otherwise -EPERM.
 */
#include <pvshim/types.h>
/*
 * public/sysctl.h is for __XEN_TOOLS__ only, and those take the newest
 * interface version (as xen/tools/inventory_host.h does); nothing else in
 * this file uses the version-dependent part of the ABI.
 */
#undef __XEN_INTERFACE_VERSION__
#define __XEN_TOOLS__ 1
#include <xen/sysctl.h>
#include <xen/errno.h>
#include <pvshim/guest_access.h>
#include "hypercalls.h"

long do_sysctl(vaddr_t u_sysctl)
{
    struct xen_sysctl op;

    if (copy_from_guest(&op, u_sysctl, sizeof(op)))
        return -XEN_EFAULT;
    if (op.interface_version != XEN_SYSCTL_INTERFACE_VERSION)
        return -XEN_EACCES;
    return -XEN_EPERM;
}
