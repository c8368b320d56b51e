/*
 * The store operations behind READ, WRITE, MKDIR, RM and SET_PERMS, with
 * xenstored's rules: permission checks that do not reveal whether an
 * unreadable node exists, creation of missing parents (inheriting the
 * parent's permissions, owned by the unprivileged creator), recursive
 * removal that fires watches on every removed node, and the node-count,
 * node-size and memory quotas for the guest. Paths here are canonical.
 *
 * Each operation first builds every new block it needs, then swaps them
 * in, so a failure (quota, memory) leaves the store unchanged. The one
 * exception is a removal inside a transaction running out of room for its
 * bookkeeping midway; that transaction is then marked failed, as
 * xenstored does.
 */
#include <pvshim/string.h>
#include "xs.h"

static bool unprivileged(const struct xs_ctx *c)
{
    return !c->conn->privileged;
}

/* The parent's name as (pointer, length); "/" for top-level and special nodes. */
static void parent_of(const char *path, size_t len, const char **pname, size_t *plen)
{
    if (path[0] != '/') {
        *pname = "/";
        *plen = 1;
        return;
    }
    *pname = path;
    *plen = path_parent_len(path, len);
}

/*
 * xenstored's errno_from_parents(): a missing or forbidden node reports
 * EACCES unless the nearest existing ancestor grants the access asked for.
 */
static int error_from_parents(struct xs_ctx *c, const char *path, size_t len,
                              int err, unsigned perm)
{
    for (;;) {
        const char *pname;
        size_t plen;
        parent_of(path, len, &pname, &plen);
        const struct xs_node *p;
        int e = view_get(c, pname, plen, &p);
        if (e)
            return e;
        if (p)
            return (perm_for(c->conn, p->perms, p->nperms) & perm) ? err : -XEN_EACCES;
        if (plen == 1)
            return -XEN_EACCES;     /* no root: nothing may be revealed */
        path = pname;
        len = plen;
    }
}

int op_get(struct xs_ctx *c, const char *path, unsigned perm, const struct xs_node **out)
{
    size_t len = strlen(path);
    const struct xs_node *n;
    *out = NULL;
    int err = view_get(c, path, len, &n);
    if (err)
        return err;
    if (n && (perm_for(c->conn, n->perms, n->nperms) & perm) == perm) {
        *out = n;
        return XS_OK;
    }
    return error_from_parents(c, path, len, n ? -XEN_EACCES : -XEN_ENOENT, perm);
}

/* Memory a replacement gives back: the old version, if it goes away and was charged alike. */
static size_t replace_credit(const struct xs_ctx *c, const struct xs_node *old, domid_t charge)
{
    if (!old || xs_charge_of(old) != charge)
        return 0;
    if (c->tx) {
        struct xs_tx_entry *e = tx_entry_find(c->tx, old->name, old->namelen);
        if (!e || !e->modified || e->node != old)
            return 0;
    }
    return node_block_size(old);
}

static bool too_big(const struct xs_ctx *c, unsigned nperms, size_t datalen, size_t childlen)
{
    return unprivileged(c) &&
           node_quota_size(nperms, datalen, childlen) >= xstore.quota.node_size;
}

/* A copy of n with other data, permissions or children. */
static struct xs_node *rebuild(struct xs_ctx *c, const struct xs_node *n,
                               const struct xs_perm *perms, unsigned nperms,
                               const void *data, size_t datalen,
                               const char *children, size_t childlen, int *err)
{
    domid_t charge = view_charge(c, perms[0].id);
    return node_build(charge, unprivileged(c), replace_credit(c, n, charge),
                      n->name, n->namelen, perms, nperms, data, datalen,
                      children, childlen, err);
}

static void free_chain(struct xs_node *n)
{
    while (n) {
        struct xs_node *next = n->hash_next;
        node_free(n);
        n = next;
    }
}

