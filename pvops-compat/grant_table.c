/*
 * grant_table_op (hypercall 20) for the one PV domain, as Xen 4.17's
 * common/grant_table.c behaves for a 64-bit PV domU: the shared table in
 * version 1 or 2 (with its status frames), its size and version, and
 * mapping, unmapping and copying the domain's own grants.
 *
 * The table and status frames are pvshim's, shared writable with the guest
 * (pv_mm_share_with_guest, as Xen's share_xen_page_with_guest): the guest
 * can never make them page tables, and a status frame is only given back
 * on a switch to version 1 once nothing maps it (XSA-255).
 *
 * Other domains: only pvshim's backends exist, as BACKEND_DOMID. They
 * grant nothing to the guest, so their table reads as a version-1 table of
 * GNTTAB_MAX_FRAMES frames of empty entries; the guest may not set it up
 * or query it (Xen's XSM default for a domU: GNTST_permission_denied).
 *
 * Everything runs to completion: one vCPU, no continuations, so Xen's
 * locks and cmpxchg retries have no counterpart here.
 */
#include "domain.h"
#include "hypercalls.h"
#include "mm.h"
#include "event_channel.h"
#include "grant_table.h"
#include "services.h"
#include <pvshim/guest_access.h>
#include <pvshim/frame_alloc.h>
#include <pvshim/phys.h>
#include <pvshim/string.h>
#include <pvshim/log.h>

#define V1_PER_FRAME        (PAGE_SIZE / sizeof(grant_entry_v1_t))
#define V2_PER_FRAME        (PAGE_SIZE / sizeof(grant_entry_v2_t))
#define STATUS_PER_FRAME    (PAGE_SIZE / sizeof(grant_status_t))
#define MAX_STATUS_FRAMES   ((GNTTAB_MAX_FRAMES * V2_PER_FRAME + STATUS_PER_FRAME - 1) / \
                             STATUS_PER_FRAME)
#define BACKEND_ENTRIES     (GNTTAB_MAX_FRAMES * V1_PER_FRAME)

/* Xen's operation code layout: the low 12 bits; above, cache_flush's argument. */
#define GNTTABOP_CMD_BITS   0xfffu

/* Pin counts of an active entry, one byte each (Xen's GNTPIN_*). */
#define PIN_HSTW            (1u << 0)
#define PIN_HSTR            (1u << 8)
#define PIN_DEVW            (1u << 16)
#define PIN_DEVR            (1u << 24)
#define PIN_WRITERS         (0xffu * PIN_HSTW | 0xffu * PIN_DEVW)
/* An increment that would reach a count's top bit is refused. */
#define PIN_OVERFLOW(incr)  ((incr) << 7)

#define UNMAP_BATCH         32

/* A grant entry in use by a mapping or a copy (Xen's active_grant_entry). */
struct active_grant {
    uint32_t pin;               /* 0: slot free */
    grant_ref_t ref;
    mfn_t mfn;
    uint16_t start, length;     /* the part of the frame granted */
    bool sub_page;
};

/* A mapping handle (Xen's maptrack entry). */
struct map_handle {
    uint16_t flags;             /* GNTMAP_* still mapped; 0: handle free */
    grant_ref_t ref;
};

/* The domain's grant table state (one domain, one vCPU: no lock). */
static struct {
    unsigned version;                       /* 1 or 2 */
    unsigned nr_frames;
    mfn_t frames[GNTTAB_MAX_FRAMES];
    unsigned nr_status;                     /* version 2 only */
    mfn_t status[MAX_STATUS_FRAMES];
    struct active_grant active[GNTTAB_MAX_ACTIVE];
    struct map_handle handles[GNTTAB_MAX_HANDLES];
} gt = { .version = 1 };

void gnttab_reset(void)
{
    memset(&gt, 0, sizeof(gt));
    gt.version = 1;
}

/* ---------------------------------------------------------- domains */

enum gnt_dom { DOM_NONE, DOM_OWN, DOM_BACKEND };

/* Xen's rcu_lock_domain_by_id: a number, DOMID_SELF not included. */
static enum gnt_dom dom_by_id(domid_t d)
{
    if (d == dom.domid)
        return DOM_OWN;
    return d == BACKEND_DOMID ? DOM_BACKEND : DOM_NONE;
}

/* Xen's rcu_lock_domain_by_any_id: DOMID_SELF too. */
static enum gnt_dom dom_by_any_id(domid_t d)
{
    return d == DOMID_SELF ? DOM_OWN : dom_by_id(d);
}

/* A ref of the backends' table: out of range, or an entry granting nothing. */
static int16_t backend_ref_status(grant_ref_t ref)
{
    return ref >= BACKEND_ENTRIES ? GNTST_bad_gntref : GNTST_general_error;
}

/* ---------------------------------------------------------- the table */

static unsigned nr_entries(void)
{
    return gt.nr_frames * (gt.version == 1 ? V1_PER_FRAME : V2_PER_FRAME);
}

