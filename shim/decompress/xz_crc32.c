/* CRC32, reflected polynomial 0xedb88320, eight bytes per step. */
#include "xz_crc32.h"
#include "lz_copy.h"

void xz_crc32_init(struct xz_crc32_table *tab)
{
    for (unsigned i = 0; i < 256; i++) {
        uint32_t c = i;
        for (int k = 0; k < 8; k++)
            c = (c >> 1) ^ (0xedb88320u & (0u - (c & 1)));
        tab->t[0][i] = c;
    }
    /* t[k][i]: the CRC of byte i followed by k zero bytes. */
    for (unsigned i = 0; i < 256; i++)
        for (int k = 1; k < 8; k++)
            tab->t[k][i] = (tab->t[k - 1][i] >> 8) ^ tab->t[0][tab->t[k - 1][i] & 0xff];
}

uint32_t xz_crc32(const struct xz_crc32_table *tab, uint32_t crc, const uint8_t *p, size_t n)
{
    const uint32_t (*t)[256] = tab->t;
    crc = ~crc;
    for (; n >= 8; p += 8, n -= 8) {
        uint64_t v = lz_le64(p) ^ crc;
        crc = t[7][v & 0xff] ^ t[6][(v >> 8) & 0xff] ^ t[5][(v >> 16) & 0xff] ^
              t[4][(v >> 24) & 0xff] ^ t[3][(v >> 32) & 0xff] ^ t[2][(v >> 40) & 0xff] ^
              t[1][(v >> 48) & 0xff] ^ t[0][v >> 56];
    }
    for (; n; n--)
        crc = t[0][(crc ^ *p++) & 0xff] ^ (crc >> 8);
    return ~crc;
}
