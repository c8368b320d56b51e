/* LZO1X block decoding (what lzop's methods 1-3 and Linux's LZO produce). */
#ifndef PVSHIM_DECOMPRESS_LZO1X_H
#define PVSHIM_DECOMPRESS_LZO1X_H

#include <pvshim/types.h>

/*
 * Decode the LZO1X block src[0, src_len), which must decode to exactly
 * dst_len bytes at dst and end with its end-of-stream instruction on the
 * last input byte. Matches may not reach before dst. room (>= dst_len) is
 * how many bytes may be written at dst: the decoder overshoots into the
 * slack for speed. Returns DECOMP_OK or DECOMP_ERR_CORRUPT.
 */
int lzo1x_decode_block(const uint8_t *src, size_t src_len, uint8_t *dst,
                       size_t dst_len, size_t room);

#endif
