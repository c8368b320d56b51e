/*
 * The built-in xenstore joined to the guest: its ring is the store page of
 * start_info, its doorbell the store event channel. Work the guest leaves
 * undone (replies it has not read yet) is retried shortly after.
 */
#include "xenstore_backend.h"
#include "xenstore.h"
#include "event_channel.h"
#include <pvshim/phys.h>
#include <pvshim/soft_timer.h>
#include <pvshim/time.h>
#include <pvshim/log.h>

#define RETRY_NS 10000000ull

static evtchn_port_t port;
static struct soft_timer retry_timer;

static void serve(void)
{
    if (xenstore_guest_notified())
        soft_timer_arm(&retry_timer, now_ns() + RETRY_NS);
}

static void guest_notified(evtchn_port_t p)
{
    (void)p;
    serve();
}

static void retry_fired(struct soft_timer *t, uint64_t now)
{
    (void)t;
    (void)now;
    serve();
}

static void notify_guest(void *arg)
{
    (void)arg;
    evtchn_set_pending(port);
}

evtchn_port_t xenstore_backend_bind(void)
{
    port = evtchn_bind_backend(guest_notified);
    return port;
}

void xenstore_backend_attach(mfn_t ring_mfn, const struct xenstore_guest_params *params)
{
    struct xenstore_domain_interface *ring = phys_access_frame(ring_mfn);
    retry_timer.fire = retry_fired;
    if (!ring || xenstore_init(params, NULL, ring, notify_guest, NULL))
        log_warn("xenstore: could not start; the guest will find no store");
}
