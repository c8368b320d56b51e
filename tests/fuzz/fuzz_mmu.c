/*
 * The PV MMU driven by a program of operations (fuzz_seeds.h) against the
 * simulated machine of the unit tests (tests/unit/mm_sim.c): pins and
 * unpins, mmu_update of every kind, every mmuext_op, update_va_mapping,
 * set_gdt, update_descriptor, SET_LDT and LDT page mapping, trapped
 * page-table writes with fuzzed instruction bytes and registers, the
 * guest's own stores to frames it may write, writable holds and
 * ballooning. After every step the invariant checker recomputes every
 * frame's counts from the live tables, pins, base pointers, GDT and LDT
 * and checks that nothing maps a table, descriptor or pvshim frame
 * writable; at the end everything is released and every guest frame must
 * be back where it started (nothing leaked).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "mm_sim.h"
#include "fuzz_input.h"
#include "fuzz_seeds.h"

#define POOL        48
#define MAX_OPS     400
#define CODE_VA     0x50000000ull

static uint8_t code_page[4096];
static int holds[SIM_FRAMES];
static bool released[SIM_FRAMES];
static bool user_faults;
static unsigned op_index;
static int last_op;

static mfn_t pick_mfn(uint8_t b)
{
    if (b < POOL)
        return SIM_GUEST_FIRST + b;
    switch (b) {
    case 48 ... 63: return SIM_SHIM_FIRST + (b - 48);
    case 64 ... 71: return SIM_IO_FIRST + (b - 64);
    case 72 ... 79: return SIM_FREE_FIRST + (b - 72);
    case 80: return SIM_FRAMES;
    case 81: return (1ull << 40) - 1;
    case 82: return INVALID_MFN;
    case 83: return SIM_GUEST_END - 1;
    default: return SIM_GUEST_FIRST + b % POOL;
    }
}

static const uint64_t extra_bits[8] = {
    PTE_G, 1ull << 63, 1ull << 9, 1ull << 10, 1ull << 11, 1ull << 52, 1ull << 62, 1ull << 51,
};

static uint64_t pick_pte(struct fz *f)
{
    mfn_t m = pick_mfn(fz_u8(f));
    uint8_t lo = fz_u8(f), hi = fz_u8(f);
    uint64_t v = ((m << PAGE_SHIFT) & PTE_ADDR_MASK) | lo;
    for (unsigned i = 0; i < 8; i++)
        if (hi & (1u << i))
            v |= extra_bits[i];
    return v;
}

static vaddr_t pick_va(uint8_t b)
{
    static const unsigned l4s[8] = { 0, 1, 255, 256, 271, 272, 510, 511 };
    static const unsigned lows[4] = { 0, 1, 2, 511 };
    uint64_t va = (uint64_t)l4s[b & 7] << 39 | (uint64_t)lows[(b >> 3) & 3] << 30 |
                  (uint64_t)lows[(b >> 5) & 3] << 21 | (uint64_t)(b >> 7) << 12;
    if (va & (1ull << 47))
        va |= 0xffff000000000000ull;
    return va;
}

static uint64_t pick_ptr(uint8_t b, struct fz *f)
{
    switch (b & 7) {
    case 0: return SIM_ARGS_VA + (fz_u16(f) & 0xfff8);
    case 1: return 0;
    case 2: return 0xffff800000001000ull;          /* pvshim */
    case 3: return 0x8000000000000000ull;          /* non-canonical */
    case 4: return SIM_ARGS_VA + SIM_ARGS_SIZE - (b >> 3);   /* straddles the end */
    case 5: return 0x7000;                         /* unmapped */
    default: return SIM_ARGS_VA + 0x800;
    }
}

static bool guest_may_write(mfn_t m)
{
    struct pv_frame_info fi;
    if (!pv_mm_frame_info(m, &fi) || fi.owner != PV_OWNER_GUEST)
        return false;
    return fi.shared || fi.type_count == 0 || fi.type == PV_TYPE_WRITABLE;
}

static void poke(mfn_t m, unsigned idx, uint64_t v)
{
    if (guest_may_write(m))
        mm_sim_table(m)[idx & 511] = v;
}

static unsigned pick_foreigndom(uint8_t b)
{
    static const unsigned doms[4] = { DOMID_SELF, DOMID_SELF, 1, 0 };
    return b & 0x80 ? DOMID_IO : doms[b & 3];
}

static uint64_t update_ptr(struct fz *f)
{
    mfn_t t = pick_mfn(fz_u8(f));
    uint16_t idx = fz_u16(f);
    uint8_t cmd = fz_u8(f);
    uint64_t ptr = (t << PAGE_SHIFT) + (idx & 511) * 8;
    if (idx & 0x8000)
        ptr += 4;                               /* misaligned */
    return ptr | (cmd & 3) | (cmd & 4 ? 4 : 0);
}

