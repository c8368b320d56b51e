/*
 * The VMM's devices pvshim drives itself, found at boot: virtio-blk disks
 * on PCI, in bus order (they become xvda, xvdb, ...).
 */
#include <pvshim/pci.h>
#include <pvshim/log.h>
#include "../virtio/virtio.h"
#include "devices.h"

#define MAX_PCI_DEVICES 8

static struct virtio_pci pci_devices[MAX_PCI_DEVICES];
static unsigned nr_pci_devices;

struct probe {
    struct blkdev **disks;
    unsigned max, n;
};

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
    struct blkdev *d = virtio_blk_probe(&v->dev);
    if (d)
        p->disks[p->n++] = d;
}

unsigned devices_probe_disks(struct blkdev **disks, unsigned max)
{
    struct probe p = { disks, max, 0 };
    pci_for_each(visit, &p);
    return p.n;
}
