/*
 * The virtio 1.x PCI transport, modern only: the vendor capabilities name
 * where in which BAR the common, notify, ISR and device configuration
 * structures live; a device without them (legacy-only) is not driven.
 * Interrupts: MSI-X entry 0 for the queue if the function has MSI-X, else
 * INTx through the I/O APIC (the ISR byte says whether it was ours).
 */
#include "virtio.h"
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
#define C_MSIX_CONFIG   0x10
#define C_STATUS        0x14
#define C_CONFIG_GEN    0x15
#define C_Q_SELECT      0x16
#define C_Q_SIZE        0x18
#define C_Q_MSIX        0x1a
#define C_Q_ENABLE      0x1c
#define C_Q_NOFF        0x1e
#define C_Q_DESC        0x20
#define C_Q_DRIVER      0x28
#define C_Q_DEVICE      0x30

#define ISR_QUEUE       1
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

static struct virtio_pci *pci_of(struct virtio_dev *d)
{
    return (struct virtio_pci *)(void *)d;     /* dev is the first member */
}

static uint8_t get_status(struct virtio_dev *d)
{
    return r8(pci_of(d)->common, C_STATUS);
}

static void set_status(struct virtio_dev *d, uint8_t s)
{
    w8(pci_of(d)->common, C_STATUS, s);
}

static uint64_t device_features(struct virtio_dev *d)
{
    struct virtio_pci *v = pci_of(d);
    uint64_t f = 0;
    for (uint32_t sel = 0; sel < 2; sel++) {
        w32(v->common, C_DFSELECT, sel);
        f |= (uint64_t)r32(v->common, C_DF) << (32 * sel);
    }
    return f;
}

static void set_driver_features(struct virtio_dev *d, uint64_t f)
{
    struct virtio_pci *v = pci_of(d);
    for (uint32_t sel = 0; sel < 2; sel++) {
        w32(v->common, C_GFSELECT, sel);
        w32(v->common, C_GF, (uint32_t)(f >> (32 * sel)));
    }
}

static uint8_t config_generation(struct virtio_dev *d)
{
    return r8(pci_of(d)->common, C_CONFIG_GEN);
}

static uint16_t queue_max(struct virtio_dev *d, uint16_t index)
{
    struct virtio_pci *v = pci_of(d);
    w16(v->common, C_Q_SELECT, index);
    return r16(v->common, C_Q_SIZE);
}

static int queue_enable(struct virtio_dev *d, struct virtq *q)
{
    struct virtio_pci *v = pci_of(d);
    w16(v->common, C_Q_SELECT, q->index);
    w16(v->common, C_Q_SIZE, q->size);
    w16(v->common, C_Q_MSIX, NO_VECTOR);
    w64(v->common, C_Q_DESC, phys_of(q->desc));
    w64(v->common, C_Q_DRIVER, phys_of((const void *)q->avail));
    w64(v->common, C_Q_DEVICE, phys_of((const void *)q->used));
    uint16_t noff = r16(v->common, C_Q_NOFF);
    q->notify_at = v->notify + (uint32_t)noff * v->notify_mul;
    w16(v->common, C_Q_ENABLE, 1);
    return 0;
}

static void notify(struct virtio_dev *d, const struct virtq *q)
{
    *(volatile uint16_t *)q->notify_at = q->index;
}

/* INTx: reading the ISR byte acknowledges it and lowers the line. */
static void intx_interrupt(void *arg)
{
    struct virtio_pci *v = arg;
    if (*v->isr & ISR_QUEUE)
        v->dev.irq_fn(v->dev.irq_arg);
}

/* MSI-X: the vector is shared with other devices; the handler looks. */
static void msix_interrupt(void *arg)
{
    struct virtio_pci *v = arg;
    v->dev.irq_fn(v->dev.irq_arg);
}

static const char *irq_enable(struct virtio_dev *d, uint16_t index,
                              void (*fn)(void *arg), void *arg)
{
    struct virtio_pci *v = pci_of(d);
    if (v->irq_kind) {
        /* Another queue on the interrupt already set up (one handler each). */
        if (d->irq_fn != fn || d->irq_arg != arg)
            return NULL;
        if (v->irq_kind[0] != 'M')
            return v->irq_kind;         /* INTx covers every queue */
        w16(v->common, C_Q_SELECT, index);
        w16(v->common, C_Q_MSIX, 0);
        return r16(v->common, C_Q_MSIX) == 0 ? v->irq_kind : NULL;
    }
    d->irq_fn = fn;
    d->irq_arg = arg;
    if (pci_msix_enable(v->pci, 0, msix_interrupt, v)) {
        w16(v->common, C_MSIX_CONFIG, NO_VECTOR);
        w16(v->common, C_Q_SELECT, index);
        w16(v->common, C_Q_MSIX, 0);
        if (r16(v->common, C_Q_MSIX) == 0)
            return v->irq_kind = "MSI-X";
        pci_msix_disable(v->pci);
    }
    if (pci_intx_enable(v->pci, intx_interrupt, v))
        return v->irq_kind = "INTx";
    return NULL;
}

static const struct virtio_ops pci_ops = {
    .get_status = get_status,
    .set_status = set_status,
    .device_features = device_features,
    .set_driver_features = set_driver_features,
    .config_generation = config_generation,
    .queue_max = queue_max,
    .queue_enable = queue_enable,
    .notify = notify,
    .irq_enable = irq_enable,
};

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

int virtio_pci_init(struct virtio_pci *v, struct pci_addr a)
{
    memset(v, 0, sizeof(*v));
    v->dev.ops = &pci_ops;
    v->pci = a;
    snprintf(v->dev.where, sizeof(v->dev.where), "pci %02x:%02x.%x", a.bus, a.dev, a.fn);
    uint16_t id = (uint16_t)pci_conf_read(a, PCI_DEVICE_ID, 2);
    v->dev.device_type = id == VIRTIO_PCI_TRANS_BLOCK ? VIRTIO_ID_BLOCK :
                         id == VIRTIO_PCI_TRANS_NET ? VIRTIO_ID_NET :
                         (uint16_t)(id - VIRTIO_PCI_MODERN_BASE);
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
                if (!v->dev.config)
                    v->dev.config = map_cap(a, cap);
                break;
            }
        }
        cap = pci_conf_read(a, cap + 1, 1) & 0xfc;
    }
    if (!v->common || !v->notify || !v->isr)
        return -1;
    /* Memory decoding and bus mastering on; INTx off until irq_enable. */
    uint32_t cmd = pci_conf_read(a, PCI_COMMAND, 2);
    pci_conf_write(a, PCI_COMMAND, 2,
                   cmd | PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER | PCI_COMMAND_INTX_OFF);
    return virtio_reset_and_ack(&v->dev);
}
