/*
 * vCPU 0's attacks: one random operation per call, aimed at the compat
 * translation seam. Arguments come from the pickers below, which know
 * what pvshim must refuse (the M2P and the hypervisor hole, unmapped
 * pages, frames that are not ours or are page tables) and what we must
 * never hand it for writing (our image, stacks and live tables outside
 * the sacrificial range), so every attack can be survived whatever pvshim
 * answers, unless pvshim itself misbehaves.
 */
#include "hostile32.h"

unsigned long op_counts[NR_OPS];
const char *const op_names[NR_OPS] = {
    "int 0x82, any number", "mmu_update (PAE entries)", "mmuext_op (12-byte ops)",
    "update_va_mapping (PTE in two words)", "PTE halves stored through ptwr",
    "update_descriptor", "set_gdt", "multicall (32-byte entries)", "grant_table_op",
    "vcpu_op", "callbacks and trap table", "forged HYPERVISOR_iret", "event_channel_op",
    "memory_op", "sched_op", "race on the pool with the other vCPUs",
};

#define R(n) rnd_below(0, (n))

/* ---- pickers */

static uint32_t sac_page_va(void) { return sac_va + (uint32_t)R(SAC_PAGES - RACE_VAS) * PG; }

/* Random, but never into our region (pvshim would write where we live). */
static uint32_t rnd_ptr(void)
{
    uint32_t p = (uint32_t)R(1ull << 32);
    return p >= VIRT_BASE && p < region_end ? HOLE_VA + (p & 0xfffffc) : p;
}

/* A pointer pvshim may be asked to read or write: never our image. */
static uint32_t any_ptr(void)
{
    switch (R(11)) {
    case 0: case 1: case 2: return (uint32_t)arg_buf + (uint32_t)R(ARG_BUF_SIZE) / 4 * 4;
    case 3: return M2P_VA + ((uint32_t)R(0x1000000) & ~3u);          /* read-only */
    case 4: return HOLE_VA + (uint32_t)R(0x9800000);                 /* hypervisor hole */
    case 5: return guard_va + (uint32_t)R(PG);                       /* unmapped */
    case 6: return (uint32_t)arg_buf + ARG_BUF_SIZE - (uint32_t)R(64);   /* straddles */
    case 7: return si->pt_base + (uint32_t)R(si->nr_pt_frames * PG);  /* read-only tables */
    case 8: return sac_page_va() + (uint32_t)R(PG);
    case 9: return (uint32_t)R(2) ? 0 : (uint32_t)R(0x40000000);      /* nothing mapped below */
    default: return rnd_ptr();
    }
}

/* A request list pvshim cannot read, or reads only read-only memory from. */
static uint32_t any_bad_list(void)
{
    switch (R(4)) {
    case 0: return HOLE_VA + ((uint32_t)R(0x9800000) & ~7u);
    case 1: return guard_va + ((uint32_t)R(PG) & ~7u);
    case 2: return (uint32_t)R(0x40000000) & ~7u;
    default: return 0;
    }
}

static uint32_t any_count(void)
{
    static const uint32_t c[] = { 0, 1, 2, 3, 7, 16, 255, 4096, 0x7fffffff, 0x80000000,
                                  0xffffffff, 0x10000 };
    return R(4) ? (uint32_t)R(9) : c[R(ARRAY_LEN(c))];
}

static uint32_t scratch_mfn(void) { return p2m[scratch_pfn0 + R(scratch_count)]; }

static uint32_t sac_mfn(void)
{
    uint64_t e = sac_l1[sac_l1_first + R(SAC_PAGES - RACE_VAS)];
    uint32_t m = (uint32_t)((e & PTE_ADDR) >> 12);
    return (e & PTE_P) && !is_our_mfn(m) && !is_pool_mfn(m) ? m : scratch_mfn();
}

/* A frame to name; `harmless`: never one whose contents we live on. */
static uint32_t any_mfn(bool harmless)
{
    switch (R(harmless ? 10 : 11)) {
    case 0: case 1: return scratch_mfn();
    case 2: return sac_mfn();
    case 3: return p2m[(si->pt_base - VIRT_BASE) / PG + R(si->nr_pt_frames)];
    case 4: return (uint32_t)R(0x400);                  /* low memory: pvshim's own */
    case 5: return 0xfee00 + (uint32_t)R(2);            /* local APIC, I/O */
    case 6: return 0xfffff - (uint32_t)R(2);
    case 7: return ~0u - (uint32_t)R(2);
    case 8: return si->nr_pages + 0x100000 + (uint32_t)R(0x1000);
    case 9: return (uint32_t)si->shared_info >> 12;
    default: return p2m[R((region_end - VIRT_BASE) / PG)];   /* our own image and data */
    }
}

