/* Adler-32 with the modulo deferred as long as 32-bit sums cannot overflow. */
#include "adler32.h"

#define ADLER_MOD 65521u
/* Largest n with 255 n (n + 1) / 2 + (n + 1) (ADLER_MOD - 1) < 2^32. */
#define ADLER_CHUNK 5552

uint32_t adler32_update(uint32_t adler, const uint8_t *p, size_t n)
{
    uint32_t a = adler & 0xffff, b = adler >> 16;

    while (n) {
        size_t chunk = n < ADLER_CHUNK ? n : ADLER_CHUNK;
        n -= chunk;
        for (; chunk >= 4; chunk -= 4, p += 4) {
            a += p[0]; b += a;
            a += p[1]; b += a;
            a += p[2]; b += a;
            a += p[3]; b += a;
        }
        for (; chunk; chunk--, p++) {
            a += *p;
            b += a;
        }
        a %= ADLER_MOD;
        b %= ADLER_MOD;
    }
    return (b << 16) | a;
}
