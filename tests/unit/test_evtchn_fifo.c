/*
 * FIFO event channels (event_fifo.c behind event_channel.c) on the
 * simulated machine: init_control and expand_array argument checks and
 * frame references, queues and their heads, links and READY bits,
 * priorities, masking, LINKED ports, the expand limit, the way back to
 * 2-level, and pvshim's own senders (backends, pollers).
 */
#include <string.h>
#include <stdlib.h>
#include "unit.h"
#include "mm_sim.h"
#include "event_channel.h"
#include "hypercalls.h"

#define BIT(b)          (1u << (b))
#define P_BIT           BIT(EVTCHN_FIFO_PENDING)
#define M_BIT           BIT(EVTCHN_FIFO_MASKED)
#define L_BIT           BIT(EVTCHN_FIFO_LINKED)
#define B_BIT           BIT(EVTCHN_FIFO_BUSY)
#define DEF             EVTCHN_FIFO_PRIORITY_DEFAULT

static struct shared_info *shinfo;
static mfn_t control_mfn, array_mfn;
static struct evtchn_fifo_control_block *cb;
static event_word_t *words;

static void setup(void)
{
    mm_sim_setup();
    shinfo = calloc(1, PAGE_SIZE);
    dom.shared_info = shinfo;
    dom.nr_vcpus = 1;
    dom.vcpu[0].initialised = dom.vcpu[0].up = dom.vcpu[0].loaded = true;   /* booted, running */
    dom.vcpu[0].vcpu_info = &shinfo->vcpu_info[0];
    dom.vcpu[0].vcpu_info_mfn = INVALID_MFN;
    evtchn_init();
    control_mfn = mm_sim_alloc();
    array_mfn = mm_sim_alloc();
    cb = (void *)mm_sim_table(control_mfn);
    words = (void *)mm_sim_table(array_mfn);
}

static void teardown(void)
{
    free(shinfo);
    mm_sim_teardown();
}

/* event_channel_op with its argument in the guest buffer, copied back out. */
static long ec_op(int cmd, void *arg, size_t len)
{
    memcpy(mm_sim_args, arg, len);
    long rc = do_event_channel_op(cmd, SIM_ARGS_VA);
    memcpy(arg, mm_sim_args, len);
    return rc;
}

static long init_control(uint64_t gfn, uint32_t offset, uint32_t vcpu)
{
    struct evtchn_init_control ic = { .control_gfn = gfn, .offset = offset, .vcpu = vcpu };
    long rc = ec_op(EVTCHNOP_init_control, &ic, sizeof(ic));
    if (rc == 0) {
        ck_assert_uint_eq(ic.link_bits, EVTCHN_FIFO_LINK_BITS);
        mm_sim_note_writable_hold(gfn, 1);
    }
    return rc;
}

static long expand(uint64_t gfn)
{
    struct evtchn_expand_array ea = { .array_gfn = gfn };
    long rc = ec_op(EVTCHNOP_expand_array, &ea, sizeof(ea));
    if (rc == 0)
        mm_sim_note_writable_hold(gfn, 1);
    return rc;
}

static long set_priority(evtchn_port_t port, unsigned prio)
{
    struct evtchn_set_priority sp = { .port = port, .priority = prio };
    return ec_op(EVTCHNOP_set_priority, &sp, sizeof(sp));
}

static evtchn_port_t bind_ipi(void)
{
    struct evtchn_bind_ipi b = { .vcpu = 0 };
    ck_assert_int_eq(ec_op(EVTCHNOP_bind_ipi, &b, sizeof(b)), 0);
    return b.port;
}

static long send(evtchn_port_t port)
{
    struct evtchn_send s = { .port = port };
    return ec_op(EVTCHNOP_send, &s, sizeof(s));
}

static long close_port(evtchn_port_t port)
{
    struct evtchn_close c = { .port = port };
    return ec_op(EVTCHNOP_close, &c, sizeof(c));
}

static long unmask(evtchn_port_t port)
{
    struct evtchn_unmask u = { .port = port };
    return ec_op(EVTCHNOP_unmask, &u, sizeof(u));
}

static void fifo_on(void)
{
    ck_assert_int_eq(init_control(control_mfn, 0, 0), 0);
    ck_assert_int_eq(expand(array_mfn), 0);
}

static uint8_t upcall_pending(void)
{
    return shinfo->vcpu_info[0].evtchn_upcall_pending;
}

