/*
 * The attacks: one random operation per call. Arguments come from the
 * pickers below, which know what pvshim must refuse (its own range,
 * unmapped and non-canonical memory, frames that are not ours or are page
 * tables) and what we must never hand it for writing (our image, stack and
 * live tables outside the sacrificial range), so every attack can be
 * survived whatever pvshim answers, unless pvshim itself misbehaves.
 */
#include "hostile.h"

unsigned long op_counts[32];
unsigned long ldt_loads;
unsigned long linear_made;
const char *const op_names[32] = {
    "mmu_update", "mmuext_op", "update_va_mapping", "direct page-table store",
    "set_gdt", "update_descriptor", "multicall", "event_channel_op", "memory_op",
    "vcpu_op", "sched_op", "grant_table_op", "console_io", "xen_version",
    "set_trap_table", "fault with a bad trap entry", "callbacks", "forged iret",
    "segment/fpu/debug/assist/physdev/nmi/timer", "unknown hypercall",
    "probe of pvshim and table memory", "LDT in a sacrificial page, loaded by a selector",
    "grant mappings of our own grants", "port I/O to pvshim's devices",
    "linear page tables", "race on the pool with the other vCPUs",
};
/* The race op only with other vCPUs: a one-vCPU run draws as it always did. */
#define NR_OPS (nr_cpus > 1 ? 26 : 25)

/* ---- pickers */

static uint64_t sac_page_va(void) { return sac_va + rnd_below(sac_pages) * PG; }

/* A pointer pvshim may be asked to read or write: never our image. */
static uint64_t any_ptr(void)
{
    switch (rnd_below(12)) {
    case 0: case 1: case 2: return (uint64_t)arg_buf + rnd_below(sizeof(arg_buf)) / 8 * 8;
    case 3: return 0xffff800000000000ull + (rnd() & 0x7fffffff8ull);     /* pvshim */
    case 4: return 0x0000800000000000ull | (rnd() & 0xfff8);             /* non-canonical */
    case 5: return 0x8000000000000000ull + (rnd() & 0xfff8);
    /* Unmapped, above RAM: also as a machine address (when a list reads it as
     * an mmu_update request) it names no frame of ours. */
    case 6: return (1ull << 32) + (rnd_below(1ull << 32) & ~7ull);
    case 7: return (uint64_t)arg_buf + sizeof(arg_buf) - rnd_below(64);   /* straddles */
    case 8: return si->pt_base + rnd_below(si->nr_pt_frames * PG);       /* read-only tables */
    case 9: return sac_page_va() + rnd_below(PG);
    case 10: return 0;
    default: return rnd();
    }
}

/* A request list pvshim cannot read or reads only our page tables from:
 * never stale requests in the argument buffer, read at another alignment. */
static uint64_t any_bad_list(void)
{
    switch (rnd_below(5)) {
    case 0: return 0xffff800000000000ull + (rnd() & 0x7fffffff8ull);
    case 1: return 0x0000800000000000ull | (rnd() & 0xfff8);
    case 2: return (1ull << 32) + (rnd_below(1ull << 32) & ~7ull);
    case 3: return si->pt_base + rnd_below(si->nr_pt_frames * PG / 8) * 8;
    default: return 0;
    }
}

/* A pointer pvshim must refuse to read: into pvshim, non-canonical, above RAM, null. */
static uint64_t any_unreadable_ptr(void)
{
    switch (rnd_below(4)) {
    case 0: return 0xffff800000000000ull + (rnd() & 0x7fffffff8ull);
    case 1: return 0x0000800000000000ull | (rnd() & 0xfff8);
    case 2: return (1ull << 32) + (rnd_below(1ull << 32) & ~7ull);
    default: return 0;
    }
}

static uint64_t any_count(void)
{
    static const uint64_t c[] = { 0, 1, 2, 3, 7, 16, 255, 4096, 0x7fffffff, 0x80000000,
                                  0xffffffff, 0x100000000ull, ~0ull };
    return rnd_below(4) ? rnd_below(9) : c[rnd_below(sizeof(c) / sizeof(c[0]))];
}

static unsigned long scratch_mfn(void) { return p2m[scratch_pfn + 1 + rnd_below(scratch_count - 1)]; }
static unsigned long sac_mfn(void)
{
    uint64_t e = sac_l1[sac_l1_first + rnd_below(sac_pages)];
    unsigned long m = (e & PTE_ADDR) >> 12;
    return (e & PTE_P) && !is_our_mfn(m) ? m : scratch_mfn();
}

/* A frame to name; `harmless`: never one whose contents we live on. */
static unsigned long any_mfn(bool harmless)
{
    switch (rnd_below(harmless ? 10 : 12)) {
    case 0: case 1: return scratch_mfn();
    case 2: return sac_mfn();
    case 3: return p2m[((si->pt_base - VIRT_BASE) / PG) + rnd_below(si->nr_pt_frames)];
    case 4: return rnd_below(0x400);                     /* low memory: pvshim's own */
    case 5: return 0xfee00 + rnd_below(2);                /* local APIC, I/O */
    case 6: return (1ull << 40) - 1 - rnd_below(2);
    case 7: return ~0ul - rnd_below(2);
    case 8: return nr_pages + 0x100000 + rnd_below(0x1000);
    case 9: return rnd() & 0xfffffffff;
    case 10: return p2m[rnd_below(region_pages)];        /* our own image and data */
    default: return si->shared_info >> 12;
    }
}

static unsigned long any_mfn_checked(bool harmless)
{
    unsigned long m = any_mfn(harmless);
    /* Frames we live on are never offered where pvshim could write them. */
    return harmless && is_our_mfn(m) && !is_pt_mfn(m) ? scratch_mfn() : m;
}

static uint64_t any_flags(void)
{
    static const uint64_t bits[] = { PTE_P, PTE_RW, PTE_US, 0x8, 0x10, PTE_A, PTE_D, 0x80,
                                     0x100, 0x200, 0x400, 0x800, 1ull << 52, 1ull << 62,
                                     1ull << 63, 1ull << 51 };
    uint64_t f = rnd_below(3) ? PTE_P | PTE_US | PTE_A : 0;
    for (unsigned n = (unsigned)rnd_below(4); n; n--)
        f ^= bits[rnd_below(16)];
    if (rnd_below(2))
        f |= PTE_RW;
    return f;
}

/* An entry; one naming a frame we live on is never writable (we could not
 * tell a write through it from a write pvshim was told to do). */
static uint64_t any_pte(bool harmless)
{
    unsigned long m = any_mfn_checked(harmless);
    uint64_t f = any_flags();
    if (is_our_mfn(m) && !is_pt_mfn(m))
        f &= ~PTE_RW;
    /* Present when it names one of our tables: read later as an mmu_update
     * request (a stale or misaligned word), it is a MACHPHYS or invalid
     * command, never a write into that table. */
    if (is_pt_mfn(m))
        f |= PTE_P;
    return (m << 12) | f;
}

/* A virtual address whose mapping we may change: never where we live. */
static uint64_t any_target_va(void)
{
    switch (rnd_below(7)) {
    case 0: case 1: case 2: return sac_page_va();
    case 3: return 0xffff800000000000ull + (rnd() & 0x7ffffffff000ull);   /* pvshim */
    case 4: return 0x0000800000000000ull + (rnd() & 0xfffff000ull);     /* non-canonical */
    case 5: return (rnd() & 0x00007ffffffff000ull);                      /* user half */
    default: return sac_page_va() + 1 + rnd_below(PG - 1);              /* unaligned */
    }
}

