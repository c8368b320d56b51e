/*
 * xenstored's permission model. perms[0] names the owner, who may do
 * anything, and gives everyone else's default access; later entries give
 * named domains their own access (the first matching entry wins).
 * Privileged connections (pvshim as dom0) may do anything. Entries naming
 * a domain that does not exist are kept but ignored.
 */
#include <pvshim/string.h>
#include "xs.h"

bool domain_exists(unsigned domid)
{
    return domid == 0 || domid == xstore.guest_domid;
}

unsigned perm_for(const struct xs_conn *c, const struct xs_perm *p, unsigned n)
{
    const unsigned all = XS_PERM_READ | XS_PERM_WRITE | XS_PERM_OWNER;
    if (c->privileged || p[0].id == c->domid)
        return all;
    for (unsigned i = 1; i < n; i++)
        if (!(p[i].access & XS_PERM_IGNORE) && p[i].id == c->domid)
            return p[i].access & all;
    return p[0].access & all;
}

/* strtol(s, &end, 0) for the domid part, as libxenstore parses it. */
static bool parse_perm_id(const char *s, size_t len, uint64_t *out)
{
    if (len == 0)
        return false;
    return parse_u64(s, len, out);
}

int perms_parse(const char *strings, size_t len, unsigned n, struct xs_perm *out)
{
    const char *p = strings;
    const char *end = strings + len;
    for (unsigned i = 0; i < n; i++) {
        const char *nul = memchr(p, '\0', (size_t)(end - p));
        if (!nul)
            return -XEN_EINVAL;
        switch (*p) {
        case 'r': out[i].access = XS_PERM_READ; break;
        case 'w': out[i].access = XS_PERM_WRITE; break;
        case 'b': out[i].access = XS_PERM_READ | XS_PERM_WRITE; break;
        case 'n': out[i].access = XS_PERM_NONE; break;
        default: return -XEN_EINVAL;
        }
        uint64_t id;
        if (!parse_perm_id(p + 1, (size_t)(nul - p - 1), &id))
            return -XEN_EINVAL;
        /* An id no domain can have stays an entry that never matches. */
        if (id > 0xffff || !domain_exists((unsigned)id)) {
            out[i].id = id > 0xffff ? 0xffff : (uint16_t)id;
            out[i].access |= XS_PERM_IGNORE;
        } else {
            out[i].id = (uint16_t)id;
        }
        out[i].pad = 0;
        p = nul + 1;
    }
    return XS_OK;
}

size_t perms_format(const struct xs_perm *p, unsigned n, char *buf, size_t size)
{
    static const char letter[4] = { 'n', 'r', 'w', 'b' };
    size_t len = 0;
    for (unsigned i = 0; i < n; i++) {
        char one[8];
        int w = snprintf(one, sizeof(one), "%c%u",
                         letter[p[i].access & (XS_PERM_READ | XS_PERM_WRITE)],
                         (unsigned)p[i].id);
        if (w < 0 || len + (size_t)w + 1 > size)
            return 0;
        memcpy(buf + len, one, (size_t)w + 1);
        len += (size_t)w + 1;
    }
    return len;
}