static unsigned status_frames_for(unsigned frames)
{
    return (frames * V2_PER_FRAME + STATUS_PER_FRAME - 1) / STATUS_PER_FRAME;
}

static void *frame_ptr(mfn_t m)
{
    return phys_access(mfn_to_paddr(m), PAGE_SIZE);
}

static grant_entry_v1_t *entry_v1(grant_ref_t ref)
{
    grant_entry_v1_t *f = frame_ptr(gt.frames[ref / V1_PER_FRAME]);
    return f ? &f[ref % V1_PER_FRAME] : NULL;
}

static grant_entry_v2_t *entry_v2(grant_ref_t ref)
{
    grant_entry_v2_t *f = frame_ptr(gt.frames[ref / V2_PER_FRAME]);
    return f ? &f[ref % V2_PER_FRAME] : NULL;
}

/* flags and domid, the same in both versions; ref < nr_entries(). */
static grant_entry_header_t *entry_header(grant_ref_t ref)
{
    if (gt.version == 1)
        return (grant_entry_header_t *)entry_v1(ref);
    grant_entry_v2_t *e = entry_v2(ref);
    return e ? &e->hdr : NULL;
}

/* Where GTF_reading / GTF_writing live: the entry (v1) or its status (v2). */
static uint16_t *entry_status(grant_ref_t ref)
{
    if (gt.version == 1) {
        grant_entry_v1_t *e = entry_v1(ref);
        return e ? &e->flags : NULL;
    }
    grant_status_t *s = frame_ptr(gt.status[ref / STATUS_PER_FRAME]);
    return s ? &s[ref % STATUS_PER_FRAME] : NULL;
}

const grant_entry_v1_t *gnttab_entry(grant_ref_t ref)
{
    if (gt.version != 1 || ref >= nr_entries())
        return NULL;
    return entry_v1(ref);
}

static mfn_t alloc_shared_frame(void)
{
    mfn_t m = frame_pool_alloc(&machine_frames, 1, 1, ~(mfn_t)0);
    if (m == INVALID_MFN)
        return m;
    void *p = frame_ptr(m);
    if (!p || pv_mm_share_with_guest(m)) {
        frame_pool_free(&machine_frames, m, 1);
        return INVALID_MFN;
    }
    memset(p, 0, PAGE_SIZE);
    return m;
}

/* Status frames for `frames` table frames; -XEN_ENOMEM (none added) if short. */
static int populate_status(unsigned frames)
{
    unsigned want = status_frames_for(frames), have = gt.nr_status;
    while (gt.nr_status < want) {
        mfn_t m = alloc_shared_frame();
        if (m == INVALID_MFN) {
            while (gt.nr_status > have) {
                mfn_t s = gt.status[--gt.nr_status];
                if (!pv_mm_unshare_frame(s))
                    frame_pool_free(&machine_frames, s, 1);
            }
            return -XEN_ENOMEM;
        }
        gt.status[gt.nr_status++] = m;
    }
    return 0;
}

/* All status frames back, or -XEN_EBUSY (none) while anything maps one. */
static int unpopulate_status(void)
{
    struct pv_frame_info fi;
    for (unsigned i = 0; i < gt.nr_status; i++)
        if (!pv_mm_frame_info(gt.status[i], &fi) || fi.refs != 2 || fi.type_count != 1)
            return -XEN_EBUSY;
    for (unsigned i = 0; i < gt.nr_status; i++) {
        if (pv_mm_unshare_frame(gt.status[i]))
            return -XEN_EBUSY;          /* not reached: checked above */
        frame_pool_free(&machine_frames, gt.status[i], 1);
    }
    gt.nr_status = 0;
    return 0;
}

/* Xen's gnttab_grow_table: at least one frame ever; 0 or -XEN_ENOMEM. */
/*
 * Frames from a Xen underneath (services->gnttab_frame): L0 maps its table
 * frame over the one pvshim took, which is then L0's for good: never back
 * to the pool, so a failed growth keeps what it got.
 */
static int grow_to(unsigned want)
{
    if (want < 1)
        want = 1;
    unsigned had = gt.nr_frames;
    gnttab_frame_fn l0_frame = services ? services->gnttab_frame : NULL;
    while (gt.nr_frames < want) {
        mfn_t m = alloc_shared_frame();
        if (m == INVALID_MFN)
            break;
        if (l0_frame && l0_frame(gt.nr_frames, m)) {
            if (!pv_mm_unshare_frame(m))
                frame_pool_free(&machine_frames, m, 1);
            return -XEN_ENOMEM;
        }
        gt.frames[gt.nr_frames++] = m;
    }
    if (gt.nr_frames == want && (gt.version == 1 || !populate_status(want)))
        return 0;
    if (l0_frame)
        return -XEN_ENOMEM;
    while (gt.nr_frames > had) {
        mfn_t m = gt.frames[--gt.nr_frames];
        if (!pv_mm_unshare_frame(m))
            frame_pool_free(&machine_frames, m, 1);
    }
    return -XEN_ENOMEM;
}

