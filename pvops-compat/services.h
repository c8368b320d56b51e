/*
 * The Xen services behind the ABI (console, xenstore, ...), provided either
 * by pvshim itself (xen/local) or by a Xen underneath (xen/l0). The PV
 * layer talks to whichever was chosen at boot through this table.
 */
#ifndef PVSHIM_SERVICES_H
#define PVSHIM_SERVICES_H

#include <pvshim/types.h>
#include <pvshim/xen_abi.h>

struct xenstore_guest_params;

struct xen_services {
    const char *name;
    /* CONSOLEIO_write and _read: the hypervisor console. */
    void (*console_io_write)(const char *s, size_t len);
    size_t (*console_io_read)(char *buf, size_t len);
    /* Before the VM ends: push out whatever the guest left in its rings. */
    void (*flush)(void);
    /* The guest's xenstore: its event channel (at boot, before the
     * guest's own ports), then its ring page once built. */
    evtchn_port_t (*store_bind)(void);
    void (*store_attach)(mfn_t ring, const struct xenstore_guest_params *params);
};

extern const struct xen_services *services;

void pv_services_flush(void);

#endif
