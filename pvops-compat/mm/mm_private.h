/*
 * Internals shared by the PV MMU files: the frame table, reference and
 * type counting, entry validation. Nothing outside pvops-compat/mm/ uses
 * this; the public API is ../mm.h.
 */
#ifndef PVSHIM_PV_MM_PRIVATE_H
#define PVSHIM_PV_MM_PRIVATE_H

#include <pvshim/types.h>
#include <pvshim/paging.h>
#include <pvshim/phys.h>
#include <pvshim/layout.h>
#include <pvshim/xen_abi.h>
#include <pvshim/xen_abi32.h>
#include "mm.h"
#include "hypercalls.h"
#include "domain.h"

/*
 * Concurrency (several vCPUs on their own CPUs): every frame's state, every
 * table entry pvshim writes and every vCPU's base pointers, GDT and LDT
 * frames change only under the PV lock (pvops-compat/domain.c), one
 * hypercall, ptwr fault or VCPUOP at a time, so each type and reference
 * count change is atomic for the guest. Guest vCPUs keep running meanwhile
 * but cannot write a table except by trapping here: no CPU maps a table
 * writable, because a frame becomes a table only at type count 0 (no
 * writable mapping left) and after every CPU that could cache one has been
 * flushed (get_page_type). Their page walkers' A/D updates are the only
 * concurrent writes to table entries (live_entry_write in page_tables.c).
 */
/* One frame's state in 8 bytes. */
struct pv_frame {
    uint32_t refs;          /* general references */
    uint32_t info;          /* type count | flags | owner | type */
};

#define FI_COUNT_MASK       0x003fffffu     /* type count */
/*
 * Given back by the guest (decrease_reservation) while still referenced
 * (Xen: PGC_allocated cleared). Invariant: a released frame's refs count
 * only its mappings, pins and holds (no ownership reference), it is never
 * freed while refs > 0, and the put that takes refs to 0 frees it
 * (pv_mm_frame_freed): no frame still mapped or typed is ever reused.
 */
#define FI_RELEASED         (1u << 22)
/* PAE guests: an L2 in slot 3 of an L3, holding the hypervisor's slots
 * (Xen's PGT_pae_xen_l2); such an L2 has exactly one type reference. */
#define FI_PAE_XEN_L2       (1u << 23)
#define FI_VALIDATED        (1u << 24)
#define FI_PINNED           (1u << 25)
#define FI_OWNER_SHIFT      26
#define FI_OWNER_MASK       (3u << FI_OWNER_SHIFT)
#define FI_TYPE_SHIFT       28
#define FI_TYPE_MASK        (7u << FI_TYPE_SHIFT)
#define FI_SHARED           (1u << 31)

#define HYP_L4_SLOTS        16
#define PAE_FIRST_XEN_L2_SLOT COMPAT_L2_FIRST_XEN_SLOT
#define PAE_XEN_L2_SLOTS    (PT_ENTRIES - PAE_FIRST_XEN_L2_SLOT)
#define PAE_L3_ENTRIES      4
#define LDT_PAGES           16

/* Xen's software PTE bit marking guest-kernel mappings (bit 52). */
#define PTE_GUEST_KERNEL    (1ull << 52)
/* Xen's _PAGE_GNTTAB (flag bit 22 = PTE bit 62): reserved in guest L1s. */
#define PTE_GNTTAB          (1ull << 62)
/* The PAT bit of an L1 entry shares bit 7 with PS. */
#define PTE_PAT             PTE_PS
#define PTE_CACHE_ATTRS     (PTE_PWT | PTE_PCD | PTE_PAT)

/* MFN Xen treats as "no frame" in the I/O path (PADDR_MASK >> PAGE_SHIFT). */
#define MFN_PADDR_MASK      0xffffffffffull


/* Page-fault error code bits. */
#define PFEC_PRESENT        (1u << 0)
#define PFEC_WRITE          (1u << 1)
#define PFEC_USER           (1u << 2)
#define PFEC_RSVD           (1u << 3)
#define PFEC_INSN           (1u << 4)

