/*
 * virtio-blk (virtio spec device-types/blk) as a struct blkdev, on any
 * transport: one request queue, completions by the transport's interrupt
 * when it has one, else polled. A request is the 16-byte header, the data
 * buffers and the status byte, chained; headers and status bytes live in
 * a frame of the driver's, one slot per possible head descriptor.
 * Requests the queue has no room for wait in a FIFO and go in as
 * completions free descriptors; a request with more buffers than the
 * device takes at once (seg_max) goes in pieces, finished when all are.
 */
#include "virtio.h"
#include <pvshim/frame_alloc.h>
#include <pvshim/paging.h>
#include <pvshim/phys.h>
#include <pvshim/string.h>
#include <pvshim/log.h>
#include <pvshim/compiler.h>
#include <pvshim/xen_abi.h>

#define VIRTIO_BLK_F_SEG_MAX    2
#define VIRTIO_BLK_F_RO         5
#define VIRTIO_BLK_F_BLK_SIZE   6
#define VIRTIO_BLK_F_FLUSH      9
#define VIRTIO_BLK_F_DISCARD    13

#define VIRTIO_BLK_T_IN         0
#define VIRTIO_BLK_T_OUT        1
#define VIRTIO_BLK_T_FLUSH      4
#define VIRTIO_BLK_T_DISCARD    11

#define VIRTIO_BLK_S_OK         0
#define VIRTIO_BLK_S_IOERR      1
#define VIRTIO_BLK_S_UNSUPP     2

#define MAX_DISKS   8
#define QUEUE_MAX   128
/* Per head descriptor: header (16), discard range (16), status (1), indirect table. */
#define SLOT_BYTES  1024
#define SLOT_RANGE  16
#define SLOT_STATUS 32
#define SLOT_TABLE  64          /* BLKDEV_MAX_SEGS + 2 descriptors of 16 bytes */
_Static_assert(SLOT_TABLE + (BLKDEV_MAX_SEGS + 2) * sizeof(struct virtq_desc) <= SLOT_BYTES &&
               PAGE_SIZE % SLOT_BYTES == 0, "a slot holds its table and stays in one page");

struct vblk {
    struct blkdev bd;
    struct virtio_dev *vd;      /* its transport's */
    struct virtq q;
    uint8_t *slots;             /* QUEUE_MAX * SLOT_BYTES, contiguous frames */
    struct blkdev_io *owner[QUEUE_MAX];
    struct blkdev_io *wait_head, *wait_tail;
    unsigned seg_max;
    bool indirect;              /* a request is one ring descriptor and a table in its slot */
    uint32_t max_discard;       /* sectors per discard request */
    unsigned in_flight;         /* submitted and not yet done */
    bool in_interrupt;
    bool plugged;               /* kicks held back (blkdev.plug) */
    bool kick_due;              /* requests went in while plugged */
    unsigned unsignalled;       /* completions polls found before any interrupt came */
    bool interrupt_seen;        /* the device's interrupt has arrived at least once */
};

/* Beyond this many, interrupts that should come do not: say so once. */
#define UNSIGNALLED_WARN 16

static struct vblk disks[MAX_DISKS];
static unsigned nr_disks;

