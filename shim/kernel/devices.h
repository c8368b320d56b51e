#ifndef PVSHIM_KERNEL_DEVICES_H
#define PVSHIM_KERNEL_DEVICES_H

#include <pvshim/blkdev.h>

/* Find and start the VMM's disks; fills disks[0..n) and returns n. */
unsigned devices_probe_disks(struct blkdev **disks, unsigned max);

#endif
