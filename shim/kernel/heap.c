/* pvshim's heap: one arena over frames taken at boot. */
#include <pvshim/heap.h>
#include <pvshim/arena.h>
#include <pvshim/frame_alloc.h>
#include <pvshim/paging.h>
#include <pvshim/status.h>

#define HEAP_FRAMES 128     /* 512 KiB: xenstore's nodes, watches and transactions */

static struct arena heap;
static bool heap_ready;
static bool heap_low;

uint64_t heap_frames(void)
{
    return heap_ready ? HEAP_FRAMES : 0;
}

bool heap_in_low_memory(void)
{
    return heap_low;
}

/* In low memory when it fits there: RAM the guest could not have. */
void heap_init(void)
{
    if (heap_ready)
        return;
    mfn_t mfn = frame_pool_alloc(&low_frames, HEAP_FRAMES, 1, ~(mfn_t)0);
    heap_low = mfn != INVALID_MFN;
    if (!heap_low)
        mfn = frame_pool_alloc(&machine_frames, HEAP_FRAMES, 1, ~(mfn_t)0);
    if (mfn == INVALID_MFN)
        panic("no memory for pvshim's heap");
    arena_init(&heap, maddr_to_virt(mfn_to_paddr(mfn)), HEAP_FRAMES * PAGE_SIZE);
    heap_ready = true;
}

void *heap_alloc(size_t size)
{
    return arena_alloc(&heap, size);
}

void heap_free(void *p)
{
    arena_free(&heap, p);
}

size_t heap_bytes_in_use(void)
{
    return heap.in_use;
}
