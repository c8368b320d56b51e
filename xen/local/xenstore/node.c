/*
 * Node blocks: one heap block per node version holding the header,
 * permissions, name, value and children list.
 */
#include <pvshim/string.h>
#include "xs.h"

size_t node_quota_size(unsigned nperms, size_t datalen, size_t childlen)
{
    return XS_NODE_HDR_BYTES + (size_t)nperms * XS_PERM_BYTES + datalen + childlen;
}

struct xs_node *node_build(domid_t charge, bool check_quota, size_t credit,
                           const char *name, size_t namelen,
                           const struct xs_perm *perms, unsigned nperms,
                           const void *data, size_t datalen,
                           const char *children, size_t childlen, int *err)
{
    /* Callers bound these by the message size; this keeps the fields honest. */
    if (nperms == 0 || nperms > UINT16_MAX || namelen >= XS_PATH_BUF ||
        datalen > UINT32_MAX / 2 || childlen > UINT32_MAX / 2) {
        *err = -XEN_EINVAL;
        return NULL;
    }
    size_t size = sizeof(struct xs_node) + nperms * sizeof(struct xs_perm) +
                  namelen + 1 + datalen + childlen;
    struct xs_node *n = xs_alloc(charge, size, check_quota, credit);
    if (!n) {
        *err = -XEN_ENOMEM;
        return NULL;
    }
    char *p = (char *)(n + 1);
    struct xs_perm *pp = (struct xs_perm *)p;
    memcpy(pp, perms, nperms * sizeof(*pp));
    p += nperms * sizeof(*pp);
    memcpy(p, name, namelen);
    p[namelen] = '\0';
    n->name = p;
    p += namelen + 1;
    if (datalen)
        memcpy(p, data, datalen);
    n->data = p;
    p += datalen;
    if (childlen)
        memcpy(p, children, childlen);
    n->children = p;

    n->hash_next = NULL;
    n->generation = 0;
    n->perms = pp;
    n->nperms = (uint16_t)nperms;
    n->namelen = (uint16_t)namelen;
    n->datalen = (uint32_t)datalen;
    n->childlen = (uint32_t)childlen;
    return n;
}

void node_free(struct xs_node *n)
{
    xs_free(n);
}

const char *node_next_child(const struct xs_node *n, uint32_t *off)
{
    if (*off >= n->childlen)
        return NULL;
    const char *name = n->children + *off;
    const char *nul = memchr(name, '\0', n->childlen - *off);
    /* Lists are built NUL-terminated; a missing NUL ends the walk. */
    if (!nul)
        return NULL;
    *off += (uint32_t)(nul - name) + 1;
    return name;
}

bool node_has_child(const struct xs_node *n, const char *child, size_t len)
{
    uint32_t off = 0;
    const char *name;
    while ((name = node_next_child(n, &off)) != NULL)
        if (strlen(name) == len && memcmp(name, child, len) == 0)
            return true;
    return false;
}
