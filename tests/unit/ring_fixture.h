/*
 * What the ring backends' unit tests (test_blkback.c, test_netback.c)
 * share: guest pages as a local array, a grant table whose entries the
 * real claim code checks, and a notification counter. fx_reset() before
 * each test: pages zeroed, refs FX_RW_REF(i) grant page i read-write and
 * FX_RO_REF(i) read-only to FX_BE_DOMID, every other ref empty.
 */
#ifndef PVSHIM_RING_FIXTURE_H
#define PVSHIM_RING_FIXTURE_H

#include <pvshim/xen_abi.h>

#define FX_NR_PAGES     24
#define FX_FRAME_BASE   0x2000
#define FX_BE_DOMID     0
#define FX_RW_REF(i)    (8 + (i))       /* page i, read-write */
#define FX_RO_REF(i)    (40 + (i))      /* page i, read-only */
#define FX_NR_GREFS     80

extern uint8_t fx_pages[FX_NR_PAGES][PAGE_SIZE];
extern grant_entry_v1_t fx_gtab[FX_NR_GREFS];
extern unsigned fx_held_grants;         /* acquired and not yet released */
extern unsigned fx_notifies;

void fx_reset(void);
/* The backends' grant operations over fx_gtab (ctx unused). */
int fx_acquire(void *ctx, grant_ref_t ref, bool write, mfn_t *frame);
void fx_release(void *ctx, grant_ref_t ref, bool write, mfn_t frame);
void *fx_frame_ptr(void *ctx, mfn_t frame);
void fx_notify(void *arg);

#endif
