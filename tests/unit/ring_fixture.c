/* The ring backends' shared unit-test fixture (see ring_fixture.h). */
#include <string.h>
#include "unit.h"
#include "ring_fixture.h"
#include "grant_access.h"

uint8_t fx_pages[FX_NR_PAGES][PAGE_SIZE] __attribute__((aligned(4096)));
grant_entry_v1_t fx_gtab[FX_NR_GREFS];
unsigned fx_held_grants, fx_notifies;

void fx_reset(void)
{
    memset(fx_pages, 0, sizeof(fx_pages));
    memset(fx_gtab, 0, sizeof(fx_gtab));
    for (unsigned i = 0; i < FX_NR_PAGES; i++) {
        fx_gtab[FX_RW_REF(i)] = (grant_entry_v1_t){ GTF_permit_access, FX_BE_DOMID,
                                                    FX_FRAME_BASE + i };
        fx_gtab[FX_RO_REF(i)] = (grant_entry_v1_t){ GTF_permit_access | GTF_readonly,
                                                    FX_BE_DOMID, FX_FRAME_BASE + i };
    }
    fx_held_grants = fx_notifies = 0;
}

int fx_acquire(void *ctx, grant_ref_t ref, bool write, mfn_t *frame)
{
    (void)ctx;
    if (ref >= FX_NR_GREFS)
        return -XEN_EINVAL;
    int rc = grant_claim_entry(&fx_gtab[ref], FX_BE_DOMID, write);
    if (rc)
        return rc;
    *frame = fx_gtab[ref].frame;
    fx_held_grants++;
    return 0;
}

void fx_release(void *ctx, grant_ref_t ref, bool write, mfn_t frame)
{
    (void)ctx;
    (void)frame;
    ck_assert_uint_gt(fx_held_grants, 0);
    fx_held_grants--;
    grant_unclaim_entry(&fx_gtab[ref], write);
}

void *fx_frame_ptr(void *ctx, mfn_t frame)
{
    (void)ctx;
    ck_assert(frame >= FX_FRAME_BASE && frame < FX_FRAME_BASE + FX_NR_PAGES);
    return fx_pages[frame - FX_FRAME_BASE];
}

void fx_notify(void *arg)
{
    (void)arg;
    fx_notifies++;
}
