/*
 * pvshim's built-in xenstore: what the guest talks to through its store
 * ring when no Xen runs underneath. One guest (unprivileged, its own
 * domid) is served over the shared ring; pvshim itself acts as dom0
 * (privileged) through the functions below.
 *
 * Semantics follow the C xenstored (tools/xenstored in Xen): wire format
 * from <xen/io/xs_wire.h>, errors as the xsd_errors names ("ENOENT", ...),
 * permissions (owner + default + per-domain entries), watches that fire
 * once on registration and on every change at or below the watched node,
 * transactions that fail with EAGAIN when something they touched changed,
 * and per-guest quotas. Single-threaded: call from one CPU only.
 *
 * Every function returning int gives 0 or a negative Xen errno
 * (-XEN_ENOENT, ...), the same error the wire protocol would name.
 */
#ifndef PVSHIM_XEN_LOCAL_XENSTORE_H
#define PVSHIM_XEN_LOCAL_XENSTORE_H

#include <pvshim/types.h>
#include <pvshim/xen_abi.h>

/* What libxl would know about the guest when it creates its store nodes. */
struct xenstore_guest_params {
    domid_t domid;                  /* the guest's domid: 1..DOMID_FIRST_RESERVED-1 */
    const char *name;               /* ~/name and /vm/<uuid>/name */
    uint8_t uuid[16];               /* /vm/<uuid> */
    uint64_t memory_kb;             /* ~/memory/target */
    uint64_t max_memory_kb;         /* ~/memory/static-max (0: same as memory_kb) */
    uint64_t domain_memory_kb;      /* the VM's RAM, pvshim's share included (L0 relay) */
    unsigned int vcpus;             /* ~/cpu/N/availability for N < vcpus (1..512) */
    uint64_t store_mfn;             /* ~/store/ring-ref */
    evtchn_port_t store_port;       /* ~/store/port */
    uint64_t console_mfn;           /* ~/console/ring-ref */
    evtchn_port_t console_port;     /* ~/console/port */
};

/*
 * Limits on what the guest may make pvshim hold. Zero fields take the
 * default (xenstored's defaults, except memory: xenstored allows 2.5 MiB,
 * pvshim's whole heap is 512 KiB). Nothing pvshim itself does is limited
 * by these.
 */
struct xenstore_quota {
    uint32_t nodes;         /* nodes the guest owns (default 1000) -> ENOSPC */
    uint32_t node_size;     /* bytes of one node the guest writes (2048) -> ENOSPC */
    uint32_t watches;       /* watches the guest holds (128) -> ENOSPC */
    uint32_t transactions;  /* open transactions (10) -> ENOSPC */
    uint32_t perms;         /* entries in one SET_PERMS (5) -> ENOSPC */
    uint32_t tx_nodes;      /* nodes one transaction may touch (1024) -> ENOSPC */
    uint32_t memory;        /* heap bytes charged to the guest (128 KiB) -> ENOMEM */
};

/* Tells the guest that its rings moved (pvshim: send on the store event channel). */
typedef void (*xenstore_notify_fn)(void *arg);

/* Receives watch events for watches pvshim registered with xenstore_dom0_watch. */
typedef void (*xenstore_event_fn)(const char *path, const char *token, void *arg);

/*
 * Build the initial tree (as xenstored starts and as libxl creates a PV
 * domU) and take over the ring page, which must stay mapped until
 * xenstore_teardown(). quota may be NULL. Advertises ring reconnection
 * and the error field in ring->server_features.
 */
int xenstore_init(const struct xenstore_guest_params *params,
                  const struct xenstore_quota *quota,
                  struct xenstore_domain_interface *ring,
                  xenstore_notify_fn notify, void *notify_arg);

/* Free everything; the ring is left as it is. Safe to call when not initialised. */
void xenstore_teardown(void);

/*
 * The guest notified the store event channel: handle a reconnect request,
 * consume and answer every complete request on the ring, push out queued
 * replies and watch events. Returns true if work is left that a later call
 * should finish (the guest must consume replies first, or a per-call bound
 * was reached).
 */
bool xenstore_guest_notified(void);

/* True once the guest broke the protocol; it stays so until it reconnects. */
bool xenstore_guest_connection_broken(void);

/* ---- pvshim as dom0 (privileged; never subject to quotas) */

/*
 * Any request as dom0 would send it on its own connection: type and
 * payload as on the wire, tx_id a transaction dom0 started (0 for none).
 * On return *reply_type is the reply's type (XS_ERROR with the error name
 * as payload when it failed) and reply holds the payload, truncated to
 * reply_size; *reply_len is the full payload length.
 * Returns 0 or the request's error as -XEN_E*.
 */
int xenstore_dom0_request(uint32_t type, uint32_t tx_id,
                          const void *payload, size_t len,
                          uint32_t *reply_type, void *reply,
                          size_t reply_size, size_t *reply_len);

/* Read a value into buf (NUL-terminated if room); *len gets its full length. */
int xenstore_dom0_read(const char *path, char *buf, size_t size, size_t *len);
int xenstore_dom0_write(const char *path, const void *data, size_t len);
int xenstore_dom0_write_str(const char *path, const char *value);
int xenstore_dom0_mkdir(const char *path);
int xenstore_dom0_rm(const char *path);

struct xenstore_perm {
    domid_t domid;
    char access;            /* 'n' none, 'r' read, 'w' write, 'b' both */
};
/* perms[0] is the owner (its access is what other domains get by default). */
int xenstore_dom0_set_perms(const char *path, const struct xenstore_perm *perms,
                            unsigned int nperms);

/*
 * Watches for pvshim's own backends (vbd, vif, ...). The token names the
 * handler: every event of a watch with that token goes to fn(path, token,
 * arg), after the change that fired it (so fn may use the store itself).
 * Several watches may share a token and its handler; a token registered
 * with another handler is refused (-XEN_EEXIST), as is a token of 32 bytes or
 * more (-XEN_E2BIG) or one handler too many
 * (-XEN_ENOSPC). Unwatching the token's last watch forgets its handler.
 */
int xenstore_dom0_watch(const char *path, const char *token, xenstore_event_fn fn, void *arg);
int xenstore_dom0_unwatch(const char *path, const char *token);

/*
 * Ask the guest to shut down as the toolstack does: write command
 * ("poweroff", "reboot", "halt" or "suspend") to ~/control/shutdown.
 */
int xenstore_request_shutdown(const char *command);

/* Write a magic SysRq key to ~/control/sysrq (Linux guests). */
int xenstore_send_sysrq(char key);

/*
 * Ask the guest to take vCPU vcpu down or bring it up, as `xl vcpu-set`
 * does: write "offline" or "online" to ~/cpu/<vcpu>/availability (Linux's
 * xen cpu_hotplug driver watches ~/cpu and does the rest itself, through
 * VCPUOP_down/up). -XEN_ENOENT for a vCPU the domain was not built with.
 */
int xenstore_set_vcpu_availability(unsigned int vcpu, bool online);

#endif
