/* LZMA2, the chunked LZMA framing inside xz blocks. */
#ifndef PVSHIM_DECOMPRESS_XZ_LZMA2_H
#define PVSHIM_DECOMPRESS_XZ_LZMA2_H

#include "lzma_decoder.h"

/*
 * Decode one LZMA2 stream from in[0, in_len) to base[0, limit); base is
 * where the block's output starts (LZMA2 must reset the dictionary
 * there). oend bounds scribbling copies. Output beyond limit is full_err.
 * On success *out_size and *in_used say how much was produced and consumed.
 */
int lzma2_decode(struct lzma_dec *d, const uint8_t *in, size_t in_len, size_t *in_used,
                 uint8_t *base, size_t limit, const uint8_t *oend, int full_err,
                 size_t *out_size);

/* Dictionary size byte of the LZMA2 filter properties; false if invalid. */
bool lzma2_dict_size_valid(uint8_t props);

#endif