static uint32_t any_mfn_checked(bool harmless)
{
    uint32_t m = any_mfn(harmless);
    if (is_pool_mfn(m))
        return scratch_mfn();
    return harmless && is_our_mfn(m) && !is_pt_mfn(m) ? scratch_mfn() : m;
}

static uint64_t any_flags(void)
{
    static const uint64_t bits[] = { PTE_P, PTE_RW, PTE_US, 0x8, 0x10, PTE_A, PTE_D, 0x80,
                                     0x100, 0x200, 0x400, 0x800, 1ull << 52, 1ull << 62,
                                     1ull << 63, 1ull << 51 };
    uint64_t f = R(3) ? PTE_P | PTE_A : 0;
    for (unsigned n = (unsigned)R(4); n; n--)
        f ^= bits[R(16)];
    if (R(2))
        f |= PTE_RW;
    return f;
}

/* An entry; one naming a frame we live on is never writable. */
static uint64_t any_pte(bool harmless)
{
    uint32_t m = any_mfn_checked(harmless);
    uint64_t f = any_flags();
    if (is_our_mfn(m) && !is_pt_mfn(m))
        f &= ~PTE_RW;
    if (is_pt_mfn(m))
        f |= PTE_P;
    return ((uint64_t)m << 12) | f;
}

/* A virtual address whose mapping we may change: never where we live. */
static uint32_t any_target_va(void)
{
    switch (R(6)) {
    case 0: case 1: case 2: return sac_page_va();
    case 3: return M2P_VA + ((uint32_t)R(0x1000000) & ~0xfffu);
    case 4: return HOLE_VA + ((uint32_t)R(0x9800000) & ~0xfffu);
    default: return sac_page_va() + 1 + (uint32_t)R(PG - 1);          /* unaligned */
    }
}

/* Entries of our slot-3 L2 that map nothing of ours (between the region
 * and the hole) and pvshim's own (428 and up: refused). */
static unsigned free_l2_slot(void)
{
    unsigned first = ((region_end - 1) >> 21 & 511) + 1;
    return R(3) ? first + (unsigned)R(428 - first) : 428 + (unsigned)R(84);
}

static uint64_t safe_entry(uint64_t maddr)
{
    if (!is_pt_mfn((uint32_t)((maddr & PTE_ADDR) >> 12)) && !is_pool_mfn((uint32_t)(maddr >> 12)))
        return maddr;
    return ((uint64_t)scratch_mfn() << 12) + (maddr & 0xfff);
}

/* A machine address of a page-table entry we may overwrite. */
static uint64_t any_entry_maddr(void)
{
    uint64_t sac_l1_mfn = virt_to_mfn(sac_l1);
    switch (R(7)) {
    case 0: case 1:
        return (sac_l1_mfn << 12) + (sac_l1_first + R(SAC_PAGES - RACE_VAS)) * 8;
    case 2: return ((uint64_t)l3_mfn << 12) + R(4) * 8;         /* slot 3: refused */
    case 3: return ((uint64_t)l2_mfn << 12) + free_l2_slot() * 8;
    case 4: return ((uint64_t)scratch_mfn() << 12) + R(512) * 8;
    case 5: return safe_entry(((uint64_t)any_mfn_checked(true) << 12) + R(4096));
    default: return safe_entry(R(1ull << 40));
    }
}

static void fill_random(void *p, size_t n)
{
    uint8_t *b = p;
    for (size_t i = 0; i < n; i++)
        b[i] = (uint8_t)R(256);
}

static long uvm(uint32_t va, uint64_t pte, uint32_t flags)
{
    return hypercall4(__HYPERVISOR_update_va_mapping, va, (uint32_t)pte, (uint32_t)(pte >> 32),
                      flags);
}

/* ---- attacks */

/*
 * Any hypercall number by `int $0x82` with random 32-bit arguments, but
 * for those handled with care below (they can take our memory or our
 * vCPU away: page tables, grants, memory, vCPUs, scheduling, iret) and
 * console writes (noise in the log).
 */
