/*
 * A pvshim backend's access to a frame the guest granted it (grant table
 * v1), checked as Xen checks a grant map or copy: the entry permits access
 * to the backend's domain, is not a sub-page or transitive grant, is not
 * read-only when the device will write into it; the in-use bits are set
 * while the access lasts; the frame is the guest's, and never a page
 * table, a descriptor page or pvshim's own.
 */
#ifndef PVSHIM_GRANT_ACCESS_H
#define PVSHIM_GRANT_ACCESS_H

#include <pvshim/xen_abi.h>

/*
 * The flag half of the check, on one entry's flags and domid: the grant
 * table's check (gnttab_claim_v1) claiming it for domain be (GTF_reading,
 * and GTF_writing if write). 0, or -XEN_EINVAL (not a usable grant for
 * this access), -XEN_EBUSY (the guest kept changing it).
 */
int grant_claim_entry(grant_entry_v1_t *e, domid_t be, bool write);
/* Clear the in-use bits a claim set. */
void grant_unclaim_entry(grant_entry_v1_t *e, bool write);

/*
 * The whole check on the current guest's grant ref: claim the entry and
 * hold its frame (writable type if write). *frame gets the frame.
 * 0 or -XEN_EINVAL / -XEN_EBUSY / -XEN_EPERM.
 */
int grant_acquire(grant_ref_t ref, domid_t be, bool write, mfn_t *frame);
/*
 * Undo grant_acquire once the access is over. The in-use bits are cleared
 * when no access of theirs is left: several accesses to one ref may overlap.
 */
void grant_release(grant_ref_t ref, bool write, mfn_t frame);
/* How many accesses to ref are held now. */
unsigned grant_active_count(grant_ref_t ref);

#endif