/* Our live tables only where we allow it (sacrificial L1 entries, L4 slots
 * below 511): any other entry of theirs goes to a scratch frame instead. */
static uint64_t safe_entry(uint64_t maddr)
{
    unsigned long mfn = (maddr & PTE_ADDR) >> 12;
    if (!is_pt_mfn(mfn))
        return maddr;
    return (scratch_mfn() << 12) + (maddr & 0xfff);
}

/* A machine address of a page-table entry we may overwrite. */
static uint64_t any_entry_maddr(void)
{
    unsigned long sac_l1_mfn = p2m[((unsigned long)sac_l1 - VIRT_BASE) / PG];
    switch (rnd_below(6)) {
    case 0: case 1:
        return (sac_l1_mfn << 12) + (sac_l1_first + rnd_below(sac_pages)) * 8;
    case 2: return (l4_mfn << 12) + rnd_below(511) * 8;                 /* not slot 511 */
    case 3: return (scratch_mfn() << 12) + rnd_below(512) * 8;
    case 4: return safe_entry((any_mfn_checked(true) << 12) + rnd_below(4096));
    default: return safe_entry(rnd());
    }
}

static void fill_random(void *p, size_t n)
{
    uint8_t *b = p;
    for (size_t i = 0; i < n; i++)
        b[i] = (uint8_t)rnd();
}

/* ---- attacks */

static long mmu_update_attack(void)
{
    mmu_update_t *r = (mmu_update_t *)arg_buf;
    unsigned n = 1 + (unsigned)rnd_below(8);
    for (unsigned i = 0; i < n; i++) {
        r[i].ptr = (any_entry_maddr() & ~7ull) | rnd_below(4);
        if (rnd_below(8) == 0)
            r[i].ptr ^= rnd_below(8);
        r[i].val = (r[i].ptr & 3) == MMU_MACHPHYS_UPDATE ? rnd_below(nr_pages + 16) : any_pte(true);
    }
    r[n].ptr = r[n].val = 0;
    uint64_t list = rnd_below(6) ? (uint64_t)arg_buf : any_bad_list();
    uint64_t count = rnd_below(5) ? n : any_count();
    uint64_t pdone = rnd_below(3) ? (uint64_t)&arg_buf[60000] :
                     rnd_below(2) ? (uint64_t)&r[rnd_below(n)] : any_ptr();   /* overlaps */
    uint64_t dom = rnd_below(6) ? DOMID_SELF : rnd_below(0x10000);
    return hypercall5(__HYPERVISOR_mmu_update, list, count, pdone, dom, 0);
}

static long mmuext_attack(void)
{
    struct mmuext_op *o = (struct mmuext_op *)arg_buf;
    unsigned n = 1 + (unsigned)rnd_below(4);
    for (unsigned i = 0; i < n; i++) {
        memset(&o[i], 0, sizeof(o[i]));
        o[i].cmd = (unsigned)rnd_below(24);
        switch (o[i].cmd) {
        case MMUEXT_NEW_BASEPTR:
            o[i].arg1.mfn = rnd_below(2) ? l4_mfn : any_mfn_checked(true);
            break;
        case MMUEXT_INVLPG_LOCAL: case MMUEXT_INVLPG_MULTI: case MMUEXT_INVLPG_ALL:
        case MMUEXT_SET_LDT:
            o[i].arg1.linear_addr = rnd_below(2) ? any_target_va() : rnd();
            break;
        default:
            o[i].arg1.mfn = any_mfn_checked(true);
            break;
        }
        switch (rnd_below(4)) {
        case 0: o[i].arg2.nr_ents = (unsigned)any_count(); break;
        case 1: o[i].arg2.vcpumask.p = (void *)any_ptr(); break;
        case 2: o[i].arg2.src_mfn = any_mfn(false); break;
        default: o[i].arg2.nr_ents = (unsigned)rnd(); break;
        }
    }
    /* A NEW_BASEPTR to a frame an earlier attack pinned as an L4 would take
     * our address space away: only our L4, our other tables (refused) and
     * frames that are not RAM are ever offered. */
    for (unsigned i = 0; i < n; i++)
        if (o[i].cmd == MMUEXT_NEW_BASEPTR && o[i].arg1.mfn != l4_mfn &&
            !is_pt_mfn(o[i].arg1.mfn))
            o[i].arg1.mfn = rnd_below(2) ? (1ull << 40) - 1 : nr_pages + 0x100000;
    uint64_t pdone = rnd_below(2) ? (uint64_t)&arg_buf[60000] : any_ptr();
    uint64_t dom = rnd_below(6) ? DOMID_SELF : rnd_below(0x10000);
    memset(&o[n], 0, sizeof(o[n]));     /* a count past n stops at a refused PIN */
    return hypercall5(__HYPERVISOR_mmuext_op, rnd_below(6) ? (uint64_t)arg_buf : any_bad_list(),
                      rnd_below(5) ? n : any_count(), pdone, dom, 0);
}

static long uva_attack(void)
{
    uint64_t va = any_target_va(), pte = any_pte(false);
    uint64_t flags = rnd_below(4) | (rnd_below(2) ? UVMF_ALL : 0);
    if (rnd_below(4) == 0)
        flags |= rnd_below(2) ? (uint64_t)arg_buf : any_ptr() & ~7ull;
    long rc = hypercall5(__HYPERVISOR_update_va_mapping, va, pte, flags, 0, 0);
    if (rc == 0 && (pte & (PTE_P | PTE_RW)) == (PTE_P | PTE_RW) && is_pt_mfn((pte & PTE_ADDR) >> 12))
        fail("update_va_mapping made a page table writable (va, pte)", va, pte);
    return rc;
}

static void direct_store_attack(void)
{
    uint64_t *e = &sac_l1[sac_l1_first + rnd_below(sac_pages)];
    if (rnd_below(16) == 0)
        e = (uint64_t *)si->pt_base + rnd_below(511);      /* our L4, read-only: #PF */
    uint64_t v = any_pte(false);
    switch (rnd_below(7)) {
    case 0: pt_store_mov(e, v); break;
    case 1: pt_store_xchg(e, v); break;
    case 2: pt_store_cmpxchg(e, *e, v); break;
    case 3: pt_store_or(e, v & 0xfff); break;
    case 4: pt_store_and(e, ~(v & 0xfff)); break;
    case 5: pt_store_32(e, (uint32_t)v); break;
    default: pt_store_btr(e, rnd_below(64)); break;
    }
}

static long set_gdt_attack(void)
{
    unsigned long *frames = (unsigned long *)arg_buf;
    unsigned n = (unsigned)rnd_below(17);
    for (unsigned i = 0; i < n; i++)
        frames[i] = any_mfn_checked(true);
    return hypercall5(__HYPERVISOR_set_gdt, rnd_below(5) ? (uint64_t)frames : any_ptr(),
                      rnd_below(3) ? rnd_below(n * 512 + 1) : any_count(), 0, 0, 0);
}