static long int82_attack(void)
{
    static const uint8_t nrs[] = {
        __HYPERVISOR_set_trap_table, __HYPERVISOR_set_gdt, __HYPERVISOR_stack_switch,
        __HYPERVISOR_set_callbacks, __HYPERVISOR_fpu_taskswitch, 7 /* platform_op_compat */,
        __HYPERVISOR_set_debugreg, __HYPERVISOR_get_debugreg, __HYPERVISOR_update_descriptor,
        __HYPERVISOR_set_timer_op, __HYPERVISOR_event_channel_op_compat,
        __HYPERVISOR_xen_version, __HYPERVISOR_physdev_op_compat, __HYPERVISOR_vm_assist,
        __HYPERVISOR_set_segment_base, __HYPERVISOR_xsm_op, __HYPERVISOR_nmi_op,
        __HYPERVISOR_callback_op, __HYPERVISOR_xenoprof_op, __HYPERVISOR_event_channel_op,
        __HYPERVISOR_physdev_op, __HYPERVISOR_hvm_op, __HYPERVISOR_sysctl,
        __HYPERVISOR_domctl, __HYPERVISOR_kexec_op, __HYPERVISOR_tmem_op, 39, 40, 41, 42,
        43, 48, 49, 55, 56, 62, 63, 64, 100, 127, 128, 255,
    };
    uint32_t nr = R(16) ? nrs[R(ARRAY_LEN(nrs))] : (uint32_t)R(1ull << 32);
    if (nr == __HYPERVISOR_update_descriptor && R(2))   /* a descriptor into our image */
        return -1;
    fill_random(arg_buf, 256);
    uint32_t a[5];
    for (unsigned i = 0; i < 5; i++)
        a[i] = R(3) ? any_ptr() : R(2) ? any_count() : (uint32_t)R(1ull << 32);
    /* update_descriptor: a machine address that is not ours to lose. */
    if (nr == __HYPERVISOR_update_descriptor) {
        uint64_t m = ((uint64_t)any_mfn_checked(true) << 12) + R(512) * 8;
        a[0] = (uint32_t)m;
        a[1] = (uint32_t)(m >> 32);
    }
    long rc = hc_int82(nr, a[0], a[1], a[2], a[3], a[4]);
    restore_state(0);
    return rc;
}

static long mmu_update_attack(void)
{
    mmu_update_t *r = (mmu_update_t *)arg_buf;
    unsigned n = 1 + (unsigned)R(8);
    for (unsigned i = 0; i < n; i++) {
        r[i].ptr = (any_entry_maddr() & ~7ull) | R(4);
        if (R(8) == 0)
            r[i].ptr ^= R(8);                   /* misaligned */
        r[i].val = (r[i].ptr & 3) == MMU_MACHPHYS_UPDATE ? R(si->nr_pages + 16) : any_pte(true);
    }
    r[n].ptr = r[n].val = 0;
    uint32_t list = R(6) ? (uint32_t)arg_buf : any_bad_list();
    uint32_t count = R(5) ? n : any_count();
    uint32_t pdone = R(3) ? (uint32_t)&arg_buf[30000] : R(2) ? (uint32_t)&r[R(n)] : any_ptr();
    uint32_t dom = R(6) ? DOMID_SELF : (uint32_t)R(0x10000);
    /* A MACHPHYS update of a frame of our region: its M2P entry put back after. */
    mmu_update_t undo[8];
    unsigned nundo = 0;
    for (unsigned i = 0; i < n; i++) {
        uint32_t mfn = (uint32_t)(r[i].ptr >> 12);
        if ((r[i].ptr & 3) == MMU_MACHPHYS_UPDATE && r[i].ptr >> 32 == 0 && is_our_mfn(mfn)) {
            undo[nundo].ptr = ((uint64_t)mfn << 12) | MMU_MACHPHYS_UPDATE;
            undo[nundo++].val = ((const uint32_t *)M2P_VA)[mfn];
        }
    }
    long rc = hypercall4(__HYPERVISOR_mmu_update, list, count, pdone, dom);
    if (nundo && hypercall4(__HYPERVISOR_mmu_update, undo, nundo, 0, DOMID_SELF))
        fail("cannot put our M2P entries back (n, mfn)", nundo, undo[0].ptr >> 12);
    return rc;
}

static long mmuext_attack(void)
{
    struct mmuext_op *o = (struct mmuext_op *)arg_buf;
    unsigned n = 1 + (unsigned)R(4);
    _Static_assert(sizeof(*o) == 12, "i386 mmuext_op");
    for (unsigned i = 0; i < n; i++) {
        memset(&o[i], 0, sizeof(o[i]));
        o[i].cmd = (unsigned)R(24);
        switch (o[i].cmd) {
        case MMUEXT_NEW_BASEPTR:
            o[i].arg1.mfn = R(2) ? l3_mfn : any_mfn_checked(true);
            break;
        case MMUEXT_INVLPG_LOCAL: case MMUEXT_INVLPG_MULTI: case MMUEXT_INVLPG_ALL:
        case MMUEXT_SET_LDT:
            o[i].arg1.linear_addr = R(2) ? any_target_va() : (uint32_t)R(1ull << 32);
            break;
        default:
            o[i].arg1.mfn = any_mfn_checked(true);
            break;
        }
        switch (R(4)) {
        case 0: o[i].arg2.nr_ents = any_count(); break;
        case 1: o[i].arg2.vcpumask.p = (void *)any_ptr(); break;      /* u32 words */
        case 2: o[i].arg2.src_mfn = any_mfn(false); break;
        default: o[i].arg2.nr_ents = (uint32_t)R(1ull << 32); break;
        }
    }
    /* A NEW_BASEPTR to a frame an earlier attack pinned as an L3 would take
     * our address space away: only our L3, our other tables (refused) and
     * frames that are not RAM. */
    for (unsigned i = 0; i < n; i++)
        if (o[i].cmd == MMUEXT_NEW_BASEPTR && o[i].arg1.mfn != l3_mfn &&
            !is_pt_mfn(o[i].arg1.mfn))
            o[i].arg1.mfn = R(2) ? 0xfffff : si->nr_pages + 0x100000;
    memset(&o[n], 0, sizeof(o[n]));     /* a count past n stops at a refused PIN */
    uint32_t pdone = R(2) ? (uint32_t)&arg_buf[30000] : any_ptr();
    uint32_t dom = R(6) ? DOMID_SELF : (uint32_t)R(0x10000);
    long rc = hypercall4(__HYPERVISOR_mmuext_op, R(6) ? (uint32_t)arg_buf : any_bad_list(),
                         R(5) ? n : any_count(), pdone, dom);
    restore_state(0);
    return rc;
}

