/*
 * CONTROL requests (dom0 only) and the store's self-check. The command set
 * is implementation specific (docs/misc/xenstore.txt); pvshim offers
 * "check", "help", "print <text>" and "quota".
 */
#include <pvshim/string.h>
#include <pvshim/log.h>
#include "xs.h"

static int fail(const char *what, const char *name)
{
    log_warn("xenstore: check: %s: %s\n", what, name);
    return -XEN_EIO;
}

int xs_check_store(void)
{
    uint32_t seen = 0, guest = 0;
    if (!store_lookup("/", 1))
        return fail("no root", "/");
    for (unsigned b = 0; b < XS_HASH_BUCKETS; b++) {
        for (const struct xs_node *n = xstore.bucket[b]; n; n = n->hash_next) {
            if (++seen > xstore.nr_nodes)
                return fail("more nodes than counted", n->name);
            if (strlen(n->name) != n->namelen || n->nperms == 0)
                return fail("bad header", n->name);
            if (n->generation > xstore.generation)
                return fail("generation from the future", n->name);
            guest += node_owner(n) == xstore.guest_domid;
            if (n->childlen && n->children[n->childlen - 1] != '\0')
                return fail("unterminated children", n->name);
            if (n->name[0] == '/' && n->namelen > 1) {
                size_t plen = path_parent_len(n->name, n->namelen);
                const struct xs_node *p = store_lookup(n->name, plen);
                const char *base = n->name + plen + (plen > 1);
                if (!p || !node_has_child(p, base, n->namelen - (size_t)(base - n->name)))
                    return fail("not listed by its parent", n->name);
            }
            uint32_t off = 0;
            const char *child;
            while ((child = node_next_child(n, &off)) != NULL) {
                size_t clen = strlen(child);
                size_t len = n->namelen == 1 ? 0 : n->namelen;
                if (clen == 0 || len + 1 + clen >= XS_PATH_BUF)
                    return fail("bad child name", n->name);
                memcpy(xstore.walk, n->name, len);
                xstore.walk[len] = '/';
                memcpy(xstore.walk + len + 1, child, clen + 1);
                if (!store_lookup(xstore.walk, len + 1 + clen))
                    return fail("missing child", xstore.walk);
                /* Each name once: a later duplicate would show up as the same child again. */
                uint32_t again = off;
                const char *other;
                while ((other = node_next_child(n, &again)) != NULL)
                    if (strcmp(other, child) == 0)
                        return fail("duplicate child", xstore.walk);
            }
        }
    }
    if (seen != xstore.nr_nodes)
        return fail("fewer nodes than counted", "/");
    if (guest != xstore.guest_nodes)
        return fail("guest node count differs", "/");
    return XS_OK;
}

static int put(char *reply, size_t size, size_t *len, const char *text)
{
    size_t n = strlen(text) + 1;
    if (n > size)
        return -XEN_E2BIG;
    memcpy(reply, text, n);
    *len = n;
    return XS_OK;
}

int control_command(struct xs_conn *c, const char *body, size_t len, char *reply, size_t *rlen)
{
    const char *end = body + len;
    const char *nul = len ? memchr(body, '\0', len) : NULL;
    if (!nul)
        return -XEN_EINVAL;
    const char *arg = nul + 1 < end && memchr(nul + 1, '\0', (size_t)(end - nul - 1))
                      ? nul + 1 : NULL;
    size_t size = *rlen;

    if (strcmp(body, "check") == 0) {
        int err = xs_check_store();
        return err ? err : put(reply, size, rlen, "OK");
    }
    if (strcmp(body, "print") == 0) {
        if (!arg)
            return -XEN_EINVAL;
        log_info("xenstore: %s\n", arg);
        return put(reply, size, rlen, "OK");
    }
    if (strcmp(body, "help") == 0)
        return put(reply, size, rlen, "check\nhelp\nprint <string>\nquota\n");
    if (strcmp(body, "quota") == 0) {
        int n = snprintf(reply, size,
                         "guest %u: nodes %u/%u, memory %zu/%u, watches %u/%u, "
                         "transactions %u/%u, node-size %u, permissions %u, "
                         "transaction-nodes %u\n",
                         (unsigned)xstore.guest_domid, xstore.guest_nodes, xstore.quota.nodes,
                         xstore.guest_mem, xstore.quota.memory, xstore.guest.nwatches,
                         xstore.quota.watches, xstore.guest.ntxs, xstore.quota.transactions,
                         xstore.quota.node_size, xstore.quota.perms, xstore.quota.tx_nodes);
        if (n < 0 || (size_t)n + 1 > size)
            return -XEN_E2BIG;
        *rlen = (size_t)n + 1;
        return XS_OK;
    }
    return -XEN_EINVAL;
}
