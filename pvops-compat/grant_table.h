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
 * The general and writable-type references the live mapping handles hold
 * on mfn (for the MMU invariant checks of the tests).
 */
void gnttab_frame_holds(mfn_t mfn, unsigned *refs, unsigned *types);

#endif
