/*
 * The PV block backend's ring half (xen/local/blkback.c) as a hostile
 * frontend drives it: raw request slots (any operation, segment counts,
 * sectors, grant refs, indirect pages), producer indices that run ahead
 * or go back, grant entries changed between requests, the event indices
 * scribbled, disconnects with requests at the device, and device
 * completions in any order with any status. The grant checks are the real
 * grant_claim_entry(); frames outside the guest's pages are refused as the
 * MMU would refuse them. Checked: every buffer the device is given lies
 * inside one granted guest page and inside the disk, a buffer the device
 * writes into (a disk read) is in a frame whose grant was claimed for
 * writing, the device never gets a write on a read-only disk or a flush a
 * disk without a cache, a device request is aligned to the disk's block
 * size, every response has a status blkif defines, no response goes out
 * that no request asked for, and when everything completed no grant
 * access is left held.
 */
#include <string.h>
#include "blkback.h"
#include "grant_access.h"
#include "fuzz_input.h"

#define DISK_SECTORS 256
#define NR_PAGES     16
#define FRAME_BASE   0x1000
#define NR_GREFS     64
#define MAX_STEPS    200

static union { blkif_sring_t s; uint8_t page[PAGE_SIZE]; } ring __attribute__((aligned(4096)));
static uint8_t pages[NR_PAGES][PAGE_SIZE];
static grant_entry_v1_t gtab[NR_GREFS];
static unsigned held_by_ref[NR_GREFS];
static unsigned held_write_by_frame[NR_PAGES];  /* accesses claimed for writing, by frame */
static struct blkdev_io *held[BLKBACK_RING_SIZE * 2];
static unsigned nr_held;
static struct blkback be;
static bool disk_read_only;

static int disk_submit(struct blkdev *d, struct blkdev_io *io)
{
    FZ_CHECK(nr_held < sizeof(held) / sizeof(held[0]), "more requests at the device than slots");
    FZ_CHECK(!((io->op == BLKDEV_WRITE || io->op == BLKDEV_DISCARD) &&
               (disk_read_only || be.read_only)), "a write reached a read-only disk");
    FZ_CHECK(io->op != BLKDEV_DISCARD || d->has_discard, "a discard the disk cannot do");
    FZ_CHECK(io->op != BLKDEV_FLUSH || d->has_flush, "a flush the disk cannot do");
    if (io->op == BLKDEV_DISCARD)
        FZ_CHECK(io->nr_sectors && io->sector + io->nr_sectors <= DISK_SECTORS &&
                 io->sector + io->nr_sectors > io->sector, "discard %llu+%llu",
                 (unsigned long long)io->sector, (unsigned long long)io->nr_sectors);
    if (io->op == BLKDEV_READ || io->op == BLKDEV_WRITE) {
        uint64_t sectors = 0;
        FZ_CHECK(io->nr_segs >= 1 && io->nr_segs <= BLKDEV_MAX_SEGS, "%u segments", io->nr_segs);
        for (unsigned i = 0; i < io->nr_segs; i++) {
            paddr_t a = io->seg[i].addr;
            uint64_t f = a >> PAGE_SHIFT, off = a & (PAGE_SIZE - 1);
            FZ_CHECK(f >= FRAME_BASE && f < FRAME_BASE + NR_PAGES, "buffer in frame %#llx",
                     (unsigned long long)f);
            FZ_CHECK(io->seg[i].len && io->seg[i].len % 512 == 0 && off % 512 == 0 &&
                     off + io->seg[i].len <= PAGE_SIZE, "buffer %#llx+%u crosses its page",
                     (unsigned long long)a, io->seg[i].len);
            sectors += io->seg[i].len / 512;
            if (io->op == BLKDEV_READ) {
                FZ_CHECK(held_write_by_frame[f - FRAME_BASE],
                         "the device writes into frame %#llx, not claimed for writing",
                         (unsigned long long)f);
            }
        }
        uint32_t blk = d->block_size / 512;
        FZ_CHECK(io->sector % blk == 0 && sectors % blk == 0,
                 "%llu+%llu not aligned to %u-sector blocks", (unsigned long long)io->sector,
                 (unsigned long long)sectors, blk);
        FZ_CHECK(io->sector + sectors <= DISK_SECTORS && io->sector + sectors >= io->sector,
                 "sectors %llu+%llu past the disk", (unsigned long long)io->sector,
                 (unsigned long long)sectors);
    }
    held[nr_held++] = io;
    return 0;
}

