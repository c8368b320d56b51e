/*
 * Guest page-table entries: which flags each level may carry, what an
 * entry must reference, the references a present entry holds, validating
 * and devalidating whole tables, and updating one entry (Xen's
 * get_page_from_lNe / put_page_from_lNe / promote / demote / mod_lN_entry
 * for a 64-bit PV domU, linear page tables included: see mm_private.h;
 * and for a 32-bit PAE domU as Xen's compat MM, the differences kept in
 * the per-mode rules below and described in mm.h at pv_mm_set_pae).
 */
#include <pvshim/log.h>
#include "mm_private.h"
#include <pvshim/assert.h>
#include <pvshim/compiler.h>

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

/*
 * A PAE L3 entry (Xen's 0xFFFFF198 on l3e_get_flags): besides PWT, PCD,
 * PS and G, no NX and none of the bits 52-62 (Xen's flag bits 12-23).
 */
#define PAE_L3_DISALLOW     (PDE_DISALLOW | 0xfff0000000000000ull)

/* What differs between the two paging modes, per level (index 1-4). */
struct paging_rules {
    unsigned root_level;
    pte_t disallow[5];
    pte_t add[5];               /* flags ORed into present entries (L1: see adjust) */
    bool linear[5];             /* may an entry of this level name a table of its own level */
};

static const struct paging_rules rules_4level = {
    .root_level = 4,
    .disallow = { 0, L1_DISALLOW, PDE_DISALLOW, PDE_DISALLOW, PDE_DISALLOW },
    .add = { 0, 0, PTE_US, PTE_US, PTE_US | PTE_A },
    .linear = { false, false, true, true, true },
};

static const struct paging_rules rules_pae = {
    .root_level = 3,
    .disallow = { 0, L1_DISALLOW, PDE_DISALLOW, PAE_L3_DISALLOW, ~0ull },
    .add = { 0, 0, 0, PTE_US | PTE_RW, 0 },
    .linear = { false, false, true, false, false },
};

static const struct paging_rules *rules(void)
{
    return pv_mm.pae ? &rules_pae : &rules_4level;
}

void pv_mm_set_pae(bool pae, const uint64_t *compat_l2_slots, mfn_t root_l4,
                   uint32_t *compat_m2p)
{
    pte_t *l4 = pae ? frame_map(root_l4) : NULL;
    pv_mm.pae = pae && compat_l2_slots && l4 && compat_m2p;
    for (unsigned i = 0; i < PV_MAX_VCPUS; i++)
        pv_mm.pae_l4[i] = i == 0 && pv_mm.pae ? root_l4 : INVALID_MFN;
    pv_mm.compat_m2p = pv_mm.pae ? compat_m2p : NULL;
    for (unsigned i = 0; i < PAE_XEN_L2_SLOTS; i++)
        pv_mm.compat_l2_slots[i] = pv_mm.pae ? compat_l2_slots[i] : 0;
    if (!pv_mm.pae)
        return;
    for (unsigned i = 0; i < PT_ENTRIES; i++)
        l4[i] = 0;
    for (unsigned s = 1; s < HYP_L4_SLOTS; s++)
        l4[HYPERVISOR_FIRST_L4_SLOT + s] = pv_mm.hyp_slots[s];
}

void pv_mm_set_vcpu_root(unsigned vcpu_id, mfn_t root_l4)
{
    ASSERT(pv_mm.pae && vcpu_id && vcpu_id < PV_MAX_VCPUS);
    pte_t *l4 = frame_map(root_l4);
    const pte_t *l4_0 = frame_map(pv_mm.pae_l4[0]);
    ASSERT(l4 && l4_0);
    l4[0] = 0;
    for (unsigned i = 1; i < PT_ENTRIES; i++)
        l4[i] = l4_0[i];
    pv_mm.pae_l4[vcpu_id] = root_l4;
}

pte_t l1_disallow_mask(void)
{
    return L1_DISALLOW;
}

