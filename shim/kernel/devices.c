/*
 * The VMM's devices pvshim drives itself, found at boot: virtio-blk disks,
 * first the virtio-mmio ones the VMM announced on the command line (by
 * address: QEMU announces its transports highest first, Firecracker lowest
 * first, and both give the first device the lowest), then those on PCI (in
 * bus order). They become xvda, xvdb, ... in that order.
 */
#include <pvshim/pci.h>
#include <pvshim/log.h>
#include <pvshim/compiler.h>
#include "../virtio/virtio.h"
#include "devices.h"

#define MAX_PCI_DEVICES 8

static struct virtio_pci pci_devices[MAX_PCI_DEVICES];
static unsigned nr_pci_devices;
static struct virtio_mmio mmio_devices[OPTIONS_MAX_MMIO];

struct probe {
    struct blkdev **disks;
    unsigned max, n;
};

static void add_disk(struct probe *p, struct virtio_dev *d)
{
    struct blkdev *b = virtio_blk_probe(d);
    if (b)
        p->disks[p->n++] = b;
}

static void visit(struct pci_addr a, void *arg)
{
    struct probe *p = arg;
    uint32_t id = pci_conf_read(a, PCI_VENDOR_ID, 4);
    if ((id & 0xffff) != VIRTIO_PCI_VENDOR)
        return;
    uint16_t dev = (uint16_t)(id >> 16);
    /* Modern ID, or the transitional one (modern capabilities required anyway). */
    if (dev != VIRTIO_PCI_MODERN_BASE + VIRTIO_ID_BLOCK && dev != VIRTIO_PCI_TRANS_BLOCK)
        return;
    if (p->n == p->max || nr_pci_devices == MAX_PCI_DEVICES) {
        log_warn("pci %02x:%02x.%x: too many disks; not used", a.bus, a.dev, a.fn);
        return;
    }
    struct virtio_pci *v = &pci_devices[nr_pci_devices];
    if (virtio_pci_init(v, a)) {
        log_warn("virtio-blk %s: no modern virtio capabilities; not used", v->dev.where);
        return;
    }
    nr_pci_devices++;
    add_disk(p, &v->dev);
}

unsigned devices_probe_disks(struct blkdev **disks, unsigned max,
                             const struct mmio_announce *mmio, unsigned nr_mmio)
{
    struct probe p = { disks, max, 0 };
    unsigned order[OPTIONS_MAX_MMIO];
    nr_mmio = MIN(nr_mmio, (unsigned)OPTIONS_MAX_MMIO);
    for (unsigned i = 0; i < nr_mmio; i++) {
        unsigned j = i;
        for (; j > 0 && mmio[order[j - 1]].base > mmio[i].base; j--)
            order[j] = order[j - 1];
        order[j] = i;
    }
    for (unsigned k = 0; k < nr_mmio; k++) {
        const struct mmio_announce *a = &mmio[order[k]];
        struct virtio_mmio *v = &mmio_devices[k];
        if (virtio_mmio_init(v, a->base, a->size, a->gsi))
            continue;
        if (v->dev.device_type != VIRTIO_ID_BLOCK) {
            log_info("virtio %s: device type %u is not driven", v->dev.where,
                     v->dev.device_type);
            virtio_fail(&v->dev);
            continue;
        }
        if (p.n == max) {
            log_warn("virtio %s: too many disks; not used", v->dev.where);
            virtio_fail(&v->dev);
            continue;
        }
        add_disk(&p, &v->dev);
    }
    pci_for_each(visit, &p);
    return p.n;
}
