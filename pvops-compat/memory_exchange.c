/*
 * XENMEM_exchange (public/memory.h), as Xen 4.17's memory_exchange: the
 * guest gives frames (in: extents of 2^in.extent_order frames, named by
 * MFN as a PV guest names them) and gets as many new ones back (out:
 * extents of 2^out.extent_order contiguous, aligned frames below
 * 2^address_bits, at the gpfns the out list names, their MFNs written
 * over them). Linux uses it for DMA-able and below-4-GiB memory
 * (xen_create_contiguous_region), 32-bit PAE kernels for page
 * directories when pae_pgdir_above_4gb is missing.
 *
 * Contract, per chunk (the larger of the two orders): all its input
 * frames must be the guest's and held by nothing else (else -EINVAL),
 * all its output frames must be found (else -ENOMEM); only then is the
 * chunk exchanged. nr_exchanged (in extents) is written back on every
 * return but the trivial one; a failed chunk leaves the input frames the
 * guest's. Before any work: an order above 9 is -EPERM; nr_exchanged past
 * the list, in and out for different domains or of different total
 * sizes, and an exact NUMA node request are -EINVAL; lists outside the
 * guest's range -EFAULT; another domain -ESRCH. tot_pages is unchanged.
 *
 * The lists hold 8-byte entries for a 64-bit guest, 4-byte ones for a
 * 32-bit guest (compat_xlat.c reads the 44-byte compat header); the
 * header's layout is the caller's.
 */
#include "memory_exchange.h"
#include "domain.h"
#include "mm.h"
#include <pvshim/guest_access.h>
#include <pvshim/frame_alloc.h>
#include <pvshim/phys.h>
#include <pvshim/string.h>

#define MAX_EXTENT_ORDER    9       /* Xen's domU memop-max-order (PAGETABLE_ORDER) */
#define EXCHANGE_MAX_CHUNK  (1u << MAX_EXTENT_ORDER)

static int list_get(const struct exchange_list *l, uint64_t i, uint64_t *v)
{
    if (l->entry_size == 4) {
        uint32_t w;
        if (copy_from_guest(&w, l->start + i * 4, 4))
            return -XEN_EFAULT;
        *v = w;
        return 0;
    }
    return copy_from_guest(v, l->start + i * 8, 8) ? -XEN_EFAULT : 0;
}

static int list_put(const struct exchange_list *l, uint64_t i, uint64_t v)
{
    if (l->entry_size == 4) {
        uint32_t w = (uint32_t)v;
        return copy_to_guest(l->start + i * 4, &w, 4) ? -XEN_EFAULT : 0;
    }
    return copy_to_guest(l->start + i * 8, &v, 8) ? -XEN_EFAULT : 0;
}

/* Xen's guest_handle_subrange_okay: entries first..last lie in the guest's range. */
static bool list_range_ok(const struct exchange_list *l, uint64_t first, uint64_t last)
{
    if (last < first)
        return true;
    if (last >= (~0ull >> 4) / l->entry_size)
        return false;
    return guest_range_ok(l->start + first * l->entry_size,
                          (size_t)((last - first + 1) * l->entry_size));
}

static bool domid_is_self(domid_t d)
{
    return d == DOMID_SELF || d == dom.domid;
}

/* The frame limit for the output: address_bits (0: none), and a 32-bit
 * guest's 128 GiB (Xen's physaddr_bitsize for a compat domain). */
static mfn_t out_limit(uint32_t mem_flags, bool compat)
{
    unsigned bits = XENMEMF_get_address_bits(mem_flags);
    if (!bits || bits > 64)
        bits = 64;
    if (compat && bits > 37)
        bits = 37;
    return bits - PAGE_SHIFT >= 64 ? ~(mfn_t)0 : (mfn_t)1 << (bits - PAGE_SHIFT);
}

/* out_n aligned extents of out_size frames below limit, or none (false). */
static bool alloc_out(uint32_t *out_mfn, unsigned out_n, uint64_t out_size, mfn_t limit)
{
    unsigned got;
    for (got = 0; got < out_n; got++) {
        mfn_t m = frame_pool_alloc(&machine_frames, out_size, out_size, MIN(limit, UINT32_MAX));
        if (m == INVALID_MFN)
            break;
        out_mfn[got] = (uint32_t)m;
    }
    if (got == out_n)
        return true;
    while (got--)
        frame_pool_free(&machine_frames, out_mfn[got], out_size);
    return false;
}

static bool in_out(mfn_t m, const uint32_t *out_mfn, unsigned out_n, uint64_t out_size)
{
    for (unsigned j = 0; j < out_n; j++)
        if (m >= out_mfn[j] && m < out_mfn[j] + out_size)
            return true;
    return false;
}

/*
 * One chunk: in_n extents of in order from in index ii, out_n extents of
 * out order from out index oi. 0, or the error (then nothing of the
 * chunk's input is gone, though out entries may have been written, as
 * in Xen when reading an out gpfn fails after the input was freed).
 */
