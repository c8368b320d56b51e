/* XXH32, the checksum of the LZ4 frame format (header, blocks, content). */
#ifndef PVSHIM_DECOMPRESS_XXHASH32_H
#define PVSHIM_DECOMPRESS_XXHASH32_H

#include <pvshim/types.h>

/* One-shot hash of p[0, n) with the given seed (LZ4 always uses 0). */
uint32_t xxhash32(const uint8_t *p, size_t n, uint32_t seed);

#endif
