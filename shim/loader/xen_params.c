/*
 * libelf's acceptance test of what the notes (or __xen_guest) declare:
 * the image must be meant for Xen's generic loader or be Linux, and be
 * built for the "xen-3.0" interface.
 */
#include <pvshim/string.h>
#include "loader.h"

int xen_params_check(const struct xen_parse *xp, struct loader_err *e)
{
    const struct xen_guest_params *p = xp->p;

    if (!p->from_notes && !p->from_legacy_string)
        return loader_fail(e, "not a Xen PV kernel: no Xen ELF notes and no "
                           "__xen_guest section");

    if (strncmp(p->loader, "generic", 7) != 0 && strncmp(p->guest_os, "linux", 5) != 0) {
        if (p->has_phys32_entry && !p->loader[0] && !p->guest_os[0])
            return loader_fail(e, "kernel has only a PVH entry point (PHYS32_ENTRY) "
                               "and no Xen PV support");
        return loader_fail(e, "kernel is neither for the generic loader nor Linux "
                           "(LOADER '%s', GUEST_OS '%s')", p->loader, p->guest_os);
    }

    if (strncmp(p->xen_version, "xen-3.0", 7) != 0)
        return loader_fail(e, "kernel is built for Xen interface '%s', not 'xen-3.0'",
                           p->xen_version);
    return 0;
}
