/*
 * The ring half of a PV network backend (netif, public/io/netif.h): one tx
 * and one rx ring page, one event channel, receive by copy only. No
 * xenstore here (vif.c does the handshake) and no hardware: a netback is
 * given its ring pages, its network device and its grant and notification
 * operations, so host tests run it with fakes.
 *
 * TX (guest -> device): a packet is its first request (size = the whole
 * packet), the extra-info slots NETTXF_extra_info announces (chained by
 * XEN_NETIF_EXTRA_FLAG_MORE) and the further requests NETTXF_more_data
 * chains; each data slot lies inside its page. Every slot is copied out of
 * the shared page before it is looked at; the data is copied out of the
 * granted pages (grants checked, held only during the copy) into a device
 * buffer. Every request slot gets one response with its id, every extra
 * slot a NETIF_RSP_NULL, in ring order. A packet that breaks the rules
 * gets NETIF_RSP_ERROR on each of its slots and a log line; it never goes
 * to the device. A partial checksum (NETTXF_csum_blank) is handed to the
 * device if it takes them, else completed here; a GSO extra becomes the
 * device's GSO when it has it, else the packet is cut into segments here
 * (net_gso.h): copied out of the granted pages into gso_buf and answered
 * at once, its segments go to the device as send buffers come free, and
 * no further request is taken until the last one has gone.
 *
 * RX (device -> guest): each received frame is copied into the page of the
 * next posted rx request and answered in that request's slot (netfront
 * takes buffers by slot), at offset 0, with its length as status. A frame
 * stays with the device while the guest has no buffer posted.
 *
 * Both rings: a producer more than a ring ahead of our responses marks the
 * frontend broken (log line; the rings are no longer served). Responses
 * are published with Xen's notify rule; a request consumer asks for a
 * kick (req_event) before it sleeps and looks once more.
 */
#ifndef PVSHIM_NETBACK_H
#define PVSHIM_NETBACK_H

#include <pvshim/xen_abi.h>
#include <pvshim/netdev.h>
#include <xen/io/netif.h>
#include "net_gso.h"

#define NETBACK_RING_SIZE   256     /* one page of netif tx (12 B) or rx (8 B) entries */
#define NETBACK_MAX_SLOTS   XEN_NETIF_NR_SLOTS_MIN  /* data slots of one packet */
#define NETBACK_MAX_EXTRAS  (XEN_NETIF_EXTRA_TYPE_MAX - 1)

struct netback_grant_ops {
    /* Check grant ref for this access and hold its frame: 0 or -XEN_E*. */
    int (*acquire)(void *ctx, grant_ref_t ref, bool write, mfn_t *frame);
    void (*release)(void *ctx, grant_ref_t ref, bool write, mfn_t frame);
    /* pvshim's view of a frame acquire() gave (a whole page). */
    void *(*frame_ptr)(void *ctx, mfn_t frame);
};

/* Features the backend offers the frontend (vif.c writes them). */
struct netback_features {
    bool sg;                /* feature-sg: multi-slot packets */
    bool gso_tcpv4, gso_tcpv6;
    bool ipv6_csum;         /* feature-ipv6-csum-offload */
};

/* One tx packet as netback_tx_parse found it on the ring. */
struct netback_tx_pkt {
    netif_tx_request_t slot[NETBACK_MAX_SLOTS + 1];     /* data slots, copied */
    unsigned nr_slots;      /* data slots kept in slot[] */
    unsigned nr_ring;       /* ring slots the packet takes (data + extras) */
    /* Per ring slot, ring order: 0 data, 1 extra; the request's id. A refused
     * packet may take more slots than a good one can: its whole chain. */
    uint8_t kind[NETBACK_RING_SIZE];
    uint16_t id[NETBACK_RING_SIZE];
    uint32_t first_len;     /* bytes in slot[0] */
    uint32_t total;         /* bytes of the packet */
    bool has_gso;
    netif_extra_info_t gso;
    const char *error;      /* NULL, or why the packet is refused */
};

/*
 * Take the packet starting at ring index cons (requests up to prod exist)
 * off ring s into p. Returns the ring slots it takes (p->error set if it is
 * to be refused), or 0 when its last slot is not posted yet. A refused
 * packet still takes its whole chain (every extra and every more_data
 * slot), so that no tail of it is taken for a packet of its own.
 */
unsigned netback_tx_parse(const netif_tx_sring_t *s, RING_IDX cons, RING_IDX prod,
                          const struct netback_features *feat, struct netback_tx_pkt *p);

struct netback_stats {
    uint64_t tx_packets, tx_bytes, tx_errors;
    uint64_t rx_packets, rx_bytes, rx_errors;
    uint64_t tx_segments;           /* frames software GSO cut packets into */
    uint64_t services, notifies;    /* netback_service calls, event channel kicks */
};

struct netback {
    /* Given by the creator. */
    struct netdev *dev;
    domid_t be_domid;
    struct netback_features feat;
    const struct netback_grant_ops *grants;
    void *grants_ctx;
    void (*notify)(void *arg);      /* kick the frontend's event channel */
    void *notify_arg;
    const char *name;
    uint8_t *gso_buf;               /* NETDEV_TX_MAX bytes for software GSO, or NULL */

    /* The rings while connected. */
    netif_tx_sring_t *tx;
    netif_rx_sring_t *rx;
    RING_IDX tx_req_cons, tx_rsp_prod, tx_rsp_published;
    RING_IDX rx_req_cons, rx_rsp_prod, rx_rsp_published;
    bool broken;
    bool kick;                      /* responses published that want a notification */
    struct netback_tx_pkt pkt;      /* the packet being handled */
    struct net_gso gso;             /* the packet in gso_buf being cut */
    uint32_t gso_next;              /* its next segment */
    bool gso_active;                /* segments of it are still to go */
    struct netback_stats stats;
};

/* Start serving the ring pages the frontend initialised. */
void netback_connect(struct netback *nb, void *tx_page, void *rx_page);
void netback_disconnect(struct netback *nb);
/* Send what the guest posted and deliver what the device received. */
void netback_service(struct netback *nb);

#endif
