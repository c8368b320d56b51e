/* XXH64 (seed 0 or any), incremental, for zstd's content checksum. */
#ifndef PVSHIM_DECOMPRESS_XXHASH64_H
#define PVSHIM_DECOMPRESS_XXHASH64_H

#include <pvshim/types.h>

struct xxh64_state {
    uint64_t acc[4];
    uint64_t seed;
    uint64_t total;         /* bytes hashed so far */
    uint8_t buf[32];        /* a partial stripe, total % 32 bytes of it used */
};

void xxh64_init(struct xxh64_state *s, uint64_t seed);
void xxh64_update(struct xxh64_state *s, const uint8_t *p, size_t n);
uint64_t xxh64_digest(const struct xxh64_state *s);

#endif
