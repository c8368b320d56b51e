/*
 * Giving back the frames of pvshim's image that hold data it no longer
 * needs (compiler.h's BUILD_ONLY, RESTORE_ONLY, RECLAIM_TAIL): called
 * before the guest gets its memory, so that the guest gets them too.
 */
#ifndef PVSHIM_IMAGE_RECLAIM_H
#define PVSHIM_IMAGE_RECLAIM_H

#include <pvshim/types.h>

void image_reclaim_build_only(void);        /* the kernel image is unpacked, or not needed */
void image_reclaim_restore_only(void);      /* a guest is built, not restored */
/* dom.vcpu[nr_vcpus..]: the domain has nr_vcpus vCPUs, for good. */
void image_reclaim_vcpus(unsigned nr_vcpus);
uint64_t image_reclaimed_frames(void);

#endif
