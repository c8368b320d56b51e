/*
 * The seam between the event-channel bookkeeping (event_channel.c: ports,
 * bindings, the hypercall) and the ABI that delivers events to the guest:
 * 2-level (bitmaps in shared_info, event_channel.c) until the guest calls
 * EVTCHNOP_init_control, FIFO (event_fifo.c) from then on, for every port.
 * Internal to pvops-compat; pvshim's backends go through event_channel.h.
 */
#ifndef PVSHIM_EVTCHN_PORT_H
#define PVSHIM_EVTCHN_PORT_H

#include <pvshim/xen_abi.h>

/*
 * Every operation on a port runs with that port's lock held (event_channel.c,
 * port_locks), the PV lock not always: set_pending and unmask run without
 * it on a sender's path. Domain-wide ABI changes (init_control,
 * expand_array, the switch back) run with every port's lock held.
 */
struct evtchn_port_ops {
    /* A port was (re)bound: per-port ABI state back to its defaults. */
    void (*bound)(evtchn_port_t port);
    /* Mark pending and raise the upcall if due; true if it was not pending. */
    bool (*set_pending)(evtchn_port_t port);
    void (*clear_pending)(evtchn_port_t port);
    /* EVTCHNOP_unmask: unmask, and deliver what became pending meanwhile. */
    void (*unmask)(evtchn_port_t port);
    bool (*is_pending)(evtchn_port_t port);
    /* Still on a guest queue after being closed: not to be reused yet. */
    bool (*is_busy)(evtchn_port_t port);
    /* EVTCHNOP_set_priority; NULL where the ABI has no priorities. */
    long (*set_priority)(evtchn_port_t port, unsigned priority);
};

extern const struct evtchn_port_ops evtchn_fifo_ops;

struct pv_vcpu;
/* The vCPU whose upcall an event on port raises. */
struct pv_vcpu *evtchn_notify_vcpu(evtchn_port_t port);
/* Set v's selector bit sel (-1: none) and, if it was clear, its upcall
 * flag, wherever its vcpu_info is (event_channel.c). */
void evtchn_raise_upcall(struct pv_vcpu *v, int sel);

/*
 * EVTCHNOP_init_control with Xen's checks. The first success switches the
 * domain to FIFO: the caller then installs evtchn_fifo_ops. Fills in
 * link_bits. 0 or -XEN_E*.
 */
long evtchn_fifo_init_control(struct evtchn_init_control *ic);
/* EVTCHNOP_expand_array: -XEN_EOPNOTSUPP before init_control. */
long evtchn_fifo_expand_array(const struct evtchn_expand_array *ea);
/* Back to 2-level (EVTCHNOP_reset, domain creation): drop every mapping. */
void evtchn_fifo_destroy(void);

#endif
