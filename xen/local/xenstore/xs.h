/*
 * Internals of pvshim's xenstore, shared by the files in this directory.
 *
 * The store is a flat table of immutable node blocks keyed by absolute
 * path, as in xenstored: each block holds the node's permissions, value
 * and the NUL-separated names of its children, so a change is "build a
 * new block, swap it in". Transactions keep private blocks in an overlay
 * and swap them into the table at commit. Everything runs on one CPU, one
 * request at a time; pvshim's own (dom0) requests are just another
 * connection.
 */
#ifndef PVSHIM_XS_INTERNAL_H
#define PVSHIM_XS_INTERNAL_H

#include <pvshim/types.h>
#include <pvshim/compiler.h>
#include <pvshim/xen_abi.h>
#include "../xenstore.h"

/* Errors are negative Xen errno values throughout. */
#define XS_OK 0

/* ------------------------------------------------------------ limits */

#define XS_PATH_BUF         (XENSTORE_ABS_PATH_MAX + 1)
#define XS_HASH_BUCKETS     256
#define XS_MSG_MAX          (sizeof(struct xsd_sockmsg) + XENSTORE_PAYLOAD_MAX)
#define XS_OUT_FIFO_SIZE    (32 * 1024)     /* replies and events waiting for the rsp ring */
#define XS_DOM0_EVENT_FIFO  (8 * 1024)      /* dom0 watch events waiting for delivery */
#define XS_REQUESTS_PER_CALL 256            /* bound on one xenstore_guest_notified() */
#define XS_DOM0_EVENTS_PER_DRAIN 256
#define XS_DOM0_HANDLERS    32              /* distinct tokens of pvshim's own watches */
#define XS_DOM0_TOKEN_MAX   32              /* bytes of such a token, NUL included */

#define XS_DEFAULT_NODES        1000
#define XS_DEFAULT_NODE_SIZE    2048
#define XS_DEFAULT_WATCHES      128
#define XS_DEFAULT_TRANSACTIONS 10
#define XS_DEFAULT_PERMS        5
#define XS_DEFAULT_TX_NODES     1024
/* pvshim's whole heap is 512 KiB (shim/kernel/heap.c): the guest gets a quarter. */
#define XS_DEFAULT_MEMORY       (128 * 1024)

/* ------------------------------------------------------------ permissions */

/* The same bit values as libxenstore's XS_PERM_*. */
#define XS_PERM_NONE    0x00
#define XS_PERM_READ    0x01
#define XS_PERM_WRITE   0x02
#define XS_PERM_OWNER   0x08
#define XS_PERM_IGNORE  0x10    /* entry names a domain that does not exist */

struct xs_perm {
    uint16_t id;
    uint8_t access;
    uint8_t pad;
};

/* Node accounting as xenstored does it: header + 8 bytes a permission. */
#define XS_NODE_HDR_BYTES   16
#define XS_PERM_BYTES       8

/* ------------------------------------------------------------ nodes */

#define XS_GEN_NONE UINT64_MAX  /* "did not exist" in transaction bookkeeping */

/*
 * One version of one node. Immutable once built, except generation and
 * hash_next which the table sets. Owner = perms[0].id.
 */
struct xs_node {
    struct xs_node *hash_next;
    uint64_t generation;
    uint32_t datalen;
    uint32_t childlen;          /* bytes of children, each name NUL-terminated */
    uint16_t namelen;
    uint16_t nperms;            /* >= 1 */
    const struct xs_perm *perms;
    const char *name;           /* NUL-terminated absolute path or @special */
    const char *data;
    const char *children;
};

static inline domid_t node_owner(const struct xs_node *n) { return n->perms[0].id; }

/* Node blocks are charged to a domain (see account.c) and freed with node_free. */
struct xs_node *node_build(domid_t charge, bool check_quota, size_t credit,
                           const char *name, size_t namelen,
                           const struct xs_perm *perms, unsigned nperms,
                           const void *data, size_t datalen,
                           const char *children, size_t childlen, int *err);
void node_free(struct xs_node *n);
/* The accounting size xenstored compares with the node-size quota. */
size_t node_quota_size(unsigned nperms, size_t datalen, size_t childlen);
/* Heap bytes the block takes, what the memory quota counts. */
size_t node_block_size(const struct xs_node *n);
bool node_has_child(const struct xs_node *n, const char *child, size_t len);
/* Next child name after offset off (0 for the first); NULL at the end. */
const char *node_next_child(const struct xs_node *n, uint32_t *off);

/* ------------------------------------------------------------ accounting */

/* Allocations made on some domain's behalf; the guest's count against its memory quota. */
void *xs_alloc(domid_t charge, size_t size, bool check_quota, size_t credit);
void xs_free(void *p);
void xs_recharge(void *p, domid_t charge);
domid_t xs_charge_of(const void *p);

/* ------------------------------------------------------------ connections */

struct xs_watch;
struct xs_tx;

