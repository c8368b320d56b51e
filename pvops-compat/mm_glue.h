/*
 * What the rest of the PV layer needs from the PV MMU (mm/): reference
 * counting of guest frames used by pvshim itself (vcpu_info placement),
 * and ballooning. Implemented by the MMU.
 */
#ifndef PVSHIM_MM_GLUE_H
#define PVSHIM_MM_GLUE_H

#include <pvshim/types.h>

struct memmap;

/* Bytes of frame table the MMU needs for machine frames [0, max_mfn). */
size_t pv_mm_frame_table_bytes(mfn_t max_mfn);
/*
 * Start the MMU: its frame table (zeroed memory of the size above), the
 * M2P (pvshim's writable view) and the 16 hypervisor L4 slot entries to
 * put in every L4 the guest uses.
 */
void pv_mm_init(void *frame_table, mfn_t max_mfn, uint64_t *m2p, const uint64_t *hyp_slots);
/*
 * The same with a frame table the caller prepared and pv_mm_init leaves
 * as it is: zeroed, except that a page of it describing no frame of RAM
 * (nor of the map's "unusable" ranges) may instead be a read-only page
 * filled by pv_mm_frame_table_io_page() (frame entries: I/O space).
 * Nothing writes the entry of an I/O frame, so such pages stay as they
 * are.
 */
void pv_mm_init_prepared(void *frame_table, mfn_t max_mfn, uint64_t *m2p,
                         const uint64_t *hyp_slots);
void pv_mm_frame_table_io_page(void *page);
/*
 * Right after pv_mm_init: which frames are no RAM, so that a guest mapping
 * one gets Xen's -EPERM (a domU has no I/O memory permission) and not the
 * -EBUSY of RAM it does not own. As Xen's arch_init_memory: every frame
 * below max_mfn outside the map's RAM and "unusable" ranges (holes,
 * reserved, ACPI, NVS, ...), and the first low_io_frames frames whatever
 * they are (Xen: the first MiB); frames from max_mfn up are I/O already.
 * m must be sorted (memmap_sanitize). Only free frames change. 0, or
 * -XEN_EINVAL if the MMU is not set up.
 */
int pv_mm_mark_io(const struct memmap *m, mfn_t low_io_frames);
/* Pin the builder's initial root (L4; a PAE guest's L3) and make it the base. */
int pv_mm_start_guest(mfn_t l4_mfn);

/* Take a writable-type reference on a guest frame pvshim will write; 0 or -errno. */
int pv_mm_get_writable_frame(mfn_t mfn);
void pv_mm_put_writable_frame(mfn_t mfn);
/*
 * Hold a guest frame a backend's device will read: a general reference, and
 * refused (-XEN_EBUSY) while it is a page table or descriptor page.
 */
int pv_mm_get_readable_frame(mfn_t mfn);
void pv_mm_put_readable_frame(mfn_t mfn);

/*
 * Release a frame from the guest (decrease_reservation): 0 (free now),
 * PV_MM_RELEASE_DEFERRED (still referenced: freed at its last put) or
 * -errno; see mm.h.
 */
#define PV_MM_RELEASE_DEFERRED 1
int pv_mm_release_frame(mfn_t mfn);
/*
 * Implemented by memory_op.c: a frame the guest gave back while it was
 * still referenced lost its last reference (its M2P entry is INVALID
 * already); it may go back to pvshim's pool now.
 */
void pv_mm_frame_freed(mfn_t mfn);
/* Give a frame to the guest (populate_physmap, domain build). */
void pv_mm_assign_frame(mfn_t mfn);

#endif