void gnttab_domain_moved(void)
{
    gnttab_frame_fn l0_frame = services ? services->gnttab_frame : NULL;
    for (unsigned i = 0; l0_frame && i < gt.nr_frames; i++)
        l0_frame(i, gt.frames[i]);      /* a failure is logged by the provider */
}

/* Xen creates the table with one frame at domain creation. */
static void table_init(void)
{
    if (!gt.nr_frames && grow_to(1))
        log_err("gnttab: no frame for the grant table\n");
}

/* ---------------------------------------------------------- active entries */

static struct active_grant *find_active(grant_ref_t ref)
{
    for (unsigned i = 0; i < GNTTAB_MAX_ACTIVE; i++)
        if (gt.active[i].pin && gt.active[i].ref == ref)
            return &gt.active[i];
    return NULL;
}

static struct active_grant *free_active(void)
{
    for (unsigned i = 0; i < GNTTAB_MAX_ACTIVE; i++)
        if (!gt.active[i].pin)
            return &gt.active[i];
    return NULL;
}

#define CLAIM_TRIES 5       /* compare-exchanges before the entry counts as unstable */

enum gnttab_claim gnttab_claim_v1(grant_entry_v1_t *e, domid_t to, bool readonly, bool map,
                                  bool pinned)
{
    /* flags in the low half, domid in the high half, as the entry lays them out */
    uint32_t *word = (uint32_t *)(void *)e;
    uint16_t mask = GTF_type_mask | (map ? GTF_sub_page : 0);
    uint16_t in_use = GTF_reading | (readonly ? 0 : GTF_writing);
    uint32_t seen = __atomic_load_n(word, __ATOMIC_ACQUIRE);
    for (unsigned i = 0; i < CLAIM_TRIES; i++) {
        uint16_t flags = (uint16_t)seen;
        domid_t domid = (domid_t)(seen >> 16);
        if (!pinned && ((flags & mask) != GTF_permit_access || domid != to))
            return GNTTAB_REFUSED;
        if (!readonly && (flags & GTF_readonly))
            return GNTTAB_REFUSED;
        if (__atomic_compare_exchange_n(word, &seen, seen | in_use, false, __ATOMIC_SEQ_CST,
                                        __ATOMIC_ACQUIRE))
            return GNTTAB_CLAIMED;
    }
    return GNTTAB_UNSTABLE;
}

void gnttab_clear_in_use(uint16_t *status, uint16_t bits)
{
    __atomic_fetch_and(status, (uint16_t)~bits, __ATOMIC_SEQ_CST);
}

/*
 * Xen's _set_status_v1/_v2: check the entry grants what is asked (to us,
 * of the right type, writable if !readonly) unless already pinned, and
 * mark it being read (and written). A map may not use a sub-page grant;
 * a copy may follow a transitive one (v2).
 */
static int16_t set_status(grant_ref_t ref, bool pinned, bool readonly, bool map)
{
    if (gt.version == 1) {
        grant_entry_v1_t *e = entry_v1(ref);
        if (!e || gnttab_claim_v1(e, dom.domid, readonly, map, pinned) != GNTTAB_CLAIMED)
            return GNTST_general_error;
        return GNTST_okay;
    }
    grant_entry_header_t *h = entry_header(ref);
    uint16_t *st = entry_status(ref);
    if (!h || !st)
        return GNTST_general_error;
    uint16_t mask = GTF_type_mask | (map ? GTF_sub_page : 0);
    uint16_t type = h->flags & mask;
    bool ok_type = type == GTF_permit_access || (!map && type == GTF_transitive);
    if (!pinned && (!ok_type || h->domid != dom.domid))
        return GNTST_general_error;
    if (!readonly && (h->flags & GTF_readonly))
        return GNTST_general_error;
    *st |= GTF_reading | (readonly ? 0 : GTF_writing);
    return GNTST_okay;
}

/* Xen's reduce_status_for_pin: the status no more than the pins need. */
static void reduce_status(grant_ref_t ref, uint32_t pin, bool readonly)
{
    if (ref >= nr_entries())
        return;
    uint16_t *st = entry_status(ref);
    uint16_t clear = pin ? 0 : GTF_reading;
    if (!readonly && !(pin & PIN_WRITERS))
        clear |= GTF_writing;
    if (st)
        gnttab_clear_in_use(st, clear);
}

/* The guest frame the entry names (v1 or v2 full page). */
static uint64_t entry_frame(grant_ref_t ref)
{
    if (gt.version == 1)
        return entry_v1(ref)->frame;
    return entry_v2(ref)->full_page.frame;
}

/* Xen's get_paged_frame for a PV domain: the guest's own frame, else bad_page. */
static bool frame_ok(uint64_t gfn)
{
    if (!pv_mm_grant_get_frame(gfn, false))
        return false;
    pv_mm_grant_put_frame(gfn, false);
    return true;
}

/* ---------------------------------------------------------- map */

static int get_handle(void)
{
    for (unsigned i = 0; i < GNTTAB_MAX_HANDLES; i++)
        if (!gt.handles[i].flags)
            return (int)i;
    return -1;
}