/* The guest consumes the head of queue q: unlink it and return it. */
static evtchn_port_t guest_pop(unsigned q)
{
    evtchn_port_t port = cb->head[q];
    ck_assert_uint_ne(port, 0);
    uint32_t next = words[port] & EVTCHN_FIFO_LINK_MASK;
    words[port] &= ~(L_BIT | EVTCHN_FIFO_LINK_MASK | P_BIT);
    cb->head[q] = next;
    if (!next)
        cb->ready &= ~BIT(q);
    return port;
}

/* ------------------------------------------------------------------ */

START_TEST(init_control_bad_args_stay_2level)
{
    struct evtchn_bind_ipi b = { .vcpu = 0 };
    ck_assert_int_eq(ec_op(EVTCHNOP_bind_ipi, &b, sizeof(b)), 0);
    /* 2-level: no priorities, nothing to expand. */
    ck_assert_int_eq(set_priority(b.port, 0), -XEN_ENOSYS);
    ck_assert_int_eq(set_priority(EVTCHN_PORTS, 0), -XEN_EINVAL);
    ck_assert_int_eq(expand(array_mfn), -XEN_EOPNOTSUPP);

    ck_assert_int_eq(init_control(control_mfn, 0, 1), -XEN_ENOENT);
    ck_assert_int_eq(init_control(control_mfn, PAGE_SIZE - sizeof(*cb) + 8, 0), -XEN_EINVAL);
    ck_assert_int_eq(init_control(control_mfn, 12, 0), -XEN_EINVAL);       /* not 8-aligned */
    ck_assert_int_eq(init_control((uint64_t)-2, 0, 0), -XEN_EINVAL);       /* XSA-188 */
    ck_assert_int_eq(init_control(1ull << 60, 0, 0), -XEN_EINVAL);
    ck_assert_int_eq(init_control(SIM_SHIM_FIRST, 0, 0), -XEN_EINVAL);     /* not the guest's */
    ck_assert_int_eq(init_control(SIM_IO_FIRST, 0, 0), -XEN_EINVAL);
    mfn_t l4 = mm_sim_kernel_tables();
    ck_assert_int_eq(init_control(l4, 0, 0), -XEN_EINVAL);                 /* a page table */
    ck_assert_int_eq(expand(array_mfn), -XEN_EOPNOTSUPP);
    ck_mm_invariants();

    /* Still 2-level. */
    ck_assert_int_eq(send(b.port), 0);
    ck_assert(shinfo->evtchn_pending[0] & (1ull << b.port));
    ck_assert_int_eq(cb->ready, 0);
}
END_TEST

START_TEST(init_control_offset_and_once)
{
    uint32_t last = PAGE_SIZE - sizeof(*cb);
    ck_assert_int_eq(init_control(control_mfn, last, 0), 0);
    ck_assert_int_eq(init_control(control_mfn, last, 0), -XEN_EINVAL);
    ck_assert_int_eq(expand(array_mfn), 0);
    ck_mm_invariants();
    evtchn_port_t p = bind_ipi();
    ck_assert_int_eq(send(p), 0);
    struct evtchn_fifo_control_block *at = (void *)((uint8_t *)cb + last);
    ck_assert_uint_eq(at->head[DEF], p);
    ck_assert_uint_eq(at->ready, BIT(DEF));
    ck_assert_uint_eq(cb->ready, 0);
}
END_TEST

START_TEST(queue_links_in_send_order)
{
    fifo_on();
    evtchn_port_t a = bind_ipi(), b = bind_ipi(), c = bind_ipi();
    ck_assert_int_eq(send(a), 0);
    ck_assert_uint_eq(words[a], P_BIT | L_BIT);
    ck_assert_uint_eq(cb->head[DEF], a);
    ck_assert_uint_eq(cb->ready, BIT(DEF));
    ck_assert_int_eq(upcall_pending(), 1);
    shinfo->vcpu_info[0].evtchn_upcall_pending = 0;
    ck_assert_int_eq(send(b), 0);
    ck_assert_int_eq(send(c), 0);
    ck_assert_uint_eq(words[a], P_BIT | L_BIT | b);
    ck_assert_uint_eq(words[b], P_BIT | L_BIT | c);
    ck_assert_uint_eq(words[c], P_BIT | L_BIT);
    ck_assert_uint_eq(cb->head[DEF], a);
    ck_assert_int_eq(upcall_pending(), 0);      /* the queue was not empty */
    /* Sending a linked port again changes nothing. */
    ck_assert_int_eq(send(a), 0);
    ck_assert_uint_eq(words[a], P_BIT | L_BIT | b);
    ck_assert_uint_eq(guest_pop(DEF), a);
    ck_assert_uint_eq(guest_pop(DEF), b);
    ck_assert_uint_eq(guest_pop(DEF), c);
    ck_assert_uint_eq(cb->ready, 0);
}
END_TEST

