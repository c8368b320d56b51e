/* Adler-32 (RFC 1950), the default block checksum of lzop. */
#ifndef PVSHIM_DECOMPRESS_ADLER32_H
#define PVSHIM_DECOMPRESS_ADLER32_H

#include <pvshim/types.h>

/* Continue a checksum over p[0, n); a fresh checksum starts at 1. */
uint32_t adler32_update(uint32_t adler, const uint8_t *p, size_t n);

#endif
