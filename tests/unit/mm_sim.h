/*
 * A small simulated machine for the PV MMU tests: machine frames in fake
 * physical memory, a frame table, an M2P, hypervisor L4 slots, a guest
 * buffer for hypercall arguments, recorded hardware operations, and an
 * invariant checker that recomputes every frame's counts from the live
 * tables and compares them with the MMU's.
 */
#ifndef PVSHIM_TEST_MM_SIM_H
#define PVSHIM_TEST_MM_SIM_H

#include <pvshim/types.h>
#include <pvshim/paging.h>
#include <pvshim/xen_abi.h>
#include <pvshim/memmap.h>
#include "mm.h"
#include "domain.h"
#include "hypercalls.h"
#include "fakes.h"

/*
 * Machine layout: 0-15 pvshim, 16-239 guest, 240-247 I/O, 248-255 free.
 * The memory map behind it (pv_mm_mark_io makes the I/O frames): RAM
 * 0-239, reserved 240-243, a hole 244-247, RAM 248-251, "unusable"
 * 252-255; no RAM from 256 (SIM_FRAMES) up.
 */
#define SIM_FRAMES          256
#define SIM_SHIM_FIRST      0
#define SIM_GUEST_FIRST     16
#define SIM_GUEST_END       240
#define SIM_IO_FIRST        240
#define SIM_RESERVED_FIRST  240
#define SIM_HOLE_FIRST      244
#define SIM_FREE_FIRST      248
#define SIM_UNUSABLE_FIRST  252

/* Guest virtual buffer for hypercall arguments and pdone. */
#define SIM_ARGS_VA         0x10000000ull
#define SIM_ARGS_SIZE       0x10000ull
#define SIM_PDONE_VA        (SIM_ARGS_VA + SIM_ARGS_SIZE - 8)

#define SIM_M2P_SLOT        0x00000000ff000000ull   /* slot 256 value (frame bits) */

extern pte_t mm_sim_hyp_slots[16];
extern uint8_t *mm_sim_args;               /* host view of SIM_ARGS_VA */

/* The memory map above (sorted, as memmap_sanitize leaves it). */
void mm_sim_memmap(struct memmap *m);

/* Fresh machine and MMU; guest frames all zero, kernel mode, no assists. */
void mm_sim_setup(void);
/* vCPU 0 as a restore finds it: never run, no base pointers, no GDT. */
void mm_sim_unstarted_vcpu0(void);
/* The same for a 32-bit PAE guest (pv_mm_set_pae with mm_sim_compat_slots). */
void mm_sim_setup_pae(void);
extern pte_t mm_sim_compat_slots[512 - 428];
extern uint32_t mm_sim_compat_m2p[SIM_FRAMES];
#define SIM_PAE_L4          (SIM_GUEST_FIRST - 1)   /* pvshim's root L4 in PAE mode */
extern bool mm_sim_pae;
void mm_sim_teardown(void);

/* The next unused guest frame (zeroed); frames are handed out in order. */
mfn_t mm_sim_alloc(void);

pte_t *mm_sim_table(mfn_t mfn);
static inline pte_t mm_sim_pte(mfn_t mfn, uint64_t flags)
{
    return mfn_to_paddr(mfn) | flags;
}

/*
 * Raw (unchecked) construction of tables before they are validated:
 * map va -> target in the tree under l4, allocating missing tables with
 * P|RW|US entries; the leaf gets `flags`. Returns the L1 used.
 */
mfn_t mm_sim_map_raw(mfn_t l4, vaddr_t va, mfn_t target, uint64_t flags);

/* A pinned L4 with an empty tree, set as kernel base (not loaded). */
mfn_t mm_sim_kernel_tables(void);

/* Hypercalls with arguments copied into the guest buffer; *done from pdone. */
long mm_sim_mmu_update1(uint64_t ptr, uint64_t val);
long mm_sim_mmu_update(const struct mmu_update *reqs, unsigned n, unsigned *done);
long mm_sim_mmuext(unsigned cmd, uint64_t arg1, uint64_t arg2);
long mm_sim_mmuext_n(const struct mmuext_op *ops, unsigned n, unsigned *done);

/* Level-n entry address of va's slot in table t (for mmu_update ptr). */
static inline uint64_t mm_sim_slot_maddr(mfn_t t, unsigned idx)
{
    return mfn_to_paddr(t) + idx * 8;
}

/* vCPUs 1 .. n-1 too, each initialised, up and loaded (it has run on its
 * CPU), no base pointers yet; fake_run_vcpu() switches between them. */
void mm_sim_add_vcpus(unsigned n);

/* pvshim's own long-term writable holds the checker should expect. */
void mm_sim_note_writable_hold(mfn_t mfn, int delta);

/*
 * Recompute every frame's references from the live tables, pins, every
 * vCPU's base pointers, GDT and LDT, and holds, and compare; also check every live entry
 * obeys the rules. Returns NULL if all is well, else a description.
 */
const char *mm_sim_check(void);
#define ck_mm_invariants() do {                                         \
        const char *why_ = mm_sim_check();                                 \
        ck_assert_msg(why_ == NULL, "MMU invariant: %s", why_);          \
    } while (0)

/* Everything held by the guest's use dropped: unpin all, drop bases, GDT, LDT. */
void mm_sim_release_all(void);
/* Every guest frame back at refs 1, type count 0, not pinned. */
const char *mm_sim_check_baseline(void);
#define ck_mm_baseline() do {                                           \
        const char *why_ = mm_sim_check_baseline();                        \
        ck_assert_msg(why_ == NULL, "MMU baseline: %s", why_);           \
    } while (0)

struct pv_frame_info mm_sim_info(mfn_t mfn);
/* The (64-bit) M2P entry of mfn. */
uint64_t mm_sim_m2p(mfn_t mfn);

#endif
