/*
 * Carving a decoder's state out of the caller's workspace: the caller's
 * buffer may be byte-aligned, so each decoder aligns its state itself and
 * declares the slack in its *_workspace_size().
 */
#ifndef PVSHIM_DECOMPRESS_WORK_AREA_H
#define PVSHIM_DECOMPRESS_WORK_AREA_H

#include <pvshim/types.h>

#define WORK_ALIGN 64

/* The aligned start of work if size bytes fit there after aligning, else NULL. */
static inline void *work_area(void *work, size_t work_len, size_t size)
{
    uintptr_t start = ((uintptr_t)work + WORK_ALIGN - 1) & ~(uintptr_t)(WORK_ALIGN - 1);
    size_t skip = (size_t)(start - (uintptr_t)work);
    if (!work || work_len < skip || work_len - skip < size)
        return NULL;
    return (void *)start;
}

#endif
