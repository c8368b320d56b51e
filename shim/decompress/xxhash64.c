/*
 * XXH64: four 64-bit lanes over 32-byte stripes, then the lanes merged,
 * the tail folded in 8, 4 and 1 bytes at a time, and a final avalanche.
 */
#include <pvshim/string.h>
#include "xxhash64.h"
#include "lz_copy.h"

#define P1 0x9e3779b185ebca87ull
#define P2 0xc2b2ae3d27d4eb4full
#define P3 0x165667b19e3779f9ull
#define P4 0x85ebca77c2b2ae63ull
#define P5 0x27d4eb2f165667c5ull

static inline uint64_t rotl(uint64_t x, unsigned r)
{
    return (x << r) | (x >> (64 - r));
}

static inline uint64_t lane_round(uint64_t acc, uint64_t in)
{
    return rotl(acc + in * P2, 31) * P1;
}

static inline uint64_t merge_lane(uint64_t h, uint64_t lane)
{
    return (h ^ lane_round(0, lane)) * P1 + P4;
}

static void stripes(uint64_t acc[4], const uint8_t *p, size_t n)
{
    uint64_t a0 = acc[0], a1 = acc[1], a2 = acc[2], a3 = acc[3];
    for (; n >= 32; p += 32, n -= 32) {
        a0 = lane_round(a0, lz_le64(p));
        a1 = lane_round(a1, lz_le64(p + 8));
        a2 = lane_round(a2, lz_le64(p + 16));
        a3 = lane_round(a3, lz_le64(p + 24));
    }
    acc[0] = a0; acc[1] = a1; acc[2] = a2; acc[3] = a3;
}

void xxh64_init(struct xxh64_state *s, uint64_t seed)
{
    s->seed = seed;
    s->acc[0] = seed + P1 + P2;
    s->acc[1] = seed + P2;
    s->acc[2] = seed;
    s->acc[3] = seed - P1;
    s->total = 0;
}

void xxh64_update(struct xxh64_state *s, const uint8_t *p, size_t n)
{
    size_t fill = s->total % 32;
    s->total += n;
    if (fill) {
        size_t take = 32 - fill < n ? 32 - fill : n;
        memcpy(s->buf + fill, p, take);
        p += take;
        n -= take;
        if (fill + take < 32)
            return;
        stripes(s->acc, s->buf, 32);
    }
    size_t whole = n & ~(size_t)31;
    stripes(s->acc, p, whole);
    memcpy(s->buf, p + whole, n - whole);
}

uint64_t xxh64_digest(const struct xxh64_state *s)
{
    uint64_t h;
    if (s->total >= 32) {
        h = rotl(s->acc[0], 1) + rotl(s->acc[1], 7) + rotl(s->acc[2], 12) + rotl(s->acc[3], 18);
        for (int i = 0; i < 4; i++)
            h = merge_lane(h, s->acc[i]);
    } else {
        h = s->seed + P5;
    }
    h += s->total;

    const uint8_t *p = s->buf;
    size_t n = s->total % 32;
    for (; n >= 8; p += 8, n -= 8)
        h = rotl(h ^ lane_round(0, lz_le64(p)), 27) * P1 + P4;
    if (n >= 4) {
        h = rotl(h ^ (uint64_t)lz_le32(p) * P1, 23) * P2 + P3;
        p += 4;
        n -= 4;
    }
    for (; n; n--, p++)
        h = rotl(h ^ *p * P5, 11) * P1;

    h ^= h >> 33;
    h *= P2;
    h ^= h >> 29;
    h *= P3;
    h ^= h >> 32;
    return h;
}
