/*
 * Walking the guest's page tables in software. Every table reached from a
 * base pointer is validated, so each entry names a guest frame and there
 * are no superpages. An entry names a table of the level below, or (a
 * linear entry, read-only) one of its own level, so a walk's table[n] or
 * mfn may be a table of a higher level than n: callers check the type.
 */
#include <pvshim/string.h>
#include "mm_private.h"

bool pv_mm_walk(vaddr_t va, bool kernel_tables, struct pv_walk *w)
{
    memset(w, 0, sizeof(*w));
    for (unsigned l = 0; l < 5; l++)
        w->table[l] = INVALID_MFN;
    w->mfn = INVALID_MFN;
    w->stop_level = 4;

    /* PAE: one L3 for kernel and user, 32-bit addresses below the hypervisor hole. */
    mfn_t t = kernel_tables || pv_mm.pae ? current->guest_table : current->guest_table_user;
    bool addr_ok = pv_mm.pae ? va < COMPAT_HV_VIRT_START : guest_addr_ok(va);
    if (!pv_mm.ready || !addr_ok || t == INVALID_MFN)
        return false;

    bool rw = true, user = true, nx = false;
    for (unsigned level = pv_mm.pae ? 3 : 4; level >= 1; level--) {
        const pte_t *p = frame_map(t);
        w->stop_level = level;
        if (!p)
            return false;
        pte_t e = p[pt_index(va, L1_SHIFT + 9 * (level - 1))];
        w->table[level] = t;
        w->entry[level] = e;
        if (!(e & PTE_P) || (level > 1 && (e & PTE_PS)))
            return false;
        rw = rw && (e & PTE_RW);
        user = user && (e & PTE_US);
        nx = nx || (e & PTE_NX);
        t = pte_mfn(e);
    }
    w->stop_level = 0;
    w->rw = rw;
    w->user = user;
    w->nx = nx;
    w->mfn = t;
    return true;
}

/*
 * The L1 table that maps va in the tables the CPU uses now (Xen's
 * map_guest_l1e), as a frame and mapped: an L2 entry must be present and
 * not a superpage. NULL if there is none.
 */
static const pte_t *current_l1(vaddr_t va, mfn_t *l1)
{
    /* pv_mm_walk's steps down to the L2 entry, without recording them. */
    const struct pv_vcpu *v = current;
    mfn_t t = v->kernel_mode || pv_mm.pae ? v->guest_table : v->guest_table_user;
    bool addr_ok = pv_mm.pae ? va < COMPAT_HV_VIRT_START : guest_addr_ok(va);
    if (!pv_mm.ready || !addr_ok || t == INVALID_MFN)
        return NULL;
    for (unsigned level = pv_mm.pae ? 3 : 4; level >= 2; level--) {
        const pte_t *p = frame_map(t);
        if (!p)
            return NULL;
        pte_t e = p[pt_index(va, L1_SHIFT + 9 * (level - 1))];
        if (!(e & PTE_P) || (e & PTE_PS))
            return NULL;
        t = pte_mfn(e);
    }
    /* As the walk: an L1 out of pvshim's reach is no L1. */
    *l1 = t;
    return frame_map(t);
}

bool mm_find_l1(vaddr_t va, mfn_t *l1)
{
    mfn_t t;
    if (!current_l1(va, &t))
        return false;
    *l1 = t;
    return true;
}

bool mm_find_l1e(vaddr_t va, pte_t *l1e)
{
    mfn_t t;
    const pte_t *p = current_l1(va, &t);
    if (!p)
        return false;
    *l1e = p[pt_index(va, L1_SHIFT)];
    return *l1e & PTE_P;
}
