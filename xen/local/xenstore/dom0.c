/*
 * pvshim as dom0: requests on a privileged connection of its own, the
 * convenience calls built on them, and delivery of watch events to the
 * handler each watch's token names (one per backend instance: vbd, vif).
 * Events are queued while a request runs and handed over once it is
 * finished, so a handler may itself use the store; a handler's own changes
 * are delivered in the same round, up to a bound.
 */
#include <pvshim/string.h>
#include "xs.h"

/* Event records: u16 path length, u16 token length (NULs included), path, token. */
#define REC_HDR 4

static struct xs_dom0_handler *find_handler(const char *token)
{
    for (unsigned i = 0; i < XS_DOM0_HANDLERS; i++) {
        struct xs_dom0_handler *h = &xstore.ev.handlers[i];
        if (h->token[0] && strcmp(h->token, token) == 0)
            return h;
    }
    return NULL;
}

bool dom0_deliver_event(struct xs_conn *c, const char *path, const char *token, bool special)
{
    struct xs_dom0_events *ev = &xstore.ev;
    (void)c;
    (void)special;
    if (!find_handler(token))
        return false;       /* nobody would take it */
    uint32_t plen = (uint32_t)strlen(path) + 1, tlen = (uint32_t)strlen(token) + 1;
    uint32_t size = REC_HDR + plen + tlen;
    if (plen + tlen > XENSTORE_PAYLOAD_MAX || XS_DOM0_EVENT_FIFO - (ev->end - ev->start) < size)
        return false;
    uint8_t hdr[REC_HDR] = { (uint8_t)plen, (uint8_t)(plen >> 8),
                             (uint8_t)tlen, (uint8_t)(tlen >> 8) };
    const struct { const void *p; uint32_t n; } parts[3] = {
        { hdr, REC_HDR }, { path, plen }, { token, tlen },
    };
    for (unsigned i = 0; i < 3; i++) {
        for (uint32_t k = 0; k < parts[i].n; k++)
            ev->buf[(ev->end + k) % XS_DOM0_EVENT_FIFO] = ((const uint8_t *)parts[i].p)[k];
        ev->end += parts[i].n;
    }
    return true;
}

static void pop(uint32_t len, uint8_t *dst)
{
    struct xs_dom0_events *ev = &xstore.ev;
    for (uint32_t k = 0; k < len; k++)
        dst[k] = ev->buf[(ev->start + k) % XS_DOM0_EVENT_FIFO];
    ev->start += len;
}

void dom0_drain_events(void)
{
    struct xs_dom0_events *ev = &xstore.ev;
    ev->draining = true;
    for (unsigned n = 0; n < XS_DOM0_EVENTS_PER_DRAIN && ev->start != ev->end; n++) {
        uint8_t hdr[REC_HDR];
        pop(REC_HDR, hdr);
        uint32_t plen = hdr[0] | (uint32_t)hdr[1] << 8;
        uint32_t tlen = hdr[2] | (uint32_t)hdr[3] << 8;
        pop(plen + tlen, (uint8_t *)ev->one);
        /* Looked up now: a watch removed meanwhile gets nothing. */
        const struct xs_dom0_handler *h = find_handler(ev->one + plen);
        if (h)
            h->fn(ev->one, ev->one + plen, h->arg);
    }
    ev->draining = false;
}


int xenstore_dom0_request(uint32_t type, uint32_t tx_id,
                          const void *payload, size_t len,
                          uint32_t *reply_type, void *reply,
                          size_t reply_size, size_t *reply_len)
{
    if (!xstore.up)
        return -XEN_ENOSYS;
    if (len > XENSTORE_PAYLOAD_MAX)
        return -XEN_E2BIG;
    if (len)
        memcpy(xstore.dom0_in, payload, len);
    xstore.dom0_in[len] = '\0';
    struct xsd_sockmsg hdr = { .type = type, .req_id = 0, .tx_id = tx_id, .len = (uint32_t)len };
    struct xs_reply r;
    int err = xs_handle(&xstore.dom0, &hdr, xstore.dom0_in, &r);
    if (reply_type)
        *reply_type = r.type;
    if (reply_len)
        *reply_len = r.len;
    if (reply && reply_size)
        memcpy(reply, r.data, MIN((size_t)r.len, reply_size));
    if (r.new_watch)
        watch_fire_initial(&xstore.dom0, r.new_watch);
    xs_finish();
    return err;
}

/* path, NUL, then more bytes: the usual payload shape. */
static int build(const char *path, const void *more, size_t morelen, size_t *len)
{
    size_t plen = strnlen(path, XENSTORE_PAYLOAD_MAX);
    if (plen + 1 + morelen > XENSTORE_PAYLOAD_MAX)
        return -XEN_E2BIG;
    memcpy(xstore.dom0_build, path, plen);
    xstore.dom0_build[plen] = '\0';
    if (morelen)
        memcpy(xstore.dom0_build + plen + 1, more, morelen);
    *len = plen + 1 + morelen;
    return XS_OK;
}