static long update_descriptor_attack(void)
{
    static const uint64_t d[] = {
        0, 0x00affb000000ffffull, 0x00af9b000000ffffull, 0x00cff3000000ffffull,
        0x0000ec0000e00000ull, 0x00008c0000e33000ull, 0x0000890000000067ull,
        0x0000820000000fffull, 0x00008e0000e00000ull, 0x00cffa000000ffffull,
    };
    uint64_t desc = rnd_below(3) ? d[rnd_below(10)] : rnd();
    uint64_t maddr = (any_mfn_checked(true) << 12) + rnd_below(512) * 8 + (rnd_below(8) ? 0 : 4);
    return hypercall5(__HYPERVISOR_update_descriptor, maddr, desc, 0, 0, 0);
}

static long multicall_attack(void)
{
    /* No iret: in a batch it is performed, as on Xen, and would resume at
     * whatever the stack holds (forged_iret_attack forges frames). */
    static const unsigned ops[] = {
        __HYPERVISOR_xen_version, __HYPERVISOR_mmu_update, __HYPERVISOR_mmuext_op,
        __HYPERVISOR_multicall, __HYPERVISOR_event_channel_op,
        __HYPERVISOR_memory_op, __HYPERVISOR_update_va_mapping, __HYPERVISOR_vcpu_op,
        __HYPERVISOR_set_segment_base, 60,
    };
    multicall_entry_t *mc = (multicall_entry_t *)&arg_buf[1024];
    unsigned n = 1 + (unsigned)rnd_below(8);
    /* Past the list, harmless entries up to the guard page (a count beyond
     * n reads them; stale bytes could be anything, a set_trap_table even). */
    for (multicall_entry_t *m = &mc[n]; (uint8_t *)(m + 1) <= arg_buf + sizeof(arg_buf); m++) {
        memset(m, 0, sizeof(*m));
        m->op = __HYPERVISOR_xen_version;
    }
    for (unsigned i = 0; i < n; i++) {
        memset(&mc[i], 0, sizeof(mc[i]));
        mc[i].op = ops[rnd_below(sizeof(ops) / sizeof(ops[0]))];
        for (unsigned a = 0; a < 6; a++)
            mc[i].args[a] = rnd_below(3) ? (uint64_t)&mc[rnd_below(n)] + rnd_below(8) * 8
                                         : rnd_below(2) ? any_count() : any_ptr();
        switch (mc[i].op) {
        case __HYPERVISOR_xen_version:
            mc[i].args[0] = rnd_below(0x12);
            break;
        case __HYPERVISOR_update_va_mapping:
            /* Present: read as an mmu_update request by a neighbour, the
             * entry is then a MACHPHYS or invalid command, never a write
             * into one of our live tables. */
            mc[i].args[0] = rnd_below(2) ? sac_page_va() : 0xffff800000000000ull + (rnd() & 0x7ffffff000ull);
            mc[i].args[1] = any_pte(false) | PTE_P;
            break;
        case __HYPERVISOR_mmu_update: case __HYPERVISOR_mmuext_op:
            /* Their request lists are the multicall list itself, read as
             * requests while results are written into it; a few only. At
             * an even word a result is only ever an mmu_update value. */
            mc[i].args[0] = (uint64_t)&mc[rnd_below(n)] + rnd_below(4) * 16;
            mc[i].args[1] = rnd_below(4);
            mc[i].args[3] = DOMID_SELF;
            break;
        case __HYPERVISOR_vcpu_op:
            mc[i].args[0] = rnd_below(4) ? VCPUOP_get_runstate_info : VCPUOP_is_up;
            break;
        case __HYPERVISOR_set_segment_base:
            mc[i].args[0] = rnd_below(3);       /* FS, GS kernel, GS user bases */
            break;
        case __HYPERVISOR_memory_op:
            mc[i].args[0] = rnd_below(2) ? XENMEM_maximum_ram_page : XENMEM_current_reservation;
            break;
        }
    }
    /* Any word a neighbour may read as a request: never a machine address in
     * one of our live tables, never a base-pointer switch. The replacement
     * names a frame that does not exist, and its low word is a multiple of
     * 8: no mmu_update command bits, never NEW_BASEPTR or NEW_USER_BASEPTR. */
    for (unsigned i = 0; i < n; i++)
        for (unsigned a = 0; a < 6; a++) {
            uint64_t w = mc[i].args[a];
            if (is_pt_mfn((w & PTE_ADDR) >> 12) || (uint32_t)w == MMUEXT_NEW_BASEPTR ||
                (uint32_t)w == MMUEXT_NEW_USER_BASEPTR)
                mc[i].args[a] = (1ull << 40) + (w & 0xff8);
        }
    return hypercall5(__HYPERVISOR_multicall, rnd_below(6) ? (uint64_t)mc : any_ptr(),
                      rnd_below(5) ? n : any_count(), 0, 0, 0);
}

/*
 * FIFO event channels: a control block or event array page in a frame we
 * can spare (then scribbled over by the other attacks), priorities, and
 * EVTCHNOP_reset back to 2-level, which drops pvshim's hold on the frames.
 */
static long fifo_attack(void)
{
    unsigned cmd;
    memset(arg_buf, 0, 16);
    switch (rnd_below(4)) {
    case 0: {
        struct evtchn_init_control *ic = (struct evtchn_init_control *)arg_buf;
        cmd = EVTCHNOP_init_control;
        ic->control_gfn = rnd_below(2) ? scratch_mfn() : any_mfn_checked(true);
        ic->offset = rnd_below(3) ? (uint32_t)rnd_below(PG / 8) * 8 : (uint32_t)rnd();
        ic->vcpu = rnd_below(4) ? 0 : (uint32_t)rnd_below(3);
        break;
    }
    case 1:
        cmd = EVTCHNOP_expand_array;
        ((struct evtchn_expand_array *)arg_buf)->array_gfn =
            rnd_below(2) ? scratch_mfn() : any_mfn_checked(true);
        break;
    case 2:
        cmd = EVTCHNOP_set_priority;
        ((struct evtchn_set_priority *)arg_buf)->port = (uint32_t)rnd_below(64);
        ((struct evtchn_set_priority *)arg_buf)->priority = (uint32_t)rnd_below(20);
        break;
    default:
        cmd = EVTCHNOP_reset;
        ((struct evtchn_reset *)arg_buf)->dom = DOMID_SELF;
        break;
    }
    return hypercall5(__HYPERVISOR_event_channel_op, cmd, arg_buf, 0, 0, 0);
}

static long evtchn_attack(void)
{
    if (rnd_below(4) == 0)
        return fifo_attack();
    uint32_t *w = (uint32_t *)arg_buf;
    for (unsigned i = 0; i < 8; i++) {
        switch (rnd_below(5)) {
        case 0: w[i] = (uint32_t)rnd_below(8); break;                 /* low ports, vCPUs */
        case 1: w[i] = (uint32_t)rnd_below(4200); break;
        case 2: w[i] = DOMID_SELF; break;
        case 3: w[i] = (uint32_t)rnd(); break;
        default: w[i] = (uint32_t)rnd_below(64); break;               /* virqs */
        }
    }
    return hypercall5(__HYPERVISOR_event_channel_op, rnd_below(16),
                      rnd_below(6) ? (uint64_t)arg_buf : any_ptr(), 0, 0, 0);
}

