/*
 * Split virtqueues, driver side, without EVENT_IDX: the driver looks at
 * the used ring when the device interrupts, or polls it. x86 keeps stores
 * in order, so a compiler barrier orders descriptors before the avail
 * index; a full fence orders the avail index before the notification the
 * device acts on.
 */
#include "virtio.h"

static void compiler_barrier(void)
{
    __asm__ volatile("" ::: "memory");
}

int virtq_add(struct virtq *q, const uint64_t *addr, const uint32_t *len,
              const bool *dev_writes, unsigned n)
{
    if (n == 0 || n > q->nr_free)
        return -1;
    uint16_t head = q->free_head, d = head;
    for (unsigned i = 0; i < n; i++) {
        struct virtq_desc *e = &q->desc[d];
        e->addr = addr[i];
        e->len = len[i];
        e->flags = (uint16_t)((dev_writes[i] ? VIRTQ_DESC_F_WRITE : 0) |
                              (i + 1 < n ? VIRTQ_DESC_F_NEXT : 0));
        uint16_t next = q->next_free[d];
        e->next = i + 1 < n ? next : 0;
        if (i + 1 == n)
            q->free_head = next;
        d = next;
    }
    q->nr_free = (uint16_t)(q->nr_free - n);
    q->avail[2 + (q->avail_idx & (q->size - 1))] = head;
    compiler_barrier();
    q->avail_idx++;
    q->avail[1] = q->avail_idx;
    return head;
}

int virtq_add_indirect(struct virtq *q, struct virtq_desc *table, uint64_t table_pa,
                       const uint64_t *addr, const uint32_t *len, const bool *dev_writes,
                       unsigned n)
{
    if (n == 0 || n > q->size || q->nr_free == 0)
        return -1;
    for (unsigned i = 0; i < n; i++) {
        table[i].addr = addr[i];
        table[i].len = len[i];
        table[i].flags = (uint16_t)((dev_writes[i] ? VIRTQ_DESC_F_WRITE : 0) |
                                    (i + 1 < n ? VIRTQ_DESC_F_NEXT : 0));
        table[i].next = (uint16_t)(i + 1 < n ? i + 1 : 0);
    }
    uint16_t head = q->free_head;
    struct virtq_desc *e = &q->desc[head];
    e->addr = table_pa;
    e->len = (uint32_t)(n * sizeof(*table));
    e->flags = VIRTQ_DESC_F_INDIRECT;
    e->next = 0;
    q->free_head = q->next_free[head];
    q->nr_free--;
    q->avail[2 + (q->avail_idx & (q->size - 1))] = head;
    compiler_barrier();
    q->avail_idx++;
    q->avail[1] = q->avail_idx;
    return head;
}

void virtq_kick(struct virtq *q)
{
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    /* The device said it works through the queue already (VIRTQ_USED_F_NO_NOTIFY). */
    if (q->used[0] & VIRTQ_USED_F_NO_NOTIFY)
        return;
    q->dev->ops->notify(q->dev, q);
}

int virtq_get_used(struct virtq *q, uint32_t *len)
{
    uint16_t idx = (uint16_t)(q->used[0] >> 16);
    if (idx == q->last_used)
        return -1;
    compiler_barrier();
    volatile uint32_t *elem = &q->used[1 + 2 * (q->last_used & (q->size - 1))];
    uint32_t head = elem[0];
    if (len)
        *len = elem[1];
    q->last_used++;
    if (head >= q->size)
        return -1;      /* a device bug: never reuse what it named */
    /* Give the chain back to the free list. */
    uint16_t d = (uint16_t)head, n = 1;
    while ((q->desc[d].flags & VIRTQ_DESC_F_NEXT) && n < q->size) {
        q->next_free[d] = q->desc[d].next;
        d = q->desc[d].next;
        n++;
    }
    q->next_free[d] = q->free_head;
    q->free_head = (uint16_t)head;
    q->nr_free = (uint16_t)(q->nr_free + n);
    return (int)head;
}