struct xs_conn {
    domid_t domid;
    bool privileged;
    char home[24];              /* "/local/domain/<domid>" */
    uint16_t homelen;
    struct xs_watch *watches;
    uint32_t nwatches;
    struct xs_tx *txs;
    uint32_t ntxs;
    uint32_t next_tx_id;
};

/* Who does an operation, and in which transaction (NULL: none). */
struct xs_ctx {
    struct xs_conn *conn;
    struct xs_tx *tx;
};

/* ------------------------------------------------------------ the guest's ring */

struct xs_ring {
    struct xenstore_domain_interface *intf;
    xenstore_notify_fn notify;
    void *notify_arg;
    bool broken;
    bool moved;                 /* indices changed since the last notify */
    /* The request being assembled: header, then payload. */
    uint32_t in_have;
    uint8_t in[XS_MSG_MAX + 1] ALIGNED(8);   /* + a NUL after the payload */
    /* Replies and events not yet in the rsp ring, as whole messages. */
    uint32_t out_start;         /* free-running: first byte not yet in the ring */
    uint32_t out_end;           /* free-running: end of queued bytes */
    uint32_t out_msg;           /* start of the message out_start is in */
    uint32_t out_reserve;       /* room kept for the reply being built */
    uint8_t out[XS_OUT_FIFO_SIZE];
};

/* Where the events of pvshim's watches with one token go. */
struct xs_dom0_handler {
    char token[XS_DOM0_TOKEN_MAX];  /* "" when the entry is free */
    xenstore_event_fn fn;
    void *arg;
    unsigned watches;               /* watches registered with this token */
};

struct xs_dom0_events {
    struct xs_dom0_handler handlers[XS_DOM0_HANDLERS];
    uint32_t start, end;        /* free-running offsets into buf */
    bool draining;
    uint8_t buf[XS_DOM0_EVENT_FIFO];
    char one[XS_DOM0_EVENT_FIFO];   /* the event being delivered */
};

/* ------------------------------------------------------------ global state */

struct xs_state {
    bool up;
    domid_t guest_domid;
    unsigned int guest_vcpus;   /* ~/cpu/N exists for N < guest_vcpus */
    struct xenstore_quota quota;
    struct xs_node *bucket[XS_HASH_BUCKETS];
    uint64_t generation;
    uint32_t nr_nodes;
    uint32_t guest_nodes;       /* nodes in the table the guest owns */
    size_t guest_mem;           /* heap bytes charged to the guest */
    size_t other_mem;
    struct xs_conn guest;
    struct xs_conn dom0;
    struct xs_ring ring;
    struct xs_dom0_events ev;
    char canon[XS_PATH_BUF];    /* the current request's canonical path */
    char walk[XS_PATH_BUF];     /* rm's walk over a subtree */
    char reply[XENSTORE_PAYLOAD_MAX];
    char dom0_in[XENSTORE_PAYLOAD_MAX + 1];     /* a dom0 request's payload */
    char dom0_build[XENSTORE_PAYLOAD_MAX];      /* wrappers assemble payloads here */
};

extern struct xs_state xstore;

/* ------------------------------------------------------------ paths (path.c) */

bool path_valid_chars(const char *p);
/*
 * xenstored's canonicalize(): the absolute path (or @special) for what a
 * connection sent, into out (XS_PATH_BUF). -XEN_EINVAL if malformed or too
 * long. *relative (may be NULL) tells whether it was relative.
 */
int path_canonical(const struct xs_conn *c, const char *in, bool allow_special,
                   char *out, bool *relative);
/* Length of the parent's name ("/" for top-level nodes): a prefix of path. */
size_t path_parent_len(const char *path, size_t len);
/* child == parent, or below it. */
bool path_is_child(const char *child, const char *parent);
/* Decimal domid 0..65535, as xenstored parses it. */
int path_parse_domid(const char *s, unsigned *domid);

/* ------------------------------------------------------------ permissions (perms.c) */

bool domain_exists(unsigned domid);
/* XS_PERM_READ|WRITE|OWNER bits c gets on a node with these permissions. */
unsigned perm_for(const struct xs_conn *c, const struct xs_perm *p, unsigned n);
/* Parse n "r5"-style strings; -XEN_EINVAL if one is malformed. */
int perms_parse(const char *strings, size_t len, unsigned n, struct xs_perm *out);
/* Format as NUL-separated strings; returns the length, or 0 if it does not fit. */
size_t perms_format(const struct xs_perm *p, unsigned n, char *buf, size_t size);

/* ------------------------------------------------------------ the table and views (store.c) */

void store_reset(void);
const struct xs_node *store_lookup(const char *name, size_t len);
/* Put n in the table (replacing a node of that name); takes ownership. */
void store_insert(struct xs_node *n);
void store_remove(const char *name, size_t len);
/* Build a node as the table's own (charged to its owner) and insert it. */
int store_put_initial(const char *name, const struct xs_perm *perms, unsigned nperms,
                      const char *children, size_t childlen);

