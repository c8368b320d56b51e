#include <pvshim/time_scale.h>

/*
 * Normalise from_hz by powers of two into (to_hz, 2 * to_hz]; then
 * mul = to_hz * 2^32 / normalised fits in 32 bits and keeps full precision.
 */
void time_scale_init(struct time_scale *s, uint64_t from_hz, uint64_t to_hz)
{
    int shift = 0;
    uint64_t f = from_hz;
    while (f > 2 * to_hz) {
        f >>= 1;
        shift--;
    }
    while (f <= to_hz) {
        f <<= 1;
        shift++;
    }
    s->shift = (int8_t)shift;
    s->mul = (uint32_t)((to_hz << 32) / f);
}