static void map_one(struct gnttab_map_grant_ref *op)
{
    bool ro = op->flags & GNTMAP_readonly;
    bool host = op->flags & GNTMAP_host_map, dev = op->flags & GNTMAP_device_map;
    uint32_t incr = (dev ? (ro ? PIN_DEVR : PIN_DEVW) : 0) |
                    (host ? (ro ? PIN_HSTR : PIN_HSTW) : 0);
    if (!incr) {
        op->status = GNTST_bad_gntref;
        return;
    }
    enum gnt_dom rd = dom_by_id(op->dom);
    if (rd == DOM_NONE) {
        op->status = GNTST_bad_domain;
        return;
    }
    int handle = get_handle();
    if (handle < 0) {
        op->status = GNTST_no_space;
        return;
    }
    if (rd == DOM_BACKEND) {
        op->status = backend_ref_status(op->ref);
        return;
    }
    grant_ref_t ref = op->ref;
    if (ref >= nr_entries()) {
        op->status = GNTST_bad_gntref;
        return;
    }

    struct active_grant *act = find_active(ref);
    if (act && ((act->pin & PIN_OVERFLOW(incr)) || act->sub_page)) {
        op->status = GNTST_general_error;
        return;
    }
    int16_t rc;
    if (!act || (!ro && !(act->pin & PIN_WRITERS))) {
        rc = set_status(ref, act != NULL, ro, true);
        if (rc) {
            op->status = rc;
            return;
        }
        if (!act) {
            uint64_t gfn = entry_frame(ref);
            act = free_active();
            if (!act || !frame_ok(gfn)) {
                reduce_status(ref, 0, ro);
                op->status = act ? GNTST_bad_page : GNTST_no_space;
                return;
            }
            *act = (struct active_grant){ .ref = ref, .mfn = gfn, .length = PAGE_SIZE };
        }
    }
    act->pin += incr;
    mfn_t mfn = act->mfn;

    /* The frame references the mapping holds, then the PTE (Xen's order). */
    bool held_dev = false, held_host = false;
    rc = GNTST_general_error;
    if (dev) {
        if (!pv_mm_grant_get_frame(mfn, !ro))
            goto undo;
        held_dev = true;
    }
    if (host) {
        if (!pv_mm_grant_get_frame(mfn, !ro))
            goto undo;
        held_host = true;
        rc = pv_mm_create_grant_mapping(op->host_addr, mfn, op->flags);
        if (rc)
            goto undo;
    }

    gt.handles[handle] = (struct map_handle){ .flags = (uint16_t)op->flags, .ref = ref };
    op->dev_bus_addr = mfn_to_paddr(mfn);
    op->handle = (grant_handle_t)handle;
    op->status = GNTST_okay;
    return;

undo:
    if (held_dev)
        pv_mm_grant_put_frame(mfn, !ro);
    if (held_host)
        pv_mm_grant_put_frame(mfn, !ro);
    act->pin -= incr;
    reduce_status(ref, act->pin, ro);
    op->status = rc;
}

/* ---------------------------------------------------------- unmap */

/* What an unmap took out, for its completion after the TLB flush. */
struct unmap_done {
    unsigned done;              /* GNTMAP_host_map / device_map / readonly */
    grant_ref_t ref;
    mfn_t mfn;
};

/* Xen's unmap_common: the PTE goes now, the references after the flush. */
static int16_t unmap_common(uint64_t host_addr, uint64_t dev_bus_addr, uint64_t new_addr,
                            grant_handle_t handle, struct unmap_done *u)
{
    u->done = 0;
    if (handle >= GNTTAB_MAX_HANDLES || !gt.handles[handle].flags)
        return GNTST_bad_handle;
    struct map_handle *h = &gt.handles[handle];
    struct active_grant *act = h->ref < nr_entries() ? find_active(h->ref) : NULL;
    if (!act)
        return GNTST_bad_handle;
    unsigned flags = h->flags;
    u->ref = h->ref;
    u->mfn = act->mfn;

    if (dev_bus_addr && (flags & GNTMAP_device_map) && dev_bus_addr != mfn_to_paddr(act->mfn))
        return GNTST_bad_dev_addr;
    if (host_addr && (flags & GNTMAP_host_map)) {
        int16_t rc = pv_mm_replace_grant_mapping(host_addr, act->mfn, new_addr, flags);
        if (rc)
            return rc;
        h->flags &= ~GNTMAP_host_map;
        u->done |= GNTMAP_host_map | (flags & GNTMAP_readonly);
    }
    if (dev_bus_addr && (flags & GNTMAP_device_map)) {
        h->flags &= ~GNTMAP_device_map;
        u->done |= GNTMAP_device_map | (flags & GNTMAP_readonly);
    }
    if (!(h->flags & (GNTMAP_device_map | GNTMAP_host_map)))
        h->flags = 0;
    return GNTST_okay;
}

