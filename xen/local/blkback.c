/*
 * blkif ring service (see blkback.h). Indices are free running; slot i of
 * the ring is i & (BLKBACK_RING_SIZE - 1). Only req_event and rsp_prod
 * (and the response slots) are ever written to the shared page.
 */
#include "blkback.h"
#include <pvshim/log.h>
#include <pvshim/string.h>
#include <pvshim/compiler.h>

#define SECTORS_PER_PAGE (PAGE_SIZE / BLKDEV_SECTOR_SIZE)

/* blkback_req.flush_stage: the device holds ... */
#define FLUSH_BEFORE    1       /* the flush before the data */
#define FLUSH_WRITE     2       /* the data */
#define FLUSH_AFTER     3       /* the flush after it */

static void full_barrier(void)
{
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
}

/* The header declares ring[1]: index past it by pointer, not by subscript. */
static union blkif_sring_entry *ring_slot(blkif_sring_t *s, RING_IDX i)
{
    return (union blkif_sring_entry *)(void *)s->ring + (i & (BLKBACK_RING_SIZE - 1));
}

void blkback_connect(struct blkback *be, void *ring_page)
{
    be->generation++;
    be->sring = ring_page;
    be->req_cons = 0;
    be->rsp_prod_pvt = 0;
    be->broken = false;
    /* A frontend reconnecting may have left its old indices: start from them. */
    if (be->sring) {
        be->rsp_prod_pvt = __atomic_load_n(&be->sring->rsp_prod, __ATOMIC_ACQUIRE);
        be->req_cons = be->rsp_prod_pvt;
        be->rsp_published = be->rsp_prod_pvt;
    }
}

unsigned blkback_disconnect(struct blkback *be)
{
    be->sring = NULL;
    return be->in_flight;
}

/* Publish responses written so far; kick the frontend if it asked to be told. */
static void push_responses(struct blkback *be)
{
    blkif_sring_t *s = be->sring;
    RING_IDX old = be->rsp_published, new = be->rsp_prod_pvt;
    be->rsp_published = new;
    __atomic_store_n(&s->rsp_prod, new, __ATOMIC_RELEASE);
    full_barrier();
    RING_IDX event = __atomic_load_n(&s->rsp_event, __ATOMIC_ACQUIRE);
    if ((RING_IDX)(new - event) < (RING_IDX)(new - old) && be->notify)
        be->notify(be->notify_arg);
}

static void respond(struct blkback *be, uint32_t generation, uint64_t id, uint8_t op,
                    int16_t status)
{
    if (status != BLKIF_RSP_OKAY)
        be->stats.errors++;
    if (!be->sring || generation != be->generation)
        return;         /* disconnected meanwhile: nobody to answer */
    blkif_response_t *r = &ring_slot(be->sring, be->rsp_prod_pvt)->rsp;
    r->id = id;
    r->operation = op;
    r->status = status;
    be->rsp_prod_pvt++;
    push_responses(be);
}

static void release_grants(struct blkback_req *q)
{
    struct blkback *be = q->be;
    for (unsigned i = 0; i < q->nr_grants; i++)
        be->grants->release(be->grants_ctx, q->gref[i], q->grant_write, q->frame[i]);
    q->nr_grants = 0;
}

static void finish(struct blkback_req *q, int16_t status)
{
    struct blkback *be = q->be;
    release_grants(q);
    q->in_use = false;
    be->in_flight--;
    respond(be, q->generation, q->id, q->operation, status);
}

static int16_t status_of(int rc)
{
    if (rc == 0)
        return BLKIF_RSP_OKAY;
    return rc == -XEN_EOPNOTSUPP ? BLKIF_RSP_EOPNOTSUPP : BLKIF_RSP_ERROR;
}

static void io_done(struct blkdev_io *io, int status)
{
    struct blkback_req *q = io->arg;
    struct blkback *be = q->be;
    if (status == 0 && (q->flush_stage == FLUSH_BEFORE || q->flush_stage == FLUSH_WRITE)) {
        /* Flushed before the data: now the data. Written: flush it. */
        q->io.op = q->flush_stage == FLUSH_BEFORE ? BLKDEV_WRITE : BLKDEV_FLUSH;
        q->flush_stage++;
        int rc = be->disk->submit(be->disk, &q->io);
        if (rc == 0)
            return;
        status = rc;
    }
    if (status)
        log_warn("%s: %s of sector %llu failed (%d)", be->name,
                 q->io.op == BLKDEV_READ ? "read" : q->io.op == BLKDEV_WRITE ? "write" :
                 q->io.op == BLKDEV_FLUSH ? "flush" : "discard",
                 (unsigned long long)q->io.sector, status);
    finish(q, status_of(status));
    if (be->stalled) {
        be->stalled = false;
        blkback_service(be);
    }
}

/*
 * Check the n segments of a READ/WRITE (or data-carrying flush) request and
 * build the device request from them. 0 or a blkif status for the response.
 */
