/*
 * CRC-32, slicing by eight: a gzip'd kernel of 50 MB is checksummed at
 * boot under an emulator, where a byte-at-a-time loop costs seconds.
 */
#include <pvshim/compiler.h>
#include "crc32.h"
#include "byte_access.h"

#define CRC32_POLY 0xEDB88320u

/* tables[k][b]: the CRC of byte b followed by k zero bytes. */
static uint32_t tables[8][256] BUILD_ONLY;     /* only the kernel image is checked */
static bool tables_ready;

/* Idempotent, so a racing second caller only redoes the same work. */
static void build_tables(void)
{
    for (unsigned b = 0; b < 256; b++) {
        uint32_t c = b;
        for (int i = 0; i < 8; i++)
            c = (c >> 1) ^ (CRC32_POLY & -(c & 1));
        tables[0][b] = c;
    }
    for (unsigned b = 0; b < 256; b++)
        for (int k = 1; k < 8; k++)
            tables[k][b] = (tables[k - 1][b] >> 8) ^ tables[0][tables[k - 1][b] & 0xff];
    __atomic_store_n(&tables_ready, true, __ATOMIC_RELEASE);
}

uint32_t crc32_update(uint32_t crc, const uint8_t *p, size_t n)
{
    if (!__atomic_load_n(&tables_ready, __ATOMIC_ACQUIRE))
        build_tables();

    crc = ~crc;
    for (; n >= 8; n -= 8, p += 8) {
        uint32_t lo = load_le32(p) ^ crc, hi = load_le32(p + 4);
        crc = tables[7][lo & 0xff] ^ tables[6][(lo >> 8) & 0xff] ^
              tables[5][(lo >> 16) & 0xff] ^ tables[4][lo >> 24] ^
              tables[3][hi & 0xff] ^ tables[2][(hi >> 8) & 0xff] ^
              tables[1][(hi >> 16) & 0xff] ^ tables[0][hi >> 24];
    }
    for (; n; n--, p++)
        crc = (crc >> 8) ^ tables[0][(crc ^ *p) & 0xff];
    return ~crc;
}
