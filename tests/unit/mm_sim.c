/* The simulated machine for the PV MMU tests; see mm_sim.h. */
#include <stdio.h>
#include <string.h>
#include "sim_assert.h"
#include <pvshim/phys.h>
#include <pvshim/compiler.h>
#include "mm_sim.h"
#include <pvshim/xen_abi32.h>
#include <pvshim/frame_alloc.h>
#include "grant_table.h"

pte_t mm_sim_hyp_slots[16];
uint8_t *mm_sim_args;

static uint64_t frame_table[SIM_FRAMES];
static uint64_t m2p[SIM_FRAMES];
static uint8_t args_buf[SIM_ARGS_SIZE];
static mfn_t next_free;
static int holds[SIM_FRAMES];

void mm_sim_memmap(struct memmap *m)
{
    m->nr = 0;
    ck_assert(memmap_add(m, 0, mfn_to_paddr(SIM_RESERVED_FIRST), MEM_RAM));
    ck_assert(memmap_add(m, mfn_to_paddr(SIM_RESERVED_FIRST),
                         mfn_to_paddr(SIM_HOLE_FIRST - SIM_RESERVED_FIRST), MEM_RESERVED));
    ck_assert(memmap_add(m, mfn_to_paddr(SIM_FREE_FIRST),
                         mfn_to_paddr(SIM_UNUSABLE_FIRST - SIM_FREE_FIRST), MEM_RAM));
    ck_assert(memmap_add(m, mfn_to_paddr(SIM_UNUSABLE_FIRST),
                         mfn_to_paddr(SIM_FRAMES - SIM_UNUSABLE_FIRST), MEM_UNUSABLE));
}

void mm_sim_setup(void)
{
    fake_phys_reset();
    fake_guest_reset();
    fake_hw_reset();
    fake_phys_add(0, SIM_FRAMES * PAGE_SIZE);
    frame_pool_init(&machine_frames);     /* where frames the guest gives back go */

    memset(&dom, 0, sizeof(dom));
    fake_run_vcpu(0);
    dom.nr_vcpus = 1;
    dom.vcpu[0].initialised = dom.vcpu[0].up = dom.vcpu[0].loaded = true;   /* booted, running */
    mm_sim_pae = false;
    dom.domid = 1;
    current->kernel_mode = true;

    for (unsigned i = 0; i < 16; i++)
        mm_sim_hyp_slots[i] = ((0x100000ull + i) << PAGE_SHIFT) | PTE_P | PTE_RW | PTE_A;
    mm_sim_hyp_slots[0] = SIM_M2P_SLOT | PTE_P | PTE_US | PTE_A;

    ck_assert_uint_eq(pv_mm_frame_table_bytes(SIM_FRAMES), sizeof(frame_table));
    memset(m2p, 0xff, sizeof(m2p));
    pv_mm_init(frame_table, SIM_FRAMES, m2p, mm_sim_hyp_slots);
    static struct memmap map;
    mm_sim_memmap(&map);
    ck_assert_int_eq(pv_mm_mark_io(&map, 0), 0);
    ck_assert_int_eq(pv_mm_assign(SIM_SHIM_FIRST, SIM_GUEST_FIRST, PV_OWNER_SHIM), 0);
    ck_assert_int_eq(pv_mm_assign(SIM_GUEST_FIRST, SIM_GUEST_END - SIM_GUEST_FIRST,
                                  PV_OWNER_GUEST), 0);
    for (mfn_t m = SIM_GUEST_FIRST; m < SIM_GUEST_END; m++)
        ck_assert(pv_mm_set_m2p(m, m - SIM_GUEST_FIRST));

    memset(args_buf, 0, sizeof(args_buf));
    mm_sim_args = args_buf;
    fake_guest_map(SIM_ARGS_VA, args_buf, sizeof(args_buf));
    next_free = SIM_GUEST_FIRST;
    memset(holds, 0, sizeof(holds));
    gnttab_reset();
}

void mm_sim_unstarted_vcpu0(void)
{
    dom.vcpu[0].loaded = false;
    dom.vcpu[0].guest_table = dom.vcpu[0].guest_table_user = INVALID_MFN;
    dom.vcpu[0].gdt_ents = 0;
}

