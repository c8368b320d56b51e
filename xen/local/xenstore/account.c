/*
 * Heap allocations on some domain's behalf. Each block remembers its size
 * and whom it is charged to, so freeing or moving it (a transaction's node
 * becoming the table's) keeps the guest's memory count exact. Only the
 * guest has a memory quota; pvshim's own data is counted for statistics.
 */
#include <pvshim/heap.h>
#include <pvshim/log.h>
#include "xs.h"

/* Kept 16 bytes so the payload keeps heap_alloc's 16-byte alignment. */
struct xs_blk {
    uint32_t size;
    domid_t charge;
    uint16_t magic;
    uint64_t pad;
};
STATIC_ASSERT(sizeof(struct xs_blk) == 16, "block header keeps alignment");

#define XS_BLK_MAGIC 0x5853

static size_t *counter_for(domid_t charge)
{
    return charge == xstore.guest_domid ? &xstore.guest_mem : &xstore.other_mem;
}

void *xs_alloc(domid_t charge, size_t size, bool check_quota, size_t credit)
{
    if (size > UINT32_MAX - sizeof(struct xs_blk))
        return NULL;
    size_t total = size + sizeof(struct xs_blk);
    if (check_quota && charge == xstore.guest_domid) {
        size_t used = xstore.guest_mem > credit ? xstore.guest_mem - credit : 0;
        if (used + total > xstore.quota.memory)
            return NULL;
    }
    struct xs_blk *b = heap_alloc(total);
    if (!b)
        return NULL;
    b->size = (uint32_t)total;
    b->charge = charge;
    b->magic = XS_BLK_MAGIC;
    *counter_for(charge) += total;
    return b + 1;
}

static struct xs_blk *blk_of(const void *p)
{
    return (struct xs_blk *)p - 1;
}

void xs_free(void *p)
{
    if (!p)
        return;
    struct xs_blk *b = blk_of(p);
    if (b->magic != XS_BLK_MAGIC) {
        /* Freed twice, or not ours: leaking beats corrupting the heap. */
        log_err("xenstore: bad free of %p\n", p);
        return;
    }
    *counter_for(b->charge) -= b->size;
    b->magic = 0;
    heap_free(b);
}

void xs_recharge(void *p, domid_t charge)
{
    struct xs_blk *b = blk_of(p);
    *counter_for(b->charge) -= b->size;
    b->charge = charge;
    *counter_for(charge) += b->size;
}

domid_t xs_charge_of(const void *p)
{
    return blk_of(p)->charge;
}

size_t node_block_size(const struct xs_node *n)
{
    return blk_of(n)->size;
}
