/* XENMEM_exchange for both guest widths (memory_exchange.c). */
#ifndef PVOPS_MEMORY_EXCHANGE_H
#define PVOPS_MEMORY_EXCHANGE_H

#include <pvshim/types.h>
#include <xen/xen.h>
#include <xen/memory.h>

struct exchange_list {
    vaddr_t start;                  /* guest address of the extent list */
    uint64_t nr_extents;
    unsigned entry_size;            /* 8 (64-bit guest) or 4 (32-bit guest) */
};

/* One XENMEM_exchange, the header already read in the caller's layout. */
struct exchange_args {
    struct exchange_list in, out;
    unsigned in_order, out_order;
    uint32_t out_mem_flags;
    domid_t in_domid, out_domid;
    uint64_t nr_exchanged;          /* in: where to start; out: progress, in input extents */
    bool complete;                  /* out: nothing was left to do (nothing to write back) */
};

/*
 * 0 or a -XEN_E* code, x->nr_exchanged the progress. The caller writes
 * nr_exchanged back to the guest (a failing write: -EFAULT) unless
 * x->complete (it was complete already: Xen writes nothing).
 */
long memory_exchange_run(struct exchange_args *x);

#endif