#define TBL_FLAGS (PTE_P | PTE_RW | PTE_US | PTE_A)
pte_t mm_sim_compat_slots[512 - 428];
uint32_t mm_sim_compat_m2p[SIM_FRAMES];
bool mm_sim_pae;

void mm_sim_setup_pae(void)
{
    mm_sim_setup();
    /* Superpages of a compat M2P above the simulated machine. */
    for (unsigned i = 0; i < ARRAY_SIZE(mm_sim_compat_slots); i++)
        mm_sim_compat_slots[i] = i < 83 ? (0x7e00000ull + ((uint64_t)i << 21)) | PTE_P | PTE_PS
                                        : 0;
    memset(mm_sim_compat_m2p, 0xff, sizeof(mm_sim_compat_m2p));
    pv_mm_set_pae(true, mm_sim_compat_slots, SIM_PAE_L4, mm_sim_compat_m2p);
    mm_sim_pae = true;
}

void mm_sim_teardown(void)
{
    fake_phys_reset();
    fake_guest_reset();
}

pte_t *mm_sim_table(mfn_t mfn)
{
    pte_t *t = phys_access(mfn_to_paddr(mfn), PAGE_SIZE);
    ck_assert_ptr_nonnull(t);
    return t;
}

mfn_t mm_sim_alloc(void)
{
    ck_assert_uint_lt(next_free, SIM_GUEST_END);
    mfn_t m = next_free++;
    memset(mm_sim_table(m), 0, PAGE_SIZE);
    return m;
}

mfn_t mm_sim_map_raw(mfn_t l4, vaddr_t va, mfn_t target, uint64_t flags)
{
    mfn_t t = l4;
    for (unsigned level = 4; level > 1; level--) {
        pte_t *p = mm_sim_table(t);
        unsigned idx = pt_index(va, L1_SHIFT + 9 * (level - 1));
        if (!(p[idx] & PTE_P))
            p[idx] = mm_sim_pte(mm_sim_alloc(), PTE_P | PTE_RW | PTE_US | PTE_A);
        t = (p[idx] & PTE_ADDR_MASK) >> PAGE_SHIFT;
    }
    mm_sim_table(t)[pt_index(va, L1_SHIFT)] = mm_sim_pte(target, flags);
    return t;
}

mfn_t mm_sim_kernel_tables(void)
{
    mfn_t l4 = mm_sim_alloc();
    ck_assert_int_eq(pv_mm_pin(l4, 4), 0);
    ck_assert_int_eq(pv_mm_set_kernel_base(l4), 0);
    return l4;
}

/* ---------------------------------------------------------- hypercalls */

static unsigned read_pdone(void)
{
    uint32_t d;
    memcpy(&d, mm_sim_args + (SIM_PDONE_VA - SIM_ARGS_VA), sizeof(d));
    return d;
}

static void poison_pdone(void)
{
    uint32_t d = 0xdeadbeef;
    memcpy(mm_sim_args + (SIM_PDONE_VA - SIM_ARGS_VA), &d, sizeof(d));
}

long mm_sim_mmu_update(const struct mmu_update *reqs, unsigned n, unsigned *done)
{
    ck_assert_uint_le(n * sizeof(*reqs), SIM_ARGS_SIZE - 64);
    memcpy(mm_sim_args, reqs, n * sizeof(*reqs));
    poison_pdone();
    long rc = do_mmu_update(SIM_ARGS_VA, n, SIM_PDONE_VA, DOMID_SELF);
    if (done)
        *done = read_pdone();
    return rc;
}

long mm_sim_mmu_update1(uint64_t ptr, uint64_t val)
{
    struct mmu_update r = { .ptr = ptr, .val = val };
    unsigned done;
    long rc = mm_sim_mmu_update(&r, 1, &done);
    ck_assert_uint_eq(done, rc ? 0 : 1);
    return rc;
}