static void put_le32(uint8_t *p, uint32_t v)
{
    for (unsigned i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static void put_le64(uint8_t *p, uint64_t v)
{
    put_le32(p, (uint32_t)v);
    put_le32(p + 4, (uint32_t)(v >> 32));
}

/*
 * Put one device request on the queue: data segments [first, first + nseg)
 * of io at sector (a discard: first sectors from sector, nseg 1); false if
 * its descriptors are not free now.
 */
static bool start_part(struct vblk *b, struct blkdev_io *io, unsigned first, unsigned nseg,
                       uint64_t sector)
{
    uint64_t addr[BLKDEV_MAX_SEGS + 2];
    uint32_t len[BLKDEV_MAX_SEGS + 2];
    bool wr[BLKDEV_MAX_SEGS + 2];
    unsigned n = nseg + 2;
    if (b->q.nr_free < (b->indirect ? 1 : n))
        return false;
    uint16_t slot = b->q.free_head;     /* becomes the head descriptor */
    uint8_t *s = b->slots + (size_t)slot * SLOT_BYTES;
    uint32_t type = io->op == BLKDEV_READ ? VIRTIO_BLK_T_IN :
                    io->op == BLKDEV_WRITE ? VIRTIO_BLK_T_OUT :
                    io->op == BLKDEV_FLUSH ? VIRTIO_BLK_T_FLUSH : VIRTIO_BLK_T_DISCARD;
    put_le32(s, type);
    put_le32(s + 4, 0);
    put_le64(s + 8, io->op == BLKDEV_READ || io->op == BLKDEV_WRITE ? sector : 0);
    s[SLOT_STATUS] = 0xff;      /* a device that writes nothing must not look like OK */
    addr[0] = phys_of(s);
    len[0] = 16;
    wr[0] = false;
    for (unsigned i = 0; io->op != BLKDEV_DISCARD && i < nseg; i++) {
        addr[1 + i] = io->seg[first + i].addr;
        len[1 + i] = io->seg[first + i].len;
        wr[1 + i] = io->op == BLKDEV_READ;
    }
    if (io->op == BLKDEV_DISCARD) {
        /* One range: sector, sectors (first is how many), flags. */
        put_le64(s + SLOT_RANGE, sector);
        put_le32(s + SLOT_RANGE + 8, first);
        put_le32(s + SLOT_RANGE + 12, 0);
        addr[1] = phys_of(s + SLOT_RANGE);
        len[1] = 16;
        wr[1] = false;
    }
    addr[n - 1] = phys_of(s + SLOT_STATUS);
    len[n - 1] = 1;
    wr[n - 1] = true;
    int head = b->indirect ?
        virtq_add_indirect(&b->q, (struct virtq_desc *)(void *)(s + SLOT_TABLE),
                           phys_of(s + SLOT_TABLE), addr, len, wr, n) :
        virtq_add(&b->q, addr, len, wr, n);
    if (head != slot) {
        log_err("%s: virtqueue chain at %d, expected %u", b->bd.name, head, slot);
        return false;
    }
    b->owner[slot] = io;
    io->drv.parts_out++;
    return true;
}

/*
 * Give the device as much of io as fits: pieces of at most seg_max
 * segments (consecutive on disk). true once all of io is with the device.
 */
static bool start(struct vblk *b, struct blkdev_io *io)
{
    if (io->op == BLKDEV_DISCARD) {
        /* In pieces of at most max_discard sectors (a range says 32 bits). */
        uint64_t end = io->sector + io->nr_sectors;
        while (io->drv.next_sector < end) {
            uint32_t k = (uint32_t)MIN(end - io->drv.next_sector, (uint64_t)b->max_discard);
            if (!start_part(b, io, k, 1, io->drv.next_sector))
                return false;
            io->drv.next_sector += k;
        }
        io->drv.started = true;
        return true;
    }
    if (io->op == BLKDEV_FLUSH) {
        if (!io->drv.started && !start_part(b, io, 0, 0, 0))
            return false;
        io->drv.started = true;
        return true;
    }
    while (io->drv.next_seg < io->nr_segs) {
        unsigned k = MIN(b->seg_max, io->nr_segs - io->drv.next_seg);
        if (!start_part(b, io, io->drv.next_seg, k, io->drv.next_sector))
            return false;
        for (unsigned i = 0; i < k; i++)
            io->drv.next_sector += io->seg[io->drv.next_seg + i].len / BLKDEV_SECTOR_SIZE;
        io->drv.next_seg += k;
    }
    io->drv.started = true;
    return true;
}

static void start_waiting(struct vblk *b)
{
    bool any = false;
    while (b->wait_head) {
        unsigned before = b->q.nr_free;
        bool all = start(b, b->wait_head);
        any |= b->q.nr_free != before;
        if (!all)
            break;
        b->wait_head = b->wait_head->next;
        if (!b->wait_head)
            b->wait_tail = NULL;
    }
    if (any && b->plugged)
        b->kick_due = true;
    else if (any)
        virtq_kick(&b->q);
}

static void vblk_plug(struct blkdev *d, bool on)
{
    struct vblk *b = d->priv;
    b->plugged = on;
    if (!on && b->kick_due) {
        b->kick_due = false;
        virtq_kick(&b->q);
    }
}

static int vblk_submit(struct blkdev *d, struct blkdev_io *io)
{
    struct vblk *b = d->priv;
    if ((io->op == BLKDEV_READ || io->op == BLKDEV_WRITE) &&
        (io->nr_segs == 0 || io->nr_segs > BLKDEV_MAX_SEGS))
        return -XEN_EINVAL;
    if ((io->op == BLKDEV_FLUSH && !d->has_flush) ||
        (io->op == BLKDEV_DISCARD && !d->has_discard))
        return -XEN_EOPNOTSUPP;
    if ((io->op == BLKDEV_WRITE || io->op == BLKDEV_DISCARD) && d->read_only)
        return -XEN_EROFS;
    b->in_flight++;
    io->next = NULL;
    io->drv.next_seg = 0;
    io->drv.next_sector = io->sector;
    io->drv.parts_out = 0;
    io->drv.status = 0;
    io->drv.started = false;
    if (b->wait_tail)
        b->wait_tail->next = io;
    else
        b->wait_head = io;
    b->wait_tail = io;
    start_waiting(b);
    return 0;
}

static void vblk_poll(struct blkdev *d)
{
    struct vblk *b = d->priv;
    for (unsigned guard = 0; guard < QUEUE_MAX; guard++) {
        int head = virtq_get_used(&b->q, NULL);
        if (head < 0)
            break;
        struct blkdev_io *io = b->owner[head];
        b->owner[head] = NULL;
        if (!io) {
            log_err("%s: device completed descriptor %d that carried no request",
                    b->bd.name, head);
            continue;
        }
        if (b->bd.interrupts && !b->in_interrupt && !b->interrupt_seen &&
            ++b->unsignalled == UNSIGNALLED_WARN)
            log_warn("%s: %u completions found only by polling: interrupts do not arrive",
                     b->bd.name, UNSIGNALLED_WARN);
        uint8_t st = b->slots[(size_t)head * SLOT_BYTES + SLOT_STATUS];
        if (st != VIRTIO_BLK_S_OK && io->drv.status == 0)
            io->drv.status = st == VIRTIO_BLK_S_UNSUPP ? -XEN_EOPNOTSUPP : -XEN_EIO;
        io->drv.parts_out--;
        /* Refill the queue before the callback, which may submit more. */
        start_waiting(b);
        /* Done when every piece went to the device and came back. */
        bool queued = !io->drv.started;
        if (io->drv.parts_out || queued)
            continue;
        b->in_flight--;
        io->done(io, io->drv.status);
    }
    start_waiting(b);
}

/* The transport acknowledged a queue interrupt. */
static void vblk_interrupt(void *arg)
{
    struct vblk *b = arg;
    /* Interrupts do arrive: completions a poll takes first (a kick's poll
     * on a fast host, or under load; INTx raised once for several) do not
     * count against them from now on. */
    b->interrupt_seen = true;
    b->in_interrupt = true;
    vblk_poll(&b->bd);
    b->in_interrupt = false;
}

static unsigned vblk_in_flight(const struct blkdev *d)
{
    const struct vblk *b = d->priv;
    return b->in_flight;
}

static uint32_t cfg32(struct vblk *b, unsigned off)
{
    return (uint32_t)virtio_config_read(b->vd, off, 4);
}

struct blkdev *virtio_blk_probe(struct virtio_dev *d)
{
    if (nr_disks == MAX_DISKS) {
        log_warn("virtio-blk: more than %u disks; %s left alone", MAX_DISKS, d->where);
        return NULL;
    }
    struct vblk *b = &disks[nr_disks];
    memset(b, 0, sizeof(*b));
    b->vd = d;
    snprintf(b->bd.name, sizeof(b->bd.name), "vblk%u", nr_disks);
    if (!d->config) {
        log_warn("virtio-blk %s: no device configuration; not used", d->where);
        virtio_fail(d);
        return NULL;
    }
    uint64_t want = 1ull << VIRTIO_BLK_F_SEG_MAX | 1ull << VIRTIO_BLK_F_RO |
                    1ull << VIRTIO_BLK_F_BLK_SIZE | 1ull << VIRTIO_BLK_F_FLUSH |
                    1ull << VIRTIO_BLK_F_DISCARD | 1ull << VIRTIO_F_INDIRECT_DESC;
    if (virtio_negotiate(d, want)) {
        log_warn("%s: feature negotiation failed", b->bd.name);
        virtio_fail(d);
        return NULL;
    }
    mfn_t m = frame_pool_alloc(&machine_frames, QUEUE_MAX * SLOT_BYTES / PAGE_SIZE, 1, ~(mfn_t)0);
    if (m == INVALID_MFN || virtio_setup_queue(d, &b->q, 0, QUEUE_MAX)) {
        log_warn("%s: no memory or no queue 0", b->bd.name);
        virtio_fail(d);
        return NULL;
    }
    if (b->q.size < 4) {
        log_warn("%s: queue of %u entries is too small", b->bd.name, b->q.size);
        virtio_fail(d);
        return NULL;
    }
    b->slots = maddr_to_virt(mfn_to_paddr(m));
    memset(b->slots, 0, QUEUE_MAX * SLOT_BYTES);

    uint64_t f = d->features;
    b->indirect = f & 1ull << VIRTIO_F_INDIRECT_DESC;
    uint64_t cap = virtio_config_read(d, 0, 8);
    b->seg_max = (f & 1ull << VIRTIO_BLK_F_SEG_MAX) ? cfg32(b, 12) : 1;
    /* A piece is header + buffers + status in our queue. */
    b->seg_max = MAX(1u, MIN(b->seg_max, MIN((unsigned)BLKDEV_MAX_SEGS, b->q.size - 2u)));
    b->bd.max_segs = BLKDEV_MAX_SEGS;      /* in pieces of seg_max */
    b->bd.sectors = cap;
    b->bd.block_size = (f & 1ull << VIRTIO_BLK_F_BLK_SIZE) ? cfg32(b, 20) : 512;
    if (b->bd.block_size < 512 || b->bd.block_size > 4096)
        b->bd.block_size = 512;
    b->bd.read_only = f & 1ull << VIRTIO_BLK_F_RO;
    b->bd.has_flush = f & 1ull << VIRTIO_BLK_F_FLUSH;
    if ((f & 1ull << VIRTIO_BLK_F_DISCARD) && !b->bd.read_only) {
        b->max_discard = cfg32(b, 36);
        uint32_t segs = cfg32(b, 40), align = cfg32(b, 44);
        if (b->max_discard && segs) {
            b->bd.has_discard = true;
            b->bd.discard_granularity = align;
        }
    }
    b->bd.submit = vblk_submit;
    b->bd.poll = vblk_poll;
    b->bd.in_flight = vblk_in_flight;
    b->bd.plug = vblk_plug;
    b->bd.priv = b;
    const char *irq = virtio_irq_enable(d, &b->q, vblk_interrupt, b);
    b->bd.interrupts = irq != NULL;
    virtio_driver_ok(d);
    nr_disks++;
    log_info("%s: virtio-blk at %s, %llu sectors (%llu MiB), block %u, "
             "%u segments, queue %u%s, %s%s%s%s", b->bd.name, d->where,
             (unsigned long long)cap, (unsigned long long)(cap >> 11), b->bd.block_size,
             b->seg_max, b->q.size, b->indirect ? " (indirect)" : "", irq ? irq : "polled",
             b->bd.read_only ? ", read-only" : "",
             b->bd.has_flush ? ", flush" : "", b->bd.has_discard ? ", discard" : "");
    return &b->bd;
}
