/*
 * Locating and filling a partial TCP/UDP checksum (see net_csum.h). Every
 * header field read is first checked to lie inside the frame.
 */
#include "net_csum.h"
#include <pvshim/string.h>

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
    loc->l3 = ETH_HLEN;
    if (len < ETH_HLEN)
        return false;
    uint16_t type = be16(f + 12);
    if (type == ETH_P_8021Q) {
        if (len < ETH_HLEN + 4)
            return false;
        type = be16(f + 16);
        off += 4;
        loc->l3 = (uint16_t)off;
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

static uint32_t fold(uint64_t sum)
{
    while (sum >> 16)
        sum = (sum & 0xffff) + (sum >> 16);
    return (uint32_t)sum;
}

/*
 * Whole 32-bit words at a time, in host (little-endian) order: the ones'
 * complement sum of byte-swapped words is the byte-swapped sum, so one swap
 * at the end gives the sum of big-endian words (byte loops are slow under TCG).
 */
uint16_t net_csum_add(const uint8_t *p, uint32_t len, uint32_t sum)
{
    uint64_t s = 0;
    uint32_t i = 0;
    for (; i + 4 <= len; i += 4) {
        uint32_t w;
        memcpy(&w, p + i, 4);
        s += w;
    }
    for (; i + 1 < len; i += 2)
        s += (uint32_t)(p[i] | p[i + 1] << 8);
    if (i < len)
        s += p[i];
    uint32_t le = fold(s);
    uint32_t be = (le >> 8 | le << 8) & 0xffff;
    return (uint16_t)fold((uint64_t)be + sum);
}

uint16_t net_csum_pseudo(const uint8_t *f, const struct net_csum_loc *loc, uint32_t l4_len)
{
    uint32_t sum = loc->proto + (l4_len & 0xffff) + (l4_len >> 16);
    if (loc->ipv6)
        return net_csum_add(f + loc->l3 + 8, 32, sum);
    return net_csum_add(f + loc->l3 + 12, 8, sum);
}

void net_csum_fill(uint8_t *f, uint32_t len, const struct net_csum_loc *loc)
{
    uint16_t c = (uint16_t)~net_csum_add(f + loc->start, len - loc->start, 0);
    if (c == 0 && loc->proto == IPPROTO_UDP)
        c = 0xffff;
    f[loc->start + loc->offset] = (uint8_t)(c >> 8);
    f[loc->start + loc->offset + 1] = (uint8_t)c;
}