static long exchange_chunk(const struct exchange_args *x, uint64_t ii, unsigned in_n,
                           uint64_t oi, unsigned out_n, mfn_t limit)
{
    uint64_t in_size = 1ull << x->in_order, out_size = 1ull << x->out_order;
    /* First frames of the extents: 32 bits hold any frame of pvshim's RAM (16 TiB). */
    uint32_t in_mfn[EXCHANGE_MAX_CHUNK], out_mfn[EXCHANGE_MAX_CHUNK];

    for (unsigned j = 0; j < in_n; j++) {
        uint64_t m;
        if (list_get(&x->in, ii + j, &m))
            return -XEN_EFAULT;
        for (uint64_t k = 0; k < in_size; k++)
            if (m + k < m || m + k > UINT32_MAX || !pv_mm_frame_stealable(m + k))
                return -XEN_EINVAL;
        /* The same frame twice in one chunk is not two frames. */
        for (unsigned p = 0; p < j; p++)
            if (m < in_mfn[p] + in_size && in_mfn[p] < m + in_size)
                return -XEN_EINVAL;
        in_mfn[j] = (uint32_t)m;
    }
    if (!alloc_out(out_mfn, out_n, out_size, limit)) {
        /*
         * pvshim keeps little memory of its own: the chunk's input frames
         * may serve as its output too (a guest that has all memory below
         * 4 GiB can still trade for a pair below 4 GiB). Offered to the
         * pool for this allocation only; what it does not use is taken
         * back out.
         */
        for (unsigned j = 0; j < in_n; j++)
            frame_pool_free(&machine_frames, in_mfn[j], in_size);
        bool ok = alloc_out(out_mfn, out_n, out_size, limit);
        for (unsigned j = 0; j < in_n; j++)
            for (uint64_t k = 0; k < in_size; k++)
                if (frame_pool_is_free(&machine_frames, in_mfn[j] + k))
                    frame_pool_reserve(&machine_frames, mfn_to_paddr(in_mfn[j] + k),
                                       mfn_to_paddr(in_mfn[j] + k + 1));
        if (!ok)
            return -XEN_ENOMEM;
    }

    /* Beyond this point the chunk is exchanged. */
    for (unsigned j = 0; j < in_n; j++)
        for (uint64_t k = 0; k < in_size; k++)
            if (pv_mm_release_frame(in_mfn[j] + k) == 0 &&
                !in_out(in_mfn[j] + k, out_mfn, out_n, out_size))
                frame_pool_free(&machine_frames, in_mfn[j] + k, 1);
    long rc = 0;
    for (unsigned j = 0; j < out_n; j++) {
        for (uint64_t k = 0; k < out_size; k++) {
            memset(phys_access_frame(out_mfn[j] + k), 0, PAGE_SIZE);
            pv_mm_assign_frame(out_mfn[j] + k);
            pv_mm_set_m2p(out_mfn[j] + k, ~0ull);
        }
        uint64_t gpfn;
        if (list_get(&x->out, oi + j, &gpfn)) {
            rc = -XEN_EFAULT;
            continue;
        }
        for (uint64_t k = 0; k < out_size; k++)
            pv_mm_set_m2p(out_mfn[j] + k, gpfn + k);
        if (list_put(&x->out, oi + j, out_mfn[j]))
            rc = -XEN_EFAULT;
    }
    return rc;
}

long memory_exchange_run(struct exchange_args *x)
{
    uint64_t n_in = x->in.nr_extents, n_out = x->out.nr_extents;
    if (MAX(x->in_order, x->out_order) > MAX_EXTENT_ORDER)
        return -XEN_EPERM;
    if (x->nr_exchanged > n_in || x->in_domid != x->out_domid ||
        (~0ull >> x->in_order) < n_in || (~0ull >> x->out_order) < n_out ||
        (n_in << x->in_order) != (n_out << x->out_order))
        return -XEN_EINVAL;
    if (x->nr_exchanged == n_in) {
        x->complete = true;
        return 0;
    }

    unsigned in_chunk = 0, out_chunk = 0;   /* orders: extents per chunk */
    if (x->in_order <= x->out_order)
        in_chunk = x->out_order - x->in_order;
    else
        out_chunk = x->in_order - x->out_order;
    uint64_t out_first = in_chunk ? x->nr_exchanged >> in_chunk : x->nr_exchanged << out_chunk;
    if (!list_range_ok(&x->in, x->nr_exchanged, n_in - 1) ||
        !list_range_ok(&x->out, out_first, n_out - 1))
        return -XEN_EFAULT;
    /* A NUMA node asked for exactly: a domU may not (Xen's propagate_node). */
    if (XENMEMF_get_node(x->out_mem_flags) != XENMEMF_get_node(0) &&
        (x->out_mem_flags & XENMEMF_exact_node_request))
        return -XEN_EINVAL;
    if (!domid_is_self(x->in_domid))
        return -XEN_ESRCH;

    mfn_t limit = out_limit(x->out_mem_flags, x->in.entry_size == 4);
    uint64_t i;
    long rc = 0;
    for (i = x->nr_exchanged >> in_chunk; i < n_in >> in_chunk; i++) {
        rc = exchange_chunk(x, i << in_chunk, 1u << in_chunk, i << out_chunk, 1u << out_chunk,
                            limit);
        if (rc)
            break;
    }
    x->nr_exchanged = i << in_chunk;
    return rc;
}
