/*
 * CRC32 (IEEE 802.3, reflected, as xz uses it), slice-by-8 with the table
 * in the caller's workspace. Named xz_ to stay clear of the gzip side's
 * crc32_update until the two are unified.
 */
#ifndef PVSHIM_DECOMPRESS_XZ_CRC32_H
#define PVSHIM_DECOMPRESS_XZ_CRC32_H

#include <pvshim/types.h>

struct xz_crc32_table {
    uint32_t t[8][256];
};

void xz_crc32_init(struct xz_crc32_table *tab);
/* Continue crc (0 to start) over p[0, n). */
uint32_t xz_crc32(const struct xz_crc32_table *tab, uint32_t crc, const uint8_t *p, size_t n);

#endif
