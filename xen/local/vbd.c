/*
 * vbd: xenstore side of pvshim's PV block backend (see vbd.h). Keys and
 * their order follow what Linux 6.1's xen-blkfront reads: everything it
 * reads at InitWait exists before InitWait is written; sectors, info and
 * sector-size exist before Connected.
 */
#include "vbd.h"
#include "xenstore.h"
#include "event_channel.h"
#include "grant_access.h"
#include <pvshim/log.h>
#include <pvshim/phys.h>
#include <pvshim/string.h>
#include <pvshim/time.h>
#include <xen/io/xenbus.h>
#include <xen/io/protocols.h>

/* Completions are polled while requests are out: often without interrupts. */
#define POLL_NS      200000ull
#define POLL_IRQ_NS  10000000ull

static struct vbd vbds[VBD_MAX];
static unsigned nr_vbds;

unsigned vbd_count(void)
{
    return nr_vbds;
}

struct vbd *vbd_get(unsigned n)
{
    return n < nr_vbds ? &vbds[n] : NULL;
}

static int write_key(const char *dir, const char *key, const char *fmt, ...) PRINTF_LIKE(3, 4);
static int write_key(const char *dir, const char *key, const char *fmt, ...)
{
    char path[128], value[64];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(value, sizeof(value), fmt, ap);
    va_end(ap);
    snprintf(path, sizeof(path), "%s/%s", dir, key);
    return xenstore_dom0_write_str(path, value);
}

static bool read_key(const char *dir, const char *key, char *buf, size_t size)
{
    char path[128];
    size_t len;
    snprintf(path, sizeof(path), "%s/%s", dir, key);
    return xenstore_dom0_read(path, buf, size, &len) == 0 && len < size;
}

static bool read_uint(const char *dir, const char *key, uint64_t *v)
{
    char buf[24];
    if (!read_key(dir, key, buf, sizeof(buf)) || !buf[0])
        return false;
    uint64_t n = 0;
    for (const char *p = buf; *p; p++) {
        if (*p < '0' || *p > '9' || n > (UINT64_MAX - 9) / 10)
            return false;
        n = n * 10 + (uint64_t)(*p - '0');
    }
    *v = n;
    return true;
}

static void set_state(struct vbd *v, int state)
{
    v->state = state;
    write_key(v->be_path, "state", "%d", state);
    if (state == XenbusStateClosed)
        log_info("%s: closed (%llu requests, %llu errors)", v->name,
                 (unsigned long long)v->be.stats.requests,
                 (unsigned long long)v->be.stats.errors);
}

/* The frontend broke the protocol: say why where xenbus_dev_fatal would. */
static void fatal(struct vbd *v, const char *why)
{
    log_warn("%s: %s", v->name, why);
    char path[128];
    snprintf(path, sizeof(path), "/local/domain/0/error/backend/vbd/%u/%u/error",
             (unsigned)v->fe_domid, v->devid);
    xenstore_dom0_write_str(path, why);
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
        if (&vbds[i].poll == t)
            service(&vbds[i]);
}

