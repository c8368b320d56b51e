/*
 * The VMM's devices pvshim drives itself, found at boot on PCI, in bus
 * order: virtio-blk disks (they become xvda, xvdb, ...) and virtio-net
 * NICs (vif 0, 1, ...).
 */
#include <pvshim/pci.h>
#include <pvshim/log.h>
#include "../virtio/virtio.h"
#include "devices.h"

struct probe {
    uint16_t type;          /* VIRTIO_ID_* */
    void **found;
    unsigned max, n;
};

/* The transitional device ID of a type (modern capabilities required anyway). */
static uint16_t transitional_id(uint16_t type)
{
    return type == VIRTIO_ID_NET ? 0x1000 : 0x1001;
}

static void visit(struct pci_addr a, void *arg)
{
    struct probe *p = arg;
    uint32_t id = pci_conf_read(a, PCI_VENDOR_ID, 4);
    if ((id & 0xffff) != VIRTIO_PCI_VENDOR)
        return;
    uint16_t dev = (uint16_t)(id >> 16);
    if (dev != VIRTIO_PCI_MODERN_BASE + p->type && dev != transitional_id(p->type))
        return;
    if (p->n == p->max) {
        log_warn("pci %02x:%02x.%x: too many %s; not used", a.bus, a.dev, a.fn,
                 p->type == VIRTIO_ID_NET ? "NICs" : "disks");
        return;
    }
    void *d = p->type == VIRTIO_ID_NET ? (void *)virtio_net_probe(a)
                                       : (void *)virtio_blk_probe(a);
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
