/*
 * Pinning and the vCPU's base pointers (kernel and user L4). A pin or a
 * base pointer holds one general and one type reference on its table,
 * which keeps the whole tree below it validated.
 * Invariant (several vCPUs): each vCPU's guest_table and guest_table_user
 * hold their own references, taken before the CPU loads the table and
 * dropped only once it has loaded another (mm_new_baseptr) or is reset;
 * MMUEXT_UNPIN on any vCPU drops only the pin's. So an L4 in use as some
 * vCPU's base pointer stays a validated L4, never mappable writable, while
 * any CPU may walk it (as on Xen; a down vCPU keeps its references too).
 */
#include <pvshim/hw.h>
#include "mm_private.h"
#include <pvshim/assert.h>

int pv_mm_pin(mfn_t mfn, unsigned level)
{
    if (level < 1 || level > (pv_mm.pae ? 3u : 4u) || !get_page(mfn))
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
    if (pv_mm.pae)
        return current->guest_table == INVALID_MFN ? 0
                                                   : mfn_to_paddr(pv_mm.pae_l4[current->vcpu_id]);
    mfn_t mfn = kernel ? current->guest_table : current->guest_table_user;
    return mfn == INVALID_MFN ? 0 : mfn_to_paddr(mfn);
}

/* PAE: the CPU reaches v's L3 through slot 0 of v's L4 (pvshim's). */
static void pae_l4_point_at(const struct pv_vcpu *v, mfn_t l3)
{
    pte_t *l4 = frame_map(pv_mm.pae_l4[v->vcpu_id]);
    if (l4)
        l4[0] = l3 == INVALID_MFN ? 0 : mfn_to_paddr(l3) | PTE_P | PTE_RW | PTE_US | PTE_A;
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

/* MMUEXT_NEW_BASEPTR; load_cr3 for the hypercall (Xen's new_guest_cr3). */
int mm_new_baseptr(mfn_t mfn, bool load_cr3)
{
    mfn_t old = current->guest_table;
    if (old == mfn && old != INVALID_MFN) {
        if (load_cr3)
            load_current_cr3();
        return 0;
    }
    int rc = get_page_and_type(mfn, pv_mm.pae ? PV_TYPE_L3 : PV_TYPE_L4);
    if (rc)
        return rc;
    /* The LDT's frames were found through the old tables. */
    bool ldt_dropped = mm_drop_ldt_frames();
    if (pv_mm.pae)
        pae_l4_point_at(current, mfn);
    else if (!vm_assist(VMASST_TYPE_m2p_strict))
        l4_fill_ro_m2p(mfn);
    current->guest_table = mfn;
    if (load_cr3)
        load_current_cr3();
    /* Only now may the arch layer look the LDT up again. */
    if (ldt_dropped)
        mm_load_ldt();
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
    if (pv_mm.pae)
        return -XEN_EINVAL;         /* one set of tables for kernel and user */
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

int pv_mm_vcpu_set_bases(struct pv_vcpu *v, mfn_t kernel, mfn_t user)
{
    ASSERT(v->guest_table == INVALID_MFN && v->guest_table_user == INVALID_MFN);
    if (pv_mm.pae) {
        /* One L3 for kernel and user, reached through v's own L4. */
        if (user || pv_mm.pae_l4[v->vcpu_id] == INVALID_MFN)
            return -XEN_EINVAL;
        int rc = get_page_and_type(kernel, PV_TYPE_L3);
        if (rc)
            return rc;
        pae_l4_point_at(v, kernel);
        v->guest_table = kernel;
        return 0;
    }
    int rc = get_page_and_type(kernel, PV_TYPE_L4);
    if (rc)
        return rc;
    if (!vm_assist(VMASST_TYPE_m2p_strict))
        l4_fill_ro_m2p(kernel);
    if (user) {
        rc = get_page_and_type(user, PV_TYPE_L4);
        if (rc) {
            put_page_and_type(kernel);
            return rc;
        }
        if (vm_assist(VMASST_TYPE_m2p_strict))
            l4_zap_ro_m2p(user);
    }
    v->guest_table = kernel;
    v->guest_table_user = user ? user : INVALID_MFN;
    return 0;
}

void pv_mm_drop_base_pointers(void)
{
    pv_mm_destroy_ldt();
    mfn_t k = current->guest_table, u = current->guest_table_user;
    current->guest_table = INVALID_MFN;
    current->guest_table_user = INVALID_MFN;
    if (pv_mm.pae)
        pae_l4_point_at(current, INVALID_MFN);
    if (k != INVALID_MFN)
        put_page_and_type(k);
    if (u != INVALID_MFN)
        put_page_and_type(u);
}

/* Frames pvshim's own backends write while the guest runs. */
static int hold_backend_frames(void)
{
    const mfn_t frames[] = { dom.shared_info_mfn, dom.console_mfn, dom.xenstore_mfn };
    for (unsigned i = 0; i < sizeof(frames) / sizeof(frames[0]); i++) {
        if (!pv_mm_guest_owns(frames[i]))
            continue;
        int rc = pv_mm_get_writable_frame(frames[i]);
        if (rc) {
            while (i-- > 0)
                if (pv_mm_guest_owns(frames[i]))
                    pv_mm_put_writable_frame(frames[i]);
            return rc;
        }
    }
    return 0;
}

int pv_mm_start_guest(mfn_t l4)
{
    /* The builder may have recorded the base already: no reference is held for it. */
    current->guest_table = INVALID_MFN;
    /* The root: an L4, or a PAE guest's L3. */
    int rc = pv_mm_pin(l4, pv_mm.pae ? 3 : 4);
    if (rc)
        return rc;
    rc = pv_mm_set_kernel_base(l4);
    if (!rc) {
        rc = hold_backend_frames();
        if (rc)
            pv_mm_drop_base_pointers();
    }
    if (rc)
        pv_mm_unpin(l4);
    return rc;
}

int pv_mm_start_restored(void)
{
    return hold_backend_frames();
}
