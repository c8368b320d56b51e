/*
 * pvhostile64's blkfront attack (blk=1): a frontend of our own for xvda,
 * connected through pvshim's xenstore like any blkfront, that posts
 * requests meant to break the backend. Every bad request must come back
 * as an error (never OKAY, never touching memory or disk outside what a
 * good request names); good requests in between must still work; a
 * producer index that runs ahead of the ring must end the ring, not
 * pvshim. The disk's first sector holds BLK_PATTERN (the test writes it);
 * a good write lands at sector WRITE_SECTOR and nowhere else (the test
 * checks the image).
 */
#include "hostile.h"
#include <xen/io/xs_wire.h>
#include <xen/io/blkif.h>
#include <xen/io/xenbus.h>
#include <xen/io/protocols.h>

#define BLK_PATTERN     "PVHOSTILE-DISK"
#define WRITE_PATTERN   "PVHOSTILE-WRITE"
#define WRITE_SECTOR    64
#define BLK_RING_SIZE       32              /* one page of x86_64 blkif entries */

/* Grant refs of ours (the table's first frame has 512). */
#define REF_RING        8
#define REF_DATA        9               /* data[0] read-write */
#define REF_DATA_RO     10              /* data[0] read-only */
#define REF_OTHER_DOM   11              /* data[0], granted to another domain */
#define REF_L4          12              /* our live L4 */
#define REF_L1          13              /* a live L1 of ours */
#define REF_PVSHIM      14              /* a frame that is not ours */
#define REF_INDIRECT    15              /* the indirect segment page */
#define REF_UNUSED      20              /* flags 0 */
#define REF_BEYOND      100000          /* past any table */

static __attribute__((aligned(4096))) uint8_t ring_page[4096];
static __attribute__((aligned(4096))) uint8_t data[3][4096];   /* [1]: canary, never granted */
static __attribute__((aligned(4096))) struct blkif_request_segment indirect[512];

static blkif_sring_t *sring;
static evtchn_port_t port;
static uint64_t disk_sectors;
static RING_IDX req_prod, rsp_cons;
static unsigned long refused, answered_ok;

/* ---- the ring */

static void post(const blkif_request_t *r)
{
    ((union blkif_sring_entry *)(void *)sring->ring)[req_prod & (BLK_RING_SIZE - 1)].req = *r;
    fe_barrier();
    sring->req_prod = ++req_prod;
    fe_barrier();
    fe_kick(port);
}

/* The next response, or false if none came. */
static bool next_response(blkif_response_t *out)
{
    for (unsigned long i = 0; i < FE_WAIT_LOOPS; i++) {
        fe_barrier();
        if (sring->rsp_prod != rsp_cons) {
            *out = ((union blkif_sring_entry *)(void *)sring->ring)[rsp_cons & (BLK_RING_SIZE - 1)].rsp;
            rsp_cons++;
            sring->rsp_event = rsp_cons + 1;
            return true;
        }
        fe_yield();
    }
    return false;
}

static int16_t request(const char *what, const blkif_request_t *r)
{
    post(r);
    blkif_response_t rsp;
    if (!next_response(&rsp)) {
        fail(what, 0xdead, r->id);
        return 99;
    }
    if (rsp.id != r->id)
        fail(what, rsp.id, r->id);
    return rsp.status;
}

static blkif_request_t rw(uint8_t op, uint64_t id, uint64_t sector, grant_ref_t ref,
                          uint8_t first, uint8_t last)
{
    blkif_request_t r;
    memset(&r, 0, sizeof(r));
    r.operation = op;
    r.nr_segments = 1;
    r.handle = 51712;
    r.id = id;
    r.sector_number = sector;
    r.seg[0].gref = ref;
    r.seg[0].first_sect = first;
    r.seg[0].last_sect = last;
    return r;
}

static void expect_refused(const char *what, const blkif_request_t *r)
{
    int16_t st = request(what, r);
    if (st == BLKIF_RSP_OKAY)
        fail(what, (uint64_t)(int64_t)st, r->id);
    else
        refused++;
}

static void expect_ok(const char *what, const blkif_request_t *r)
{
    int16_t st = request(what, r);
    if (st != BLKIF_RSP_OKAY)
        fail(what, (uint64_t)(int64_t)st, r->id);
    else
        answered_ok++;
}

static void check_canary(const char *what)
{
    for (unsigned i = 0; i < PG; i++)
        if (data[1][i] != 0xc5) {
            fail(what, i, data[1][i]);
            return;
        }
}