long mm_sim_mmuext_n(const struct mmuext_op *ops, unsigned n, unsigned *done)
{
    ck_assert_uint_le(n * sizeof(*ops), SIM_ARGS_SIZE - 64);
    memcpy(mm_sim_args, ops, n * sizeof(*ops));
    poison_pdone();
    long rc = do_mmuext_op(SIM_ARGS_VA, n, SIM_PDONE_VA, DOMID_SELF);
    if (done)
        *done = read_pdone();
    return rc;
}

long mm_sim_mmuext(unsigned cmd, uint64_t arg1, uint64_t arg2)
{
    struct mmuext_op op;
    memset(&op, 0, sizeof(op));
    op.cmd = cmd;
    op.arg1.mfn = arg1;
    memcpy(&op.arg2, &arg2, sizeof(arg2));
    unsigned done;
    long rc = mm_sim_mmuext_n(&op, 1, &done);
    ck_assert_uint_eq(done, rc ? 0 : 1);
    return rc;
}

void mm_sim_add_vcpus(unsigned n)
{
    ck_assert_uint_le(n, PV_MAX_VCPUS);
    for (unsigned i = dom.nr_vcpus; i < n; i++) {
        struct pv_vcpu *v = &dom.vcpu[i];
        memset(v, 0, sizeof(*v));
        v->vcpu_id = i;
        v->initialised = v->up = v->loaded = true;
        v->kernel_mode = true;
        v->guest_table = v->guest_table_user = INVALID_MFN;
        for (unsigned g = 0; g < PV_GDT_GUEST_FRAMES; g++)
            v->gdt_frames[g] = INVALID_MFN;
    }
    dom.nr_vcpus = n;
}

void mm_sim_note_writable_hold(mfn_t mfn, int delta)
{
    ck_assert_uint_lt(mfn, SIM_FRAMES);
    holds[mfn] += delta;
}

struct pv_frame_info mm_sim_info(mfn_t mfn)
{
    struct pv_frame_info fi;
    ck_assert(pv_mm_frame_info(mfn, &fi));
    return fi;
}

/* ---------------------------------------------------------- invariants */

static char why[512];

#define FAIL(...) do { snprintf(why, sizeof(why), __VA_ARGS__); return why; } while (0)

/* A live descriptor page may hold only what check_descriptor lets through. */
static const char *check_descriptors(mfn_t m)
{
    const uint64_t *d = (const uint64_t *)mm_sim_table(m);
    for (unsigned i = 0; i < 512; i++) {
        uint32_t a = (uint32_t)d[i], b = (uint32_t)(d[i] >> 32);
        if (!(b & (1u << 15)))
            continue;
        unsigned dpl = (b >> 13) & 3, type = (b >> 8) & 15;
        /* A 32-bit (PAE) guest's kernel is ring 1: DPL 1 at least, no 64-bit code. */
        unsigned min_dpl = mm_sim_pae ? 1 : 3;
        unsigned flat_cs = mm_sim_pae ? FLAT_RING1_CS_X86_32 : FLAT_KERNEL_CS;
        if (b & (1u << 12)) {
            if (dpl < min_dpl || (mm_sim_pae && (b & (1u << 21))))
                FAIL("mfn %#lx desc %u: code/data DPL %u", (unsigned long)m, i, dpl);
        } else if (type != 0) {
            unsigned sel = a >> 16;
            if (type != 12 || dpl != 0 || (b & (mm_sim_pae ? 0xe0 : 0xff)) ||
                !((sel >> 3) < FIRST_RESERVED_GDT_ENTRY || sel == flat_cs || (sel & 4)))
                FAIL("mfn %#lx desc %u: system descriptor %#llx", (unsigned long)m, i,
                     (unsigned long long)d[i]);
        }
    }
    return NULL;
}

