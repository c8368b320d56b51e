/*
 * The PV block backend's ring half, on the host: a fake disk (sectors in
 * memory, requests held until the test completes them, in any order, with
 * any status) and fake grants (a table of entries the test fills, frames
 * that are pages of a local array, ring_fixture.c). Table-driven where the checks are
 * "this request gets this response".
 */
#include <string.h>
#include "unit.h"
#include <pvshim/compiler.h>
#include "blkback.h"
#include "grant_access.h"
#include "ring_fixture.h"

#define DISK_SECTORS 256

static uint8_t disk_data[DISK_SECTORS * BLKDEV_SECTOR_SIZE];
static union { blkif_sring_t s; uint8_t page[PAGE_SIZE]; } ring __attribute__((aligned(4096)));

/* ---- fake disk: holds requests until completed */
#define MAX_HELD 64
static struct blkdev_io *held[MAX_HELD];
static unsigned nr_held, flushes_done, submits;
static int fail_status;         /* status for every completion, 0 normally */

static uint8_t *addr_to_ptr(paddr_t a, uint32_t len)
{
    uint64_t f = a >> PAGE_SHIFT;
    ck_assert(f >= FX_FRAME_BASE && f < FX_FRAME_BASE + FX_NR_PAGES);
    ck_assert_uint_le((a & (PAGE_SIZE - 1)) + len, PAGE_SIZE);
    return &fx_pages[f - FX_FRAME_BASE][a & (PAGE_SIZE - 1)];
}

static int disk_submit(struct blkdev *d, struct blkdev_io *io)
{
    ck_assert_uint_lt(nr_held, MAX_HELD);
    held[nr_held++] = io;
    submits++;
    return 0;
}

static void complete_one(unsigned i)
{
    struct blkdev_io *io = held[i];
    memmove(&held[i], &held[i + 1], (nr_held - i - 1) * sizeof(held[0]));
    nr_held--;
    if (!fail_status) {
        uint64_t off = io->sector * BLKDEV_SECTOR_SIZE;
        for (unsigned s = 0; io->op != BLKDEV_FLUSH && s < io->nr_segs; s++) {
            uint8_t *p = addr_to_ptr(io->seg[s].addr, io->seg[s].len);
            ck_assert_uint_le(off + io->seg[s].len, sizeof(disk_data));
            if (io->op == BLKDEV_READ)
                memcpy(p, disk_data + off, io->seg[s].len);
            else
                memcpy(disk_data + off, p, io->seg[s].len);
            off += io->seg[s].len;
        }
        if (io->op == BLKDEV_FLUSH)
            flushes_done++;
    }
    io->done(io, fail_status);
}

static void complete_all(void)
{
    while (nr_held)
        complete_one(0);
}

static struct blkdev disk = {
    .name = "fake", .sectors = DISK_SECTORS, .block_size = 512,
    .has_flush = true, .submit = disk_submit,
};

/* ---- fake grants: entries of a local table, checked by the real claim code */




static const void *frame_ptr(void *ctx, mfn_t frame)
{
    return fx_frame_ptr(ctx, frame);
}

static const struct blkback_grant_ops fake_grants = { fx_acquire, fx_release, frame_ptr };


static struct blkback be;

static void setup(void)
{
    memset(&ring, 0, sizeof(ring));
    ring.s.req_event = 1;
    ring.s.rsp_event = 1;
    for (unsigned i = 0; i < sizeof(disk_data); i++)
        disk_data[i] = (uint8_t)(i * 7 + i / 512);
    fx_reset();
    nr_held = flushes_done = submits = 0;
    fail_status = 0;
    disk.has_flush = true;
    disk.read_only = false;
    disk.has_discard = false;
    memset(&be, 0, sizeof(be));
    be.disk = &disk;
    be.be_domid = FX_BE_DOMID;
    be.grants = &fake_grants;
    be.notify = fx_notify;
    be.name = "vbd-test";
    blkback_connect(&be, &ring);
}

/* ---- frontend side */


static void post(const blkif_request_t *r)
{
    ((union blkif_sring_entry *)(void *)ring.s.ring + (ring.s.req_prod & (BLKBACK_RING_SIZE - 1)))->req = *r;
    ring.s.req_prod++;
}