static pte_t pde_disallow_mask(unsigned level)
{
    return rules()->disallow[level];
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
    /* A PAE guest's kernel runs in ring 1: its supervisor mappings stay so. */
    if (!(e & PTE_US) && !pv_mm.pae)
        e |= PTE_US | PTE_GUEST_KERNEL;
    return e & ~PTE_G;
}

static pte_t adjust_guest_entry(pte_t e, unsigned level)
{
    if (!(e & PTE_P))
        return e;
    if (level == 1)
        return adjust_guest_l1e(e);
    return e | rules()->add[level];
}

/* ---------------------------------------------------------- references */

/* Inline in a whole L1's validation (an entry at a time), a call elsewhere. */
static inline ALWAYS_INLINE int l1e_get_refs(pte_t e, enum pg_owner owner)
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

int get_page_from_l1e(pte_t e, enum pg_owner owner)
{
    return l1e_get_refs(e, owner);
}

/*
 * The references a present L1 entry holds, dropped; true if there were any.
 * The caller marks the TLBs stale (mm_mark_stale) before it lets go of the
 * PV lock or anything relies on the mask: put_page_from_l1e at once, a
 * table's devalidation once for the whole table (put_page_type).
 */
static inline ALWAYS_INLINE bool put_l1e_refs(pte_t e)
{
    /*
     * A grant PTE (grant_map.c) holds nothing: the grant table's mapping
     * handle holds the frame, and keeps holding it when the guest
     * overwrites the PTE instead of unmapping the grant (Xen then injects
     * #GP and drops the references anyway; pvshim leaves them held).
     */
    if (!(e & PTE_P) || (e & PTE_GNTTAB))
        return false;
    mfn_t mfn = pte_mfn(e);
    struct pv_frame *f = frame_of(mfn);
    if (!f || frame_owner(f) != PV_OWNER_GUEST)
        return false;
    if (e & PTE_RW)
        put_page_and_type(mfn);
    else
        put_page(mfn);
    return true;
}

void put_page_from_l1e(pte_t e)
{
    if (put_l1e_refs(e))
        mm_mark_stale();
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
     * 32768 uses) and the count table has room for the frames new to it,
     * and mfn is live at this level: only
     * a validated table may be referenced, so this never validates.
     */
    int16_t entries = linear_count(ptpg), uses = linear_count(mfn);
    if (entries < 0 || entries == INT16_MAX || uses > 0 || uses == INT16_MIN ||
        !linear_room((entries == 0) + (uses == 0)) ||
        !frame_in_use_as(frame_of(mfn), level) || get_page_type(mfn, level)) {
        put_page(mfn);
        return false;
    }
    linear_set(ptpg, (int16_t)(entries + 1));
    linear_set(mfn, (int16_t)(uses - 1));
    return true;
}

/* An L2/L3/L4 entry of table ptpg names a table of the level below, or a linear one. */
static inline ALWAYS_INLINE int get_page_from_pde(pte_t e, mfn_t ptpg, unsigned level)
{
    if (e & pde_disallow_mask(level))
        return -XEN_EINVAL;
    int rc = get_page_and_type(pte_mfn(e), level - 1);
    /* Not a table of the level below (only then): perhaps a linear entry. */
    if (rc == -XEN_EINVAL && rules()->linear[level] && get_linear_table(e, ptpg, level))
        rc = 0;
    return rc;
}

static inline ALWAYS_INLINE void put_page_from_pde(pte_t e, mfn_t ptpg, unsigned level)
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

static bool is_pae_xen_l2(mfn_t mfn)
{
    const struct pv_frame *f = frame_of(mfn);
    return f && (f->info & FI_PAE_XEN_L2);
}

