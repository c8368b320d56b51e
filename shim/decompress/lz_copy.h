/*
 * Little-endian loads and LZ77 copies shared by the xz, lzma and zstd
 * decoders. The loads use __builtin_memcpy so they compile to plain moves
 * even in the freestanding kernel (where memcpy is an out-of-line call).
 */
#ifndef PVSHIM_DECOMPRESS_LZ_COPY_H
#define PVSHIM_DECOMPRESS_LZ_COPY_H

#include <pvshim/types.h>
#include <pvshim/compiler.h>

STATIC_ASSERT(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__,
              "the decoders load little-endian fields with native loads");

static inline uint32_t lz_le16(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8;
}

static inline uint32_t lz_le24(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16;
}

static inline uint32_t lz_le32(const uint8_t *p)
{
    uint32_t v;
    __builtin_memcpy(&v, p, 4);
    return v;
}

static inline uint64_t lz_le64(const uint8_t *p)
{
    uint64_t v;
    __builtin_memcpy(&v, p, 8);
    return v;
}

static inline uint32_t lz_be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static inline void lz_copy8(uint8_t *dst, const uint8_t *src)
{
    uint64_t v;
    __builtin_memcpy(&v, src, 8);
    __builtin_memcpy(dst, &v, 8);
}

/* How far past the end of a copy the fast paths below may write. */
#define LZ_WILD_MARGIN 16

/*
 * Copy len bytes from op - dist to op; the regions may overlap (dist >= 1,
 * and the caller has checked op - dist is inside the output). When
 * op + len + LZ_WILD_MARGIN <= oend it copies 8 bytes at a time and may
 * scribble up to 7 bytes past op + len, which later output overwrites.
 */
static inline void lz_match_copy(uint8_t *op, size_t dist, size_t len,
                                 const uint8_t *oend)
{
    const uint8_t *src = op - dist;

    if (likely((size_t)(oend - op) >= len + LZ_WILD_MARGIN)) {
        if (dist < 8) {
            /*
             * The match repeats with period dist, so once one multiple of
             * dist that is >= 8 has been written byte by byte, 8-byte
             * chunks from that far back are correct.
             */
            size_t wide = dist * ((8 + dist - 1) / dist);
            size_t head = len < wide ? len : wide;
            for (size_t i = 0; i < head; i++)
                op[i] = src[i];
            op += head;
            len -= head;
            src = op - wide;
        }
        uint8_t *end = op + len;
        while (op < end) {
            lz_copy8(op, src);
            op += 8;
            src += 8;
        }
        return;
    }
    while (len--)
        *op++ = *src++;
}

/*
 * Copy len bytes between non-overlapping buffers. May read and write up to
 * LZ_WILD_MARGIN - 1 bytes past both ends when wild is true (the caller
 * checked both buffers have that much slack).
 */
static inline void lz_wild_copy(uint8_t *op, const uint8_t *src, size_t len, bool wild)
{
    if (likely(wild)) {
        uint8_t *end = op + len;
        do {
            lz_copy8(op, src);
            lz_copy8(op + 8, src + 8);
            op += 16;
            src += 16;
        } while (op < end);
        return;
    }
    while (len--)
        *op++ = *src++;
}

#endif
