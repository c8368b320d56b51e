/*
 * A first-fit allocator over one fixed region, with coalescing on free.
 * pvshim's heap (include/pvshim/heap.h) is one arena; small enough to test
 * on the host.
 */
#ifndef PVSHIM_ARENA_H
#define PVSHIM_ARENA_H

#include <pvshim/types.h>

struct arena {
    uint8_t *base;
    size_t size;
    size_t in_use;          /* bytes handed out, headers included */
    void *free_list;        /* blocks sorted by address */
};

void arena_init(struct arena *a, void *base, size_t size);
void *arena_alloc(struct arena *a, size_t size);    /* zeroed, 16-aligned, or NULL */
void arena_free(struct arena *a, void *p);          /* NULL is fine */

#endif