static long memory_attack(void)
{
    struct xen_memory_reservation *r = (struct xen_memory_reservation *)arg_buf;
    xen_pfn_t *ext = (xen_pfn_t *)&arg_buf[4096];
    memset(r, 0, sizeof(*r));
    r->extent_start.p = rnd_below(3) ? ext : (xen_pfn_t *)any_ptr();
    r->nr_extents = rnd_below(3) ? rnd_below(8) : any_count();
    r->extent_order = rnd_below(4) ? 0 : (unsigned)rnd_below(24);
    r->domid = rnd_below(6) ? DOMID_SELF : (domid_t)rnd();
    unsigned cmd = (unsigned)rnd_below(32);
    for (unsigned i = 0; i < 8; i++) {
        ext[i] = cmd == XENMEM_decrease_reservation ? any_mfn(false) : rnd_below(nr_pages * 2);
        /* The racers' pool stays ours (smp.c checks it at the end). */
        if (nr_cpus > 1 && cmd == XENMEM_decrease_reservation && ext[i] >= race_pfn0 &&
            ext[i] < race_pfn0 + RACE_FRAMES)
            ext[i] += RACE_FRAMES;
    }
    return hypercall5(__HYPERVISOR_memory_op, cmd | (rnd_below(8) ? 0 : rnd() << 6),
                      rnd_below(6) ? (uint64_t)arg_buf : any_ptr(), 0, 0, 0);
}

static bool vcpu_info_moved;     /* never: every placement offered is refused */

/* A place pvshim may write runstate or time into: never our image. */
static uint64_t area_va(void)
{
    switch (rnd_below(6)) {
    case 0: return sac_page_va() + rnd_below(PG / 8) * 8;
    case 1: return (uint64_t)&arg_buf[2048 + rnd_below(64) * 8];
    case 2: return si->pt_base + rnd_below(si->nr_pt_frames * PG / 8) * 8;   /* read-only */
    case 3: return 0xffff800000000000ull + (rnd() & 0x7ffffffff8ull);
    case 4: return 0x0000800000000000ull + rnd_below(4096);
    default: return 0;
    }
}

static long vcpu_attack(void)
{
    unsigned cmd = (unsigned)rnd_below(20);
    fill_random(arg_buf, 64);
    uint64_t *q = (uint64_t *)arg_buf;
    switch (cmd) {
    case VCPUOP_register_vcpu_info: {
        /* Page tables, pvshim's frames, non-RAM, bad offsets: all refused. */
        struct vcpu_register_vcpu_info *v = (void *)arg_buf;
        static const uint64_t bad[] = { 0, 1, 0xfee00, (1ull << 40) - 1, ~0ull };
        v->mfn = rnd_below(2) ? p2m[((si->pt_base - VIRT_BASE) / PG) + rnd_below(si->nr_pt_frames)]
                              : bad[rnd_below(5)];
        v->offset = (uint32_t)(rnd_below(2) ? rnd_below(64) * 64 : rnd());
        v->rsvd = (uint32_t)(rnd_below(4) ? 0 : rnd());
        break;
    }
    case VCPUOP_register_runstate_memory_area:
    case VCPUOP_register_vcpu_time_memory_area:
        q[0] = area_va();
        break;
    case VCPUOP_set_singleshot_timer:
    case VCPUOP_set_periodic_timer:
        q[0] = rnd_below(2) ? rnd_below(100000000) : rnd();
        break;
    case VCPUOP_initialise: case VCPUOP_up: case VCPUOP_down:
        break;
    }
    uint64_t arg = rnd_below(6) ? (uint64_t)arg_buf : any_ptr();
    if (cmd == VCPUOP_register_vcpu_info || cmd == VCPUOP_register_runstate_memory_area ||
        cmd == VCPUOP_register_vcpu_time_memory_area)
        arg = (uint64_t)arg_buf;
    unsigned vcpu = rnd_below(8) ? 0 : (unsigned)rnd_below(1000);
    /* Never a running vCPU down: a racer taken down never finishes. */
    if (cmd == VCPUOP_down && nr_cpus > 1 && vcpu < nr_cpus)
        vcpu += nr_cpus;
    long rc = hypercall5(__HYPERVISOR_vcpu_op, cmd, vcpu, arg, 0, 0);
    if (cmd == VCPUOP_register_vcpu_info && rc == 0) {
        vcpu_info_moved = true;
        fail("vcpu_info placed on a frame that must be refused (mfn)",
             ((struct vcpu_register_vcpu_info *)arg_buf)->mfn, 0);
    }
    return rc;
}

static long sched_attack(void)
{
    switch (rnd_below(6)) {
    case 0:
        return hypercall5(__HYPERVISOR_sched_op, SCHEDOP_yield, 0, 0, 0, 0);
    case 1: {
        struct sched_poll *p = (struct sched_poll *)arg_buf;
        evtchn_port_t *ports = (evtchn_port_t *)&arg_buf[512];
        for (unsigned i = 0; i < 8; i++)
            ports[i] = (evtchn_port_t)rnd_below(4200);
        p->ports.p = rnd_below(4) ? ports : (evtchn_port_t *)any_ptr();
        p->nr_ports = (unsigned)(rnd_below(4) ? rnd_below(9) : any_count());
        p->timeout = 1 + rnd_below(2);          /* long past: returns at once */
        /* Not any_ptr(): a readable struct of zeros polls no port with no
         * timeout, which sleeps until an event comes, on Xen as here. */
        return hypercall5(__HYPERVISOR_sched_op, SCHEDOP_poll,
                          rnd_below(8) ? (uint64_t)p : any_unreadable_ptr(), 0, 0, 0);
    }
    case 2: {
        struct sched_shutdown *s = (struct sched_shutdown *)arg_buf;
        s->reason = (unsigned)rnd();
        return hypercall5(__HYPERVISOR_sched_op, SCHEDOP_shutdown_code, arg_buf, 0, 0, 0);
    }
    case 3: {
        struct sched_remote_shutdown *s = (struct sched_remote_shutdown *)arg_buf;
        s->domain_id = (domid_t)(2 + rnd_below(0x7fe0));     /* never ourselves */
        s->reason = (unsigned)rnd_below(8);
        return hypercall5(__HYPERVISOR_sched_op, SCHEDOP_remote_shutdown, arg_buf, 0, 0, 0);
    }
    case 4: {
        /* A watchdog armed and killed at once; or one that does not exist. */
        struct sched_watchdog *w = (struct sched_watchdog *)arg_buf;
        w->id = 0;
        w->timeout = 1000;
        long id = hypercall5(__HYPERVISOR_sched_op, SCHEDOP_watchdog, arg_buf, 0, 0, 0);
        w->id = id > 0 ? (uint32_t)id : (uint32_t)rnd_below(8) + 1;
        w->timeout = 0;
        return hypercall5(__HYPERVISOR_sched_op, SCHEDOP_watchdog, arg_buf, 0, 0, 0);
    }
    default:
        /* Numbers that are not sched_op commands, or pointers it cannot read. */
        return hypercall5(__HYPERVISOR_sched_op, 8 + rnd_below(100), any_ptr(), 0, 0, 0);
    }
}

