/* XXH32 from its published specification (xxhash_spec.md). */
#include "xxhash32.h"
#include "byte_access.h"

#define PRIME1 0x9E3779B1u
#define PRIME2 0x85EBCA77u
#define PRIME3 0xC2B2AE3Du
#define PRIME4 0x27D4EB2Fu
#define PRIME5 0x165667B1u

static inline uint32_t rotl32(uint32_t x, unsigned r)
{
    return (x << r) | (x >> (32 - r));
}

static inline uint32_t round32(uint32_t acc, uint32_t lane)
{
    return rotl32(acc + lane * PRIME2, 13) * PRIME1;
}

uint32_t xxhash32(const uint8_t *p, size_t n, uint32_t seed)
{
    const uint8_t *end = p + n;
    uint32_t h;

    if (n >= 16) {
        uint32_t v1 = seed + PRIME1 + PRIME2, v2 = seed + PRIME2;
        uint32_t v3 = seed, v4 = seed - PRIME1;
        for (; end - p >= 16; p += 16) {
            v1 = round32(v1, load_le32(p));
            v2 = round32(v2, load_le32(p + 4));
            v3 = round32(v3, load_le32(p + 8));
            v4 = round32(v4, load_le32(p + 12));
        }
        h = rotl32(v1, 1) + rotl32(v2, 7) + rotl32(v3, 12) + rotl32(v4, 18);
    } else {
        h = seed + PRIME5;
    }
    h += (uint32_t)n;   /* the specification adds the length modulo 2^32 */

    for (; end - p >= 4; p += 4)
        h = rotl32(h + load_le32(p) * PRIME3, 17) * PRIME4;
    for (; p < end; p++)
        h = rotl32(h + *p * PRIME5, 11) * PRIME1;

    h ^= h >> 15;
    h *= PRIME2;
    h ^= h >> 13;
    h *= PRIME3;
    h ^= h >> 16;
    return h;
}