static int16_t map_segments(struct blkback *be, struct blkback_req *q,
                            const struct blkif_request_segment *segs, unsigned n,
                            uint64_t sector, bool write)
{
    uint64_t total = 0;
    if (n == 0 || n > BLKBACK_MAX_SEGS)
        return BLKIF_RSP_ERROR;
    for (unsigned i = 0; i < n; i++) {
        const struct blkif_request_segment *s = &segs[i];
        if (s->first_sect > s->last_sect || s->last_sect >= SECTORS_PER_PAGE)
            return BLKIF_RSP_ERROR;
        total += (uint64_t)s->last_sect - s->first_sect + 1;
    }
    uint64_t end = sector + total;
    if (end < sector || end > be->disk->sectors)
        return BLKIF_RSP_ERROR;
    uint32_t blk = be->disk->block_size / BLKDEV_SECTOR_SIZE;
    if (blk > 1 && (sector % blk || total % blk))
        return BLKIF_RSP_ERROR;

    /* A disk read writes guest memory: the grant must allow writing. */
    q->grant_write = !write;
    for (unsigned i = 0; i < n; i++) {
        const struct blkif_request_segment *s = &segs[i];
        mfn_t f;
        if (be->grants->acquire(be->grants_ctx, s->gref, q->grant_write, &f)) {
            log_warn("%s: request %#llx: grant %u refused", be->name,
                     (unsigned long long)q->id, s->gref);
            release_grants(q);
            return BLKIF_RSP_ERROR;
        }
        q->gref[i] = s->gref;
        q->frame[i] = f;
        q->nr_grants = (uint8_t)(i + 1);
        q->io.seg[i].addr = mfn_to_paddr(f) + (paddr_t)s->first_sect * BLKDEV_SECTOR_SIZE;
        q->io.seg[i].len = ((uint32_t)s->last_sect - s->first_sect + 1) * BLKDEV_SECTOR_SIZE;
    }
    q->io.nr_segs = n;
    q->io.sector = sector;
    q->io.op = write ? BLKDEV_WRITE : BLKDEV_READ;
    return BLKIF_RSP_OKAY;
}

/* An indirect READ/WRITE: its segments come from pages the frontend granted. */
static int16_t map_indirect(struct blkback *be, struct blkback_req *q,
                            const blkif_request_indirect_t *r)
{
    struct blkif_request_segment segs[BLKBACK_MAX_SEGS];
    unsigned n = r->nr_segments;
    bool write = r->indirect_op == BLKIF_OP_WRITE;
    if (r->indirect_op != BLKIF_OP_READ && !write)
        return BLKIF_RSP_ERROR;
    if (n == 0 || n > be->indirect_segs || n > BLKBACK_MAX_SEGS)
        return BLKIF_RSP_ERROR;
    if (write && be->read_only)
        return BLKIF_RSP_ERROR;
    for (unsigned p = 0; p * BLKBACK_SEGS_PER_INDIRECT_PAGE < n; p++) {
        unsigned first = p * BLKBACK_SEGS_PER_INDIRECT_PAGE;
        unsigned count = MIN(n - first, (unsigned)BLKBACK_SEGS_PER_INDIRECT_PAGE);
        grant_ref_t ref = r->indirect_grefs[p];
        mfn_t f;
        if (be->grants->acquire(be->grants_ctx, ref, false, &f)) {
            log_warn("%s: request %#llx: indirect page grant %u refused", be->name,
                     (unsigned long long)q->id, ref);
            return BLKIF_RSP_ERROR;
        }
        const void *page = be->grants->frame_ptr(be->grants_ctx, f);
        if (page)
            memcpy(&segs[first], page, count * sizeof(segs[0]));
        be->grants->release(be->grants_ctx, ref, false, f);
        if (!page)
            return BLKIF_RSP_ERROR;
    }
    return map_segments(be, q, segs, n, r->sector_number, write);
}