static long grant_attack(void)
{
    fill_random(arg_buf, 256);
    uint64_t *q = (uint64_t *)arg_buf;
    q[1] = rnd_below(2) ? (uint64_t)&arg_buf[8192] : any_ptr();     /* frame_list */
    if (rnd_below(2))
        ((uint16_t *)arg_buf)[0] = DOMID_SELF;
    unsigned cmd = (unsigned)rnd_below(16);
    uint64_t uop = rnd_below(5) ? (uint64_t)arg_buf : any_ptr(), count = any_count();
    /*
     * map_grant_ref and unmap_and_replace write a PTE at an address they
     * read, and grant_map_attack leaves grants and handles of ours live:
     * a stale word of the buffer could name where we live (Xen, like
     * pvshim, zaps whatever unmap_and_replace's new_addr maps). So what
     * they read of the buffer is random, with addresses we may lose.
     */
    if (uop == (uint64_t)arg_buf &&
        (cmd == GNTTABOP_map_grant_ref || cmd == GNTTABOP_unmap_and_replace)) {
        size_t size = cmd == GNTTABOP_map_grant_ref ? sizeof(struct gnttab_map_grant_ref)
                                                    : sizeof(struct gnttab_unmap_and_replace);
        size_t n = count < sizeof(arg_buf) / size ? count : sizeof(arg_buf) / size;
        fill_random(arg_buf, n * size);
        for (size_t i = 0; i < n; i++) {
            uint64_t *w = (uint64_t *)&arg_buf[i * size];
            w[0] = any_target_va();
            if (cmd == GNTTABOP_unmap_and_replace)
                w[1] = any_target_va();
        }
    }
    return hypercall5(__HYPERVISOR_grant_table_op, cmd, uop, count, 0, 0);
}

/*
 * Grants of our own frames (our page tables, pvshim's and I/O frames, the
 * sacrificial ones) mapped by linear address or by PTE address, mostly
 * into the sacrificial range, unmapped and replaced at random places.
 * Entries are written into the table with GNTTABOP_copy from arg_buf, so
 * the table frame never needs a mapping of ours. A frame we live on is
 * only ever asked for read-only (a direct store could hit it otherwise);
 * a page table may be asked for writable: pvshim must refuse, and
 * scan_sacrificial() would see it otherwise.
 */
#define GNT_SLOTS 16
static int gnt_domid = -1;
static grant_handle_t gnt_handle[GNT_SLOTS];
static uint64_t gnt_addr[GNT_SLOTS], gnt_dev[GNT_SLOTS];
static bool gnt_live[GNT_SLOTS];

static int own_domid(void)
{
    struct evtchn_alloc_unbound *a = (void *)arg_buf;
    *a = (struct evtchn_alloc_unbound){ .dom = DOMID_SELF, .remote_dom = DOMID_SELF };
    if (HC(__HYPERVISOR_event_channel_op, EVTCHNOP_alloc_unbound, (uint64_t)a, 0, 0, 0))
        return 1;
    evtchn_port_t port = a->port;
    struct evtchn_status *st = (void *)arg_buf;
    *st = (struct evtchn_status){ .dom = DOMID_SELF, .port = port };
    long rc = HC(__HYPERVISOR_event_channel_op, EVTCHNOP_status, (uint64_t)st, 0, 0, 0);
    int d = rc ? 1 : st->u.unbound.dom;
    struct evtchn_close *c = (void *)arg_buf;
    c->port = port;
    HC(__HYPERVISOR_event_channel_op, EVTCHNOP_close, (uint64_t)c, 0, 0, 0);
    return d;
}

static void write_grant(grant_ref_t ref, uint16_t flags, domid_t d, unsigned long mfn)
{
    struct gnttab_setup_table *set = (void *)arg_buf;
    xen_pfn_t *frame = (xen_pfn_t *)&arg_buf[8192];
    *set = (struct gnttab_setup_table){ .dom = DOMID_SELF, .nr_frames = 1 };
    set_xen_guest_handle(set->frame_list, frame);
    if (HC(__HYPERVISOR_grant_table_op, GNTTABOP_setup_table, (uint64_t)set, 1, 0, 0) ||
        set->status)
        return;
    xen_pfn_t table = *frame;
    grant_entry_v1_t *e = (grant_entry_v1_t *)&arg_buf[16384];
    *e = (grant_entry_v1_t){ .flags = flags, .domid = d, .frame = (uint32_t)mfn };
    unsigned long va = (unsigned long)e;
    struct gnttab_copy *c = (void *)arg_buf;
    *c = (struct gnttab_copy){
        .source = { .u.gmfn = p2m[(va - VIRT_BASE) / PG], .domid = DOMID_SELF,
                    .offset = (uint16_t)(va & (PG - 1)) },
        .dest = { .u.gmfn = table, .domid = DOMID_SELF, .offset = (uint16_t)(ref * 8) },
        .len = sizeof(*e) };
    HC(__HYPERVISOR_grant_table_op, GNTTABOP_copy, (uint64_t)c, 1, 0, 0);
}

static void grant_map_attack(void)
{
    if (gnt_domid < 0)
        gnt_domid = own_domid();
    unsigned slot = (unsigned)rnd_below(GNT_SLOTS);
    if (gnt_live[slot] && rnd_below(2)) {
        if (rnd_below(3)) {
            struct gnttab_unmap_grant_ref *u = (void *)arg_buf;
            *u = (struct gnttab_unmap_grant_ref){
                .host_addr = rnd_below(4) ? gnt_addr[slot] : any_target_va(),
                .dev_bus_addr = rnd_below(2) ? gnt_dev[slot] : rnd_below(2) ? rnd() : 0,
                .handle = gnt_handle[slot] };
            HC(__HYPERVISOR_grant_table_op, GNTTABOP_unmap_grant_ref, (uint64_t)u, 1, 0, 0);
        } else {
            struct gnttab_unmap_and_replace *r = (void *)arg_buf;
            *r = (struct gnttab_unmap_and_replace){
                .host_addr = gnt_addr[slot],
                .new_addr = rnd_below(2) ? sac_page_va() : any_target_va(),
                .handle = gnt_handle[slot] };
            HC(__HYPERVISOR_grant_table_op, GNTTABOP_unmap_and_replace, (uint64_t)r, 1, 0, 0);
        }
        if (rnd_below(2))
            gnt_live[slot] = false;
        return;
    }

    grant_ref_t ref = 8 + (grant_ref_t)rnd_below(8);
    unsigned long mfn = any_mfn(false);
    uint32_t flags = (rnd_below(4) ? GNTMAP_host_map : 0) |
                     (rnd_below(3) ? 0 : GNTMAP_device_map) |
                     (rnd_below(3) ? 0 : GNTMAP_readonly) |
                     (rnd_below(4) ? 0 : GNTMAP_contains_pte) |
                     (rnd_below(4) ? 0 : GNTMAP_application_map);
    if (is_our_mfn(mfn) && !is_pt_mfn(mfn))
        flags |= GNTMAP_readonly;
    uint16_t gflags = GTF_permit_access | (rnd_below(4) ? 0 : GTF_readonly) |
                      (rnd_below(8) ? 0 : GTF_sub_page);
    write_grant(ref, rnd_below(8) ? gflags : (uint16_t)rnd(),
                rnd_below(8) ? (domid_t)gnt_domid : (domid_t)rnd(), mfn);
    uint64_t addr = (flags & GNTMAP_contains_pte) ? any_entry_maddr()
                    : rnd_below(4) ? sac_page_va() : any_target_va();
    struct gnttab_map_grant_ref *m = (void *)arg_buf;
    *m = (struct gnttab_map_grant_ref){ .host_addr = addr, .flags = flags, .ref = ref,
                                        .dom = rnd_below(8) ? (domid_t)gnt_domid : DOMID_SELF };
    if (HC(__HYPERVISOR_grant_table_op, GNTTABOP_map_grant_ref, (uint64_t)m, 1, 0, 0) == 0 &&
        m->status == GNTST_okay) {
        /* The frame the entry named then (an earlier write may have failed). */
        unsigned long mapped = m->dev_bus_addr >> 12;
        if (!(flags & GNTMAP_readonly) && is_pt_mfn(mapped))
            fail("a page table was grant-mapped writable (mfn, flags)", mapped, flags);
        gnt_handle[slot] = m->handle;
        gnt_addr[slot] = addr;
        gnt_dev[slot] = m->dev_bus_addr;
        gnt_live[slot] = true;
    }
}