START_TEST(consumed_tail_starts_new_head)
{
    fifo_on();
    evtchn_port_t a = bind_ipi(), b = bind_ipi();
    ck_assert_int_eq(send(a), 0);
    ck_assert_uint_eq(guest_pop(DEF), a);       /* tail a is unlinked now */
    shinfo->vcpu_info[0].evtchn_upcall_pending = 0;
    ck_assert_int_eq(send(b), 0);
    ck_assert_uint_eq(words[a] & EVTCHN_FIFO_LINK_MASK, 0);
    ck_assert_uint_eq(cb->head[DEF], b);
    ck_assert_uint_eq(cb->ready, BIT(DEF));
    ck_assert_int_eq(upcall_pending(), 1);
    /* A READY bit the guest has not cleared yet raises no second upcall. */
    ck_assert_uint_eq(guest_pop(DEF), b);
    cb->ready = BIT(DEF);
    shinfo->vcpu_info[0].evtchn_upcall_pending = 0;
    ck_assert_int_eq(send(a), 0);
    ck_assert_uint_eq(cb->head[DEF], a);
    ck_assert_int_eq(upcall_pending(), 0);
}
END_TEST

START_TEST(busy_cleared_after_link)
{
    fifo_on();
    evtchn_port_t a = bind_ipi(), b = bind_ipi();
    ck_assert_int_eq(send(a), 0);
    words[a] |= B_BIT;                          /* left over from an earlier link */
    ck_assert_int_eq(send(b), 0);
    ck_assert_uint_eq(words[a], P_BIT | L_BIT | b);
    /* The guest masked the tail meanwhile: the link still goes in, MASKED kept. */
    evtchn_port_t c = bind_ipi();
    words[b] |= M_BIT;
    ck_assert_int_eq(send(c), 0);
    ck_assert_uint_eq(words[b], P_BIT | L_BIT | M_BIT | c);
}
END_TEST

START_TEST(priorities_pick_queues)
{
    fifo_on();
    evtchn_port_t a = bind_ipi(), b = bind_ipi();
    ck_assert_int_eq(set_priority(a, EVTCHN_FIFO_PRIORITY_MIN + 1), -XEN_EINVAL);
    ck_assert_int_eq(set_priority(EVTCHN_PORTS, 0), -XEN_EINVAL);
    ck_assert_int_eq(set_priority(b, EVTCHN_FIFO_PRIORITY_MAX), 0);
    ck_assert_int_eq(set_priority(a, EVTCHN_FIFO_PRIORITY_MIN), 0);
    ck_assert_int_eq(send(a), 0);
    ck_assert_int_eq(send(b), 0);
    ck_assert_uint_eq(cb->head[EVTCHN_FIFO_PRIORITY_MIN], a);
    ck_assert_uint_eq(cb->head[EVTCHN_FIFO_PRIORITY_MAX], b);
    ck_assert_uint_eq(cb->ready, BIT(EVTCHN_FIFO_PRIORITY_MIN) | BIT(EVTCHN_FIFO_PRIORITY_MAX));
    ck_assert_uint_eq(words[a] & EVTCHN_FIFO_LINK_MASK, 0);
    /* A new priority applies to the next link only. */
    ck_assert_int_eq(set_priority(a, 3), 0);
    ck_assert_uint_eq(cb->head[EVTCHN_FIFO_PRIORITY_MIN], a);
    ck_assert_uint_eq(guest_pop(EVTCHN_FIFO_PRIORITY_MIN), a);
    ck_assert_int_eq(send(a), 0);
    ck_assert_uint_eq(cb->head[3], a);
    /* Re-bound: the default again. */
    ck_assert_uint_eq(guest_pop(3), a);
    ck_assert_int_eq(close_port(a), 0);
    ck_assert_uint_eq(bind_ipi(), a);
    ck_assert_int_eq(send(a), 0);
    ck_assert_uint_eq(cb->head[DEF], a);
}
END_TEST

START_TEST(moved_port_leaves_old_tail)
{
    fifo_on();
    evtchn_port_t a = bind_ipi(), b = bind_ipi();
    ck_assert_int_eq(send(a), 0);
    ck_assert_uint_eq(guest_pop(DEF), a);
    ck_assert_int_eq(set_priority(a, 2), 0);
    ck_assert_int_eq(send(a), 0);
    ck_assert_uint_eq(cb->head[2], a);
    /* Queue DEF's tail was a: b must start DEF afresh, not link after a. */
    ck_assert_int_eq(send(b), 0);
    ck_assert_uint_eq(cb->head[DEF], b);
    ck_assert_uint_eq(words[a] & EVTCHN_FIFO_LINK_MASK, 0);
}
END_TEST

