/*
 * The unit tests' pseudo-random numbers: Marsaglia's xorshift64, so a
 * seeded run repeats exactly. The state must not start at 0.
 */
#ifndef PVSHIM_TEST_RNG_H
#define PVSHIM_TEST_RNG_H

#include <stdint.h>

static inline uint64_t xorshift64(uint64_t *state)
{
    uint64_t x = *state;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    return *state = x;
}

#endif
