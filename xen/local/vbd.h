/*
 * PV virtual block devices (vbd) served by pvshim: for each block device
 * a blkback instance, its xenstore backend and frontend directories as a
 * toolstack writes them, and the XenbusState handshake with the guest's
 * blkfront (Initialising -> InitWait -> Connected, Closing -> Closed on
 * shutdown, InitWait again if the frontend starts over). One page ring,
 * one queue, direct segments only; flush advertised iff the device has it.
 */
#ifndef PVSHIM_VBD_H
#define PVSHIM_VBD_H

#include <pvshim/blkdev.h>
#include <pvshim/soft_timer.h>
#include "blkback.h"

#define VBD_MAX 8

struct vbd {
    struct blkback be;
    struct blkdev *disk;
    domid_t fe_domid;
    unsigned devid;                 /* 51712 + 16 * index: xvda, xvdb, ... */
    char name[8];                   /* "xvda" */
    char fe_path[64], be_path[80];
    char token[8];
    int state;                      /* our XenbusState */
    evtchn_port_t port;             /* the guest's port, 0 when not bound */
    grant_ref_t ring_ref;
    mfn_t ring_frame;               /* INVALID_MFN when the ring is not held */
    bool closing;                   /* Closing waits for the device to finish */
    struct soft_timer poll;
};

/*
 * Create vbd index for disk in the guest domid's store (after
 * xenstore_init, before the guest runs). 0 or -XEN_E*.
 */
int vbd_create(struct blkdev *disk, domid_t fe_domid, unsigned index);

/* How many vbds exist, and the n-th (tests, shutdown reports). */
unsigned vbd_count(void);
struct vbd *vbd_get(unsigned n);

#endif
