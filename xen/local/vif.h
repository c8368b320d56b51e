/*
 * PV network interfaces (vif) served by pvshim: for each network device a
 * netback instance, its xenstore backend and frontend directories as a
 * toolstack writes them, and the XenbusState handshake with the guest's
 * netfront (Initialising -> InitWait -> Connected, Closing -> Closed on
 * shutdown, InitWait again if the frontend starts over). One queue, one
 * event channel, receive by copy; scatter-gather and TCP GSO (v4 and v6)
 * always: the device's TSO when it has it, else segmented here (net_gso.h);
 * checksums completed by the device or here.
 */
#ifndef PVSHIM_VIF_H
#define PVSHIM_VIF_H

#include <pvshim/netdev.h>
#include <pvshim/soft_timer.h>
#include "netback.h"

#define VIF_MAX 4

struct vif {
    struct netback be;
    struct netdev *dev;
    domid_t fe_domid;
    unsigned devid;                 /* 0, 1, ... in device order */
    char name[8];                   /* "vif0" */
    char fe_path[64], be_path[80];
    char token[8];
    int state;                      /* our XenbusState */
    evtchn_port_t port;             /* the guest's port, 0 when not bound */
    grant_ref_t tx_ref, rx_ref;
    mfn_t tx_frame, rx_frame;       /* INVALID_MFN when the ring is not held */
    struct soft_timer poll;
};

/*
 * Create vif index for dev in the guest domid's store (after
 * xenstore_init, before the guest runs). 0 or -XEN_E*.
 */
int vif_create(struct netdev *dev, domid_t fe_domid, unsigned index);

unsigned vif_count(void);
struct vif *vif_get(unsigned n);

#endif