/*
 * Linear (recursive) page tables, Xen's pv-linear-pt (on by default in
 * 4.17) with the limits of XSA-240. An entry of a level-N table (N = 2..4)
 * may name a level-N table instead of a level-(N-1) one when:
 *  - it is read-only (RW clear): every mapping reached through it is then
 *    read-only, so the guest still never gets write access to a table;
 *  - it names the containing table itself (a self map: it holds no
 *    reference and is never counted), or another table of the guest that
 *    is live (validated) at level N;
 *  - there is no nesting: linear[mfn] > 0 counts the linear entries table
 *    mfn holds towards other tables, linear[mfn] < 0 counts the linear
 *    entries naming table mfn, and a frame is never both. A table with
 *    linear entries can't be named linearly and a linearly named one
 *    can't gain linear entries, so a linear chain is one step long and the
 *    recursion of a table's last put (devalidating what it names) stays
 *    bounded: at most one level more than the four of the tree.
 * A linear entry to another table holds one general and one type reference
 * on it like any other entry. Whether a present entry is linear is read
 * from its target's type: equal to the containing table's level (that
 * type can't change while the entry holds its type reference).
 * Invariants (checked by the unit tests' simulated machine after every
 * step): linear[t] equals the number of present non-self entries of t
 * naming a table of t's own level, minus the number of such entries of
 * other tables naming t; every frame whose type count is 0 has linear 0.
 * The counts live in a table of their own (linear_count.c), not per frame:
 * at most LINEAR_MAX_FRAMES frames have one at a time, and a linear entry
 * that would need one more is refused (-EINVAL, as for a full count).
 */
#define LINEAR_SLOTS        1024
#define LINEAR_MAX_FRAMES   768     /* 3/4 of the slots: short probe runs */
#define DROP_STAMP_SLOTS    2048    /* pv_mm.drop_stamp: a power of two */

/*
 * Table summaries (page_tables.c): for a few live tables, which groups of
 * SUMMARY_GROUP entries may hold a present guest entry, so that the table's
 * devalidation reads only those groups. A slot (the frame number modulo
 * SUMMARY_SLOTS) is written by a table's validation (either width) and
 * cleared by its devalidation; a table whose slot another table took is
 * devalidated by reading every entry. Invariant (under the PV lock): a slot
 * names a frame only while that frame is validated as a table, and every
 * present guest entry of it has its group's bit set: every write of an
 * entry of a live table goes through live_entry_write.
 */
#define SUMMARY_SLOTS       256
#define SUMMARY_GROUP       16

struct table_summary {
    mfn_t key;              /* the table's frame + 1; 0: empty */
    uint32_t groups;        /* bit g: entries g * SUMMARY_GROUP .. + SUMMARY_GROUP - 1 */
};

