#ifndef PVSHIM_KERNEL_DEVICES_H
#define PVSHIM_KERNEL_DEVICES_H

#include <pvshim/blkdev.h>
#include <pvshim/options.h>

/*
 * Find and start the VMM's disks: the announced virtio-mmio devices, then
 * PCI. Fills disks[0..n) and returns n.
 */
unsigned devices_probe_disks(struct blkdev **disks, unsigned max,
                             const struct mmio_announce *mmio, unsigned nr_mmio);

#endif