/* The node as the context sees it: 0 with *out NULL when absent. */
int view_get(struct xs_ctx *c, const char *name, size_t len, const struct xs_node **out);
int view_set(struct xs_ctx *c, struct xs_node *n);
int view_del(struct xs_ctx *c, const char *name, size_t len);
/* Guest-owned nodes as the context sees them (table plus transaction). */
uint32_t view_guest_nodes(const struct xs_ctx *c);
/* Who a new block in this context is charged to. */
domid_t view_charge(const struct xs_ctx *c, domid_t owner);

/* ------------------------------------------------------------ operations (ops.c) */

/* xenstored's get_node(): 0 with *out, -XEN_ENOENT, -XEN_EACCES, ... */
int op_get(struct xs_ctx *c, const char *path, unsigned perm, const struct xs_node **out);
int op_write(struct xs_ctx *c, const char *path, const void *data, size_t len);
int op_mkdir(struct xs_ctx *c, const char *path);
int op_rm(struct xs_ctx *c, const char *path);
int op_set_perms(struct xs_ctx *c, const char *path, const struct xs_perm *perms, unsigned n);

/* ------------------------------------------------------------ transactions (transaction.c) */

struct xs_tx_entry {
    struct xs_tx_entry *next;
    uint64_t base_gen;          /* table generation at first access, XS_GEN_NONE if absent */
    struct xs_node *node;       /* this transaction's version, when modified (NULL: deleted) */
    bool modified;
    bool fire;                  /* a watch event is due at commit */
    uint8_t match;
    uint16_t nperms;            /* permissions at first access, for events on deletions */
    struct xs_perm *perms;
    uint16_t namelen;
    char name[];
};

struct xs_tx {
    struct xs_tx *next;
    struct xs_conn *conn;
    uint32_t id;
    uint32_t nentries;
    int32_t guest_node_delta;
    bool failed;
    struct xs_tx_entry *entries;
    struct xs_tx_entry **tail;
};

struct xs_tx *tx_lookup(struct xs_conn *c, uint32_t id);
int tx_start(struct xs_conn *c, uint32_t *id);
int tx_end(struct xs_conn *c, struct xs_tx *tx, bool commit);
void tx_destroy_all(struct xs_conn *c);
struct xs_tx_entry *tx_entry_find(struct xs_tx *tx, const char *name, size_t len);
/* Find or record the first access to a node. */
int tx_entry_get(struct xs_tx *tx, const char *name, size_t len, struct xs_tx_entry **out);

/* ------------------------------------------------------------ watches (watch.c) */

enum xs_match {
    MATCH_EXACT,                /* watches on exactly this path */
    MATCH_SUBTREE,              /* watches on this path or above it */
};

/* Inside a transaction an event waits for the commit (one per node). */
void tx_queue_event(struct xs_tx *tx, const char *name, uint8_t match);

int watch_add(struct xs_conn *c, const char *path, const char *token, bool relative,
              const struct xs_watch **out);
int watch_remove(struct xs_conn *c, const char *path, const char *token);
void watch_remove_all(struct xs_conn *c);
/* The event a new watch gets straight away. */
void watch_fire_initial(struct xs_conn *c, const struct xs_watch *w);
/*
 * A node changed: node_perms are its permissions (new ones, or the last
 * ones before a removal; NULL: look it up), old_perms the ones it had
 * before a permission change. Queued in the transaction if there is one.
 */
void watch_fire(struct xs_ctx *c, const char *path, enum xs_match m,
                const struct xs_perm *node_perms, unsigned node_nperms,
                const struct xs_perm *old_perms, unsigned old_nperms);

/* Hand a watch event to a connection; false if it had to be dropped. */
bool conn_deliver(struct xs_conn *c, const char *path, const char *token, bool special);

/* ------------------------------------------------------------ protocol (protocol.c) */

struct xs_reply {
    uint32_t type;
    uint32_t len;
    const char *data;
    const struct xs_watch *new_watch;   /* WATCH succeeded: send its first event after the reply */
};

/* Handle one request from c; the reply always exists (XS_ERROR on failure). */
int xs_handle(struct xs_conn *c, const struct xsd_sockmsg *hdr, const char *body,
              struct xs_reply *r);
const char *xs_error_name(int err);

/* ------------------------------------------------------------ guest ring (ring.c) */

void ring_init(struct xenstore_domain_interface *intf, xenstore_notify_fn fn, void *arg);
void ring_reset_state(void);
bool ring_process(void);
void ring_flush(void);
bool ring_deliver_event(struct xs_conn *c, const char *path, const char *token, bool special);

/* ------------------------------------------------------------ dom0 side (dom0.c, control.c) */

bool dom0_deliver_event(struct xs_conn *c, const char *path, const char *token, bool special);
void dom0_drain_events(void);
/* After every entry point: push ring output, notify, run dom0 callbacks. */
void xs_finish(void);
int control_command(struct xs_conn *c, const char *body, size_t len, char *reply, size_t *rlen);
/* Structural check of the whole table: 0 or -XEN_EIO with a log line. */
int xs_check_store(void);

/* ------------------------------------------------------------ initial content (guest_nodes.c) */

int guest_nodes_create(const struct xenstore_guest_params *p);

#endif
