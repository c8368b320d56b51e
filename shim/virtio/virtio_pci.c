/*
 * The virtio 1.x PCI transport, modern only: the vendor capabilities name
 * where in which BAR the common, notify, ISR and device configuration
 * structures live; a device without them (legacy-only) is not driven.
 */
#include "virtio.h"
#include <pvshim/frame_alloc.h>
#include <pvshim/paging.h>
#include <pvshim/phys.h>
#include <pvshim/string.h>
#include <pvshim/log.h>

#define PCI_CAP_ID_VNDR     0x09
#define CAP_COMMON          1
#define CAP_NOTIFY          2
#define CAP_ISR             3
#define CAP_DEVICE          4

/* struct virtio_pci_common_cfg offsets */
#define C_DFSELECT      0x00
#define C_DF            0x04
#define C_GFSELECT      0x08
#define C_GF            0x0c
#define C_NUM_QUEUES    0x12
#define C_STATUS        0x14
#define C_Q_SELECT      0x16
#define C_Q_SIZE        0x18
#define C_Q_MSIX        0x1a
#define C_Q_ENABLE      0x1c
#define C_Q_NOFF        0x1e
#define C_Q_DESC        0x20
#define C_Q_DRIVER      0x28
#define C_Q_DEVICE      0x30

#define NO_VECTOR       0xffff

static void w8(volatile uint8_t *b, unsigned off, uint8_t v) { *(volatile uint8_t *)(b + off) = v; }
static void w16(volatile uint8_t *b, unsigned off, uint16_t v) { *(volatile uint16_t *)(b + off) = v; }
static void w32(volatile uint8_t *b, unsigned off, uint32_t v) { *(volatile uint32_t *)(b + off) = v; }
static uint8_t r8(volatile uint8_t *b, unsigned off) { return *(volatile uint8_t *)(b + off); }
static uint16_t r16(volatile uint8_t *b, unsigned off) { return *(volatile uint16_t *)(b + off); }
static uint32_t r32(volatile uint8_t *b, unsigned off) { return *(volatile uint32_t *)(b + off); }

static void w64(volatile uint8_t *b, unsigned off, uint64_t v)
{
    w32(b, off, (uint32_t)v);
    w32(b, off + 4, (uint32_t)(v >> 32));
}

static volatile uint8_t *map_cap(struct pci_addr a, unsigned cap)
{
    unsigned bar = pci_conf_read(a, cap + 4, 1);
    uint32_t off = pci_conf_read(a, cap + 8, 4);
    uint32_t len = pci_conf_read(a, cap + 12, 4);
    paddr_t base = pci_bar_address(a, bar);
    if (!base || !len)
        return NULL;
    return pci_map_mmio(base + off, len);
}

uint8_t virtio_pci_status(struct virtio_pci *v)
{
    return r8(v->common, C_STATUS);
}

static void set_status(struct virtio_pci *v, uint8_t bits)
{
    w8(v->common, C_STATUS, (uint8_t)(virtio_pci_status(v) | bits));
}

void virtio_pci_fail(struct virtio_pci *v)
{
    set_status(v, VIRTIO_S_FAILED);
}

int virtio_pci_init(struct virtio_pci *v, struct pci_addr a)
{
    memset(v, 0, sizeof(*v));
    v->pci = a;
    v->device_type = (uint16_t)(pci_conf_read(a, PCI_DEVICE_ID, 2) - VIRTIO_PCI_MODERN_BASE);
    if (!(pci_conf_read(a, PCI_STATUS, 2) & PCI_STATUS_CAP_LIST))
        return -1;
    unsigned cap = pci_conf_read(a, PCI_CAP_PTR, 1) & 0xfc;
    for (unsigned guard = 0; cap && guard < 48; guard++) {
        if (pci_conf_read(a, cap, 1) == PCI_CAP_ID_VNDR) {
            switch (pci_conf_read(a, cap + 3, 1)) {
            case CAP_COMMON:
                if (!v->common)
                    v->common = map_cap(a, cap);
                break;
            case CAP_NOTIFY:
                if (!v->notify) {
                    v->notify = map_cap(a, cap);
                    v->notify_mul = pci_conf_read(a, cap + 16, 4);
                }
                break;
            case CAP_ISR:
                if (!v->isr)
                    v->isr = map_cap(a, cap);
                break;
            case CAP_DEVICE:
                if (!v->device)
                    v->device = map_cap(a, cap);
                break;
            }
        }
        cap = pci_conf_read(a, cap + 1, 1) & 0xfc;
    }
    if (!v->common || !v->notify || !v->isr)
        return -1;
    /* Memory decoding and bus mastering on; polled, so no INTx either. */
    uint32_t cmd = pci_conf_read(a, PCI_COMMAND, 2);
    pci_conf_write(a, PCI_COMMAND, 2,
                   cmd | PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER | PCI_COMMAND_INTX_OFF);
    w8(v->common, C_STATUS, 0);
    for (unsigned i = 0; i < 1000000 && virtio_pci_status(v) != 0; i++)
        __asm__ volatile("pause");
    if (virtio_pci_status(v) != 0)
        return -1;
    set_status(v, VIRTIO_S_ACKNOWLEDGE);
    set_status(v, VIRTIO_S_DRIVER);
    return 0;
}

