/*
 * FIFO event channels: init_control, expand_array, set_priority with bad
 * arguments, then delivery through the control block and the event
 * array (queues, priorities, masking, LINKED ports not reused), and the
 * way back to 2-level with EVTCHNOP_reset. Runs last: once init_control
 * succeeds the whole domain uses FIFO.
 */
#include "events.h"
#include "hypercall.h"
#include "traps.h"

#define WORD_BIT(b)     (1u << (b))
#define MAX_DELIVERED   32
#define BAD_PORT        100000

static uint8_t control_page[4096] __attribute__((aligned(4096)));
static uint8_t array_page[4096] __attribute__((aligned(4096)));
static struct evtchn_fifo_control_block *const cb =
    (struct evtchn_fifo_control_block *)control_page;
static event_word_t *const words = (event_word_t *)array_page;
static bool fifo_on;

/* What the FIFO upcall handler consumed, in order. */
static unsigned delivered[MAX_DELIVERED];
static unsigned n_delivered;
static uint32_t local_head[EVTCHN_FIFO_MAX_QUEUES];

/* Unlink a word (LINKED and LINK clear), returning the next port of its queue. */
static uint32_t unlink_word(event_word_t *w)
{
    event_word_t old = __atomic_load_n(w, __ATOMIC_ACQUIRE);
    event_word_t new;
    do
        new = old & ~(WORD_BIT(EVTCHN_FIFO_LINKED) | EVTCHN_FIFO_LINK_MASK);
    while (!__atomic_compare_exchange_n(w, &old, new, false, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST));
    return old & EVTCHN_FIFO_LINK_MASK;
}

/* A guest's FIFO consumer: ready queues highest priority first, each from its head. */
static void fifo_upcall(struct trap_frame *f)
{
    (void)f;
    upcalls++;
    vcpu0()->evtchn_upcall_pending = 0;
    uint32_t ready = __atomic_exchange_n(&cb->ready, 0, __ATOMIC_SEQ_CST);
    while (ready) {
        unsigned q = __builtin_ctz(ready);
        uint32_t port = local_head[q] ? local_head[q]
                                      : __atomic_load_n(&cb->head[q], __ATOMIC_ACQUIRE);
        if (port >= 1024) {
            ready &= ~(1u << q);    /* not one of ours: leave the queue */
            continue;
        }
        uint32_t next = unlink_word(&words[port]);
        if (!next)
            ready &= ~(1u << q);
        event_word_t w = __atomic_load_n(&words[port], __ATOMIC_ACQUIRE);
        if ((w & WORD_BIT(EVTCHN_FIFO_PENDING)) && !(w & WORD_BIT(EVTCHN_FIFO_MASKED))) {
            __atomic_fetch_and(&words[port], ~WORD_BIT(EVTCHN_FIFO_PENDING), __ATOMIC_SEQ_CST);
            if (n_delivered < MAX_DELIVERED)
                delivered[n_delivered++] = port;
        }
        local_head[q] = next;
    }
}

static long init_control(uint64_t gfn, uint32_t offset, uint32_t vcpu, uint8_t *link_bits)
{
    struct evtchn_init_control ic = { .control_gfn = gfn, .offset = offset, .vcpu = vcpu };
    long rc = hc_event_channel_op(EVTCHNOP_init_control, &ic);
    if (link_bits)
        *link_bits = ic.link_bits;
    return rc;
}

static long expand_array(uint64_t gfn)
{
    struct evtchn_expand_array ea = { .array_gfn = gfn };
    return hc_event_channel_op(EVTCHNOP_expand_array, &ea);
}

static long set_priority(unsigned port, unsigned priority)
{
    struct evtchn_set_priority sp = { .port = port, .priority = priority };
    return hc_event_channel_op(EVTCHNOP_set_priority, &sp);
}

static long bind_ipi(void)
{
    struct evtchn_bind_ipi b = { .vcpu = 0 };
    long rc = hc_event_channel_op(EVTCHNOP_bind_ipi, &b);
    return rc ? rc : (long)b.port;
}

static long send(unsigned port)
{
    struct evtchn_send s = { .port = port };
    return hc_event_channel_op(EVTCHNOP_send, &s);
}

