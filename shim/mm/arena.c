#include <pvshim/arena.h>
#include <pvshim/compiler.h>
#include <pvshim/string.h>

/* Every block, free or used, starts with this header; sizes include it. */
struct block {
    size_t size;
    struct block *next;     /* free blocks only */
};

#define HEADER      16
#define MIN_BLOCK   32

STATIC_ASSERT(sizeof(struct block) <= HEADER, "header fits");

void arena_init(struct arena *a, void *base, size_t size)
{
    uint8_t *b = (uint8_t *)ALIGN_UP((uintptr_t)base, 16);
    size -= (size_t)(b - (uint8_t *)base);
    size = ALIGN_DOWN(size, 16);
    a->base = b;
    a->size = size;
    a->in_use = 0;
    a->free_list = NULL;
    if (size >= MIN_BLOCK) {
        struct block *blk = (struct block *)b;
        blk->size = size;
        blk->next = NULL;
        a->free_list = blk;
    }
}

void *arena_alloc(struct arena *a, size_t size)
{
    if (size == 0 || size > a->size)
        return NULL;
    size_t need = ALIGN_UP(size + HEADER, 16);
    struct block **link = (struct block **)&a->free_list;
    for (struct block *b = *link; b; link = &b->next, b = b->next) {
        if (b->size < need)
            continue;
        if (b->size - need >= MIN_BLOCK) {
            struct block *rest = (struct block *)((uint8_t *)b + need);
            rest->size = b->size - need;
            rest->next = b->next;
            *link = rest;
            b->size = need;
        } else {
            *link = b->next;
        }
        a->in_use += b->size;
        void *p = (uint8_t *)b + HEADER;
        memset(p, 0, b->size - HEADER);
        return p;
    }
    return NULL;
}

void arena_free(struct arena *a, void *p)
{
    if (!p)
        return;
    struct block *b = (struct block *)((uint8_t *)p - HEADER);
    a->in_use -= b->size;

    /* Insert in address order, then merge with the neighbours. */
    struct block *prev = NULL, *next = a->free_list;
    while (next && next < b) {
        prev = next;
        next = next->next;
    }
    b->next = next;
    if (prev)
        prev->next = b;
    else
        a->free_list = b;
    if (next && (uint8_t *)b + b->size == (uint8_t *)next) {
        b->size += next->size;
        b->next = next->next;
    }
    if (prev && (uint8_t *)prev + prev->size == (uint8_t *)b) {
        prev->size += b->size;
        prev->next = b->next;
    }
}