static bool writable_table(uint64_t pte)
{
    uint32_t m = (uint32_t)((pte & PTE_ADDR) >> 12);
    return (pte & (PTE_P | PTE_RW)) == (PTE_P | PTE_RW) && is_pt_mfn(m);
}

static long uva_attack(void)
{
    uint32_t va = any_target_va();
    uint64_t pte = any_pte(false);
    uint32_t flags = (uint32_t)R(4) | (R(2) ? UVMF_ALL : 0);
    if (R(4) == 0)
        flags |= (R(2) ? (uint32_t)arg_buf : any_ptr()) & ~7u;     /* a vCPU bitmap */
    long rc = uvm(va, pte, flags);
    if (rc == 0 && writable_table(pte))
        fail("update_va_mapping made a page table writable (va, pte)", va, pte);
    return rc;
}

/*
 * An 8-byte entry of the sacrificial L1 written through its read-only
 * mapping: a half at a time in either order, both halves with two
 * stores, or one locked operation on a half. pvshim emulates each store
 * (ptwr) or refuses it with #PF.
 */
static void ptwr_halves_attack(void)
{
    volatile uint32_t *e = (volatile uint32_t *)&sac_l1[sac_l1_first + R(SAC_PAGES - RACE_VAS)];
    if (R(16) == 0)
        e = (volatile uint32_t *)si->pt_base + R(8);        /* our L3: #PF */
    uint64_t v = any_pte(false);
    uint32_t lo = (uint32_t)v, hi = (uint32_t)(v >> 32);
    switch (R(6)) {
    case 0: e[0] = lo; break;
    case 1: e[1] = hi; break;
    case 2: e[0] = lo; e[1] = hi; break;
    case 3: e[1] = hi; e[0] = lo; break;
    case 4: __atomic_exchange_n(&e[R(2)], R(2) ? lo : hi, __ATOMIC_SEQ_CST); break;
    default: __atomic_fetch_and(&e[0], ~(lo & 0xfff), __ATOMIC_SEQ_CST); break;
    }
}

/* 32-bit descriptors: L=1 code, DPL 0, gates of every type, TSS and LDT
 * descriptors, call gates to good and bad selectors, reserved bits. */
static uint64_t any_descriptor(void)
{
    static const uint64_t d[] = {
        0, 0x00cfbb000000ffffull, 0x00afbb000000ffffull /* L=1 */, 0x00cf9a000000ffffull,
        0x00cff3000000ffffull, 0x00cf93000000ffffull, 0x0000ec00e0190000ull /* call gate */,
        0x0000ec00e0180000ull, 0x0000ec0000080000ull, 0x0000ecff00100000ull,
        0x00008c00e0190000ull, 0x0000850000000000ull /* task gate */,
        0x00008e00e0190000ull /* interrupt gate */, 0x0000890000000067ull /* TSS */,
        0x0000820000000fffull /* LDT */, 0x00407b000000ffffull, 0x0040fb000000ffffull,
    };
    return R(3) ? d[R(ARRAY_LEN(d))] : R(1ull << 32) | (R(1ull << 32) << 32);
}

static long update_descriptor_attack(void)
{
    uint64_t desc = any_descriptor();
    uint64_t maddr = ((uint64_t)any_mfn_checked(true) << 12) + R(512) * 8 + (R(8) ? 0 : 4);
    return hypercall4(__HYPERVISOR_update_descriptor, (uint32_t)maddr, (uint32_t)(maddr >> 32),
                      (uint32_t)desc, (uint32_t)(desc >> 32));
}

