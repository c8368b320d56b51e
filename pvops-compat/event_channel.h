/*
 * The guest's event channels. Ports connect to VIRQs, IPIs to the guest
 * itself, or to backends inside pvshim (console, xenstore) that play the
 * remote domain's part. Delivery is 2-level (pending and mask bitmaps in
 * shared_info, a selector word and the upcall flags in vcpu_info) until
 * the guest switches the domain to FIFO (event_fifo.c, evtchn_port.h);
 * callers here need not know which.
 */
#ifndef PVSHIM_EVENT_CHANNEL_H
#define PVSHIM_EVENT_CHANNEL_H

#include <pvshim/xen_abi.h>

#define EVTCHN_PORTS        1024    /* as many as Xen gives a domU by default */
#define BACKEND_DOMID       0       /* pvshim's backends appear as domain 0 */

/* A backend's handler for the guest's notifications on its port. */
typedef void (*evtchn_backend_fn)(evtchn_port_t port);

/* Reset all ports (domain creation). */
void evtchn_init(void);
/*
 * The domain was restored into a new one (pv_domain_moved): no channel
 * survives, as in a new domain (L0's ports are gone with the old one, so
 * nothing is closed there); 2-level ABI, every port masked and nothing
 * pending in the guest's shared_info, as Xen's restore leaves it.
 */
void evtchn_domain_moved(void);

/*
 * Set up an interdomain channel to a pvshim backend, as the toolstack does
 * for the console and xenstore before the guest starts. Returns the
 * guest's port, or 0 when none is free.
 */
evtchn_port_t evtchn_bind_backend(evtchn_backend_fn fn);
/* The same on port p if it is free (with forwarding: an L0 port of the
 * domain that pvshim serves itself, e.g. L0's console or xenstore port, so
 * the guest sees L0's number), else on any port as above. */
evtchn_port_t evtchn_bind_backend_at(evtchn_port_t p, evtchn_backend_fn fn);

/*
 * A backend takes the end of a channel the guest allocated for it
 * (EVTCHNOP_alloc_unbound with remote BACKEND_DOMID) and named in xenstore:
 * 0, or -XEN_EINVAL if port is not such an unbound port.
 */
int evtchn_backend_connect(evtchn_port_t port, evtchn_backend_fn fn);
/* The backend lets go: the guest's port is unbound again (if still fn's). */
void evtchn_backend_disconnect(evtchn_port_t port, evtchn_backend_fn fn);
/* Notify the guest on port, only if it is still connected to fn. */
void evtchn_backend_notify(evtchn_port_t port, evtchn_backend_fn fn);

/* Mark a port pending and raise the upcall if it is not masked. */
void evtchn_set_pending(evtchn_port_t port);

/* L0 signalled port: pending for the guest if it is a channel of L0's
 * (services.h, struct evtchn_forward); ignored otherwise. */
void evtchn_from_l0(evtchn_port_t port);

/* Raise a VIRQ if the guest bound it. */
void evtchn_send_virq(unsigned virq);

/* How many times a port went from clear to pending (wakes SCHEDOP_poll). */
unsigned evtchn_newly_pending_count(void);

/* Any of these ports pending? (SCHEDOP_poll) */
bool evtchn_any_pending(const evtchn_port_t *ports, unsigned n);

/* Is a port number one the guest may name? */
bool evtchn_port_valid(evtchn_port_t port);

#endif
