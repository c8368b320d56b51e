/*
 * Transactions. A transaction records every node it looks at with the
 * generation the table had for it at that moment (or "absent"), and keeps
 * the nodes it changes in a private overlay. Commit fails with EAGAIN if
 * any recorded node's generation differs from the table's now: something
 * the transaction read or wrote changed meanwhile. Otherwise the overlay
 * replaces the table's versions and the watch events the transaction's
 * changes earned are fired, once each.
 *
 * Because every change to a node's children rewrites the parent (new
 * generation), a concurrent create or delete below a node the transaction
 * saw is a conflict too.
 */
#include <pvshim/string.h>
#include "xs.h"

struct xs_tx *tx_lookup(struct xs_conn *c, uint32_t id)
{
    for (struct xs_tx *t = c->txs; t; t = t->next)
        if (t->id == id)
            return t;
    return NULL;
}

int tx_start(struct xs_conn *c, uint32_t *id)
{
    if (!c->privileged && c->ntxs >= xstore.quota.transactions)
        return -XEN_ENOSPC;
    struct xs_tx *t = xs_alloc(c->domid, sizeof(*t), !c->privileged, 0);
    if (!t)
        return -XEN_ENOMEM;
    memset(t, 0, sizeof(*t));
    t->conn = c;
    t->tail = &t->entries;
    /* Ids are never 0 (no transaction) and never one in use; at most ntxs + 2 tries. */
    do {
        t->id = c->next_tx_id++;
    } while (t->id == 0 || tx_lookup(c, t->id));
    t->next = c->txs;
    c->txs = t;
    c->ntxs++;
    *id = t->id;
    return XS_OK;
}

struct xs_tx_entry *tx_entry_find(struct xs_tx *tx, const char *name, size_t len)
{
    for (struct xs_tx_entry *e = tx->entries; e; e = e->next)
        if (e->namelen == len && memcmp(e->name, name, len) == 0)
            return e;
    return NULL;
}

int tx_entry_get(struct xs_tx *tx, const char *name, size_t len, struct xs_tx_entry **out)
{
    struct xs_tx_entry *e = tx_entry_find(tx, name, len);
    if (e) {
        *out = e;
        return XS_OK;
    }
    struct xs_conn *c = tx->conn;
    if (!c->privileged && tx->nentries >= xstore.quota.tx_nodes) {
        tx->failed = true;
        return -XEN_ENOSPC;
    }
    const struct xs_node *now = store_lookup(name, len);
    unsigned nperms = now ? now->nperms : 0;
    size_t size = sizeof(*e) + len + 1 + nperms * sizeof(struct xs_perm) + sizeof(struct xs_perm);
    e = xs_alloc(c->domid, size, !c->privileged, 0);
    if (!e) {
        tx->failed = true;
        return -XEN_ENOMEM;
    }
    memset(e, 0, sizeof(*e));
    memcpy(e->name, name, len);
    e->name[len] = '\0';
    e->namelen = (uint16_t)len;
    e->base_gen = now ? now->generation : XS_GEN_NONE;
    if (now) {
        /* Permissions follow the name, aligned for struct xs_perm. */
        uintptr_t at = ALIGN_UP((uintptr_t)(e->name + len + 1), _Alignof(struct xs_perm));
        e->perms = (struct xs_perm *)at;
        memcpy(e->perms, now->perms, nperms * sizeof(struct xs_perm));
        e->nperms = (uint16_t)nperms;
    }
    *tx->tail = e;
    tx->tail = &e->next;
    tx->nentries++;
    *out = e;
    return XS_OK;
}

void tx_queue_event(struct xs_tx *tx, const char *name, uint8_t match)
{
    struct xs_tx_entry *e = tx_entry_find(tx, name, strlen(name));
    if (!e) {
        /* Every changed node was looked at first; if not, do not commit blind. */
        tx->failed = true;
        return;
    }
    if (!e->fire) {
        e->fire = true;
        e->match = match;
    } else if (match == MATCH_SUBTREE) {
        e->match = MATCH_SUBTREE;
    }
}

static bool unchanged_since(const struct xs_tx *tx)
{
    for (const struct xs_tx_entry *e = tx->entries; e; e = e->next) {
        const struct xs_node *now = store_lookup(e->name, e->namelen);
        if ((now ? now->generation : XS_GEN_NONE) != e->base_gen)
            return false;
    }
    return true;
}

static void apply(struct xs_tx *tx)
{
    for (struct xs_tx_entry *e = tx->entries; e; e = e->next) {
        if (!e->modified)
            continue;
        if (e->node) {
            e->node->generation = ++xstore.generation;
            store_insert(e->node);
            e->node = NULL;     /* the table owns it now */
        } else {
            store_remove(e->name, e->namelen);
        }
    }
}

static void fire_events(struct xs_tx *tx)
{
    struct xs_ctx c = { .conn = tx->conn, .tx = NULL };
    for (struct xs_tx_entry *e = tx->entries; e; e = e->next)
        if (e->fire)
            watch_fire(&c, e->name, (enum xs_match)e->match, NULL, 0,
                       e->perms, e->nperms);
}

static void destroy(struct xs_tx *tx)
{
    struct xs_tx_entry *e = tx->entries;
    while (e) {
        struct xs_tx_entry *next = e->next;
        if (e->modified && e->node)
            node_free(e->node);
        xs_free(e);
        e = next;
    }
    xs_free(tx);
}

static void unlink_tx(struct xs_conn *c, struct xs_tx *tx)
{
    for (struct xs_tx **pp = &c->txs; *pp; pp = &(*pp)->next)
        if (*pp == tx) {
            *pp = tx->next;
            c->ntxs--;
            return;
        }
}

int tx_end(struct xs_conn *c, struct xs_tx *tx, bool commit)
{
    int err = XS_OK;
    unlink_tx(c, tx);
    if (commit) {
        if (tx->failed)
            err = -XEN_ENOMEM;      /* what xenstored answers for a poisoned transaction */
        else if (!unchanged_since(tx))
            err = -XEN_EAGAIN;
        else if (!c->privileged && tx->guest_node_delta > 0 &&
                 (uint64_t)xstore.guest_nodes + (uint64_t)tx->guest_node_delta > xstore.quota.nodes)
            err = -XEN_ENOSPC;
        if (!err) {
            apply(tx);
            fire_events(tx);
        }
    }
    destroy(tx);
    return err;
}

void tx_destroy_all(struct xs_conn *c)
{
    while (c->txs) {
        struct xs_tx *t = c->txs;
        c->txs = t->next;
        destroy(t);
    }
    c->ntxs = 0;
}
