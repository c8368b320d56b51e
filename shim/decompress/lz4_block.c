/*
 * LZ4 block decoder: sequences of a token (literal count, match length),
 * literals, a 16-bit offset and the match, the last sequence having
 * literals only. Every count and offset is checked before it is used.
 */
#include <pvshim/decompress.h>
#include <pvshim/compiler.h>
#include "lz4_block.h"
#include "byte_access.h"

#define MIN_MATCH 4
/* The fast path's margins after the token: input read (14 literals read as
 * 16, then the offset), output produced (14 + 18), output written (the
 * literals as 16 bytes, then a match as 24). */
#define FAST_IN     (16 + 2)
#define FAST_OUT    (14 + 18)
#define FAST_ROOM   (14 + 24)

/* A count continued in extra bytes, each 255 meaning "more follow". */
static inline bool read_count_ext(const uint8_t *src, size_t src_len, size_t *ip,
                                  size_t *n)
{
    unsigned b;
    do {
        if (*ip >= src_len)
            return false;
        b = src[(*ip)++];
        *n += b;
    } while (b == 255);
    return true;
}

/*
 * The fast loop: sequences without extra count bytes while so much input
 * and output are left that no count can run past either end (the slow
 * path's checks then all pass, the offset's excepted). Literals go as 16
 * bytes, a match of distance 8 or more as three words (18 bytes at most).
 * Stops at the first sequence it does not take, with *ip_io at its token;
 * an error, or 0.
 */
static int fast_sequences(const uint8_t *src, size_t src_len, uint8_t *out, size_t window,
                          size_t *ip_io, size_t *op_io, size_t limit, size_t cap)
{
    if (src_len <= FAST_IN || limit < FAST_OUT || cap < FAST_ROOM)
        return DECOMP_OK;
    const uint8_t *s = src + *ip_io;
    const uint8_t *s_end = src + src_len - FAST_IN;     /* a token below it: FAST_IN after it */
    uint8_t *d = out + *op_io;
    const uint8_t *d_end = out + MIN(limit - FAST_OUT, cap - FAST_ROOM);
    const uint8_t *lowest = out + window;               /* a match's source, at the lowest */
    int rc = DECOMP_OK;

    while (s < s_end && d <= d_end) {
        unsigned token = *s;
        if (token >= 0xf0 || (token & 15) == 15)
            break;
        size_t lit = token >> 4;
        __builtin_memcpy(d, s + 1, 8);
        __builtin_memcpy(d + 8, s + 9, 8);
        s += 1 + lit;
        d += lit;
        size_t dist = load_le16(s);
        if (dist - 1 >= (size_t)(d - lowest)) {         /* 0, or before the window */
            rc = DECOMP_ERR_CORRUPT;
            break;
        }
        const uint8_t *from = d - dist;
        s += 2;
        size_t len = (token & 15) + MIN_MATCH;
        if (likely(dist >= 8)) {
            __builtin_memcpy(d, from, 8);
            __builtin_memcpy(d + 8, from + 8, 8);
            __builtin_memcpy(d + 16, from + 16, 8);
        } else {
            lz_copy_match(d, dist, len, (size_t)(out + cap - d));
        }
        d += len;
    }
    *ip_io = (size_t)(s - src);
    *op_io = (size_t)(d - out);
    return rc;
}

int lz4_decode_block(const uint8_t *src, size_t src_len, uint8_t *out,
                     size_t window, size_t *op_io, size_t limit, size_t cap)
{
    size_t ip = 0, op = *op_io;

    /* Every pass consumes at least the token. */
    for (;;) {
        int rc = fast_sequences(src, src_len, out, window, &ip, &op, limit, cap);
        if (rc)
            return rc;
        if (ip >= src_len)
            return DECOMP_ERR_CORRUPT;
        unsigned token = src[ip++];
        size_t lit = token >> 4, len = token & 15;

        if (lit == 15 && !read_count_ext(src, src_len, &ip, &lit))
            return DECOMP_ERR_CORRUPT;
        if (lit > src_len - ip)
            return DECOMP_ERR_CORRUPT;
        if (lit > limit - op)
            return DECOMP_ERR_OUTPUT_FULL;
        lz_copy_literals(out + op, src + ip, lit, MIN(src_len - ip, cap - op));
        ip += lit;
        op += lit;
        if (ip == src_len)
            break;      /* the last sequence has no match */

        if (src_len - ip < 2)
            return DECOMP_ERR_CORRUPT;
        size_t dist = load_le16(src + ip);
        ip += 2;
        if (dist == 0 || dist > op - window)
            return DECOMP_ERR_CORRUPT;
        if (len == 15 && !read_count_ext(src, src_len, &ip, &len))
            return DECOMP_ERR_CORRUPT;
        len += MIN_MATCH;
        if (len > limit - op)
            return DECOMP_ERR_OUTPUT_FULL;
        lz_copy_match(out + op, dist, len, cap - op);
        op += len;
    }
    *op_io = op;
    return DECOMP_OK;
}