/* Whether entry idx of table (level) is the guest's to manage. */
static bool is_guest_slot(mfn_t table, unsigned level, unsigned idx)
{
    if (!pv_mm.pae)
        return level != 4 || is_guest_l4_slot(idx);
    if (level == 3)
        return idx < PAE_L3_ENTRIES;
    if (level == 2 && idx >= PAE_FIRST_XEN_L2_SLOT)
        return !is_pae_xen_l2(table);
    return true;
}

/*
 * A PAE L3, as Xen's promote_l3_table for a 32-bit guest: below 4 GiB
 * unless extended-cr3, entries 4-511 zeroed, slot 3 present and its L2
 * taken as the unshared hypervisor-slot L2. 0, or the error before any
 * entry is checked (the entries are then the caller's loop).
 */
static int pae_l3_precheck(mfn_t mfn, pte_t *t)
{
    if (mfn >= (1ull << (32 - PAGE_SHIFT)) && !vm_assist(VMASST_TYPE_pae_extended_cr3))
        return -XEN_ERANGE;
    if (!(t[COMPAT_L3_XEN_SLOT] & PTE_P))
        return -XEN_EINVAL;
    for (unsigned i = PAE_L3_ENTRIES; i < PT_ENTRIES; i++)
        t[i] = 0;
    return 0;
}

/* Slot 3 of a PAE L3: an L2 that carries the hypervisor slots. */
static int get_pae_xen_l2(pte_t e)
{
    if (e & PAE_L3_DISALLOW)
        return -XEN_EINVAL;
    mfn_t l2 = pte_mfn(e);
    if (!get_page(l2))
        return -XEN_EINVAL;
    int rc = get_page_type_pae_xen_l2(l2);
    if (rc)
        put_page(l2);
    return rc;
}

static void install_pae_xen_slots(pte_t *l2)
{
    for (unsigned s = 0; s < PAE_XEN_L2_SLOTS; s++)
        l2[PAE_FIRST_XEN_L2_SLOT + s] = pv_mm.compat_l2_slots[s];
}

static void install_hyp_slots(pte_t *l4)
{
    for (unsigned s = 0; s < HYP_L4_SLOTS; s++)
        l4[HYPERVISOR_FIRST_L4_SLOT + s] = pv_mm.hyp_slots[s];
    /* The RO M2P starts out hidden unless the guest asked for m2p_strict. */
    if (!vm_assist(VMASST_TYPE_m2p_strict))
        l4[L4_RO_M2P_SLOT] = 0;
}

/*
 * The slots of a table that are not the guest's (is_guest_slot, worked out
 * once per table): [*lo, *hi), lo == hi == PT_ENTRIES when every slot is.
 */
static void hyp_slot_range(mfn_t table, unsigned level, unsigned *lo, unsigned *hi)
{
    *lo = *hi = PT_ENTRIES;
    if (!pv_mm.pae) {
        if (level == 4) {
            *lo = HYPERVISOR_FIRST_L4_SLOT;
            *hi = HYPERVISOR_LAST_L4_SLOT + 1;
        }
    } else if (level == 3) {
        *lo = PAE_L3_ENTRIES;
    } else if (level == 2 && is_pae_xen_l2(table)) {
        *lo = PAE_FIRST_XEN_L2_SLOT;
    }
}

/*
 * Most entries of a table are empty, and the present ones come in runs: a
 * group of SUMMARY_GROUP entries is ORed and tested once (through a
 * pointer, so each entry is one OR from memory), and only a group with a
 * present entry is read entry by entry, in the caller's own loop. Only the
 * P bit is read, which nothing but pvshim changes in a table (the CPUs'
 * walkers set A/D).
 */
static inline bool group_has_present(const pte_t *p)
{
    pte_t any = 0;
#pragma GCC unroll 16
    for (unsigned k = 0; k < SUMMARY_GROUP; k++)
        any |= p[k];
    return any & PTE_P;
}

/* ---------------------------------------------------------- summaries */