static blkif_request_t rw(uint8_t op, uint64_t id, uint64_t sector, unsigned nseg)
{
    blkif_request_t r = { .operation = op, .nr_segments = (uint8_t)nseg, .handle = 51712,
                          .id = id, .sector_number = sector };
    for (unsigned i = 0; i < nseg && i < BLKIF_MAX_SEGMENTS_PER_REQUEST; i++)
        r.seg[i] = (struct blkif_request_segment){ .gref = 8 + i, .first_sect = 0,
                                                   .last_sect = 7 };
    return r;
}

static blkif_response_t rsp(RING_IDX i)
{
    return ((union blkif_sring_entry *)(void *)ring.s.ring + (i & (BLKBACK_RING_SIZE - 1)))->rsp;
}

START_TEST(read_answers_after_the_device_with_its_data)
{
    blkif_request_t r = rw(BLKIF_OP_READ, 0x1234, 16, 2);
    r.seg[1].first_sect = 2;
    r.seg[1].last_sect = 3;
    post(&r);
    blkback_service(&be);
    ck_assert_uint_eq(nr_held, 1);
    ck_assert_uint_eq(ring.s.rsp_prod, 0);
    ck_assert_uint_eq(fx_held_grants, 2);
    ck_assert_uint_eq(fx_gtab[8].flags, GTF_permit_access | GTF_reading | GTF_writing);
    ck_assert_uint_eq(held[0]->seg[1].len, 1024);
    complete_all();
    ck_assert_uint_eq(ring.s.rsp_prod, 1);
    ck_assert_uint_eq(rsp(0).id, 0x1234);
    ck_assert_uint_eq(rsp(0).operation, BLKIF_OP_READ);
    ck_assert_int_eq(rsp(0).status, BLKIF_RSP_OKAY);
    ck_assert_uint_eq(fx_held_grants, 0);
    ck_assert_uint_eq(fx_gtab[8].flags, GTF_permit_access);
    ck_assert_uint_eq(fx_gtab[9].flags, GTF_permit_access);
    ck_assert(memcmp(fx_pages[0], disk_data + 16 * 512, 4096) == 0);
    ck_assert(memcmp(&fx_pages[1][1024], disk_data + 24 * 512, 1024) == 0);
    ck_assert_uint_eq(fx_notifies, 1);
    ck_assert_uint_eq(ring.s.req_event, 2);
}
END_TEST

START_TEST(write_answers_only_after_completion)
{
    memset(fx_pages[0], 0xab, PAGE_SIZE);
    blkif_request_t r = rw(BLKIF_OP_WRITE, 7, 100, 1);
    r.seg[0].gref = 40;     /* read-only grants suffice for a disk write */
    post(&r);
    blkback_service(&be);
    ck_assert_uint_eq(ring.s.rsp_prod, 0);
    ck_assert_uint_eq(fx_gtab[40].flags, GTF_permit_access | GTF_readonly | GTF_reading);
    complete_all();
    ck_assert_uint_eq(ring.s.rsp_prod, 1);
    ck_assert_int_eq(rsp(0).status, BLKIF_RSP_OKAY);
    for (unsigned i = 0; i < 4096; i++)
        ck_assert_uint_eq(disk_data[100 * 512 + i], 0xab);
    ck_assert_uint_eq(fx_gtab[40].flags, GTF_permit_access | GTF_readonly);
}
END_TEST

START_TEST(flush_reaches_the_device_before_the_answer)
{
    blkif_request_t r = { .operation = BLKIF_OP_FLUSH_DISKCACHE, .id = 3 };
    post(&r);
    blkback_service(&be);
    ck_assert_uint_eq(nr_held, 1);
    ck_assert_int_eq(held[0]->op, BLKDEV_FLUSH);
    ck_assert_uint_eq(ring.s.rsp_prod, 0);
    complete_all();
    ck_assert_uint_eq(flushes_done, 1);
    ck_assert_int_eq(rsp(0).status, BLKIF_RSP_OKAY);
    ck_assert_uint_eq(rsp(0).operation, BLKIF_OP_FLUSH_DISKCACHE);
}
END_TEST

