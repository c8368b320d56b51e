#ifndef PVSHIM_KERNEL_DEVICES_H
#define PVSHIM_KERNEL_DEVICES_H

#include <pvshim/blkdev.h>
#include <pvshim/netdev.h>

/* Find and start the VMM's disks; fills disks[0..n) and returns n. */
unsigned devices_probe_disks(struct blkdev **disks, unsigned max);
/* Find and start the VMM's NICs; fills nics[0..n) and returns n. */
unsigned devices_probe_nics(struct netdev **nics, unsigned max);

#endif
