/*
 * Writable page tables (VMASST_TYPE_writable_pagetables): a guest kernel
 * store into one of its L1 tables, which are mapped read-only, faults; the
 * store is decoded and done here as a checked entry update (Xen's
 * pv/ro-page-fault.c ptwr path). Only naturally aligned stores inside the
 * faulting page are accepted; a sub-word store is merged into the whole
 * 8-byte entry before the check.
 */
#include <pvshim/guest_access.h>
#include <pvshim/hw.h>
#include "mm_private.h"
#include "ptwr_insn.h"

#define RFLAGS_CF (1ull << 0)
#define RFLAGS_PF (1ull << 2)
#define RFLAGS_AF (1ull << 4)
#define RFLAGS_ZF (1ull << 6)
#define RFLAGS_SF (1ull << 7)
#define RFLAGS_OF (1ull << 11)
#define RFLAGS_ARITH (RFLAGS_CF | RFLAGS_PF | RFLAGS_AF | RFLAGS_ZF | RFLAGS_SF | RFLAGS_OF)

/* Where each register of the instruction encoding (0 = RAX ... 15 = R15) is saved. */
static const uint8_t gpr_offset[16] = {
    offsetof(struct cpu_regs, rax), offsetof(struct cpu_regs, rcx),
    offsetof(struct cpu_regs, rdx), offsetof(struct cpu_regs, rbx),
    offsetof(struct cpu_regs, rsp), offsetof(struct cpu_regs, rbp),
    offsetof(struct cpu_regs, rsi), offsetof(struct cpu_regs, rdi),
    offsetof(struct cpu_regs, r8),  offsetof(struct cpu_regs, r9),
    offsetof(struct cpu_regs, r10), offsetof(struct cpu_regs, r11),
    offsetof(struct cpu_regs, r12), offsetof(struct cpu_regs, r13),
    offsetof(struct cpu_regs, r14), offsetof(struct cpu_regs, r15),
};

static uint64_t *gpr_slot(struct cpu_regs *r, int n)
{
    return (uint64_t *)((char *)r + gpr_offset[n & 15]);
}

static uint64_t size_mask(unsigned size)
{
    return size == 8 ? ~0ull : (1ull << (8 * size)) - 1;
}

static uint64_t read_reg(struct cpu_regs *r, int n, bool high_byte, unsigned size)
{
    uint64_t v = *gpr_slot(r, n);
    return (high_byte ? v >> 8 : v) & size_mask(size);
}

/* A register write as the CPU does it: 32-bit results zero-extend. */
static void write_reg(struct cpu_regs *r, int n, bool high_byte, unsigned size, uint64_t v)
{
    uint64_t *p = gpr_slot(r, n);
    if (size == 8 || size == 4) {
        *p = v & size_mask(size);
    } else {
        unsigned shift = high_byte ? 8 : 0;
        uint64_t m = size_mask(size) << shift;
        *p = (*p & ~m) | ((v << shift) & m);
    }
}

static uint64_t sign_bit(unsigned size)
{
    return 1ull << (8 * size - 1);
}

static uint64_t result_flags(uint64_t res, unsigned size)
{
    uint64_t f = 0;
    res &= size_mask(size);
    if (!res)
        f |= RFLAGS_ZF;
    if (res & sign_bit(size))
        f |= RFLAGS_SF;
    if (!(__builtin_popcount((unsigned)(res & 0xff)) & 1))
        f |= RFLAGS_PF;
    return f;
}

/* Flags of CMP a, b (a - b), as CMPXCHG sets them. */
static uint64_t cmp_flags(uint64_t a, uint64_t b, unsigned size)
{
    uint64_t m = size_mask(size), res = (a - b) & m;
    uint64_t f = result_flags(res, size);
    a &= m;
    b &= m;
    if (a < b)
        f |= RFLAGS_CF;
    if ((a ^ b ^ res) & 0x10)
        f |= RFLAGS_AF;
    if ((a ^ b) & (a ^ res) & sign_bit(size))
        f |= RFLAGS_OF;
    return f;
}

/* The effect of one decoded store, computed before anything is changed. */
struct ptwr_effect {
    bool write;             /* the memory operand gets new_val */
    uint64_t new_val;
    uint64_t flags_mask, flags;
    int reg;                /* register receiving reg_val, or PTWR_NO_REG */
    bool reg_high;
    unsigned reg_size;
    uint64_t reg_val;
    bool edx_eax;           /* CMPXCHG8B failure: EDX:EAX <- old */
};