/* A flush with data (PREFLUSH or FUA): flush, write, flush, then the answer. */
START_TEST(flush_with_data_flushes_writes_and_flushes)
{
    memset(fx_pages[0], 0x5a, PAGE_SIZE);
    blkif_request_t r = rw(BLKIF_OP_FLUSH_DISKCACHE, 4, 8, 1);
    post(&r);
    blkback_service(&be);
    static const enum blkdev_op order[] = { BLKDEV_FLUSH, BLKDEV_WRITE, BLKDEV_FLUSH };
    for (unsigned i = 0; i < ARRAY_SIZE(order); i++) {
        ck_assert_uint_eq(ring.s.rsp_prod, 0);
        ck_assert_uint_eq(nr_held, 1);
        ck_assert_msg(held[0]->op == order[i], "step %u: op %d", i, held[0]->op);
        ck_assert_uint_eq(fx_held_grants, 1);
        complete_one(0);
    }
    ck_assert_uint_eq(nr_held, 0);
    ck_assert_uint_eq(flushes_done, 2);
    ck_assert_uint_eq(ring.s.rsp_prod, 1);
    ck_assert_int_eq(rsp(0).status, BLKIF_RSP_OKAY);
    ck_assert_uint_eq(rsp(0).operation, BLKIF_OP_FLUSH_DISKCACHE);
    ck_assert_uint_eq(disk_data[8 * 512], 0x5a);
    ck_assert_uint_eq(fx_held_grants, 0);
}
END_TEST

/* The device fails the write or a flush of it: an error, and nothing after. */
START_TEST(flush_with_data_stops_at_the_first_error)
{
    for (unsigned fail_at = 0; fail_at < 3; fail_at++) {
        setup();
        blkif_request_t r = rw(BLKIF_OP_FLUSH_DISKCACHE, 4, 8, 1);
        post(&r);
        blkback_service(&be);
        for (unsigned i = 0; i < fail_at; i++)
            complete_one(0);
        fail_status = -XEN_EIO;
        complete_one(0);
        ck_assert_uint_eq(nr_held, 0);
        ck_assert_uint_eq(ring.s.rsp_prod, 1);
        ck_assert_int_eq(rsp(0).status, BLKIF_RSP_ERROR);
        ck_assert_uint_eq(fx_held_grants, 0);
    }
}
END_TEST

START_TEST(device_errors_are_errors)
{
    post(&(blkif_request_t){ .operation = BLKIF_OP_FLUSH_DISKCACHE, .id = 1 });
    blkif_request_t w = rw(BLKIF_OP_WRITE, 2, 0, 1);
    post(&w);
    blkback_service(&be);
    fail_status = -XEN_EIO;
    complete_all();
    ck_assert_uint_eq(ring.s.rsp_prod, 2);
    ck_assert_int_eq(rsp(0).status, BLKIF_RSP_ERROR);
    ck_assert_int_eq(rsp(1).status, BLKIF_RSP_ERROR);
    ck_assert_uint_eq(fx_held_grants, 0);
}
END_TEST

/* Requests refused before the device sees them. */
struct bad_case {
    const char *what;
    blkif_request_t req;
    int16_t status;
};