/* Xen's unmap_common_complete. */
static void unmap_complete(const struct unmap_done *u)
{
    if (!u->done)
        return;
    struct active_grant *act = find_active(u->ref);
    if (!act)
        return;
    bool ro = u->done & GNTMAP_readonly;
    if (u->done & GNTMAP_device_map) {
        pv_mm_grant_put_frame(u->mfn, !ro);
        act->pin -= ro ? PIN_DEVR : PIN_DEVW;
    }
    if (u->done & GNTMAP_host_map) {
        pv_mm_grant_put_frame(u->mfn, !ro);
        act->pin -= ro ? PIN_HSTR : PIN_HSTW;
    }
    reduce_status(u->ref, act->pin, ro);
}

/*
 * unmap_grant_ref and unmap_and_replace: batches of PTE removals, a TLB
 * flush, then the references go. Only the status field is written back.
 */
static long unmap_ops(vaddr_t uop, unsigned count, bool replace)
{
    struct unmap_done batch[UNMAP_BATCH];
    size_t size = replace ? sizeof(struct gnttab_unmap_and_replace)
                          : sizeof(struct gnttab_unmap_grant_ref);
    size_t status_off = replace ? offsetof(struct gnttab_unmap_and_replace, status)
                                : offsetof(struct gnttab_unmap_grant_ref, status);
    long rc = 0;

    for (unsigned i = 0; i < count && !rc;) {
        unsigned n = 0;
        for (; n < UNMAP_BATCH && i < count; n++, i++) {
            vaddr_t p = uop + (vaddr_t)i * size;
            int16_t st;
            if (replace) {
                struct gnttab_unmap_and_replace op;
                if (copy_from_guest(&op, p, sizeof(op))) {
                    rc = -XEN_EFAULT;
                    break;
                }
                st = unmap_common(op.host_addr, 0, op.new_addr, op.handle, &batch[n]);
            } else {
                struct gnttab_unmap_grant_ref op;
                if (copy_from_guest(&op, p, sizeof(op))) {
                    rc = -XEN_EFAULT;
                    break;
                }
                st = unmap_common(op.host_addr, op.dev_bus_addr, 0, op.handle, &batch[n]);
            }
            if (copy_to_guest(p + status_off, &st, sizeof(st))) {
                n++;
                rc = -XEN_EFAULT;
                break;
            }
        }
        pv_mm_flush_tlb();
        for (unsigned k = 0; k < n; k++)
            unmap_complete(&batch[k]);
    }
    return rc;
}

/* ---------------------------------------------------------- copy */

/* One side of a copy: the frame held, and the grant pinned if by ref. */
struct copy_buf {
    mfn_t mfn;
    uint16_t start, length;
    bool have_frame, have_type, have_grant;
    grant_ref_t ref;
    bool readonly;
};

/* Xen's release_grant_for_copy. */
static void release_grant_for_copy(grant_ref_t ref, bool readonly)
{
    struct active_grant *act = find_active(ref);
    if (!act)
        return;
    act->pin -= readonly ? PIN_HSTR : PIN_HSTW;
    reduce_status(ref, act->pin, readonly);
}

static void copy_release(struct copy_buf *b)
{
    if (b->have_grant)
        release_grant_for_copy(b->ref, b->readonly);
    if (b->have_type)
        pv_mm_grant_put_frame(b->mfn, true);
    if (b->have_frame)
        pv_mm_grant_put_frame(b->mfn, false);
    b->have_grant = b->have_type = b->have_frame = false;
}

/*
 * Xen's acquire_grant_for_copy for one of our own grants: pin it for
 * reading (or writing) and take a reference on its frame.
 */
