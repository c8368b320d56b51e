/*
 * pvshim's virtio 1.x drivers (virtio spec: basic facilities, split ring,
 * transport-pci, transport-mmio, device-types/blk, device-types/net). A
 * device driver (blk, net) is written once against struct virtio_dev and
 * the generic calls below; a transport (modern PCI, MMIO version 2) fills
 * in virtio_ops.
 * Kernel only (device memory, port I/O).
 *
 * Order of initialisation (spec 3.1.1), the same on every transport:
 * transport init (reset, ACKNOWLEDGE, DRIVER) -> virtio_negotiate
 * (FEATURES_OK) -> virtio_setup_queue for each queue -> virtio_irq_enable
 * (optional) -> virtio_driver_ok. On any failure: virtio_fail.
 */
#ifndef PVSHIM_VIRTIO_H
#define PVSHIM_VIRTIO_H

#include <pvshim/types.h>
#include <pvshim/pci.h>
#include <pvshim/blkdev.h>
#include <pvshim/netdev.h>

#define VIRTIO_ID_NET           1
#define VIRTIO_ID_BLOCK         2

/* Device status bits. */
#define VIRTIO_S_ACKNOWLEDGE    1
#define VIRTIO_S_DRIVER         2
#define VIRTIO_S_DRIVER_OK      4
#define VIRTIO_S_FEATURES_OK    8
#define VIRTIO_S_NEEDS_RESET    64
#define VIRTIO_S_FAILED         128

#define VIRTIO_F_INDIRECT_DESC  28
#define VIRTIO_F_VERSION_1      32
#define VIRTIO_F_ACCESS_PLATFORM 33

/* Descriptor flags. */
#define VIRTQ_DESC_F_NEXT       1
#define VIRTQ_DESC_F_WRITE      2
#define VIRTQ_DESC_F_INDIRECT   4
#define VIRTQ_AVAIL_F_NO_INTERRUPT 1
#define VIRTQ_USED_F_NO_NOTIFY  1

struct virtio_dev;

struct virtq_desc {
    uint64_t addr;
    uint32_t len;
    uint16_t flags;
    uint16_t next;
};

struct virtq {
    struct virtio_dev *dev;
    uint16_t index, size;
    struct virtq_desc *desc;
    volatile uint16_t *avail;       /* flags, idx, ring[size] */
    volatile uint32_t *used;        /* flags|idx word, then {id, len} pairs */
    volatile void *notify_at;       /* the transport's notification register */
    uint16_t free_head, nr_free;
    uint16_t avail_idx, last_used;
    uint16_t *next_free;            /* free-list links, one per descriptor */
};

/* What a transport does; every call is on an initialised device. */
struct virtio_ops {
    uint8_t (*get_status)(struct virtio_dev *d);
    void (*set_status)(struct virtio_dev *d, uint8_t status);     /* 0 resets */
    uint64_t (*device_features)(struct virtio_dev *d);
    void (*set_driver_features)(struct virtio_dev *d, uint64_t features);
    uint8_t (*config_generation)(struct virtio_dev *d);
    /* Entries queue index may have; 0 if there is no such queue. */
    uint16_t (*queue_max)(struct virtio_dev *d, uint16_t index);
    /* Tell the device q's size and ring addresses, set q->notify_at, enable it. */
    int (*queue_enable)(struct virtio_dev *d, struct virtq *q);
    void (*notify)(struct virtio_dev *d, const struct virtq *q);
    /*
     * Interrupt on used buffers of queue index: fn(arg) then runs, interrupts
     * off, after the transport acknowledged the interrupt. A short name of the
     * kind ("MSI-X", "INTx", "GSI 5"), or NULL if the device cannot interrupt.
     * Called again for another queue of the device with the same fn and
     * arg, it adds that queue to the same interrupt.
     */
    const char *(*irq_enable)(struct virtio_dev *d, uint16_t index,
                              void (*fn)(void *arg), void *arg);
};

/* One device, whatever its transport (embedded in the transport's struct). */
struct virtio_dev {
    const struct virtio_ops *ops;
    uint16_t device_type;           /* VIRTIO_ID_* */
    uint64_t features;              /* negotiated */
    volatile uint8_t *config;       /* device-specific configuration, mapped */
    char where[24];                 /* "pci 00:04.0", "mmio 0xfeb00000" for log lines */
    void (*irq_fn)(void *arg);      /* set by irq_enable */
    void *irq_arg;
};