static long console_attack(void)
{
    /* Bad buffers and odd commands; real text only as a few dots. */
    unsigned cmd = (unsigned)rnd_below(4);
    uint64_t p = any_ptr(), n = any_count();
    if (p >= (uint64_t)arg_buf && p < (uint64_t)arg_buf + sizeof(arg_buf)) {
        memset(arg_buf, '.', 8);
        p = (uint64_t)arg_buf;
        n = rnd_below(2);
    }
    if (cmd == CONSOLEIO_write && p >= VIRT_BASE && p < VIRT_BASE + region_pages * PG)
        n = 0;
    return hypercall5(__HYPERVISOR_console_io, cmd, n, p, 0, 0);
}

static long trap_table_attack(void)
{
    struct trap_info *t = (struct trap_info *)arg_buf;
    unsigned n = (unsigned)rnd_below(8);
    for (unsigned i = 0; i < n; i++) {
        t[i].vector = (uint8_t)rnd();
        t[i].flags = (uint8_t)rnd();
        t[i].cs = (uint16_t)rnd();
        t[i].address = rnd_below(2) ? any_ptr() : rnd();
    }
    t[n].address = 0;
    return hypercall5(__HYPERVISOR_set_trap_table, rnd_below(4) ? (uint64_t)t : any_ptr(), 0, 0, 0, 0);
}

static void bad_trap_entry_attack(void)
{
    /* Our table, but the handler of #DE, #BP or #UD points nowhere good;
     * then raise it. The #PF or #GP that follows reaches our real handler. */
    struct trap_info *t = (struct trap_info *)arg_buf;
    unsigned vec = rnd_below(3) == 0 ? 0 : rnd_below(2) ? 3 : 6;
    t[0].vector = (uint8_t)vec;
    t[0].flags = (uint8_t)rnd_below(8);
    t[0].cs = FLAT_KERNEL_CS;
    switch (rnd_below(4)) {
    case 0: t[0].address = 0xffff800000000000ull + (rnd() & 0x7ffffffff0ull); break;
    case 1: t[0].address = rnd_below(1ull << 32); break;
    case 2: t[0].address = 0x0000800000000000ull + rnd_below(4096); break;   /* refused */
    default: t[0].address = 0xffff87fffffffff0ull; break;
    }
    t[1].address = 0;
    hypercall5(__HYPERVISOR_set_trap_table, t, 0, 0, 0, 0);
    if (vec == 0)
        raise_de();
    else if (vec == 3)
        raise_bp();
    else
        raise_ud();
}

static long callback_attack(void)
{
    switch (rnd_below(3)) {
    case 0:
        return hypercall5(__HYPERVISOR_set_callbacks, any_ptr(), any_ptr(), any_ptr(), 0, 0);
    case 1: {
        struct callback_register *cb = (struct callback_register *)arg_buf;
        cb->type = (uint16_t)rnd_below(10);
        cb->flags = (uint16_t)rnd();
        cb->address = rnd_below(2) ? any_ptr() : rnd();
        return hypercall5(__HYPERVISOR_callback_op, rnd_below(3),
                          rnd_below(5) ? (uint64_t)cb : any_ptr(), 0, 0, 0);
    }
    default: {
        struct callback_unregister *cu = (struct callback_unregister *)arg_buf;
        cu->type = (uint16_t)rnd_below(10);
        return hypercall5(__HYPERVISOR_callback_op, CALLBACKOP_unregister, cu, 0, 0, 0);
    }
    }
}

static void forged_iret_attack(void)
{
    uint64_t rflags = rnd();
    uint64_t cs = FLAT_KERNEL_CS & ~3ull;            /* RPL 3 would mean user mode */
    cs |= rnd_below(3);
    uint64_t ss = (FLAT_KERNEL_SS & ~3ull) | rnd_below(4);
    uint64_t flags = rnd_below(2) ? 0 : rnd_below(2) ? VGCF_in_syscall : rnd() & ~0xffull;
    uint64_t got = forge_iret(rflags, cs, ss, flags);
    uint64_t real = (uint32_t)got;
    if ((got >> 32) != 0x5a5a)
        fail("iret did not restore RAX (rax)", got >> 32, 0x5a5a);
    if (real & (3u << 12))
        fail("iret gave the guest an IOPL (forged rflags, real rflags)", rflags, real);
    if (!(real & 0x200))
        fail("iret let the guest run with interrupts off (forged, real)", rflags, real);
    if (real & (1u << 17))
        fail("iret set virtual-8086 mode (forged, real)", rflags, real);
    bool masked = shinfo->vcpu_info[0].evtchn_upcall_mask;
    if (vcpu_info_moved)
        masked = !(rflags & 0x200);     /* the moved vcpu_info is not mapped to us */
    if (masked != !(rflags & 0x200))
        fail("iret: event mask does not follow the frame's IF (forged, mask)", rflags, masked);
    shinfo->vcpu_info[0].evtchn_upcall_mask = 1;
}

static long misc_attack(void)
{
    switch (rnd_below(9)) {
    case 0: return hypercall5(__HYPERVISOR_set_segment_base, rnd_below(6),
                              rnd_below(2) ? any_ptr() : rnd_below(0x10000), 0, 0, 0);
    case 1: return hypercall5(__HYPERVISOR_fpu_taskswitch, rnd_below(3), 0, 0, 0, 0);
    case 2: {
        long rc = hypercall5(__HYPERVISOR_set_debugreg, rnd_below(10), rnd(), 0, 0, 0);
        hypercall5(__HYPERVISOR_set_debugreg, 7, 0, 0, 0, 0);
        return rc;
    }
    case 3: return hypercall5(__HYPERVISOR_get_debugreg, rnd_below(10), 0, 0, 0, 0);
    case 4: return hypercall5(__HYPERVISOR_vm_assist, rnd_below(4), rnd_below(40), 0, 0, 0);
    case 5:
        fill_random(arg_buf, 64);
        return hypercall5(__HYPERVISOR_physdev_op, rnd_below(40),
                          rnd_below(5) ? (uint64_t)arg_buf : any_ptr(), 0, 0, 0);
    case 6: return hypercall5(__HYPERVISOR_nmi_op, rnd_below(4), any_ptr(), 0, 0, 0);
    case 7: return hypercall5(__HYPERVISOR_set_timer_op, rnd_below(2) ? rnd_below(1000000) : rnd(),
                              0, 0, 0, 0);
    default: return hypercall5(__HYPERVISOR_stack_switch, rnd(), any_ptr(), 0, 0, 0);
    }
}

static long unknown_attack(void)
{
    static const unsigned nrs[] = { 39, 40, 41, 42, 43, 44, 45, 46, 47, 48, 49, 50, 55, 56,
                                    62, 63, 64, 100, 127 };
    return hc_any(nrs[rnd_below(sizeof(nrs) / sizeof(nrs[0]))], rnd(), any_ptr(), any_count(),
                  any_ptr(), rnd());
}