static int simple(uint32_t type, const char *path, const void *more, size_t morelen)
{
    size_t len;
    int err = build(path, more, morelen, &len);
    return err ? err : xenstore_dom0_request(type, 0, xstore.dom0_build, len, NULL, NULL, 0, NULL);
}

int xenstore_dom0_read(const char *path, char *buf, size_t size, size_t *len)
{
    size_t plen;
    int err = build(path, NULL, 0, &plen);
    if (err)
        return err;
    size_t got;
    err = xenstore_dom0_request(XS_READ, 0, xstore.dom0_build, plen, NULL, buf, size, &got);
    if (err)
        return err;
    if (got < size)
        buf[got] = '\0';
    if (len)
        *len = got;
    return XS_OK;
}

int xenstore_dom0_write(const char *path, const void *data, size_t len)
{
    return simple(XS_WRITE, path, data, len);
}

int xenstore_dom0_write_str(const char *path, const char *value)
{
    return simple(XS_WRITE, path, value, strnlen(value, XENSTORE_PAYLOAD_MAX + 1));
}

int xenstore_dom0_mkdir(const char *path)
{
    return simple(XS_MKDIR, path, NULL, 0);
}

int xenstore_dom0_rm(const char *path)
{
    return simple(XS_RM, path, NULL, 0);
}

int xenstore_dom0_set_perms(const char *path, const struct xenstore_perm *perms,
                            unsigned int nperms)
{
    size_t len;
    int err = build(path, NULL, 0, &len);
    if (err)
        return err;
    if (nperms == 0)
        return -XEN_EINVAL;
    for (unsigned i = 0; i < nperms; i++) {
        char a = perms[i].access;
        if (a != 'n' && a != 'r' && a != 'w' && a != 'b')
            return -XEN_EINVAL;
        size_t room = sizeof(xstore.dom0_build) - len;
        int n = snprintf(xstore.dom0_build + len, room, "%c%u", a, (unsigned)perms[i].domid);
        if (n < 0 || (size_t)n + 1 > room)
            return -XEN_E2BIG;
        len += (size_t)n + 1;
    }
    return xenstore_dom0_request(XS_SET_PERMS, 0, xstore.dom0_build, len, NULL, NULL, 0, NULL);
}

int xenstore_dom0_watch(const char *path, const char *token, xenstore_event_fn fn, void *arg)
{
    size_t tlen = strnlen(token, XS_DOM0_TOKEN_MAX);
    if (!fn || tlen == 0)
        return -XEN_EINVAL;
    if (tlen == XS_DOM0_TOKEN_MAX)
        return -XEN_E2BIG;
    struct xs_dom0_handler *h = find_handler(token);
    if (h && (h->fn != fn || h->arg != arg))
        return -XEN_EEXIST;
    bool fresh = !h;
    for (unsigned i = 0; !h && i < XS_DOM0_HANDLERS; i++)
        if (!xstore.ev.handlers[i].token[0])
            h = &xstore.ev.handlers[i];
    if (!h)
        return -XEN_ENOSPC;
    if (fresh) {
        /* Registered before the watch: its first event comes at once. */
        memcpy(h->token, token, tlen + 1);
        h->fn = fn;
        h->arg = arg;
        h->watches = 0;
    }
    int err = simple(XS_WATCH, path, token, tlen + 1);
    if (!err)
        h->watches++;
    else if (!h->watches)
        memset(h, 0, sizeof(*h));
    return err;
}

int xenstore_dom0_unwatch(const char *path, const char *token)
{
    int err = simple(XS_UNWATCH, path, token, strnlen(token, XENSTORE_PAYLOAD_MAX) + 1);
    struct xs_dom0_handler *h = err ? NULL : find_handler(token);
    if (h && --h->watches == 0)
        memset(h, 0, sizeof(*h));
    return err;
}

static int write_guest_control(const char *node, const char *value)
{
    char path[64];
    snprintf(path, sizeof(path), "%s/control/%s", xstore.guest.home, node);
    return xenstore_dom0_write_str(path, value);
}

int xenstore_request_shutdown(const char *command)
{
    static const char *const known[] = { "poweroff", "reboot", "halt", "suspend" };
    if (!xstore.up)
        return -XEN_ENOSYS;
    for (unsigned i = 0; command && i < ARRAY_SIZE(known); i++)
        if (strcmp(command, known[i]) == 0)
            return write_guest_control("shutdown", command);
    return -XEN_EINVAL;
}

int xenstore_send_sysrq(char key)
{
    if (!xstore.up)
        return -XEN_ENOSYS;
    if (key <= ' ' || key > '~')
        return -XEN_EINVAL;
    char value[2] = { key, '\0' };
    return write_guest_control("sysrq", value);
}

int xenstore_set_vcpu_availability(unsigned int vcpu, bool online)
{
    if (!xstore.up)
        return -XEN_ENOSYS;
    if (vcpu >= xstore.guest_vcpus)
        return -XEN_ENOENT;
    char path[64];
    snprintf(path, sizeof(path), "%s/cpu/%u/availability", xstore.guest.home, vcpu);
    return xenstore_dom0_write_str(path, online ? "online" : "offline");
}
