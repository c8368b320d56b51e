/*
 * TCP segmentation in software (GSO) for a device without TSO: a TCP
 * frame of up to 64 KiB (Ethernet, one VLAN tag at most, IPv4 or IPv6, TCP)
 * cut into frames of at most mss payload bytes each, as a NIC's TSO cuts
 * them: every segment carries a copy of the headers with its own IP length
 * (and, IPv4, identification + k and header checksum), its own sequence
 * number; FIN and PSH only on the last segment, CWR only on the first. The
 * TCP checksum is completed here, or left as the pseudo-header sum for a
 * device that completes it. Portable: no hardware, no guest memory.
 */
#ifndef PVSHIM_NET_GSO_H
#define PVSHIM_NET_GSO_H

#include "net_csum.h"

struct net_gso {
    const uint8_t *pkt;     /* the whole frame: headers, then payload */
    uint32_t len;
    struct net_csum_loc loc;
    uint32_t mss;
    uint32_t nr_segs;       /* at least 1 (a frame without payload is one segment) */
};

/*
 * Describe the cutting of pkt[0, len) into segments of mss payload bytes:
 * true, or false when it is not a TCP frame of the given IP version or
 * mss is 0.
 */
bool net_gso_init(struct net_gso *g, const uint8_t *pkt, uint32_t len, uint32_t mss,
                  bool ipv6);

/* Bytes of segment k (k < nr_segs). */
uint32_t net_gso_seg_len(const struct net_gso *g, uint32_t k);

/*
 * Write segment k into out (net_gso_seg_len bytes); full_csum: the TCP
 * checksum complete, else the pseudo-header sum for the device to finish.
 */
void net_gso_segment(const struct net_gso *g, uint32_t k, uint8_t *out, bool full_csum);

#endif