/*
 * Create path and any missing parents; path is known to be absent and its
 * nearest existing ancestor to grant write access.
 */
static int create_node(struct xs_ctx *c, const char *path, const void *data, size_t datalen)
{
    size_t len = strlen(path);
    const struct xs_node *anc = NULL;
    size_t anc_len = len;
    unsigned missing = 1;
    for (;;) {
        const char *pname;
        size_t plen;
        parent_of(path, anc_len, &pname, &plen);
        int err = view_get(c, pname, plen, &anc);
        if (err)
            return err;
        if (anc) {
            anc_len = plen;
            break;
        }
        if (plen == 1)
            return -XEN_EIO;    /* the root is gone: refuse rather than guess */
        anc_len = plen;
        missing++;
    }

    if (unprivileged(c) && view_guest_nodes(c) + missing > xstore.quota.nodes)
        return -XEN_ENOSPC;

    /* The first missing level's name within path, and where each level ends. */
    size_t first = anc_len == 1 ? 1 : anc_len + 1;
    size_t first_end = first;
    while (first_end < len && path[first_end] != '/')
        first_end++;

    /* New nodes inherit the ancestor's permissions; the guest owns what it creates. */
    unsigned nperms = anc->nperms;
    struct xs_perm perms_small[8];
    struct xs_perm *perms = perms_small;
    if (nperms > ARRAY_SIZE(perms_small)) {
        perms = xs_alloc(c->conn->domid, nperms * sizeof(*perms), false, 0);
        if (!perms)
            return -XEN_ENOMEM;
    }
    memcpy(perms, anc->perms, nperms * sizeof(*perms));
    if (unprivileged(c))
        perms[0].id = c->conn->domid;

    int err = XS_OK;
    struct xs_node *chain = NULL;       /* new blocks, linked through hash_next */
    struct xs_node *new_anc = NULL;

    size_t childlen = anc->childlen + (first_end - first) + 1;
    if (too_big(c, anc->nperms, anc->datalen, childlen)) {
        err = -XEN_ENOSPC;
        goto out;
    }
    {
        /* The ancestor gains the first missing level as a child. */
        char *children = xs_alloc(c->conn->domid, childlen, false, 0);
        if (!children) {
            err = -XEN_ENOMEM;
            goto out;
        }
        memcpy(children, anc->children, anc->childlen);
        memcpy(children + anc->childlen, path + first, first_end - first);
        children[childlen - 1] = '\0';
        new_anc = rebuild(c, anc, anc->perms, anc->nperms, anc->data, anc->datalen,
                          children, childlen, &err);
        xs_free(children);
        if (!new_anc)
            goto out;
    }

    /* Each missing level, top down: the next level's name is its only child. */
    struct xs_node **tail = &chain;
    for (size_t end = first_end; ; ) {
        bool leaf = end == len;
        size_t next_end = end + 1;
        while (!leaf && next_end < len && path[next_end] != '/')
            next_end++;
        const char *child = leaf ? NULL : path + end + 1;
        size_t clen = leaf ? 0 : next_end - end - 1;
        size_t dlen = leaf ? datalen : 0;
        if (too_big(c, nperms, dlen, leaf ? 0 : clen + 1)) {
            err = -XEN_ENOSPC;
            goto out;
        }
        /* The child's name is followed by '/' or the path's NUL: copy one more, then end it. */
        struct xs_node *n = node_build(view_charge(c, perms[0].id), unprivileged(c), 0,
                                       path, end, perms, nperms,
                                       leaf ? data : NULL, dlen,
                                       child, leaf ? 0 : clen + 1, &err);
        if (!n)
            goto out;
        if (!leaf)
            ((char *)n->children)[clen] = '\0';
        *tail = n;
        tail = &n->hash_next;
        if (leaf)
            break;
        end = next_end;
    }

    /* Nothing can fail from here: every node involved has been looked at already. */
    err = view_set(c, new_anc);
    new_anc = NULL;
    while (!err && chain) {
        struct xs_node *n = chain;
        chain = n->hash_next;
        n->hash_next = NULL;
        err = view_set(c, n);
    }
    if (err && c->tx)
        c->tx->failed = true;

out:
    if (new_anc)
        node_free(new_anc);
    free_chain(chain);
    if (perms != perms_small)
        xs_free(perms);
    return err;
}

