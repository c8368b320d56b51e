/*
 * The VMM's devices pvshim drives itself, found at boot: virtio-blk disks
 * on PCI, in bus order (they become xvda, xvdb, ...).
 */
#include <pvshim/pci.h>
#include <pvshim/log.h>
#include "../virtio/virtio.h"
#include "devices.h"

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
    if (dev != VIRTIO_PCI_MODERN_BASE + VIRTIO_ID_BLOCK && dev != 0x1001)
        return;
    if (p->n == p->max) {
        log_warn("pci %02x:%02x.%x: too many disks; not used", a.bus, a.dev, a.fn);
        return;
    }
    struct blkdev *d = virtio_blk_probe(a);
    if (d)
        p->disks[p->n++] = d;
}

unsigned devices_probe_disks(struct blkdev **disks, unsigned max)
{
    struct probe p = { disks, max, 0 };
    pci_for_each(visit, &p);
    return p.n;
}
