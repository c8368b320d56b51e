/* CRC64 (ECMA-182, reflected, as xz uses it), slice-by-8 with the table in the caller's workspace. */
#ifndef PVSHIM_DECOMPRESS_CRC64_H
#define PVSHIM_DECOMPRESS_CRC64_H

#include <pvshim/types.h>

struct crc64_table {
    uint64_t t[8][256];
};

void crc64_init(struct crc64_table *tab);
/* Continue crc (0 to start) over p[0, n). */
uint64_t crc64_update(const struct crc64_table *tab, uint64_t crc, const uint8_t *p, size_t n);

#endif
