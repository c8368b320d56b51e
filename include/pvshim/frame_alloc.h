/*
 * The machine-frame allocator: a sorted list of free frame ranges. pvshim
 * takes what it needs for itself from here at boot, and the domain builder
 * hands every frame that is left to the guest.
 */
#ifndef PVSHIM_FRAME_ALLOC_H
#define PVSHIM_FRAME_ALLOC_H

#include <pvshim/types.h>
#include <pvshim/memmap.h>

#define FRAME_POOL_RANGES 256

struct frame_range {
    mfn_t start;    /* first free frame */
    mfn_t end;      /* one past the last */
};

/* Invariant: ranges sorted, non-empty, non-adjacent, non-overlapping. */
struct frame_pool {
    unsigned nr;
    uint64_t free_frames;
    struct frame_range r[FRAME_POOL_RANGES];
};

void frame_pool_init(struct frame_pool *p);

/* Free frames [start, start + n). false if they overlap free frames or no slot is left. */
bool frame_pool_free(struct frame_pool *p, mfn_t start, uint64_t n);

/* Add all RAM of a sanitized memory map. */
bool frame_pool_add_ram(struct frame_pool *p, const struct memmap *m);

/* Take the byte range [start, end) out of the pool (rounded out to frames). */
bool frame_pool_reserve(struct frame_pool *p, paddr_t start, paddr_t end);

/*
 * Allocate n contiguous frames whose first frame is a multiple of align
 * (frames, power of two) and which all lie below frame limit; lowest
 * address first. INVALID_MFN if nothing fits.
 */
mfn_t frame_pool_alloc(struct frame_pool *p, uint64_t n, uint64_t align, mfn_t limit);

bool frame_pool_is_free(const struct frame_pool *p, mfn_t mfn);

/* The pool of all machine memory pvshim has not handed out. */
extern struct frame_pool machine_frames;
/*
 * RAM below 1 MiB that nothing needs once the CPUs are up (from 64 KiB,
 * below the EBDA, less the modules): for pvshim's permanent data only.
 * Never the guest's, and never back into machine_frames: the first MiB is
 * I/O to a domU, as Xen counts it. low_frames_total: what it held at first.
 */
extern struct frame_pool low_frames;
extern uint64_t low_frames_total;

#endif
