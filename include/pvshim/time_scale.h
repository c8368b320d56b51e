/*
 * Fixed-point conversion between two clock rates, in the form the PV ABI
 * publishes in vcpu_time_info: out = ((in << shift) * mul) >> 32, with a
 * negative shift meaning a right shift.
 */
#ifndef PVSHIM_TIME_SCALE_H
#define PVSHIM_TIME_SCALE_H

#include <pvshim/types.h>

struct time_scale {
    int8_t shift;
    uint32_t mul;
};

/* Scale from from_hz ticks to to_hz ticks (to_hz <= 2^31, both non-zero). */
void time_scale_init(struct time_scale *s, uint64_t from_hz, uint64_t to_hz);

static inline uint64_t time_scale_apply(const struct time_scale *s, uint64_t delta)
{
    if (s->shift < 0)
        delta >>= -s->shift;
    else
        delta <<= s->shift;
    return (uint64_t)(((unsigned __int128)delta * s->mul) >> 32);
}

#endif
