/*
 * xs_wire message handling: argument parsing and checks per request type
 * in xenstored's order (unknown type ENOSYS, privileged-only type EACCES,
 * unknown transaction ENOENT, then the request's own checks), and the
 * reply: same type, or XS_ERROR with the error's name. Requests that only
 * dom0 may make (CONTROL, INTRODUCE, RELEASE, IS_DOMAIN_INTRODUCED,
 * RESUME, SET_TARGET) answer the guest EACCES.
 */
#include <pvshim/string.h>
#include "xs.h"

/* <xen/io/xs_wire.h>'s xsd_errors, by name: its table needs the C library's errno values. */
static const struct { int err; const char *name; } error_names[] = {
    { XEN_EINVAL, "EINVAL" }, { XEN_EACCES, "EACCES" }, { XEN_EEXIST, "EEXIST" },
    { XEN_EISDIR, "EISDIR" }, { XEN_ENOENT, "ENOENT" }, { XEN_ENOMEM, "ENOMEM" },
    { XEN_ENOSPC, "ENOSPC" }, { XEN_EIO, "EIO" }, { XEN_ENOTEMPTY, "ENOTEMPTY" },
    { XEN_ENOSYS, "ENOSYS" }, { XEN_EROFS, "EROFS" }, { XEN_EBUSY, "EBUSY" },
    { XEN_EAGAIN, "EAGAIN" }, { XEN_EISCONN, "EISCONN" }, { XEN_E2BIG, "E2BIG" },
    { XEN_EPERM, "EPERM" },
};

const char *xs_error_name(int err)
{
    for (unsigned i = 0; i < ARRAY_SIZE(error_names); i++)
        if (error_names[i].err == -err)
            return error_names[i].name;
    return "EINVAL";            /* xenstored's fallback for untranslatable errors */
}

struct xs_req {
    struct xs_conn *conn;
    struct xs_tx *tx;
    const struct xsd_sockmsg *hdr;
    const char *body;
    uint32_t len;
    struct xs_reply *r;
};

static struct xs_ctx ctx_of(const struct xs_req *q)
{
    return (struct xs_ctx){ .conn = q->conn, .tx = q->tx };
}

static int reply(struct xs_req *q, const void *data, size_t len)
{
    if (len > XENSTORE_PAYLOAD_MAX)
        return -XEN_E2BIG;
    if (len && data != xstore.reply)
        memcpy(xstore.reply, data, len);
    q->r->type = q->hdr->type;
    q->r->data = xstore.reply;
    q->r->len = (uint32_t)len;
    return XS_OK;
}

static int reply_ok(struct xs_req *q)
{
    return reply(q, "OK", 3);
}

/* The payload as exactly one NUL-terminated string, or NULL. */
static const char *onearg(const struct xs_req *q)
{
    if (q->len == 0 || memchr(q->body, '\0', q->len) != q->body + q->len - 1)
        return NULL;
    return q->body;
}

static unsigned count_nuls(const struct xs_req *q)
{
    unsigned n = 0;
    for (uint32_t i = 0; i < q->len; i++)
        n += q->body[i] == '\0';
    return n;
}

/* Split into NUL-terminated strings; fills up to max of vec and returns how many there are. */
static unsigned get_strings(const struct xs_req *q, const char **vec, unsigned max)
{
    unsigned n = 0;
    uint32_t off = 0;
    while (off < q->len) {
        const char *nul = memchr(q->body + off, '\0', q->len - off);
        if (!nul)
            break;
        if (n < max)
            vec[n] = q->body + off;
        n++;
        off = (uint32_t)(nul - q->body) + 1;
    }
    return n;
}

static int canonical(const struct xs_req *q, const char *path, bool allow_special,
                     bool *relative)
{
    return path_canonical(q->conn, path, allow_special, xstore.canon, relative);
}

/* ------------------------------------------------------------ node requests */

static int do_read(struct xs_req *q)
{
    int err = canonical(q, onearg(q), false, NULL);
    if (err)
        return err;
    struct xs_ctx c = ctx_of(q);
    const struct xs_node *n;
    err = op_get(&c, xstore.canon, XS_PERM_READ, &n);
    return err ? err : reply(q, n->data, n->datalen);
}

static int do_directory(struct xs_req *q)
{
    int err = canonical(q, onearg(q), false, NULL);
    if (err)
        return err;
    struct xs_ctx c = ctx_of(q);
    const struct xs_node *n;
    err = op_get(&c, xstore.canon, XS_PERM_READ, &n);
    return err ? err : reply(q, n->children, n->childlen);
}

/* atoi() on the offset: leading digits, anything else stops it; a sign wraps like xenstored's. */
static uint32_t parse_offset(const char *s)
{
    bool neg = false;
    if (*s == '-' || *s == '+')
        neg = *s++ == '-';
    uint64_t v = 0;
    for (; *s >= '0' && *s <= '9'; s++)
        if (v <= UINT32_MAX)
            v = v * 10 + (uint64_t)(*s - '0');
    uint32_t u = v > UINT32_MAX ? UINT32_MAX : (uint32_t)v;
    return neg ? (uint32_t)-u : u;
}

