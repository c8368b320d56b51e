/*
 * The guest's PV console (hvc0 in Linux) when pvshim itself is the
 * backend: the ring page of start_info.console.domU, joined both ways to
 * pvshim's own console.
 */
#ifndef PVSHIM_CONSOLE_BACKEND_H
#define PVSHIM_CONSOLE_BACKEND_H

#include <pvshim/xen_abi.h>

/* Bind the event channel the guest will find in start_info (before the
 * build): on port `want` if it is free (on a Xen host, L0's console port,
 * so the guest holds the number xl gave the domain, as under xen-shim),
 * else (or with 0) on any. */
evtchn_port_t console_backend_bind(evtchn_port_t want);
/* Attach to the ring in guest frame mfn and start serving it. */
void console_backend_attach(mfn_t ring_mfn);

/* Move output to pvshim's console and pending input into the ring. */
void console_backend_service(void);

#endif