/* A GDT of scratch frames (u32 frame numbers) full of bad descriptors. */
static long set_gdt_attack(void)
{
    uint32_t *frames = (uint32_t *)arg_buf;
    unsigned n = (unsigned)R(17);
    for (unsigned i = 0; i < n; i++)
        frames[i] = any_mfn_checked(true);
    if (n && R(2)) {
        uint32_t va = sac_page_va();
        if (!uvm(va, ((uint64_t)frames[0] << 12) | PTE_P | PTE_RW | PTE_A | PTE_D, UVMF_INVLPG)) {
            uint64_t *g = (uint64_t *)va;
            for (unsigned i = 0; i < 512; i++)
                g[i] = R(4) ? 0 : any_descriptor();
            uvm(va, 0, UVMF_INVLPG);
        }
    }
    long rc = hypercall2(__HYPERVISOR_set_gdt, R(5) ? (uint32_t)frames : any_ptr(),
                         R(3) ? (uint32_t)R(n * 512 + 1) : any_count());
    if (rc == 0 && R(2)) {
        /* A selector of it, loaded: refused (#GP) or taken. */
        uint16_t sel = (uint16_t)(R(n * 512) << 3 | R(4));
        __asm__ volatile("mov %0, %%fs" : : "r"(sel));
    }
    return rc;
}

static long multicall_attack(void)
{
    /* No iret: in a batch it is performed, as on Xen, and would resume at
     * whatever the stack holds (forged_iret_attack forges frames). */
    static const unsigned ops[] = {
        __HYPERVISOR_xen_version, __HYPERVISOR_mmu_update, __HYPERVISOR_mmuext_op,
        __HYPERVISOR_multicall, __HYPERVISOR_event_channel_op, __HYPERVISOR_memory_op,
        __HYPERVISOR_update_va_mapping, __HYPERVISOR_vcpu_op, __HYPERVISOR_set_segment_base,
        __HYPERVISOR_update_descriptor, __HYPERVISOR_set_timer_op, 60,
    };
    multicall_entry_t *mc = (multicall_entry_t *)&arg_buf[1024];
    _Static_assert(sizeof(*mc) == 32, "i386 multicall entry");
    unsigned n = 1 + (unsigned)R(8);
    /* Past the list, harmless entries up to the guard page. */
    for (multicall_entry_t *m = &mc[n]; (uint8_t *)(m + 1) <= arg_buf + ARG_BUF_SIZE; m++) {
        memset(m, 0, sizeof(*m));
        m->op = __HYPERVISOR_xen_version;
    }
    for (unsigned i = 0; i < n; i++) {
        memset(&mc[i], 0, sizeof(mc[i]));
        mc[i].op = ops[R(ARRAY_LEN(ops))];
        if (R(8) == 0)
            mc[i].op |= (uint32_t)R(1ull << 32) << 8;       /* high bits in the number */
        for (unsigned a = 0; a < 6; a++)
            mc[i].args[a] = R(3) ? (uint32_t)&mc[R(n)] + (uint32_t)R(8) * 4
                                 : R(2) ? any_count() : any_ptr();
        switch (mc[i].op) {
        case __HYPERVISOR_xen_version:
            mc[i].args[0] = (uint32_t)R(0x12);
            break;
        case __HYPERVISOR_update_va_mapping: {
            uint64_t pte = any_pte(false) | PTE_P;
            mc[i].args[0] = R(2) ? sac_page_va() : HOLE_VA + ((uint32_t)R(0x9800000) & ~0xfffu);
            mc[i].args[1] = (uint32_t)pte;
            mc[i].args[2] = (uint32_t)(pte >> 32);
            mc[i].args[3] = (uint32_t)R(4);
            break;
        }
        case __HYPERVISOR_mmu_update: case __HYPERVISOR_mmuext_op:
            /* Their request lists are the multicall list itself. */
            mc[i].args[0] = (uint32_t)&mc[R(n)] + (uint32_t)R(4) * 8;
            mc[i].args[1] = (uint32_t)R(4);
            mc[i].args[3] = DOMID_SELF;
            break;
        case __HYPERVISOR_vcpu_op:
            mc[i].args[0] = R(4) ? VCPUOP_get_runstate_info : VCPUOP_is_up;
            mc[i].args[1] = (uint32_t)R(3);
            break;
        case __HYPERVISOR_memory_op:
            mc[i].args[0] = R(2) ? XENMEM_maximum_ram_page : XENMEM_current_reservation;
            break;
        case __HYPERVISOR_update_descriptor: {
            uint64_t m = ((uint64_t)scratch_mfn() << 12) + R(512) * 8;
            mc[i].args[0] = (uint32_t)m;
            mc[i].args[1] = (uint32_t)(m >> 32);
            break;
        }
        }
    }
    /* Any pair of words a neighbour may read as a request (an 8-byte
     * machine address): never one in our live tables or the pool, never a
     * base-pointer switch. */
    for (unsigned i = 0; i < n; i++)
        for (unsigned a = 0; a < 6; a++) {
            uint32_t w = mc[i].args[a];
            if (is_pt_mfn(w >> 12) || is_pool_mfn(w >> 12) || w == MMUEXT_NEW_BASEPTR ||
                w == MMUEXT_NEW_USER_BASEPTR || w == MMUEXT_PIN_L3_TABLE)
                mc[i].args[a] = 0xfffff000u | (w & 0xff8);
        }
    long rc = hypercall2(__HYPERVISOR_multicall, R(6) ? (uint32_t)mc : any_ptr(),
                         R(5) ? n : any_count());
    restore_state(0);
    return rc;
}

