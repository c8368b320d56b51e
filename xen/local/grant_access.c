/*
 * Grant checks for pvshim's backends (see grant_access.h). The entry's
 * flags, domid and in-use bits are checked and claimed by the grant
 * table's one check (gnttab_claim_v1), as for the guest's own maps and
 * copies; the frame is checked here, when the backend takes it.
 */
#include "grant_access.h"
#include "grant_table.h"
#include "mm_glue.h"
#include <pvshim/log.h>

int grant_claim_entry(grant_entry_v1_t *e, domid_t be, bool write)
{
    /* Every access claims the entry anew: no pinned shortcut. */
    switch (gnttab_claim_v1(e, be, !write, true, false)) {
    case GNTTAB_CLAIMED:
        return 0;
    case GNTTAB_REFUSED:
        return -XEN_EINVAL;
    default:
        return -XEN_EBUSY;
    }
}

void grant_unclaim_entry(grant_entry_v1_t *e, bool write)
{
    gnttab_clear_in_use(&e->flags, GTF_reading | (write ? GTF_writing : 0));
}

/*
 * How many accesses pvshim's backends hold on each ref, by kind: the in-use
 * bits go only when the last access of their kind ends, so two requests
 * naming one ref (or one request naming it twice) cannot clear them under
 * each other (Xen counts pins per ref the same way). Indexed by ref: every
 * ref gnttab_entry() accepts is below GNTTAB_MAX_FRAMES * 512.
 */
#define MAX_REFS (GNTTAB_MAX_FRAMES * (PAGE_SIZE / sizeof(grant_entry_v1_t)))
static uint8_t readers[MAX_REFS], writers[MAX_REFS];

int grant_acquire(grant_ref_t ref, domid_t be, bool write, mfn_t *frame)
{
    grant_entry_v1_t *e = (grant_entry_v1_t *)gnttab_entry(ref);
    if (!e || ref >= MAX_REFS)
        return -XEN_EINVAL;
    if (readers[ref] == UINT8_MAX || writers[ref] == UINT8_MAX)
        return -XEN_EBUSY;
    /* Claimed again on every access: the entry must still allow this one. */
    int rc = grant_claim_entry(e, be, write);
    if (rc)
        return rc;
    /* The frame is read after the claim: the guest cannot change it now. */
    mfn_t f = __atomic_load_n(&e->frame, __ATOMIC_ACQUIRE);
    rc = write ? pv_mm_get_writable_frame(f) : pv_mm_get_readable_frame(f);
    if (rc) {
        /* Only the bits no other access of ours still needs. */
        if (!readers[ref] && !writers[ref])
            grant_unclaim_entry(e, write);
        else if (write && !writers[ref])
            gnttab_clear_in_use(&e->flags, GTF_writing);
        return -XEN_EPERM;
    }
    if (write)
        writers[ref]++;
    else
        readers[ref]++;
    *frame = f;
    return 0;
}

void grant_release(grant_ref_t ref, bool write, mfn_t frame)
{
    if (write)
        pv_mm_put_writable_frame(frame);
    else
        pv_mm_put_readable_frame(frame);
    if (ref >= MAX_REFS || (write ? !writers[ref] : !readers[ref])) {
        log_err("grant: release of ref %u that is not held", ref);
        return;
    }
    if (write)
        writers[ref]--;
    else
        readers[ref]--;
    grant_entry_v1_t *e = (grant_entry_v1_t *)gnttab_entry(ref);
    if (!e)
        return;
    uint16_t clear = 0;
    if (!writers[ref])
        clear |= GTF_writing;
    if (!writers[ref] && !readers[ref])
        clear |= GTF_reading;
    if (clear)
        gnttab_clear_in_use(&e->flags, clear);
}

/* How many accesses to ref are held (tests). */
unsigned grant_active_count(grant_ref_t ref)
{
    return ref < MAX_REFS ? (unsigned)readers[ref] + writers[ref] : 0;
}
