/*
 * vbd: xenstore side of pvshim's PV block backend (see vbd.h). Keys and
 * their order follow what Linux 6.1's xen-blkfront reads: everything it
 * reads at InitWait exists before InitWait is written; sectors, info and
 * sector-size exist before Connected.
 */
#include "vbd.h"
#include "xenbus_backend.h"
#include "event_channel.h"
#include "grant_access.h"
#include <pvshim/heap.h>
#include <pvshim/log.h>
#include <pvshim/phys.h>
#include <pvshim/string.h>
#include <pvshim/time.h>
#include <xen/io/xenbus.h>
#include <xen/io/protocols.h>

/* Completions are polled while requests are out: often without interrupts. */
#define POLL_NS      200000ull
#define POLL_IRQ_NS  10000000ull

/* On the heap, one per disk there is (32 KiB each: the request slots). */
static struct vbd *vbds[VBD_MAX];
static unsigned nr_vbds;

unsigned vbd_count(void)
{
    return nr_vbds;
}

struct vbd *vbd_get(unsigned n)
{
    return n < nr_vbds ? vbds[n] : NULL;
}

static void set_state(struct vbd *v, int state)
{
    v->state = state;
    xenbus_be_write(v->be_path, "state", "%d", state);
    if (state == XenbusStateClosed)
        log_info("%s: closed (%llu requests, %llu errors)", v->name,
                 (unsigned long long)v->be.stats.requests,
                 (unsigned long long)v->be.stats.errors);
}

/* The frontend broke the protocol: say why where xenbus_dev_fatal would. */
static void fatal(struct vbd *v, const char *why)
{
    xenbus_be_error(v->name, "vbd", v->fe_domid, v->devid, why);
    set_state(v, XenbusStateClosing);
}

static void guest_kicked(evtchn_port_t port);

static void notify_frontend(void *arg)
{
    struct vbd *v = arg;
    evtchn_backend_notify(v->port, guest_kicked);
}

/*
 * The fallback poll runs while requests are out. An armed poll is left as
 * it is: re-arming it on every kick would reprogram the timer (a trapped
 * device write under a VMM) once per request for nothing.
 */
static void arm_poll(struct vbd *v)
{
    if ((v->disk->in_flight(v->disk) || v->closing) && !v->poll.deadline)
        soft_timer_arm(&v->poll, now_ns() + (v->disk->interrupts ? POLL_IRQ_NS : POLL_NS));
}

static void release_ring(struct vbd *v)
{
    if (v->port) {
        evtchn_backend_disconnect(v->port, guest_kicked);
        v->port = 0;
    }
    if (v->ring_frame != INVALID_MFN) {
        grant_release(v->ring_ref, true, v->ring_frame);
        v->ring_frame = INVALID_MFN;
    }
}

static void frontend_changed(struct vbd *v);

/* Closing once the device gave back every request: the ring can go then. */
static void finish_closing(struct vbd *v)
{
    if (v->disk->in_flight(v->disk))
        return;
    v->closing = false;
    release_ring(v);
    set_state(v, XenbusStateClosing);
    /* A frontend that went on to Closed meanwhile gets Closed now. */
    frontend_changed(v);
}

static void service(struct vbd *v)
{
    v->disk->poll(v->disk);
    blkback_service(&v->be);
    if (v->closing)
        finish_closing(v);
    arm_poll(v);
}

static void poll_fired(struct soft_timer *t, uint64_t now)
{
    (void)now;
    for (unsigned i = 0; i < nr_vbds; i++)
        if (&vbds[i]->poll == t)
            service(vbds[i]);
}

static void guest_kicked(evtchn_port_t port)
{
    for (unsigned i = 0; i < nr_vbds; i++)
        if (vbds[i]->port == port && vbds[i]->state == XenbusStateConnected)
            service(vbds[i]);
}

static int grant_acquire_op(void *ctx, grant_ref_t ref, bool write, mfn_t *frame)
{
    struct vbd *v = ctx;
    return grant_acquire(ref, v->be.be_domid, write, frame);
}

