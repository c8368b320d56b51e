/*
 * The VMM's devices pvshim drives itself, found at boot: virtio-blk disks
 * and virtio-net NICs, first the virtio-mmio ones the VMM announced on the
 * command line (by address: QEMU announces its transports highest first,
 * Firecracker lowest first, and both give the first device the lowest),
 * then those on PCI (in bus order). Disks become xvda, xvdb, ... and NICs
 * vif 0, 1, ... in that order.
 */
#include <pvshim/pci.h>
#include <pvshim/log.h>
#include <pvshim/compiler.h>
#include "../virtio/virtio.h"
#include "devices.h"

#define MAX_PCI_DEVICES 12

static struct virtio_pci pci_devices[MAX_PCI_DEVICES];
static unsigned nr_pci_devices;
static struct virtio_mmio mmio_devices[OPTIONS_MAX_MMIO];

static const char *kind_name(uint16_t type)
{
    return type == VIRTIO_ID_NET ? "virtio-net" : "virtio-blk";
}

/* Is there room for one more device of this type? */
static bool room_for(const struct device_list *l, uint16_t type)
{
    return type == VIRTIO_ID_NET ? l->nr_nics < l->max_nics : l->nr_disks < l->max_disks;
}

/* Drive an initialised device of a type we drive (room checked). */
static void attach(struct device_list *l, struct virtio_dev *d)
{
    if (d->device_type == VIRTIO_ID_NET) {
        struct netdev *n = virtio_net_probe(d);
        if (n)
            l->nics[l->nr_nics++] = n;
    } else {
        struct blkdev *b = virtio_blk_probe(d);
        if (b)
            l->disks[l->nr_disks++] = b;
    }
}

static void visit(struct pci_addr a, void *arg)
{
    struct device_list *l = arg;
    uint32_t id = pci_conf_read(a, PCI_VENDOR_ID, 4);
    if ((id & 0xffff) != VIRTIO_PCI_VENDOR)
        return;
    uint16_t dev = (uint16_t)(id >> 16);
    /* Modern IDs, or the transitional ones (modern capabilities required anyway). */
    uint16_t type;
    if (dev == VIRTIO_PCI_MODERN_BASE + VIRTIO_ID_BLOCK || dev == VIRTIO_PCI_TRANS_BLOCK)
        type = VIRTIO_ID_BLOCK;
    else if (dev == VIRTIO_PCI_MODERN_BASE + VIRTIO_ID_NET || dev == VIRTIO_PCI_TRANS_NET)
        type = VIRTIO_ID_NET;
    else
        return;
    if (!room_for(l, type) || nr_pci_devices == MAX_PCI_DEVICES) {
        log_warn("%s pci %02x:%02x.%x: too many devices; not used", kind_name(type),
                 a.bus, a.dev, a.fn);
        return;
    }
    struct virtio_pci *v = &pci_devices[nr_pci_devices];
    if (virtio_pci_init(v, a)) {
        log_warn("%s %s: no modern virtio capabilities; not used", kind_name(type),
                 v->dev.where);
        return;
    }
    nr_pci_devices++;
    attach(l, &v->dev);
}

void devices_probe(struct device_list *l, const struct mmio_announce *mmio, unsigned nr_mmio)
{
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
        uint16_t type = v->dev.device_type;
        if (type != VIRTIO_ID_BLOCK && type != VIRTIO_ID_NET) {
            log_info("virtio %s: device type %u is not driven", v->dev.where, type);
            virtio_fail(&v->dev);
            continue;
        }
        if (!room_for(l, type)) {
            log_warn("%s %s: too many devices; not used", kind_name(type), v->dev.where);
            virtio_fail(&v->dev);
            continue;
        }
        attach(l, &v->dev);
    }
    pci_for_each(visit, l);
}
