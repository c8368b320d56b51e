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

/*
 * Event channels that live in the Xen underneath (L0). With these, every
 * port number the guest holds is an L0 port number: channels to other
 * domains are L0's (alloc_unbound, bind_interdomain, send, close, status
 * forwarded), and a port pvshim serves itself (VIRQ, IPI, its backends)
 * first reserves its number at L0, so numbers never collide. Delivery to
 * the guest stays pvshim's (its own 2-level or FIFO state); the provider
 * calls evtchn_from_l0() for each L0 port that fires.
 */
struct evtchn_forward {
    /* A number for a port pvshim serves itself: the port, or -XEN_E*. */
    long (*reserve)(void);
    long (*alloc_unbound)(struct evtchn_alloc_unbound *a);
    long (*bind_interdomain)(struct evtchn_bind_interdomain *b);
    long (*send)(evtchn_port_t port);
    /* Close at L0 (a forwarded port or a reserved number). */
    long (*close)(evtchn_port_t port);
    long (*status)(struct evtchn_status *st);
};

/*
 * Grant table frames that are L0's: frame idx of the guest's table is
 * mapped from L0 at machine frame mfn (a frame pvshim took for it, which
 * L0 replaces). 0 or -XEN_E*; the frame is then L0's and never goes back
 * to pvshim's pool.
 */
typedef long (*gnttab_frame_fn)(unsigned idx, mfn_t mfn);

/*
 * The guest's balloon on a Xen host: frames the guest gives back leave the
 * domain at L0 too, and frames it asks for again come back from L0 first,
 * so L0's count of the domain's RAM moves with the guest's.
 */
struct mem_forward {
    /* Frames [mfn, mfn + n) (n a power of two, mfn aligned to it) left the
     * guest: true if L0 took them (pvshim keeps their numbers, not RAM). */
    bool (*release)(mfn_t mfn, uint64_t n);
    /* n aligned frames given to L0 before, populated again: their first
     * frame, or INVALID_MFN if none is left or L0 refuses. */
    mfn_t (*reclaim)(uint64_t n);
};

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
    /* NULL: pvshim's own event channels and grant frames (local). */
    const struct evtchn_forward *evtchn;
    gnttab_frame_fn gnttab_frame;
    const struct mem_forward *mem;
};

extern const struct xen_services *services;

void pv_services_flush(void);

#endif