static void op_update(struct fz *f)
{
    uint64_t ptr = update_ptr(f);
    uint64_t val = (ptr & 7) == MMU_MACHPHYS_UPDATE ? fz_u16(f) : pick_pte(f);
    mm_sim_mmu_update1(ptr, val);
}

static void op_update_batch(struct fz *f)
{
    unsigned n = 1 + fz_u8(f) % 8;
    uint8_t how = fz_u8(f);
    struct mmu_update reqs[8];
    for (unsigned i = 0; i < n; i++) {
        reqs[i].ptr = update_ptr(f);
        reqs[i].val = (reqs[i].ptr & 7) == MMU_MACHPHYS_UPDATE ? fz_u16(f) : pick_pte(f);
    }
    memcpy(mm_sim_args, reqs, n * sizeof(reqs[0]));
    unsigned count = how & 0x40 ? 0xffffffffu : how & 0x20 ? n + 3 : n;
    uint64_t list = how & 0x10 ? pick_ptr(how, f) : SIM_ARGS_VA;
    uint64_t pdone = how & 8 ? pick_ptr(how >> 4, f) : SIM_PDONE_VA;
    do_mmu_update(list, count, pdone, pick_foreigndom(how));
}

static void op_mmuext(struct fz *f)
{
    struct mmuext_op op;
    memset(&op, 0, sizeof(op));
    op.cmd = fz_u8(f) % 24;
    uint8_t s1 = fz_u8(f);
    if (s1 < 128)
        op.arg1.mfn = pick_mfn(s1);
    else if (s1 < 224)
        op.arg1.linear_addr = pick_va(fz_u8(f)) + (fz_u8(f) << 4);
    else
        op.arg1.mfn = fz_u64(f);
    uint8_t s2 = fz_u8(f);
    switch (s2 & 3) {
    case 0: op.arg2.src_mfn = pick_mfn(fz_u8(f)); break;
    case 1: op.arg2.vcpumask.p = (void *)(uintptr_t)pick_ptr(s2 >> 2, f); break;
    case 2: op.arg2.nr_ents = fz_u16(f); break;
    default: op.arg2.nr_ents = fz_u32(f); break;
    }
    /* A vCPU mask for the MULTI flushes, where it points into the buffer. */
    uint64_t mask = fz_u8(f);
    memcpy(mm_sim_args + 0x800, &mask, sizeof(mask));
    memcpy(mm_sim_args, &op, sizeof(op));
    do_mmuext_op(SIM_ARGS_VA, s2 & 0x80 ? 2 : 1, s2 & 0x40 ? 0 : SIM_PDONE_VA,
                 pick_foreigndom(s2 >> 4 & 0x83));
}

static void op_uva(struct fz *f)
{
    vaddr_t va = pick_va(fz_u8(f));
    uint64_t pte = pick_pte(f);
    uint8_t b = fz_u8(f);
    uint64_t flags = (b & 3) | (b & 4 ? UVMF_ALL : 0);
    if (b & 8)
        flags |= SIM_ARGS_VA + 0x800;          /* UVMF_MULTI with a mask pointer */
    if (b & 16)
        flags |= 0xdead0000ull;
    if (b & 32)
        va += 0x123;                            /* not page aligned */
    do_update_va_mapping(va, pte, flags);
}

static void op_set_gdt(struct fz *f)
{
    unsigned n = fz_u8(f) % 18;
    unsigned ents = fz_u16(f) % (n * 512 + 700);
    uint64_t frames[18];
    for (unsigned i = 0; i < n; i++)
        frames[i] = pick_mfn(fz_u8(f));
    memcpy(mm_sim_args, frames, n * sizeof(frames[0]));
    do_set_gdt(n & 1 && ents > 6000 ? 0x7000 : SIM_ARGS_VA, ents);
}

