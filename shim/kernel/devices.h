#ifndef PVSHIM_KERNEL_DEVICES_H
#define PVSHIM_KERNEL_DEVICES_H

#include <pvshim/blkdev.h>
#include <pvshim/netdev.h>
#include <pvshim/options.h>

/* What devices_probe fills in: room for max_* of each kind. */
struct device_list {
    struct blkdev **disks;
    unsigned max_disks, nr_disks;
    struct netdev **nics;
    unsigned max_nics, nr_nics;
};

/*
 * Find and start the VMM's disks and NICs: the announced virtio-mmio
 * devices, then PCI. Each kind in that order.
 */
void devices_probe(struct device_list *l, const struct mmio_announce *mmio, unsigned nr_mmio);

#endif
