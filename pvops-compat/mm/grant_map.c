/*
 * The PV MMU side of mapping grants (Xen's arch/x86/pv/grant_table.c for a
 * 64-bit PV domU): grant PTEs written into the guest's live L1 tables,
 * found by linear address or by the machine address of the entry, and
 * taken out again on unmap.
 *
 * A grant PTE carries PTE_GNTTAB and holds no MMU reference itself: the
 * grant table holds the general and writable-type references on the
 * granted frame for as long as the mapping handle lives (see
 * pv_mm_grant_get_frame). So put_page_from_l1e skips grant PTEs, and the
 * frame a writable grant names keeps its writable type until the handle
 * goes, whatever the guest does to the PTE itself.
 */
#include <pvshim/hw.h>
#include <pvshim/log.h>
#include "mm_private.h"

/* Xen's grant_to_pte_flags for a RAM frame (no cache attributes). */
static pte_t grant_pte_flags(unsigned gnt_flags)
{
    pte_t f = PTE_P | PTE_A | PTE_D | PTE_GNTTAB | PTE_NX;
    if (gnt_flags & GNTMAP_application_map)
        f |= PTE_US;
    if (!(gnt_flags & GNTMAP_readonly))
        f |= PTE_RW;
    f |= ((pte_t)(gnt_flags >> _GNTMAP_guest_avail0) << 9) & PTE_AVAIL;
    return f;
}

/*
 * The L1 entry addr names: a machine address of an entry
 * (GNTMAP_contains_pte) or a linear address in the current tables. The
 * table must be a live L1 of the guest's: the table mapped, its frame in
 * *l1 and the entry's index in *idx. NULL otherwise.
 */
static pte_t *grant_l1e(uint64_t addr, bool contains_pte, mfn_t *l1, unsigned *idx)
{
    if (contains_pte) {
        if (addr & (sizeof(pte_t) - 1))
            return NULL;                /* would straddle two entries */
        *l1 = paddr_to_mfn(addr);
    } else if (!guest_addr_ok(addr) || !mm_find_l1(addr, l1)) {
        return NULL;
    }
    struct pv_frame *f = frame_of(*l1);
    if (!f || frame_owner(f) != PV_OWNER_GUEST || !frame_in_use_as(f, PV_TYPE_L1))
        return NULL;
    pte_t *t = frame_map(*l1);
    if (!t)
        return NULL;
    *idx = contains_pte ? (addr & ~PAGE_MASK) / sizeof(pte_t) : pt_index(addr, L1_SHIFT);
    return t;
}

int pv_mm_create_grant_mapping(uint64_t addr, mfn_t frame, unsigned flags)
{
    mfn_t l1;
    unsigned idx;
    pte_t *t = grant_l1e(addr, flags & GNTMAP_contains_pte, &l1, &idx);
    if (!t)
        return GNTST_general_error;
    pte_t old = t[idx];
    live_entry_write(l1, t, idx, old,
                     adjust_guest_l1e(mfn_to_paddr(frame) | grant_pte_flags(flags)), false);
    put_page_from_l1e(old);
    return GNTST_okay;
}

/* Take the entry mapping `linear` out (it moves elsewhere); false if none. */
static bool steal_linear(uint64_t linear, pte_t *out)
{
    mfn_t l1;
    unsigned idx;
    pte_t *t = grant_l1e(linear, false, &l1, &idx);
    if (!t)
        return false;
    *out = t[idx];
    live_entry_write(l1, t, idx, *out, 0, false);
    return true;
}

int pv_mm_replace_grant_mapping(uint64_t addr, mfn_t frame, uint64_t new_addr, unsigned flags)
{
    pte_t repl = 0;
    int rc = GNTST_general_error;
    bool contains_pte = flags & GNTMAP_contains_pte;

    if (new_addr && (contains_pte || !steal_linear(new_addr, &repl)))
        goto out;

    mfn_t l1;
    unsigned idx;
    pte_t *t = grant_l1e(addr, contains_pte, &l1, &idx);
    if (!t)
        goto out;
    pte_t old = t[idx];
    /*
     * Xen checks the frame and the P and RW bits against the grant. pvshim
     * also wants a grant PTE there: zapping an ordinary entry of the
     * guest's instead would let the grant's references go while a grant
     * PTE for the frame stays elsewhere (Xen leaks the ordinary entry's
     * references, which keep the frame writable; pvshim refuses).
     */
    if (pte_mfn(old) != frame || !(old & PTE_GNTTAB) ||
        ((old ^ grant_pte_flags(flags)) & (PTE_P | PTE_RW)))
        goto out;
    live_entry_write(l1, t, idx, old, repl, false);
    rc = GNTST_okay;
out:
    /* The stolen entry went nowhere: release what it held. */
    if (rc)
        put_page_from_l1e(repl);
    return rc;
}

bool pv_mm_grant_get_frame(mfn_t mfn, bool writable)
{
    if (writable)
        return get_page_and_type(mfn, PV_TYPE_WRITABLE) == 0;
    return get_page(mfn);
}

void pv_mm_grant_put_frame(mfn_t mfn, bool writable)
{
    if (writable)
        put_page_and_type(mfn);
    else
        put_page(mfn);
    /* A mapping through the grant may still be in some TLB. */
    mm_mark_stale();
}

void pv_mm_flush_tlb(void)
{
    mm_flush_tlb();
}

int pv_mm_unshare_frame(mfn_t mfn)
{
    struct pv_frame *f = frame_of(mfn);
    if (!f || frame_owner(f) != PV_OWNER_GUEST || !(f->info & FI_SHARED))
        return -XEN_EINVAL;
    /* Only the ownership and the permanent writable hold may remain. */
    if (f->refs != 2 || frame_type_count(f) != 1)
        return -XEN_EBUSY;
    if (mm_stale_tlb())
        mm_flush_tlb();
    f->info = 0;
    f->refs = 0;
    mm_write_m2p(mfn, ~0ull);
    return 0;
}