/* Writes into pvshim or into an upper-level table must fault. */
static void probe_attack(void)
{
    volatile uint64_t *p;
    bool must_fault = true;
    switch (rnd_below(3)) {
    case 0: p = (volatile uint64_t *)(0xffff800000000000ull + (rnd() & 0x7ffffffff8ull)); break;
    case 1: p = (volatile uint64_t *)(0xffff830000000000ull + (rnd() & 0x3fffff8ull)); break;
    default: {
        /* a table above the L1s: any of the first frames at pt_base */
        unsigned long i = rnd_below(si->nr_pt_frames);
        p = (volatile uint64_t *)(si->pt_base + i * PG + rnd_below(512) * 8);
        uint64_t *l1 = sac_l1;
        unsigned long sac_l1_va = (unsigned long)l1;
        if ((unsigned long)p - ((unsigned long)p & 0xfff) == sac_l1_va || i >= 3)
            must_fault = false;             /* an L1: the write may be emulated */
        break;
    }
    }
    probe_write(p);
    if (must_fault)
        fail("a write that must fault did not (address)", (uint64_t)p, 0);
}

/* An LDT on a sacrificial page: descriptors written while it is writable,
 * then (usually) read-only, SET_LDT, and a segment load that makes the CPU
 * fetch it through pvshim's lazy LDT window, which must check the frame
 * first. A bad frame or descriptor faults, and we recover. */
static void ldt_attack(void)
{
    static const uint64_t d[] = {
        0x00cff3000000ffffull, 0x00cff2000000ffffull, 0x00cf93000000ffffull,
        0x00affb000000ffffull, 0x0000ec0000e00000ull, 0x00008c0000e00000ull,
        0x0000890000000067ull, 0,
    };
    uint64_t va = sac_page_va();
    unsigned long frame = scratch_mfn();
    if (hypercall5(__HYPERVISOR_update_va_mapping, va,
                   (frame << 12) | PTE_P | PTE_RW | PTE_US | PTE_A, UVMF_INVLPG, 0, 0) == 0) {
        uint64_t *p = (uint64_t *)va;
        for (unsigned i = 0; i < 16; i++)
            p[i] = rnd_below(4) ? d[rnd_below(8)] : rnd();
        if (rnd_below(4))
            hypercall5(__HYPERVISOR_update_va_mapping, va,
                       (frame << 12) | PTE_P | PTE_US | PTE_A, UVMF_INVLPG, 0, 0);
    }
    struct mmuext_op op = { .cmd = MMUEXT_SET_LDT };
    op.arg1.linear_addr = rnd_below(8) ? va : any_target_va();
    op.arg2.nr_ents = (unsigned)(rnd_below(4) ? 1 + rnd_below(16) : any_count());
    hypercall5(__HYPERVISOR_mmuext_op, &op, 1, 0, DOMID_SELF, 0);
    load_fs_selector((uint16_t)(rnd_below(18) << 3 | 4 | rnd_below(4)));
    ldt_loads++;                /* the CPU took a descriptor from the LDT */
}

/* Port I/O at the devices pvshim itself uses under QEMU: the debug-exit
 * port (QEMU would quit), ACPI PM1a control (S5 would power off), the
 * serial port (the marker would appear in the log), the PIC, PIT, CMOS and
 * PCI configuration ports; with a random virtual IOPL and I/O bitmap. Any
 * of it reaching the hardware ends or marks the run: the test sees it. */
static void port_attack(void)
{
    static const uint16_t ports[] = { 0xf4, 0x604, 0x3f8, 0x3f9, 0x3fb, 0x3fc, 0x20, 0x21,
                                      0xa0, 0x40, 0x43, 0x61, 0x70, 0x71, 0xcf8, 0xcfc,
                                      0x64, 0x92, 0xcf9, 0x510, 0x511 };
    uint16_t port = rnd_below(8) ? ports[rnd_below(sizeof(ports) / sizeof(ports[0]))]
                                 : (uint16_t)rnd();
    struct physdev_set_iopl io = { .iopl = (uint32_t)rnd_below(4) };
    hypercall5(__HYPERVISOR_physdev_op, PHYSDEVOP_set_iopl, &io, 0, 0, 0);
    if (rnd_below(4) == 0) {
        struct physdev_set_iobitmap bm;
        memset(&bm, 0, sizeof(bm));
        memset(&arg_buf[8192], (int)rnd(), 8192);   /* bit clear: port allowed */
        set_xen_guest_handle(bm.bitmap, &arg_buf[8192]);
        bm.nr_ports = (uint32_t)(rnd_below(2) ? 65536 : rnd_below(0x10000));
        hypercall5(__HYPERVISOR_physdev_op, PHYSDEVOP_set_iobitmap, &bm, 0, 0, 0);
    }
    static const char marker[] = PORT_LEAK_MARKER "\n";
    switch (rnd_below(7)) {
    case 0: port_out8(port, port == 0xf4 ? 0x21 : port == 0x604 ? 0x20 : (uint8_t)rnd()); break;
    case 1: port_out16(port, port == 0x604 ? 0x2000 : (uint16_t)rnd()); break;
    case 2: port_out32(port, (uint32_t)rnd()); break;
    case 3: port_in8(port); break;
    case 4: port_in32(port); break;
    case 5: port_outsb(rnd_below(2) ? 0x3f8 : port, marker, rnd_below(4) ? sizeof(marker) - 1 : rnd_below(4096));
            break;
    default: port_insb(port, rnd_below(2) ? (void *)&arg_buf[4096] : (void *)any_ptr(),
                       rnd_below(4) ? rnd_below(64) : any_count());
             break;
    }
}

/* ---- linear (recursive) page tables: read-only, same level, not nested */

static long pt_set(unsigned long table_mfn, unsigned idx, uint64_t val)
{
    mmu_update_t u = { .ptr = (table_mfn << 12) + idx * 8ull, .val = val };
    return hypercall5(__HYPERVISOR_mmu_update, &u, 1, 0, DOMID_SELF, 0);
}

static long mmuext1(unsigned cmd, unsigned long mfn)
{
    struct mmuext_op op = { .cmd = cmd, .arg1.mfn = mfn };
    return hypercall5(__HYPERVISOR_mmuext_op, &op, 1, 0, DOMID_SELF, 0);
}

/* A scratch frame cleared and pinned as a table of `level`; 0 if it can't be. */
static unsigned long scratch_table(unsigned level)
{
    unsigned long m = scratch_mfn();
    if (mmuext1(MMUEXT_CLEAR_PAGE, m) || mmuext1(MMUEXT_PIN_L1_TABLE + level - 1, m))
        return 0;
    return m;
}

/* Flags that must not matter to the rules: A, D, NX, available bits. */
static uint64_t noise(void)
{
    static const uint64_t bits[] = { PTE_A, PTE_D, 1ull << 63, 0x200, 0x400, 0x800, 1ull << 52 };
    uint64_t f = 0;
    for (unsigned n = (unsigned)rnd_below(3); n; n--)
        f |= bits[rnd_below(7)];
    return f;
}

#define LRO (PTE_P | PTE_US | PTE_A)

/* A store through p faults (we come back here either way). */
static bool write_faults(volatile uint64_t *p)
{
    uint64_t saved[8];
    memcpy(saved, recover_ctx, sizeof(saved));
    unsigned long before = traps_taken;
    if (!hostile_setjmp(recover_ctx))
        probe_write(p);
    memcpy(recover_ctx, saved, sizeof(saved));
    return traps_taken != before;
}