static bool setup(char *be_path, size_t be_len)
{
    if (!fe_init())
        return false;

    const char *fe = "device/vbd/51712";
    char path[160];
    fe_cat(path, fe, "backend");
    if (fe_xs_call(XS_READ, path, 0, be_path, (uint32_t)be_len)) {
        fail("blk: no device/vbd/51712/backend (is there a disk?)", 0, 0);
        return false;
    }
    uint64_t be_id;
    if (!fe_xs_read_u(fe, "backend-id", &be_id) || !fe_wait_state(be_path, XenbusStateInitWait)) {
        fail("blk: backend not in InitWait", 0, 0);
        return false;
    }
    struct evtchn_alloc_unbound au = { .dom = DOMID_SELF, .remote_dom = (domid_t)be_id };
    if (hypercall5(__HYPERVISOR_event_channel_op, EVTCHNOP_alloc_unbound, &au, 0, 0, 0)) {
        fail("blk: alloc_unbound", 0, 0);
        return false;
    }
    port = au.port;
    memset(ring_page, 0, PG);
    sring = (blkif_sring_t *)ring_page;
    sring->req_event = sring->rsp_event = 1;
    domid_t be = (domid_t)be_id;
    fe_grant(REF_RING, fe_mfn_of(ring_page), be, GTF_permit_access);
    fe_grant(REF_DATA, fe_mfn_of(data[0]), be, GTF_permit_access);
    fe_grant(REF_DATA_RO, fe_mfn_of(data[0]), be, GTF_permit_access | GTF_readonly);
    fe_grant(REF_OTHER_DOM, fe_mfn_of(data[0]), 7, GTF_permit_access);
    fe_grant(REF_L4, l4_mfn, be, GTF_permit_access);
    fe_grant(REF_L1, fe_mfn_of(sac_l1), be, GTF_permit_access);
    fe_grant(REF_PVSHIM, 0x100, be, GTF_permit_access);
    fe_grant(REF_INDIRECT, fe_mfn_of(indirect), be, GTF_permit_access | GTF_readonly);
    if (!fe_xs_write_u(fe, "ring-ref", REF_RING) || !fe_xs_write_u(fe, "event-channel", port) ||
        fe_xs_call(XS_WRITE, "device/vbd/51712/protocol", XEN_IO_PROTO_ABI_X86_64, 0, 0) ||
        !fe_xs_write_u(fe, "state", XenbusStateInitialised) ||
        !fe_wait_state(be_path, XenbusStateConnected) ||
        !fe_xs_read_u(be_path, "sectors", &disk_sectors)) {
        fail("blk: handshake", 0, 0);
        return false;
    }
    fe_xs_write_u(fe, "state", XenbusStateConnected);
    return true;
}