static int do_directory_part(struct xs_req *q)
{
    if (count_nuls(q) != 2)
        return -XEN_EINVAL;
    int err = canonical(q, q->body, false, NULL);
    if (err)
        return err;
    struct xs_ctx c = ctx_of(q);
    const struct xs_node *n;
    err = op_get(&c, xstore.canon, XS_PERM_READ, &n);
    if (err)
        return err;
    uint32_t off = parse_offset(q->body + strlen(q->body) + 1);

    /* "<generation>\0" then whole child names from off; a final empty name marks the end. */
    int g = snprintf(xstore.reply, sizeof(xstore.reply), "%llu", (unsigned long long)n->generation);
    size_t genlen = (size_t)g + 1;
    if (off >= n->childlen) {
        xstore.reply[genlen] = '\0';
        return reply(q, xstore.reply, genlen + 1);
    }
    size_t room = XENSTORE_PAYLOAD_MAX - genlen - 1;
    size_t len = 0;
    const char *child = n->children + off;
    const char *end = n->children + n->childlen;
    while (child < end) {
        size_t l = strnlen(child, (size_t)(end - child));
        if (len + l >= room || child + l >= end)
            break;
        len += l + 1;
        child += l + 1;
    }
    memcpy(xstore.reply + genlen, n->children + off, len);
    size_t total = genlen + len;
    if (off + len == n->childlen)
        xstore.reply[total++] = '\0';
    return reply(q, xstore.reply, total);
}

static int do_get_perms(struct xs_req *q)
{
    int err = canonical(q, onearg(q), true, NULL);
    if (err)
        return err;
    struct xs_ctx c = ctx_of(q);
    const struct xs_node *n;
    err = op_get(&c, xstore.canon, XS_PERM_READ, &n);
    if (err)
        return err;
    size_t len = perms_format(n->perms, n->nperms, xstore.reply, sizeof(xstore.reply));
    return len ? reply(q, xstore.reply, len) : -XEN_E2BIG;
}

static int do_write(struct xs_req *q)
{
    const char *vec[1];
    if (get_strings(q, vec, 1) < 1)
        return -XEN_EINVAL;
    size_t off = strlen(vec[0]) + 1;
    int err = canonical(q, vec[0], false, NULL);
    if (err)
        return err;
    struct xs_ctx c = ctx_of(q);
    err = op_write(&c, xstore.canon, q->body + off, q->len - off);
    return err ? err : reply_ok(q);
}

static int do_mkdir(struct xs_req *q)
{
    int err = canonical(q, onearg(q), false, NULL);
    if (err)
        return err;
    struct xs_ctx c = ctx_of(q);
    err = op_mkdir(&c, xstore.canon);
    return err ? err : reply_ok(q);
}

static int do_rm(struct xs_req *q)
{
    int err = canonical(q, onearg(q), false, NULL);
    if (err)
        return err;
    struct xs_ctx c = ctx_of(q);
    err = op_rm(&c, xstore.canon);
    return err ? err : reply_ok(q);
}

static int do_set_perms(struct xs_req *q)
{
    unsigned n = count_nuls(q);
    if (n < 2)
        return -XEN_EINVAL;
    n--;
    if (!q->conn->privileged && n > xstore.quota.perms)
        return -XEN_ENOSPC;
    struct xs_perm *perms = xs_alloc(q->conn->domid, n * sizeof(*perms),
                                     !q->conn->privileged, 0);
    if (!perms)
        return -XEN_ENOMEM;
    size_t off = strlen(q->body) + 1;
    int err = perms_parse(q->body + off, q->len - off, n, perms);
    if (!err && (perms[0].access & XS_PERM_IGNORE))
        err = -XEN_ENOENT;      /* the owner must be a domain that exists */
    if (!err)
        err = canonical(q, q->body, true, NULL);
    if (!err) {
        struct xs_ctx c = ctx_of(q);
        err = op_set_perms(&c, xstore.canon, perms, n);
    }
    xs_free(perms);
    return err ? err : reply_ok(q);
}

/* ------------------------------------------------------------ watches, transactions */

static int do_watch(struct xs_req *q)
{
    const char *vec[2];
    /* A third (depth) argument needs XENSTORE_SERVER_FEATURE_WATCHDEPTH, not offered. */
    if (get_strings(q, vec, 2) != 2)
        return -XEN_EINVAL;
    bool relative;
    int err = canonical(q, vec[0], true, &relative);
    if (err)
        return err;
    const struct xs_watch *w;
    err = watch_add(q->conn, xstore.canon, vec[1], relative, &w);
    if (err)
        return err;
    q->r->new_watch = w;
    return reply_ok(q);
}

static int do_unwatch(struct xs_req *q)
{
    const char *vec[2];
    if (get_strings(q, vec, 2) != 2)
        return -XEN_EINVAL;
    int err = canonical(q, vec[0], true, NULL);
    if (err)
        return err;
    err = watch_remove(q->conn, xstore.canon, vec[1]);
    return err ? err : reply_ok(q);
}