const char *mm_sim_check(void)
{
    static struct pv_frame_info fi[SIM_FRAMES];
    static uint64_t exp_refs[SIM_FRAMES], exp_type[SIM_FRAMES];
    static int64_t exp_linear[SIM_FRAMES];
    static uint16_t linear_entries[SIM_FRAMES], linear_uses[SIM_FRAMES];

    for (mfn_t m = 0; m < SIM_FRAMES; m++) {
        if (!pv_mm_frame_info(m, &fi[m]))
            FAIL("no info for mfn %#lx", (unsigned long)m);
        exp_refs[m] = fi[m].owner == PV_OWNER_GUEST && !fi[m].released;
        exp_type[m] = 0;
        if (fi[m].shared)
            exp_refs[m]++, exp_type[m]++;
        if (fi[m].pinned)
            exp_refs[m]++, exp_type[m]++;
        exp_refs[m] += holds[m];
        exp_type[m] += holds[m];
        exp_linear[m] = 0;
        linear_entries[m] = linear_uses[m] = 0;
        /* Grant mapping handles hold their frames (grant_table.c). */
        unsigned g_refs, g_types;
        gnttab_frame_holds(m, &g_refs, &g_types);
        exp_refs[m] += g_refs;
        exp_type[m] += g_types;
    }
    for (unsigned vc = 0; vc < dom.nr_vcpus; vc++) {
        const struct pv_vcpu *v = &dom.vcpu[vc];
        mfn_t bases[2] = { v->guest_table, v->guest_table_user };
        for (unsigned i = 0; i < 2; i++) {
            if (bases[i] == INVALID_MFN)
                continue;
            if (bases[i] >= SIM_FRAMES)
                FAIL("base pointer %#lx out of range", (unsigned long)bases[i]);
            if (fi[bases[i]].type != (mm_sim_pae ? PV_TYPE_L3 : PV_TYPE_L4))
                FAIL("base pointer %#lx is not an L%d", (unsigned long)bases[i],
                     mm_sim_pae ? 3 : 4);
            if (mm_sim_pae && mm_sim_table(SIM_PAE_L4)[0] != (mfn_to_paddr(bases[i]) | TBL_FLAGS))
                FAIL("PAE root L4 slot 0 = %#llx, not the base %#lx",
                     (unsigned long long)mm_sim_table(SIM_PAE_L4)[0], (unsigned long)bases[i]);
            exp_refs[bases[i]]++, exp_type[bases[i]]++;
        }
        for (unsigned i = 0; i < DIV_ROUND_UP(v->gdt_ents, 512); i++) {
            mfn_t g = v->gdt_frames[i];
            if (g >= SIM_FRAMES || fi[g].type != PV_TYPE_SEG_DESC)
                FAIL("GDT frame %u (%#lx) not a descriptor page", i, (unsigned long)g);
            exp_refs[g]++, exp_type[g]++;
        }
        for (unsigned i = 0; i < 16; i++) {
            mfn_t l = pv_mm_vcpu_ldt_frame(vc, i);
            if (l == INVALID_MFN)
                continue;
            if (l >= SIM_FRAMES || fi[l].type != PV_TYPE_SEG_DESC)
                FAIL("vCPU %u LDT frame %u not a descriptor page", vc, i);
            exp_refs[l]++, exp_type[l]++;
        }
    }

    for (mfn_t t = 0; t < SIM_FRAMES; t++) {
        unsigned level = fi[t].type;
        if (fi[t].owner != PV_OWNER_GUEST || level < 1 || level > 4 || !fi[t].type_count)
            continue;
        if (!fi[t].validated)
            FAIL("L%u %#lx in use but not validated", level, (unsigned long)t);
        const pte_t *p = mm_sim_table(t);
        if (mm_sim_pae && level == 4)
            FAIL("L4 %#lx in use by a PAE guest", (unsigned long)t);
        if (mm_sim_pae && level == 2 && fi[t].pae_xen_l2 && fi[t].type_count != 1)
            FAIL("PAE slot-3 L2 %#lx has type count %u", (unsigned long)t, fi[t].type_count);
        /* Without a summary every entry is read at devalidation; with one, only its groups. */
        uint32_t groups = ~0u;
        (void)pv_mm_table_summary(t, &groups);
        for (unsigned i = 0; i < 512; i++) {
            pte_t e = p[i];
            if (mm_sim_pae && level == 3 && i >= 4) {
                if (e)
                    FAIL("PAE L3 %#lx[%u] = %#llx beyond its 4 entries", (unsigned long)t, i,
                         (unsigned long long)e);
                continue;
            }
            if (mm_sim_pae && level == 2 && fi[t].pae_xen_l2 && i >= 428) {
                if (e != mm_sim_compat_slots[i - 428])
                    FAIL("PAE L2 %#lx hypervisor slot %u = %#llx", (unsigned long)t, i,
                         (unsigned long long)e);
                continue;
            }
            if (mm_sim_pae && level == 3 && i == 3 &&
                (!(e & PTE_P) || (e & PTE_ADDR_MASK) >> PAGE_SHIFT >= SIM_FRAMES ||
                 !fi[(e & PTE_ADDR_MASK) >> PAGE_SHIFT].pae_xen_l2))
                FAIL("PAE L3 %#lx slot 3 = %#llx is not a hypervisor-slot L2",
                     (unsigned long)t, (unsigned long long)e);
            if (level == 4 && i >= 256 && i <= 271) {
                pte_t want = mm_sim_hyp_slots[i - 256];
                if (e != want && !(i == 256 && e == 0))
                    FAIL("L4 %#lx hypervisor slot %u = %#llx", (unsigned long)t, i,
                         (unsigned long long)e);
                continue;
            }
            if (!(e & PTE_P))
                continue;
            if (!(groups & (1u << (i / 16))))
                FAIL("L%u %#lx[%u] = %#llx present outside its summary %#x", level,
                     (unsigned long)t, i, (unsigned long long)e, groups);
            mfn_t target = (e & PTE_ADDR_MASK) >> PAGE_SHIFT;
            if (target >= SIM_FRAMES || fi[target].owner != PV_OWNER_GUEST)
                FAIL("L%u %#lx[%u] = %#llx names a frame the guest does not own", level,
                     (unsigned long)t, i, (unsigned long long)e);
            /* A PAE guest's L1 and L2 entries keep its own US; its L3 entries get US|RW. */
            if (!(e & PTE_US) && (!mm_sim_pae || level == 3))
                FAIL("L%u %#lx[%u] lacks US", level, (unsigned long)t, i);
            if (mm_sim_pae && level == 3 &&
                (!(e & PTE_RW) || (e & (0xfff0000000000000ull | PTE_PWT | PTE_PCD | PTE_PS | PTE_G))))
                FAIL("PAE L3 %#lx[%u] = %#llx: flags", (unsigned long)t, i,
                     (unsigned long long)e);
            if (level == 1 && (e & (1ull << 62))) {
                /* A grant PTE holds nothing; a live handle must hold its frame. */
                unsigned g_refs, g_types;
                gnttab_frame_holds(target, &g_refs, &g_types);
                if (!g_refs || ((e & PTE_RW) && !g_types))
                    FAIL("grant PTE %#lx[%u] = %#llx without a handle holding it",
                         (unsigned long)t, i, (unsigned long long)e);
                if ((e & PTE_RW) && fi[target].type != PV_TYPE_WRITABLE)
                    FAIL("grant PTE %#lx[%u] maps %#lx (type %u) writable", (unsigned long)t,
                         i, (unsigned long)target, fi[target].type);
                if (e & (PTE_PWT | PTE_PCD | PTE_PS | PTE_G))
                    FAIL("grant PTE %#lx[%u] = %#llx has refused flags", (unsigned long)t, i,
                         (unsigned long long)e);
                continue;
            }
            exp_refs[target]++;
            if (level == 1) {
                if (e & (PTE_PWT | PTE_PCD | PTE_PS | PTE_G | (1ull << 62)))
                    FAIL("L1 %#lx[%u] = %#llx has refused flags", (unsigned long)t, i,
                         (unsigned long long)e);
                if (e & PTE_RW) {
                    exp_type[target]++;
                    if (fi[target].type != PV_TYPE_WRITABLE)
                        FAIL("L1 %#lx[%u] maps %#lx (type %u) writable", (unsigned long)t, i,
                             (unsigned long)target, fi[target].type);
                }
            } else {
                if (e & (PTE_PWT | PTE_PCD | PTE_PS | PTE_G))
                    FAIL("L%u %#lx[%u] = %#llx has refused flags", level, (unsigned long)t, i,
                         (unsigned long long)e);
                if (fi[target].type == level) {
                    /* A linear entry: read-only; its own table holds nothing. */
                    if (e & PTE_RW)
                        FAIL("L%u %#lx[%u] = %#llx: writable linear entry", level,
                             (unsigned long)t, i, (unsigned long long)e);
                    if (target == t) {
                        exp_refs[target]--;
                        continue;
                    }
                    exp_type[target]++;
                    exp_linear[t]++, linear_entries[t]++;
                    exp_linear[target]--, linear_uses[target]++;
                    continue;
                }
                exp_type[target]++;
                if (fi[target].type != level - 1)
                    FAIL("L%u %#lx[%u] names %#lx of type %u", level, (unsigned long)t, i,
                         (unsigned long)target, fi[target].type);
            }
        }
    }

    for (mfn_t m = 0; m < SIM_FRAMES; m++) {
        uint32_t groups;
        if (pv_mm_table_summary(m, &groups) &&
            (fi[m].owner != PV_OWNER_GUEST || fi[m].type < PV_TYPE_L1 ||
             fi[m].type > PV_TYPE_L4 || !fi[m].type_count || !fi[m].validated))
            FAIL("mfn %#lx has a table summary but is no live table", (unsigned long)m);
        if (fi[m].refs != exp_refs[m])
            FAIL("mfn %#lx: refs %u, expected %llu (type %u count %u)", (unsigned long)m,
                 fi[m].refs, (unsigned long long)exp_refs[m], fi[m].type, fi[m].type_count);
        if (fi[m].type_count != exp_type[m])
            FAIL("mfn %#lx: type %u count %u, expected %llu", (unsigned long)m, fi[m].type,
                 fi[m].type_count, (unsigned long long)exp_type[m]);
        if (fi[m].linear != exp_linear[m])
            FAIL("mfn %#lx: linear count %d, expected %lld", (unsigned long)m, fi[m].linear,
                 (long long)exp_linear[m]);
        /* No nesting: a table holding linear entries is named linearly nowhere. */
        if (linear_entries[m] && linear_uses[m])
            FAIL("mfn %#lx: %u linear entries and named by %u", (unsigned long)m,
                 linear_entries[m], linear_uses[m]);
        if (fi[m].pinned && !fi[m].type_count)
            FAIL("mfn %#lx pinned with no type count", (unsigned long)m);
        bool table = fi[m].type >= PV_TYPE_L1 && fi[m].type <= PV_TYPE_L4;
        if (table && fi[m].validated != (fi[m].type_count != 0))
            FAIL("table %#lx: validated %d with count %u", (unsigned long)m,
                 fi[m].validated, fi[m].type_count);
        if (fi[m].type == PV_TYPE_SEG_DESC && fi[m].type_count) {
            const char *w = check_descriptors(m);
            if (w)
                return w;
        }
    }
    return NULL;
}