START_TEST(masked_pending_until_unmask)
{
    fifo_on();
    evtchn_port_t p = bind_ipi();
    words[p] = M_BIT;
    ck_assert_int_eq(send(p), 0);
    ck_assert_uint_eq(words[p], M_BIT | P_BIT);
    ck_assert_uint_eq(cb->ready, 0);
    ck_assert_int_eq(upcall_pending(), 0);
    ck_assert_int_eq(unmask(EVTCHN_PORTS), -XEN_EINVAL);
    ck_assert_int_eq(unmask(p), 0);
    ck_assert_uint_eq(words[p], P_BIT | L_BIT);
    ck_assert_uint_eq(cb->head[DEF], p);
    ck_assert_int_eq(upcall_pending(), 1);
    /* Unmasking a port that is not pending queues nothing. */
    evtchn_port_t q = bind_ipi();
    words[q] = M_BIT;
    ck_assert_int_eq(unmask(q), 0);
    ck_assert_uint_eq(words[q], 0);
}
END_TEST

START_TEST(linked_closed_port_not_reused)
{
    fifo_on();
    evtchn_port_t p = bind_ipi();
    ck_assert_int_eq(send(p), 0);
    ck_assert_int_eq(close_port(p), 0);
    ck_assert_uint_eq(words[p], L_BIT);         /* PENDING cleared, still linked */
    evtchn_port_t q = bind_ipi();
    ck_assert_uint_ne(q, p);
    guest_pop(DEF);
    ck_assert_uint_eq(bind_ipi(), p);
}
END_TEST

START_TEST(pending_kept_until_array_page)
{
    evtchn_port_t early = bind_ipi();
    ck_assert_int_eq(send(early), 0);           /* 2-level pending at the switch */
    ck_assert_int_eq(init_control(control_mfn, 0, 0), 0);
    evtchn_port_t late = bind_ipi();
    ck_assert_int_eq(send(late), 0);            /* no event word yet */
    ck_assert_uint_eq(cb->ready, 0);
    ck_assert_int_eq(expand(array_mfn), 0);
    ck_assert_uint_eq(cb->head[DEF], early);
    ck_assert_uint_eq(words[early], P_BIT | L_BIT | late);
    ck_assert_uint_eq(words[late], P_BIT | L_BIT);
    ck_assert_int_eq(upcall_pending(), 1);
    /* Pollers read FIFO words now. */
    ck_assert(evtchn_any_pending(&late, 1));
    guest_pop(DEF);
    guest_pop(DEF);
    ck_assert(!evtchn_any_pending(&late, 1));
}
END_TEST

START_TEST(expand_limit_and_bad_frames)
{
    ck_assert_int_eq(init_control(control_mfn, 0, 0), 0);
    ck_assert_int_eq(expand((uint64_t)-2), -XEN_EINVAL);
    ck_assert_int_eq(expand(SIM_SHIM_FIRST), -XEN_EINVAL);
    unsigned pages = 0;
    while (pages < EVTCHN_FIFO_NR_CHANNELS / (PAGE_SIZE / sizeof(event_word_t))) {
        ck_assert_int_eq(expand(array_mfn), 0);
        pages++;
    }
    ck_assert_uint_eq(pages, 128);
    ck_assert_int_eq(expand(array_mfn), -XEN_ENOSPC);
    ck_mm_invariants();
}
END_TEST

START_TEST(reset_returns_to_2level_and_frames)
{
    fifo_on();
    ck_assert_int_eq(expand(array_mfn), 0);
    evtchn_port_t p = bind_ipi();
    struct evtchn_reset r = { .dom = DOMID_SELF };
    ck_assert_int_eq(ec_op(EVTCHNOP_reset, &r, sizeof(r)), 0);
    mm_sim_note_writable_hold(control_mfn, -1);
    mm_sim_note_writable_hold(array_mfn, -2);
    ck_mm_invariants();
    ck_mm_baseline();
    ck_assert_int_eq(expand(array_mfn), -XEN_EOPNOTSUPP);
    p = bind_ipi();
    ck_assert_int_eq(set_priority(p, 0), -XEN_ENOSYS);
    ck_assert_int_eq(send(p), 0);
    ck_assert(shinfo->evtchn_pending[0] & (1ull << p));
    /* And FIFO can be chosen again. */
    fifo_on();
}
END_TEST

static evtchn_port_t notified;
static void backend_fn(evtchn_port_t p) { notified = p; }

