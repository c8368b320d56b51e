/*
 * The virtio MMIO transport, version 2 only (virtio spec transport-mmio):
 * one page of registers per device at an address the VMM announced
 * (options.h: virtio_mmio.device=). Version 1 (legacy) devices are not
 * driven: QEMU makes its virtio-mmio devices legacy unless told
 * -global virtio-mmio.force-legacy=false. Registers are 32 bits wide and
 * taken only as 32-bit accesses; the device configuration at 0x100 any width.
 * Interrupts: the announced GSI, through the I/O APIC, level-triggered;
 * InterruptStatus says why, and writing it to InterruptACK lowers the line.
 */
#include "virtio.h"
#include <pvshim/phys.h>
#include <pvshim/string.h>
#include <pvshim/log.h>

#define R_MAGIC             0x000
#define R_VERSION           0x004
#define R_DEVICE_ID         0x008
#define R_DEVICE_FEATURES   0x010
#define R_DEVICE_FEAT_SEL   0x014
#define R_DRIVER_FEATURES   0x020
#define R_DRIVER_FEAT_SEL   0x024
#define R_QUEUE_SEL         0x030
#define R_QUEUE_NUM_MAX     0x034
#define R_QUEUE_NUM         0x038
#define R_QUEUE_READY       0x044
#define R_QUEUE_NOTIFY      0x050
#define R_INT_STATUS        0x060
#define R_INT_ACK           0x064
#define R_STATUS            0x070
#define R_QUEUE_DESC        0x080
#define R_QUEUE_DRIVER      0x090
#define R_QUEUE_DEVICE      0x0a0
#define R_CONFIG_GEN        0x0fc
#define R_CONFIG            0x100

#define MMIO_MAGIC          0x74726976u     /* "virt", little-endian */
#define MMIO_VERSION_2      2
#define INT_USED_BUFFER     1
#define MMIO_MIN_SIZE       0x200           /* registers and some configuration */

static uint32_t rd(struct virtio_mmio *v, unsigned off)
{
    return *(volatile uint32_t *)(v->regs + off);
}

static void wr(struct virtio_mmio *v, unsigned off, uint32_t val)
{
    *(volatile uint32_t *)(v->regs + off) = val;
}

static void wr64(struct virtio_mmio *v, unsigned off, uint64_t val)
{
    wr(v, off, (uint32_t)val);
    wr(v, off + 4, (uint32_t)(val >> 32));
}

static struct virtio_mmio *mmio_of(struct virtio_dev *d)
{
    return (struct virtio_mmio *)(void *)d;    /* dev is the first member */
}

static uint8_t get_status(struct virtio_dev *d)
{
    return (uint8_t)rd(mmio_of(d), R_STATUS);
}

static void set_status(struct virtio_dev *d, uint8_t s)
{
    wr(mmio_of(d), R_STATUS, s);
}

static uint64_t device_features(struct virtio_dev *d)
{
    struct virtio_mmio *v = mmio_of(d);
    uint64_t f = 0;
    for (uint32_t sel = 0; sel < 2; sel++) {
        wr(v, R_DEVICE_FEAT_SEL, sel);
        f |= (uint64_t)rd(v, R_DEVICE_FEATURES) << (32 * sel);
    }
    return f;
}

static void set_driver_features(struct virtio_dev *d, uint64_t f)
{
    struct virtio_mmio *v = mmio_of(d);
    for (uint32_t sel = 0; sel < 2; sel++) {
        wr(v, R_DRIVER_FEAT_SEL, sel);
        wr(v, R_DRIVER_FEATURES, (uint32_t)(f >> (32 * sel)));
    }
}

static uint8_t config_generation(struct virtio_dev *d)
{
    return (uint8_t)rd(mmio_of(d), R_CONFIG_GEN);
}

