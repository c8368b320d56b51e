/*
 * LZO1X decoder, written from the instruction encoding (as documented in
 * Linux's Documentation/staging/lzo.rst). Every instruction is checked
 * against both buffers before it is carried out.
 *
 * The meaning of an opcode below 16 depends on how many literals the
 * previous instruction copied: none (a literal run follows), one to three
 * (a 2-byte match within 1 KiB) or four and more (a 3-byte match at
 * 2-3 KiB).
 */
#include <pvshim/decompress.h>
#include <pvshim/compiler.h>
#include "lzo1x.h"
#include "byte_access.h"

#define M2_MAX_OFFSET   0x0800
#define M4_BASE_OFFSET  0x4000

/* A length continued in extra bytes: each zero adds 255, the first non-zero ends it. */
static inline bool read_length_ext(const uint8_t *src, size_t src_len, size_t *ip,
                                   size_t *len)
{
    size_t n = 0;
    while (*ip < src_len && src[*ip] == 0) {
        n += 255;
        (*ip)++;
    }
    if (*ip >= src_len)
        return false;
    *len += n + src[(*ip)++];
    return true;
}

int lzo1x_decode_block(const uint8_t *src, size_t src_len, uint8_t *dst,
                       size_t dst_len, size_t room)
{
    size_t ip = 0, op = 0;
    unsigned prev_lits = 0;     /* 0, 1-3, or 4 meaning "four or more" */

#define COPY_LITERALS(n) do {                                                   \
        size_t n_ = (n);                                                        \
        if (n_ > src_len - ip || n_ > dst_len - op)                             \
            return DECOMP_ERR_CORRUPT;                                          \
        lz_copy_literals(dst + op, src + ip, n_, MIN(src_len - ip, room - op)); \
        ip += n_;                                                               \
        op += n_;                                                               \
    } while (0)

    if (src_len == 0)
        return DECOMP_ERR_CORRUPT;
    if (src[0] > 17) {
        /* A first byte above 17 is a literal run of byte - 17. */
        size_t n = src[0] - 17u;
        ip = 1;
        COPY_LITERALS(n);
        prev_lits = n < 4 ? (unsigned)n : 4;
    }

    /* Every pass consumes at least one input byte. */
    for (;;) {
        size_t len, dist;
        unsigned next_lits;

        if (ip >= src_len)
            return DECOMP_ERR_CORRUPT;
        unsigned t = src[ip++];

        if (t < 16) {
            if (prev_lits == 0) {
                /* 0000LLLL: literal run of 3 + L, or of 18 + extension if L is 0. */
                len = t;
                if (len == 0) {
                    len = 15;
                    if (!read_length_ext(src, src_len, &ip, &len))
                        return DECOMP_ERR_CORRUPT;
                }
                COPY_LITERALS(len + 3);
                prev_lits = 4;
                continue;
            }
            /* 0000DDSS HHHHHHHH */
            if (ip >= src_len)
                return DECOMP_ERR_CORRUPT;
            dist = 1 + (t >> 2) + ((size_t)src[ip++] << 2);
            if (prev_lits == 4) {
                len = 3;
                dist += M2_MAX_OFFSET;
            } else {
                len = 2;
            }
            next_lits = t & 3;
        } else if (t >= 64) {
            /* 1LLDDDSS or 01LDDDSS, HHHHHHHH: 3-8 bytes within 2 KiB */
            if (ip >= src_len)
                return DECOMP_ERR_CORRUPT;
            len = (t >> 5) + 1;
            dist = 1 + ((t >> 2) & 7) + ((size_t)src[ip++] << 3);
            next_lits = t & 3;
        } else if (t >= 32) {
            /* 001LLLLL, DDDDDDDD DDDDDDSS: within 16 KiB */
            len = t & 31;
            if (len == 0) {
                len = 31;
                if (!read_length_ext(src, src_len, &ip, &len))
                    return DECOMP_ERR_CORRUPT;
            }
            len += 2;
            if (src_len - ip < 2)
                return DECOMP_ERR_CORRUPT;
            unsigned d = load_le16(src + ip);
            ip += 2;
            dist = 1 + (d >> 2);
            next_lits = d & 3;
        } else {
            /* 0001HLLL, DDDDDDDD DDDDDDSS: 16-48 KiB, or the end marker */
            len = t & 7;
            if (len == 0) {
                len = 7;
                if (!read_length_ext(src, src_len, &ip, &len))
                    return DECOMP_ERR_CORRUPT;
            }
            len += 2;
            if (src_len - ip < 2)
                return DECOMP_ERR_CORRUPT;
            unsigned d = load_le16(src + ip);
            ip += 2;
            dist = ((size_t)(t & 8) << 11) + (d >> 2);
            if (dist == 0) {
                /* End of stream: 0x11 0x00 0x00, exactly at the end of both buffers. */
                if (len != 3 || ip != src_len || op != dst_len)
                    return DECOMP_ERR_CORRUPT;
                return DECOMP_OK;
            }
            dist += M4_BASE_OFFSET;
            next_lits = d & 3;
        }

        if (dist > op || len > dst_len - op)
            return DECOMP_ERR_CORRUPT;
        lz_copy_match(dst + op, dist, len, room - op);
        op += len;
        if (next_lits)
            COPY_LITERALS(next_lits);
        prev_lits = next_lits;
    }
#undef COPY_LITERALS
}