static void guest_kicked(evtchn_port_t port)
{
    for (unsigned i = 0; i < nr_vbds; i++)
        if (vbds[i].port == port && vbds[i].state == XenbusStateConnected)
            service(&vbds[i]);
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
    if (read_uint(v->fe_path, "ring-page-order", &order) && order != 0) {
        fatal(v, "multi-page rings were not offered");
        return;
    }
    if (!read_uint(v->fe_path, "ring-ref", &ref) || ref > UINT32_MAX ||
        !read_uint(v->fe_path, "event-channel", &port) || port > UINT32_MAX) {
        fatal(v, "reading ring-ref and event-channel");
        return;
    }
    if (read_key(v->fe_path, "protocol", proto, sizeof(proto)) &&
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

    write_key(v->be_path, "feature-flush-cache", "%d", v->disk->has_flush ? 1 : 0);
    write_key(v->be_path, "feature-barrier", "0");
    write_key(v->be_path, "feature-persistent", "0");
    if (v->disk->has_discard && !v->be.read_only) {
        write_key(v->be_path, "discard-granularity", "%llu", (unsigned long long)
                  (v->disk->discard_granularity ? v->disk->discard_granularity : 1) *
                  BLKDEV_SECTOR_SIZE);
        write_key(v->be_path, "discard-alignment", "0");
        write_key(v->be_path, "discard-secure", "0");
        write_key(v->be_path, "feature-discard", "1");
    }
    write_key(v->be_path, "sectors", "%llu", (unsigned long long)v->disk->sectors);
    write_key(v->be_path, "info", "%u", v->be.read_only ? VDISK_READONLY : 0);
    write_key(v->be_path, "sector-size", "%u", BLKDEV_SECTOR_SIZE);
    write_key(v->be_path, "physical-sector-size", "%u", v->disk->block_size);
    set_state(v, XenbusStateConnected);
    log_info("%s: connected (ring-ref %llu, event channel %llu)", v->name,
             (unsigned long long)ref, (unsigned long long)port);
    blkback_service(&v->be);
    arm_poll(v);
}

static void frontend_changed(struct vbd *v)
{
    uint64_t fe;
    if (!read_uint(v->fe_path, "state", &fe))
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
    struct vbd *v = &vbds[nr_vbds];
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
    const struct xenstore_perm be_perms[] = { { BACKEND_DOMID, 'n' }, { fe_domid, 'r' } };
    const struct xenstore_perm fe_perms[] = { { fe_domid, 'n' }, { BACKEND_DOMID, 'r' } };
    int rc = xenstore_dom0_mkdir(v->be_path);
    if (!rc)
        rc = xenstore_dom0_set_perms(v->be_path, be_perms, 2);
    if (!rc)
        rc = xenstore_dom0_mkdir(v->fe_path);
    if (!rc)
        rc = xenstore_dom0_set_perms(v->fe_path, fe_perms, 2);
    if (rc)
        return rc;
    write_key(v->be_path, "frontend", "%s", v->fe_path);
    write_key(v->be_path, "frontend-id", "%u", (unsigned)fe_domid);
    write_key(v->be_path, "online", "1");
    write_key(v->be_path, "removable", "0");
    write_key(v->be_path, "bootable", "1");
    write_key(v->be_path, "dev", "%s", v->name);
    write_key(v->be_path, "type", "phy");
    write_key(v->be_path, "params", "%s", disk->name);
    write_key(v->be_path, "mode", "%s", v->be.read_only ? "r" : "w");
    write_key(v->be_path, "device-type", "disk");
    write_key(v->be_path, "feature-flush-cache", "%d", disk->has_flush ? 1 : 0);
    write_key(v->be_path, "feature-barrier", "0");
    if (v->be.indirect_segs)
        write_key(v->be_path, "feature-max-indirect-segments", "%u", v->be.indirect_segs);
    write_key(v->be_path, "state", "%d", XenbusStateInitialising);
    write_key(v->fe_path, "backend", "%s", v->be_path);
    write_key(v->fe_path, "backend-id", "%u", (unsigned)BACKEND_DOMID);
    write_key(v->fe_path, "virtual-device", "%u", v->devid);
    write_key(v->fe_path, "device-type", "disk");
    write_key(v->fe_path, "trusted", "1");
    write_key(v->fe_path, "state", "%d", XenbusStateInitialising);
    nr_vbds++;

    /* Nothing more to learn before the frontend comes: wait for it. */
    set_state(v, XenbusStateInitWait);
    char watch[96];
    snprintf(watch, sizeof(watch), "%s/state", v->fe_path);
    rc = xenstore_dom0_watch(watch, v->token, store_event, v);
    log_info("%s: vbd %u for %s (%llu sectors%s%s)", v->name, v->devid, disk->name,
             (unsigned long long)disk->sectors, v->be.read_only ? ", read-only" : "",
             disk->has_flush ? ", flush" : "");
    return rc;
}
