/*
 * The ring half of a PV block backend (blkif, public/io/blkif.h): take the
 * frontend's requests off the shared ring, check them, check and hold
 * their grants, hand them to a block device, and answer each one once the
 * device finished it. No xenstore here (vbd.c does the handshake) and no
 * hardware: a blkback instance is given its ring page, its device and its
 * grant and notification operations, so host tests run it with fakes.
 *
 * Rules kept (Linux blkback, QEMU xen-block, Xen's ring.h): every request
 * is copied out of the shared page before it is looked at; a producer
 * index more than a ring ahead of the responses marks the frontend broken
 * and the ring is no longer served; a write is answered only after the
 * device completed it, a flush only after the device flushed (a flush
 * with data: after flush, write, flush); grants are released before the
 * response is published.
 */
#ifndef PVSHIM_BLKBACK_H
#define PVSHIM_BLKBACK_H

#include <pvshim/xen_abi.h>
#include <pvshim/blkdev.h>
#include <xen/io/blkif.h>

#define BLKBACK_RING_SIZE 32        /* one page of x86_64 blkif entries */
#define BLKBACK_MAX_SEGS  32        /* indirect: 128 KiB, what Linux 6.1 uses by default */
#define BLKBACK_SEGS_PER_INDIRECT_PAGE (PAGE_SIZE / sizeof(struct blkif_request_segment))

struct blkback_grant_ops {
    /* Check grant ref for this access and hold its frame: 0 or -XEN_E*. */
    int (*acquire)(void *ctx, grant_ref_t ref, bool write, mfn_t *frame);
    void (*release)(void *ctx, grant_ref_t ref, bool write, mfn_t frame);
    /* pvshim's view of a frame acquire() gave (indirect segment pages). */
    const void *(*frame_ptr)(void *ctx, mfn_t frame);
};

struct blkback;

/* One request slot: the copy of the ring request and its device request. */
struct blkback_req {
    struct blkdev_io io;
    struct blkback *be;
    uint64_t id;
    uint8_t operation;
    uint8_t nr_grants;
    /*
     * A FLUSH_DISKCACHE carrying data is a flush, the write, and a flush
     * again (the data stable before the answer, as for FUA): which of the
     * three the device holds now, 0 for every other request.
     */
    uint8_t flush_stage;
    bool in_use;
    uint32_t generation;            /* the connection it came on */
    grant_ref_t gref[BLKBACK_MAX_SEGS];
    mfn_t frame[BLKBACK_MAX_SEGS];
    bool grant_write;               /* the device writes into the frames */
};

struct blkback_stats {
    uint64_t requests, errors, reads, writes, flushes;
};

struct blkback {
    /* Given by the creator. */
    struct blkdev *disk;
    domid_t be_domid;               /* the domain the frontend grants to */
    bool read_only;                 /* refuse writes (also when disk->read_only) */
    unsigned indirect_segs;         /* feature-max-indirect-segments given (0: none) */
    const struct blkback_grant_ops *grants;
    void *grants_ctx;
    void (*notify)(void *arg);      /* kick the frontend's event channel */
    void *notify_arg;
    const char *name;               /* for log lines */

    /* The ring while connected. */
    blkif_sring_t *sring;
    RING_IDX req_cons, rsp_prod_pvt;
    RING_IDX rsp_published;         /* rsp_prod as we last wrote it (never read back) */
    bool broken;
    bool stalled;                   /* requests wait on the ring for free slots */
    uint32_t generation;            /* counts connections: old requests get no answer */
    unsigned in_flight;
    struct blkback_req reqs[BLKBACK_RING_SIZE];
    struct blkback_stats stats;
};

/* Start serving a ring page the frontend initialised (indices untouched). */
void blkback_connect(struct blkback *be, void *ring_page);
/*
 * Stop taking requests. Requests the device holds still complete (their
 * grants are released then) but no response is written; returns how many
 * are still with the device.
 */
unsigned blkback_disconnect(struct blkback *be);

/* Take and start every request the frontend posted (its notification). */
void blkback_service(struct blkback *be);

#endif