void blkfront_attacks(void)
{
    char be_path[128];
    if (!setup(be_path, sizeof(be_path)))
        return;
    print("pvhostile64: blk: connected, ");
    print_u(disk_sectors);
    print(" sectors\n");
    memset(data[1], 0xc5, PG);
    uint64_t id = 0x1000;

    /* A good read first: the disk's pattern, into the granted page only. */
    memset(data[0], 0, PG);
    blkif_request_t r = rw(BLKIF_OP_READ, id++, 0, REF_DATA, 0, 7);
    expect_ok("blk: good read", &r);
    if (memcmp(data[0], BLK_PATTERN, sizeof(BLK_PATTERN) - 1))
        fail("blk: good read did not bring the disk's first sector", data[0][0], data[0][1]);

    /* Segments and sectors. */
    r = rw(BLKIF_OP_READ, id++, 0, REF_DATA, 0, 8);
    expect_refused("blk: segment past the page", &r);
    r = rw(BLKIF_OP_READ, id++, 0, REF_DATA, 5, 2);
    expect_refused("blk: last_sect < first_sect", &r);
    r = rw(BLKIF_OP_READ, id++, 0, REF_DATA, 200, 255);
    expect_refused("blk: sector numbers far past the page", &r);
    r = rw(BLKIF_OP_READ, id++, disk_sectors - 4, REF_DATA, 0, 7);
    expect_refused("blk: sectors past the end of the disk", &r);
    r = rw(BLKIF_OP_WRITE, id++, disk_sectors, REF_DATA, 0, 0);
    expect_refused("blk: write at the end of the disk", &r);
    r = rw(BLKIF_OP_READ, id++, ~0ull - 3, REF_DATA, 0, 7);
    expect_refused("blk: sector number that wraps", &r);
    r = rw(BLKIF_OP_READ, id++, 0, REF_DATA, 0, 7);
    r.nr_segments = 0;
    expect_refused("blk: no segments", &r);
    r.nr_segments = 200;
    r.id = id++;
    expect_refused("blk: 200 segments", &r);

    /* Grants. */
    r = rw(BLKIF_OP_READ, id++, 0, REF_BEYOND, 0, 7);
    expect_refused("blk: grant ref past the table", &r);
    r = rw(BLKIF_OP_READ, id++, 0, REF_UNUSED, 0, 7);
    expect_refused("blk: grant ref never set up", &r);
    r = rw(BLKIF_OP_READ, id++, 0, REF_DATA_RO, 0, 7);
    expect_refused("blk: disk read into a read-only grant", &r);
    r = rw(BLKIF_OP_READ, id++, 0, REF_OTHER_DOM, 0, 7);
    expect_refused("blk: grant to another domain", &r);
    r = rw(BLKIF_OP_READ, id++, 0, REF_L4, 0, 7);
    expect_refused("blk: disk read into our L4", &r);
    r = rw(BLKIF_OP_WRITE, id++, WRITE_SECTOR + 8, REF_L4, 0, 7);
    expect_refused("blk: disk write from our L4", &r);
    r = rw(BLKIF_OP_READ, id++, 0, REF_L1, 0, 7);
    expect_refused("blk: disk read into a live L1", &r);
    r = rw(BLKIF_OP_READ, id++, 0, REF_PVSHIM, 0, 7);
    expect_refused("blk: disk read into a frame that is not ours", &r);
    r = rw(BLKIF_OP_WRITE, id++, WRITE_SECTOR + 8, REF_PVSHIM, 0, 7);
    expect_refused("blk: disk write from a frame that is not ours", &r);
    /* A good segment, then a bad one: nothing of the request reaches the disk. */
    r = rw(BLKIF_OP_WRITE, id++, WRITE_SECTOR + 16, REF_DATA, 0, 7);
    r.nr_segments = 2;
    r.seg[1] = (struct blkif_request_segment){ .gref = REF_L4, .first_sect = 0, .last_sect = 7 };
    expect_refused("blk: second segment's grant is our L4", &r);
    for (grant_ref_t g = REF_RING + 1; g <= REF_INDIRECT; g++)
        if (fe_in_use(g))
            fail("blk: grant left in use after its request (ref, flags)", g, fe_gtab[g].flags);

    /* Indirect requests with bad segment pages or counts. */
    blkif_request_indirect_t ir;
    memset(&ir, 0, sizeof(ir));
    ir.operation = BLKIF_OP_INDIRECT;
    ir.indirect_op = BLKIF_OP_READ;
    ir.handle = 51712;
    for (unsigned i = 0; i < 512; i++)
        indirect[i] = (struct blkif_request_segment){ .gref = REF_L4, .first_sect = 0,
                                                      .last_sect = 7 };
    ir.nr_segments = 4;
    ir.indirect_grefs[0] = REF_INDIRECT;
    ir.id = id++;
    expect_refused("blk: indirect segments naming our L4", (blkif_request_t *)&ir);
    ir.indirect_grefs[0] = REF_BEYOND;
    ir.id = id++;
    expect_refused("blk: indirect page grant past the table", (blkif_request_t *)&ir);
    ir.indirect_grefs[0] = REF_INDIRECT;
    ir.nr_segments = 4000;
    ir.id = id++;
    expect_refused("blk: 4000 indirect segments", (blkif_request_t *)&ir);
    ir.nr_segments = 1;
    ir.indirect_op = BLKIF_OP_DISCARD;
    ir.id = id++;
    expect_refused("blk: indirect discard", (blkif_request_t *)&ir);

    /* Unknown and unoffered operations. */
    r = rw(77, id++, 0, REF_DATA, 0, 7);
    expect_refused("blk: unknown operation", &r);
    r = rw(BLKIF_OP_WRITE_BARRIER, id++, 0, REF_DATA, 0, 7);
    expect_refused("blk: barrier", &r);
    check_canary("blk: the page next to the data page changed (offset, byte)");

    /* A good write still works after all that: one page at WRITE_SECTOR. */
    memset(data[0], 0, PG);
    memcpy(data[0], WRITE_PATTERN, sizeof(WRITE_PATTERN) - 1);
    r = rw(BLKIF_OP_WRITE, id++, WRITE_SECTOR, REF_DATA_RO, 0, 7);
    expect_ok("blk: good write from a read-only grant", &r);
    blkif_request_t fl;
    memset(&fl, 0, sizeof(fl));
    fl.operation = BLKIF_OP_FLUSH_DISKCACHE;
    fl.id = id++;
    expect_ok("blk: flush", &fl);

    /* The producer a ring and more ahead: the backend stops serving the ring. */
    RING_IDX before = sring->rsp_prod;
    req_prod += BLK_RING_SIZE + 5;
    r = rw(BLKIF_OP_READ, id++, 0, REF_DATA, 0, 7);
    post(&r);
    for (unsigned i = 0; i < 20000; i++)
        fe_yield();
    if (sring->rsp_prod != before)
        fail("blk: responses to a producer a ring ahead", sring->rsp_prod, before);
    for (grant_ref_t g = REF_RING + 1; g <= REF_INDIRECT; g++)
        if (fe_in_use(g))
            fail("blk: grant left in use (ref, flags)", g, fe_gtab[g].flags);
    check_canary("blk: the page next to the data page changed at the end (offset, byte)");

    /* Close as a frontend does; the backend follows. */
    fe_xs_write_u("device/vbd/51712", "state", XenbusStateClosing);
    if (!fe_wait_state(be_path, XenbusStateClosing))
        fail("blk: backend did not follow to Closing", 0, 0);
    fe_xs_write_u("device/vbd/51712", "state", XenbusStateClosed);
    if (!fe_wait_state(be_path, XenbusStateClosed))
        fail("blk: backend did not follow to Closed", 0, 0);
    print("pvhostile64: blk: ");
    print_u(refused);
    print(" bad requests refused, ");
    print_u(answered_ok);
    print(" good ones answered\n");
}
