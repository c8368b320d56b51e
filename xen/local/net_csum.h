/*
 * The transport checksum of an Ethernet frame whose TCP or UDP checksum
 * field holds only the pseudo-header sum (what a Xen frontend's
 * NETTXF_csum_blank and virtio-net's NEEDS_CSUM both mean): where the
 * checksummed bytes start, where the field is, and filling it in software
 * for a device that cannot. Ethernet II with at most one VLAN tag; IPv4
 * (not a fragment) or IPv6 (hop-by-hop, routing and destination options
 * headers skipped). Portable: no hardware, no guest memory.
 */
#ifndef PVSHIM_NET_CSUM_H
#define PVSHIM_NET_CSUM_H

#include <pvshim/types.h>

struct net_csum_loc {
    uint16_t l3;            /* offset of the IPv4 or IPv6 header */
    uint16_t start;         /* offset of the TCP/UDP header */
    uint16_t offset;        /* of the checksum field, from start: 16 TCP, 6 UDP */
    uint16_t hdr_len;       /* TCP: up to the payload (start + data offset); UDP: start + 8 */
    uint8_t proto;          /* 6 TCP, 17 UDP */
    bool ipv6;
};

/* Find the L4 checksum of frame[0, len): true, or false when not TCP/UDP or truncated. */
bool net_csum_locate(const uint8_t *frame, uint32_t len, struct net_csum_loc *loc);

/*
 * Complete the checksum: the ones' complement of the sum of frame[start,
 * len) (which includes the pseudo-header sum already in the field), stored
 * at start + offset; a UDP result of 0 is sent as 0xffff.
 */
void net_csum_fill(uint8_t *frame, uint32_t len, const struct net_csum_loc *loc);

/*
 * The pseudo-header sum (folded, not complemented) of the located frame's
 * addresses and protocol for an L4 length of l4_len: what the checksum
 * field holds before net_csum_fill or a device completes it.
 */
uint16_t net_csum_pseudo(const uint8_t *frame, const struct net_csum_loc *loc, uint32_t l4_len);

/* The ones' complement sum of data[0, len) added to sum, folded to 16 bits (big-endian words). */
uint16_t net_csum_add(const uint8_t *data, uint32_t len, uint32_t sum);

#endif
