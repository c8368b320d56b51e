/*
 * vif: xenstore side of pvshim's PV network backend (see vif.h). Keys and
 * their order follow what Linux 6.1's xen-netfront reads: the features
 * (feature-rx-copy above all) exist before InitWait is written; the
 * frontend's mac is there from the start. netfront writes its rings and
 * goes straight to Connected; Initialised is taken the same way.
 */
#include "vif.h"
#include "xenbus_backend.h"
#include "event_channel.h"
#include "grant_access.h"
#include <pvshim/heap.h>
#include <pvshim/log.h>
#include <pvshim/phys.h>
#include <pvshim/string.h>
#include <pvshim/time.h>
#include <xen/io/xenbus.h>

/* The fallback poll: frames and free send buffers the device did not signal. */
#define POLL_NS      1000000ull
#define POLL_IRQ_NS  20000000ull

static struct vif vifs[VIF_MAX];
/*
 * Where a GSO packet is cut into segments for a device without TSO: taken
 * from the heap for such a vif only, once per slot (the heap never frees).
 * Without one the vif offers no GSO the device cannot take itself.
 */
static uint8_t *gso_bufs[VIF_MAX];
static unsigned nr_vifs;

unsigned vif_count(void)
{
    return nr_vifs;
}

struct vif *vif_get(unsigned n)
{
    return n < nr_vifs ? &vifs[n] : NULL;
}

static bool connected(const struct vif *v)
{
    return v->state == XenbusStateConnected;
}

static void set_state(struct vif *v, int state)
{
    v->state = state;
    xenbus_be_write(v->be_path, "state", "%d", state);
    if (state == XenbusStateClosed)
        log_info("%s: closed (tx %llu packets %llu bytes %llu errors %llu segments cut, "
                 "rx %llu packets %llu bytes %llu errors; %llu services, %llu notifications)",
                 v->name,
                 (unsigned long long)v->be.stats.tx_packets,
                 (unsigned long long)v->be.stats.tx_bytes,
                 (unsigned long long)v->be.stats.tx_errors,
                 (unsigned long long)v->be.stats.tx_segments,
                 (unsigned long long)v->be.stats.rx_packets,
                 (unsigned long long)v->be.stats.rx_bytes,
                 (unsigned long long)v->be.stats.rx_errors,
                 (unsigned long long)v->be.stats.services,
                 (unsigned long long)v->be.stats.notifies);
}

/* The frontend broke the protocol: say why where xenbus_dev_fatal would. */
static void fatal(struct vif *v, const char *why)
{
    xenbus_be_error(v->name, "vif", v->fe_domid, v->devid, why);
    set_state(v, XenbusStateClosing);
}

static void guest_kicked(evtchn_port_t port);

static void notify_frontend(void *arg)
{
    struct vif *v = arg;
    evtchn_backend_notify(v->port, guest_kicked);
}

static void arm_poll(struct vif *v)
{
    if (connected(v))
        soft_timer_arm(&v->poll, now_ns() + (v->dev->interrupts ? POLL_IRQ_NS : POLL_NS));
}

static void release_rings(struct vif *v)
{
    netback_disconnect(&v->be);
    if (v->port) {
        evtchn_backend_disconnect(v->port, guest_kicked);
        v->port = 0;
    }
    if (v->tx_frame != INVALID_MFN) {
        grant_release(v->tx_ref, true, v->tx_frame);
        v->tx_frame = INVALID_MFN;
    }
    if (v->rx_frame != INVALID_MFN) {
        grant_release(v->rx_ref, true, v->rx_frame);
        v->rx_frame = INVALID_MFN;
    }
}

/* The device has frames or free send buffers (interrupt or poll). */
static void device_event(void *arg)
{
    struct vif *v = arg;
    if (connected(v))
        netback_service(&v->be);
}

static void poll_fired(struct soft_timer *t, uint64_t now)
{
    (void)now;
    for (unsigned i = 0; i < nr_vifs; i++)
        if (&vifs[i].poll == t && connected(&vifs[i])) {
            vifs[i].dev->poll(vifs[i].dev);
            arm_poll(&vifs[i]);
        }
}

