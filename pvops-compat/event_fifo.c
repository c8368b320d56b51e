/*
 * FIFO event channels (public/event_channel.h, "FIFO ABI"), with the
 * semantics of Xen 4.17's common/event_fifo.c.
 *
 * Each port has a 32-bit event word in the event array, pages the guest
 * hands over with EVTCHNOP_expand_array: PENDING, MASKED, LINKED and BUSY
 * bits and a LINK field naming the next port of its queue. There are 16
 * queues per vCPU, one per priority; each vCPU's control block (its own
 * EVTCHNOP_init_control) holds their heads and a READY bit per queue, pvshim
 * keeps the tails. An event goes to the queues of its port's notify vCPU;
 * one whose vCPU has no control block yet is left pending, unlinked, as on
 * Xen (the guest unmasks nothing before it registered the block). An event that becomes
 * pending while unmasked and unlinked is appended to its queue; when that
 * queue was empty its READY bit is set and the upcall raised. The guest
 * consumes from the heads, unlinking as it goes, concurrently with us: it
 * may set or clear MASKED, clear PENDING, and clear LINKED (with LINK) of
 * a linked word, so pvshim changes a linked word only by compare-and-swap,
 * and sets BUSY on it meanwhile to hold off the guest's unmasking.
 */
#include "evtchn_port.h"
#include "event_channel.h"
#include "domain.h"
#include "mm_glue.h"
#include <pvshim/phys.h>
#include <pvshim/string.h>
#include <pvshim/spinlock.h>

#define WORDS_PER_PAGE      (PAGE_SIZE / sizeof(event_word_t))
#define MAX_ARRAY_PAGES     (EVTCHN_FIFO_NR_CHANNELS / WORDS_PER_PAGE)
#define WORD_BIT(b)         ((event_word_t)1 << (b))
#define LINK_TRIES          4   /* the guest can change a BUSY word at most this often */

/* A vCPU's queues. */
struct fifo_vcpu {
    struct evtchn_fifo_control_block *control;      /* in a guest frame; NULL: none yet */
    mfn_t control_mfn;
    evtchn_port_t tail[EVTCHN_FIFO_MAX_QUEUES];     /* 0: nothing linked last */
    /*
     * lock protects: tail[], and last_queue / last_vcpu of the ports whose
     * last link was on these queues, against senders of other ports
     * linking on the same queues (each sender holds only its own port's
     * lock). order: inside the port locks (event_channel.c); two vCPUs'
     * locks in ascending vCPU order.
     */
    spinlock_t lock;
};

/*
 * The domain's FIFO state. Per port (priority, last_*, saved_pending, its
 * event word) under that port's lock (evtchn_port.h), the queues' tails
 * also under their vCPU's lock; the rest (active, control blocks, the
 * array) changes only with every port's lock held. The guest's side of
 * the words is raced with atomics as described above.
 */
static struct {
    bool active;                                    /* the domain uses FIFO */
    struct fifo_vcpu vcpu[PV_MAX_VCPUS];
    event_word_t *array[MAX_ARRAY_PAGES];           /* guest frames, in order */
    mfn_t array_mfn[MAX_ARRAY_PAGES];
    unsigned nr_pages;
    uint8_t priority[EVTCHN_PORTS];                 /* queue of the next link */
    uint8_t last_queue[EVTCHN_PORTS];               /* queue it was last linked on */
    uint8_t last_vcpu[EVTCHN_PORTS];                /* whose queue that was */
    bool saved_pending[EVTCHN_PORTS];               /* raised while its page was missing */
} fifo;

static event_word_t *word_of(evtchn_port_t port)
{
    if (port >= fifo.nr_pages * WORDS_PER_PAGE)
        return NULL;
    return &fifo.array[port / WORDS_PER_PAGE][port % WORDS_PER_PAGE];
}

static bool word_test(const event_word_t *w, unsigned bit)
{
    return __atomic_load_n(w, __ATOMIC_ACQUIRE) & WORD_BIT(bit);
}

static bool word_test_and_set(event_word_t *w, unsigned bit)
{
    return __atomic_fetch_or(w, WORD_BIT(bit), __ATOMIC_SEQ_CST) & WORD_BIT(bit);
}

static void word_clear(event_word_t *w, unsigned bit)
{
    __atomic_fetch_and(w, ~WORD_BIT(bit), __ATOMIC_SEQ_CST);
}

/*
 * Point a queue's tail word at `next`, provided the word is still linked
 * (the guest may have consumed it meanwhile). True if it was linked, and
 * the new event is then reachable from the queue's head.
 */
