/* LZ4 block format: one block of literal/match sequences. */
#ifndef PVSHIM_DECOMPRESS_LZ4_BLOCK_H
#define PVSHIM_DECOMPRESS_LZ4_BLOCK_H

#include <pvshim/types.h>

/*
 * Decode the block src[0, src_len) into out starting at *op, writing no
 * further than out[limit) (limit <= cap) and letting matches reach back
 * to out[window] at most. cap is the end of the caller's buffer: slack
 * between limit and cap may be overwritten with junk for speed. On
 * DECOMP_OK *op has advanced past the block's output. Errors:
 * DECOMP_ERR_CORRUPT, or DECOMP_ERR_OUTPUT_FULL when the block would pass
 * limit (the caller decides whether that is corruption).
 */
int lz4_decode_block(const uint8_t *src, size_t src_len, uint8_t *out,
                     size_t window, size_t *op, size_t limit, size_t cap);

#endif
