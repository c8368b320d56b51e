/*
 * The VMM's devices pvshim drives itself, found at boot on PCI, in bus
 * order: virtio-blk disks (they become xvda, xvdb, ...) and virtio-net
 * NICs (vif 0, 1, ...).
 */
#include <pvshim/pci.h>
#include <pvshim/log.h>
#include "../virtio/virtio.h"
#include "devices.h"

#define MAX_PCI_DEVICES 12

static struct virtio_pci pci_devices[MAX_PCI_DEVICES];
static unsigned nr_pci_devices;

struct probe {
    uint16_t type;          /* VIRTIO_ID_* */
    void **found;
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
    uint16_t transitional = p->type == VIRTIO_ID_NET ? VIRTIO_PCI_TRANS_NET
                                                     : VIRTIO_PCI_TRANS_BLOCK;
    if (dev != VIRTIO_PCI_MODERN_BASE + p->type && dev != transitional)
        return;
    const char *kind = p->type == VIRTIO_ID_NET ? "virtio-net" : "virtio-blk";
    if (p->n == p->max || nr_pci_devices == MAX_PCI_DEVICES) {
        log_warn("%s pci %02x:%02x.%x: too many devices; not used", kind, a.bus, a.dev, a.fn);
        return;
    }
    struct virtio_pci *v = &pci_devices[nr_pci_devices];
    if (virtio_pci_init(v, a)) {
        log_warn("%s %s: no modern virtio capabilities; not used", kind, v->dev.where);
        return;
    }
    nr_pci_devices++;
    void *d = p->type == VIRTIO_ID_NET ? (void *)virtio_net_probe(&v->dev)
                                       : (void *)virtio_blk_probe(&v->dev);
    if (d)
        p->found[p->n++] = d;
}

unsigned devices_probe_disks(struct blkdev **disks, unsigned max)
{
    struct probe p = { VIRTIO_ID_BLOCK, (void **)disks, max, 0 };
    pci_for_each(visit, &p);
    return p.n;
}

unsigned devices_probe_nics(struct netdev **nics, unsigned max)
{
    struct probe p = { VIRTIO_ID_NET, (void **)nics, max, 0 };
    pci_for_each(visit, &p);
    return p.n;
}