static bool link_after(event_word_t *tail, evtchn_port_t next)
{
    event_word_t old = __atomic_load_n(tail, __ATOMIC_ACQUIRE);
    bool busy = false;
    for (unsigned attempt = 0; attempt <= LINK_TRIES; attempt++) {
        if (!(old & WORD_BIT(EVTCHN_FIFO_LINKED))) {
            if (busy)
                word_clear(tail, EVTCHN_FIFO_BUSY);
            return false;
        }
        event_word_t new = (old & ~(WORD_BIT(EVTCHN_FIFO_BUSY) | EVTCHN_FIFO_LINK_MASK)) | next;
        /* Success stores the word with BUSY clear, ending our hold on it. */
        if (__atomic_compare_exchange_n(tail, &old, new, false, __ATOMIC_SEQ_CST,
                                        __ATOMIC_SEQ_CST))
            return true;
        if (!busy) {
            /* Lost a race with the guest: hold off its unmasking, then retry. */
            word_test_and_set(tail, EVTCHN_FIFO_BUSY);
            old = __atomic_load_n(tail, __ATOMIC_ACQUIRE);
            busy = true;
        }
    }
    /* A guest that keeps changing the word: give up, as Xen does (it stays linked). */
    word_clear(tail, EVTCHN_FIFO_BUSY);
    return true;
}

static void raise_upcall(struct pv_vcpu *v)
{
    evtchn_raise_upcall(v, -1);
}

/* The queues of a and b (perhaps the same vCPU's), in ascending order. */
static void lock_queues(struct fifo_vcpu *a, struct fifo_vcpu *b)
{
    if (a > b) {
        struct fifo_vcpu *t = a;
        a = b;
        b = t;
    }
    spin_lock(&a->lock);
    if (b != a)
        spin_lock(&b->lock);
}

static void unlock_queues(struct fifo_vcpu *a, struct fifo_vcpu *b)
{
    if (b != a)
        spin_unlock(&b->lock);
    spin_unlock(&a->lock);
}

static bool fifo_set_pending(evtchn_port_t port)
{
    event_word_t *w = word_of(port);
    if (!w) {
        /* No event array page for it yet: raised when the page arrives. */
        if (port < EVTCHN_PORTS)
            fifo.saved_pending[port] = true;
        return false;
    }
    struct pv_vcpu *v = evtchn_notify_vcpu(port);
    struct fifo_vcpu *fv = &fifo.vcpu[v->vcpu_id];
    /* last_* change only here, under this port's lock: stable meanwhile. */
    unsigned last_q = fifo.last_queue[port];
    struct fifo_vcpu *old = &fifo.vcpu[fifo.last_vcpu[port]];
    /*
     * Both queues are locked before PENDING and LINKED change, as on Xen:
     * a sender of another port that finds this one as its queue's tail
     * must not see it LINKED again before it is back on a queue.
     */
    lock_queues(fv, old);
    bool newly = !word_test_and_set(w, EVTCHN_FIFO_PENDING);
    unsigned q = fifo.priority[port];
    bool new_head = false;
    /* No control block: no queues to link it on, it stays pending. */
    if (fv->control && !word_test(w, EVTCHN_FIFO_MASKED) &&
        !word_test_and_set(w, EVTCHN_FIFO_LINKED)) {
        /* Linked again, perhaps on another queue: the old one must not append after it. */
        if (old->tail[last_q] == port)
            old->tail[last_q] = 0;
        fifo.last_queue[port] = (uint8_t)q;
        fifo.last_vcpu[port] = (uint8_t)v->vcpu_id;
        bool linked = false;
        if (fv->tail[q]) {
            event_word_t *tw = word_of(fv->tail[q]);
            linked = tw && link_after(tw, port);
        }
        if (!linked)
            __atomic_store_n(&fv->control->head[q], port, __ATOMIC_SEQ_CST);
        fv->tail[q] = port;
        new_head = !linked;
    }
    unlock_queues(fv, old);

    /* A queue that was empty becomes ready; the first ready queue raises the upcall. */
    if (new_head && !(__atomic_fetch_or(&fv->control->ready, 1u << q, __ATOMIC_SEQ_CST) &
                      (1u << q)))
        raise_upcall(v);
    return newly;
}

static void fifo_clear_pending(evtchn_port_t port)
{
    /* The guest unlinks and skips an event that is no longer pending. */
    event_word_t *w = word_of(port);
    if (w)
        word_clear(w, EVTCHN_FIFO_PENDING);
    if (port < EVTCHN_PORTS)
        fifo.saved_pending[port] = false;
}

static void fifo_unmask(evtchn_port_t port)
{
    event_word_t *w = word_of(port);
    if (!w)
        return;
    word_clear(w, EVTCHN_FIFO_MASKED);
    if (word_test(w, EVTCHN_FIFO_PENDING))
        fifo_set_pending(port);
}

static bool fifo_is_pending(evtchn_port_t port)
{
    const event_word_t *w = word_of(port);
    return w && word_test(w, EVTCHN_FIFO_PENDING);
}