static long unmask(unsigned port)
{
    struct evtchn_unmask u = { .port = port };
    return hc_event_channel_op(EVTCHNOP_unmask, &u);
}

static void deliver(void)
{
    n_delivered = 0;
    event_hook = fifo_upcall;
    deliver_pending();
}

/* ---- checks */

/* Before FIFO: set_priority has nothing to set, expand_array nothing to expand. */
static void check_refused_on_2level(void)
{
    long port = bind_ipi();
    if (!expect(port > 0, "bind_ipi = %ld", port))
        return;
    expect_rc(set_priority(port, 0), -XEN_ENOSYS);
    expect_rc(set_priority(BAD_PORT, 0), -XEN_EINVAL);
    expect_rc(expand_array(virt_to_mfn(array_page)), -XEN_EOPNOTSUPP);
    expect_rc(evtchn_close(port), 0);
}

/*
 * The old single-argument event_channel_op carries only the operations of
 * its union: reset and the FIFO ones are refused there, even with good
 * arguments, and nothing changes.
 */
static void check_compat_form_refuses_new_ops(void)
{
    struct evtchn_op op;
    memset(&op, 0, sizeof(op));
    op.cmd = EVTCHNOP_reset;
    struct evtchn_reset *r = (struct evtchn_reset *)&op.u;
    r->dom = DOMID_SELF;
    long port = bind_ipi();
    if (!expect(port > 0, "bind_ipi = %ld", port))
        return;
    expect_rc(hypercall1(__HYPERVISOR_event_channel_op_compat, &op), -XEN_ENOSYS);
    struct evtchn_status st = { .dom = DOMID_SELF, .port = port };
    expect_rc(hc_event_channel_op(EVTCHNOP_status, &st), 0);
    expect_eq(st.status, EVTCHNSTAT_ipi);               /* not reset */
    memset(&op, 0, sizeof(op));
    op.cmd = EVTCHNOP_init_control;
    struct evtchn_init_control *ic = (struct evtchn_init_control *)&op.u;
    ic->control_gfn = virt_to_mfn(control_page);
    expect_rc(hypercall1(__HYPERVISOR_event_channel_op_compat, &op), -XEN_ENOSYS);
    expect_rc(expand_array(virt_to_mfn(array_page)), -XEN_EOPNOTSUPP);   /* still 2-level */
    /* The old operations still work that way. */
    memset(&op, 0, sizeof(op));
    op.cmd = EVTCHNOP_close;
    op.u.close.port = port;
    expect_rc(hypercall1(__HYPERVISOR_event_channel_op_compat, &op), 0);
}

/* init_control's argument checks; each failure leaves the domain on 2-level. */
static void check_init_control_bad_args(void)
{
    uint64_t gfn = virt_to_mfn(control_page);
    uint8_t link_bits = 0;
    expect_rc(init_control(gfn, 0, 4096, NULL), -XEN_ENOENT);
    expect_rc(init_control(gfn, 4096 - sizeof(*cb) + 8, 0, NULL), -XEN_EINVAL);
    expect_rc(init_control(gfn, 4, 0, NULL), -XEN_EINVAL);
    expect_rc(init_control((uint64_t)-2, 0, 0, &link_bits), -XEN_EINVAL);
    /* As XSA-188's test: nothing was set up by the failure. */
    expect_rc(expand_array(virt_to_mfn(array_page)), -XEN_EOPNOTSUPP);
    /* 2-level delivery still works. */
    long port = bind_ipi();
    if (!expect(port > 0, "bind_ipi = %ld", port))
        return;
    port_clear(port);
    expect_rc(send(port), 0);
    expect(port_pending(port), "2-level send on %ld not pending", port);
    port_clear(port);
    expect_rc(evtchn_close(port), 0);
}

/*
 * The switch: the control block at an offset-0 page, an event raised
 * before the first array page is kept and queued when the page arrives.
 */