static void compute(const struct ptwr_insn *in, struct cpu_regs *r, uint64_t old,
                    unsigned bit, struct ptwr_effect *e)
{
    unsigned size = in->size;
    uint64_t m = size_mask(size);
    uint64_t src = in->reg != PTWR_NO_REG ? read_reg(r, in->reg, in->high_byte, size)
                                          : in->imm & m;

    *e = (struct ptwr_effect){ .write = true, .reg = PTWR_NO_REG };
    switch (in->op) {
    case PTWR_MOV:
        e->new_val = src;
        break;
    case PTWR_XCHG:
        e->new_val = src;
        e->reg = in->reg;
        e->reg_high = in->high_byte;
        e->reg_size = size;
        e->reg_val = old;
        break;
    case PTWR_CMPXCHG: {
        uint64_t acc = r->rax & m;
        e->flags_mask = RFLAGS_ARITH;
        e->flags = cmp_flags(acc, old, size);
        if (acc == old) {
            e->new_val = src;
        } else {
            e->write = false;
            e->reg = 0;
            e->reg_size = size;
            e->reg_val = old;
        }
        break;
    }
    case PTWR_CMPXCHG8B: {
        uint64_t acc = ((r->rdx & 0xffffffffull) << 32) | (r->rax & 0xffffffffull);
        e->flags_mask = RFLAGS_ZF;
        if (acc == old) {
            e->flags = RFLAGS_ZF;
            e->new_val = ((r->rcx & 0xffffffffull) << 32) | (r->rbx & 0xffffffffull);
        } else {
            e->write = false;
            e->edx_eax = true;
        }
        break;
    }
    case PTWR_OR:
    case PTWR_AND:
    case PTWR_XOR:
        e->new_val = in->op == PTWR_OR ? old | src : in->op == PTWR_AND ? old & src : old ^ src;
        e->flags_mask = RFLAGS_CF | RFLAGS_OF | RFLAGS_ZF | RFLAGS_SF | RFLAGS_PF;
        e->flags = result_flags(e->new_val, size);
        break;
    case PTWR_BTS:
    case PTWR_BTR:
    case PTWR_BTC: {
        uint64_t b = 1ull << bit;
        e->flags_mask = RFLAGS_CF;
        e->flags = (old & b) ? RFLAGS_CF : 0;
        e->new_val = in->op == PTWR_BTS ? old | b : in->op == PTWR_BTR ? old & ~b : old ^ b;
        break;
    }
    }
    e->new_val &= m;
}

static void apply(struct cpu_regs *r, const struct ptwr_insn *in, const struct ptwr_effect *e,
                  uint64_t old)
{
    if (e->reg != PTWR_NO_REG)
        write_reg(r, e->reg, e->reg_high, e->reg_size, e->reg_val);
    if (e->edx_eax) {
        r->rax = old & 0xffffffffull;
        r->rdx = old >> 32;
    }
    r->rflags = (r->rflags & ~e->flags_mask) | e->flags;
    r->rip += in->len;
}

/* Install a new value in entry idx of the live L1 l1, mapped at t (Xen's ptwr_emulated_update). */
static bool update_l1_entry(mfn_t l1, pte_t *t, unsigned idx, pte_t val)
{
    if (get_page_from_l1e(val, PG_OWNER_SELF))
        return false;
    pte_t old = t[idx];
    live_entry_write(l1, t, idx, old, adjust_guest_l1e(val), false);
    put_page_from_l1e(old);
    return true;
}

/* Up to PTWR_MAX_INSN bytes at rip, fewer if the next page is not mapped. */
static unsigned fetch(vaddr_t rip, uint8_t *buf)
{
    if (!copy_from_guest(buf, rip, PTWR_MAX_INSN))
        return PTWR_MAX_INSN;
    unsigned n = 0;
    while (n < PTWR_MAX_INSN && !copy_from_guest(&buf[n], rip + n, 1))
        n++;
    return n;
}

/* The store at rip, decoded; most are 3 to 7 bytes long, so one 8-byte read first. */
static bool fetch_decode(vaddr_t rip, uint8_t *code, struct ptwr_insn *in)
{
    if (!copy_from_guest(code, rip, 8) && ptwr_decode(code, 8, in))
        return true;
    return ptwr_decode(code, fetch(rip, code), in);
}