static struct blkdev disk = {
    .name = "fuzz", .sectors = DISK_SECTORS, .block_size = 512, .has_flush = true,
    .max_segs = BLKDEV_MAX_SEGS, .submit = disk_submit,
};

static int acquire(void *ctx, grant_ref_t ref, bool write, mfn_t *frame)
{
    if (ref >= NR_GREFS)
        return -XEN_EINVAL;
    int rc = grant_claim_entry(&gtab[ref], 0, write);
    if (rc)
        return rc;
    mfn_t f = gtab[ref].frame;
    if (f < FRAME_BASE || f >= FRAME_BASE + NR_PAGES) {
        if (!held_by_ref[ref])
            grant_unclaim_entry(&gtab[ref], write);
        return -XEN_EPERM;      /* not a guest frame: the MMU refuses it */
    }
    held_by_ref[ref]++;
    held_write_by_frame[f - FRAME_BASE] += write;
    *frame = f;
    return 0;
}

static void release(void *ctx, grant_ref_t ref, bool write, mfn_t frame)
{
    FZ_CHECK(ref < NR_GREFS && held_by_ref[ref], "release of ref %u not held", ref);
    held_by_ref[ref]--;
    if (write) {
        FZ_CHECK(frame >= FRAME_BASE && frame < FRAME_BASE + NR_PAGES &&
                 held_write_by_frame[frame - FRAME_BASE],
                 "write release of frame %#llx not held for writing", (unsigned long long)frame);
        held_write_by_frame[frame - FRAME_BASE]--;
    }
    if (!held_by_ref[ref])
        grant_unclaim_entry(&gtab[ref], write);
}

static const void *frame_ptr(void *ctx, mfn_t f)
{
    FZ_CHECK(f >= FRAME_BASE && f < FRAME_BASE + NR_PAGES, "frame_ptr of %#llx",
             (unsigned long long)f);
    return pages[f - FRAME_BASE];
}

static const struct blkback_grant_ops grants = { acquire, release, frame_ptr };