static int16_t acquire_grant_for_copy(grant_ref_t ref, struct copy_buf *b)
{
    bool ro = b->readonly;
    uint32_t incr = ro ? PIN_HSTR : PIN_HSTW;
    if (ref >= nr_entries())
        return GNTST_bad_gntref;
    struct active_grant *act = find_active(ref);
    if (act && (act->pin & PIN_OVERFLOW(incr)))
        return GNTST_general_error;
    uint32_t old_pin = act ? act->pin : 0;
    grant_entry_header_t *h = entry_header(ref);

    if (gt.version == 2 && h && (h->flags & GTF_type_mask) == GTF_transitive) {
        int16_t rc = GNTST_okay;
        if (!old_pin || (!ro && !(old_pin & PIN_WRITERS)))
            rc = set_status(ref, old_pin != 0, ro, false);
        if (rc)
            return rc;
        /*
         * Onward to the domain the grant names: never ourselves; the
         * backends grant nothing; no other domain exists.
         */
        grant_entry_v2_t *e = entry_v2(ref);
        domid_t td = e->transitive.trans_domid;
        rc = td == BACKEND_DOMID && td != dom.domid ? backend_ref_status(e->transitive.gref)
                                                     : GNTST_general_error;
        reduce_status(ref, old_pin, ro);
        return rc;
    }

    if (!old_pin || (!ro && !(old_pin & PIN_WRITERS))) {
        int16_t rc = set_status(ref, old_pin != 0, ro, false);
        if (rc)
            return rc;
        uint64_t gfn;
        uint16_t start = 0, length = PAGE_SIZE;
        bool sub = false;
        if (gt.version == 1) {
            gfn = entry_v1(ref)->frame;
        } else {
            grant_entry_v2_t *e = entry_v2(ref);
            if (e->hdr.flags & GTF_sub_page) {
                gfn = e->sub_page.frame;
                start = e->sub_page.page_off;
                length = e->sub_page.length;
                sub = true;
            } else {
                gfn = e->full_page.frame;
            }
        }
        if (!act && !(act = free_active())) {
            reduce_status(ref, old_pin, ro);
            return GNTST_no_space;
        }
        if (!pv_mm_grant_get_frame(gfn, false)) {
            reduce_status(ref, old_pin, ro);
            return GNTST_bad_page;
        }
        if (!old_pin) {
            *act = (struct active_grant){ .ref = ref, .mfn = gfn, .start = start,
                                          .length = length, .sub_page = sub };
        } else if (act->mfn != gfn ||
                   (act->sub_page && (!sub || act->start != start || act->length != length))) {
            pv_mm_grant_put_frame(gfn, false);
            reduce_status(ref, old_pin, ro);
            return GNTST_general_error;
        }
    } else if (!pv_mm_grant_get_frame(act->mfn, false)) {
        return GNTST_bad_domain;
    }
    act->pin += incr;
    b->mfn = act->mfn;
    b->start = act->start;
    b->length = act->length;
    b->have_frame = true;
    b->have_grant = true;
    b->ref = ref;
    return GNTST_okay;
}

static int16_t copy_claim(const struct gnttab_copy_ptr *p, bool by_ref, struct copy_buf *b)
{
    int16_t rc;
    if (by_ref) {
        rc = acquire_grant_for_copy(p->u.ref, b);
        if (rc)
            return rc;
    } else {
        if (!pv_mm_grant_get_frame(p->u.gmfn, false))
            return GNTST_bad_page;
        b->mfn = p->u.gmfn;
        b->start = 0;
        b->length = PAGE_SIZE;
        b->have_frame = true;
    }
    if (!b->readonly) {
        if (!pv_mm_grant_get_frame(b->mfn, true))
            return GNTST_general_error;
        b->have_type = true;
    }
    return GNTST_okay;
}

/* The domain behind one side; Xen's gnttab_copy_lock_domain. */
static int16_t copy_side_domain(domid_t d, bool by_ref, enum gnt_dom *kind)
{
    if (d != DOMID_SELF && !by_ref)
        return GNTST_permission_denied;     /* a frame only of one's own */
    *kind = dom_by_any_id(d);
    return *kind == DOM_NONE ? GNTST_bad_domain : GNTST_okay;
}

static int16_t copy_one(const struct gnttab_copy *op)
{
    bool src_ref = op->flags & GNTCOPY_source_gref, dst_ref = op->flags & GNTCOPY_dest_gref;
    enum gnt_dom sd, dd;
    int16_t rc = copy_side_domain(op->source.domid, src_ref, &sd);
    if (!rc)
        rc = copy_side_domain(op->dest.domid, dst_ref, &dd);
    if (rc)
        return rc;

    struct copy_buf src = { .readonly = true }, dst = { .readonly = false };
    rc = sd == DOM_BACKEND ? backend_ref_status(op->source.u.ref)
                           : copy_claim(&op->source, src_ref, &src);
    if (!rc)
        rc = dd == DOM_BACKEND ? backend_ref_status(op->dest.u.ref)
                               : copy_claim(&op->dest, dst_ref, &dst);
    if (!rc) {
        if (op->source.offset + op->len > PAGE_SIZE || op->dest.offset + op->len > PAGE_SIZE)
            rc = GNTST_bad_copy_arg;
        else if (op->source.offset < src.start ||
                 op->source.offset + op->len > src.start + src.length ||
                 op->dest.offset < dst.start ||
                 op->dest.offset + op->len > dst.start + dst.length)
            rc = GNTST_general_error;
    }
    if (!rc) {
        uint8_t *s = frame_ptr(src.mfn), *d = frame_ptr(dst.mfn);
        if (s && d)
            memmove(d + op->dest.offset, s + op->source.offset, op->len);
        else
            rc = GNTST_general_error;
    }
    copy_release(&dst);
    copy_release(&src);
    return rc;
}

static long copy_ops(vaddr_t uop, unsigned count)
{
    for (unsigned i = 0; i < count; i++) {
        struct gnttab_copy op;
        vaddr_t p = uop + (vaddr_t)i * sizeof(op);
        if (copy_from_guest(&op, p, sizeof(op)))
            return -XEN_EFAULT;
        op.status = copy_one(&op);
        if (copy_to_guest(p + offsetof(struct gnttab_copy, status), &op.status,
                          sizeof(op.status)))
            return -XEN_EFAULT;
    }
    return 0;
}

/* ---------------------------------------------------------- table ops */

