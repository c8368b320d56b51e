/*
 * Path syntax as xenstored checks it (docs/misc/xenstore.txt): ASCII
 * letters, digits and -/_@; absolute paths or paths relative to the
 * connection's /local/domain/<domid>; no trailing or doubled slash; at
 * most XENSTORE_REL_PATH_MAX bytes after a /local/domain/<domid>/ prefix
 * (the whole path otherwise), and never more than XENSTORE_ABS_PATH_MAX.
 */
#include <pvshim/string.h>
#include "xs.h"

static bool valid_char(char ch)
{
    return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
           (ch >= '0' && ch <= '9') || ch == '-' || ch == '/' || ch == '_' ||
           ch == '@';
}

bool path_valid_chars(const char *p)
{
    for (; *p; p++)
        if (!valid_char(*p))
            return false;
    return true;
}

/* Length of a leading "/local/domain/<up to 5 digits>/", else 0 (xenstored's %5u). */
static size_t local_domain_prefix(const char *p)
{
    static const char lead[] = "/local/domain/";
    size_t n = sizeof(lead) - 1;
    if (strncmp(p, lead, n) != 0)
        return 0;
    size_t digits = 0;
    while (digits < 5 && p[n + digits] >= '0' && p[n + digits] <= '9')
        digits++;
    if (digits == 0 || p[n + digits] != '/')
        return 0;
    return n + digits + 1;
}

int path_canonical(const struct xs_conn *c, const char *in, bool allow_special,
                   char *out, bool *relative)
{
    if (!in || !path_valid_chars(in) || (in[0] == '@' && !allow_special))
        return -XEN_EINVAL;

    size_t inlen = strlen(in);
    bool rel = in[0] != '/' && in[0] != '@';
    size_t len = rel ? c->homelen + 1 + inlen : inlen;
    if (len == 0 || len > XENSTORE_ABS_PATH_MAX)
        return -XEN_EINVAL;
    if (rel) {
        memcpy(out, c->home, c->homelen);
        out[c->homelen] = '/';
        memcpy(out + c->homelen + 1, in, inlen + 1);
    } else {
        memcpy(out, in, inlen + 1);
    }

    if (len > 1 && out[len - 1] == '/')
        return -XEN_EINVAL;
    for (size_t i = 1; i < len; i++)
        if (out[i] == '/' && out[i - 1] == '/')
            return -XEN_EINVAL;
    if (len - local_domain_prefix(out) > XENSTORE_REL_PATH_MAX)
        return -XEN_EINVAL;
    if (relative)
        *relative = rel;
    return XS_OK;
}

size_t path_parent_len(const char *path, size_t len)
{
    size_t i = len;
    while (i > 1 && path[i - 1] != '/')
        i--;
    /* i is one past the last slash; the root's children have parent "/". */
    return i > 1 ? i - 1 : 1;
}

bool path_is_child(const char *child, const char *parent)
{
    size_t plen = strlen(parent);
    if (strncmp(child, parent, plen) != 0)
        return false;
    /* Everything under "/" is its child; otherwise the match must end at a component. */
    if (plen == 1 && parent[0] == '/')
        return true;
    return child[plen] == '\0' || child[plen] == '/';
}

int path_parse_domid(const char *s, unsigned *domid)
{
    /* strtoul(s, 10) with the whole string consumed and a value <= 65535. */
    unsigned long v = 0;
    if (*s == '+')
        s++;
    for (; *s; s++) {
        if (*s < '0' || *s > '9')
            return -XEN_EINVAL;
        v = v * 10 + (unsigned long)(*s - '0');
        if (v > 65535)
            return -XEN_EINVAL;
    }
    *domid = (unsigned)v;
    return XS_OK;
}
