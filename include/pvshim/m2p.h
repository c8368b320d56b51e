/*
 * The M2P in 2 MiB chunks, each the entries of 1 GiB of machine frames.
 * As in Xen 4.17 (paging_init), a chunk whose frames are all outside RAM
 * has no memory behind it: neither the guest's read-only view nor
 * pvshim's writable one maps it, and a guest reading there faults (Linux
 * reads such entries with a fault-tolerant load). Invariant: pvshim only
 * ever writes the entries of RAM frames, so never into a missing chunk.
 */
#ifndef PVSHIM_M2P_H
#define PVSHIM_M2P_H

#include <pvshim/types.h>

#define M2P_CHUNK_BYTES     (2ull << 20)
#define M2P_CHUNK_ENTRIES   (M2P_CHUNK_BYTES / sizeof(uint64_t))

/*
 * Entries [from, to) of m2p set to all ones (INVALID_M2P_ENTRY), skipping
 * the chunks that chunks[] (one machine frame per chunk, INVALID_MFN for
 * a missing one) says are missing; chunks NULL: every chunk is there.
 */
void m2p_fill_invalid(uint64_t *m2p, const mfn_t *chunks, mfn_t from, mfn_t to);

#endif
