/*
 * xen_version: pvshim answers as Xen 4.17 would answer an unprivileged PV
 * domU (public/version.h). Build details are denied to a domU there too.
 * Only constants, copied through the caller's own page tables: it runs
 * without the PV lock (hypercall_defs.h). Linux calls XENVER_version often:
 * its xen_force_evtchn_callback makes any hypercall so that the return
 * delivers a pending event, and picks this one.
 */
#include "domain.h"
#include "hypercalls.h"
#include <pvshim/guest_access.h>
#include <pvshim/string.h>
#include <pvshim/layout.h>
#include <pvshim/pv_features.h>

#define XEN_MAJOR 4
#define XEN_MINOR 17
#define DENIED    "<denied>"

static long put_string(vaddr_t arg, const char *s, size_t size)
{
    char buf[1024];
    memset(buf, 0, size);
    strlcpy_s(buf, s, size);
    return copy_to_guest(arg, buf, size) ? -XEN_EFAULT : 0;
}

long do_xen_version(int cmd, vaddr_t arg)
{
    switch (cmd) {
    case XENVER_version:
        return (XEN_MAJOR << 16) | XEN_MINOR;
    case XENVER_extraversion:
        return put_string(arg, ".0-pvshim", sizeof(xen_extraversion_t));
    case XENVER_compile_info: {
        struct xen_compile_info ci;
        memset(&ci, 0, sizeof(ci));
        strlcpy_s(ci.compiler, DENIED, sizeof(ci.compiler));
        strlcpy_s(ci.compile_by, DENIED, sizeof(ci.compile_by));
        strlcpy_s(ci.compile_domain, DENIED, sizeof(ci.compile_domain));
        strlcpy_s(ci.compile_date, DENIED, sizeof(ci.compile_date));
        return copy_to_guest(arg, &ci, sizeof(ci)) ? -XEN_EFAULT : 0;
    }
    case XENVER_capabilities:
        return put_string(arg, "xen-3.0-x86_64", sizeof(xen_capabilities_info_t));
    case XENVER_changeset:
        return put_string(arg, DENIED, sizeof(xen_changeset_info_t));
    case XENVER_platform_parameters: {
        struct xen_platform_parameters p = { .virt_start = HYPERVISOR_VIRT_START };
        return copy_to_guest(arg, &p, sizeof(p)) ? -XEN_EFAULT : 0;
    }
    case XENVER_get_features: {
        struct xen_feature_info fi;
        if (copy_from_guest(&fi, arg, sizeof(fi)))
            return -XEN_EFAULT;
        if (fi.submap_idx != 0)
            return -XEN_EINVAL;
        fi.submap = PV_FEATURES_SUBMAP0;
        return copy_to_guest(arg, &fi, sizeof(fi)) ? -XEN_EFAULT : 0;
    }
    case XENVER_pagesize:
        return PAGE_SIZE;
    case XENVER_guest_handle: {
        xen_domain_handle_t h;
        memset(h, 0, sizeof(h));
        return copy_to_guest(arg, h, sizeof(h)) ? -XEN_EFAULT : 0;
    }
    case XENVER_commandline:
        return put_string(arg, DENIED, sizeof(xen_commandline_t));
    case XENVER_build_id:
        return -XEN_EPERM;
    default:
        return -XEN_ENOSYS;
    }
}
