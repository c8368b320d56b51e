/*
 * domctl and platform_op as a domU gets them (Xen 4.17's common/domctl.c,
 * arch/x86/domctl.c and platform_hypercall.c with XSM's dummy policy):
 * the domain lookup and the argument checks Xen makes before XSM, then
 * -EPERM. pvtest64 checks the answers that are the same for dom0 (it runs
 * as dom0 under Xen); this states the domU-only ones from the source.
 */
#include <string.h>
#include "unit.h"
#undef __XEN_INTERFACE_VERSION__
#define __XEN_TOOLS__ 1
#include <xen/domctl.h>
#include <xen/vm_event.h>
#include <xen/platform.h>
#include <xen/errno.h>
#include "fakes.h"
#include "domain.h"
#include "hypercalls.h"

#define OP_VA 0x10000ul
#define GUEST 7

static struct xen_domctl op;

static void setup(void)
{
    fake_guest_reset();
    fake_guest_map(OP_VA, &op, sizeof(op));
    dom.domid = GUEST;
}

static long domctl(uint32_t cmd, domid_t d)
{
    op.cmd = cmd;
    op.interface_version = XEN_DOMCTL_INTERFACE_VERSION;
    op.domain = d;
    return do_domctl(OP_VA);
}

START_TEST(domu_answers)
{
    /* Version, then the domain, then XSM. */
    memset(&op, 0, sizeof(op));
    op.interface_version = XEN_DOMCTL_INTERFACE_VERSION + 1;
    ck_assert_int_eq(do_domctl(OP_VA), -XEN_EACCES);
    ck_assert_int_eq(do_domctl(OP_VA + 8), -XEN_EFAULT);
    ck_assert_int_eq(domctl(XEN_DOMCTL_pausedomain, GUEST), -XEN_EPERM);
    ck_assert_int_eq(domctl(XEN_DOMCTL_pausedomain, 0), -XEN_EPERM);
    ck_assert_int_eq(domctl(XEN_DOMCTL_pausedomain, GUEST + 1), -XEN_ESRCH);
    ck_assert_int_eq(domctl(XEN_DOMCTL_createdomain, DOMID_INVALID), -XEN_EPERM);
    ck_assert_int_eq(domctl(XEN_DOMCTL_assign_device, DOMID_IO), -XEN_EPERM);
    ck_assert_int_eq(domctl(XEN_DOMCTL_assign_device, DOMID_INVALID), -XEN_ESRCH);
    ck_assert_int_eq(domctl(XEN_DOMCTL_test_assign_device, DOMID_INVALID), -XEN_EPERM);
    /* getdomaininfo: the next domain up. */
    ck_assert_int_eq(domctl(XEN_DOMCTL_getdomaininfo, 3), -XEN_EPERM);
    ck_assert_int_eq(domctl(XEN_DOMCTL_getdomaininfo, GUEST + 1), -XEN_ESRCH);
    ck_assert_int_eq(domctl(XEN_DOMCTL_getdomaininfo, DOMID_SELF), -XEN_EINVAL);
}
END_TEST

START_TEST(checks_before_xsm)
{
    memset(&op, 0, sizeof(op));
    op.u.iomem_permission.first_mfn = 10;
    op.u.iomem_permission.nr_mfns = ~0ull;
    ck_assert_int_eq(domctl(XEN_DOMCTL_iomem_permission, GUEST), -XEN_EINVAL);
    op.u.iomem_permission.nr_mfns = 1;
    ck_assert_int_eq(domctl(XEN_DOMCTL_iomem_permission, GUEST), -XEN_EPERM);

    memset(&op, 0, sizeof(op));
    op.u.memory_mapping.first_mfn = 1ull << 40;
    op.u.memory_mapping.nr_mfns = 1;
    ck_assert_int_eq(domctl(XEN_DOMCTL_memory_mapping, GUEST), -XEN_EINVAL);
    op.u.memory_mapping.first_mfn = 100;
    ck_assert_int_eq(domctl(XEN_DOMCTL_memory_mapping, GUEST), -XEN_EPERM);

    memset(&op, 0, sizeof(op));
    op.u.ioport_permission.first_port = 0xfff0;
    op.u.ioport_permission.nr_ports = 0x20;
    ck_assert_int_eq(domctl(XEN_DOMCTL_ioport_permission, GUEST), -XEN_EINVAL);
    op.u.ioport_permission.nr_ports = 0x10;
    ck_assert_int_eq(domctl(XEN_DOMCTL_ioport_permission, GUEST), -XEN_EPERM);

    /* The domain kinds: all PV, no IOMMU. */
    ck_assert_int_eq(domctl(XEN_DOMCTL_ioport_mapping, GUEST), -XEN_EOPNOTSUPP);
    ck_assert_int_eq(domctl(XEN_DOMCTL_bind_pt_irq, GUEST), -XEN_EINVAL);
    ck_assert_int_eq(domctl(XEN_DOMCTL_unbind_pt_irq, GUEST), -XEN_EINVAL);
    ck_assert_int_eq(domctl(XEN_DOMCTL_get_device_group, GUEST), -XEN_EOPNOTSUPP);
    op.u.set_target.target = 0;
    ck_assert_int_eq(domctl(XEN_DOMCTL_set_target, GUEST), -XEN_EOPNOTSUPP);
    op.u.set_target.target = GUEST + 1;
    ck_assert_int_eq(domctl(XEN_DOMCTL_set_target, GUEST), -XEN_ESRCH);

    /* vm_event: the version for anyone, copied back; the rest needs a domain. */
    memset(&op, 0, sizeof(op));
    op.u.vm_event_op.op = XEN_VM_EVENT_GET_VERSION;
    ck_assert_int_eq(domctl(XEN_DOMCTL_vm_event_op, DOMID_INVALID), 0);
    ck_assert_uint_eq(op.u.vm_event_op.u.version, VM_EVENT_INTERFACE_VERSION);
    op.u.vm_event_op.op = XEN_VM_EVENT_ENABLE;
    ck_assert_int_eq(domctl(XEN_DOMCTL_vm_event_op, DOMID_INVALID), -XEN_ESRCH);
    ck_assert_int_eq(domctl(XEN_DOMCTL_vm_event_op, GUEST), -XEN_EPERM);
}
END_TEST

START_TEST(platform_op_refused)
{
    static struct xen_platform_op p;
    fake_guest_map(OP_VA + 0x1000, &p, sizeof(p));
    p.cmd = XENPF_settime64;
    ck_assert_int_eq(do_platform_op(OP_VA + 0x1000), -XEN_EACCES);
    p.interface_version = XENPF_INTERFACE_VERSION;
    ck_assert_int_eq(do_platform_op(OP_VA + 0x1000), -XEN_EPERM);
    ck_assert_int_eq(do_platform_op(OP_VA + 0x1008), -XEN_EFAULT);
}
END_TEST

static Suite *domctl_suite(void)
{
    Suite *s = suite_create("domctl");
    TCase *tc = tcase_create("domu");
    tcase_add_checked_fixture(tc, setup, NULL);
    tcase_add_test(tc, domu_answers);
    tcase_add_test(tc, checks_before_xsm);
    tcase_add_test(tc, platform_op_refused);
    suite_add_tcase(s, tc);
    return s;
}

UNIT_SUITE(domctl_suite)