struct pv_mm_state {
    struct pv_frame *frames;
    uint64_t nr_frames;
    uint64_t linear[LINEAR_SLOTS];  /* linear_count.c */
    unsigned linear_frames;         /* slots in use */
    struct table_summary summary[SUMMARY_SLOTS];   /* page_tables.c */
    uint64_t *m2p;
    pte_t hyp_slots[HYP_L4_SLOTS];
    /*
     * The vCPUs (bit n: vCPU n, on CPU n) whose TLB may still name a frame
     * whose reference has been dropped since that CPU's last full flush.
     * Every such drop sets the bits of every vCPU that has run; a full
     * flush of a CPU (a CR3 load) clears its bit; a frame changing type or
     * leaving the guest while any is set forces mm_flush_tlb() first.
     */
    uint64_t stale_tlb;
    /*
     * Type-drop stamps (Xen's TLB-flush clock, per slot rather than per
     * frame): flush_clock counts the falls of a frame's type count to 0;
     * drop_stamp[mfn % DROP_STAMP_SLOTS] is the clock after the latest fall
     * of any frame of that slot (so never older than the frame's own);
     * flushed_at[v] is the clock read before vCPU v's last full flush.
     * Stamps are taken under the PV lock, after the entries the fall
     * follows were written, so a clock read by a lock holder is current.
     * Invariant: a vCPU with flushed_at >= a frame's slot stamp caches no
     * translation through a writable mapping of it, or through it as a
     * table, that the MMU has dropped: its type may change without
     * flushing that vCPU (mm_flush_before_retype).
     */
    uint64_t flush_clock;
    uint64_t flushed_at[PV_MAX_VCPUS];
    uint64_t drop_stamp[DROP_STAMP_SLOTS];
    /*
     * Per vCPU (index: vcpu_id): the LDT frames that vCPU's CPU maps in its
     * LDT window, each holding a seg-desc type reference. Only that vCPU
     * maps or drops them (its own faults, set_ldt, new base pointer, reset),
     * so a frame stays a descriptor page while any CPU's window names it:
     * another vCPU changing its own LDT or tables never drops them.
     */
    mfn_t ldt_frames[PV_MAX_VCPUS][LDT_PAGES];
    /* Invariant: ldt_held[v] is the number of ldt_frames[v] not INVALID_MFN. */
    uint8_t ldt_held[PV_MAX_VCPUS];
    bool ready;
    /*
     * The guest's paging mode (pv_mm_set_pae): 4-level for a 64-bit
     * guest, or PAE for a 32-bit one, with the hypervisor's entries of the
     * top L2 (slots COMPAT_L2_FIRST_XEN_SLOT-511: the compat M2P).
     */
    bool pae;
    pte_t compat_l2_slots[PAE_XEN_L2_SLOTS];
    /*
     * PAE: the L4 the CPU walks (pvshim's, as Xen's per-vCPU compat L4):
     * slot 0 names the guest's current L3, slots 256-271 are pvshim's
     * (without the 64-bit RO M2P), nothing else. One per vCPU (slot 0
     * differs with each vCPU's CR3); INVALID_MFN for a vCPU without one.
     */
    mfn_t pae_l4[PV_MAX_VCPUS];
    uint32_t *compat_m2p;   /* PAE: the 4-byte M2P the guest reads, nr_frames entries */
};

extern struct pv_mm_state pv_mm;

/* Who a mapping request maps on behalf of (mmu_update's foreigndom). */
enum pg_owner { PG_OWNER_SELF, PG_OWNER_IO };

/* ---- linear counts (linear_count.c): 0 for a frame without one */
int16_t linear_count(mfn_t mfn);
/* Room for new_frames more frames with a count. */
bool linear_room(unsigned new_frames);
void linear_set(mfn_t mfn, int16_t count);

/* ---- frame table (frame_table.c) */
/* A frame's state; NULL before set-up or past the last frame. Inline: every
 * reference and type change looks its frame up (several per PTE). */
static inline struct pv_frame *frame_of(mfn_t mfn)
{
    if (!pv_mm.ready || mfn >= pv_mm.nr_frames)
        return NULL;
    return &pv_mm.frames[mfn];
}
static inline unsigned frame_owner(const struct pv_frame *f)
{
    return (f->info & FI_OWNER_MASK) >> FI_OWNER_SHIFT;
}
static inline unsigned frame_type(const struct pv_frame *f)
{
    return (f->info & FI_TYPE_MASK) >> FI_TYPE_SHIFT;
}
static inline uint32_t frame_type_count(const struct pv_frame *f)
{
    return f->info & FI_COUNT_MASK;
}
/* Type count non-zero and contents checked: the frame is live as its type. */
static inline bool frame_in_use_as(const struct pv_frame *f, unsigned type)
{
    return frame_type(f) == type && frame_type_count(f) &&
           (f->info & FI_VALIDATED);
}

/* An M2P entry, in the compat M2P too for a PAE guest (~0: invalid). */
void mm_write_m2p(mfn_t mfn, uint64_t pfn);
/*
 * A general reference on a guest frame; false if not the guest's, not
 * allocated (refs 0) or full. Inline: several per PTE validated or dropped.
 */
