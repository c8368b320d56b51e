/* Raw DEFLATE (RFC 1951) decoding, the body of a gzip member. */
#ifndef PVSHIM_DECOMPRESS_INFLATE_H
#define PVSHIM_DECOMPRESS_INFLATE_H

#include <pvshim/types.h>

/* Scratch memory inflate_raw() needs (Huffman tables), alignment included. */
size_t inflate_workspace_size(void);

/*
 * Decode one DEFLATE stream from in[0, in_len) into out[0, out_cap).
 * On DECOMP_OK, *out_len is the output size and *in_used the bytes up to
 * and including the last one the final block touched (the stream ends on
 * a byte boundary). Returns a DECOMP_ERR_* otherwise.
 */
int inflate_raw(const uint8_t *in, size_t in_len, uint8_t *out, size_t out_cap,
                size_t *out_len, size_t *in_used, void *work, size_t work_len);

#endif