static void guest_kicked(evtchn_port_t port)
{
    for (unsigned i = 0; i < nr_vifs; i++)
        if (vifs[i].port == port && connected(&vifs[i]))
            netback_service(&vifs[i].be);
}

static int grant_acquire_op(void *ctx, grant_ref_t ref, bool write, mfn_t *frame)
{
    struct vif *v = ctx;
    return grant_acquire(ref, v->be.be_domid, write, frame);
}

static void grant_release_op(void *ctx, grant_ref_t ref, bool write, mfn_t frame)
{
    grant_release(ref, write, frame);
}

static void *frame_ptr_op(void *ctx, mfn_t frame)
{
    return phys_access_frame(frame);
}

static const struct netback_grant_ops grant_ops = {
    grant_acquire_op, grant_release_op, frame_ptr_op,
};

/* Hold a ring page the frontend granted. */
static bool take_ring(struct vif *v, const char *key, grant_ref_t *ref, mfn_t *frame)
{
    uint64_t r;
    if (!xenbus_be_read_uint(v->fe_path, key, &r) || r > UINT32_MAX)
        return false;
    mfn_t f;
    if (grant_acquire((grant_ref_t)r, v->be.be_domid, true, &f))
        return false;
    *ref = (grant_ref_t)r;
    *frame = f;
    return true;
}

/* Frontend Initialised or Connected: map its rings, bind its port, connect. */
static void connect(struct vif *v)
{
    uint64_t port, v64;
    char buf[8];
    if (xenbus_be_read_uint(v->fe_path, "multi-queue-num-queues", &v64) && v64 > 1) {
        fatal(v, "multiple queues were not offered");
        return;
    }
    if (xenbus_be_read(v->fe_path, "event-channel-tx", buf, sizeof(buf))) {
        fatal(v, "split event channels were not offered");
        return;
    }
    if (!xenbus_be_read_uint(v->fe_path, "request-rx-copy", &v64) || v64 != 1) {
        fatal(v, "the frontend does not ask for rx-copy, the only receive mode offered");
        return;
    }
    if (!xenbus_be_read_uint(v->fe_path, "feature-rx-notify", &v64) || v64 != 1) {
        fatal(v, "feature-rx-notify is required");
        return;
    }
    if (!xenbus_be_read_uint(v->fe_path, "event-channel", &port) || port > UINT32_MAX) {
        fatal(v, "reading event-channel");
        return;
    }
    if (!take_ring(v, "tx-ring-ref", &v->tx_ref, &v->tx_frame) ||
        !take_ring(v, "rx-ring-ref", &v->rx_ref, &v->rx_frame)) {
        release_rings(v);
        fatal(v, "reading or holding tx-ring-ref and rx-ring-ref");
        return;
    }
    if (evtchn_backend_connect((evtchn_port_t)port, guest_kicked)) {
        release_rings(v);
        fatal(v, "binding the event channel");
        return;
    }
    v->port = (evtchn_port_t)port;
    netback_connect(&v->be, phys_access_frame(v->tx_frame), phys_access_frame(v->rx_frame));
    set_state(v, XenbusStateConnected);
    log_info("%s: connected (tx-ring-ref %u, rx-ring-ref %u, event channel %llu)", v->name,
             v->tx_ref, v->rx_ref, (unsigned long long)port);
    netback_service(&v->be);
    arm_poll(v);
}