/* Generic device calls (virtio.c). */
uint8_t virtio_status(struct virtio_dev *d);
/* Reset, wait for the reset to finish, set ACKNOWLEDGE and DRIVER: 0 or -1. */
int virtio_reset_and_ack(struct virtio_dev *d);
/* Offer features & wanted (VERSION_1 required): 0, or -1 if refused. */
int virtio_negotiate(struct virtio_dev *d, uint64_t wanted);
/* Set up queue index with up to max_size entries in fresh pvshim frames. */
int virtio_setup_queue(struct virtio_dev *d, struct virtq *q, uint16_t index,
                       uint16_t max_size);
/* Interrupts for q's used buffers (see virtio_ops.irq_enable); else polled. */
const char *virtio_irq_enable(struct virtio_dev *d, struct virtq *q,
                              void (*fn)(void *arg), void *arg);
void virtio_driver_ok(struct virtio_dev *d);
void virtio_fail(struct virtio_dev *d);
/* Read a consistent little-endian field of 1, 2, 4 or 8 bytes at off. */
uint64_t virtio_config_read(struct virtio_dev *d, unsigned off, unsigned size);

/*
 * Chain n buffers (addr, len, device-writable?) into the queue and make it
 * available; returns the head descriptor, or -1 if fewer than n are free.
 */
int virtq_add(struct virtq *q, const uint64_t *addr, const uint32_t *len,
              const bool *dev_writes, unsigned n);
/*
 * The same as one ring descriptor naming an indirect table (table, at
 * machine address table_pa, room for n entries; VIRTIO_F_INDIRECT_DESC
 * negotiated, n <= q->size): the head, or -1 if no descriptor is free.
 */
int virtq_add_indirect(struct virtq *q, struct virtq_desc *table, uint64_t table_pa,
                       const uint64_t *addr, const uint32_t *len, const bool *dev_writes,
                       unsigned n);
/* Notify the device of new buffers, unless it said it needs no notification. */
void virtq_kick(struct virtq *q);
/* The next used head (and bytes written), or -1 when none; frees its chain. */
int virtq_get_used(struct virtq *q, uint32_t *len);

/* ---- The modern PCI transport (virtio_pci.c). */
#define VIRTIO_PCI_VENDOR       0x1af4
#define VIRTIO_PCI_MODERN_BASE  0x1040      /* + device type */
#define VIRTIO_PCI_TRANS_NET    0x1000      /* transitional virtio-net */
#define VIRTIO_PCI_TRANS_BLOCK  0x1001      /* transitional virtio-blk */

struct virtio_pci {
    struct virtio_dev dev;
    struct pci_addr pci;
    volatile uint8_t *common;       /* struct virtio_pci_common_cfg */
    volatile uint8_t *isr;
    volatile uint8_t *notify;
    uint32_t notify_mul;
    const char *irq_kind;           /* what irq_enable set up, NULL before */
};

/* Find the capabilities, map them, reset the device and acknowledge it. */
int virtio_pci_init(struct virtio_pci *v, struct pci_addr a);

/* ---- The MMIO transport, version 2 (virtio_mmio.c). */
struct virtio_mmio {
    struct virtio_dev dev;
    paddr_t base;
    volatile uint8_t *regs;
    uint32_t version;
    unsigned gsi;                   /* the interrupt the VMM announced */
    char irq_name[12];
};

/*
 * Map the registers at [base, base + size) and check them (magic, version 2,
 * a device present), then reset and acknowledge: 0, or -1 with a log line.
 */
int virtio_mmio_init(struct virtio_mmio *v, paddr_t base, size_t size, unsigned gsi);

/* ---- Device drivers. */
/* Drive an initialised (acknowledged) virtio-blk device; its blkdev, or NULL. */
struct blkdev *virtio_blk_probe(struct virtio_dev *d);
/* Drive an initialised (acknowledged) virtio-net device; its netdev, or NULL. */
struct netdev *virtio_net_probe(struct virtio_dev *d);

#endif