#define SUMMARY_GROUPS  (PT_ENTRIES / SUMMARY_GROUP)
#define ALL_GROUPS      ((uint32_t)((1ull << SUMMARY_GROUPS) - 1))
STATIC_ASSERT(SUMMARY_GROUPS <= 32, "a summary's groups fit its word");

/* Table mfn has just been validated, its present guest entries in `groups`. */
static void summary_set(mfn_t mfn, uint32_t groups)
{
    pv_mm.summary[mfn % SUMMARY_SLOTS] = (struct table_summary){ mfn + 1, groups };
}

/* Table mfn is being devalidated: the groups that may hold present guest
 * entries (every group without a summary); its slot is freed. */
static uint32_t summary_take(mfn_t mfn)
{
    struct table_summary *s = &pv_mm.summary[mfn % SUMMARY_SLOTS];
    if (s->key != mfn + 1)
        return ALL_GROUPS;
    s->key = 0;
    return s->groups;
}

bool pv_mm_table_summary(mfn_t mfn, uint32_t *groups)
{
    const struct table_summary *s = &pv_mm.summary[mfn % SUMMARY_SLOTS];
    if (s->key != mfn + 1)
        return false;
    *groups = s->groups;
    return true;
}

/*
 * An L1 of a 64-bit or PAE guest: every slot is the guest's. On failure,
 * the entries before the failing one are released again.
 */
static int validate_l1(mfn_t mfn, pte_t *t)
{
    uint32_t groups = 0;
    for (unsigned g = 0; g < SUMMARY_GROUPS; g++) {
        if (!group_has_present(&t[g * SUMMARY_GROUP]))
            continue;
        groups |= 1u << g;
        for (unsigned i = g * SUMMARY_GROUP; i < (g + 1) * SUMMARY_GROUP; i++) {
            pte_t e = t[i];
            if (!(e & PTE_P))
                continue;
            int rc = l1e_get_refs(e, PG_OWNER_SELF);
            if (rc) {
                log_debug("pv-mm: L1 %#llx slot %u: %d\n", (unsigned long long)mfn, i, rc);
                bool dropped = false;
                while (i-- > 0)
                    dropped |= put_l1e_refs(t[i]);
                if (dropped)
                    mm_mark_stale();
                return rc;
            }
            t[i] = adjust_guest_l1e(e);
        }
    }
    summary_set(mfn, groups);
    return 0;
}

int validate_table(mfn_t mfn, unsigned level)
{
    pte_t *t = frame_map(mfn);
    if (!t)
        return -XEN_EINVAL;
    const bool pae_l3 = pv_mm.pae && level == 3;
    if (level > rules()->root_level)
        return -XEN_EINVAL;
    if (level == 1)
        return validate_l1(mfn, t);
    if (pae_l3) {
        int rc = pae_l3_precheck(mfn, t);
        if (rc)
            return rc;
    }
    unsigned lo, hi;
    uint32_t groups = 0;
    hyp_slot_range(mfn, level, &lo, &hi);
    for (unsigned g = 0; g < SUMMARY_GROUPS; g++) {
        const unsigned first = g * SUMMARY_GROUP, end = first + SUMMARY_GROUP;
        /* A group wholly of hypervisor slots, or with nothing present. */
        if ((first >= lo && end <= hi) || !group_has_present(&t[first]))
            continue;
        for (unsigned i = first; i < end; i++) {
            pte_t e = t[i];
            if (!(e & PTE_P) || (i >= lo && i < hi))
                continue;
            /* Invariant: i is a guest slot (outside [lo, hi)) and e is present. */
            int rc = pae_l3 && i == COMPAT_L3_XEN_SLOT
                         ? get_pae_xen_l2(e)
                         : get_page_from_pde(e, mfn, level);
            if (rc) {
                log_debug("pv-mm: L%u %#llx slot %u: %d\n", level,
                          (unsigned long long)mfn, i, rc);
                while (i-- > 0)
                    if (i < lo || i >= hi)
                        put_page_from_pde(t[i], mfn, level);
                return rc;
            }
            t[i] = adjust_guest_entry(e, level);
            groups |= 1u << g;
        }
    }
    if (level == 4)
        install_hyp_slots(t);
    if (pv_mm.pae && level == 2 && is_pae_xen_l2(mfn))
        install_pae_xen_slots(t);
    summary_set(mfn, groups);
    return 0;
}

