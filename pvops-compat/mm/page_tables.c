/*
 * Guest page-table entries: which flags each level may carry, what an
 * entry must reference, the references a present entry holds, validating
 * and devalidating whole tables, and updating one entry (Xen's
 * get_page_from_lNe / put_page_from_lNe / promote / demote / mod_lN_entry
 * for a 64-bit PV domU, linear page tables included: see mm_private.h).
 */
#include <pvshim/log.h>
#include "mm_private.h"

/*
 * Flags a guest may use: P, RW, US, A, D, the available bits 9-11 and
 * 52-62, NX (pvshim itself needs NX, so every CPU it runs on has it). So PWT, PCD, PS and G are refused above L1 (no superpages,
 * no cache control, Global only in L1), and an L1 refuses the cache
 * attributes (a domU may not flush caches) and Xen's grant-table bit 62.
 */
#define PDE_DISALLOW        (PTE_PWT | PTE_PCD | PTE_PS | PTE_G)
#define L1_DISALLOW         (PTE_CACHE_ATTRS | PTE_GNTTAB)

/*
 * Bits whose change needs the entry re-checked; others (A, D, US, G, NX,
 * available bits) change in place. RW is re-checked at every level: above
 * L1 a linear entry may only be read-only, and making it writable in place
 * would hand the guest its own tables (XSA-182). Bit 62 too: an entry
 * replacing a grant PTE takes references of its own, which the grant PTE
 * did not hold.
 */
#define L1_RECHECK          (PTE_ADDR_MASK | PTE_P | PTE_RW | PTE_CACHE_ATTRS | PTE_GNTTAB)
#define PDE_RECHECK         (PTE_ADDR_MASK | PTE_P | PTE_RW | PTE_PWT | PTE_PCD | PTE_PS)

#define L4_RO_M2P_SLOT      HYPERVISOR_FIRST_L4_SLOT

pte_t l1_disallow_mask(void)
{
    return L1_DISALLOW;
}

static pte_t pde_disallow_mask(void)
{
    return PDE_DISALLOW;
}

bool is_guest_l4_slot(unsigned idx)
{
    return idx < HYPERVISOR_FIRST_L4_SLOT || idx > HYPERVISOR_LAST_L4_SLOT;
}

/*
 * The guest kernel runs in ring 3, so its mappings need US. Kernel leaf
 * entries are marked with Xen's bit 52 as Xen does. Global is stripped:
 * no guest translation may survive a flush the MMU relies on.
 */
pte_t adjust_guest_l1e(pte_t e)
{
    if (!(e & PTE_P))
        return e;
    if (!(e & PTE_US))
        e |= PTE_US | PTE_GUEST_KERNEL;
    return e & ~PTE_G;
}

static pte_t adjust_guest_entry(pte_t e, unsigned level)
{
    if (!(e & PTE_P))
        return e;
    switch (level) {
    case 1:
        return adjust_guest_l1e(e);
    case 4:
        return e | PTE_US | PTE_A;
    default:
        return e | PTE_US;
    }
}

/* ---------------------------------------------------------- references */

int get_page_from_l1e(pte_t e, enum pg_owner owner)
{
    if (!(e & PTE_P))
        return 0;
    if (e & l1_disallow_mask())
        return -XEN_EINVAL;

    mfn_t mfn = pte_mfn(e);
    struct pv_frame *f = frame_of(mfn);
    /* I/O space: a plain domU has no I/O memory permission. */
    if (!f || frame_owner(f) == PV_OWNER_IO)
        return mfn == MFN_PADDR_MASK ? -XEN_EINVAL : -XEN_EPERM;
    /* Someone else's frame, a free one, or one mapped for DOMID_IO. */
    if (owner != PG_OWNER_SELF || !get_page(mfn))
        return -XEN_EBUSY;
    if ((e & PTE_RW) && get_page_type(mfn, PV_TYPE_WRITABLE)) {
        put_page(mfn);
        return -XEN_EBUSY;
    }
    return 0;
}

void put_page_from_l1e(pte_t e)
{
    /*
     * A grant PTE (grant_map.c) holds nothing: the grant table's mapping
     * handle holds the frame, and keeps holding it when the guest
     * overwrites the PTE instead of unmapping the grant (Xen then injects
     * #GP and drops the references anyway; pvshim leaves them held).
     */
    if (!(e & PTE_P) || (e & PTE_GNTTAB))
        return;
    mfn_t mfn = pte_mfn(e);
    struct pv_frame *f = frame_of(mfn);
    if (!f || frame_owner(f) != PV_OWNER_GUEST)
        return;
    if (e & PTE_RW)
        put_page_and_type(mfn);
    else
        put_page(mfn);
    pv_mm.stale_tlb = true;
}

/*
 * Entry e of table ptpg (level `level`) names a table of the same level
 * (Xen's get_lN_linear_pagetable): allowed read-only, and not nested (see
 * mm_private.h). true if allowed; the reference is then held, and counted
 * as linear, unless e names ptpg itself.
 */
static bool get_linear_table(pte_t e, mfn_t ptpg, unsigned level)
{
    if (e & PTE_RW)
        return false;
    mfn_t mfn = pte_mfn(e);
    if (mfn == ptpg)
        return true;
    if (!get_page(mfn))
        return false;
    /*
     * ptpg is named linearly nowhere (or it would become a second step),
     * mfn holds no linear entries (or it would be the step before this
     * one), neither count is full (as Xen's 16-bit count: 32767 entries,
     * 32768 uses), and mfn is live at this level: only
     * a validated table may be referenced, so this never validates.
     */
    int16_t entries = pv_mm.linear[ptpg], uses = pv_mm.linear[mfn];
    if (entries < 0 || entries == INT16_MAX || uses > 0 || uses == INT16_MIN ||
        !frame_in_use_as(frame_of(mfn), level) || get_page_type(mfn, level)) {
        put_page(mfn);
        return false;
    }
    pv_mm.linear[ptpg]++;
    pv_mm.linear[mfn]--;
    return true;
}

