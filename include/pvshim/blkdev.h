/*
 * A block device as pvshim's PV block backend sees it: what it holds, what
 * it can do, and asynchronous requests on machine addresses. The virtio-blk
 * driver (shim/virtio) provides these; host tests provide fakes.
 *
 * Contract: submit() queues a request and returns 0 (the device may hold
 * any number; those it cannot start yet wait in the driver), or a negative
 * Xen errno if it refuses it at once. Every queued request is finished by
 * exactly one call of io->done, from poll() or an interrupt, never from
 * inside submit(). done may submit again. A WRITE is done only when the device says it completed;
 * a FLUSH only when the device flushed its cache. status is 0, -XEN_EIO
 * (the device failed it) or -XEN_EOPNOTSUPP (the device cannot do it).
 */
#ifndef PVSHIM_BLKDEV_H
#define PVSHIM_BLKDEV_H

#include <pvshim/types.h>

#define BLKDEV_SECTOR_SIZE  512     /* unit of blkdev_io.sector and blkdev.sectors */
#define BLKDEV_MAX_SEGS     32      /* data buffers in one request */

enum blkdev_op {
    BLKDEV_READ,        /* device -> memory */
    BLKDEV_WRITE,       /* memory -> device */
    BLKDEV_FLUSH,       /* make completed writes stable; no data */
    BLKDEV_DISCARD,     /* sectors [sector, sector + nr_sectors) may read back as anything */
};

struct blkdev_seg {
    paddr_t addr;       /* machine address of the buffer */
    uint32_t len;       /* bytes, a multiple of BLKDEV_SECTOR_SIZE */
};

struct blkdev_io {
    enum blkdev_op op;
    uint64_t sector;
    uint64_t nr_sectors;    /* DISCARD only */
    unsigned nr_segs;
    struct blkdev_seg seg[BLKDEV_MAX_SEGS];
    void (*done)(struct blkdev_io *io, int status);
    void *arg;              /* the submitter's */
    /* The driver's, while it holds the request. */
    struct blkdev_io *next;
    struct {
        unsigned next_seg;      /* first segment not yet given to the device */
        uint64_t next_sector;
        unsigned parts_out;     /* device requests not yet completed */
        int status;             /* the first error among them */
        bool started;
    } drv;
};

struct blkdev {
    char name[16];
    uint64_t sectors;       /* capacity in BLKDEV_SECTOR_SIZE units */
    uint32_t block_size;    /* the device's logical block size */
    bool read_only;
    bool has_flush;         /* a volatile write cache that FLUSH empties */
    bool has_discard;
    uint32_t discard_granularity;   /* sectors (0: any) */
    unsigned max_segs;      /* data buffers one request may have (<= BLKDEV_MAX_SEGS) */
    bool interrupts;        /* completions arrive by interrupt; poll() is only a fallback */
    int (*submit)(struct blkdev *d, struct blkdev_io *io);
    void (*poll)(struct blkdev *d);   /* finish what the device completed */
    unsigned (*in_flight)(const struct blkdev *d);
    /*
     * Optional (may be NULL): between plug(d, true) and plug(d, false)
     * submit() gives requests to the device without telling it; the
     * unplug tells it once about all of them.
     */
    void (*plug)(struct blkdev *d, bool on);
    void *priv;
};

#endif
