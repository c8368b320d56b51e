/*
 * Software TCP segmentation (see net_gso.h). Header fields are rewritten
 * in each segment's copy; the source frame is only read.
 */
#include "net_gso.h"
#include <pvshim/string.h>

#define TCP_FIN 0x01
#define TCP_PSH 0x08
#define TCP_CWR 0x80

static void put_be16(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

static uint32_t get_be16(const uint8_t *p)
{
    return (uint32_t)(p[0] << 8 | p[1]);
}

static uint32_t get_be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void put_be32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

bool net_gso_init(struct net_gso *g, const uint8_t *pkt, uint32_t len, uint32_t mss,
                  bool ipv6)
{
    if (mss == 0 || !net_csum_locate(pkt, len, &g->loc) || g->loc.proto != 6 ||
        g->loc.ipv6 != ipv6)
        return false;
    g->pkt = pkt;
    g->len = len;
    g->mss = mss;
    uint32_t payload = len - g->loc.hdr_len;
    g->nr_segs = payload ? (payload + mss - 1) / mss : 1;
    return true;
}

uint32_t net_gso_seg_len(const struct net_gso *g, uint32_t k)
{
    uint32_t payload = g->len - g->loc.hdr_len, at = k * g->mss;
    return g->loc.hdr_len + (payload - at < g->mss ? payload - at : g->mss);
}

void net_gso_segment(const struct net_gso *g, uint32_t k, uint8_t *out, bool full_csum)
{
    const struct net_csum_loc *loc = &g->loc;
    uint32_t hdr = loc->hdr_len, seg = net_gso_seg_len(g, k);
    memcpy(out, g->pkt, hdr);
    memcpy(out + hdr, g->pkt + hdr + k * g->mss, seg - hdr);

    uint8_t *ip = out + loc->l3;
    if (loc->ipv6) {
        put_be16(ip + 4, seg - loc->l3 - 40);
    } else {
        uint32_t ihl = (ip[0] & 0xfu) * 4u;
        put_be16(ip + 2, seg - loc->l3);
        put_be16(ip + 4, get_be16(ip + 4) + k);
        put_be16(ip + 10, 0);
        put_be16(ip + 10, (uint16_t)~net_csum_add(ip, ihl, 0));
    }

    uint8_t *tcp = out + loc->start;
    put_be32(tcp + 4, get_be32(tcp + 4) + k * g->mss);
    if (k + 1 < g->nr_segs)
        tcp[13] &= (uint8_t)~(TCP_FIN | TCP_PSH);
    if (k > 0)
        tcp[13] &= (uint8_t)~TCP_CWR;
    put_be16(tcp + loc->offset, net_csum_pseudo(out, loc, seg - loc->start));
    if (full_csum)
        net_csum_fill(out, seg, loc);
}