static int do_reset_watches(struct xs_req *q)
{
    watch_remove_all(q->conn);
    tx_destroy_all(q->conn);
    return reply_ok(q);
}

static int do_transaction_start(struct xs_req *q)
{
    if (q->tx)
        return -XEN_EBUSY;      /* no nested transactions */
    uint32_t id;
    int err = tx_start(q->conn, &id);
    if (err)
        return err;
    int n = snprintf(xstore.reply, sizeof(xstore.reply), "%u", (unsigned)id);
    return reply(q, xstore.reply, (size_t)n + 1);
}

static int do_transaction_end(struct xs_req *q)
{
    const char *arg = onearg(q);
    if (!arg || (strcmp(arg, "T") != 0 && strcmp(arg, "F") != 0))
        return -XEN_EINVAL;
    if (!q->tx)
        return -XEN_ENOENT;
    int err = tx_end(q->conn, q->tx, arg[0] == 'T');
    q->tx = NULL;
    return err ? err : reply_ok(q);
}

/* ------------------------------------------------------------ domains, control */

static int do_get_domain_path(struct xs_req *q)
{
    const char *arg = onearg(q);
    unsigned domid;
    if (!arg || path_parse_domid(arg, &domid))
        return -XEN_EINVAL;
    int n = snprintf(xstore.reply, sizeof(xstore.reply), "/local/domain/%u", domid);
    return reply(q, xstore.reply, (size_t)n + 1);
}

static int do_is_domain_introduced(struct xs_req *q)
{
    const char *arg = onearg(q);
    unsigned domid;
    if (!arg || path_parse_domid(arg, &domid))
        return -XEN_EINVAL;
    bool yes = domid == DOMID_SELF || domain_exists(domid);
    return reply(q, yes ? "T" : "F", 2);
}

static int do_control(struct xs_req *q)
{
    size_t len = sizeof(xstore.reply);
    int err = control_command(q->conn, q->body, q->len, xstore.reply, &len);
    return err ? err : reply(q, xstore.reply, len);
}

/* pvshim serves exactly the guest xenstore_init() introduced. */
static int do_domain_management(struct xs_req *q)
{
    return -XEN_ENOSYS;
}

/* ------------------------------------------------------------ dispatch */

#define FLAG_NOTID  1u      /* ignores tx_id */
#define FLAG_PRIV   2u      /* dom0 only */

static const struct {
    int (*fn)(struct xs_req *q);
    unsigned flags;
} handlers[XS_TYPE_COUNT] = {
    [XS_CONTROL]              = { do_control, FLAG_PRIV },
    [XS_DIRECTORY]            = { do_directory, 0 },
    [XS_READ]                 = { do_read, 0 },
    [XS_GET_PERMS]            = { do_get_perms, 0 },
    [XS_WATCH]                = { do_watch, FLAG_NOTID },
    [XS_UNWATCH]              = { do_unwatch, FLAG_NOTID },
    [XS_TRANSACTION_START]    = { do_transaction_start, 0 },
    [XS_TRANSACTION_END]      = { do_transaction_end, 0 },
    [XS_INTRODUCE]            = { do_domain_management, FLAG_PRIV },
    [XS_RELEASE]              = { do_domain_management, FLAG_PRIV },
    [XS_GET_DOMAIN_PATH]      = { do_get_domain_path, 0 },
    [XS_WRITE]                = { do_write, 0 },
    [XS_MKDIR]                = { do_mkdir, 0 },
    [XS_RM]                   = { do_rm, 0 },
    [XS_SET_PERMS]            = { do_set_perms, 0 },
    [XS_IS_DOMAIN_INTRODUCED] = { do_is_domain_introduced, FLAG_PRIV },
    [XS_RESUME]               = { do_domain_management, FLAG_PRIV },
    [XS_SET_TARGET]           = { do_domain_management, FLAG_PRIV },
    [XS_RESET_WATCHES]        = { do_reset_watches, 0 },
    [XS_DIRECTORY_PART]       = { do_directory_part, 0 },
};

int xs_handle(struct xs_conn *c, const struct xsd_sockmsg *hdr, const char *body,
              struct xs_reply *r)
{
    struct xs_req q = { .conn = c, .hdr = hdr, .body = body, .len = hdr->len, .r = r };
    r->new_watch = NULL;
    int err;
    if (hdr->type >= XS_TYPE_COUNT || !handlers[hdr->type].fn) {
        err = -XEN_ENOSYS;
    } else if ((handlers[hdr->type].flags & FLAG_PRIV) && !c->privileged) {
        err = -XEN_EACCES;
    } else if (!(handlers[hdr->type].flags & FLAG_NOTID) && hdr->tx_id &&
               !(q.tx = tx_lookup(c, hdr->tx_id))) {
        err = -XEN_ENOENT;
    } else {
        err = handlers[hdr->type].fn(&q);
    }
    if (err) {
        const char *name = xs_error_name(err);
        size_t n = strlen(name) + 1;
        memcpy(xstore.reply, name, n);
        r->type = XS_ERROR;
        r->data = xstore.reply;
        r->len = (uint32_t)n;
        r->new_watch = NULL;
    }
    return err;
}