static long grant_attack(void)
{
    fill_random(arg_buf, 512);
    uint32_t *w = (uint32_t *)arg_buf;
    w[3] = R(2) ? (uint32_t)&arg_buf[8192] : any_ptr();   /* setup_table's u32 frame list */
    if (R(2))
        ((uint16_t *)arg_buf)[0] = DOMID_SELF;
    unsigned cmd = (unsigned)R(16);
    uint32_t uop = R(5) ? (uint32_t)arg_buf : any_ptr(), count = any_count();
    /* map_grant_ref and unmap_and_replace write a PTE at an address they
     * read: only addresses we may lose. */
    if (uop == (uint32_t)arg_buf &&
        (cmd == GNTTABOP_map_grant_ref || cmd == GNTTABOP_unmap_and_replace ||
         cmd == GNTTABOP_unmap_grant_ref)) {
        size_t size = cmd == GNTTABOP_map_grant_ref ? sizeof(struct gnttab_map_grant_ref)
                                                    : sizeof(struct gnttab_unmap_and_replace);
        size_t n = count < ARG_BUF_SIZE / size ? count : ARG_BUF_SIZE / size;
        fill_random(arg_buf, n * size);
        for (size_t i = 0; i < n; i++) {
            uint64_t *q = (uint64_t *)&arg_buf[i * size];
            q[0] = R(2) ? any_target_va() : safe_entry(any_entry_maddr());
            if (cmd == GNTTABOP_unmap_and_replace)
                q[1] = any_target_va();
        }
    }
    return hypercall3(__HYPERVISOR_grant_table_op, cmd, uop, count);
}

/* A place pvshim may write runstate or time into: never our image. */
static uint32_t area_va(void)
{
    switch (R(5)) {
    case 0: return sac_page_va() + (uint32_t)R(PG / 4) * 4;
    case 1: return (uint32_t)&arg_buf[2048 + R(64) * 4];
    case 2: return si->pt_base + (uint32_t)R(si->nr_pt_frames * PG / 4) * 4;   /* read-only */
    case 3: return HOLE_VA + (uint32_t)R(0x9800000);
    default: return 0;
    }
}

static long vcpu_attack(void)
{
    unsigned cmd = (unsigned)R(20);
    fill_random(arg_buf, 4096);                 /* a garbage 2800-byte context too */
    uint32_t *q = (uint32_t *)arg_buf;
    switch (cmd) {
    case VCPUOP_register_vcpu_info: {
        static const uint32_t bad[] = { 0, 1, 0xfee00, 0xfffff, ~0u };
        struct vcpu_register_vcpu_info *v = (void *)arg_buf;
        v->mfn = R(2) ? p2m[(si->pt_base - VIRT_BASE) / PG + R(si->nr_pt_frames)] : bad[R(5)];
        v->offset = (uint32_t)(R(2) ? R(64) * 64 : R(1ull << 32));
        v->rsvd = (uint32_t)(R(4) ? 0 : R(1ull << 32));
        break;
    }
    case VCPUOP_register_runstate_memory_area:
    case VCPUOP_register_vcpu_time_memory_area:
        q[0] = area_va();
        q[1] = 0;
        break;
    case VCPUOP_set_singleshot_timer:
    case VCPUOP_set_periodic_timer:
        q[0] = (uint32_t)(R(2) ? R(100000000) : R(1ull << 32));
        q[1] = R(2) ? 0 : (uint32_t)R(1ull << 32);
        break;
    }
    uint32_t arg = R(6) ? (uint32_t)arg_buf : any_ptr();
    if (cmd == VCPUOP_register_vcpu_info || cmd == VCPUOP_register_runstate_memory_area ||
        cmd == VCPUOP_register_vcpu_time_memory_area)
        arg = (uint32_t)arg_buf;
    unsigned vcpu = R(8) ? 0 : (unsigned)R(1000);
    /* Never a running vCPU down or re-initialised. */
    if ((cmd == VCPUOP_down || cmd == VCPUOP_initialise || cmd == VCPUOP_up) && vcpu < nr_cpus)
        vcpu += nr_cpus;
    long rc = hypercall3(__HYPERVISOR_vcpu_op, cmd, vcpu, arg);
    if (cmd == VCPUOP_register_vcpu_info && rc == 0)
        fail("vcpu_info placed on a frame that must be refused (mfn)",
             ((struct vcpu_register_vcpu_info *)arg_buf)->mfn, 0);
    return rc;
}

