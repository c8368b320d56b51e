/*
 * The node table and the view a request has of it. Outside a transaction
 * a request reads and changes the table directly; inside one, changed
 * nodes live in the transaction's overlay and every node it touches is
 * recorded with the generation it had, so the commit can tell whether
 * anyone changed it meanwhile.
 *
 * Accounting invariant: xstore.guest_nodes counts the table's nodes owned by
 * the guest; a transaction keeps the change it would make in
 * guest_node_delta.
 */
#include <pvshim/string.h>
#include "xs.h"

static uint32_t hash_name(const char *name, size_t len)
{
    uint32_t h = 5381;
    for (size_t i = 0; i < len; i++)
        h = h * 33 + (uint8_t)name[i];
    return h % XS_HASH_BUCKETS;
}

static bool is_guest(domid_t id)
{
    return id == xstore.guest_domid;
}

const struct xs_node *store_lookup(const char *name, size_t len)
{
    for (struct xs_node *n = xstore.bucket[hash_name(name, len)]; n; n = n->hash_next)
        if (n->namelen == len && memcmp(n->name, name, len) == 0)
            return n;
    return NULL;
}

/* Unlink and return the node of that name, or NULL. */
static struct xs_node *unlink_node(const char *name, size_t len)
{
    struct xs_node **pp = &xstore.bucket[hash_name(name, len)];
    for (; *pp; pp = &(*pp)->hash_next) {
        struct xs_node *n = *pp;
        if (n->namelen == len && memcmp(n->name, name, len) == 0) {
            *pp = n->hash_next;
            n->hash_next = NULL;
            xstore.nr_nodes--;
            if (is_guest(node_owner(n)))
                xstore.guest_nodes--;
            return n;
        }
    }
    return NULL;
}

void store_insert(struct xs_node *n)
{
    struct xs_node *old = unlink_node(n->name, n->namelen);
    if (old)
        node_free(old);
    /* The table's nodes are charged to their owner. */
    xs_recharge(n, node_owner(n));
    uint32_t b = hash_name(n->name, n->namelen);
    n->hash_next = xstore.bucket[b];
    xstore.bucket[b] = n;
    xstore.nr_nodes++;
    if (is_guest(node_owner(n)))
        xstore.guest_nodes++;
}

void store_remove(const char *name, size_t len)
{
    struct xs_node *old = unlink_node(name, len);
    if (old)
        node_free(old);
}

void store_reset(void)
{
    for (unsigned b = 0; b < XS_HASH_BUCKETS; b++) {
        struct xs_node *n = xstore.bucket[b];
        while (n) {
            struct xs_node *next = n->hash_next;
            node_free(n);
            n = next;
        }
        xstore.bucket[b] = NULL;
    }
    xstore.nr_nodes = 0;
    xstore.guest_nodes = 0;
}

int store_put_initial(const char *name, const struct xs_perm *perms, unsigned nperms,
                      const char *children, size_t childlen)
{
    int err;
    struct xs_node *n = node_build(perms[0].id, false, 0, name, strlen(name), perms, nperms,
                                   NULL, 0, children, childlen, &err);
    if (!n)
        return err;
    n->generation = ++xstore.generation;
    store_insert(n);
    return XS_OK;
}

/* ------------------------------------------------------------ views */

domid_t view_charge(const struct xs_ctx *c, domid_t owner)
{
    /* A transaction's private nodes are the transaction owner's memory. */
    return c->tx ? c->conn->domid : owner;
}

uint32_t view_guest_nodes(const struct xs_ctx *c)
{
    int64_t n = (int64_t)xstore.guest_nodes + (c->tx ? c->tx->guest_node_delta : 0);
    return n < 0 ? 0 : (uint32_t)n;
}

static int guest_count_change(const struct xs_node *before, const struct xs_node *after)
{
    return (after && is_guest(node_owner(after))) - (before && is_guest(node_owner(before)));
}

int view_get(struct xs_ctx *c, const char *name, size_t len, const struct xs_node **out)
{
    if (!c->tx) {
        *out = store_lookup(name, len);
        return XS_OK;
    }
    struct xs_tx_entry *e;
    int err = tx_entry_get(c->tx, name, len, &e);
    if (err)
        return err;
    *out = e->modified ? e->node : store_lookup(name, len);
    return XS_OK;
}

int view_set(struct xs_ctx *c, struct xs_node *n)
{
    n->generation = ++xstore.generation;
    if (!c->tx) {
        store_insert(n);
        return XS_OK;
    }
    struct xs_tx_entry *e;
    int err = tx_entry_get(c->tx, n->name, n->namelen, &e);
    if (err) {
        node_free(n);
        return err;
    }
    const struct xs_node *before = e->modified ? e->node : store_lookup(n->name, n->namelen);
    c->tx->guest_node_delta += guest_count_change(before, n);
    if (e->modified && e->node)
        node_free(e->node);
    e->node = n;
    e->modified = true;
    return XS_OK;
}

int view_del(struct xs_ctx *c, const char *name, size_t len)
{
    ++xstore.generation;
    if (!c->tx) {
        store_remove(name, len);
        return XS_OK;
    }
    struct xs_tx_entry *e;
    int err = tx_entry_get(c->tx, name, len, &e);
    if (err)
        return err;
    const struct xs_node *before = e->modified ? e->node : store_lookup(name, len);
    c->tx->guest_node_delta += guest_count_change(before, NULL);
    if (e->modified && e->node)
        node_free(e->node);
    e->node = NULL;
    e->modified = true;
    return XS_OK;
}
