/*
 * The PV MMU: who owns each machine frame, what each guest frame is used
 * as (page table of a level, descriptor table, writable data), and the
 * checks that keep it that way. The hypercalls (do_mmu_update,
 * do_mmuext_op, do_update_va_mapping, do_set_gdt, do_update_descriptor)
 * are declared in hypercalls.h; this is the API for the rest of pvshim.
 *
 * The isolation rule it enforces: no guest mapping ever makes a page-table
 * frame, a descriptor-table frame or a frame the guest does not own
 * writable, and a guest entry only ever references frames the guest owns.
 * Linear (recursive) page tables are allowed as Xen 4.17 allows them:
 * read-only, same level, not nested (mm/mm_private.h).
 * Rules and error codes follow Xen's xen/arch/x86/mm.c for a plain 64-bit
 * PV domU.
 *
 * Reference counting (mirrors Xen's page_info): each frame has a general
 * count and a type with a type count. The guest's ownership itself holds
 * one general reference. Every present entry of a validated table holds a
 * general reference on the frame it names; entries naming a table also
 * hold a type reference of the next level down (of the same level for a
 * linear entry; none for one naming its own table), and writable L1 entries a
 * "writable" type reference. Pins, base pointers, GDT frames and mapped
 * LDT frames each hold one general and one type reference. A frame's type
 * can change only while its type count is zero.
 *
 * TLB contract with the arch layer: hw_flush_tlb() and hw_load_cr3() must
 * drop every TLB and paging-structure-cache entry the guest could use
 * (the MMU strips the Global bit from guest L1 entries, so no guest entry
 * is global), and hw_invlpg() the entries for one address.
 * hw_set_guest_gdt() and hw_set_guest_ldt() must drop pvshim's own
 * mappings of frames they no longer use before returning.
 *
 * mm_glue.h holds the part of this API the rest of pvshim was written
 * against (init, start, writable holds, ballooning); it is included here.
 */
#ifndef PVSHIM_PV_MM_H
#define PVSHIM_PV_MM_H

#include <pvshim/types.h>
#include <pvshim/paging.h>
#include <pvshim/cpu_regs.h>
#include "mm_glue.h"

struct pv_vcpu;

enum pv_owner {
    PV_OWNER_NONE  = 0,     /* free: nobody may map it */
    PV_OWNER_GUEST = 1,     /* the guest's memory */
    PV_OWNER_SHIM  = 2,     /* pvshim's own (image, heap, frame table, M2P...) */
    PV_OWNER_IO    = 3,     /* not RAM (MMIO, holes): a domU may not map it */
};

enum pv_page_type {
    PV_TYPE_NONE     = 0,
    PV_TYPE_L1       = 1,
    PV_TYPE_L2       = 2,
    PV_TYPE_L3       = 3,
    PV_TYPE_L4       = 4,
    PV_TYPE_SEG_DESC = 5,   /* GDT or LDT frame */
    PV_TYPE_WRITABLE = 6,   /* mapped (or held) writable */
};

struct pv_frame_info {
    enum pv_owner owner;
    enum pv_page_type type;
    uint32_t type_count;
    uint32_t refs;          /* general references, the ownership's one included */
    bool validated;         /* contents checked for the type (tables, seg-desc) */
    bool pinned;
    bool shared;            /* pvshim-shared page (shared_info): always writable */
    int linear;             /* > 0: linear entries it holds; < 0: naming it (tables) */
    bool pae_xen_l2;        /* PAE: the L2 in slot 3 of an L3 (hypervisor slots) */
    bool released;          /* given back, freed at its last put (refs: no ownership one) */
};