#define SEG(g, f, l) { .gref = (g), .first_sect = (f), .last_sect = (l) }
static const struct bad_case bad_cases[] = {
    { "last_sect < first_sect",
      { BLKIF_OP_READ, 1, 0, 1, 0, { SEG(8, 3, 2) } }, BLKIF_RSP_ERROR },
    { "segment past the page",
      { BLKIF_OP_READ, 1, 0, 1, 0, { SEG(8, 0, 8) } }, BLKIF_RSP_ERROR },
    { "no segments",
      { BLKIF_OP_WRITE, 0, 0, 1, 0, { SEG(8, 0, 7) } }, BLKIF_RSP_ERROR },
    { "12 segments",
      { BLKIF_OP_READ, 12, 0, 1, 0, { SEG(8, 0, 7) } }, BLKIF_RSP_ERROR },
    { "past the end of the disk",
      { BLKIF_OP_READ, 1, 0, 1, DISK_SECTORS - 7, { SEG(8, 0, 7) } }, BLKIF_RSP_ERROR },
    { "sector number wraps",
      { BLKIF_OP_READ, 1, 0, 1, ~0ull - 3, { SEG(8, 0, 7) } }, BLKIF_RSP_ERROR },
    { "grant ref beyond the table",
      { BLKIF_OP_READ, 1, 0, 1, 0, { SEG(5000, 0, 7) } }, BLKIF_RSP_ERROR },
    { "grant not set up",
      { BLKIF_OP_READ, 1, 0, 1, 0, { SEG(2, 0, 7) } }, BLKIF_RSP_ERROR },
    { "read into a read-only grant",
      { BLKIF_OP_READ, 1, 0, 1, 0, { SEG(40, 0, 7) } }, BLKIF_RSP_ERROR },
    { "second segment's grant bad",
      { BLKIF_OP_READ, 2, 0, 1, 0, { SEG(8, 0, 7), SEG(3, 0, 7) } }, BLKIF_RSP_ERROR },
    { "unknown operation",
      { 99, 1, 0, 1, 0, { SEG(8, 0, 7) } }, BLKIF_RSP_ERROR },

    { "barrier (not advertised)",
      { BLKIF_OP_WRITE_BARRIER, 0, 0, 1, 0, { SEG(8, 0, 7) } }, BLKIF_RSP_EOPNOTSUPP },
    { "discard on a disk without it",
      { BLKIF_OP_DISCARD, 0, 0, 1, 0, { SEG(8, 0, 7) } }, BLKIF_RSP_EOPNOTSUPP },
};

START_TEST(bad_requests_get_errors)
{
    const struct bad_case *c = &bad_cases[_i];
    fx_gtab[8 + 3].flags = GTF_permit_access;      /* keep ref 11 good */
    fx_gtab[3] = (grant_entry_v1_t){ GTF_permit_access, 5 /* another domain */, FX_FRAME_BASE };
    blkif_request_t r = c->req;
    r.id = 0xfeed0000 + _i;
    post(&r);
    blkback_service(&be);
    ck_assert_msg(submits == 0, "%s: reached the device", c->what);
    ck_assert_msg(ring.s.rsp_prod == 1, "%s: no response", c->what);
    ck_assert_uint_eq(rsp(0).id, 0xfeed0000 + _i);
    ck_assert_uint_eq(rsp(0).operation, c->req.operation);
    ck_assert_msg(rsp(0).status == c->status, "%s: status %d, expected %d", c->what,
                  rsp(0).status, c->status);
    ck_assert_msg(fx_held_grants == 0, "%s: grants left held", c->what);
    for (unsigned i = 0; i < FX_NR_GREFS; i++)
        ck_assert_msg(!(fx_gtab[i].flags & (GTF_reading | GTF_writing)),
                      "%s: grant %u left in use", c->what, i);
}
END_TEST

START_TEST(read_only_disk_refuses_writes)
{
    be.read_only = true;
    blkif_request_t w = rw(BLKIF_OP_WRITE, 1, 0, 1);
    post(&w);
    blkif_request_t r = rw(BLKIF_OP_READ, 2, 0, 1);
    post(&r);
    blkback_service(&be);
    ck_assert_uint_eq(ring.s.rsp_prod, 1);
    ck_assert_int_eq(rsp(0).status, BLKIF_RSP_ERROR);
    complete_all();
    ck_assert_int_eq(rsp(1).status, BLKIF_RSP_OKAY);
}
END_TEST

START_TEST(no_flush_on_the_device_is_eopnotsupp)
{
    disk.has_flush = false;
    post(&(blkif_request_t){ .operation = BLKIF_OP_FLUSH_DISKCACHE, .id = 9 });
    blkback_service(&be);
    ck_assert_uint_eq(submits, 0);
    ck_assert_int_eq(rsp(0).status, BLKIF_RSP_EOPNOTSUPP);
}
END_TEST

