/*
 * The linear counts (mm_private.h) of the few frames that have one, in a
 * small open-addressing table instead of two bytes for every frame of RAM:
 * only tables in a linear relationship have a non-zero count, and guests
 * make few (Linux none; a self map counts nothing). Linear probing, an
 * entry removed the moment its count returns to 0 (backward shift, so
 * lookups never meet a tombstone).
 *
 * A slot: 0 when empty, else (mfn + 1) << 16 | the count as 16 bits.
 * Invariant: every frame with a non-zero count has exactly one slot, found
 * by probing from its home slot without crossing an empty one, and
 * pv_mm.linear_frames slots are in use, at most LINEAR_MAX_FRAMES.
 */
#include <pvshim/compiler.h>
#include <pvshim/log.h>
#include "mm_private.h"

STATIC_ASSERT((LINEAR_SLOTS & (LINEAR_SLOTS - 1)) == 0, "a power of two");
STATIC_ASSERT(LINEAR_MAX_FRAMES < LINEAR_SLOTS, "probing always meets an empty slot");

#define SLOT_MASK (LINEAR_SLOTS - 1)

static unsigned home(mfn_t mfn)
{
    return (unsigned)((mfn * 0x9e3779b97f4a7c15ull) >> 40) & SLOT_MASK;
}

static mfn_t slot_mfn(uint64_t s)
{
    return (s >> 16) - 1;
}

/* The slot holding mfn, or the empty one where it would go. */
static unsigned find(mfn_t mfn)
{
    uint64_t key = (mfn + 1) << 16;
    unsigned i = home(mfn);
    while (pv_mm.linear[i] && (pv_mm.linear[i] & ~0xffffull) != key)
        i = (i + 1) & SLOT_MASK;
    return i;
}

int16_t linear_count(mfn_t mfn)
{
    return (int16_t)(uint16_t)pv_mm.linear[find(mfn)];
}

bool linear_room(unsigned new_frames)
{
    return pv_mm.linear_frames + new_frames <= LINEAR_MAX_FRAMES;
}

/* Empty slot i, moving up later entries of its probe run that may not stay behind it. */
static void remove_at(unsigned i)
{
    unsigned j = i;
    for (;;) {
        pv_mm.linear[i] = 0;
        for (;;) {
            j = (j + 1) & SLOT_MASK;
            if (!pv_mm.linear[j])
                return;
            unsigned k = home(slot_mfn(pv_mm.linear[j]));
            /* Stays where it is if its home lies cyclically in (i, j]. */
            if (i <= j ? (i < k && k <= j) : (i < k || k <= j))
                continue;
            break;
        }
        pv_mm.linear[i] = pv_mm.linear[j];
        i = j;
    }
}

void linear_set(mfn_t mfn, int16_t count)
{
    unsigned i = find(mfn);
    if (!pv_mm.linear[i]) {
        if (!count)
            return;
        /* Callers check linear_room() first; a full table keeps the count at 0. */
        if (!linear_room(1)) {
            log_err("pv-mm: linear count table full (mfn %#llx)\n", (unsigned long long)mfn);
            return;
        }
        pv_mm.linear_frames++;
    } else if (!count) {
        remove_at(i);
        pv_mm.linear_frames--;
        return;
    }
    pv_mm.linear[i] = ((mfn + 1) << 16) | (uint16_t)count;
}
