/* The guest's balloon target through the xenstore relay: see store_target.h. */
#include <pvshim/string.h>
#include "store_target.h"

void xs_target_init(struct xs_target *t, domid_t domid, uint64_t offset_kib)
{
    memset(t, 0, sizeof(*t));
    t->domid = domid;
    t->offset_kib = offset_kib;
}

/* memory/target, relative or as the domain's absolute path. */
static bool is_target_path(const struct xs_target *t, const char *p, unsigned len)
{
    char abs[XS_TARGET_PATH];
    if (!len || p[len - 1] != '\0')
        return false;
    snprintf(abs, sizeof(abs), "/local/domain/%u/memory/target", t->domid);
    return !strcmp(p, "memory/target") || !strcmp(p, abs);
}

static void request_done(struct xs_target *t)
{
    if (t->hdr.type == XS_READ && t->nr_pending < XS_TARGET_PENDING &&
        is_target_path(t, t->path, t->path_have))
        t->pending[t->nr_pending++] = t->hdr.req_id;
    t->hdr_have = 0;
}

void xs_target_request_byte(struct xs_target *t, char c)
{
    if (t->hdr_have < sizeof(t->hdr)) {
        ((char *)&t->hdr)[t->hdr_have++] = c;
        if (t->hdr_have == sizeof(t->hdr)) {
            t->body_left = t->hdr.len;
            t->path_have = 0;
            if (!t->body_left)
                request_done(t);
        }
        return;
    }
    if (t->path_have < sizeof(t->path))
        t->path[t->path_have++] = c;
    if (--t->body_left == 0)
        request_done(t);
}

/* Was req_id a target read? Forgotten either way once its reply came. */
static bool take_pending(struct xs_target *t, uint32_t req_id)
{
    for (unsigned i = 0; i < t->nr_pending; i++)
        if (t->pending[i] == req_id) {
            t->pending[i] = t->pending[--t->nr_pending];
            return true;
        }
    return false;
}

uint32_t xs_target_reply(struct xs_target *t, char *msg)
{
    struct xsd_sockmsg h;
    memcpy(&h, msg, sizeof(h));
    uint32_t len = (uint32_t)sizeof(h) + h.len;
    if (h.type == XS_WATCH_EVENT || !take_pending(t, h.req_id) || h.type != XS_READ)
        return len;
    char *v = msg + sizeof(h);
    uint64_t kib = 0;
    if (!h.len || h.len > 20)
        return len;
    for (uint32_t i = 0; i < h.len; i++) {
        if (v[i] < '0' || v[i] > '9')
            return len;         /* not a number: the guest sees what xl wrote */
        kib = kib * 10 + (uint64_t)(v[i] - '0');
    }
    kib = kib > t->offset_kib ? kib - t->offset_kib : 0;
    char num[24];
    int n = snprintf(num, sizeof(num), "%llu", (unsigned long long)kib);
    memcpy(v, num, (size_t)n);
    h.len = (uint32_t)n;
    memcpy(msg, &h, sizeof(h));
    return (uint32_t)sizeof(h) + h.len;
}
