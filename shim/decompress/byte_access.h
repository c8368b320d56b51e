/*
 * Unaligned little/big-endian loads and the match copy shared by the LZ
 * decoders (inflate, LZO, LZ4). Header-only so the hot loops inline them.
 */
#ifndef PVSHIM_DECOMPRESS_BYTE_ACCESS_H
#define PVSHIM_DECOMPRESS_BYTE_ACCESS_H

#include <pvshim/types.h>
#include <pvshim/string.h>

/* __builtin_memcpy with a constant size becomes one move, even freestanding. */
static inline uint16_t load_le16(const uint8_t *p)
{
    return (uint16_t)(p[0] | (p[1] << 8));
}

static inline uint32_t load_le32(const uint8_t *p)
{
    uint32_t v;
    __builtin_memcpy(&v, p, 4);
    return v;   /* x86 and every host we test on are little-endian */
}

static inline uint64_t load_le64(const uint8_t *p)
{
    uint64_t v;
    __builtin_memcpy(&v, p, 8);
    return v;
}

static inline uint64_t load_le_n(const uint8_t *p, unsigned n)
{
    uint64_t v = 0;
    for (unsigned i = 0; i < n; i++)
        v |= (uint64_t)p[i] << (8 * i);
    return v;
}

static inline uint16_t load_be16(const uint8_t *p)
{
    return (uint16_t)((p[0] << 8) | p[1]);
}

static inline uint32_t load_be32(const uint8_t *p)
{
    return __builtin_bswap32(load_le32(p));
}

static inline uint64_t load_be64(const uint8_t *p)
{
    return __builtin_bswap64(load_le64(p));
}

STATIC_ASSERT(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "loads assume little-endian");

/*
 * Copy a back-reference of len bytes from dist bytes behind dst. The caller
 * has checked that dist does not reach before the window and that len bytes
 * fit; room is how many bytes may be written at dst (>= len), which lets the
 * common case copy whole 8-byte words and overshoot harmlessly.
 */
static inline void lz_copy_match(uint8_t *dst, size_t dist, size_t len, size_t room)
{
    const uint8_t *src = dst - dist;

    if (dist >= 8 && room >= len + 8) {
        /* Each word's source lies wholly before its destination. */
        for (size_t i = 0; i < len; i += 8)
            __builtin_memcpy(dst + i, src + i, 8);
    } else if (dist >= len) {
        memcpy(dst, src, len);
    } else if (dist == 1) {
        memset(dst, *src, len);
    } else {
        for (size_t i = 0; i < len; i++)
            dst[i] = src[i];
    }
}

/* Copy len literal bytes; same room rule as lz_copy_match, for source and destination. */
static inline void lz_copy_literals(uint8_t *dst, const uint8_t *src, size_t len,
                                    size_t room)
{
    if (len <= 16 && room >= 16) {
        __builtin_memcpy(dst, src, 8);
        __builtin_memcpy(dst + 8, src + 8, 8);
    } else {
        memcpy(dst, src, len);
    }
}

#endif