/*
 * Every reference the table's entries hold, dropped. The TLBs are marked
 * stale by the caller (put_page_type, right after), once for the table.
 * With a summary only its groups are read (an empty entry holds nothing);
 * without one, every group is tested first.
 */
void devalidate_table(mfn_t mfn, unsigned level)
{
    uint32_t groups = summary_take(mfn);
    const bool tested = groups != ALL_GROUPS;
    pte_t *t = frame_map(mfn);
    if (!t)
        return;
    unsigned lo = PT_ENTRIES, hi = PT_ENTRIES;
    if (level != 1)
        hyp_slot_range(mfn, level, &lo, &hi);
    while (groups) {
        unsigned g = (unsigned)__builtin_ctz(groups);
        groups &= groups - 1;
        const unsigned first = g * SUMMARY_GROUP, end = first + SUMMARY_GROUP;
        if ((first >= lo && end <= hi) || (!tested && !group_has_present(&t[first])))
            continue;
        for (unsigned i = first; i < end; i++) {
            pte_t e = t[i];
            if (!(e & PTE_P) || (i >= lo && i < hi))
                continue;
            if (level == 1)
                put_l1e_refs(e);
            else
                put_page_from_pde(e, mfn, level);
        }
    }
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

/*
 * While pvshim writes an entry (under the PV lock), the page walkers of the
 * CPUs running other vCPUs may set A and D in it; nothing else changes it
 * (every other write comes through here). With preserve_ad the bits set
 * since `old` was read are kept too: a compare-exchange, retried with them.
 */
void live_entry_write(mfn_t mfn, pte_t *t, unsigned idx, pte_t old, pte_t val, bool preserve_ad)
{
    pte_t *p = &t[idx];
    if (val & PTE_P)
        table_entry_present(mfn, idx);
    if (!preserve_ad) {
        __atomic_store_n(p, val, __ATOMIC_RELAXED);
        return;
    }
    pte_t seen = old;
    while (!__atomic_compare_exchange_n(p, &seen, val | (seen & (PTE_A | PTE_D)), false,
                                        __ATOMIC_RELAXED, __ATOMIC_RELAXED))
        ;
}

int mod_entry(mfn_t table, unsigned level, unsigned idx, pte_t val,
              bool preserve_ad, enum pg_owner owner)
{
    pte_t *t = frame_map(table);
    if (!t || level < 1 || level > 4 || idx >= PT_ENTRIES)
        return -XEN_EINVAL;
    if (!is_guest_slot(table, level, idx) || level > rules()->root_level)
        return -XEN_EINVAL;         /* a hypervisor slot, or a level the mode has not */
    /* A PAE L3's slot 3 is fixed for the table's life. */
    if (pv_mm.pae && level == 3 && idx >= COMPAT_L3_XEN_SLOT)
        return -XEN_EINVAL;

    pte_t old = t[idx];
    if (val & PTE_P) {
        if (val & (level == 1 ? l1_disallow_mask() : pde_disallow_mask(level)))
            return -XEN_EINVAL;
        val = adjust_guest_entry(val, level);
        /* Same frame, same rights: the references already held still fit. */
        if (!((old ^ val) & (level == 1 ? L1_RECHECK : PDE_RECHECK))) {
            live_entry_write(table, t, idx, old, val, preserve_ad);
            return 0;
        }
        int rc = get_page_from_entry(val, table, level, owner);
        if (rc)
            return rc;
    }
    live_entry_write(table, t, idx, old, val, preserve_ad);
    put_page_from_entry(old, table, level);
    return 0;
}
