/*
 * sysctl, the toolstack's whole-host operations: Xen 4.17 rejects another
 * interface version (-EACCES, how a guest finds the version) before it
 * asks whether the caller is the control domain, so a domU gets -EPERM
 * and dom0's XEN_SYSCTL_physinfo succeeds; an unreadable struct, -EFAULT.
 */
#include <pvshim/types.h>
/* public/sysctl.h is for __XEN_TOOLS__ only, at the newest interface version. */
#undef __XEN_INTERFACE_VERSION__
#define __XEN_TOOLS__ 1
#include <xen/sysctl.h>
#include "pvtest.h"
#include "hypercall.h"

static struct xen_sysctl op;

static long sysctl(void *arg)
{
    return hypercall1(__HYPERVISOR_sysctl, (unsigned long)arg);
}

static void check_sysctl(void)
{
    memset(&op, 0, sizeof(op));
    op.cmd = XEN_SYSCTL_physinfo;
    op.interface_version = XEN_SYSCTL_INTERFACE_VERSION - 1;
    expect_rc(sysctl(&op), -XEN_EACCES);
    op.interface_version = XEN_SYSCTL_INTERFACE_VERSION;
    expect_rc(sysctl(&op), is_dom0 ? 0 : -XEN_EPERM);
    expect_rc(sysctl(NULL), -XEN_EFAULT);
}

void sysctl_checks(void)
{
    run_check("boot.sysctl", check_sysctl);
}
