/* The guest's grant table, as pvshim's backends see it. */
#ifndef PVSHIM_GRANT_TABLE_H
#define PVSHIM_GRANT_TABLE_H

#include <pvshim/xen_abi.h>

#define GNTTAB_MAX_FRAMES 32

/* The entry for ref, or NULL if the guest's table does not reach it. */
const grant_entry_v1_t *gnttab_entry(grant_ref_t ref);

#endif
