/*
 * The xenstore side every pvshim PV backend shares (vbd.c, vif.c): keys
 * under a device's backend or frontend directory, the two directories as
 * a toolstack creates them (libxl__device_generic_add: each owned by its
 * domain and readable by the other, BE frontend/frontend-id/online, FE
 * backend/backend-id), the error node xenbus_dev_fatal would write, and
 * the watch on the frontend's state. Writes go in as dom0's, like the
 * toolstack's.
 */
#ifndef PVSHIM_XENBUS_BACKEND_H
#define PVSHIM_XENBUS_BACKEND_H

#include <pvshim/xen_abi.h>
#include <pvshim/compiler.h>
#include "xenstore.h"

/* dir/key = printf(fmt, ...): 0 or -XEN_E*. */
int xenbus_be_write(const char *dir, const char *key, const char *fmt, ...) PRINTF_LIKE(3, 4);
/* dir/key into buf (NUL-terminated); false if absent or longer than buf. */
bool xenbus_be_read(const char *dir, const char *key, char *buf, size_t size);
/* dir/key as a decimal number; false if absent or not one. */
bool xenbus_be_read_uint(const char *dir, const char *key, uint64_t *v);

/*
 * Create be_path (owned by the backend domain, readable by fe_domid) and
 * fe_path (owned by fe_domid, readable by the backend) with the generic
 * keys that link them. 0 or -XEN_E*.
 */
int xenbus_be_create_dirs(const char *be_path, const char *fe_path, domid_t fe_domid);

/*
 * The frontend broke the protocol: log "name: why" and write why where
 * xenbus_dev_fatal would for backend type/fe_domid/devid.
 */
void xenbus_be_error(const char *name, const char *type, domid_t fe_domid, unsigned devid,
                     const char *why);

/* fn(arg) on every change of fe_path/state (and once at once). 0 or -XEN_E*. */
int xenbus_be_watch_frontend(const char *fe_path, const char *token, xenstore_event_fn fn,
                             void *arg);

#endif