static void grant_release_op(void *ctx, grant_ref_t ref, bool write, mfn_t frame)
{
    grant_release(ref, write, frame);
}

static const void *frame_ptr_op(void *ctx, mfn_t frame)
{
    return phys_access_frame(frame);
}

static const struct blkback_grant_ops grant_ops = {
    grant_acquire_op, grant_release_op, frame_ptr_op,
};

/* Frontend Initialised or Connected: map its ring, bind its port, connect. */
static void connect(struct vbd *v)
{
    uint64_t ref, port, order;
    char proto[32];
    if (xenbus_be_read_uint(v->fe_path, "ring-page-order", &order) && order != 0) {
        fatal(v, "multi-page rings were not offered");
        return;
    }
    if (!xenbus_be_read_uint(v->fe_path, "ring-ref", &ref) || ref > UINT32_MAX ||
        !xenbus_be_read_uint(v->fe_path, "event-channel", &port) || port > UINT32_MAX) {
        fatal(v, "reading ring-ref and event-channel");
        return;
    }
    if (xenbus_be_read(v->fe_path, "protocol", proto, sizeof(proto)) &&
        strcmp(proto, XEN_IO_PROTO_ABI_X86_64) != 0) {
        fatal(v, "unsupported protocol");
        return;
    }
    mfn_t frame;
    if (grant_acquire((grant_ref_t)ref, v->be.be_domid, true, &frame)) {
        fatal(v, "ring grant refused");
        return;
    }
    v->ring_ref = (grant_ref_t)ref;
    v->ring_frame = frame;
    if (evtchn_backend_connect((evtchn_port_t)port, guest_kicked)) {
        release_ring(v);
        fatal(v, "binding the event channel");
        return;
    }
    v->port = (evtchn_port_t)port;
    blkback_connect(&v->be, phys_access_frame(frame));

    xenbus_be_write(v->be_path, "feature-flush-cache", "%d", v->disk->has_flush ? 1 : 0);
    xenbus_be_write(v->be_path, "feature-barrier", "0");
    xenbus_be_write(v->be_path, "feature-persistent", "0");
    if (v->disk->has_discard && !v->be.read_only) {
        xenbus_be_write(v->be_path, "discard-granularity", "%llu", (unsigned long long)
                  (v->disk->discard_granularity ? v->disk->discard_granularity : 1) *
                  BLKDEV_SECTOR_SIZE);
        xenbus_be_write(v->be_path, "discard-alignment", "0");
        xenbus_be_write(v->be_path, "discard-secure", "0");
        xenbus_be_write(v->be_path, "feature-discard", "1");
    }
    xenbus_be_write(v->be_path, "sectors", "%llu", (unsigned long long)v->disk->sectors);
    xenbus_be_write(v->be_path, "info", "%u", v->be.read_only ? VDISK_READONLY : 0);
    xenbus_be_write(v->be_path, "sector-size", "%u", BLKDEV_SECTOR_SIZE);
    xenbus_be_write(v->be_path, "physical-sector-size", "%u", v->disk->block_size);
    set_state(v, XenbusStateConnected);
    log_info("%s: connected (ring-ref %llu, event channel %llu)", v->name,
             (unsigned long long)ref, (unsigned long long)port);
    blkback_service(&v->be);
    arm_poll(v);
}

static void frontend_changed(struct vbd *v)
{
    uint64_t fe;
    if (!xenbus_be_read_uint(v->fe_path, "state", &fe))
        return;
    switch (fe) {
    case XenbusStateInitialising:
        /* A frontend starting over after Closed finds us waiting again. */
        if (v->state == XenbusStateClosed)
            set_state(v, XenbusStateInitWait);
        break;
    case XenbusStateInitialised:
    case XenbusStateConnected:
        if (v->state == XenbusStateInitWait)
            connect(v);
        break;
    case XenbusStateClosing:
        if (v->state == XenbusStateConnected) {
            blkback_disconnect(&v->be);
            v->closing = true;
            finish_closing(v);
            arm_poll(v);
        } else if (v->state == XenbusStateInitWait) {
            set_state(v, XenbusStateClosing);
        }
        break;
    case XenbusStateClosed:
    case XenbusStateUnknown:
        if (v->state == XenbusStateConnected)
            blkback_disconnect(&v->be);
        if (v->state != XenbusStateClosed && !v->closing) {
            release_ring(v);
            set_state(v, XenbusStateClosed);
        }
        break;
    default:
        break;
    }
}