static uint64_t pick_desc(struct fz *f)
{
    static const uint64_t descs[] = {
        0,
        0x00affb000000ffffull,      /* 64-bit code, DPL 3 */
        0x00af9b000000ffffull,      /* 64-bit code, DPL 0 */
        0x00cff3000000ffffull,      /* data, DPL 3 */
        0x00cf93000000ffffull,      /* data, DPL 0 */
        0x0000ec0000e00000ull,      /* call gate DPL 3 to FLAT_KERNEL_CS */
        0x00008c0000e33000ull,      /* call gate DPL 0 */
        0x00008c0000070000ull,      /* call gate to an LDT selector */
        0x00008c0000e00000ull,      /* call gate DPL 0 to FLAT_KERNEL_CS */
        0x0000890000000067ull,      /* TSS */
        0x0000820000000fffull,      /* LDT */
        0x00008e0000e00000ull,      /* interrupt gate */
        0x0000f30000000000ull,      /* data, DPL 3, not present */
        0x00cffa000000ffffull,      /* 32-bit code DPL 3 */
    };
    uint8_t b = fz_u8(f);
    if (b < sizeof(descs) / sizeof(descs[0]))
        return descs[b];
    return fz_u64(f);
}

static void op_update_desc(struct fz *f)
{
    mfn_t m = pick_mfn(fz_u8(f));
    uint16_t off = fz_u16(f);
    do_update_descriptor((m << PAGE_SHIFT) + (off & 0xfff), pick_desc(f));
}

static void op_ldt(struct fz *f)
{
    uint8_t how = fz_u8(f);
    if (how & 1) {
        mfn_t m;
        unsigned off = fz_u16(f) * 8u;
        pv_mm_map_ldt_page(off, &m);
        return;
    }
    struct mmuext_op op;
    memset(&op, 0, sizeof(op));
    op.cmd = MMUEXT_SET_LDT;
    op.arg1.linear_addr = pick_va(fz_u8(f)) + (how & 2 ? 0x800 : 0) + (how & 4 ? 4 : 0);
    op.arg2.nr_ents = fz_u16(f) % 9000;
    memcpy(mm_sim_args, &op, sizeof(op));
    do_mmuext_op(SIM_ARGS_VA, 1, SIM_PDONE_VA, DOMID_SELF);
}

static uint64_t pick_reg(struct fz *f, vaddr_t cr2)
{
    uint8_t r = fz_u8(f);
    if (r < 0x80)
        return (cr2 & ~0xfffull) + ((r * 8u) & 0xfff);
    if (r < 0xc0)
        return r - 0x80;
    if (r == 0xff)
        return fz_u64(f);
    return pick_va(r);
}

static void op_ptwr(struct fz *f)
{
    vaddr_t cr2 = pick_va(fz_u8(f)) + (fz_u8(f) * 8u & 0xfff);
    uint8_t ec = fz_u8(f);
    uint8_t insn[16];
    fz_bytes(f, insn, sizeof(insn));
    uint8_t where = fz_u8(f);
    unsigned at = where & 0x80 ? sizeof(code_page) - (where & 15) : (where & 0x70);
    memset(code_page, 0x90, sizeof(code_page));
    memcpy(code_page + at, insn, at + 16 <= sizeof(code_page) ? 16 : sizeof(code_page) - at);

    struct cpu_regs regs;
    memset(&regs, 0, sizeof(regs));
    uint64_t *gpr[16] = { &regs.rax, &regs.rcx, &regs.rdx, &regs.rbx, &regs.rsp, &regs.rbp,
                          &regs.rsi, &regs.rdi, &regs.r8, &regs.r9, &regs.r10, &regs.r11,
                          &regs.r12, &regs.r13, &regs.r14, &regs.r15 };
    for (unsigned i = 0; i < 16; i++)
        *gpr[i] = pick_reg(f, cr2);
    regs.rip = CODE_VA + at;
    regs.rflags = 0x202 | (fz_u8(f) & 0xd5);
    current->fs_base = pick_reg(f, cr2);
    current->gs_base_kernel = pick_reg(f, cr2);
    uint64_t error = (ec & 0x1f) | (ec & 0x20 ? 0 : 7);
    current->kernel_mode = !user_faults;
    pv_ptwr_fault(&regs, cr2, error);
    current->kernel_mode = true;
}

static void op_build(struct fz *f)
{
    mfn_t t = pick_mfn(fz_u8(f));
    vaddr_t va = pick_va(fz_u8(f));
    for (unsigned level = 4; level > 1; level--) {
        if (t >= SIM_FRAMES)
            return;
        unsigned idx = pt_index(va, L1_SHIFT + 9 * (level - 1));
        mfn_t next = pick_mfn(fz_u8(f));
        pte_t old = mm_sim_table(t)[idx];
        if (!guest_may_write(t) && (old & PTE_P))
            next = (old & PTE_ADDR_MASK) >> PAGE_SHIFT;   /* follow what is there */
        else
            poke(t, idx, (next << PAGE_SHIFT) | PTE_P | PTE_RW | PTE_US | PTE_A);
        t = next;
    }
    if (t < SIM_FRAMES)
        poke(t, pt_index(va, L1_SHIFT), pick_pte(f));
}