int virtio_pci_negotiate(struct virtio_pci *v, uint64_t wanted)
{
    uint64_t offered = 0;
    for (uint32_t sel = 0; sel < 2; sel++) {
        w32(v->common, C_DFSELECT, sel);
        offered |= (uint64_t)r32(v->common, C_DF) << (32 * sel);
    }
    if (!(offered & (1ull << VIRTIO_F_VERSION_1)))
        return -1;
    uint64_t take = offered & (wanted | 1ull << VIRTIO_F_VERSION_1 |
                               1ull << VIRTIO_F_ACCESS_PLATFORM);
    for (uint32_t sel = 0; sel < 2; sel++) {
        w32(v->common, C_GFSELECT, sel);
        w32(v->common, C_GF, (uint32_t)(take >> (32 * sel)));
    }
    set_status(v, VIRTIO_S_FEATURES_OK);
    if (!(virtio_pci_status(v) & VIRTIO_S_FEATURES_OK))
        return -1;
    v->features = take;
    return 0;
}

int virtio_pci_setup_queue(struct virtio_pci *v, struct virtq *q, uint16_t index,
                           uint16_t max_size)
{
    w16(v->common, C_Q_SELECT, index);
    uint16_t size = r16(v->common, C_Q_SIZE);
    if (size == 0)
        return -1;
    /* A power of two no larger than the device's, ours or 128 (two pages). */
    uint16_t n = 1;
    while ((uint32_t)n * 2 <= size && n * 2 <= max_size && n * 2 <= 128)
        n = (uint16_t)(n * 2);
    mfn_t m = frame_pool_alloc(&machine_frames, 2, 1, ~(mfn_t)0);
    if (m == INVALID_MFN)
        return -1;
    uint8_t *mem = maddr_to_virt(mfn_to_paddr(m));
    memset(mem, 0, 2 * PAGE_SIZE);
    memset(q, 0, sizeof(*q));
    q->index = index;
    q->size = n;
    q->desc = (struct virtq_desc *)mem;                         /* 16 * 128 = 2 KiB */
    q->avail = (volatile uint16_t *)(mem + 2048);               /* 6 + 2 * 128 */
    q->next_free = (uint16_t *)(mem + 3072);                    /* 2 * 128 */
    q->used = (volatile uint32_t *)(mem + PAGE_SIZE);           /* 4 + 8 * 128 */
    for (uint16_t i = 0; i < n; i++)
        q->next_free[i] = (uint16_t)(i + 1);
    q->free_head = 0;
    q->nr_free = n;
    q->avail[0] = VIRTQ_AVAIL_F_NO_INTERRUPT;

    w16(v->common, C_Q_SIZE, n);
    w16(v->common, C_Q_MSIX, NO_VECTOR);
    w64(v->common, C_Q_DESC, phys_of(q->desc));
    w64(v->common, C_Q_DRIVER, phys_of((const void *)q->avail));
    w64(v->common, C_Q_DEVICE, phys_of((const void *)q->used));
    uint16_t noff = r16(v->common, C_Q_NOFF);
    q->notify_at = (volatile uint16_t *)(v->notify + (uint32_t)noff * v->notify_mul);
    w16(v->common, C_Q_ENABLE, 1);
    return 0;
}

#define C_MSIX_CONFIG   0x10

bool virtio_pci_set_queue_vector(struct virtio_pci *v, uint16_t index, uint16_t vec)
{
    w16(v->common, C_MSIX_CONFIG, NO_VECTOR);
    w16(v->common, C_Q_SELECT, index);
    w16(v->common, C_Q_MSIX, vec);
    return r16(v->common, C_Q_MSIX) == vec;
}

void virtio_pci_driver_ok(struct virtio_pci *v)
{
    set_status(v, VIRTIO_S_DRIVER_OK);
}
