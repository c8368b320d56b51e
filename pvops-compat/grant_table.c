/*
 * grant_table_op, version 1, for a domU frontend: it needs its grant table
 * (query_size, setup_table, set/get_version). The table frames are
 * pvshim's, shared writable with the guest; pvshim's backends read the
 * grants from them. Mapping and copying grants is what backends do, and a
 * domU has no business doing it here (-ENOSYS).
 */
#include "domain.h"
#include "hypercalls.h"
#include "mm_glue.h"
#include "grant_table.h"
#include <pvshim/guest_access.h>
#include <pvshim/frame_alloc.h>
#include <pvshim/phys.h>
#include <pvshim/string.h>

static mfn_t frames[GNTTAB_MAX_FRAMES];
static unsigned nr_frames;

const grant_entry_v1_t *gnttab_entry(grant_ref_t ref)
{
    unsigned per_frame = PAGE_SIZE / sizeof(grant_entry_v1_t);
    if (ref / per_frame >= nr_frames)
        return NULL;
    grant_entry_v1_t *f = phys_access(mfn_to_paddr(frames[ref / per_frame]), PAGE_SIZE);
    return f ? &f[ref % per_frame] : NULL;
}

static int16_t grow_to(unsigned want)
{
    if (want > GNTTAB_MAX_FRAMES)
        return GNTST_general_error;
    while (nr_frames < want) {
        mfn_t m = frame_pool_alloc(&machine_frames, 1, 1, ~(mfn_t)0);
        if (m == INVALID_MFN)
            return GNTST_general_error;
        void *p = phys_access(mfn_to_paddr(m), PAGE_SIZE);
        if (!p)
            return GNTST_general_error;
        memset(p, 0, PAGE_SIZE);
        pv_mm_assign_frame(m);
        frames[nr_frames++] = m;
    }
    return GNTST_okay;
}

static long setup_table(vaddr_t arg)
{
    struct gnttab_setup_table op;
    if (copy_from_guest(&op, arg, sizeof(op)))
        return -XEN_EFAULT;
    if (op.dom != DOMID_SELF && op.dom != dom.domid)
        op.status = GNTST_bad_domain;
    else
        op.status = grow_to(op.nr_frames);
    for (unsigned i = 0; op.status == GNTST_okay && i < op.nr_frames; i++) {
        xen_pfn_t f = frames[i];
        if (copy_to_guest((vaddr_t)(uintptr_t)op.frame_list.p + i * sizeof(f), &f, sizeof(f)))
            op.status = GNTST_bad_virt_addr;
    }
    return copy_to_guest(arg + offsetof(struct gnttab_setup_table, status), &op.status,
                         sizeof(op.status)) ? -XEN_EFAULT : 0;
}

static long query_size(vaddr_t arg)
{
    struct gnttab_query_size op;
    if (copy_from_guest(&op, arg, sizeof(op)))
        return -XEN_EFAULT;
    if (op.dom != DOMID_SELF && op.dom != dom.domid) {
        op.status = GNTST_bad_domain;
    } else {
        op.nr_frames = nr_frames;
        op.max_nr_frames = GNTTAB_MAX_FRAMES;
        op.status = GNTST_okay;
    }
    return copy_to_guest(arg, &op, sizeof(op)) ? -XEN_EFAULT : 0;
}

long do_grant_table_op(unsigned int cmd, vaddr_t uop, unsigned int count)
{
    if ((int)count < 0)
        return -XEN_EINVAL;
    switch (cmd) {
    case GNTTABOP_setup_table:
        for (unsigned i = 0; i < count; i++) {
            long rc = setup_table(uop + i * sizeof(struct gnttab_setup_table));
            if (rc)
                return rc;
        }
        return 0;
    case GNTTABOP_query_size:
        for (unsigned i = 0; i < count; i++) {
            long rc = query_size(uop + i * sizeof(struct gnttab_query_size));
            if (rc)
                return rc;
        }
        return 0;
    case GNTTABOP_set_version: {
        struct gnttab_set_version op;
        if (count != 1)
            return -XEN_EINVAL;
        if (copy_from_guest(&op, uop, sizeof(op)))
            return -XEN_EFAULT;
        long rc = op.version == 1 ? 0 : -XEN_EINVAL;
        op.version = 1;
        return copy_to_guest(uop, &op, sizeof(op)) ? -XEN_EFAULT : rc;
    }
    case GNTTABOP_get_version: {
        struct gnttab_get_version op;
        if (count != 1)
            return -XEN_EINVAL;
        if (copy_from_guest(&op, uop, sizeof(op)))
            return -XEN_EFAULT;
        if (op.dom != DOMID_SELF && op.dom != dom.domid)
            return -XEN_ESRCH;
        op.version = 1;
        return copy_to_guest(uop, &op, sizeof(op)) ? -XEN_EFAULT : 0;
    }
    default:
        return -XEN_ENOSYS;
    }
}