static bool fifo_is_busy(evtchn_port_t port)
{
    const event_word_t *w = word_of(port);
    return w && word_test(w, EVTCHN_FIFO_LINKED);
}

static void fifo_bound(evtchn_port_t port)
{
    if (port < EVTCHN_PORTS)
        fifo.priority[port] = EVTCHN_FIFO_PRIORITY_DEFAULT;
}

static long fifo_set_priority(evtchn_port_t port, unsigned priority)
{
    if (priority > EVTCHN_FIFO_PRIORITY_MIN)
        return -XEN_EINVAL;
    /* Future links only: an event already queued stays where it is. */
    fifo.priority[port] = (uint8_t)priority;
    return 0;
}

const struct evtchn_port_ops evtchn_fifo_ops = {
    .bound = fifo_bound,
    .set_pending = fifo_set_pending,
    .clear_pending = fifo_clear_pending,
    .unmask = fifo_unmask,
    .is_pending = fifo_is_pending,
    .is_busy = fifo_is_busy,
    .set_priority = fifo_set_priority,
};

/* A guest frame pvshim writes from now on: a writable-type reference, then its page. */
static void *map_guest_frame(uint64_t gfn)
{
    mfn_t mfn = gfn;            /* PV: guest frame numbers are machine frames */
    if (gfn >= ((uint64_t)1 << (64 - PAGE_SHIFT)) || pv_mm_get_writable_frame(mfn))
        return NULL;
    void *p = phys_access_frame(mfn);
    if (!p)
        pv_mm_put_writable_frame(mfn);
    return p;
}

void evtchn_fifo_destroy(void)
{
    for (unsigned i = 0; i < PV_MAX_VCPUS; i++)
        if (fifo.vcpu[i].control)
            pv_mm_put_writable_frame(fifo.vcpu[i].control_mfn);
    for (unsigned i = 0; i < fifo.nr_pages; i++)
        pv_mm_put_writable_frame(fifo.array_mfn[i]);
    memset(&fifo, 0, sizeof(fifo));
}

long evtchn_fifo_init_control(struct evtchn_init_control *ic)
{
    ic->link_bits = EVTCHN_FIFO_LINK_BITS;
    if (ic->vcpu >= dom.nr_vcpus)
        return -XEN_ENOENT;
    /* Inside one page, 8-byte aligned. */
    if (ic->offset > PAGE_SIZE - sizeof(struct evtchn_fifo_control_block) || (ic->offset & 7))
        return -XEN_EINVAL;
    struct fifo_vcpu *fv = &fifo.vcpu[ic->vcpu];
    if (fv->control)
        return -XEN_EINVAL;     /* this vCPU has one already */
    uint8_t *page = map_guest_frame(ic->control_gfn);
    if (!page)
        return -XEN_EINVAL;     /* and the domain stays on 2-level if it was */
    struct evtchn_fifo_control_block *control =
        (struct evtchn_fifo_control_block *)(page + ic->offset);
    if (fifo.active) {
        /* Another vCPU's queues; the domain is on FIFO already. */
        fv->control = control;
        fv->control_mfn = ic->control_gfn;
        return 0;
    }

    /*
     * The switch: no event array yet, every port at the default priority,
     * and what is pending in the 2-level bitmap raised once pages arrive.
     */
    memset(&fifo, 0, sizeof(fifo));
    fv->control = control;
    fv->control_mfn = ic->control_gfn;
    for (evtchn_port_t p = 0; p < EVTCHN_PORTS; p++) {
        fifo.priority[p] = EVTCHN_FIFO_PRIORITY_DEFAULT;
        fifo.last_queue[p] = EVTCHN_FIFO_PRIORITY_DEFAULT;
        const xen_ulong_t *bits = dom.shared_info->evtchn_pending;
        fifo.saved_pending[p] = p && ((bits[p / 64] >> (p % 64)) & 1);
    }
    fifo.active = true;
    return 0;
}

long evtchn_fifo_expand_array(const struct evtchn_expand_array *ea)
{
    if (!fifo.active)
        return -XEN_EOPNOTSUPP;
    if (fifo.nr_pages >= MAX_ARRAY_PAGES)
        return -XEN_ENOSPC;
    event_word_t *page = map_guest_frame(ea->array_gfn);
    if (!page)
        return -XEN_EINVAL;
    unsigned first = fifo.nr_pages * WORDS_PER_PAGE;
    fifo.array[fifo.nr_pages] = page;
    fifo.array_mfn[fifo.nr_pages] = ea->array_gfn;
    fifo.nr_pages++;
    /* Events raised while these ports had no word. */
    for (evtchn_port_t p = first; p < first + WORDS_PER_PAGE && p < EVTCHN_PORTS; p++)
        if (fifo.saved_pending[p]) {
            fifo.saved_pending[p] = false;
            fifo_set_pending(p);
        }
    return 0;
}
