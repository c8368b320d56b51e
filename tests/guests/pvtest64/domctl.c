/*
 * domctl and platform_op, the toolstack's per-domain and host-wide
 * operations: Xen 4.17 checks the interface version (-EACCES) and, for
 * domctl, looks the named domain up (-ESRCH) and checks some arguments
 * before it asks whether the caller is the control domain; so these
 * answers are the same for dom0 and a domU. Then a domU gets -EPERM where
 * dom0's harmless query succeeds. An unreadable struct: -EFAULT.
 */
#include <pvshim/types.h>
/* public/domctl.h and vm_event.h are for __XEN_TOOLS__ only, at the newest version. */
#undef __XEN_INTERFACE_VERSION__
#define __XEN_TOOLS__ 1
#include <xen/domctl.h>
#include <xen/vm_event.h>
#include <xen/platform.h>
#include "pvtest.h"
#include "hypercall.h"

#define NO_SUCH_DOMAIN 0x7000       /* below DOMID_FIRST_RESERVED, never created */

static struct xen_domctl dop;
static struct xen_platform_op pop;

static long domctl(void *arg)
{
    return hypercall1(__HYPERVISOR_domctl, (unsigned long)arg);
}

static long platform_op(void *arg)
{
    return hypercall1(__HYPERVISOR_platform_op, (unsigned long)arg);
}

static void domctl_set(uint32_t cmd, domid_t domain)
{
    memset(&dop, 0, sizeof(dop));
    dop.cmd = cmd;
    dop.interface_version = XEN_DOMCTL_INTERFACE_VERSION;
    dop.domain = domain;
}

static void check_domctl(void)
{
    static const struct {
        uint32_t cmd;
        domid_t domain;
        long dom0_rc, domu_rc;
    } rows[] = {
        /* The domain is looked up first: DOMID_SELF is not a number. */
        { XEN_DOMCTL_pausedomain, NO_SUCH_DOMAIN, -XEN_ESRCH, -XEN_ESRCH },
        { XEN_DOMCTL_pausedomain, DOMID_SELF, -XEN_ESRCH, -XEN_ESRCH },
        /* getdomaininfo answers for the next domain up, none above. */
        { XEN_DOMCTL_getdomaininfo, NO_SUCH_DOMAIN, -XEN_ESRCH, -XEN_ESRCH },
        { XEN_DOMCTL_getdomaininfo, DOMID_SELF, -XEN_EINVAL, -XEN_EINVAL },
        { XEN_DOMCTL_getdomaininfo, 0, 0, -XEN_EPERM },
    };

    for (unsigned i = 0; i < ARRAY_LEN(rows); i++) {
        domctl_set(rows[i].cmd, rows[i].domain);
        expect_rc(domctl(&dop), is_dom0 ? rows[i].dom0_rc : rows[i].domu_rc);
    }
    /* A domain made its own target: -EINVAL before XSM. */
    domctl_set(XEN_DOMCTL_set_target, 0);
    dop.u.set_target.target = 0;
    expect_rc(domctl(&dop), -XEN_EINVAL);
    /* vm_event's version is anyone's, copied back. */
    domctl_set(XEN_DOMCTL_vm_event_op, DOMID_INVALID);
    dop.u.vm_event_op.op = XEN_VM_EVENT_GET_VERSION;
    expect_rc(domctl(&dop), 0);
    expect_eq(dop.u.vm_event_op.u.version, VM_EVENT_INTERFACE_VERSION);

    domctl_set(XEN_DOMCTL_getdomaininfo, 0);
    dop.interface_version = XEN_DOMCTL_INTERFACE_VERSION - 1;
    expect_rc(domctl(&dop), -XEN_EACCES);
    expect_rc(domctl(NULL), -XEN_EFAULT);
}

static void check_platform_op(void)
{
    memset(&pop, 0, sizeof(pop));
    pop.cmd = XENPF_get_cpu_version;
    pop.interface_version = XENPF_INTERFACE_VERSION - 1;
    expect_rc(platform_op(&pop), -XEN_EACCES);
    pop.interface_version = XENPF_INTERFACE_VERSION;
    expect_rc(platform_op(&pop), is_dom0 ? 0 : -XEN_EPERM);
    expect_rc(platform_op(NULL), -XEN_EFAULT);
}

void domctl_checks(void)
{
    run_check("boot.domctl", check_domctl);
    run_check("boot.platform_op", check_platform_op);
}