static blkif_request_t discard(uint64_t id, uint64_t sector, uint64_t n)
{
    blkif_request_t r;
    memset(&r, 0, sizeof(r));
    blkif_request_discard_t *d = (void *)&r;
    d->operation = BLKIF_OP_DISCARD;
    d->id = id;
    d->sector_number = sector;
    d->nr_sectors = n;
    return r;
}

START_TEST(discard_reaches_the_device)
{
    disk.has_discard = true;
    blkif_request_t r = discard(5, 10, 100);
    post(&r);
    blkback_service(&be);
    ck_assert_uint_eq(nr_held, 1);
    ck_assert_int_eq(held[0]->op, BLKDEV_DISCARD);
    ck_assert_uint_eq(held[0]->sector, 10);
    ck_assert_uint_eq(held[0]->nr_sectors, 100);
    ck_assert_uint_eq(ring.s.rsp_prod, 0);
    complete_all();
    ck_assert_int_eq(rsp(0).status, BLKIF_RSP_OKAY);
    ck_assert_uint_eq(rsp(0).operation, BLKIF_OP_DISCARD);
    /* Past the end, wrapping, empty, or on a read-only disk: refused. */
    const uint64_t bad[][2] = { { DISK_SECTORS - 1, 2 }, { ~0ull, 2 }, { 0, 0 } };
    for (unsigned i = 0; i < 3; i++) {
        r = discard(6 + i, bad[i][0], bad[i][1]);
        post(&r);
    }
    be.read_only = true;
    r = discard(9, 0, 1);
    post(&r);
    blkback_service(&be);
    ck_assert_uint_eq(nr_held, 0);
    for (unsigned i = 1; i <= 4; i++)
        ck_assert_int_eq(rsp(i).status, BLKIF_RSP_ERROR);
}
END_TEST

START_TEST(many_in_flight_complete_out_of_order)
{
    for (unsigned i = 0; i < BLKBACK_RING_SIZE; i++) {
        blkif_request_t r = rw(BLKIF_OP_READ, 100 + i, i, 1);
        r.seg[0].gref = 8 + i % FX_NR_PAGES;
        post(&r);
    }
    blkback_service(&be);
    ck_assert_uint_eq(nr_held, BLKBACK_RING_SIZE);
    ck_assert_uint_eq(be.in_flight, BLKBACK_RING_SIZE);
    while (nr_held)
        complete_one(nr_held - 1);
    ck_assert_uint_eq(ring.s.rsp_prod, BLKBACK_RING_SIZE);
    for (unsigned i = 0; i < BLKBACK_RING_SIZE; i++) {
        ck_assert_uint_eq(rsp(i).id, 100 + BLKBACK_RING_SIZE - 1 - i);
        ck_assert_int_eq(rsp(i).status, BLKIF_RSP_OKAY);
    }
    ck_assert_uint_eq(fx_held_grants, 0);
    /* The ring goes round: the next batch wraps the indices. */
    post(&(blkif_request_t){ .operation = BLKIF_OP_FLUSH_DISKCACHE, .id = 1 });
    blkback_service(&be);
    complete_all();
    ck_assert_uint_eq(ring.s.rsp_prod, BLKBACK_RING_SIZE + 1);
    ck_assert_uint_eq(rsp(BLKBACK_RING_SIZE).id, 1);
}
END_TEST

START_TEST(producer_more_than_a_ring_ahead_breaks_the_ring)
{
    ring.s.req_prod = BLKBACK_RING_SIZE + 1;
    blkback_service(&be);
    ck_assert(be.broken);
    ck_assert_uint_eq(submits, 0);
    ck_assert_uint_eq(ring.s.rsp_prod, 0);
    blkback_service(&be);
    ck_assert_uint_eq(submits, 0);
}
END_TEST

/* Found by fuzz_blkback: a producer moved back behind the consumer. */
START_TEST(producer_moved_back_breaks_the_ring)
{
    blkif_request_t r = rw(BLKIF_OP_READ, 1, 0, 1);
    post(&r);
    post(&r);
    blkback_service(&be);
    ck_assert_uint_eq(be.req_cons, 2);
    ring.s.req_prod = 1;
    blkback_service(&be);       /* used to take 2^32 garbage requests */
    ck_assert(be.broken);
    ck_assert_uint_eq(be.req_cons, 2);
    complete_all();
    ck_assert_uint_eq(fx_held_grants, 0);
}
END_TEST

