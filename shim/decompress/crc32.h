/* CRC-32 as gzip, xz, lzop and zlib use it (reflected polynomial 0xEDB88320). */
#ifndef PVSHIM_DECOMPRESS_CRC32_H
#define PVSHIM_DECOMPRESS_CRC32_H

#include <pvshim/types.h>

/*
 * Continue a CRC over p[0, n). Start with crc = 0; the result of one call
 * is the crc argument of the next. The pre- and post-inversion happen
 * inside, so crc32_update(0, "123456789", 9) == 0xCBF43926.
 */
uint32_t crc32_update(uint32_t crc, const uint8_t *p, size_t n);

#endif