static void check_init_and_expand(void)
{
    long port = bind_ipi();
    if (!expect(port > 0 && port < 1024, "bind_ipi = %ld", port))
        return;
    port_clear(port);
    memset(control_page, 0, sizeof(control_page));
    memset(array_page, 0, sizeof(array_page));
    vcpu0()->evtchn_upcall_pending = 0;
    uint8_t link_bits = 0;
    if (!expect_rc(init_control(virt_to_mfn(control_page), 0, 0, &link_bits), 0))
        return;
    fifo_on = true;
    expect_eq(link_bits, EVTCHN_FIFO_LINK_BITS);
    expect_rc(init_control(virt_to_mfn(control_page), 0, 0, NULL), -XEN_EINVAL);
    expect_rc(send(port), 0);                   /* no event word yet */
    expect_eq(cb->ready, 0);
    expect_rc(expand_array((uint64_t)-2), -XEN_EINVAL);
    expect_rc(expand_array(virt_to_mfn(array_page)), 0);
    event_word_t w = words[port];
    expect_eq(w & (WORD_BIT(EVTCHN_FIFO_PENDING) | WORD_BIT(EVTCHN_FIFO_LINKED)),
              WORD_BIT(EVTCHN_FIFO_PENDING) | WORD_BIT(EVTCHN_FIFO_LINKED));
    expect_eq(cb->head[EVTCHN_FIFO_PRIORITY_DEFAULT], port);
    expect(cb->ready & (1u << EVTCHN_FIFO_PRIORITY_DEFAULT), "ready %#x", cb->ready);
    expect_eq(vcpu0()->evtchn_upcall_pending, 1);
    deliver();
    expect_eq(n_delivered, 1);
    expect_eq(delivered[0], port);
    expect_eq(words[port] & ~(uint32_t)WORD_BIT(EVTCHN_FIFO_MASKED), 0);
    expect_rc(evtchn_close(port), 0);
}

/* One queue in send order; a higher priority (lower number) consumed first. */
static void check_queues_and_priorities(void)
{
    if (!fifo_on)
        check_skip_current("FIFO not initialised");
    long a = bind_ipi(), b = bind_ipi(), c = bind_ipi();
    if (!expect(a > 0 && b > 0 && c > 0 && c < 1024, "ports %ld %ld %ld", a, b, c))
        return;
    expect_rc(set_priority(c, EVTCHN_FIFO_PRIORITY_MIN + 1), -XEN_EINVAL);
    expect_rc(set_priority(BAD_PORT, 0), -XEN_EINVAL);
    expect_rc(set_priority(c, 3), 0);
    expect_rc(send(a), 0);
    expect_rc(send(b), 0);
    expect_rc(send(c), 0);
    expect_eq(cb->head[EVTCHN_FIFO_PRIORITY_DEFAULT], a);
    expect_eq(words[a] & EVTCHN_FIFO_LINK_MASK, b);     /* a -> b */
    expect_eq(words[b] & EVTCHN_FIFO_LINK_MASK, 0);
    expect_eq(cb->head[3], c);
    expect_eq(cb->ready & ((1u << 3) | (1u << EVTCHN_FIFO_PRIORITY_DEFAULT)),
              (1u << 3) | (1u << EVTCHN_FIFO_PRIORITY_DEFAULT));
    deliver();
    expect_eq(n_delivered, 3);
    expect_eq(delivered[0], c);
    expect_eq(delivered[1], a);
    expect_eq(delivered[2], b);
    /* A re-bound port is back at the default priority. */
    expect_rc(evtchn_close(c), 0);
    long c2 = bind_ipi();
    expect_eq(c2, c);
    expect_rc(send(c2), 0);
    expect_eq(cb->head[EVTCHN_FIFO_PRIORITY_DEFAULT], c2);
    deliver();
    expect_eq(n_delivered, 1);
    expect_rc(evtchn_close(a), 0);
    expect_rc(evtchn_close(b), 0);
    expect_rc(evtchn_close(c2), 0);
}