/* ---- set-up (boot, domain builder): see also mm_glue.h
 *
 * pv_mm_frame_table_bytes(n): 8 bytes per frame; 0 if n is 0 or beyond
 * the 2^40 frames a PTE can name.
 * pv_mm_init(table, n, m2p, slots): frames [0, n) tracked, every one free
 * (PV_OWNER_NONE, untyped); frames from n up count as I/O space. The M2P
 * (n 8-byte entries, pvshim-writable) is left as it is; the 16 hypervisor
 * L4 slot entries (256..271) are copied, so pvshim's top-level entries
 * must not change afterwards. Bad arguments leave the MMU refusing
 * everything (logged).
 * pv_mm_assign_frame(mfn): a free frame becomes the guest's (the builder,
 * populate_physmap, grant frames); logged and ignored if not free.
 * pv_mm_release_frame(mfn): decrease_reservation, as Xen 4.17's
 * guest_remove_page. The M2P entry becomes INVALID and the guest's
 * ownership reference goes. 0: nothing else held it, it is free now (the
 * caller scrubs it before reuse). PV_MM_RELEASE_DEFERRED: it is still
 * mapped, pinned, typed or held (or was given back before); it stays as
 * it is (no implicit unpin) and its last put frees it through
 * pv_mm_frame_freed. -XEN_EINVAL if it is not an ordinary guest frame.
 * pv_mm_start_guest(l4): pin the builder's L4 tree and make it the kernel
 * base (the first base-pointer operation); then hold writable the frames
 * pvshim's own backends write while the guest runs (shared_info, console
 * and xenstore rings, where the guest owns them), so they can never
 * become tables. 0 or the validation error.
 * pv_mm_get_writable_frame(mfn) / pv_mm_put_writable_frame(mfn): hold a
 * guest frame writable while pvshim writes it (vcpu_info, rings): it can
 * then never become a table or descriptor page. 0, -XEN_EINVAL (not the
 * guest's) or the error of the type change.
 * None of these touch dom.tot_pages: its owners count it.
 */

/*
 * Give free frames [first, first + n) to an owner: PV_OWNER_SHIM and
 * PV_OWNER_IO make the error a guest gets for mapping them Xen's exact one
 * (-EBUSY, -EPERM); free frames are refused either way. All or nothing:
 * -XEN_EINVAL if any frame is out of range or not free.
 */
int pv_mm_assign(mfn_t first, uint64_t n, enum pv_owner owner);

/*
 * pv_mm_assign() for frames the caller knows are free, without reading
 * them: the boot's millions, each handed out once by the frame pool after
 * the frame table was set up zeroed. The same words as pv_mm_assign() when
 * that holds; -XEN_EINVAL only for a bad owner or range.
 */
int pv_mm_assign_free(mfn_t first, uint64_t n, enum pv_owner owner);

/*
 * A free frame becomes a guest frame that is permanently writable and can
 * never be a table or be released (a page pvshim shares with the guest).
 */
int pv_mm_share_with_guest(mfn_t mfn);

/* The M2P entry of a frame (domain builder, populate_physmap). */
bool pv_mm_set_m2p(mfn_t mfn, uint64_t pfn);

/* ---- tables and base pointers */

/*
 * The paging mode, once, before any table exists: a 32-bit guest's PAE
 * (true, with the COMPAT_L2_XEN_SLOTS entries its top L2s carry) or 4
 * levels (false, the default after pv_mm_init). The rules differ as in
 * Xen's compat MM: PAE L1 and L2 entries keep their US bit as the guest
 * wrote it (its kernel runs in ring 1); an L3 has 4 entries (the rest of
 * its page is zeroed), may not use PWT, PCD, PS, G, NX or bits 52-62,
 * gets US and RW added, must have slot 3 present, never changes slot 3,
 * sits below 4 GiB unless VMASST pae_extended_cr3 is on, and has no linear
 * entries; its slot-3 L2 is not shared with any other use and its slots
 * 428-511 are the hypervisor's. There is no L4 to pin. The base pointer
 * (MMUEXT_NEW_BASEPTR) is an L3, which pvshim puts in slot 0 of root_l4,
 * a zeroed frame of its own: pv_mm_base_maddr() then gives root_l4; there
 * are no separate user tables (MMUEXT_NEW_USER_BASEPTR: -EINVAL).
 * compat_m2p (pv_mm_init's frame count of 4-byte entries) is kept with the
 * M2P from then on (MMU_MACHPHYS_UPDATE, releases, pv_mm_set_m2p).
 */
void pv_mm_set_pae(bool pae, const uint64_t *compat_l2_slots, mfn_t root_l4,
                   uint32_t *compat_m2p);

