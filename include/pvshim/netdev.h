/*
 * A network device as pvshim's PV network backend sees it: its MAC, the
 * offloads it takes, frames to send built in buffers the device lends, and
 * received frames looked at in arrival order. The virtio-net driver
 * (shim/virtio) provides these; host tests provide fakes.
 *
 * Contract: tx_buffer(len) lends a free send buffer of at least len bytes
 * (len <= NETDEV_TX_MAX) or NULL when none is free; tx_send() hands it over with
 * the frame's length and offload request and never fails for a frame the
 * device said it takes (the buffer comes back by itself once sent);
 * tx_flush() tells the device about what was handed over (one doorbell per
 * batch). rx_peek() shows the oldest received frame without taking it;
 * rx_pop() gives its buffer back to the device. poll() takes completions
 * the device made without an interrupt. on_event(event_arg) is called,
 * interrupts off, when frames arrived or send buffers came back.
 */
#ifndef PVSHIM_NETDEV_H
#define PVSHIM_NETDEV_H

#include <pvshim/types.h>

#define NETDEV_ETH_HLEN     14
#define NETDEV_TX_MAX       65536   /* bytes of one frame to send (a GSO frame) */
#define NETDEV_RX_MAX       4084    /* bytes of one received frame (a page minus the header) */

/* What a frame carries beyond its bytes (virtio-net's header, in host order). */
#define NETDEV_F_NEEDS_CSUM 1       /* the L4 checksum at csum_start + csum_offset is to be filled */
#define NETDEV_F_DATA_VALID 2       /* received: checksums were checked */

#define NETDEV_GSO_NONE     0
#define NETDEV_GSO_TCPV4    1
#define NETDEV_GSO_TCPV6    4

struct netdev_meta {
    uint8_t flags;
    uint8_t gso_type;
    uint16_t hdr_len;       /* GSO: bytes of Ethernet, IP and TCP headers */
    uint16_t gso_size;      /* GSO: the MSS */
    uint16_t csum_start;    /* NEEDS_CSUM: where the checksummed bytes start */
    uint16_t csum_offset;   /* NEEDS_CSUM: the checksum field, from csum_start */
};

struct netdev {
    char name[16];
    uint8_t mac[6];
    bool has_csum;          /* takes NETDEV_F_NEEDS_CSUM on send */
    bool has_tso4, has_tso6;    /* takes GSO frames of these kinds on send */
    bool rx_csum;           /* received frames may carry NEEDS_CSUM / DATA_VALID */
    bool interrupts;        /* on_event comes by interrupt; poll() is only a fallback */
    uint8_t *(*tx_buffer)(struct netdev *d, uint32_t len);
    void (*tx_send)(struct netdev *d, uint32_t len, const struct netdev_meta *m);
    void (*tx_flush)(struct netdev *d);
    bool (*rx_peek)(struct netdev *d, const uint8_t **data, uint32_t *len,
                    struct netdev_meta *m);
    void (*rx_pop)(struct netdev *d);
    void (*poll)(struct netdev *d);
    void (*on_event)(void *arg);    /* set by the backend */
    void *event_arg;
    void *priv;
};

#endif