static void frontend_changed(struct vif *v)
{
    uint64_t fe;
    if (!xenbus_be_read_uint(v->fe_path, "state", &fe))
        return;
    switch (fe) {
    case XenbusStateInitialising:
        if (v->state == XenbusStateClosed)
            set_state(v, XenbusStateInitWait);
        break;
    case XenbusStateInitialised:
    case XenbusStateConnected:
        if (v->state == XenbusStateInitWait)
            connect(v);
        break;
    case XenbusStateClosing:
        if (v->state == XenbusStateConnected || v->state == XenbusStateInitWait) {
            soft_timer_cancel(&v->poll);
            release_rings(v);
            set_state(v, XenbusStateClosing);
        }
        break;
    case XenbusStateClosed:
    case XenbusStateUnknown:
        if (v->state != XenbusStateClosed) {
            soft_timer_cancel(&v->poll);
            release_rings(v);
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

int vif_create(struct netdev *dev, domid_t fe_domid, unsigned index)
{
    if (nr_vifs == VIF_MAX)
        return -XEN_ENOSPC;
    struct vif *v = &vifs[nr_vifs];
    memset(v, 0, sizeof(*v));
    v->dev = dev;
    v->fe_domid = fe_domid;
    v->devid = index;
    v->tx_frame = v->rx_frame = INVALID_MFN;
    snprintf(v->name, sizeof(v->name), "vif%u", index);
    snprintf(v->token, sizeof(v->token), "vif%u", index);
    snprintf(v->fe_path, sizeof(v->fe_path), "/local/domain/%u/device/vif/%u",
             (unsigned)fe_domid, v->devid);
    snprintf(v->be_path, sizeof(v->be_path), "/local/domain/0/backend/vif/%u/%u",
             (unsigned)fe_domid, v->devid);
    v->poll.fire = poll_fired;
    if (!(dev->has_tso4 && dev->has_tso6) && !gso_bufs[nr_vifs])
        gso_bufs[nr_vifs] = heap_alloc(NETDEV_TX_MAX);
    uint8_t *gso_buf = dev->has_tso4 && dev->has_tso6 ? NULL : gso_bufs[nr_vifs];
    v->be = (struct netback){
        .dev = dev, .be_domid = BACKEND_DOMID,
        .feat = { .sg = true, .gso_tcpv4 = dev->has_tso4 || gso_buf,
                  .gso_tcpv6 = dev->has_tso6 || gso_buf, .ipv6_csum = true },
        .grants = &grant_ops, .grants_ctx = v, .notify = notify_frontend, .notify_arg = v,
        .name = v->name, .gso_buf = gso_buf,
    };
    dev->on_event = device_event;
    dev->event_arg = v;

    char mac[18];
    snprintf(mac, sizeof(mac), "%02x:%02x:%02x:%02x:%02x:%02x", dev->mac[0], dev->mac[1],
             dev->mac[2], dev->mac[3], dev->mac[4], dev->mac[5]);
    int rc = xenbus_be_create_dirs(v->be_path, v->fe_path, fe_domid);
    if (rc)
        return rc;
    xenbus_be_write(v->be_path, "mac", "%s", mac);
    xenbus_be_write(v->be_path, "handle", "%u", v->devid);
    xenbus_be_write(v->be_path, "type", "vif");
    xenbus_be_write(v->be_path, "params", "%s", dev->name);
    xenbus_be_write(v->be_path, "hotplug-status", "connected");
    xenbus_be_write(v->be_path, "feature-rx-copy", "1");
    xenbus_be_write(v->be_path, "feature-rx-flip", "0");
    xenbus_be_write(v->be_path, "feature-sg", "%d", v->be.feat.sg ? 1 : 0);
    xenbus_be_write(v->be_path, "feature-gso-tcpv4", "%d", v->be.feat.gso_tcpv4 ? 1 : 0);
    xenbus_be_write(v->be_path, "feature-gso-tcpv6", "%d", v->be.feat.gso_tcpv6 ? 1 : 0);
    xenbus_be_write(v->be_path, "feature-ipv6-csum-offload", "%d", v->be.feat.ipv6_csum ? 1 : 0);
    xenbus_be_write(v->be_path, "state", "%d", XenbusStateInitialising);
    xenbus_be_write(v->fe_path, "handle", "%u", v->devid);
    xenbus_be_write(v->fe_path, "mac", "%s", mac);
    xenbus_be_write(v->fe_path, "trusted", "1");
    xenbus_be_write(v->fe_path, "state", "%d", XenbusStateInitialising);
    nr_vifs++;

    set_state(v, XenbusStateInitWait);
    rc = xenbus_be_watch_frontend(v->fe_path, v->token, store_event, v);
    log_info("%s: vif %u for %s, mac %s, gso-tcpv4 by %s, gso-tcpv6 by %s", v->name, v->devid,
             dev->name, mac, dev->has_tso4 ? "the device" : "pvshim",
             dev->has_tso6 ? "the device" : "pvshim");
    return rc;
}