/*
 * PAE with several vCPUs: root_l4 (root_l4 of pv_mm_set_pae is vCPU 0's)
 * becomes vCPU vcpu_id's own, a copy of vCPU 0's without its slot 0 (each
 * vCPU's slot 0 names its own L3, as Xen's per-vCPU compat L4). Before
 * that vCPU gets a base pointer (VCPUOP_initialise: -EINVAL without one).
 */
void pv_mm_set_vcpu_root(unsigned vcpu_id, mfn_t root_l4);

/* MMUEXT_PIN_L<level>_TABLE for a guest frame (level 1-4), Xen's errors. */
int pv_mm_pin(mfn_t mfn, unsigned level);
/* MMUEXT_UNPIN_TABLE. */
int pv_mm_unpin(mfn_t mfn);

/*
 * MMUEXT_NEW_BASEPTR / MMUEXT_NEW_USER_BASEPTR bookkeeping: validate the
 * L4 (type L4, hypervisor slots installed), hold it in current->guest_table
 * (guest_table_user; mfn 0 there means none), drop the old one. These do
 * not touch CR3: the hypercalls load it, other callers load
 * pv_mm_base_maddr() themselves.
 */
int pv_mm_set_kernel_base(mfn_t l4);

/*
 * VCPUOP_initialise: give vCPU v (not running, no base pointers yet) its
 * kernel L4 and, unless 0, its user L4, each holding a general and a type
 * reference as a base pointer does. PAE: kernel is the L3 (user must be
 * 0), put in slot 0 of v's own L4 (pv_mm_set_vcpu_root). Nothing is
 * loaded into any CPU.
 */
int pv_mm_vcpu_set_bases(struct pv_vcpu *v, mfn_t kernel, mfn_t user);

/* v's GDT: entries descriptors in frames (references taken, v's old ones
 * dropped); -XEN_EINVAL if a frame cannot be a descriptor page. Not loaded. */
int pv_mm_vcpu_set_gdt(struct pv_vcpu *v, const uint64_t *frames, unsigned entries);
int pv_mm_set_user_base(mfn_t l4);

/*
 * A restored guest's start (instead of pv_mm_start_guest): its tables are
 * pinned as the save file said and its vCPUs' base pointers taken with
 * their contexts (pv_vcpu_set_context); hold the backend frames writable
 * as pv_mm_start_guest does. 0 or the error.
 */
int pv_mm_start_restored(void);

/* set_gdt with the frames given: Xen's errors. */
int pv_mm_set_gdt_frames(const uint64_t *frames, unsigned int entries);

/*
 * Machine address of the kernel (or user) L4 to load into CR3; 0 if there
 * is none (a switch to user mode without user tables is a guest error).
 */
paddr_t pv_mm_base_maddr(bool kernel);

/*
 * Drop both base pointers (domain teardown, soft reset). The caller must
 * already run on pvshim's own page tables.
 */
void pv_mm_drop_base_pointers(void);

/* ---- queries */

/* false if mfn is outside the frame table. */
bool pv_mm_frame_info(mfn_t mfn, struct pv_frame_info *out);
/* Table mfn's summary (mm_private.h, struct table_summary): true and its
 * groups if it has one. For the unit tests' invariant check. */
bool pv_mm_table_summary(mfn_t mfn, uint32_t *groups);
enum pv_page_type pv_mm_frame_type(mfn_t mfn);
bool pv_mm_guest_owns(mfn_t mfn);
/* The guest's, and held by nothing but its allocation (no mapping, pin,
 * type or grant): what Xen's steal_page takes (XENMEM_exchange). */
bool pv_mm_frame_stealable(mfn_t mfn);

/* A walk of the guest's page tables for one virtual address. */
struct pv_walk {
    pte_t entry[5];         /* entry[n]: the level-n entry read (0 if not reached) */
    mfn_t table[5];         /* table[n]: frame of the level-n table read */
    unsigned stop_level;    /* 0: translation present; n: level-n entry not present */
    bool rw, user, nx;      /* effective permissions of a present translation */
    mfn_t mfn;              /* the mapped frame, INVALID_MFN if not present */
};

/*
 * Walk the current guest's kernel (or user) tables for va, as the CPU
 * would. true if va translates. Addresses outside the guest's range
 * (non-canonical, hypervisor slots) never translate.
 */