static void complete(unsigned i, int status)
{
    struct blkdev_io *io = held[i];
    held[i] = held[--nr_held];
    io->done(io, status);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct fz f = { data, size };
    memset(&ring, 0, sizeof(ring));
    memset(gtab, 0, sizeof(gtab));
    memset(held_by_ref, 0, sizeof(held_by_ref));
    memset(held_write_by_frame, 0, sizeof(held_write_by_frame));
    nr_held = 0;
    for (unsigned i = 0; i < NR_PAGES; i++)
        gtab[8 + i] = (grant_entry_v1_t){ GTF_permit_access | (i & 1 ? GTF_readonly : 0), 0,
                                          FRAME_BASE + i };
    disk_read_only = fz_u8(&f) & 1;
    disk.read_only = disk_read_only;
    uint8_t shape = fz_u8(&f);
    disk.has_discard = shape & 1;
    disk.has_flush = shape & 2;
    disk.block_size = shape & 4 ? 4096 : 512;
    memset(&be, 0, sizeof(be));
    be = (struct blkback){ .disk = &disk, .be_domid = 0, .read_only = disk_read_only,
                           .indirect_segs = fz_u8(&f) & 1 ? BLKBACK_MAX_SEGS : 0,
                           .grants = &grants, .name = "fuzz" };
    ring.s.req_event = ring.s.rsp_event = 1;
    blkback_connect(&be, &ring);
    RING_IDX consumed_base = be.req_cons, answered_base = be.rsp_prod_pvt;
    RING_IDX checked = be.rsp_prod_pvt;     /* responses looked at */

    for (unsigned step = 0; step < MAX_STEPS && f.n; step++) {
        switch (fz_u8(&f) % 8) {
        case 0: {   /* post a request */
            union blkif_sring_entry *e = (union blkif_sring_entry *)(void *)ring.s.ring +
                                         (ring.s.req_prod & (BLKBACK_RING_SIZE - 1));
            fz_bytes(&f, &e->req, sizeof(e->req));
            ring.s.req_prod++;
            break;
        }
        case 1:
            blkback_service(&be);
            break;
        case 2:
            if (nr_held) {
                unsigned i = fz_u8(&f) % nr_held;
                uint8_t s = fz_u8(&f) % 4;
                complete(i, s == 1 ? -XEN_EIO : s == 2 ? -XEN_EOPNOTSUPP : 0);
            }
            break;
        case 3: {   /* the guest rewrites a grant entry */
            unsigned r = fz_u8(&f) % NR_GREFS;
            uint16_t fl = fz_u16(&f) & ~(GTF_reading | GTF_writing);
            /* The guest cannot clear in-use bits pvshim set, only add others. */
            gtab[r].flags = (uint16_t)(fl | (gtab[r].flags & (GTF_reading | GTF_writing)));
            gtab[r].domid = fz_u8(&f) & 3;
            gtab[r].frame = FRAME_BASE - 2 + fz_u8(&f) % (NR_PAGES + 4);
            break;
        }
        case 4:     /* an indirect page's contents */
            fz_bytes(&f, pages[fz_u8(&f) % NR_PAGES], 64);
            break;
        case 5:     /* producer index anywhere */
            ring.s.req_prod = fz_u32(&f);
            break;
        case 6:
            ring.s.rsp_event = fz_u32(&f);
            ring.s.req_event = fz_u32(&f);
            break;
        case 7:     /* disconnect; maybe connect again (responses to old requests vanish) */
            blkback_disconnect(&be);
            if (fz_u8(&f) & 1) {
                memset(&ring, 0, sizeof(ring));
                blkback_connect(&be, &ring);
                consumed_base = be.req_cons;
                answered_base = be.rsp_prod_pvt;
                checked = be.rsp_prod_pvt;
            }
            break;
        }
        if (be.sring)
            FZ_CHECK((RING_IDX)(be.rsp_prod_pvt - answered_base) <=
                     (RING_IDX)(be.req_cons - consumed_base) + BLKBACK_RING_SIZE,
                     "more responses than requests");
        FZ_CHECK(be.in_flight <= BLKBACK_RING_SIZE, "%u in flight", be.in_flight);
        /* What went out since the last step: statuses blkif defines. */
        for (; be.sring && checked != be.rsp_prod_pvt; checked++) {
            const blkif_response_t *r = &((union blkif_sring_entry *)(void *)ring.s.ring +
                                          (checked & (BLKBACK_RING_SIZE - 1)))->rsp;
            FZ_CHECK(r->status == BLKIF_RSP_OKAY || r->status == BLKIF_RSP_ERROR ||
                     r->status == BLKIF_RSP_EOPNOTSUPP, "response status %d", r->status);
        }
        if (!be.sring)
            checked = be.rsp_prod_pvt;
    }
    while (nr_held)
        complete(0, 0);
    FZ_CHECK(be.in_flight == 0, "%u requests still in flight", be.in_flight);
    for (unsigned r = 0; r < NR_GREFS; r++)
        FZ_CHECK(held_by_ref[r] == 0, "ref %u still held %u times", r, held_by_ref[r]);
    return 0;
}