/* Our live L4 maps itself read-only in a free slot: never writable, by any path. */
static void l4_self_map(void)
{
    const uint64_t *l4 = (const uint64_t *)si->pt_base;
    unsigned s = 1 + (unsigned)rnd_below(254);
    for (unsigned n = 0; n < 255 && (l4[s] & PTE_P); n++)
        s = s % 254 + 1;
    if (l4[s] & PTE_P)
        return;
    uint64_t self = (l4_mfn << 12) | LRO | noise();
    if (pt_set(l4_mfn, s, self | PTE_RW) == 0)
        fail("writable self map of the live L4 accepted (slot, entry)", s, l4[s]);
    long rc = pt_set(l4_mfn, s, self);
    if (rc)
        fail("read-only self map of the live L4 refused (slot, rc)", s, (uint64_t)rc);
    else
        linear_made++;
    if (pt_set(l4_mfn, s, self | PTE_RW | noise()) == 0 || (l4[s] & PTE_RW))
        fail("self map of the live L4 made writable in place (slot, entry)", s, l4[s]);
    unsigned long u = s;
    volatile uint64_t *view = (volatile uint64_t *)((u << 39) | (u << 30) | (u << 21) | (u << 12));
    if (!rc) {
        if ((probe_read(&view[511]) ^ l4[511]) & PTE_ADDR)
            fail("the self map does not show the L4 (slot, entry 511)", s, view[511]);
        /* Stores through it into the L4 and, one level down, into an L3. */
        if (!write_faults(&view[rnd_below(512)]))
            fail("a store through the read-only self map went through (slot)", s, 0);
        volatile uint64_t *l3 = (volatile uint64_t *)((u << 39) | (u << 30) | (u << 21) | (511ul << 12));
        if (!write_faults(&l3[rnd_below(512)]))
            fail("a store into an L3 through the self map went through (slot)", s, 0);
    }
    pt_set(l4_mfn, s, 0);
    mmuext1(MMUEXT_TLB_FLUSH_LOCAL, 0);
}

/*
 * Tables of scratch frames naming each other: a -> b read-only is the one
 * accepted; writable, nested, cross-level and in-place upgrades are
 * refused; b named linearly stays a table after its pin goes, and becomes
 * an ordinary frame again once a lets go of it.
 */
static void linear_between_tables(void)
{
    unsigned level = 2 + (unsigned)rnd_below(3);
    static const unsigned cross[5] = { 0, 0, 4, 1, 2 };
    unsigned long a = scratch_table(level), b = scratch_table(level), c = scratch_table(level);
    unsigned long x = scratch_table(cross[level]);
    unsigned ia = (unsigned)rnd_below(256), ib = (unsigned)rnd_below(256), ic = (unsigned)rnd_below(256);
    if (!a || !b || !c || a == b || b == c || a == c || x == a || x == b || x == c)
        goto out;
    uint64_t link = (b << 12) | LRO | noise();
    if (pt_set(a, ia, link | PTE_RW) == 0)
        fail("writable linear entry accepted (level, mfn)", level, a);
    long rc = pt_set(a, ia, link);
    if (rc) {
        fail("read-only same-level linear entry refused (level, rc)", level, (uint64_t)rc);
        goto out;
    }
    linear_made++;
    if (pt_set(a, ia, link | PTE_RW) == 0)
        fail("linear entry made writable in place (level, mfn)", level, a);
    if (pt_set(b, ib, (c << 12) | LRO | noise()) == 0)
        fail("a linearly named table gained a linear entry (level, mfn)", level, b);
    if (pt_set(c, ic, (a << 12) | LRO | noise()) == 0)
        fail("a table holding a linear entry was named linearly (level, mfn)", level, a);
    if (x && pt_set(a, ib, (x << 12) | LRO | noise()) == 0)
        fail("cross-level entry accepted (level, named level)", level, cross[level]);
    if (pt_set(b, ib, (b << 12) | LRO) != 0)
        fail("self map of a linearly named table refused (level, mfn)", level, b);

    /* b's pin goes: a's entry still holds it as a table, never writable. */
    mmuext1(MMUEXT_UNPIN_TABLE, b);
    uint64_t va = sac_page_va();
    if (hypercall5(__HYPERVISOR_update_va_mapping, va, (b << 12) | PTE_P | PTE_RW | PTE_US | PTE_A,
                   UVMF_INVLPG, 0, 0) == 0)
        fail("a table held only by a linear entry mapped writable (level, mfn)", level, b);
    /* Let go of it (the entry, or a itself), then b is an ordinary frame. */
    if (rnd_below(2))
        pt_set(a, ia, 0);
    else
        mmuext1(MMUEXT_UNPIN_TABLE, a), a = 0;
    rc = hypercall5(__HYPERVISOR_update_va_mapping, va, (b << 12) | PTE_P | PTE_RW | PTE_US | PTE_A,
                    UVMF_INVLPG, 0, 0);
    if (rc)
        fail("a table no longer named stays a table (level, rc)", level, (uint64_t)rc);
    b = 0;
out:
    for (unsigned i = 0; i < 4; i++) {
        unsigned long m = i == 0 ? a : i == 1 ? b : i == 2 ? c : x;
        if (m)
            mmuext1(MMUEXT_UNPIN_TABLE, m);
    }
}

static void linear_pt_attack(void)
{
    if (rnd_below(3))
        linear_between_tables();
    else
        l4_self_map();
}

static void scan_sacrificial(void)
{
    for (unsigned long i = 0; i < sac_pages; i++) {
        uint64_t e = sac_l1[sac_l1_first + i];
        if ((e & (PTE_P | PTE_RW)) == (PTE_P | PTE_RW) && is_pt_mfn((e & PTE_ADDR) >> 12))
            fail("a page table is mapped writable (va, entry)", sac_va + i * PG, e);
    }
}

void attack(void)
{
    unsigned op = (unsigned)rnd_below(NR_OPS);
    op_counts[op]++;
    switch (op) {
    case 0: mmu_update_attack(); break;
    case 1: mmuext_attack(); restore_state(); break;
    case 2: uva_attack(); break;
    case 3: direct_store_attack(); break;
    case 4: set_gdt_attack(); break;
    case 5: update_descriptor_attack(); break;
    case 6: multicall_attack(); restore_state(); break;
    case 7: evtchn_attack(); break;
    case 8: memory_attack(); break;
    case 9: vcpu_attack(); break;
    case 10: sched_attack(); break;
    case 11: grant_attack(); break;
    case 12: console_attack(); break;
    case 13: hypercall5(__HYPERVISOR_xen_version, rnd_below(0x14), any_ptr(), 0, 0, 0); break;
    case 14: trap_table_attack(); set_trap_table_ours(); break;
    case 15: bad_trap_entry_attack(); set_trap_table_ours(); break;
    case 16: callback_attack(); restore_state(); break;
    case 17: forged_iret_attack(); break;
    case 18: misc_attack(); restore_state(); break;
    case 19: unknown_attack(); break;
    case 20: probe_attack(); break;
    case 21: ldt_attack(); restore_state(); break;
    case 22: grant_map_attack(); break;
    case 24: linear_pt_attack(); break;
    case 25: race_op(0); break;
    default: port_attack(); restore_state(); break;
    }
    scan_sacrificial();
}
