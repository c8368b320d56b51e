/*
 * Locating and filling a partial TCP/UDP checksum (see net_csum.h). Every
 * header field read is first checked to lie inside the frame.
 */
#include "net_csum.h"

#define ETH_HLEN        14
#define ETH_P_IP        0x0800
#define ETH_P_IPV6      0x86dd
#define ETH_P_8021Q     0x8100
#define IPPROTO_TCP     6
#define IPPROTO_UDP     17
#define IPV6_HOPOPTS    0
#define IPV6_ROUTING    43
#define IPV6_DSTOPTS    60
#define IPV6_EXT_MAX    8       /* extension headers followed at most */

static uint16_t be16(const uint8_t *p)
{
    return (uint16_t)(p[0] << 8 | p[1]);
}

bool net_csum_locate(const uint8_t *f, uint32_t len, struct net_csum_loc *loc)
{
    uint32_t off = ETH_HLEN;
    if (len < ETH_HLEN)
        return false;
    uint16_t type = be16(f + 12);
    if (type == ETH_P_8021Q) {
        if (len < ETH_HLEN + 4)
            return false;
        type = be16(f + 16);
        off += 4;
    }
    uint8_t proto;
    bool ipv6 = false;
    if (type == ETH_P_IP) {
        if (len < off + 20 || (f[off] >> 4) != 4)
            return false;
        uint32_t ihl = (f[off] & 0xfu) * 4u;
        /* More fragments, or a fragment offset: no whole L4 header here. */
        if (ihl < 20 || (be16(f + off + 6) & 0x3fff))
            return false;
        proto = f[off + 9];
        off += ihl;
    } else if (type == ETH_P_IPV6) {
        if (len < off + 40 || (f[off] >> 4) != 6)
            return false;
        ipv6 = true;
        proto = f[off + 6];
        off += 40;
        for (unsigned i = 0; i < IPV6_EXT_MAX &&
             (proto == IPV6_HOPOPTS || proto == IPV6_ROUTING || proto == IPV6_DSTOPTS); i++) {
            if (len < off + 8)
                return false;
            proto = f[off];
            off += (f[off + 1] + 1u) * 8u;
        }
    } else {
        return false;
    }
    uint32_t field, hdr;
    if (proto == IPPROTO_TCP) {
        if (len < off + 20)
            return false;
        field = 16;
        hdr = (f[off + 12] >> 4) * 4u;
        if (hdr < 20 || len < off + hdr)
            return false;
    } else if (proto == IPPROTO_UDP) {
        field = 6;
        hdr = 8;
        if (len < off + hdr)
            return false;
    } else {
        return false;
    }
    if (off + hdr > UINT16_MAX)
        return false;
    loc->start = (uint16_t)off;
    loc->offset = (uint16_t)field;
    loc->hdr_len = (uint16_t)(off + hdr);
    loc->proto = proto;
    loc->ipv6 = ipv6;
    return true;
}

void net_csum_fill(uint8_t *f, uint32_t len, const struct net_csum_loc *loc)
{
    uint64_t sum = 0;
    uint32_t i = loc->start;
    for (; i + 1 < len; i += 2)
        sum += be16(f + i);
    if (i < len)
        sum += (uint32_t)f[i] << 8;
    while (sum >> 16)
        sum = (sum & 0xffff) + (sum >> 16);
    uint16_t c = (uint16_t)~sum;
    if (c == 0 && loc->proto == IPPROTO_UDP)
        c = 0xffff;
    f[loc->start + loc->offset] = (uint8_t)(c >> 8);
    f[loc->start + loc->offset + 1] = (uint8_t)c;
}
