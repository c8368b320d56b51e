/*
 * zstd's backward bit reader. A stream is read from its last byte towards
 * its first; the highest set bit of the last byte marks where the data
 * begins. Eight bytes at ptr are held in bits, of which the top
 * `consumed` have been used. Reading past the start yields junk bits
 * (never a read outside the stream) that the callers' end checks reject:
 * consumed > 64 means the stream was over-read.
 */
#ifndef PVSHIM_DECOMPRESS_ZSTD_BITS_H
#define PVSHIM_DECOMPRESS_ZSTD_BITS_H

#include <pvshim/types.h>
#include <pvshim/compiler.h>
#include "lz_copy.h"

struct zbits {
    uint64_t bits;
    unsigned consumed;
    const uint8_t *ptr;
    const uint8_t *start;
};

enum zbits_status {
    ZBITS_FULL,         /* at least 57 unread bits are in the container */
    ZBITS_NEAR_START,   /* fewer: the reader has reached the stream's first bytes */
    ZBITS_OVERREAD,     /* more bits were taken than the stream has */
};

static inline unsigned zbits_highbit32(uint32_t v)
{
    return 31 - (unsigned)__builtin_clz(v);
}

/* false if the stream is empty or its last byte lacks the start marker. */
static inline bool zbits_init(struct zbits *b, const uint8_t *src, size_t size)
{
    if (size == 0 || src[size - 1] == 0)
        return false;
    b->start = src;
    if (size >= 8) {
        b->ptr = src + size - 8;
        b->bits = lz_le64(b->ptr);
        b->consumed = 0;
    } else {
        /* Short stream: the missing high bytes count as already used. */
        b->ptr = src;
        b->bits = 0;
        for (size_t i = 0; i < size; i++)
            b->bits |= (uint64_t)src[i] << (8 * i);
        b->consumed = (unsigned)(8 - size) * 8;
    }
    b->consumed += 8 - zbits_highbit32(src[size - 1]);
    return true;
}

/* The next n bits (0 <= n <= 56), not consumed. */
static inline uint64_t zbits_peek(const struct zbits *b, unsigned n)
{
    return ((b->bits << (b->consumed & 63)) >> 1) >> (63 - n);
}

static inline uint64_t zbits_read(struct zbits *b, unsigned n)
{
    uint64_t v = zbits_peek(b, n);
    b->consumed += n;
    return v;
}

static inline enum zbits_status zbits_reload(struct zbits *b)
{
    if (unlikely(b->consumed > 64))
        return ZBITS_OVERREAD;
    if (likely((size_t)(b->ptr - b->start) >= 8)) {
        b->ptr -= b->consumed >> 3;
        b->consumed &= 7;
        b->bits = lz_le64(b->ptr);
        return ZBITS_FULL;
    }
    size_t step = b->consumed >> 3, room = (size_t)(b->ptr - b->start);
    if (step > room)
        step = room;
    if (step) {
        b->ptr -= step;
        b->consumed -= (unsigned)step * 8;
        b->bits = lz_le64(b->ptr);
    }
    return ZBITS_NEAR_START;
}

/* Every bit of the stream has been read, and no more. */
static inline bool zbits_finished(const struct zbits *b)
{
    return b->ptr == b->start && b->consumed == 64;
}

#endif