static void store_event(const char *path, const char *token, void *arg)
{
    (void)path;
    (void)token;
    frontend_changed(arg);
}

int vbd_create(struct blkdev *disk, domid_t fe_domid, unsigned index)
{
    if (nr_vbds == VBD_MAX || index >= 16)
        return -XEN_ENOSPC;
    /* A slot whose creation failed keeps its state for the next try. */
    if (!vbds[nr_vbds] && !(vbds[nr_vbds] = heap_alloc(sizeof(struct vbd))))
        return -XEN_ENOMEM;
    struct vbd *v = vbds[nr_vbds];
    memset(v, 0, sizeof(*v));
    v->disk = disk;
    v->fe_domid = fe_domid;
    v->devid = (202u << 8) | (index << 4);
    v->ring_frame = INVALID_MFN;
    snprintf(v->name, sizeof(v->name), "xvd%c", 'a' + index);
    snprintf(v->token, sizeof(v->token), "vbd%u", nr_vbds);
    snprintf(v->fe_path, sizeof(v->fe_path), "/local/domain/%u/device/vbd/%u",
             (unsigned)fe_domid, v->devid);
    snprintf(v->be_path, sizeof(v->be_path), "/local/domain/0/backend/vbd/%u/%u",
             (unsigned)fe_domid, v->devid);
    v->poll.fire = poll_fired;
    v->be = (struct blkback){
        .disk = disk, .be_domid = BACKEND_DOMID, .read_only = disk->read_only,
        .grants = &grant_ops, .grants_ctx = v, .notify = notify_frontend, .notify_arg = v,
        .name = v->name,
        /* Indirect requests need the device to take that many buffers at once. */
        .indirect_segs = disk->max_segs >= BLKBACK_MAX_SEGS ? BLKBACK_MAX_SEGS : 0,
    };

    /* Backend directory: ours, readable by the guest. */
    int rc = xenbus_be_create_dirs(v->be_path, v->fe_path, fe_domid);
    if (rc)
        return rc;
    xenbus_be_write(v->be_path, "removable", "0");
    xenbus_be_write(v->be_path, "bootable", "1");
    xenbus_be_write(v->be_path, "dev", "%s", v->name);
    xenbus_be_write(v->be_path, "type", "phy");
    xenbus_be_write(v->be_path, "params", "%s", disk->name);
    xenbus_be_write(v->be_path, "mode", "%s", v->be.read_only ? "r" : "w");
    xenbus_be_write(v->be_path, "device-type", "disk");
    xenbus_be_write(v->be_path, "feature-flush-cache", "%d", disk->has_flush ? 1 : 0);
    xenbus_be_write(v->be_path, "feature-barrier", "0");
    if (v->be.indirect_segs)
        xenbus_be_write(v->be_path, "feature-max-indirect-segments", "%u", v->be.indirect_segs);
    xenbus_be_write(v->be_path, "state", "%d", XenbusStateInitialising);
    xenbus_be_write(v->fe_path, "virtual-device", "%u", v->devid);
    xenbus_be_write(v->fe_path, "device-type", "disk");
    xenbus_be_write(v->fe_path, "trusted", "1");
    xenbus_be_write(v->fe_path, "state", "%d", XenbusStateInitialising);
    nr_vbds++;

    /* Nothing more to learn before the frontend comes: wait for it. */
    set_state(v, XenbusStateInitWait);
    rc = xenbus_be_watch_frontend(v->fe_path, v->token, store_event, v);
    log_info("%s: vbd %u for %s (%llu sectors%s%s)", v->name, v->devid, disk->name,
             (unsigned long long)disk->sectors, v->be.read_only ? ", read-only" : "",
             disk->has_flush ? ", flush" : "");
    return rc;
}