int op_write(struct xs_ctx *c, const char *path, const void *data, size_t len)
{
    const struct xs_node *n;
    int err = op_get(c, path, XS_PERM_WRITE, &n);
    if (err == -XEN_ENOENT) {
        err = create_node(c, path, data, len);
    } else if (!err) {
        if (too_big(c, n->nperms, len, n->childlen))
            return -XEN_ENOSPC;
        struct xs_node *m = rebuild(c, n, n->perms, n->nperms, data, len,
                                    n->children, n->childlen, &err);
        if (!m)
            return err;
        err = view_set(c, m);
    }
    if (err)
        return err;
    const struct xs_node *now;
    if (view_get(c, path, strlen(path), &now) == XS_OK && now)
        watch_fire(c, path, MATCH_SUBTREE, now->perms, now->nperms, NULL, 0);
    return XS_OK;
}

int op_mkdir(struct xs_ctx *c, const char *path)
{
    const struct xs_node *n;
    int err = op_get(c, path, XS_PERM_WRITE, &n);
    if (!err)
        return XS_OK;           /* already there: nothing changes, nothing fires */
    if (err != -XEN_ENOENT)
        return err;
    err = create_node(c, path, NULL, 0);
    if (err)
        return err;
    if (view_get(c, path, strlen(path), &n) == XS_OK && n)
        watch_fire(c, path, MATCH_SUBTREE, n->perms, n->nperms, NULL, 0);
    return XS_OK;
}

/* Name of the child of parent that follows child in parent's list, or NULL. */
static const char *next_sibling(const struct xs_node *parent, const char *child)
{
    uint32_t off = 0;
    const char *name;
    while ((name = node_next_child(parent, &off)) != NULL)
        if (strcmp(name, child) == 0)
            return node_next_child(parent, &off);
    return NULL;
}

/* Append "/name" to the walk path; false if it would not fit. */
static bool walk_down(size_t *len, const char *name)
{
    size_t nlen = strlen(name);
    if (*len + 1 + nlen >= XS_PATH_BUF)
        return false;
    xstore.walk[*len] = '/';
    memcpy(xstore.walk + *len + 1, name, nlen + 1);
    *len += 1 + nlen;
    return true;
}

/* Go down first children from the walk path until a node without children. */
static int descend(struct xs_ctx *c, size_t *len)
{
    for (;;) {
        const struct xs_node *n;
        int err = view_get(c, xstore.walk, *len, &n);
        if (err)
            return err;
        uint32_t off = 0;
        const char *child = n ? node_next_child(n, &off) : NULL;
        if (!child)
            return XS_OK;
        if (!walk_down(len, child))
            return -XEN_EIO;
    }
}

/*
 * Remove root and everything below it, children before parents, firing
 * watches on each removed node (the root's as a subtree event). Parents
 * inside the subtree keep their children lists until they go themselves,
 * which is how the walk finds the next sibling without a stack.
 */
