/*
 * Console backend (public/io/console.h). The guest produces into out[]
 * and consumes from in[]; pvshim does the other halves. Indices are free
 * running and masked; a hostile guest can corrupt only its own ring: every
 * index is masked before use and a pass moves at most one ring's worth.
 */
#include "console_backend.h"
#include <pvshim/log.h>
#include <pvshim/console.h>
#include <pvshim/phys.h>
#include <pvshim/soft_timer.h>
#include <pvshim/time.h>
#include "event_channel.h"
#include "host_cmd.h"

/* Catch-up for input without an interrupt and for guests that forget to notify. */
#define POLL_NS 100000000ull

static volatile struct xencons_interface *ring;
static evtchn_port_t port;
static struct soft_timer poll_timer;

static bool drain_output(void)
{
    XENCONS_RING_IDX cons = ring->out_cons;
    XENCONS_RING_IDX prod = __atomic_load_n(&ring->out_prod, __ATOMIC_ACQUIRE);
    if (prod == cons)
        return false;
    if (prod - cons > sizeof(ring->out))
        cons = prod - sizeof(ring->out);    /* a lying producer: take the last ring's worth */
    char buf[64];
    while (cons != prod) {
        size_t n = 0;
        while (cons != prod && n < sizeof(buf))
            buf[n++] = ring->out[MASK_XENCONS_IDX(cons++, ring->out)];
        console_write(buf, n);
    }
    __atomic_store_n(&ring->out_cons, cons, __ATOMIC_RELEASE);
    return true;
}

static bool feed_input(void)
{
    XENCONS_RING_IDX cons = __atomic_load_n(&ring->in_cons, __ATOMIC_ACQUIRE);
    XENCONS_RING_IDX prod = ring->in_prod;
    bool fed = false;
    while (prod - cons < sizeof(ring->in)) {
        int c = console_read();
        if (c < 0)
            break;
        c = host_cmd_filter(c);     /* the host's commands are not the guest's input */
        if (c < 0)
            continue;
        ring->in[MASK_XENCONS_IDX(prod++, ring->in)] = (char)c;
        fed = true;
    }
    if (fed)
        __atomic_store_n(&ring->in_prod, prod, __ATOMIC_RELEASE);
    return fed;
}

void console_backend_service(void)
{
    if (!ring)
        return;
    bool drained = drain_output();
    bool fed = feed_input();
    if (drained || fed)
        evtchn_set_pending(port);
}

static void guest_notified(evtchn_port_t p)
{
    (void)p;
    console_backend_service();
}

static void poll_fired(struct soft_timer *t, uint64_t now)
{
    console_backend_service();
    soft_timer_arm(t, now + POLL_NS);
}

evtchn_port_t console_backend_bind(evtchn_port_t want)
{
    port = want ? evtchn_bind_backend_at(want, guest_notified)
                : evtchn_bind_backend(guest_notified);
    return port;
}

void console_backend_attach(mfn_t ring_mfn)
{
    ring = phys_access_frame(ring_mfn);
    console_set_input_listener(console_backend_service);
    poll_timer.fire = poll_fired;
    soft_timer_arm(&poll_timer, now_ns() + POLL_NS);
}
