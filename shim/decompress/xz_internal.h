/* Pieces of the .xz decoder shared between the stream and block layers. */
#ifndef PVSHIM_DECOMPRESS_XZ_INTERNAL_H
#define PVSHIM_DECOMPRESS_XZ_INTERNAL_H

#include <pvshim/types.h>
#include "lzma_decoder.h"
#include "crc32.h"
#include "crc64.h"
#include "sha256.h"

enum xz_check {
    XZ_CHECK_NONE = 0x00,
    XZ_CHECK_CRC32 = 0x01,
    XZ_CHECK_CRC64 = 0x04,
    XZ_CHECK_SHA256 = 0x0a,
};

/* Everything the decoder keeps, carved from the caller's workspace. */
struct xz_work {
    struct lzma_dec lzma;
    struct crc64_table crc64;
    struct sha256_ctx sha256;
};

/*
 * What the blocks of a stream looked like, summed up so the index can be
 * checked against it in constant space: the count, the size totals, and
 * a CRC32 over every (unpadded, uncompressed) pair in order.
 */
struct xz_index_sum {
    uint64_t count, unpadded, uncompressed;
    uint32_t crc;
};

void xz_index_sum_add(const struct xz_work *w, struct xz_index_sum *s,
                      uint64_t unpadded, uint64_t uncompressed);

/* A variable-length integer at in[0, len): DECOMP_OK, _TRUNCATED or _CORRUPT. */
int xz_vli(const uint8_t *in, size_t len, size_t *used, uint64_t *value);

/* Bytes of the block check of this type (defined for all 16 type values). */
size_t xz_check_size(unsigned check);

/*
 * Decode the block whose header starts in[0] (not the index indicator)
 * into out[out_pos, out_cap). Sets *in_used (header to check, padding
 * included) and *out_size, and adds the block to *sum.
 */
int xz_decode_block(struct xz_work *w, unsigned check, const uint8_t *in, size_t in_len,
                    size_t *in_used, uint8_t *out, size_t out_pos, size_t out_cap,
                    size_t *out_size, struct xz_index_sum *sum);

#endif