static uint16_t queue_max(struct virtio_dev *d, uint16_t index)
{
    struct virtio_mmio *v = mmio_of(d);
    wr(v, R_QUEUE_SEL, index);
    if (rd(v, R_QUEUE_READY))
        return 0;               /* in use already: a reset that did not happen */
    uint32_t n = rd(v, R_QUEUE_NUM_MAX);
    return n > 0xffff ? 0xffff : (uint16_t)n;
}

static int queue_enable(struct virtio_dev *d, struct virtq *q)
{
    struct virtio_mmio *v = mmio_of(d);
    wr(v, R_QUEUE_SEL, q->index);
    wr(v, R_QUEUE_NUM, q->size);
    wr64(v, R_QUEUE_DESC, phys_of(q->desc));
    wr64(v, R_QUEUE_DRIVER, phys_of((const void *)q->avail));
    wr64(v, R_QUEUE_DEVICE, phys_of((const void *)q->used));
    wr(v, R_QUEUE_READY, 1);
    q->notify_at = v->regs + R_QUEUE_NOTIFY;
    return rd(v, R_QUEUE_READY) == 1 ? 0 : -1;
}

static void notify(struct virtio_dev *d, const struct virtq *q)
{
    *(volatile uint32_t *)q->notify_at = q->index;
}

/* Acknowledge what the device says it interrupted for, then look at the queue. */
static void mmio_interrupt(void *arg)
{
    struct virtio_mmio *v = arg;
    uint32_t why = rd(v, R_INT_STATUS);
    if (!why)
        return;                 /* another device on a shared line */
    wr(v, R_INT_ACK, why);
    if (why & INT_USED_BUFFER)
        v->dev.irq_fn(v->dev.irq_arg);
}

static const char *irq_enable(struct virtio_dev *d, uint16_t index,
                              void (*fn)(void *arg), void *arg)
{
    struct virtio_mmio *v = mmio_of(d);
    if (v->irq_name[0])     /* one line for every queue: already set up */
        return d->irq_fn == fn && d->irq_arg == arg ? v->irq_name : NULL;
    d->irq_fn = fn;
    d->irq_arg = arg;
    if (!irq_line_enable(v->gsi, mmio_interrupt, v))
        return NULL;
    snprintf(v->irq_name, sizeof(v->irq_name), "GSI %u", v->gsi);
    return v->irq_name;
}

static const struct virtio_ops mmio_ops = {
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

int virtio_mmio_init(struct virtio_mmio *v, paddr_t base, size_t size, unsigned gsi)
{
    memset(v, 0, sizeof(*v));
    v->dev.ops = &mmio_ops;
    v->base = base;
    v->gsi = gsi;
    snprintf(v->dev.where, sizeof(v->dev.where), "mmio %#llx", (unsigned long long)base);
    if (size < MMIO_MIN_SIZE || (base & 3)) {
        log_warn("virtio %s: a window of %zu bytes is too small; not used", v->dev.where, size);
        return -1;
    }
    v->regs = pci_map_mmio(base, size);
    if (!v->regs) {
        log_warn("virtio %s: no room to map it; not used", v->dev.where);
        return -1;
    }
    uint32_t magic = rd(v, R_MAGIC);
    v->version = rd(v, R_VERSION);
    v->dev.device_type = (uint16_t)rd(v, R_DEVICE_ID);
    if (magic != MMIO_MAGIC) {
        log_warn("virtio %s: no virtio-mmio registers (magic %#x); not used", v->dev.where, magic);
        return -1;
    }
    if (v->dev.device_type == 0)
        return -1;              /* an empty slot: nothing to say */
    if (v->version != MMIO_VERSION_2) {
        log_warn("virtio %s: version %u transport (legacy); only version 2 is driven "
                 "(QEMU: -global virtio-mmio.force-legacy=false)", v->dev.where, v->version);
        return -1;
    }
    v->dev.config = v->regs + R_CONFIG;
    if (virtio_reset_and_ack(&v->dev)) {
        log_warn("virtio %s: the device does not reset; not used", v->dev.where);
        return -1;
    }
    return 0;
}
