#include <pvshim/fill.h>
#include <pvshim/compiler.h>

#ifndef PVSHIM_HOSTED
/* shim/arch/x86/vector_fill.asm: 32 words, and 16 pairs of counts, per block. */
void vector_fill_words(uint64_t *dst, uint64_t word, size_t blocks);
void vector_fill_counts2(uint64_t *a, uint64_t va, uint64_t *b, uint64_t vb, size_t blocks);
#define WORDS_PER_BLOCK  32
#define COUNTS_PER_BLOCK 16

/* Invariant: true only before the guest's first instruction (guest_start). */
static bool vectors_free = true;
#endif

void fill_vectors_given_to_guest(void)
{
#ifndef PVSHIM_HOSTED
    vectors_free = false;
#endif
}

void fill_words(uint64_t *dst, uint64_t word, size_t n)
{
#ifndef PVSHIM_HOSTED
    if (vectors_free) {
        size_t blocks = n / WORDS_PER_BLOCK;
        vector_fill_words(dst, word, blocks);
        dst += blocks * WORDS_PER_BLOCK;
        n -= blocks * WORDS_PER_BLOCK;
    }
#endif
#pragma GCC unroll 8
    for (size_t i = 0; i < n; i++)
        dst[i] = word;
}

void fill_counts2(uint64_t *a, uint64_t va, uint64_t *b, uint64_t vb, size_t n)
{
#ifndef PVSHIM_HOSTED
    if (vectors_free) {
        size_t blocks = n / COUNTS_PER_BLOCK, done = blocks * COUNTS_PER_BLOCK;
        vector_fill_counts2(a, va, b, vb, blocks);
        a += done, b += done, va += done, vb += done, n -= done;
    }
#endif
#pragma GCC unroll 8
    for (size_t i = 0; i < n; i++) {
        a[i] = va + i;
        b[i] = vb + i;
    }
}
