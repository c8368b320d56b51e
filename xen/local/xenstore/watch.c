/*
 * Watches, as xenstored keeps them: a (path, token) pair per watch, an
 * event straight after registration, and an event for every change of the
 * watched node or anything below it. A change made inside a transaction
 * fires when the transaction commits. Relative watches get relative event
 * paths. Events go only to connections allowed to read the changed node
 * (or, failing that, its parent), as xenstored's watch_permitted() decides.
 *
 * Watches on "@introduceDomain" and "@releaseDomain" are accepted and get
 * their first event; pvshim hosts a single guest, so neither event ever
 * happens afterwards.
 */
#include <pvshim/string.h>
#include "xs.h"

struct xs_watch {
    struct xs_watch *next;
    uint16_t prefix_len;        /* bytes of event paths relative watches drop */
    uint16_t pathlen;
    const char *token;
    char path[];                /* then the token */
};

int watch_add(struct xs_conn *c, const char *path, const char *token, bool relative,
              const struct xs_watch **out)
{
    size_t plen = strlen(path), tlen = strlen(token);
    struct xs_watch **tail = &c->watches;
    for (; *tail; tail = &(*tail)->next)
        if (strcmp((*tail)->path, path) == 0 && strcmp((*tail)->token, token) == 0)
            return -XEN_EEXIST;
    if (!c->privileged && c->nwatches >= xstore.quota.watches)
        return -XEN_ENOSPC;
    struct xs_watch *w = xs_alloc(c->domid, sizeof(*w) + plen + 1 + tlen + 1,
                                  !c->privileged, 0);
    if (!w)
        return -XEN_ENOMEM;
    w->next = NULL;
    w->pathlen = (uint16_t)plen;
    w->prefix_len = relative ? (uint16_t)(c->homelen + 1) : 0;
    memcpy(w->path, path, plen + 1);
    char *tok = w->path + plen + 1;
    memcpy(tok, token, tlen + 1);
    w->token = tok;
    /* Kept in registration order, which is the order events come out in. */
    *tail = w;
    c->nwatches++;
    *out = w;
    return XS_OK;
}

int watch_remove(struct xs_conn *c, const char *path, const char *token)
{
    for (struct xs_watch **pp = &c->watches; *pp; pp = &(*pp)->next) {
        struct xs_watch *w = *pp;
        if (strcmp(w->path, path) == 0 && strcmp(w->token, token) == 0) {
            *pp = w->next;
            c->nwatches--;
            xs_free(w);
            return XS_OK;
        }
    }
    return -XEN_ENOENT;
}

void watch_remove_all(struct xs_conn *c)
{
    while (c->watches) {
        struct xs_watch *w = c->watches;
        c->watches = w->next;
        xs_free(w);
    }
    c->nwatches = 0;
}

void watch_fire_initial(struct xs_conn *c, const struct xs_watch *w)
{
    conn_deliver(c, w->path + w->prefix_len, w->token, w->path[0] == '@');
}

static bool may_read(const struct xs_conn *c, const struct xs_perm *p, unsigned n)
{
    return p && n && (perm_for(c, p, n) & XS_PERM_READ);
}

static bool permitted(const struct xs_conn *c, const char *path,
                      const struct xs_perm *node_perms, unsigned node_nperms,
                      const struct xs_perm *old_perms, unsigned old_nperms)
{
    if (may_read(c, old_perms, old_nperms))
        return true;
    size_t len = strlen(path);
    if (!node_perms) {
        const struct xs_node *n = store_lookup(path, len);
        if (!n)
            return false;
        node_perms = n->perms;
        node_nperms = n->nperms;
    }
    if (may_read(c, node_perms, node_nperms))
        return true;
    if (path[0] != '/')
        return false;
    const struct xs_node *p = store_lookup(path, path_parent_len(path, len));
    return p && may_read(c, p->perms, p->nperms);
}

static void fire_on(struct xs_conn *c, const char *path, enum xs_match m,
                    const struct xs_perm *node_perms, unsigned node_nperms,
                    const struct xs_perm *old_perms, unsigned old_nperms)
{
    if (!c->watches ||
        !permitted(c, path, node_perms, node_nperms, old_perms, old_nperms))
        return;
    size_t len = strlen(path);
    for (const struct xs_watch *w = c->watches; w; w = w->next) {
        bool hit = m == MATCH_EXACT ? strcmp(path, w->path) == 0
                                    : path_is_child(path, w->path);
        /* A relative watch only sees paths below its base, so the prefix is there. */
        if (hit && len >= w->prefix_len)
            conn_deliver(c, path + w->prefix_len, w->token, path[0] == '@');
    }
}

void watch_fire(struct xs_ctx *c, const char *path, enum xs_match m,
                const struct xs_perm *node_perms, unsigned node_nperms,
                const struct xs_perm *old_perms, unsigned old_nperms)
{
    if (c->tx) {
        tx_queue_event(c->tx, path, (uint8_t)m);
        return;
    }
    fire_on(&xstore.guest, path, m, node_perms, node_nperms, old_perms, old_nperms);
    fire_on(&xstore.dom0, path, m, node_perms, node_nperms, old_perms, old_nperms);
}