static long callback_attack(void)
{
    long rc;
    switch (R(4)) {
    case 0:
        rc = hypercall4(__HYPERVISOR_set_callbacks, R(1ull << 16), any_ptr(), R(1ull << 16),
                        any_ptr());
        break;
    case 1: {
        /* 12 bytes: type, flags, cs, eip. */
        struct callback_register *cb = (struct callback_register *)arg_buf;
        cb->type = (uint16_t)R(10);
        cb->flags = (uint16_t)R(1 << 16);
        cb->address.cs = (uint32_t)R(2) ? RING1_CS & ~3 : (uint32_t)R(1ull << 32);
        cb->address.eip = any_ptr();
        rc = hypercall2(__HYPERVISOR_callback_op, R(3), R(5) ? (uint32_t)cb : any_ptr());
        break;
    }
    case 2: {
        struct trap_info *t = (struct trap_info *)arg_buf;
        unsigned n = (unsigned)R(8);
        for (unsigned i = 0; i < n; i++) {
            t[i].vector = (uint8_t)R(256);
            t[i].flags = (uint8_t)R(256);
            t[i].cs = (uint16_t)R(1 << 16);
            t[i].address = any_ptr();
        }
        t[n].address = 0;
        rc = hypercall1(__HYPERVISOR_set_trap_table, R(4) ? (uint32_t)t : any_ptr());
        break;
    }
    default:
        rc = hypercall2(__HYPERVISOR_stack_switch, R(1 << 16), any_ptr());
        break;
    }
    restore_state(0);
    return rc;
}

/*
 * HYPERVISOR_iret of a frame we forge (never to ring 0: Xen kills the
 * domain for that): to ring 1 or ring 3 at iret_landing, with selectors
 * that cannot load (failsafe), EFLAGS with VM, IOPL, NT, TF and the rest
 * at random. Whatever it does, we come back by a trap, the failsafe
 * callback or the landing, and pvshim must not have given us an IOPL or
 * real interrupts off.
 */
static void forged_iret_attack(void)
{
    static const uint32_t cs_list[] = { RING1_CS, RING1_CS, RING3_CS, 0x0ffb, 0x0ff9, 0x1001,
                                        0x000f, 0xe00b /* pvshim's own, RPL 3 */, 0xe009 };
    uint32_t cs = cs_list[R(ARRAY_LEN(cs_list))];
    uint32_t eflags = (uint32_t)R(1ull << 32);
    if (R(2))
        eflags &= ~(1u << 17 | 1u << 8);            /* mostly no VM86 and no TF */
    uint32_t ss = R(4) ? RING3_DS : (uint32_t)R(1 << 16) | 3;
    uint32_t esp = (uint32_t)arg_buf + ARG_BUF_SIZE - 64;
    shinfo->vcpu_info[0].evtchn_upcall_mask = 1;
    forge_iret(0x5a5a, (uint32_t)iret_landing, cs, eflags, esp, ss);
}

static long evtchn_attack(void)
{
    uint32_t *w = (uint32_t *)arg_buf;
    for (unsigned i = 0; i < 8; i++) {
        switch (R(5)) {
        case 0: w[i] = (uint32_t)R(8); break;
        case 1: w[i] = (uint32_t)R(1100); break;            /* past 1024: 2-level, 32-bit */
        case 2: w[i] = DOMID_SELF; break;
        case 3: w[i] = (uint32_t)R(1ull << 32); break;
        default: w[i] = (uint32_t)R(64); break;
        }
    }
    if (R(4) == 0) {
        /* The old interface: struct evtchn_op {cmd; union} in memory. */
        w[0] = (uint32_t)R(16);
        return hypercall1(__HYPERVISOR_event_channel_op_compat, R(6) ? (uint32_t)w : any_ptr());
    }
    return hypercall2(__HYPERVISOR_event_channel_op, R(16), R(6) ? (uint32_t)w : any_ptr());
}

/* Reservations in the 20-byte layout, u32 extents; frames given back only
 * from the scratch range (never the pool or our image). */
