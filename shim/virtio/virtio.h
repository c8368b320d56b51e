/*
 * pvshim's virtio 1.x drivers (virtio spec: transport-pci, split-ring,
 * device-types/blk, device-types/net): the modern PCI transport, split
 * virtqueues, virtio-blk as a struct blkdev for the PV block backend and
 * virtio-net as a struct netdev for the PV network backend.
 * Kernel only (device memory, port I/O).
 */
#ifndef PVSHIM_VIRTIO_H
#define PVSHIM_VIRTIO_H

#include <pvshim/types.h>
#include <pvshim/pci.h>
#include <pvshim/blkdev.h>
#include <pvshim/netdev.h>

#define VIRTIO_PCI_VENDOR       0x1af4
#define VIRTIO_PCI_MODERN_BASE  0x1040      /* + device type */
#define VIRTIO_ID_NET           1
#define VIRTIO_ID_BLOCK         2

/* Device status bits. */
#define VIRTIO_S_ACKNOWLEDGE    1
#define VIRTIO_S_DRIVER         2
#define VIRTIO_S_DRIVER_OK      4
#define VIRTIO_S_FEATURES_OK    8
#define VIRTIO_S_NEEDS_RESET    64
#define VIRTIO_S_FAILED         128

#define VIRTIO_F_VERSION_1      32
#define VIRTIO_F_ACCESS_PLATFORM 33

/* A device found over the modern PCI transport. */
struct virtio_pci {
    struct pci_addr pci;
    uint16_t device_type;
    volatile uint8_t *common;       /* struct virtio_pci_common_cfg */
    volatile uint8_t *isr;
    volatile uint8_t *device;       /* device-specific configuration */
    volatile uint8_t *notify;
    uint32_t notify_mul;
    uint64_t features;              /* negotiated */
};

/* Descriptor flags. */
#define VIRTQ_DESC_F_NEXT       1
#define VIRTQ_DESC_F_WRITE      2
#define VIRTQ_AVAIL_F_NO_INTERRUPT 1

struct virtq_desc {
    uint64_t addr;
    uint32_t len;
    uint16_t flags;
    uint16_t next;
};

struct virtq {
    uint16_t index, size;
    struct virtq_desc *desc;
    volatile uint16_t *avail;       /* flags, idx, ring[size] */
    volatile uint32_t *used;        /* flags|idx word, then {id, len} pairs */
    volatile uint16_t *notify_at;
    uint16_t free_head, nr_free;
    uint16_t avail_idx, last_used;
    uint16_t *next_free;            /* free-list links, one per descriptor */
};

/* Find the capabilities, map them, reset the device and acknowledge it. */
int virtio_pci_init(struct virtio_pci *v, struct pci_addr a);
/* Offer features & wanted (VERSION_1 required): 0, or -1 if refused. */
int virtio_pci_negotiate(struct virtio_pci *v, uint64_t wanted);
/* Set up queue index with up to max_size entries in fresh pvshim frames. */
int virtio_pci_setup_queue(struct virtio_pci *v, struct virtq *q, uint16_t index,
                           uint16_t max_size);
void virtio_pci_driver_ok(struct virtio_pci *v);
/* Ask for MSI-X vector vec on queue index (and none for config changes). */
bool virtio_pci_set_queue_vector(struct virtio_pci *v, uint16_t index, uint16_t vec);
uint8_t virtio_pci_status(struct virtio_pci *v);
void virtio_pci_fail(struct virtio_pci *v);

/*
 * Chain n buffers (addr, len, device-writable?) into the queue and make it
 * available; returns the head descriptor, or -1 if fewer than n are free.
 */
int virtq_add(struct virtq *q, const uint64_t *addr, const uint32_t *len,
              const bool *dev_writes, unsigned n);
void virtq_kick(struct virtq *q);
/* The next used head (and bytes written), or -1 when none; frees its chain. */
int virtq_get_used(struct virtq *q, uint32_t *len);

/* Probe a virtio-blk PCI function; on success its blkdev, else NULL. */
struct blkdev *virtio_blk_probe(struct pci_addr a);
/* Probe a virtio-net PCI function; on success its netdev, else NULL. */
struct netdev *virtio_net_probe(struct pci_addr a);

#endif
