/*
 * Reading a fuzz input as a stream of choices: each read takes the next
 * bytes, and reads past the end give zeros, so every input is a valid
 * program and a mutation of one byte changes one choice.
 */
#ifndef PVSHIM_FUZZ_INPUT_H
#define PVSHIM_FUZZ_INPUT_H

#include <stdint.h>
#include <stddef.h>
#include <string.h>
#include <stdio.h>
#include <stdlib.h>

struct fz {
    const uint8_t *p;
    size_t n;
};

static inline uint8_t fz_u8(struct fz *f)
{
    if (!f->n)
        return 0;
    f->n--;
    return *f->p++;
}

static inline uint16_t fz_u16(struct fz *f)
{
    return (uint16_t)(fz_u8(f) | fz_u8(f) << 8);
}

static inline uint32_t fz_u32(struct fz *f)
{
    return (uint32_t)fz_u16(f) | (uint32_t)fz_u16(f) << 16;
}

static inline uint64_t fz_u64(struct fz *f)
{
    return (uint64_t)fz_u32(f) | (uint64_t)fz_u32(f) << 32;
}

static inline void fz_bytes(struct fz *f, void *dst, size_t len)
{
    size_t n = len < f->n ? len : f->n;
    memcpy(dst, f->p, n);
    memset((uint8_t *)dst + n, 0, len - n);
    f->p += n;
    f->n -= n;
}

#define FZ_CHECK(c, ...) do {                                                \
        if (!(c)) {                                                           \
            fprintf(stderr, "fuzz: ");                                        \
            fprintf(stderr, __VA_ARGS__);                                     \
            fputc('\n', stderr);                                              \
            abort();                                                          \
        }                                                                     \
    } while (0)

#endif