START_TEST(backend_events_go_through_fifo)
{
    evtchn_port_t bp = evtchn_bind_backend(backend_fn);
    ck_assert_uint_ne(bp, 0);
    fifo_on();
    evtchn_set_pending(bp);                     /* the backend notifies the guest */
    ck_assert_uint_eq(words[bp], P_BIT | L_BIT);
    ck_assert_uint_eq(cb->head[DEF], bp);
    ck_assert_int_eq(upcall_pending(), 1);
    ck_assert_int_eq(send(bp), 0);              /* and the guest notifies it */
    ck_assert_uint_eq(notified, bp);
}
END_TEST

START_TEST(bind_interdomain_sets_local_pending)
{
    struct evtchn_alloc_unbound a = { .dom = DOMID_SELF, .remote_dom = DOMID_SELF };
    ck_assert_int_eq(ec_op(EVTCHNOP_alloc_unbound, &a, sizeof(a)), 0);
    struct evtchn_bind_interdomain bi = { .remote_dom = DOMID_SELF, .remote_port = a.port };
    ck_assert_int_eq(ec_op(EVTCHNOP_bind_interdomain, &bi, sizeof(bi)), 0);
    ck_assert(shinfo->evtchn_pending[0] & (1ull << bi.local_port));
    ck_assert(!(shinfo->evtchn_pending[0] & (1ull << a.port)));
    /* The same under FIFO. */
    fifo_on();
    ck_assert_int_eq(ec_op(EVTCHNOP_alloc_unbound, &a, sizeof(a)), 0);
    bi.remote_port = a.port;
    ck_assert_int_eq(ec_op(EVTCHNOP_bind_interdomain, &bi, sizeof(bi)), 0);
    ck_assert_uint_eq(words[bi.local_port] & (P_BIT | L_BIT), P_BIT | L_BIT);
    ck_assert_uint_eq(words[a.port] & P_BIT, 0);
}
END_TEST

/* The single-argument form has no reset and no FIFO operations, as on Xen. */
START_TEST(compat_form_has_only_the_old_ops)
{
    /* init_control is no member of the union: its bytes are copied in
     * (the union is only 4-byte aligned, the struct needs 8). */
    struct evtchn_op op = { .cmd = EVTCHNOP_init_control };
    struct evtchn_init_control ic = { .control_gfn = control_mfn };
    _Static_assert(sizeof(ic) <= sizeof(op.u), "init_control fits the union");
    memcpy(&op.u, &ic, sizeof(ic));
    memcpy(mm_sim_args, &op, sizeof(op));
    ck_assert_int_eq(do_event_channel_op_compat(SIM_ARGS_VA), -XEN_ENOSYS);
    op = (struct evtchn_op){ .cmd = EVTCHNOP_reset };
    op.u.status.dom = DOMID_SELF;       /* where evtchn_reset.dom would be */
    memcpy(mm_sim_args, &op, sizeof(op));
    ck_assert_int_eq(do_event_channel_op_compat(SIM_ARGS_VA), -XEN_ENOSYS);
    ck_assert_int_eq(expand(array_mfn), -XEN_EOPNOTSUPP);
    op = (struct evtchn_op){ .cmd = EVTCHNOP_bind_ipi };
    memcpy(mm_sim_args, &op, sizeof(op));
    ck_assert_int_eq(do_event_channel_op_compat(SIM_ARGS_VA), 0);
    memcpy(&op, mm_sim_args, sizeof(op));
    ck_assert_uint_ne(op.u.bind_ipi.port, 0);
}
END_TEST

static Suite *evtchn_fifo_suite(void)
{
    Suite *s = suite_create("evtchn_fifo");
    TCase *tc = tcase_create("fifo");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, init_control_bad_args_stay_2level);
    tcase_add_test(tc, init_control_offset_and_once);
    tcase_add_test(tc, queue_links_in_send_order);
    tcase_add_test(tc, consumed_tail_starts_new_head);
    tcase_add_test(tc, busy_cleared_after_link);
    tcase_add_test(tc, priorities_pick_queues);
    tcase_add_test(tc, moved_port_leaves_old_tail);
    tcase_add_test(tc, masked_pending_until_unmask);
    tcase_add_test(tc, linked_closed_port_not_reused);
    tcase_add_test(tc, pending_kept_until_array_page);
    tcase_add_test(tc, expand_limit_and_bad_frames);
    tcase_add_test(tc, reset_returns_to_2level_and_frames);
    tcase_add_test(tc, backend_events_go_through_fifo);
    tcase_add_test(tc, bind_interdomain_sets_local_pending);
    tcase_add_test(tc, compat_form_has_only_the_old_ops);
    suite_add_tcase(s, tc);
    return s;
}
UNIT_SUITE(evtchn_fifo_suite)
