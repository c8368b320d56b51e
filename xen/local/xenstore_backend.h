/* The guest's xenstore connection when pvshim provides the store. */
#ifndef PVSHIM_XENSTORE_BACKEND_H
#define PVSHIM_XENSTORE_BACKEND_H

#include <pvshim/xen_abi.h>

struct xenstore_guest_params;

/* Bind the store event channel (before the build writes it into start_info). */
evtchn_port_t xenstore_backend_bind(void);
/* Serve the ring in guest frame ring_mfn, with the store's initial nodes. */
void xenstore_backend_attach(mfn_t ring_mfn, const struct xenstore_guest_params *params);

#endif
