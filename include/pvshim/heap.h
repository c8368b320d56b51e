/*
 * pvshim's small-object heap, for services whose data grows at run time
 * (xenstore nodes, watch lists). It grows in chunks as allocations need
 * room, within a fixed bound (heap.c): allocation fails rather than eat
 * guest memory, and callers must handle NULL. Host builds use malloc.
 */
#ifndef PVSHIM_HEAP_H
#define PVSHIM_HEAP_H

#include <pvshim/types.h>

/* Take the heap's first chunk (once; at boot). */
void heap_init(void);
void *heap_alloc(size_t size);          /* zeroed, 16-byte aligned, or NULL */
void heap_free(void *p);                /* NULL is fine */
size_t heap_bytes_in_use(void);
uint64_t heap_frames(void);             /* frames the heap holds now (0 before heap_init) */
uint64_t heap_low_frames(void);         /* how many of them are below 1 MiB (frame_alloc.h) */
/* selftest=heap (kernel only): fill it to its bound, check, free; logs the outcome. */
void heap_selftest(void);

#endif