/* A masked event stays pending and unlinked; EVTCHNOP_unmask queues it. */
static void check_mask_unmask(void)
{
    if (!fifo_on)
        check_skip_current("FIFO not initialised");
    long port = bind_ipi();
    if (!expect(port > 0 && port < 1024, "bind_ipi = %ld", port))
        return;
    __atomic_fetch_or(&words[port], WORD_BIT(EVTCHN_FIFO_MASKED), __ATOMIC_SEQ_CST);
    unsigned u = upcalls;
    expect_rc(send(port), 0);
    expect_eq(words[port] & (WORD_BIT(EVTCHN_FIFO_PENDING) | WORD_BIT(EVTCHN_FIFO_LINKED)),
              WORD_BIT(EVTCHN_FIFO_PENDING));
    deliver();
    expect_eq(n_delivered, 0);
    expect_eq(upcalls, u);
    vcpu0()->evtchn_upcall_mask = 0;
    n_delivered = 0;
    event_hook = fifo_upcall;
    long rc = unmask(port);                     /* delivered on the way back */
    vcpu0()->evtchn_upcall_mask = 1;
    expect_rc(rc, 0);
    expect_eq(n_delivered, 1);
    expect_eq(delivered[0], port);
    expect_eq(words[port] & WORD_BIT(EVTCHN_FIFO_MASKED), 0);
    expect_rc(unmask(BAD_PORT), -XEN_EINVAL);
    expect_rc(evtchn_close(port), 0);
}

/* A closed port still linked on a queue is not handed out until the guest unlinks it. */
static void check_linked_port_not_reused(void)
{
    if (!fifo_on)
        check_skip_current("FIFO not initialised");
    long port = bind_ipi();
    if (!expect(port > 0 && port < 1024, "bind_ipi = %ld", port))
        return;
    expect_rc(send(port), 0);
    expect_rc(evtchn_close(port), 0);
    expect_eq(words[port] & (WORD_BIT(EVTCHN_FIFO_PENDING) | WORD_BIT(EVTCHN_FIFO_LINKED)),
              WORD_BIT(EVTCHN_FIFO_LINKED));
    long other = bind_ipi();
    expect(other > 0 && other != port, "busy port %ld reused", port);
    deliver();                                  /* unlinks it, nothing delivered */
    expect_eq(n_delivered, 0);
    long again = bind_ipi();
    expect_eq(again, port);
    expect_rc(evtchn_close(other), 0);
    expect_rc(evtchn_close(again), 0);
}

/* Up to 2^17 ports: 128 array pages (the same frame will do), then -ENOSPC. */
static void check_expand_limit(void)
{
    if (!fifo_on)
        check_skip_current("FIFO not initialised");
    unsigned pages = 1;                         /* from check_init_and_expand */
    long rc = 0;
    while (pages < EVTCHN_FIFO_NR_CHANNELS / 1024 && rc == 0) {
        rc = expand_array(virt_to_mfn(array_page));
        if (rc == 0)
            pages++;
    }
    expect_rc(rc, 0);
    expect_eq(pages, 128);
    expect_rc(expand_array(virt_to_mfn(array_page)), -XEN_ENOSPC);
}

/* EVTCHNOP_reset takes the domain back to 2-level, where FIFO calls are refused again. */
static void check_reset_to_2level(void)
{
    if (!fifo_on)
        check_skip_current("FIFO not initialised");
    struct evtchn_reset r = { .dom = DOMID_SELF };
    if (!expect_rc(hc_event_channel_op(EVTCHNOP_reset, &r), 0))
        return;
    fifo_on = false;
    expect_rc(expand_array(virt_to_mfn(array_page)), -XEN_EOPNOTSUPP);
    long port = bind_ipi();
    if (!expect(port > 0, "bind_ipi = %ld", port))
        return;
    expect_rc(set_priority(port, 0), -XEN_ENOSYS);
    port_clear(port);
    expect_rc(send(port), 0);
    expect(port_pending(port), "2-level send on %ld not pending", port);
    port_clear(port);
    expect_rc(evtchn_close(port), 0);
}

void fifo_checks(void)
{
    run_check("fifo.refused_on_2level", check_refused_on_2level);
    run_check("fifo.compat_form_refuses_new_ops", check_compat_form_refuses_new_ops);
    run_check("fifo.init_control_bad_args", check_init_control_bad_args);
    run_check("fifo.init_and_expand", check_init_and_expand);
    run_check("fifo.queues_and_priorities", check_queues_and_priorities);
    run_check("fifo.mask_unmask", check_mask_unmask);
    run_check("fifo.linked_port_not_reused", check_linked_port_not_reused);
    run_check("fifo.expand_limit", check_expand_limit);
    run_check("fifo.reset_to_2level", check_reset_to_2level);
}
