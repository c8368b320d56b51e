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