START_TEST(notify_only_when_the_frontend_asked)
{
    ring.s.rsp_event = 5;      /* wants a kick at response 5 only */
    for (unsigned i = 0; i < 6; i++) {
        post(&(blkif_request_t){ .operation = BLKIF_OP_FLUSH_DISKCACHE, .id = i });
        blkback_service(&be);
        complete_all();
        ck_assert_uint_eq(fx_notifies, i >= 4 ? 1 : 0);
    }
}
END_TEST

START_TEST(disconnect_with_requests_in_flight)
{
    blkif_request_t r = rw(BLKIF_OP_READ, 1, 0, 3);
    post(&r);
    blkback_service(&be);
    ck_assert_uint_eq(blkback_disconnect(&be), 1);
    complete_all();
    ck_assert_uint_eq(be.in_flight, 0);
    ck_assert_uint_eq(ring.s.rsp_prod, 0);
    ck_assert_uint_eq(fx_held_grants, 0);
    ck_assert_uint_eq(fx_gtab[8].flags, GTF_permit_access);
}
END_TEST

/* Indirect requests: segments in a page the frontend granted (page 15 here). */
static blkif_request_t indirect(uint8_t op, uint64_t id, uint64_t sector, unsigned nseg)
{
    struct blkif_request_segment *segs = (void *)fx_pages[FX_NR_PAGES - 1];
    for (unsigned i = 0; i < nseg && i < 512; i++)
        segs[i] = (struct blkif_request_segment){ .gref = 8 + i % 8,
                                                  .first_sect = (uint8_t)(i / 8 % 8),
                                                  .last_sect = (uint8_t)(i / 8 % 8) };
    blkif_request_t r;
    memset(&r, 0, sizeof(r));
    blkif_request_indirect_t *ir = (void *)&r;
    ir->operation = BLKIF_OP_INDIRECT;
    ir->indirect_op = op;
    ir->nr_segments = (uint16_t)nseg;
    ir->id = id;
    ir->sector_number = sector;
    ir->handle = 51712;
    ir->indirect_grefs[0] = 8 + FX_NR_PAGES - 1;
    return r;
}

START_TEST(indirect_read_of_32_segments)
{
    be.indirect_segs = 32;
    blkif_request_t r = indirect(BLKIF_OP_READ, 77, 40, 32);
    post(&r);
    blkback_service(&be);
    ck_assert_uint_eq(nr_held, 1);
    ck_assert_uint_eq(held[0]->nr_segs, 32);
    ck_assert_uint_eq(fx_held_grants, 32);     /* the indirect page is let go at once */
    complete_all();
    ck_assert_int_eq(rsp(0).status, BLKIF_RSP_OKAY);
    ck_assert_uint_eq(rsp(0).operation, BLKIF_OP_READ);
    ck_assert_uint_eq(rsp(0).id, 77);
    /* Segment i is sector i/8%8 of page i%8, and disk sector 40+i. */
    for (unsigned i = 0; i < 32; i++)
        ck_assert(memcmp(&fx_pages[i % 8][(i / 8 % 8) * 512], disk_data + (40 + i) * 512, 512) == 0);
    ck_assert_uint_eq(fx_held_grants, 0);
}
END_TEST

START_TEST(indirect_requests_checked)
{
    struct { unsigned segs; uint8_t op; bool advertised; grant_ref_t page; } c[] = {
        { 32, BLKIF_OP_READ, false, 8 + FX_NR_PAGES - 1 },     /* not advertised */
        { 33, BLKIF_OP_READ, true, 8 + FX_NR_PAGES - 1 },      /* more than advertised */
        { 0, BLKIF_OP_READ, true, 8 + FX_NR_PAGES - 1 },
        { 4, BLKIF_OP_FLUSH_DISKCACHE, true, 8 + FX_NR_PAGES - 1 },
        { 4, BLKIF_OP_READ, true, 2 },                      /* indirect page not granted */
        { 4, BLKIF_OP_WRITE, true, 5000 },
    };
    for (unsigned i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
        be.indirect_segs = c[i].advertised ? 32 : 0;
        blkif_request_t r = indirect(c[i].op, i, 0, c[i].segs);
        ((blkif_request_indirect_t *)&r)->indirect_grefs[0] = c[i].page;
        post(&r);
        blkback_service(&be);
        ck_assert_uint_eq(submits, 0);
        ck_assert_uint_eq(ring.s.rsp_prod, i + 1);
        ck_assert_uint_eq(rsp(i).id, i);
        ck_assert_uint_eq(rsp(i).operation, c[i].op);
        ck_assert_int_eq(rsp(i).status, BLKIF_RSP_ERROR);
        ck_assert_uint_eq(fx_held_grants, 0);
    }
}
END_TEST

