/*
 * pvshim's small-object heap, for services whose data grows at run time
 * (xenstore nodes, watch lists). Bounded: allocation fails rather than
 * eat guest memory, and callers must handle NULL. Host builds use malloc.
 */
#ifndef PVSHIM_HEAP_H
#define PVSHIM_HEAP_H

#include <pvshim/types.h>

/* Take the heap's frames from the machine-frame pool (once; at boot). */
void heap_init(void);
void *heap_alloc(size_t size);          /* zeroed, 16-byte aligned, or NULL */
void heap_free(void *p);                /* NULL is fine */
size_t heap_bytes_in_use(void);
uint64_t heap_frames(void);             /* frames the heap holds (0 until first use) */
bool heap_in_low_memory(void);          /* its frames are below 1 MiB (frame_alloc.h) */

#endif