static inline bool get_page(mfn_t mfn)
{
    struct pv_frame *f = frame_of(mfn);
    if (!f || frame_owner(f) != PV_OWNER_GUEST || f->refs == 0 ||
        f->refs >= UINT32_MAX - 1)
        return false;
    f->refs++;
    return true;
}
/* put_page's rare cases: an underflow, or the last reference of a released frame. */
void put_page_slow(mfn_t mfn);
static inline void put_page(mfn_t mfn)
{
    struct pv_frame *f = frame_of(mfn);
    /* Not the last reference, nor the ownership one: nothing else happens. */
    if (f && f->refs > 1 && !(f->info & FI_RELEASED)) {
        f->refs--;
        return;
    }
    put_page_slow(mfn);
}
/* A type reference (validating on a 0 -> 1 change of type); 0 or -XEN_E*. */
int get_page_type_slow(mfn_t mfn, unsigned type);
/*
 * Inline: the frame already has this type, validated (a live table, or a
 * writable or seg-desc frame, which stay validated at count 0), and room in
 * its count: only the count changes. A table at count 0 is never validated
 * and a PAE Xen L2 takes no second reference, so everything else (a type
 * change, a validation, a refusal) is the slow path's.
 */
static inline int get_page_type(mfn_t mfn, unsigned type)
{
    struct pv_frame *f = frame_of(mfn);
    const uint32_t want = ((uint32_t)type << FI_TYPE_SHIFT) | FI_VALIDATED;
    if (f && type > PV_TYPE_NONE && type <= PV_TYPE_WRITABLE &&
        (f->info & (FI_TYPE_MASK | FI_VALIDATED | FI_PAE_XEN_L2)) == want &&
        frame_type_count(f) != FI_COUNT_MASK) {
        f->info++;
        return 0;
    }
    return get_page_type_slow(mfn, type);
}
void put_page_type_slow(mfn_t mfn);
/* Inline: not the last type reference, so nothing but the count changes. */
static inline void put_page_type(mfn_t mfn)
{
    struct pv_frame *f = frame_of(mfn);
    if (f && frame_type_count(f) > 1) {
        f->info--;
        return;
    }
    put_page_type_slow(mfn);
}
/* Drop a type reference that is a linear entry of table ptpg (counts too). */
void put_linear_page_type(mfn_t mfn, mfn_t ptpg);
/* PAE: the type reference an L3's slot 3 takes on its L2 (count 0 -> 1 only). */
int get_page_type_pae_xen_l2(mfn_t mfn);
/* Both; -XEN_EINVAL if the frame is not the guest's. */
static inline int get_page_and_type(mfn_t mfn, unsigned type)
{
    if (!get_page(mfn))
        return -XEN_EINVAL;
    int rc = get_page_type(mfn, type);
    if (rc)
        put_page(mfn);
    return rc;
}
static inline void put_page_and_type(mfn_t mfn)
{
    put_page_type(mfn);
    put_page(mfn);
}

/* Flush the guest TLB now / record that a flush happened. */
/*
 * TLB flushes. Invariant (under the PV lock): no CPU outside
 * pv_mm.stale_tlb holds a translation through an entry or reference the MMU
 * has dropped, but one between pv_mm_cr3_loading and its CR3 load, which
 * touches no guest memory there; anything that relies on that (a type
 * change, a frame leaving the guest) calls mm_flush_tlb() first when any
 * bit is set.
 * mm_stale_tlb: the mask (an atomic read).
 * mm_mark_stale: a reference was dropped (every vCPU that has run may hold it).
 * mm_flush_tlb: this CPU, and the other CPUs in the mask; clears it.
 * mm_tlb_flushed: this CPU's TLB was just flushed in full (a CR3 load).
 * mm_flush_tlb_vcpus / mm_invlpg_vcpus: the guest's requests, for the vCPUs
 * in a mask (bit n: vCPU n), done on every CPU named before they return.
 */
void mm_mark_stale(void);
uint64_t mm_stale_tlb(void);
void mm_flush_tlb(void);
void mm_tlb_flushed(void);
/*
 * mm_stamp_type_drop: mfn's type count just fell to 0 (put_page_type).
 * mm_flush_before_retype: mfn is about to change type: the stale vCPUs not
 * flushed since its stamp are flushed (and only those), done on return.
 */
