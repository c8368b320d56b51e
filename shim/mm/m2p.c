/* Filling the M2P around its missing chunks (m2p.h). */
#include <pvshim/m2p.h>
#include <pvshim/compiler.h>
#include <pvshim/string.h>

void m2p_fill_invalid(uint64_t *m2p, const mfn_t *chunks, mfn_t from, mfn_t to)
{
    while (from < to) {
        mfn_t end = MIN(to, ALIGN_DOWN(from, M2P_CHUNK_ENTRIES) + M2P_CHUNK_ENTRIES);
        if (!chunks || chunks[from / M2P_CHUNK_ENTRIES] != INVALID_MFN)
            memset(m2p + from, 0xff, (end - from) * sizeof(*m2p));
        from = end;
    }
}
