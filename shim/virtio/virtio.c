/*
 * The transport-independent half of device initialisation (see virtio.h):
 * status handshake, feature negotiation, queue memory, configuration reads.
 */
#include "virtio.h"
#include <pvshim/frame_alloc.h>
#include <pvshim/paging.h>
#include <pvshim/phys.h>
#include <pvshim/string.h>

/* Split-ring layout in two pvshim frames, for at most QUEUE_LIMIT entries. */
#define QUEUE_LIMIT     128
#define AVAIL_OFF       2048            /* after 16 * 128 bytes of descriptors */
#define FREE_LINKS_OFF  3072            /* after 6 + 2 * 128 bytes of avail ring */
#define USED_OFF        PAGE_SIZE       /* 4 + 8 * 128 bytes */

uint8_t virtio_status(struct virtio_dev *d)
{
    return d->ops->get_status(d);
}

static void add_status(struct virtio_dev *d, uint8_t bits)
{
    d->ops->set_status(d, (uint8_t)(virtio_status(d) | bits));
}

int virtio_reset_and_ack(struct virtio_dev *d)
{
    d->ops->set_status(d, 0);
    for (unsigned i = 0; i < 1000000 && virtio_status(d) != 0; i++)
        __asm__ volatile("pause");
    if (virtio_status(d) != 0)
        return -1;
    add_status(d, VIRTIO_S_ACKNOWLEDGE);
    add_status(d, VIRTIO_S_DRIVER);
    return 0;
}

void virtio_fail(struct virtio_dev *d)
{
    add_status(d, VIRTIO_S_FAILED);
}

void virtio_driver_ok(struct virtio_dev *d)
{
    add_status(d, VIRTIO_S_DRIVER_OK);
}

int virtio_negotiate(struct virtio_dev *d, uint64_t wanted)
{
    uint64_t offered = d->ops->device_features(d);
    if (!(offered & (1ull << VIRTIO_F_VERSION_1)))
        return -1;
    uint64_t take = offered & (wanted | 1ull << VIRTIO_F_VERSION_1 |
                               1ull << VIRTIO_F_ACCESS_PLATFORM);
    d->ops->set_driver_features(d, take);
    add_status(d, VIRTIO_S_FEATURES_OK);
    if (!(virtio_status(d) & VIRTIO_S_FEATURES_OK))
        return -1;
    d->features = take;
    return 0;
}

int virtio_setup_queue(struct virtio_dev *d, struct virtq *q, uint16_t index,
                       uint16_t max_size)
{
    uint16_t size = d->ops->queue_max(d, index);
    if (size == 0)
        return -1;
    /* A power of two no larger than the device's, the caller's or ours. */
    uint16_t n = 1;
    while ((uint32_t)n * 2 <= size && n * 2 <= max_size && n * 2 <= QUEUE_LIMIT)
        n = (uint16_t)(n * 2);
    mfn_t m = frame_pool_alloc(&machine_frames, 2, 1, ~(mfn_t)0);
    if (m == INVALID_MFN)
        return -1;
    uint8_t *mem = maddr_to_virt(mfn_to_paddr(m));
    memset(mem, 0, 2 * PAGE_SIZE);
    memset(q, 0, sizeof(*q));
    q->dev = d;
    q->index = index;
    q->size = n;
    q->desc = (struct virtq_desc *)mem;
    q->avail = (volatile uint16_t *)(mem + AVAIL_OFF);
    q->next_free = (uint16_t *)(mem + FREE_LINKS_OFF);
    q->used = (volatile uint32_t *)(mem + USED_OFF);
    for (uint16_t i = 0; i < n; i++)
        q->next_free[i] = (uint16_t)(i + 1);
    q->free_head = 0;
    q->nr_free = n;
    q->avail[0] = VIRTQ_AVAIL_F_NO_INTERRUPT;      /* until virtio_irq_enable */
    return d->ops->queue_enable(d, q);
}

const char *virtio_irq_enable(struct virtio_dev *d, struct virtq *q,
                              void (*fn)(void *arg), void *arg)
{
    const char *kind = d->ops->irq_enable(d, q->index, fn, arg);
    if (kind)
        q->avail[0] = 0;        /* interrupt on used buffers */
    return kind;
}

uint64_t virtio_config_read(struct virtio_dev *d, unsigned off, unsigned size)
{
    uint64_t v;
    uint8_t gen;
    do {
        gen = d->ops->config_generation(d);
        volatile uint8_t *p = d->config + off;
        switch (size) {
        case 1: v = *p; break;
        case 2: v = *(volatile uint16_t *)p; break;
        case 4: v = *(volatile uint32_t *)p; break;
        default:
            v = *(volatile uint32_t *)p | (uint64_t)*(volatile uint32_t *)(p + 4) << 32;
            break;
        }
    } while (gen != d->ops->config_generation(d));
    return v;
}
