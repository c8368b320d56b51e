/*
 * A simulated guest for the xenstore tests: it owns a store ring page in
 * host memory and talks to pvshim's xenstore exactly as a domU's xenbus
 * does, writing request bytes into req[], advancing req_prod, "notifying"
 * (calling xenstore_guest_notified) and reading rsp[]. Watch events that
 * arrive while a reply is awaited are kept for the test to inspect.
 */
#ifndef PVSHIM_TEST_XENSTORE_SIM_H
#define PVSHIM_TEST_XENSTORE_SIM_H

#include <pvshim/xen_abi.h>
#include "../../xen/local/xenstore.h"

#define SIM_DOMID   5
#define SIM_HOME    "/local/domain/5"
#define SIM_UUID    "00112233-4455-6677-8899-aabbccddeeff"
#define SIM_MAX_EVENTS 4096

struct sim_msg {
    struct xsd_sockmsg hdr;
    char body[XENSTORE_PAYLOAD_MAX + 1];   /* NUL added after the payload */
};

struct sim_event {
    char path[512];
    char token[256];
};

struct xs_sim {
    struct xenstore_domain_interface *ring;
    unsigned notifies;              /* times xenstore notified the guest */
    uint32_t next_req_id;
    unsigned nevents;
    struct sim_event events[SIM_MAX_EVENTS];
    unsigned dom0_events;
    char dom0_last_path[256], dom0_last_token[256];
    size_t heap_base;
};

extern struct xs_sim sim;

/* The default guest: domid 5, "guest", 256 MiB, 2 vCPUs. */
void sim_default_params(struct xenstore_guest_params *p);
void sim_setup(void);
void sim_setup_with(const struct xenstore_guest_params *p, const struct xenstore_quota *q);
void sim_teardown(void);

/* Raw ring access: put bytes in req (processing as needed to make room). */
void sim_put_bytes(const void *data, size_t len);
/* Put bytes without any processing; returns how many fit. */
size_t sim_put_some(const void *data, size_t len);
/* Take one whole message from rsp if one is there (processing as needed). */
bool sim_get_msg(struct sim_msg *m);
/* Bytes waiting in rsp. */
uint32_t sim_rsp_pending(void);

/* Send a request and wait for its reply; watch events on the way are kept. */
void sim_send(uint32_t type, uint32_t tx_id, const void *payload, size_t len);
void sim_request(uint32_t type, uint32_t tx_id, const void *payload, size_t len,
                 struct sim_msg *reply);

/* Common shapes. Each checks the reply's type, req_id and tx_id echo. */
const char *sim_read(uint32_t tx, const char *path);            /* asserts success */
void sim_write(uint32_t tx, const char *path, const char *value);
void sim_mkdir(uint32_t tx, const char *path);
void sim_rm(uint32_t tx, const char *path);
void sim_watch(const char *path, const char *token);
void sim_unwatch(const char *path, const char *token);
uint32_t sim_tx_start(void);
/* Error name of a failing request, or "OK"-style payload text on success. */
const char *sim_try(uint32_t type, uint32_t tx, const void *payload, size_t len);
/* One-string payload helper ("path\0"). */
const char *sim_try1(uint32_t type, uint32_t tx, const char *arg);
/* Directory listing as "a,b,c". */
const char *sim_dir(uint32_t tx, const char *path);
/* Permissions as "n0,r5". */
const char *sim_perms(uint32_t tx, const char *path);
const char *sim_set_perms(uint32_t tx, const char *path, const char *perms_csv);

/* Take the oldest kept event; false if none. */
bool sim_pop_event(char *path, char *token);
/* Read all pending output (events) without sending anything. */
void sim_collect_events(void);
void sim_clear_events(void);
/* Does an event (path, token) sit in the kept list? Removes it if so. */
bool sim_take_event(const char *path, const char *token);

/* dom0-side helpers */
const char *dom0_read(const char *path);    /* NULL on error */
const char *dom0_control(const char *cmd);  /* reply text or error name */

/* A dom0 watch handler recording into sim.dom0_* (xenstore_dom0_watch). */
void sim_dom0_handler(const char *path, const char *token, void *arg);

#endif