static void op_hold(struct fz *f)
{
    uint8_t how = fz_u8(f);
    mfn_t m = pick_mfn(fz_u8(f));
    if (!(how & 1)) {
        if (pv_mm_get_writable_frame(m) == 0) {
            FZ_CHECK(m < SIM_FRAMES, "writable hold on mfn %#lx beyond the machine",
                     (unsigned long)m);
            holds[m]++;
            mm_sim_note_writable_hold(m, 1);
        }
    } else if (m < SIM_FRAMES && holds[m] > 0) {
        pv_mm_put_writable_frame(m);
        holds[m]--;
        mm_sim_note_writable_hold(m, -1);
    }
}

static void reassign(mfn_t m)
{
    pv_mm_assign_frame(m);
    pv_mm_set_m2p(m, m - SIM_GUEST_FIRST);
    memset(mm_sim_table(m), 0, PAGE_SIZE);      /* populate_physmap scrubs */
    released[m] = false;
}

static void op_balloon(struct fz *f)
{
    uint8_t how = fz_u8(f);
    mfn_t m = pick_mfn(fz_u8(f));
    if (!(how & 1)) {
        int rc = pv_mm_release_frame(m);
        if (rc == 0) {
            FZ_CHECK(m >= SIM_GUEST_FIRST && m < SIM_GUEST_END && !holds[m],
                     "released mfn %#lx that was not a plain guest frame", (unsigned long)m);
            released[m] = true;
        }
    } else if (m < SIM_FRAMES && released[m]) {
        reassign(m);
    }
}

static void step(struct fz *f)
{
    last_op = fz_u8(f) % MOP_COUNT;
    switch (last_op) {
    case MOP_PIN: {
        uint8_t lv = fz_u8(f);
        mm_sim_mmuext(lv < 200 ? MMUEXT_PIN_L1_TABLE + lv % 4 : lv % 24, pick_mfn(fz_u8(f)), 0);
        break;
    }
    case MOP_UNPIN:
        mm_sim_mmuext(MMUEXT_UNPIN_TABLE, pick_mfn(fz_u8(f)), 0);
        break;
    case MOP_UPDATE: op_update(f); break;
    case MOP_UPDATE_BATCH: op_update_batch(f); break;
    case MOP_MMUEXT: op_mmuext(f); break;
    case MOP_UVA: op_uva(f); break;
    case MOP_SET_GDT: op_set_gdt(f); break;
    case MOP_UPDATE_DESC: op_update_desc(f); break;
    case MOP_SET_LDT_MAP: op_ldt(f); break;
    case MOP_PTWR: op_ptwr(f); break;
    case MOP_POKE: {
        mfn_t m = pick_mfn(fz_u8(f));
        uint16_t idx = fz_u16(f);
        uint64_t v = pick_pte(f);
        if (m < SIM_FRAMES)
            poke(m, idx, v);
        break;
    }
    case MOP_BASEPTR: {
        uint8_t u = fz_u8(f);
        mm_sim_mmuext(u & 1 ? MMUEXT_NEW_USER_BASEPTR : MMUEXT_NEW_BASEPTR,
                      u & 2 ? 0 : pick_mfn(fz_u8(f)), 0);
        break;
    }
    case MOP_MODE: user_faults = !user_faults; break;
    case MOP_HOLD: op_hold(f); break;
    case MOP_BALLOON: op_balloon(f); break;
    case MOP_BUILD: op_build(f); break;
    }
}

static void check(const char *when)
{
    const char *why = mm_sim_check();
    FZ_CHECK(why == NULL, "MMU invariant after op %u (kind %d) %s: %s", op_index, last_op,
             when, why);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct fz f = { data, size };
    mm_sim_setup();
    fake_log_reset();
    memset(holds, 0, sizeof(holds));
    memset(released, 0, sizeof(released));
    user_faults = false;
    memset(code_page, 0x90, sizeof(code_page));
    fake_guest_map(CODE_VA, code_page, sizeof(code_page));
    if (fz_u8(&f) & 1)
        dom.vm_assist |= 1ul << VMASST_TYPE_writable_pagetables;

    for (op_index = 0; f.n && op_index < MAX_OPS; op_index++) {
        step(&f);
        check("");
    }

    last_op = -1;
    mm_sim_release_all();
    for (mfn_t m = 0; m < SIM_FRAMES; m++)
        if (released[m])
            reassign(m);
    const char *why = mm_sim_check_baseline();
    FZ_CHECK(why == NULL, "after releasing everything (%u ops): %s", op_index, why);
    mm_sim_teardown();
    return 0;
}
