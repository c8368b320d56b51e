/*
 * Filling tables of 8-byte words, millions at a time when the domain is
 * built (the p2m list, the M2P, the frame table). The kernel does it in
 * 16-byte vector stores until the guest's first instruction, a word at a
 * time after (the vector registers are the guest's then); host builds
 * always a word at a time.
 */
#ifndef PVSHIM_FILL_H
#define PVSHIM_FILL_H

#include <pvshim/types.h>

/* dst[i] = word for i < n. */
void fill_words(uint64_t *dst, uint64_t word, size_t n);
/* a[i] = va + i and b[i] = vb + i for i < n (the arrays do not overlap). */
void fill_counts2(uint64_t *a, uint64_t va, uint64_t *b, uint64_t vb, size_t n);
/* From now on the vector registers hold the guest's state: pvshim leaves them alone. */
void fill_vectors_given_to_guest(void);

#endif