/* Start one request (a private copy). Answers it at once if it cannot start. */
static void start(struct blkback *be, struct blkback_req *q, const blkif_request_t *r)
{
    int16_t st;
    q->id = r->id;
    q->generation = be->generation;
    q->operation = r->operation;
    q->nr_grants = 0;
    q->flush_stage = 0;
    q->io = (struct blkdev_io){ .done = io_done, .arg = q };
    q->in_use = true;
    be->in_flight++;
    be->stats.requests++;

    switch (r->operation) {
    case BLKIF_OP_READ:
        be->stats.reads++;
        st = r->nr_segments > BLKIF_MAX_SEGMENTS_PER_REQUEST ? BLKIF_RSP_ERROR :
             map_segments(be, q, r->seg, r->nr_segments, r->sector_number, false);
        break;
    case BLKIF_OP_WRITE:
        be->stats.writes++;
        st = be->read_only || r->nr_segments > BLKIF_MAX_SEGMENTS_PER_REQUEST ?
             BLKIF_RSP_ERROR :
             map_segments(be, q, r->seg, r->nr_segments, r->sector_number, true);
        break;
    case BLKIF_OP_FLUSH_DISKCACHE:
        be->stats.flushes++;
        if (!be->disk->has_flush) {
            st = BLKIF_RSP_EOPNOTSUPP;
        } else if (r->nr_segments == 0) {
            q->io.op = BLKDEV_FLUSH;
            st = BLKIF_RSP_OKAY;
        } else if (be->read_only || r->nr_segments > BLKIF_MAX_SEGMENTS_PER_REQUEST) {
            st = BLKIF_RSP_ERROR;
        } else {
            /*
             * Flush, write the data, flush: blkfront sends a flush with
             * data for a write that wants the cache emptied before it
             * (PREFLUSH) or the data stable when answered (FUA).
             */
            st = map_segments(be, q, r->seg, r->nr_segments, r->sector_number, true);
            q->io.op = BLKDEV_FLUSH;
            q->flush_stage = FLUSH_BEFORE;
        }
        break;
    case BLKIF_OP_INDIRECT: {
        const blkif_request_indirect_t *ir = (const void *)r;
        /* Answered with the operation inside, as blkfront expects. */
        q->operation = ir->indirect_op;
        if (ir->indirect_op == BLKIF_OP_WRITE)
            be->stats.writes++;
        else
            be->stats.reads++;
        st = be->indirect_segs ? map_indirect(be, q, ir) : BLKIF_RSP_ERROR;
        break;
    }
    case BLKIF_OP_DISCARD: {
        const blkif_request_discard_t *dr = (const void *)r;
        uint64_t end = dr->sector_number + dr->nr_sectors;
        if (!be->disk->has_discard) {
            st = BLKIF_RSP_EOPNOTSUPP;
        } else if (be->read_only || dr->nr_sectors == 0 || end < dr->sector_number ||
                   end > be->disk->sectors) {
            st = BLKIF_RSP_ERROR;
        } else {
            q->io.op = BLKDEV_DISCARD;
            q->io.sector = dr->sector_number;
            q->io.nr_sectors = dr->nr_sectors;
            st = BLKIF_RSP_OKAY;
        }
        break;
    }
    case BLKIF_OP_WRITE_BARRIER:
        st = BLKIF_RSP_EOPNOTSUPP;  /* never advertised */
        break;
    default:
        st = BLKIF_RSP_ERROR;       /* unknown ops */
        break;
    }
    if (st == BLKIF_RSP_OKAY) {
        int rc = be->disk->submit(be->disk, &q->io);
        if (rc == 0)
            return;
        st = status_of(rc);
    }
    finish(q, st);
}

static struct blkback_req *free_slot(struct blkback *be)
{
    for (unsigned i = 0; i < BLKBACK_RING_SIZE; i++)
        if (!be->reqs[i].in_use) {
            be->reqs[i].be = be;
            return &be->reqs[i];
        }
    return NULL;
}

static void service_ring(struct blkback *be);

/* One device notification for all the requests taken in one pass. */
void blkback_service(struct blkback *be)
{
    if (be->disk->plug)
        be->disk->plug(be->disk, true);
    service_ring(be);
    if (be->disk->plug)
        be->disk->plug(be->disk, false);
}

static void service_ring(struct blkback *be)
{
    for (;;) {
        blkif_sring_t *s = be->sring;
        if (!s || be->broken)
            return;
        RING_IDX prod = __atomic_load_n(&s->req_prod, __ATOMIC_ACQUIRE);
        /* Ahead of our responses by more than a ring, or behind what we took. */
        if ((RING_IDX)(prod - be->rsp_prod_pvt) > BLKBACK_RING_SIZE ||
            (RING_IDX)(prod - be->req_cons) > BLKBACK_RING_SIZE) {
            log_warn("%s: frontend's request producer %u is a ring ahead of %u or behind %u: "
                     "ring no longer served", be->name, prod, be->rsp_prod_pvt, be->req_cons);
            be->broken = true;
            return;
        }
        while (be->req_cons != prod && be->sring) {
            struct blkback_req *q = NULL;
            if ((RING_IDX)(be->req_cons - be->rsp_prod_pvt) < BLKBACK_RING_SIZE)
                q = free_slot(be);
            if (!q) {
                be->stalled = true;     /* resumed when a response frees a slot */
                return;
            }
            blkif_request_t r;
            memcpy(&r, (const void *)&ring_slot(s, be->req_cons)->req, sizeof(r));
            __atomic_thread_fence(__ATOMIC_ACQUIRE);
            be->req_cons++;
            start(be, q, &r);
        }
        if (!be->sring)
            return;
        /* Ask for a kick on the next request, then look once more (FINAL_CHECK). */
        __atomic_store_n(&s->req_event, be->req_cons + 1, __ATOMIC_RELEASE);
        full_barrier();
        if (__atomic_load_n(&s->req_prod, __ATOMIC_ACQUIRE) == be->req_cons)
            return;
    }
}