void mm_sim_release_all(void)
{
    pv_mm_destroy_ldt();
    pv_mm_destroy_gdt();
    pv_mm_drop_base_pointers();
    for (mfn_t m = SIM_GUEST_FIRST; m < SIM_GUEST_END; m++)
        if (mm_sim_info(m).pinned)
            ck_assert_int_eq(pv_mm_unpin(m), 0);
    for (mfn_t m = 0; m < SIM_FRAMES; m++)
        while (holds[m] > 0) {
            pv_mm_put_writable_frame(m);
            holds[m]--;
        }
}

const char *mm_sim_check_baseline(void)
{
    for (mfn_t m = SIM_GUEST_FIRST; m < SIM_GUEST_END; m++) {
        struct pv_frame_info fi = mm_sim_info(m);
        if (fi.shared || fi.owner != PV_OWNER_GUEST)
            continue;           /* given back (released frames are freed by now) */
        if (fi.refs != 1 || fi.type_count || fi.pinned)
            FAIL("mfn %#lx left with refs %u type %u count %u pinned %d", (unsigned long)m,
                 fi.refs, fi.type, fi.type_count, fi.pinned);
    }
    return mm_sim_check();
}

uint64_t mm_sim_m2p(mfn_t mfn)
{
    return mfn < SIM_FRAMES ? m2p[mfn] : ~0ull;
}