void mm_stamp_type_drop(mfn_t mfn);
void mm_flush_before_retype(mfn_t mfn);

/* Every vCPU of the domain, as a mask. */
static inline uint64_t mm_all_vcpus(void)
{
    return dom.nr_vcpus >= 64 ? ~0ull : (1ull << dom.nr_vcpus) - 1;
}

void mm_flush_tlb_vcpus(uint64_t vcpus);
void mm_invlpg_vcpus(uint64_t vcpus, vaddr_t va);

/* The frame's contents (a table), or NULL if machine memory is out of reach. */
static inline pte_t *frame_map(mfn_t mfn)
{
    if (mfn >= pv_mm.nr_frames)
        return NULL;
    return phys_access_frame(mfn);
}

/* ---- page tables (page_tables.c) */
int validate_table(mfn_t mfn, unsigned level);
/* Drops what the entries hold; the caller then marks the TLBs stale (once). */
void devalidate_table(mfn_t mfn, unsigned level);
/* Entry idx of live table mfn is becoming present (see struct table_summary). */
static inline void table_entry_present(mfn_t mfn, unsigned idx)
{
    struct table_summary *s = &pv_mm.summary[mfn % SUMMARY_SLOTS];
    if (s->key == mfn + 1)
        s->groups |= 1u << (idx / SUMMARY_GROUP);
}
/*
 * The one store of entry idx of live table mfn (mapped at t; it held old):
 * a present val marks the table's summary first, then is written;
 * preserve_ad keeps the A/D bits the page walkers set since old was read.
 */
void live_entry_write(mfn_t mfn, pte_t *t, unsigned idx, pte_t old, pte_t val, bool preserve_ad);
int get_page_from_l1e(pte_t e, enum pg_owner owner);
void put_page_from_l1e(pte_t e);
pte_t adjust_guest_l1e(pte_t e);
pte_t l1_disallow_mask(void);
/* Update entry idx of a live table of this level; Xen's mod_lN_entry. */
int mod_entry(mfn_t table, unsigned level, unsigned idx, pte_t val,
              bool preserve_ad, enum pg_owner owner);
bool is_guest_l4_slot(unsigned idx);
/* Slot 256 (the RO M2P) of an L4: install if empty / clear. */
void l4_fill_ro_m2p(mfn_t l4);
void l4_zap_ro_m2p(mfn_t l4);

static inline mfn_t pte_mfn(pte_t e)
{
    return (e & PTE_ADDR_MASK) >> PAGE_SHIFT;
}

/* ---- base pointers, walks (base_tables.c, walk.c) */
int mm_new_baseptr(mfn_t mfn, bool load_cr3);
bool mm_find_l1(vaddr_t va, mfn_t *l1);
/*
 * The present L1 entry that maps va in the tables the CPU uses now: what
 * pv_mm_walk(va, current->kernel_mode, ...) reads as entry[1] when it
 * succeeds, without recording the walk. false if the walk stops earlier.
 */
bool mm_find_l1e(vaddr_t va, pte_t *l1e);

/* A guest vCPU bitmap (bit n: vCPU n; bits past the last vCPU ignored).
 * 0 or -XEN_EFAULT. */
int mm_read_vcpumask(vaddr_t ptr, uint64_t *vcpus);

/* ---- descriptor tables (descriptor_tables.c) */
int validate_segdesc_page(mfn_t mfn);
int mm_set_ldt(vaddr_t base, unsigned ents);
/* Drop the LDT frames held (the LDT itself stays set); true if there were any. */
bool mm_drop_ldt_frames(void);
/* Tell the arch layer the LDT changed (its window mappings are dropped). */
void mm_load_ldt(void);

/* Guest address checks (guest_addr_ok, is_canonical): domain.h. */

static inline bool vm_assist(unsigned type)
{
    return type < 64 && (dom.vm_assist >> type) & 1;
}

#endif