bool pv_mm_walk(vaddr_t va, bool kernel_tables, struct pv_walk *w);

/* ---- descriptor tables */

/*
 * LDT frames are checked when they are first used, as Xen does.
 * MMUEXT_SET_LDT records current->ldt_base/ldt_ents and calls
 * hw_set_guest_ldt(ents); whenever pvshim drops the frames behind the
 * LDT (a new LDT, a new base pointer) it calls hw_set_guest_ldt() again,
 * and the arch layer first forgets its LDT window mappings.
 * The CPU must never read an LDT frame the MMU has not typed: the arch
 * layer gets the frame behind byte `offset` of the LDT from here (found
 * through the guest's kernel tables, typed seg-desc and checked, held
 * until the LDT or the tables change) and maps only that into its window,
 * on a fault in the window (pv_ldt_fault in entry.c).
 * 0, -XEN_EINVAL (beyond ldt_ents, or not a usable descriptor frame: the
 * guest gets the fault), -XEN_EFAULT (not mapped).
 */
int pv_mm_map_ldt_page(unsigned offset, mfn_t *mfn);
/* The frame mapped for LDT page i (0-15) of the calling vCPU / of vCPU
 * vcpu, INVALID_MFN if none. */
mfn_t pv_mm_ldt_frame(unsigned i);
mfn_t pv_mm_vcpu_ldt_frame(unsigned vcpu, unsigned i);
/* vCPU reset: drop the LDT frames and the LDT (hw_set_guest_ldt(0)). */
void pv_mm_destroy_ldt(void);
/* Drop the guest GDT (vCPU reset). */
void pv_mm_destroy_gdt(void);

/* ---- grant mappings (mm/grant_map.c, for grant_table.c)
 *
 * pv_mm_grant_get_frame(mfn, writable): the references a grant mapping
 * holds on the frame it maps: a general one, plus the writable type if
 * writable (so a page-table, descriptor or pvshim frame never gets it).
 * false if the frame is not the guest's or cannot be writable.
 * pv_mm_grant_put_frame drops them again (flush before the guest runs
 * if a TLB may still map the frame: pv_mm_flush_tlb).
 * pv_mm_create_grant_mapping(addr, frame, flags): Xen's
 * create_grant_pv_mapping: write a grant PTE (bit 62, no references of
 * its own) for frame into the live L1 entry at linear address addr, or at
 * machine address addr with GNTMAP_contains_pte; the old entry is
 * dropped. GNTST_okay or GNTST_general_error.
 * pv_mm_replace_grant_mapping(addr, frame, new_addr, flags): Xen's
 * replace_grant_pv_mapping: the entry at addr must still map frame with
 * the grant's P and RW bits; it becomes empty, or (new_addr != 0, not with
 * GNTMAP_contains_pte) takes the entry stolen from linear new_addr.
 * pv_mm_unshare_frame(mfn): a frame given by pv_mm_share_with_guest goes
 * back to free: -XEN_EBUSY while anything but the share holds it.
 */
bool pv_mm_grant_get_frame(mfn_t mfn, bool writable);
void pv_mm_grant_put_frame(mfn_t mfn, bool writable);
void pv_mm_flush_tlb(void);
/* The calling CPU is about to load a CR3 (a full flush of the guest's
 * translations) and touches no guest memory before it does. Needs no lock. */
void pv_mm_cr3_loading(void);
int pv_mm_create_grant_mapping(uint64_t addr, mfn_t frame, unsigned flags);
int pv_mm_replace_grant_mapping(uint64_t addr, mfn_t frame, uint64_t new_addr, unsigned flags);
int pv_mm_unshare_frame(mfn_t mfn);

/* ---- writable page tables (VMASST_TYPE_writable_pagetables) */

/*
 * A #PF from the guest: if it is a guest-kernel write to a read-only
 * mapped L1 page table, decode the faulting instruction, check the new
 * entry as an mmu_update would, apply it, update registers and flags and
 * advance regs->rip; true then. false: not such a write, or not one it can
 * handle, and the fault goes to the guest. After true with RFLAGS.TF set
 * the caller raises the single-step #DB the CPU would have.
 */
bool pv_ptwr_fault(struct cpu_regs *regs, vaddr_t cr2, uint64_t error_code);

#endif
