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

int lz4_decode_block(const uint8_t *src, size_t src_len, uint8_t *out,
                     size_t window, size_t *op_io, size_t limit, size_t cap)
{
    size_t ip = 0, op = *op_io;

    /* Every pass consumes at least the token. */
    for (;;) {
        if (ip >= src_len)
            return DECOMP_ERR_CORRUPT;
        unsigned token = src[ip++];

        /*
         * Fast path, most sequences: no extra count bytes, and so much input
         * and output left that no count can run past either end (the slow
         * path's checks then all pass, the offset's excepted). Literals go
         * as 16 bytes, a match of 8 or more back as three words (18 at most).
         */
        size_t lit = token >> 4, len = token & 15;
        if (lit < 15 && len < 15 && src_len - ip >= FAST_IN &&
            limit - op >= FAST_OUT && cap - op >= FAST_ROOM) {
            lz_copy_literals(out + op, src + ip, lit, 16);
            ip += lit;
            op += lit;
            size_t dist = load_le16(src + ip);
            ip += 2;
            if (dist == 0 || dist > op - window)
                return DECOMP_ERR_CORRUPT;
            len += MIN_MATCH;
            uint8_t *d = out + op;
            if (dist >= 8) {
                __builtin_memcpy(d, d - dist, 8);
                __builtin_memcpy(d + 8, d - dist + 8, 8);
                __builtin_memcpy(d + 16, d - dist + 16, 8);
            } else {
                lz_copy_match(d, dist, len, cap - op);
            }
            op += len;
            continue;
        }

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