static int16_t table_dom_status(domid_t d)
{
    switch (dom_by_any_id(d)) {
    case DOM_NONE:
        return GNTST_bad_domain;
    case DOM_BACKEND:
        return GNTST_permission_denied;
    default:
        return GNTST_okay;
    }
}

static long setup_table(vaddr_t arg, unsigned count)
{
    struct gnttab_setup_table op;
    if (count != 1)
        return -XEN_EINVAL;
    if (copy_from_guest(&op, arg, sizeof(op)))
        return -XEN_EFAULT;
    vaddr_t list = (vaddr_t)(uintptr_t)op.frame_list.p;
    if (!guest_range_ok(list, (size_t)op.nr_frames * sizeof(xen_pfn_t)))
        return -XEN_EFAULT;

    op.status = table_dom_status(op.dom);
    if (!op.status && op.nr_frames > GNTTAB_MAX_FRAMES)
        op.status = GNTST_general_error;
    if (!op.status &&
        (op.nr_frames > gt.nr_frames ||
         (gt.version == 2 && status_frames_for(op.nr_frames) > gt.nr_status)) &&
        grow_to(op.nr_frames))
        op.status = GNTST_general_error;
    for (unsigned i = 0; !op.status && i < op.nr_frames; i++) {
        xen_pfn_t f = gt.frames[i];
        if (copy_to_guest(list + i * sizeof(f), &f, sizeof(f)))
            op.status = GNTST_bad_virt_addr;
    }
    return copy_to_guest(arg + offsetof(struct gnttab_setup_table, status), &op.status,
                         sizeof(op.status)) ? -XEN_EFAULT : 0;
}

static long query_size(vaddr_t arg, unsigned count)
{
    struct gnttab_query_size op;
    if (count != 1)
        return -XEN_EINVAL;
    if (copy_from_guest(&op, arg, sizeof(op)))
        return -XEN_EFAULT;
    op.status = table_dom_status(op.dom);
    if (!op.status) {
        op.nr_frames = gt.nr_frames;
        op.max_nr_frames = GNTTAB_MAX_FRAMES;
    }
    return copy_to_guest(arg, &op, sizeof(op)) ? -XEN_EFAULT : 0;
}

static long get_status_frames(vaddr_t arg, unsigned count)
{
    struct gnttab_get_status_frames op;
    if (count != 1)
        return -XEN_EINVAL;
    if (copy_from_guest(&op, arg, sizeof(op)))
        return -XEN_EFAULT;
    vaddr_t list = (vaddr_t)(uintptr_t)op.frame_list.p;
    if (!guest_range_ok(list, (size_t)op.nr_frames * sizeof(uint64_t)))
        return -XEN_EFAULT;
    op.status = table_dom_status(op.dom);
    if (!op.status && op.nr_frames > gt.nr_status)
        op.status = GNTST_general_error;
    for (unsigned i = 0; !op.status && i < op.nr_frames; i++) {
        uint64_t f = gt.status[i];
        if (copy_to_guest(list + i * sizeof(f), &f, sizeof(f)))
            op.status = GNTST_bad_virt_addr;
    }
    return copy_to_guest(arg + offsetof(struct gnttab_get_status_frames, status), &op.status,
                         sizeof(op.status)) ? -XEN_EFAULT : 0;
}

static long get_version(vaddr_t arg)
{
    struct gnttab_get_version op;
    if (copy_from_guest(&op, arg, sizeof(op)))
        return -XEN_EFAULT;
    switch (dom_by_any_id(op.dom)) {
    case DOM_NONE:
        return -XEN_ESRCH;
    case DOM_BACKEND:
        return -XEN_EPERM;
    default:
        break;
    }
    op.version = gt.version;
    return copy_to_guest(arg + offsetof(struct gnttab_get_version, version), &op.version,
                         sizeof(op.version)) ? -XEN_EFAULT : 0;
}

/*
 * Xen's gnttab_set_version: only while no entry beyond the 8 reserved
 * ones is in use; those 8 survive the switch (if v1 can represent them),
 * everything else is cleared. Leaving v2 gives the status frames back,
 * which waits (-EBUSY) until the guest maps none of them.
 */