static int remove_subtree(struct xs_ctx *c, const char *root)
{
    size_t rootlen = strlen(root);
    memcpy(xstore.walk, root, rootlen + 1);
    size_t len = rootlen;
    /* Each node is reached once; a corrupt list could loop, so bound the walk. */
    uint64_t budget = 2 * ((uint64_t)xstore.nr_nodes + (c->tx ? c->tx->nentries : 0)) + 16;

    int err = descend(c, &len);
    while (!err) {
        if (budget-- == 0)
            return -XEN_EIO;
        const struct xs_node *n;
        err = view_get(c, xstore.walk, len, &n);
        if (err)
            break;
        if (n) {
            watch_fire(c, xstore.walk, len == rootlen ? MATCH_SUBTREE : MATCH_EXACT,
                       n->perms, n->nperms, NULL, 0);
            err = view_del(c, xstore.walk, len);
            if (err)
                break;
        }
        if (len == rootlen)
            return XS_OK;

        size_t plen = path_parent_len(xstore.walk, len);
        const struct xs_node *p;
        err = view_get(c, xstore.walk, plen, &p);
        if (err)
            break;
        /* len > rootlen, so the parent is inside the subtree and never "/". */
        const char *sib = p ? next_sibling(p, xstore.walk + plen + 1) : NULL;
        len = plen;
        xstore.walk[len] = '\0';
        if (sib) {
            if (!walk_down(&len, sib)) {
                err = -XEN_EIO;
                break;
            }
            err = descend(c, &len);
        }
    }
    return err;
}

int op_rm(struct xs_ctx *c, const char *path)
{
    size_t len = strlen(path);
    const struct xs_node *n;
    int err = op_get(c, path, XS_PERM_WRITE, &n);
    const char *pname;
    size_t plen;
    parent_of(path, len, &pname, &plen);

    if (err == -XEN_ENOENT) {
        /* Removing what is not there is fine, as long as its parent is. */
        const struct xs_node *p;
        err = view_get(c, pname, plen, &p);
        if (err)
            return err;
        return p ? XS_OK : -XEN_ENOENT;
    }
    if (err)
        return err;
    if (len == 1 && path[0] == '/')
        return -XEN_EINVAL;
    if (path[0] == '@')
        return -XEN_EINVAL;     /* special nodes are not part of the tree */

    const struct xs_node *p;
    err = view_get(c, pname, plen, &p);
    if (err)
        return err;
    if (!p)
        return -XEN_EIO;

    /* The parent without this child, built before anything changes. */
    const char *base = path + plen + (plen > 1);
    size_t blen = len - (size_t)(base - path);
    char *children = xs_alloc(c->conn->domid, p->childlen ? p->childlen : 1, false, 0);
    if (!children)
        return -XEN_ENOMEM;
    size_t clen = 0;
    uint32_t off = 0;
    const char *name;
    while ((name = node_next_child(p, &off)) != NULL) {
        size_t l = strlen(name);
        if (l == blen && memcmp(name, base, blen) == 0)
            continue;
        memcpy(children + clen, name, l + 1);
        clen += l + 1;
    }
    struct xs_node *newp = rebuild(c, p, p->perms, p->nperms, p->data, p->datalen,
                                   children, clen, &err);
    xs_free(children);
    if (!newp)
        return err;

    err = remove_subtree(c, path);
    if (err) {
        node_free(newp);
        if (c->tx)
            c->tx->failed = true;
        return err;
    }
    err = view_set(c, newp);
    if (err && c->tx)
        c->tx->failed = true;
    return err;
}

int op_set_perms(struct xs_ctx *c, const char *path, const struct xs_perm *perms, unsigned n)
{
    const struct xs_node *node;
    int err = op_get(c, path, XS_PERM_WRITE | XS_PERM_OWNER, &node);
    if (err)
        return err;
    if (unprivileged(c) && perms[0].id != node_owner(node))
        return -XEN_EPERM;
    if (too_big(c, n, node->datalen, node->childlen))
        return -XEN_ENOSPC;
    /* Only dom0 changes owners, and dom0 has no quota: the node count may move freely. */
    struct xs_node *m = rebuild(c, node, perms, n, node->data, node->datalen,
                                node->children, node->childlen, &err);
    if (!m)
        return err;
    /* Fired while the old permissions are still at hand; delivery waits for the reply. */
    watch_fire(c, path, MATCH_SUBTREE, m->perms, m->nperms, node->perms, node->nperms);
    return view_set(c, m);
}
