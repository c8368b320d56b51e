/*
 * pvshim's heap: arenas over frames taken as it grows. It starts with one
 * chunk and takes another (below 1 MiB while low memory lasts, else from
 * the pool the guest's frames come from) only when an allocation finds no
 * room, up to HEAP_MAX_FRAMES in all. Callers run under the PV lock (or
 * before the guest runs), as every other user of machine_frames.
 * Chunks are never given back: what xenstore needed once it may need again.
 */
#include <pvshim/heap.h>
#include <pvshim/arena.h>
#include <pvshim/frame_alloc.h>
#include <pvshim/paging.h>
#include <pvshim/status.h>
#include <pvshim/log.h>
#include <pvshim/string.h>

#define HEAP_CHUNK_FRAMES   16      /* 64 KiB: xenstore's nodes at boot take ~10 KiB */
/* The bound: xenstore's (the guest's 128 KiB quota, pvshim's own nodes,
 * watches and transactions), each disk's backend state, a vif's GSO buffer. */
#define HEAP_MAX_FRAMES     128
#define HEAP_MAX_CHUNKS     (HEAP_MAX_FRAMES / HEAP_CHUNK_FRAMES)
#define ARENA_OVERHEAD      32      /* a block header and alignment (arena.c) */

static struct arena chunks[HEAP_MAX_CHUNKS];
static unsigned nr_chunks;
static uint64_t frames_held, low_frames_held;

uint64_t heap_frames(void)
{
    return frames_held;
}

uint64_t heap_low_frames(void)
{
    return low_frames_held;
}

/* A chunk of at least n frames; false when the bound or the pools say no. */
static bool grow(uint64_t n)
{
    n = MAX(n, (uint64_t)HEAP_CHUNK_FRAMES);
    if (nr_chunks == HEAP_MAX_CHUNKS || frames_held + n > HEAP_MAX_FRAMES)
        return false;
    mfn_t mfn = frame_pool_alloc(&low_frames, n, 1, ~(mfn_t)0);
    bool low = mfn != INVALID_MFN;
    if (!low)
        mfn = frame_pool_alloc(&machine_frames, n, 1, ~(mfn_t)0);
    if (mfn == INVALID_MFN)
        return false;
    arena_init(&chunks[nr_chunks++], maddr_to_virt(mfn_to_paddr(mfn)), n * PAGE_SIZE);
    frames_held += n;
    if (low)
        low_frames_held += n;
    return true;
}

void heap_init(void)
{
    if (nr_chunks)
        return;
    if (!grow(HEAP_CHUNK_FRAMES))
        panic("no memory for pvshim's heap");
}

void *heap_alloc(size_t size)
{
    for (unsigned i = 0; i < nr_chunks; i++) {
        void *p = arena_alloc(&chunks[i], size);
        if (p)
            return p;
    }
    if (!nr_chunks || size > HEAP_MAX_FRAMES * PAGE_SIZE ||
        !grow(DIV_ROUND_UP(size + ARENA_OVERHEAD, PAGE_SIZE)))
        return NULL;
    return arena_alloc(&chunks[nr_chunks - 1], size);
}

void heap_free(void *p)
{
    if (!p)
        return;
    for (unsigned i = 0; i < nr_chunks; i++) {
        struct arena *a = &chunks[i];
        if ((uint8_t *)p >= a->base && (uint8_t *)p < a->base + a->size) {
            arena_free(a, p);
            return;
        }
    }
    panic("heap_free(%p): not a heap block", p);
}

size_t heap_bytes_in_use(void)
{
    size_t n = 0;
    for (unsigned i = 0; i < nr_chunks; i++)
        n += chunks[i].in_use;
    return n;
}

/*
 * selftest=heap: blocks of 3000 bytes until the bound says no, each zeroed
 * when given and then filled with its own pattern, all checked (no two
 * overlap), all freed; then one block larger than a chunk is refused only
 * because the bound is reached.
 */
void heap_selftest(void)
{
    enum { BLOCK = 3000, MAX_BLOCKS = HEAP_MAX_FRAMES * PAGE_SIZE / BLOCK + 1 };
    static uint8_t *blocks[MAX_BLOCKS];
    size_t base = heap_bytes_in_use();
    unsigned n = 0, bad = 0;
    while (n < MAX_BLOCKS && (blocks[n] = heap_alloc(BLOCK))) {
        for (unsigned i = 0; i < BLOCK; i++)
            bad += blocks[n][i] != 0;
        memset(blocks[n], (int)(n & 0xff) | 1, BLOCK);
        n++;
    }
    for (unsigned k = 0; k < n; k++)
        for (unsigned i = 0; i < BLOCK; i++)
            bad += blocks[k][i] != ((k & 0xff) | 1);
    unsigned chunks = nr_chunks;
    uint64_t frames = frames_held;
    for (unsigned k = 0; k < n; k++)
        heap_free(blocks[k]);
    log_info("selftest heap: %u blocks of %u bytes in %u chunks (%llu KiB, bound %u KiB), "
             "%u bytes wrong, %zu bytes in use after freeing them all", n, (unsigned)BLOCK,
             chunks, (unsigned long long)(frames * PAGE_SIZE >> 10),
             (unsigned)(HEAP_MAX_FRAMES * PAGE_SIZE >> 10), bad, heap_bytes_in_use() - base);
}
