/* SHA-256 (FIPS 180-4), incremental, for xz's SHA-256 block check. */
#ifndef PVSHIM_DECOMPRESS_SHA256_H
#define PVSHIM_DECOMPRESS_SHA256_H

#include <pvshim/types.h>

#define SHA256_DIGEST_SIZE 32

struct sha256_ctx {
    uint32_t h[8];
    uint64_t total;         /* bytes hashed so far */
    uint8_t buf[64];        /* a partial block, total % 64 bytes of it used */
};

void sha256_init(struct sha256_ctx *c);
void sha256_update(struct sha256_ctx *c, const uint8_t *p, size_t n);
void sha256_final(struct sha256_ctx *c, uint8_t digest[SHA256_DIGEST_SIZE]);

#endif