static long memory_attack(void)
{
    struct xen_memory_reservation *r = (struct xen_memory_reservation *)arg_buf;
    uint32_t *ext = (uint32_t *)&arg_buf[4096];
    memset(r, 0, sizeof(*r));
    unsigned cmd = (unsigned)R(32);
    if (cmd == XENMEM_exchange && R(2) == 0)
        cmd = XENMEM_decrease_reservation;
    set_xen_guest_handle(r->extent_start, R(3) ? (xen_pfn_t *)ext : (xen_pfn_t *)any_ptr());
    r->nr_extents = R(3) ? (uint32_t)R(8) : any_count();
    r->extent_order = R(4) ? 0 : (unsigned)R(24);
    r->domid = R(6) ? DOMID_SELF : (domid_t)R(1 << 16);
    /* Extents given away (decrease, exchange: PV names MFNs) are only ever
     * scratch frames, or frames that do not exist. */
    bool give = cmd == XENMEM_decrease_reservation || cmd == XENMEM_exchange;
    for (unsigned i = 0; i < 64; i++)
        ext[i] = give ? (R(4) ? scratch_mfn() : si->nr_pages + 0x100000 + (uint32_t)R(0x1000))
                      : R(4) ? scratch_pfn0 + (uint32_t)R(scratch_count) : any_mfn(true);
    if (cmd == XENMEM_exchange) {
        /* 44 bytes: in (20), out (20), nr_exchanged. */
        fill_random(&arg_buf[20], 24);
        uint32_t *x = (uint32_t *)&arg_buf[20];
        x[0] = (uint32_t)&arg_buf[8192];
        x[1] = (uint32_t)R(4);
        x[2] = (uint32_t)R(3);
        x[3] = (uint32_t)R(2) ? 0 : (uint32_t)R(40) << 8;
        x[4] = DOMID_SELF;
        ((uint32_t *)arg_buf)[10] = R(4) ? 0 : (uint32_t)R(8);
    }
    return hypercall2(__HYPERVISOR_memory_op, cmd | (R(8) ? 0 : (uint32_t)R(1 << 26) << 6),
                      R(6) ? (uint32_t)arg_buf : any_ptr());
}

static long sched_attack(void)
{
    switch (R(5)) {
    case 0:
        return hypercall2(__HYPERVISOR_sched_op, SCHEDOP_yield, 0);
    case 1: {
        /* 16 bytes: ports handle, nr_ports, a 64-bit timeout long past. */
        struct sched_poll *p = (struct sched_poll *)arg_buf;
        uint32_t *ports = (uint32_t *)&arg_buf[512];
        for (unsigned i = 0; i < 8; i++)
            ports[i] = (uint32_t)R(1100);
        set_xen_guest_handle(p->ports, R(4) ? ports : (evtchn_port_t *)any_ptr());
        p->nr_ports = R(4) ? (uint32_t)R(9) : any_count();
        p->timeout = 1 + R(2);
        return hypercall2(__HYPERVISOR_sched_op, SCHEDOP_poll,
                          R(8) ? (uint32_t)p : any_bad_list() | 1);
    }
    case 2: {
        struct sched_remote_shutdown *s = (struct sched_remote_shutdown *)arg_buf;
        s->domain_id = (domid_t)(2 + R(0x7fe0));            /* never ourselves */
        s->reason = (unsigned)R(8);
        return hypercall2(__HYPERVISOR_sched_op, SCHEDOP_remote_shutdown, arg_buf);
    }
    case 3:
        /* The old sched_op: yield, or a command it does not have. */
        return hypercall2(__HYPERVISOR_sched_op_compat, R(2) ? SCHEDOP_yield : 5 + R(100), 0);
    default:
        return hypercall2(__HYPERVISOR_sched_op, 8 + R(100), any_ptr());
    }
}

static unsigned last_op;

/* After each attack: no entry of the sacrificial range maps one of our
 * tables writable. Reported once per entry value (the attack that made
 * it is the one named). */
void scan_sacrificial(void)
{
    static uint64_t reported[SAC_PAGES];
    for (unsigned i = 0; i < SAC_PAGES; i++) {
        uint64_t e = sac_l1[sac_l1_first + i];
        if (writable_table(e) && reported[i] != e) {
            reported[i] = e;
            printf("FAIL a page table is mapped writable: va %#x entry %#llx, after %s\n",
                   (unsigned)(sac_va + i * PG), (unsigned long long)e, op_names[last_op]);
            __atomic_fetch_add(&failures, 1, __ATOMIC_SEQ_CST);
        }
    }
}

void attack(void)
{
    unsigned op = (unsigned)R(nr_cpus > 1 ? NR_OPS : NR_OPS - 1);
    op_counts[op]++;
    last_op = op;
    switch (op) {
    case 0: int82_attack(); break;
    case 1: mmu_update_attack(); break;
    case 2: mmuext_attack(); break;
    case 3: uva_attack(); break;
    case 4: ptwr_halves_attack(); break;
    case 5: update_descriptor_attack(); break;
    case 6: set_gdt_attack(); restore_state(0); break;
    case 7: multicall_attack(); break;
    case 8: grant_attack(); break;
    case 9: vcpu_attack(); break;
    case 10: callback_attack(); break;
    case 11: forged_iret_attack(); break;
    case 12: evtchn_attack(); break;
    case 13: memory_attack(); break;
    case 14: sched_attack(); break;
    default: race_op(0); break;
    }
}