/* An L2/L3/L4 entry of table ptpg names a table of the level below, or a linear one. */
static int get_page_from_pde(pte_t e, mfn_t ptpg, unsigned level)
{
    if (e & pde_disallow_mask())
        return -XEN_EINVAL;
    int rc = get_page_and_type(pte_mfn(e), level - 1);
    /* Not a table of the level below (only then): perhaps a linear entry. */
    if (rc == -XEN_EINVAL && get_linear_table(e, ptpg, level))
        rc = 0;
    return rc;
}

static void put_page_from_pde(pte_t e, mfn_t ptpg, unsigned level)
{
    if (!(e & PTE_P))
        return;
    mfn_t mfn = pte_mfn(e);
    const struct pv_frame *f = frame_of(mfn);
    if (mfn == ptpg)
        return;                     /* a self map holds nothing */
    /* Its type can't have changed while the entry held a type reference. */
    if (f && frame_type(f) == level)
        put_linear_page_type(mfn, ptpg);
    else
        put_page_type(mfn);
    put_page(mfn);
}

static int get_page_from_entry(pte_t e, mfn_t table, unsigned level, enum pg_owner owner)
{
    return level == 1 ? get_page_from_l1e(e, owner) : get_page_from_pde(e, table, level);
}

static void put_page_from_entry(pte_t e, mfn_t table, unsigned level)
{
    if (level == 1)
        put_page_from_l1e(e);
    else
        put_page_from_pde(e, table, level);
}

/* ---------------------------------------------------------- whole tables */

static bool is_guest_slot(unsigned level, unsigned idx)
{
    return level != 4 || is_guest_l4_slot(idx);
}

static void install_hyp_slots(pte_t *l4)
{
    for (unsigned s = 0; s < HYP_L4_SLOTS; s++)
        l4[HYPERVISOR_FIRST_L4_SLOT + s] = pv_mm.hyp_slots[s];
    /* The RO M2P starts out hidden unless the guest asked for m2p_strict. */
    if (!vm_assist(VMASST_TYPE_m2p_strict))
        l4[L4_RO_M2P_SLOT] = 0;
}

int validate_table(mfn_t mfn, unsigned level)
{
    pte_t *t = frame_map(mfn);
    if (!t)
        return -XEN_EINVAL;
    for (unsigned i = 0; i < PT_ENTRIES; i++) {
        if (!is_guest_slot(level, i) || !(t[i] & PTE_P))
            continue;
        int rc = get_page_from_entry(t[i], mfn, level, PG_OWNER_SELF);
        if (rc) {
            log_debug("pv-mm: L%u %#llx slot %u: %d\n", level,
                      (unsigned long long)mfn, i, rc);
            while (i-- > 0)
                if (is_guest_slot(level, i))
                    put_page_from_entry(t[i], mfn, level);
            return rc;
        }
        t[i] = adjust_guest_entry(t[i], level);
    }
    if (level == 4)
        install_hyp_slots(t);
    return 0;
}

void devalidate_table(mfn_t mfn, unsigned level)
{
    pte_t *t = frame_map(mfn);
    if (!t)
        return;
    for (unsigned i = 0; i < PT_ENTRIES; i++)
        if (is_guest_slot(level, i))
            put_page_from_entry(t[i], mfn, level);
}

void l4_fill_ro_m2p(mfn_t l4)
{
    pte_t *t = frame_map(l4);
    if (t && !t[L4_RO_M2P_SLOT])
        t[L4_RO_M2P_SLOT] = pv_mm.hyp_slots[0];
}

void l4_zap_ro_m2p(mfn_t l4)
{
    pte_t *t = frame_map(l4);
    if (t)
        t[L4_RO_M2P_SLOT] = 0;
}

/* ---------------------------------------------------------- one entry */

static void write_entry(pte_t *p, pte_t old, pte_t val, bool preserve_ad)
{
    if (preserve_ad)
        val |= old & (PTE_A | PTE_D);
    *p = val;
}

int mod_entry(mfn_t table, unsigned level, unsigned idx, pte_t val,
              bool preserve_ad, enum pg_owner owner)
{
    pte_t *t = frame_map(table);
    if (!t || level < 1 || level > 4 || idx >= PT_ENTRIES)
        return -XEN_EINVAL;
    if (!is_guest_slot(level, idx))
        return -XEN_EINVAL;         /* hypervisor slot of an L4 */

    pte_t old = t[idx];
    if (val & PTE_P) {
        if (val & (level == 1 ? l1_disallow_mask() : pde_disallow_mask()))
            return -XEN_EINVAL;
        val = adjust_guest_entry(val, level);
        /* Same frame, same rights: the references already held still fit. */
        if (!((old ^ val) & (level == 1 ? L1_RECHECK : PDE_RECHECK))) {
            write_entry(&t[idx], old, val, preserve_ad);
            return 0;
        }
        int rc = get_page_from_entry(val, table, level, owner);
        if (rc)
            return rc;
    }
    write_entry(&t[idx], old, val, preserve_ad);
    put_page_from_entry(old, table, level);
    return 0;
}