START_TEST(grant_claims_follow_xen)
{
    grant_entry_v1_t e = { GTF_permit_access, 0, 42 };
    ck_assert_int_eq(grant_claim_entry(&e, 0, true), 0);
    ck_assert_uint_eq(e.flags, GTF_permit_access | GTF_reading | GTF_writing);
    grant_unclaim_entry(&e, true);
    ck_assert_uint_eq(e.flags, GTF_permit_access);
    e.domid = 3;
    ck_assert_int_eq(grant_claim_entry(&e, 0, false), -XEN_EINVAL);
    e = (grant_entry_v1_t){ GTF_permit_access | GTF_readonly, 0, 42 };
    ck_assert_int_eq(grant_claim_entry(&e, 0, true), -XEN_EINVAL);
    ck_assert_int_eq(grant_claim_entry(&e, 0, false), 0);
    ck_assert_uint_eq(e.flags, GTF_permit_access | GTF_readonly | GTF_reading);
    e = (grant_entry_v1_t){ GTF_permit_access | GTF_sub_page, 0, 42 };
    ck_assert_int_eq(grant_claim_entry(&e, 0, false), -XEN_EINVAL);
    e = (grant_entry_v1_t){ GTF_accept_transfer, 0, 42 };
    ck_assert_int_eq(grant_claim_entry(&e, 0, false), -XEN_EINVAL);
    e = (grant_entry_v1_t){ GTF_transitive, 0, 42 };
    ck_assert_int_eq(grant_claim_entry(&e, 0, false), -XEN_EINVAL);
    e = (grant_entry_v1_t){ 0, 0, 42 };
    ck_assert_int_eq(grant_claim_entry(&e, 0, false), -XEN_EINVAL);
}
END_TEST

static Suite *blkback_suite(void)
{
    Suite *s = suite_create("blkback");
    TCase *tc = tcase_create("ring");
    tcase_add_checked_fixture(tc, setup, NULL);
    tcase_add_test(tc, read_answers_after_the_device_with_its_data);
    tcase_add_test(tc, write_answers_only_after_completion);
    tcase_add_test(tc, flush_reaches_the_device_before_the_answer);
    tcase_add_test(tc, flush_with_data_flushes_writes_and_flushes);
    tcase_add_test(tc, flush_with_data_stops_at_the_first_error);
    tcase_add_test(tc, device_errors_are_errors);
    tcase_add_loop_test(tc, bad_requests_get_errors, 0, (int)ARRAY_SIZE(bad_cases));
    tcase_add_test(tc, read_only_disk_refuses_writes);
    tcase_add_test(tc, no_flush_on_the_device_is_eopnotsupp);
    tcase_add_test(tc, discard_reaches_the_device);
    tcase_add_test(tc, many_in_flight_complete_out_of_order);
    tcase_add_test(tc, producer_more_than_a_ring_ahead_breaks_the_ring);
    tcase_add_test(tc, producer_moved_back_breaks_the_ring);
    tcase_add_test(tc, notify_only_when_the_frontend_asked);
    tcase_add_test(tc, disconnect_with_requests_in_flight);
    tcase_add_test(tc, indirect_read_of_32_segments);
    tcase_add_test(tc, indirect_requests_checked);
    tcase_add_test(tc, grant_claims_follow_xen);
    suite_add_tcase(s, tc);
    return s;
}
UNIT_SUITE(blkback_suite)
