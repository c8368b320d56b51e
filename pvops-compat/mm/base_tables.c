/*
 * Pinning and the vCPU's base pointers (kernel and user L4). A pin or a
 * base pointer holds one general and one type reference on its table,
 * which keeps the whole tree below it validated.
 */
#include <pvshim/hw.h>
#include "mm_private.h"

int pv_mm_pin(mfn_t mfn, unsigned level)
{
    if (level < 1 || level > 4 || !get_page(mfn))
        return -XEN_EINVAL;
    int rc = get_page_type(mfn, level);
    if (rc) {
        put_page(mfn);
        return rc;
    }
    struct pv_frame *f = frame_of(mfn);
    if (f->info & FI_PINNED) {
        put_page_and_type(mfn);
        return -XEN_EINVAL;
    }
    f->info |= FI_PINNED;
    return 0;
}

int pv_mm_unpin(mfn_t mfn)
{
    if (!get_page(mfn))
        return -XEN_EINVAL;
    struct pv_frame *f = frame_of(mfn);
    if (!(f->info & FI_PINNED)) {
        put_page(mfn);
        return -XEN_EINVAL;
    }
    f->info &= ~FI_PINNED;
    put_page_and_type(mfn);
    put_page(mfn);
    return 0;
}

paddr_t pv_mm_base_maddr(bool kernel)
{
    mfn_t mfn = kernel ? current->guest_table : current->guest_table_user;
    return mfn == INVALID_MFN ? 0 : mfn_to_paddr(mfn);
}

/* Load the tables of the vCPU's current mode (a full TLB flush). */
static void load_current_cr3(void)
{
    paddr_t l4 = pv_mm_base_maddr(current->kernel_mode);
    if (!l4)
        return;
    hw_load_cr3(l4);
    mm_tlb_flushed();
}

/* Drop the LDT frames; tell the arch layer its LDT window is gone. */
static void drop_ldt(void)
{
    pv_mm_destroy_ldt();
}

/* MMUEXT_NEW_BASEPTR; load_cr3 for the hypercall (Xen's new_guest_cr3). */
int mm_new_baseptr(mfn_t mfn, bool load_cr3)
{
    mfn_t old = current->guest_table;
    if (old == mfn && old != INVALID_MFN) {
        if (load_cr3)
            load_current_cr3();
        return 0;
    }
    int rc = get_page_and_type(mfn, PV_TYPE_L4);
    if (rc)
        return rc;
    drop_ldt();
    if (!vm_assist(VMASST_TYPE_m2p_strict))
        l4_fill_ro_m2p(mfn);
    current->guest_table = mfn;
    if (load_cr3)
        load_current_cr3();
    /* Only now that the CPU has left it may the old tree go. */
    if (old != INVALID_MFN)
        put_page_and_type(old);
    return 0;
}

int pv_mm_set_kernel_base(mfn_t l4)
{
    return mm_new_baseptr(l4, false);
}

/* MMUEXT_NEW_USER_BASEPTR: mfn 0 means no user tables. */
int pv_mm_set_user_base(mfn_t mfn)
{
    mfn_t old = current->guest_table_user == INVALID_MFN ? 0 : current->guest_table_user;
    if (old == mfn)
        return 0;
    if (mfn) {
        int rc = get_page_and_type(mfn, PV_TYPE_L4);
        if (rc)
            return rc;
        if (vm_assist(VMASST_TYPE_m2p_strict))
            l4_zap_ro_m2p(mfn);
    }
    current->guest_table_user = mfn ? mfn : INVALID_MFN;
    if (old)
        put_page_and_type(old);
    return 0;
}

void pv_mm_drop_base_pointers(void)
{
    drop_ldt();
    mfn_t k = current->guest_table, u = current->guest_table_user;
    current->guest_table = INVALID_MFN;
    current->guest_table_user = INVALID_MFN;
    if (k != INVALID_MFN)
        put_page_and_type(k);
    if (u != INVALID_MFN)
        put_page_and_type(u);
}