static long switch_version(unsigned to)
{
    grant_entry_v1_t saved[GNTTAB_NR_RESERVED_ENTRIES];

    for (unsigned i = 0; i < GNTTAB_MAX_ACTIVE; i++)
        if (gt.active[i].pin && gt.active[i].ref >= GNTTAB_NR_RESERVED_ENTRIES)
            return -XEN_EBUSY;

    if (gt.version == 1) {
        if (populate_status(gt.nr_frames))
            return -XEN_ENOMEM;
        memcpy(saved, entry_v1(0), sizeof(saved));
    } else {
        for (unsigned i = 0; i < GNTTAB_NR_RESERVED_ENTRIES; i++) {
            grant_entry_v2_t *e = entry_v2(i);
            unsigned type = e->hdr.flags & GTF_type_mask;
            if ((type == GTF_permit_access && (e->full_page.frame >> 32)) ||
                type == GTF_transitive)
                return -XEN_ERANGE;
        }
        for (unsigned i = 0; i < GNTTAB_NR_RESERVED_ENTRIES; i++) {
            grant_entry_v2_t *e = entry_v2(i);
            if ((e->hdr.flags & GTF_type_mask) == GTF_permit_access)
                saved[i] = (grant_entry_v1_t){ .flags = e->hdr.flags | *entry_status(i),
                                               .domid = e->hdr.domid,
                                               .frame = (uint32_t)e->full_page.frame };
            else
                saved[i] = (grant_entry_v1_t){ 0 };
        }
        int rc = unpopulate_status();
        if (rc)
            return rc;
    }

    for (unsigned i = 0; i < gt.nr_frames; i++) {
        void *p = frame_ptr(gt.frames[i]);
        if (p)
            memset(p, 0, PAGE_SIZE);
    }
    gt.version = to;
    if (to == 1) {
        memcpy(entry_v1(0), saved, sizeof(saved));
    } else {
        for (unsigned i = 0; i < GNTTAB_NR_RESERVED_ENTRIES; i++) {
            grant_entry_v2_t *e = entry_v2(i);
            *entry_status(i) = saved[i].flags & (GTF_reading | GTF_writing);
            e->hdr.flags = saved[i].flags & ~(GTF_reading | GTF_writing);
            e->hdr.domid = saved[i].domid;
            e->full_page.frame = saved[i].frame;
        }
    }
    return 0;
}

static long set_version(vaddr_t arg)
{
    struct gnttab_set_version op;
    if (copy_from_guest(&op, arg, sizeof(op)))
        return -XEN_EFAULT;
    long rc = 0;
    if (op.version != 1 && op.version != 2)
        rc = -XEN_EINVAL;
    else if (op.version == 2 && services && services->gnttab_frame)
        rc = -XEN_EOPNOTSUPP;   /* L0's frames: version 1 only, as under xen-shim */
    else if (op.version != gt.version)
        rc = switch_version(op.version);
    op.version = gt.version;
    return copy_to_guest(arg, &op, sizeof(op)) ? -XEN_EFAULT : rc;
}

long do_grant_table_op(unsigned int cmd, vaddr_t uop, unsigned int count)
{
    if ((int)count < 0)
        return -XEN_EINVAL;
    unsigned op = cmd & GNTTABOP_CMD_BITS;
    if (op != GNTTABOP_cache_flush && (cmd & ~GNTTABOP_CMD_BITS))
        return -XEN_EINVAL;
    table_init();

    switch (op) {
    case GNTTABOP_map_grant_ref:
        if (!guest_range_ok(uop, (size_t)count * sizeof(struct gnttab_map_grant_ref)))
            return -XEN_EFAULT;
        for (unsigned i = 0; i < count; i++) {
            struct gnttab_map_grant_ref m;
            vaddr_t p = uop + (vaddr_t)i * sizeof(m);
            if (copy_from_guest(&m, p, sizeof(m)))
                return -XEN_EFAULT;
            map_one(&m);
            if (copy_to_guest(p, &m, sizeof(m)))
                return -XEN_EFAULT;
        }
        return 0;
    case GNTTABOP_unmap_grant_ref:
        if (!guest_range_ok(uop, (size_t)count * sizeof(struct gnttab_unmap_grant_ref)))
            return -XEN_EFAULT;
        return unmap_ops(uop, count, false);
    case GNTTABOP_unmap_and_replace:
        if (!guest_range_ok(uop, (size_t)count * sizeof(struct gnttab_unmap_and_replace)))
            return -XEN_EFAULT;
        return unmap_ops(uop, count, true);
    case GNTTABOP_copy:
        if (!guest_range_ok(uop, (size_t)count * sizeof(struct gnttab_copy)))
            return -XEN_EFAULT;
        return copy_ops(uop, count);
    case GNTTABOP_setup_table:
        return setup_table(uop, count);
    case GNTTABOP_query_size:
        return query_size(uop, count);
    case GNTTABOP_set_version:
        return set_version(uop);
    case GNTTABOP_get_status_frames:
        return get_status_frames(uop, count);
    case GNTTABOP_get_version:
        return get_version(uop);
    default:
        return -XEN_ENOSYS;
    }
}

/* ---------------------------------------------------------- for the tests */

void gnttab_frame_holds(mfn_t mfn, unsigned *refs, unsigned *types)
{
    *refs = *types = 0;
    for (unsigned i = 0; i < GNTTAB_MAX_HANDLES; i++) {
        const struct map_handle *h = &gt.handles[i];
        const struct active_grant *act = h->flags ? find_active(h->ref) : NULL;
        if (!act || act->mfn != mfn)
            continue;
        unsigned n = !!(h->flags & GNTMAP_host_map) + !!(h->flags & GNTMAP_device_map);
        *refs += n;
        if (!(h->flags & GNTMAP_readonly))
            *types += n;
    }
}
