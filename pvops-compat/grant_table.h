/* The guest's grant table (grant_table.c). */
#ifndef PVSHIM_GRANT_TABLE_H
#define PVSHIM_GRANT_TABLE_H

#include <pvshim/xen_abi.h>

#define GNTTAB_MAX_FRAMES   32
/* Entries in use at once (mapped or being copied) and mapping handles. */
#define GNTTAB_MAX_ACTIVE   256
#define GNTTAB_MAX_HANDLES  256

/* The entry for ref, or NULL if the guest's table (version 1) does not reach it. */
const grant_entry_v1_t *gnttab_entry(grant_ref_t ref);

/*
 * The one check of a version-1 grant entry the guest shares with us (Xen's
 * _set_status_v1), for grant_table_op's maps and copies of the guest's own
 * grants and for pvshim's backends (xen/local/grant_access.c): the entry
 * is read once; unless pinned (an access of this kind holds it already) it
 * must grant access (GTF_permit_access, and for a map no GTF_sub_page) to
 * domain `to`; unless readonly it must not be GTF_readonly; then
 * GTF_reading (and GTF_writing unless readonly) are set with a
 * compare-exchange on what was read, so what was checked is what was
 * claimed. The guest may change the entry meanwhile: a few retries, as
 * Xen's, then GNTTAB_UNSTABLE.
 */
enum gnttab_claim { GNTTAB_CLAIMED, GNTTAB_REFUSED, GNTTAB_UNSTABLE };
enum gnttab_claim gnttab_claim_v1(grant_entry_v1_t *e, domid_t to, bool readonly, bool map,
                                  bool pinned);
/* Clear in-use bits (GTF_reading, GTF_writing) of an entry's status, atomically. */
void gnttab_clear_in_use(uint16_t *status, uint16_t bits);

/* Forget the table (unit tests and fuzzers, with a fresh MMU): version 1, no frames. */
void gnttab_reset(void);

/*
 * The domain was restored into a new one at the Xen underneath
 * (pv_domain_moved): L0's table frames are mapped again over the frames
 * the guest has as its table (the restored domain holds RAM copies
 * there), so the guest's GNTTABOP_setup_table finds them L0's as before.
 * Nothing without services->gnttab_frame.
 */
void gnttab_domain_moved(void);

/*
 * The general and writable-type references the live mapping handles hold
 * on mfn (for the MMU invariant checks of the tests).
 */
void gnttab_frame_holds(mfn_t mfn, unsigned *refs, unsigned *types);

#endif
