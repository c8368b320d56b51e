/*
 * Shared xenstore plumbing of pvshim's PV backends (see xenbus_backend.h).
 */
#include "xenbus_backend.h"
#include "event_channel.h"
#include <pvshim/log.h>
#include <pvshim/string.h>

int xenbus_be_write(const char *dir, const char *key, const char *fmt, ...)
{
    char path[128], value[64];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(value, sizeof(value), fmt, ap);
    va_end(ap);
    snprintf(path, sizeof(path), "%s/%s", dir, key);
    return xenstore_dom0_write_str(path, value);
}

bool xenbus_be_read(const char *dir, const char *key, char *buf, size_t size)
{
    char path[128];
    size_t len;
    snprintf(path, sizeof(path), "%s/%s", dir, key);
    return xenstore_dom0_read(path, buf, size, &len) == 0 && len < size;
}

bool xenbus_be_read_uint(const char *dir, const char *key, uint64_t *v)
{
    char buf[24];
    if (!xenbus_be_read(dir, key, buf, sizeof(buf)) || !buf[0])
        return false;
    uint64_t n = 0;
    for (const char *p = buf; *p; p++) {
        if (*p < '0' || *p > '9' || n > (UINT64_MAX - 9) / 10)
            return false;
        n = n * 10 + (uint64_t)(*p - '0');
    }
    *v = n;
    return true;
}

int xenbus_be_create_dirs(const char *be_path, const char *fe_path, domid_t fe_domid)
{
    const struct xenstore_perm be_perms[] = { { BACKEND_DOMID, 'n' }, { fe_domid, 'r' } };
    const struct xenstore_perm fe_perms[] = { { fe_domid, 'n' }, { BACKEND_DOMID, 'r' } };
    int rc = xenstore_dom0_mkdir(be_path);
    if (!rc)
        rc = xenstore_dom0_set_perms(be_path, be_perms, 2);
    if (!rc)
        rc = xenstore_dom0_mkdir(fe_path);
    if (!rc)
        rc = xenstore_dom0_set_perms(fe_path, fe_perms, 2);
    if (rc)
        return rc;
    xenbus_be_write(be_path, "frontend", "%s", fe_path);
    xenbus_be_write(be_path, "frontend-id", "%u", (unsigned)fe_domid);
    xenbus_be_write(be_path, "online", "1");
    xenbus_be_write(fe_path, "backend", "%s", be_path);
    xenbus_be_write(fe_path, "backend-id", "%u", (unsigned)BACKEND_DOMID);
    return 0;
}

void xenbus_be_error(const char *name, const char *type, domid_t fe_domid, unsigned devid,
                     const char *why)
{
    log_warn("%s: %s", name, why);
    char path[128];
    snprintf(path, sizeof(path), "/local/domain/0/error/backend/%s/%u/%u/error", type,
             (unsigned)fe_domid, devid);
    xenstore_dom0_write_str(path, why);
}

int xenbus_be_watch_frontend(const char *fe_path, const char *token, xenstore_event_fn fn,
                             void *arg)
{
    char watch[96];
    snprintf(watch, sizeof(watch), "%s/state", fe_path);
    return xenstore_dom0_watch(watch, token, fn, arg);
}
