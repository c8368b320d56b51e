#include <pvshim/frame_alloc.h>
#include <pvshim/compiler.h>
#include <pvshim/string.h>

struct frame_pool machine_frames;
struct frame_pool low_frames;
uint64_t low_frames_total;

void frame_pool_init(struct frame_pool *p)
{
    memset(p, 0, sizeof(*p));
}

static void remove_slot(struct frame_pool *p, unsigned i)
{
    memmove(&p->r[i], &p->r[i + 1], (p->nr - i - 1) * sizeof(p->r[0]));
    p->nr--;
}

static bool insert_slot(struct frame_pool *p, unsigned i, mfn_t start, mfn_t end)
{
    if (p->nr >= FRAME_POOL_RANGES)
        return false;
    memmove(&p->r[i + 1], &p->r[i], (p->nr - i) * sizeof(p->r[0]));
    p->r[i] = (struct frame_range){ start, end };
    p->nr++;
    return true;
}

bool frame_pool_free(struct frame_pool *p, mfn_t start, uint64_t n)
{
    mfn_t end = start + n;
    if (n == 0)
        return true;
    if (end < start)
        return false;

    unsigned i = 0;
    while (i < p->nr && p->r[i].end < start)
        i++;
    /* r[i] is the first range that ends at or after start. */
    if (i < p->nr && p->r[i].start < end && start < p->r[i].end)
        return false;   /* double free */

    bool join_left = i < p->nr && p->r[i].end == start;
    unsigned right = join_left ? i + 1 : i;
    bool join_right = right < p->nr && p->r[right].start == end;

    if (join_left && join_right) {
        p->r[i].end = p->r[right].end;
        remove_slot(p, right);
    } else if (join_left) {
        p->r[i].end = end;
    } else if (join_right) {
        p->r[right].start = start;
    } else if (!insert_slot(p, i, start, end)) {
        return false;
    }
    p->free_frames += n;
    return true;
}

bool frame_pool_add_ram(struct frame_pool *p, const struct memmap *m)
{
    for (unsigned i = 0; i < m->nr; i++) {
        const struct memmap_entry *e = &m->e[i];
        if (e->type != MEM_RAM)
            continue;
        mfn_t s = paddr_to_mfn(ALIGN_UP(e->start, PAGE_SIZE));
        mfn_t t = paddr_to_mfn(ALIGN_DOWN(e->start + e->size, PAGE_SIZE));
        if (t > s && !frame_pool_free(p, s, t - s))
            return false;
    }
    return true;
}

bool frame_pool_reserve(struct frame_pool *p, paddr_t start, paddr_t end)
{
    if (end <= start)
        return true;
    mfn_t s = paddr_to_mfn(start);
    mfn_t t = paddr_to_mfn(ALIGN_UP(end, PAGE_SIZE));
    if (end > UINT64_MAX - PAGE_SIZE)
        t = paddr_to_mfn(UINT64_MAX) + 1;

    for (unsigned i = 0; i < p->nr; ) {
        struct frame_range *r = &p->r[i];
        if (r->end <= s || r->start >= t) {
            i++;
            continue;
        }
        mfn_t cut_s = MAX(r->start, s), cut_t = MIN(r->end, t);
        p->free_frames -= cut_t - cut_s;
        if (cut_s == r->start && cut_t == r->end) {
            remove_slot(p, i);
        } else if (cut_s == r->start) {
            r->start = cut_t;
            i++;
        } else if (cut_t == r->end) {
            r->end = cut_s;
            i++;
        } else {
            mfn_t old_end = r->end;
            r->end = cut_s;
            if (!insert_slot(p, i + 1, cut_t, old_end)) {
                /* No slot to split into: leave the pool as it was. */
                r->end = old_end;
                p->free_frames += cut_t - cut_s;
                return false;
            }
            i += 2;
        }
    }
    return true;
}

mfn_t frame_pool_alloc(struct frame_pool *p, uint64_t n, uint64_t align, mfn_t limit)
{
    if (n == 0 || align == 0 || (align & (align - 1)))
        return INVALID_MFN;
    for (unsigned i = 0; i < p->nr; i++) {
        struct frame_range *r = &p->r[i];
        mfn_t s = ALIGN_UP(r->start, align);
        if (s < r->start || s >= r->end || r->end - s < n)
            continue;
        if (s + n > limit)
            return INVALID_MFN;     /* ranges are sorted: nothing lower is left */
        if (s == r->start) {
            r->start += n;
            if (r->start == r->end)
                remove_slot(p, i);
        } else if (s + n == r->end) {
            r->end = s;
        } else if (!insert_slot(p, i + 1, s + n, r->end)) {
            continue;
        } else {
            p->r[i].end = s;
        }
        p->free_frames -= n;
        return s;
    }
    return INVALID_MFN;
}

bool frame_pool_is_free(const struct frame_pool *p, mfn_t mfn)
{
    for (unsigned i = 0; i < p->nr; i++)
        if (p->r[i].start <= mfn && mfn < p->r[i].end)
            return true;
    return false;
}
