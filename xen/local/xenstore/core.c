/*
 * Lifecycle of pvshim's xenstore: the one global state, the initial tree
 * (xenstored's own nodes, then the guest's as libxl writes them), and the
 * entry point for the guest's notifications.
 */
#include <pvshim/string.h>
#include <pvshim/log.h>
#include "xs.h"

struct xs_state xstore;

static void conn_init(struct xs_conn *c, domid_t domid, bool privileged)
{
    c->domid = domid;
    c->privileged = privileged;
    int n = snprintf(c->home, sizeof(c->home), "/local/domain/%u", (unsigned)domid);
    c->homelen = (uint16_t)n;
    c->next_tx_id = 1;
}

static uint32_t or_default(uint32_t v, uint32_t def)
{
    return v ? v : def;
}

static int create_base_nodes(void)
{
    /* xenstored's setup_structure(): everything owned by dom0, no access for others. */
    static const struct xs_perm dom0_only[1] = { { .id = 0, .access = XS_PERM_NONE } };
    int err = store_put_initial("/", dom0_only, 1, "tool", 5);
    if (!err)
        err = store_put_initial("/tool", dom0_only, 1, "xenstored", 10);
    if (!err)
        err = store_put_initial("/tool/xenstored", dom0_only, 1, NULL, 0);
    if (!err)
        err = store_put_initial("@releaseDomain", dom0_only, 1, NULL, 0);
    if (!err)
        err = store_put_initial("@introduceDomain", dom0_only, 1, NULL, 0);
    return err;
}

static bool params_valid(const struct xenstore_guest_params *p)
{
    return p && p->domid != 0 && p->domid < DOMID_FIRST_RESERVED && p->name &&
           strnlen(p->name, XENSTORE_PAYLOAD_MAX) < 256 && p->memory_kb != 0 &&
           p->vcpus >= 1 && p->vcpus <= 512;
}

int xenstore_init(const struct xenstore_guest_params *params,
                  const struct xenstore_quota *quota,
                  struct xenstore_domain_interface *ring,
                  xenstore_notify_fn notify, void *notify_arg)
{
    if (xstore.up)
        return -XEN_EBUSY;
    if (!params_valid(params) || !ring)
        return -XEN_EINVAL;

    memset(&xstore, 0, sizeof(xstore));
    xstore.guest_domid = params->domid;
    xstore.guest_vcpus = params->vcpus;
    struct xenstore_quota q = quota ? *quota : (struct xenstore_quota){ 0 };
    xstore.quota.nodes = or_default(q.nodes, XS_DEFAULT_NODES);
    xstore.quota.node_size = or_default(q.node_size, XS_DEFAULT_NODE_SIZE);
    xstore.quota.watches = or_default(q.watches, XS_DEFAULT_WATCHES);
    xstore.quota.transactions = or_default(q.transactions, XS_DEFAULT_TRANSACTIONS);
    xstore.quota.perms = or_default(q.perms, XS_DEFAULT_PERMS);
    xstore.quota.tx_nodes = or_default(q.tx_nodes, XS_DEFAULT_TX_NODES);
    xstore.quota.memory = or_default(q.memory, XS_DEFAULT_MEMORY);

    conn_init(&xstore.guest, params->domid, false);
    conn_init(&xstore.dom0, 0, true);

    int err = create_base_nodes();
    if (!err)
        err = guest_nodes_create(params);
    if (err) {
        log_err("xenstore: cannot build the initial tree (error %d)\n", err);
        store_reset();
        memset(&xstore, 0, sizeof(xstore));
        return err;
    }
    ring_init(ring, notify, notify_arg);
    xstore.up = true;
    log_info("xenstore: serving domain %u (%u nodes)\n", (unsigned)params->domid,
             xstore.nr_nodes);
    return XS_OK;
}

void xenstore_teardown(void)
{
    if (!xstore.up)
        return;
    tx_destroy_all(&xstore.guest);
    tx_destroy_all(&xstore.dom0);
    watch_remove_all(&xstore.guest);
    watch_remove_all(&xstore.dom0);
    store_reset();
    memset(&xstore, 0, sizeof(xstore));
}

/* The guest's events go to its ring, pvshim's to its handler. */
bool conn_deliver(struct xs_conn *c, const char *path, const char *token, bool special)
{
    return c == &xstore.guest ? ring_deliver_event(c, path, token, special)
                          : dom0_deliver_event(c, path, token, special);
}

void xs_finish(void)
{
    if (!xstore.ev.draining)
        dom0_drain_events();
    ring_flush();
    if (xstore.ring.moved) {
        xstore.ring.moved = false;
        if (xstore.ring.notify)
            xstore.ring.notify(xstore.ring.notify_arg);
    }
}

bool xenstore_guest_notified(void)
{
    if (!xstore.up)
        return false;
    bool more = ring_process();
    xs_finish();
    return more;
}

bool xenstore_guest_connection_broken(void)
{
    return xstore.up && xstore.ring.broken;
}