bool pv_ptwr_fault(struct cpu_regs *regs, vaddr_t cr2, uint64_t error_code)
{
    /* Guest-kernel write to a present page: the only faults emulated. */
    if (!pv_mm.ready || !vm_assist(VMASST_TYPE_writable_pagetables) ||
        !current->kernel_mode ||
        (error_code & (PFEC_PRESENT | PFEC_WRITE | PFEC_RSVD | PFEC_INSN)) !=
            (PFEC_PRESENT | PFEC_WRITE))
        return false;

    /* Mapped read-only in the kernel tables (kernel mode), onto a live L1 table of the guest. */
    pte_t leaf;
    if (!mm_find_l1e(cr2, &leaf) || (leaf & PTE_RW))
        return false;
    mfn_t l1 = pte_mfn(leaf);
    struct pv_frame *f = frame_of(l1);
    if (!f || frame_owner(f) != PV_OWNER_GUEST || !frame_in_use_as(f, PV_TYPE_L1))
        return false;
    pte_t *t = frame_map(l1);
    if (!t)
        return false;

    uint8_t code[PTWR_MAX_INSN];
    struct ptwr_insn in;
    if (!fetch_decode(regs->rip, code, &in))
        return false;

    /* The registers the address uses, in ModRM order (the others are not read). */
    uint64_t gpr[16];
    if (in.base != PTWR_NO_REG)
        gpr[in.base] = *gpr_slot(regs, in.base);
    if (in.index != PTWR_NO_REG)
        gpr[in.index] = *gpr_slot(regs, in.index);
    /* The live bases: set_segment_base and swapgs change the MSRs, not
     * the vCPU's saved copy. ptwr runs for guest kernel mode only, so the
     * active GS base is the kernel's. */
    uint64_t seg_base = in.seg == PTWR_SEG_FS ? hw_get_fs_base() :
                        in.seg == PTWR_SEG_GS ? hw_get_gs_base() : 0;
    /* A 32-bit guest (PAE): mod 00 r/m 101 is an absolute disp32, and addresses wrap at 4 GiB. */
    if (pv_mm.pae)
        in.rip_relative = false;
    uint64_t ea = ptwr_effective_address(&in, gpr, regs->rip + in.len, seg_base);
    if (pv_mm.pae)
        ea = (uint32_t)ea;

    /* BTx with a register offset addresses a bit string around ea. */
    unsigned bits = in.size * 8, bit = 0;
    if (in.op == PTWR_BTS || in.op == PTWR_BTR || in.op == PTWR_BTC) {
        if (in.reg != PTWR_NO_REG) {
            unsigned shift = 64 - bits;
            int64_t off = (int64_t)(*gpr_slot(regs, in.reg) << shift) >> shift;
            ea += (uint64_t)((off >> __builtin_ctz(bits)) * (int64_t)in.size);
            bit = (unsigned)off & (bits - 1);
        } else {
            bit = (unsigned)in.imm & (bits - 1);
        }
    }

    /* Naturally aligned, inside the page that faulted. */
    if ((ea & (in.size - 1)) || ((ea ^ cr2) & PAGE_MASK))
        return false;

    unsigned idx = (ea & ~PAGE_MASK) / sizeof(pte_t);
    unsigned shift = (ea & (sizeof(pte_t) - 1)) * 8;
    uint64_t m = size_mask(in.size);
    pte_t full = t[idx];

    /* A whole entry by MOV or XCHG, as compute and apply below would do it: no flags. */
    if (in.size == 8 && (in.op == PTWR_MOV || (in.op == PTWR_XCHG && in.reg != PTWR_NO_REG))) {
        pte_t val = in.reg != PTWR_NO_REG ? *gpr_slot(regs, in.reg) : in.imm;
        if (!update_l1_entry(l1, t, idx, val))
            return false;
        if (in.op == PTWR_XCHG)
            *gpr_slot(regs, in.reg) = full;
        regs->rip += in.len;
        return true;
    }

    uint64_t old = (full >> shift) & m;

    struct ptwr_effect e;
    compute(&in, regs, old, bit, &e);
    if (e.write) {
        pte_t val = (full & ~(m << shift)) | (e.new_val << shift);
        /*
         * A PAE kernel writes an entry's upper half first: merged with the
         * old lower half it may name no usable frame. Taken not present
         * then; the lower half, written next, is checked in full (Xen).
         */
        bool upper_half_first = pv_mm.pae && in.size == 4 && shift == 32 &&
                                in.op != PTWR_CMPXCHG && in.op != PTWR_CMPXCHG8B;
        if (!update_l1_entry(l1, t, idx, val) &&
            (!upper_half_first || !(val & PTE_P) ||
             !update_l1_entry(l1, t, idx, val & ~PTE_P)))
            return false;
    }
    apply(regs, &in, &e, old);
    return true;
}
