/*
 * Writable page tables: the store-instruction decoder, and pv_ptwr_fault
 * applying each form to a live, read-only mapped L1 with the same checks
 * as mmu_update.
 */
#include <string.h>
#include "unit.h"
#include "mm_sim.h"
#include "mm/ptwr_insn.h"
#include "hypercalls.h"

#define RO (PTE_P | PTE_US | PTE_A)
#define RWF (PTE_P | PTE_RW | PTE_US | PTE_A)

#define CODE_VA   0x40600000ull           /* in reach of RIP-relative disp32 */
#define DATA_VA   0x40000000ull
#define PT_VA     0x40200000ull           /* the victim L1, mapped read-only */
#define PF_KW     (1u | 2u | 4u)          /* present, write, user (ring-3 kernel) */

/* ---------------------------------------------------------- decoder */

struct dcase {
    const char *name;
    uint8_t bytes[16];
    unsigned n;
    enum ptwr_op op;
    unsigned len, size;
    int reg, base, index;
    uint64_t imm;
    bool lock, high_byte;
};

static const struct dcase good[] = {
    { "mov %rax,(%rdi)", { 0x48, 0x89, 0x07 }, 3, PTWR_MOV, 3, 8, 0, 7, -1, 0, false, false },
    { "mov %eax,4(%rdi)", { 0x89, 0x47, 0x04 }, 3, PTWR_MOV, 3, 4, 0, 7, -1, 0, false, false },
    { "mov %ax,(%rdi)", { 0x66, 0x89, 0x07 }, 3, PTWR_MOV, 3, 2, 0, 7, -1, 0, false, false },
    { "mov %r9,(%rdi)", { 0x4c, 0x89, 0x0f }, 3, PTWR_MOV, 3, 8, 9, 7, -1, 0, false, false },
    { "mov %rax,(%r12)", { 0x49, 0x89, 0x04, 0x24 }, 4, PTWR_MOV, 4, 8, 0, 12, -1, 0, false, false },
    { "mov %rax,8(%r13)", { 0x49, 0x89, 0x45, 0x08 }, 4, PTWR_MOV, 4, 8, 0, 13, -1, 0, false, false },
    { "mov %rax,(%rdi,%rcx,8)", { 0x48, 0x89, 0x04, 0xcf }, 4, PTWR_MOV, 4, 8, 0, 7, 1, 0, false, false },
    { "mov %rax,(%rax,%r12,2)", { 0x4a, 0x89, 0x04, 0x60 }, 4, PTWR_MOV, 4, 8, 0, 0, 12, 0, false, false },
    { "mov %rdx,0x12345678(,%rsi,4)", { 0x48, 0x89, 0x14, 0xb5, 0x78, 0x56, 0x34, 0x12 }, 8,
      PTWR_MOV, 8, 8, 2, -1, 6, 0, false, false },
    { "mov %rax,0x10(%rip)", { 0x48, 0x89, 0x05, 0x10, 0, 0, 0 }, 7, PTWR_MOV, 7, 8, 0, -1, -1, 0, false, false },
    { "movq $0,(%rdi)", { 0x48, 0xc7, 0x07, 0, 0, 0, 0 }, 7, PTWR_MOV, 7, 8, -1, 7, -1, 0, false, false },
    { "movq $-2,-8(%rbp)", { 0x48, 0xc7, 0x45, 0xf8, 0xfe, 0xff, 0xff, 0xff }, 8, PTWR_MOV, 8, 8, -1, 5, -1,
      0xfffffffffffffffeull, false, false },
    { "movw $0x1234,(%rdi)", { 0x66, 0xc7, 0x07, 0x34, 0x12 }, 5, PTWR_MOV, 5, 2, -1, 7, -1, 0x1234, false, false },
    { "movb $0x25,(%rdi)", { 0xc6, 0x07, 0x25 }, 3, PTWR_MOV, 3, 1, -1, 7, -1, 0x25, false, false },
    { "mov %ah,(%rdi)", { 0x88, 0x27 }, 2, PTWR_MOV, 2, 1, 0, 7, -1, 0, false, true },
    { "mov %spl,(%rdi)", { 0x40, 0x88, 0x27 }, 3, PTWR_MOV, 3, 1, 4, 7, -1, 0, false, false },
    { "xchg %rax,(%rdi)", { 0x48, 0x87, 0x07 }, 3, PTWR_XCHG, 3, 8, 0, 7, -1, 0, false, false },
    { "lock xchg %rax,(%rdi)", { 0xf0, 0x48, 0x87, 0x07 }, 4, PTWR_XCHG, 4, 8, 0, 7, -1, 0, true, false },
    { "lock cmpxchg %rsi,(%rdi)", { 0xf0, 0x48, 0x0f, 0xb1, 0x37 }, 5, PTWR_CMPXCHG, 5, 8, 6, 7, -1, 0, true, false },
    { "cmpxchg %esi,(%rdi)", { 0x0f, 0xb1, 0x37 }, 3, PTWR_CMPXCHG, 3, 4, 6, 7, -1, 0, false, false },
    { "lock cmpxchg8b (%rdi)", { 0xf0, 0x0f, 0xc7, 0x0f }, 4, PTWR_CMPXCHG8B, 4, 8, -1, 7, -1, 0, true, false },
    { "lock orb $2,(%rdi)", { 0xf0, 0x80, 0x0f, 0x02 }, 4, PTWR_OR, 4, 1, -1, 7, -1, 2, true, false },
    { "lock andb $0xfd,(%rdi)", { 0xf0, 0x80, 0x27, 0xfd }, 4, PTWR_AND, 4, 1, -1, 7, -1,
      0xfffffffffffffffdull, true, false },
    { "lock andq $-3,(%rdi)", { 0xf0, 0x48, 0x83, 0x27, 0xfd }, 5, PTWR_AND, 5, 8, -1, 7, -1,
      0xfffffffffffffffdull, true, false },
    { "lock orl $0x80000000,4(%rdi)", { 0xf0, 0x81, 0x4f, 0x04, 0, 0, 0, 0x80 }, 8, PTWR_OR, 8, 4, -1, 7, -1,
      0xffffffff80000000ull, true, false },
    { "lock or %rax,(%rdi)", { 0xf0, 0x48, 0x09, 0x07 }, 4, PTWR_OR, 4, 8, 0, 7, -1, 0, true, false },
    { "lock and %rax,(%rdi)", { 0xf0, 0x48, 0x21, 0x07 }, 4, PTWR_AND, 4, 8, 0, 7, -1, 0, true, false },
    { "lock xor %rax,(%rdi)", { 0xf0, 0x48, 0x31, 0x07 }, 4, PTWR_XOR, 4, 8, 0, 7, -1, 0, true, false },
    { "lock btrq $1,(%rdi)", { 0xf0, 0x48, 0x0f, 0xba, 0x37, 0x01 }, 6, PTWR_BTR, 6, 8, -1, 7, -1, 1, true, false },
    { "lock btsl $5,(%rdi)", { 0xf0, 0x0f, 0xba, 0x2f, 0x05 }, 5, PTWR_BTS, 5, 4, -1, 7, -1, 5, true, false },
    { "btc $63,(%rdi)", { 0x48, 0x0f, 0xba, 0x3f, 0x3f }, 5, PTWR_BTC, 5, 8, -1, 7, -1, 63, false, false },
    { "lock bts %rax,(%rdi)", { 0xf0, 0x48, 0x0f, 0xab, 0x07 }, 5, PTWR_BTS, 5, 8, 0, 7, -1, 0, true, false },
    { "lock btr %rcx,(%rdi)", { 0xf0, 0x48, 0x0f, 0xb3, 0x0f }, 5, PTWR_BTR, 5, 8, 1, 7, -1, 0, true, false },
    { "btc %rdx,(%rdi)", { 0x48, 0x0f, 0xbb, 0x17 }, 4, PTWR_BTC, 4, 8, 2, 7, -1, 0, false, false },
    { "fs mov %rax,(%rdi)", { 0x64, 0x48, 0x89, 0x07 }, 4, PTWR_MOV, 4, 8, 0, 7, -1, 0, false, false },
    { "ds lock (prefix order)", { 0x3e, 0xf0, 0x48, 0x87, 0x07 }, 5, PTWR_XCHG, 5, 8, 0, 7, -1, 0, true, false },
    { "addr32 mov %rax,(%edi)", { 0x67, 0x48, 0x89, 0x07 }, 4, PTWR_MOV, 4, 8, 0, 7, -1, 0, false, false },
    { "REX before 66 is ignored", { 0x48, 0x66, 0x89, 0x07 }, 4, PTWR_MOV, 4, 2, 0, 7, -1, 0, false, false },
    { "15 bytes", { 0x3e, 0x3e, 0x3e, 0x3e, 0x3e, 0x3e, 0x3e, 0x3e, 0x3e, 0x3e, 0x3e, 0x3e, 0x48, 0x89, 0x07 },
      15, PTWR_MOV, 15, 8, 0, 7, -1, 0, false, false },
};

START_TEST(decode_forms)
{
    for (unsigned i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
        const struct dcase *c = &good[i];
        struct ptwr_insn in;
        ck_assert_msg(ptwr_decode(c->bytes, c->n, &in), "%s: not decoded", c->name);
        ck_assert_msg(in.op == c->op && in.len == c->len && in.size == c->size &&
                      in.reg == c->reg && in.base == c->base && in.index == c->index &&
                      in.lock == c->lock && in.high_byte == c->high_byte,
                      "%s: op %d len %u size %u reg %d base %d index %d lock %d hb %d", c->name,
                      in.op, in.len, in.size, in.reg, in.base, in.index, in.lock, in.high_byte);
        if (c->reg < 0)
            ck_assert_msg(in.imm == c->imm, "%s: imm %#llx", c->name, (unsigned long long)in.imm);
        /* Any shorter prefix of it is incomplete. */
        for (unsigned n = 0; n < c->len; n++)
            ck_assert_msg(!ptwr_decode(c->bytes, n, &in), "%s: decoded from %u bytes", c->name, n);
    }
}
END_TEST

/*
 * The common form (REX.W MOV/XCHG to [base + disp]) has a decoder of its
 * own: for every such encoding it must agree with the general decoder,
 * which a DS prefix (no effect in 64-bit mode) forces.
 */
START_TEST(decode_common_form_as_general)
{
    static const uint8_t ops[] = { 0x89, 0x87 };
    unsigned seen = 0;
    for (unsigned rex = 0x48; rex <= 0x4f; rex++)
        for (unsigned o = 0; o < 2; o++)
            for (unsigned modrm = 0; modrm < 0xc0; modrm++)
                for (unsigned avail = 3; avail <= 8; avail++) {
                    uint8_t fast[8] = { (uint8_t)rex, ops[o], (uint8_t)modrm, 0x81, 0x92, 0xa3, 0xb4, 0x5 };
                    uint8_t slow[9] = { 0x3e };
                    memcpy(&slow[1], fast, sizeof(fast));
                    struct ptwr_insn a, b;
                    memset(&a, 0x5a, sizeof(a));
                    memset(&b, 0x5a, sizeof(b));
                    bool ok_a = ptwr_decode(fast, avail, &a);
                    bool ok_b = ptwr_decode(slow, avail + 1, &b);
                    ck_assert_msg(ok_a == ok_b, "%02x %02x %02x avail %u", rex, ops[o], modrm, avail);
                    if (!ok_a)
                        continue;
                    seen++;
                    b.len--;
                    ck_assert_msg(a.op == b.op && a.len == b.len && a.size == b.size &&
                                  a.lock == b.lock && a.reg == b.reg && a.high_byte == b.high_byte &&
                                  a.imm == b.imm && a.seg == b.seg && a.addr32 == b.addr32 &&
                                  a.rip_relative == b.rip_relative && a.base == b.base &&
                                  a.index == b.index && a.scale == b.scale && a.disp == b.disp,
                                  "%02x %02x %02x avail %u", rex, ops[o], modrm, avail);
                }
    ck_assert_uint_gt(seen, 0);
}
END_TEST

START_TEST(decode_addresses)
{
    uint64_t gpr[16];
    for (unsigned i = 0; i < 16; i++)
        gpr[i] = 0x1000ull * (i + 1);
    struct ptwr_insn in;
    const uint8_t sib[] = { 0x48, 0x89, 0x44, 0xcf, 0xf8 };     /* mov %rax,-8(%rdi,%rcx,8) */
    ck_assert(ptwr_decode(sib, sizeof(sib), &in));
    ck_assert_uint_eq(ptwr_effective_address(&in, gpr, 0, 0), 0x8000 + 0x2000 * 8 - 8);
    const uint8_t rip[] = { 0x48, 0x89, 0x05, 0xf0, 0xff, 0xff, 0xff };
    ck_assert(ptwr_decode(rip, sizeof(rip), &in));
    ck_assert_uint_eq(ptwr_effective_address(&in, gpr, 0x500007, 0), 0x500007 - 0x10);
    const uint8_t nobase[] = { 0x48, 0x89, 0x04, 0x25, 0x00, 0x10, 0x20, 0x00 };   /* abs disp32 */
    ck_assert(ptwr_decode(nobase, sizeof(nobase), &in));
    ck_assert_uint_eq(ptwr_effective_address(&in, gpr, 0, 0), 0x201000);
    const uint8_t a32[] = { 0x67, 0x48, 0x89, 0x47, 0xff };
    gpr[7] = 0xffffffff00000000ull;
    ck_assert(ptwr_decode(a32, sizeof(a32), &in));
    ck_assert_uint_eq(ptwr_effective_address(&in, gpr, 0, 0), 0xffffffffull);
    const uint8_t gs[] = { 0x65, 0x48, 0x89, 0x07 };
    gpr[7] = 0x18;
    ck_assert(ptwr_decode(gs, sizeof(gs), &in));
    ck_assert_int_eq(in.seg, PTWR_SEG_GS);
    ck_assert_uint_eq(ptwr_effective_address(&in, gpr, 0, 0xffff888000000000ull), 0xffff888000000018ull);
}
END_TEST

static const struct { const char *name; uint8_t b[16]; unsigned n; } bad[] = {
    { "register destination", { 0x48, 0x89, 0xc7 }, 3 },
    { "load", { 0x48, 0x8b, 0x07 }, 3 },
    { "add", { 0xf0, 0x48, 0x01, 0x07 }, 4 },
    { "lock mov", { 0xf0, 0x48, 0x89, 0x07 }, 4 },
    { "rep stosq", { 0xf3, 0x48, 0xab }, 3 },
    { "rep prefix on mov", { 0xf3, 0x48, 0x89, 0x07 }, 4 },
    { "bt (reads only)", { 0x48, 0x0f, 0xba, 0x27, 0x01 }, 5 },
    { "bt reg", { 0x48, 0x0f, 0xa3, 0x07 }, 4 },
    { "cmpxchg16b", { 0xf0, 0x48, 0x0f, 0xc7, 0x0f }, 5 },
    { "0f c7 /0", { 0x0f, 0xc7, 0x07 }, 3 },
    { "c7 /1", { 0x48, 0xc7, 0x0f, 0, 0, 0, 0 }, 7 },
    { "80 /0 (add)", { 0x80, 0x07, 0x01 }, 3 },
    { "xadd", { 0xf0, 0x48, 0x0f, 0xc1, 0x07 }, 5 },
    { "movnti", { 0x48, 0x0f, 0xc3, 0x07 }, 4 },
    { "16 bytes", { 0x3e, 0x3e, 0x3e, 0x3e, 0x3e, 0x3e, 0x3e, 0x3e, 0x3e, 0x3e, 0x3e, 0x3e,
                    0x3e, 0x48, 0x89, 0x07 }, 16 },
    { "only prefixes", { 0xf0, 0x66, 0x67, 0x48 }, 4 },
    { "empty", { 0 }, 0 },
};

START_TEST(decode_refusals)
{
    for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        struct ptwr_insn in;
        ck_assert_msg(!ptwr_decode(bad[i].b, bad[i].n, &in), "%s decoded", bad[i].name);
    }
    /* Every single-byte opcode with a memory ModRM: accepted only if listed. */
    for (unsigned op = 0; op < 256; op++) {
        uint8_t b[8] = { (uint8_t)op, 0x07, 0, 0, 0, 0, 0, 0 };
        struct ptwr_insn in;
        bool ok = ptwr_decode(b, sizeof(b), &in);
        bool listed = op == 0x88 || op == 0x89 || op == 0x86 || op == 0x87 || op == 0x08 ||
                      op == 0x09 || op == 0x20 || op == 0x21 || op == 0x30 || op == 0x31 ||
                      op == 0xc6 || op == 0xc7 || op == 0x66 || op == 0x67 ||
                      op == 0x64 || op == 0x65 || op == 0x26 || op == 0x2e || op == 0x36 ||
                      op == 0x3e || (op & 0xf0) == 0x40 || op == 0x0f;
        if (!listed)
            ck_assert_msg(!ok, "opcode %#x decoded", op);
    }
}
END_TEST

/* ---------------------------------------------------------- emulation */

static uint8_t code[64];
static struct cpu_regs regs;
static mfn_t l4, victim, d1, d2;

static void ptwr_setup(void)
{
    mm_sim_setup();
    dom.vm_assist |= 1ul << VMASST_TYPE_writable_pagetables;
    l4 = mm_sim_alloc();
    d1 = mm_sim_alloc();
    d2 = mm_sim_alloc();
    victim = mm_sim_map_raw(l4, DATA_VA, d1, RWF);
    mm_sim_map_raw(l4, PT_VA, victim, RO);
    ck_assert_int_eq(mm_sim_mmuext(MMUEXT_NEW_BASEPTR, l4, 0), 0);
    ck_assert_int_eq(mm_sim_info(victim).type, PV_TYPE_L1);
    memset(code, 0x90, sizeof(code));
    fake_guest_map(CODE_VA, code, sizeof(code));
    memset(&regs, 0, sizeof(regs));
    regs.rip = CODE_VA;
    regs.rflags = 0x202;
}

static bool fault(const uint8_t *bytes, unsigned n, vaddr_t cr2)
{
    memcpy(code, bytes, n);
    bool ok = pv_ptwr_fault(&regs, cr2, PF_KW);
    ck_mm_invariants();
    return ok;
}

#define V(i) mm_sim_table(victim)[i]

START_TEST(ptwr_mov_forms)
{
    static const uint8_t mov[] = { 0x48, 0x89, 0x07 };
    regs.rdi = PT_VA + 8;
    regs.rax = mm_sim_pte(d2, RWF);
    ck_assert(fault(mov, 3, regs.rdi));
    ck_assert_uint_eq(V(1), mm_sim_pte(d2, RWF));
    ck_assert_uint_eq(regs.rip, CODE_VA + 3);
    ck_assert_uint_eq(mm_sim_info(d2).type, PV_TYPE_WRITABLE);
    ck_assert_uint_eq(mm_sim_info(d2).type_count, 1);

    /* Kernel entry without US: adjusted as on any other path. */
    regs.rip = CODE_VA;
    regs.rax = mm_sim_pte(d2, PTE_P | PTE_G);
    ck_assert(fault(mov, 3, regs.rdi));
    ck_assert_uint_eq(V(1), mm_sim_pte(d2, PTE_P | PTE_US | (1ull << 52)));
    ck_assert_uint_eq(mm_sim_info(d2).type_count, 0);

    static const uint8_t clear[] = { 0x48, 0xc7, 0x07, 0, 0, 0, 0 };
    regs.rip = CODE_VA;
    ck_assert(fault(clear, sizeof(clear), regs.rdi));
    ck_assert_uint_eq(V(1), 0);
    ck_assert_uint_eq(mm_sim_info(d2).refs, 1);

    /* Upper half only (NX): the rest of the entry is kept and rechecked. */
    static const uint8_t hi[] = { 0x89, 0x47, 0x04 };     /* mov %eax,4(%rdi) */
    regs.rip = CODE_VA;
    regs.rdi = PT_VA;
    regs.rax = 0x80000000u;
    ck_assert(fault(hi, 3, PT_VA + 4));
    ck_assert_uint_eq(V(0), mm_sim_pte(d1, RWF) | PTE_NX);

    /* 16-bit and 8-bit stores into the low flags. */
    static const uint8_t w16[] = { 0x66, 0x89, 0x07 };
    regs.rip = CODE_VA;
    regs.rax = (mm_sim_pte(d1, RO) & 0xffff);
    ck_assert(fault(w16, 3, PT_VA));
    ck_assert_uint_eq(V(0), mm_sim_pte(d1, RO) | PTE_NX);
    ck_assert_uint_eq(mm_sim_info(d1).type_count, 0);
    static const uint8_t b8[] = { 0x88, 0x27 };           /* mov %ah,(%rdi) */
    regs.rip = CODE_VA;
    regs.rax = 0x2700;
    ck_assert(fault(b8, 2, PT_VA));
    ck_assert_uint_eq(V(0), mm_sim_pte(d1, RWF) | PTE_NX);
    ck_assert_uint_eq(mm_sim_info(d1).type_count, 1);
}
END_TEST

START_TEST(ptwr_address_forms)
{
    /* REX registers, SIB, displacement, RIP-relative, FS and addr32. */
    static const uint8_t r12[] = { 0x4d, 0x89, 0x0c, 0x24 };          /* mov %r9,(%r12) */
    regs.r12 = PT_VA + 16;
    regs.r9 = mm_sim_pte(d2, RO);
    ck_assert(fault(r12, 4, PT_VA + 16));
    ck_assert_uint_eq(V(2), mm_sim_pte(d2, RO));

    static const uint8_t sib[] = { 0x48, 0x89, 0x44, 0xcf, 0x08 };    /* mov %rax,8(%rdi,%rcx,8) */
    regs.rip = CODE_VA;
    regs.rdi = PT_VA;
    regs.rcx = 2;
    regs.rax = mm_sim_pte(d2, RO);
    ck_assert(fault(sib, 5, PT_VA + 24));
    ck_assert_uint_eq(V(3), mm_sim_pte(d2, RO));

    uint8_t riprel[] = { 0x48, 0x89, 0x05, 0, 0, 0, 0 };
    int32_t disp = (int32_t)(PT_VA + 32 - (CODE_VA + 7));
    memcpy(&riprel[3], &disp, 4);
    regs.rip = CODE_VA;
    ck_assert(fault(riprel, 7, PT_VA + 32));
    ck_assert_uint_eq(V(4), mm_sim_pte(d2, RO));

    static const uint8_t fs[] = { 0x64, 0x48, 0x89, 0x07 };
    /* The base as the guest sets it: set_segment_base writes the MSR only. */
    ck_assert_int_eq(do_set_segment_base(SEGBASE_FS, PT_VA), 0);
    regs.rip = CODE_VA;
    regs.rdi = 40;
    ck_assert(fault(fs, 4, PT_VA + 40));
    ck_assert_uint_eq(V(5), mm_sim_pte(d2, RO));

    static const uint8_t a32[] = { 0x67, 0x48, 0x89, 0x07 };
    regs.rip = CODE_VA;
    regs.rdi = 0xabcd000000000000ull | (PT_VA + 48);
    ck_assert(fault(a32, 4, PT_VA + 48));
    ck_assert_uint_eq(V(6), mm_sim_pte(d2, RO));
    ck_assert_uint_eq(mm_sim_info(d2).refs, 1 + 5);
}
END_TEST

START_TEST(ptwr_exchange_forms)
{
    static const uint8_t xchg[] = { 0x48, 0x87, 0x07 };
    regs.rdi = PT_VA;
    regs.rax = 0;
    ck_assert(fault(xchg, 3, PT_VA));                   /* get-and-clear */
    ck_assert_uint_eq(regs.rax, mm_sim_pte(d1, RWF));
    ck_assert_uint_eq(V(0), 0);
    ck_assert_uint_eq(mm_sim_info(d1).refs, 1);

    static const uint8_t cx[] = { 0xf0, 0x48, 0x0f, 0xb1, 0x37 };   /* lock cmpxchg %rsi,(%rdi) */
    regs.rip = CODE_VA;
    regs.rax = 0;
    regs.rsi = mm_sim_pte(d2, RWF);
    ck_assert(fault(cx, 5, PT_VA));
    ck_assert_uint_eq(V(0), mm_sim_pte(d2, RWF));
    ck_assert(regs.rflags & (1u << 6));                 /* ZF */
    ck_assert_uint_eq(regs.rip, CODE_VA + 5);
    /* Mismatch: memory kept, accumulator loaded, ZF clear, flags of the compare. */
    regs.rip = CODE_VA;
    regs.rax = 5;
    regs.rsi = 0;
    ck_assert(fault(cx, 5, PT_VA));
    ck_assert_uint_eq(V(0), mm_sim_pte(d2, RWF));
    ck_assert_uint_eq(regs.rax, mm_sim_pte(d2, RWF));
    ck_assert(!(regs.rflags & (1u << 6)));
    ck_assert(regs.rflags & 1u);                        /* 5 < entry: borrow */
    /* 32-bit cmpxchg on the low half; failure zero-extends into RAX. */
    static const uint8_t cx32[] = { 0xf0, 0x0f, 0xb1, 0x37 };
    regs.rip = CODE_VA;
    regs.rax = 0xffffffff00000000ull | (uint32_t)mm_sim_pte(d2, RWF);
    regs.rsi = (uint32_t)mm_sim_pte(d2, RO);
    ck_assert(fault(cx32, 4, PT_VA));
    ck_assert_uint_eq(V(0), mm_sim_pte(d2, RO));
    ck_assert_uint_eq(regs.rax, 0xffffffff00000000ull | (uint32_t)mm_sim_pte(d2, RWF));
    regs.rip = CODE_VA;
    regs.rax = 0xffffffff00000000ull;
    ck_assert(fault(cx32, 4, PT_VA));
    ck_assert_uint_eq(regs.rax, (uint32_t)mm_sim_pte(d2, RO));

    static const uint8_t cx8[] = { 0xf0, 0x0f, 0xc7, 0x0f };        /* lock cmpxchg8b (%rdi) */
    pte_t cur = V(0), want = mm_sim_pte(d1, RO);
    regs.rip = CODE_VA;
    regs.rax = (uint32_t)cur;
    regs.rdx = cur >> 32;
    regs.rbx = 0xdead00000000ull | (uint32_t)want;
    regs.rcx = want >> 32;
    ck_assert(fault(cx8, 4, PT_VA));
    ck_assert_uint_eq(V(0), want);
    ck_assert(regs.rflags & (1u << 6));
    regs.rip = CODE_VA;
    regs.rax = regs.rdx = 0;
    ck_assert(fault(cx8, 4, PT_VA));
    ck_assert_uint_eq(regs.rax, (uint32_t)want);
    ck_assert_uint_eq(regs.rdx, want >> 32);
    ck_assert(!(regs.rflags & (1u << 6)));
}
END_TEST

START_TEST(ptwr_bit_forms)
{
    regs.rdi = PT_VA;
    static const uint8_t andb[] = { 0xf0, 0x80, 0x27, 0xfd };       /* wrprotect */
    ck_assert(fault(andb, 4, PT_VA));
    ck_assert_uint_eq(V(0), mm_sim_pte(d1, RO));
    ck_assert_uint_eq(mm_sim_info(d1).type_count, 0);
    ck_assert(!(regs.rflags & 1));
    static const uint8_t orb[] = { 0xf0, 0x80, 0x0f, 0x02 };
    regs.rip = CODE_VA;
    ck_assert(fault(orb, 4, PT_VA));
    ck_assert_uint_eq(V(0), mm_sim_pte(d1, RWF));
    ck_assert_uint_eq(mm_sim_info(d1).type_count, 1);

    static const uint8_t btr[] = { 0xf0, 0x48, 0x0f, 0xba, 0x37, 0x05 };  /* test-and-clear young */
    regs.rip = CODE_VA;
    ck_assert(fault(btr, 6, PT_VA));
    ck_assert_uint_eq(V(0), mm_sim_pte(d1, RWF) & ~PTE_A);
    ck_assert(regs.rflags & 1);
    regs.rip = CODE_VA;
    ck_assert(fault(btr, 6, PT_VA));
    ck_assert(!(regs.rflags & 1));

    /* Register bit offset beyond the operand: the next entry. */
    static const uint8_t bts[] = { 0xf0, 0x48, 0x0f, 0xab, 0x07 };  /* lock bts %rax,(%rdi) */
    V(1) = 0;   /* not present: raw edits are harmless */
    regs.rip = CODE_VA;
    regs.rax = 64 + 9;
    ck_assert(fault(bts, 5, PT_VA + 8));
    ck_assert_uint_eq(V(1), 1u << 9);
    /* Negative offsets go backwards. */
    regs.rip = CODE_VA;
    regs.rdi = PT_VA + 16;
    regs.rax = (uint64_t)-64 + 10;
    ck_assert(fault(bts, 5, PT_VA + 8));
    ck_assert_uint_eq(V(1), (1u << 9) | (1u << 10));

    static const uint8_t xorq[] = { 0xf0, 0x48, 0x31, 0x07 };
    regs.rip = CODE_VA;
    regs.rdi = PT_VA;
    regs.rax = PTE_D;
    ck_assert(fault(xorq, 4, PT_VA));
    ck_assert_uint_eq(V(0), (mm_sim_pte(d1, RWF) & ~PTE_A) | PTE_D);
    ck_assert(!(regs.rflags & (1u << 6)));
}
END_TEST

START_TEST(ptwr_refused_entries)
{
    static const uint8_t mov[] = { 0x48, 0x89, 0x07 };
    regs.rdi = PT_VA + 8;
    pte_t bad[] = {
        mm_sim_pte(SIM_SHIM_FIRST, RO), mm_sim_pte(SIM_IO_FIRST, RO), mm_sim_pte(victim, RWF),
        mm_sim_pte(l4, RWF), mm_sim_pte(d2, RO | PTE_PCD), mm_sim_pte(d2, RO | (1ull << 62)),
    };
    for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        regs.rip = CODE_VA;
        regs.rax = bad[i];
        ck_assert(!fault(mov, 3, regs.rdi));
        ck_assert_uint_eq(regs.rip, CODE_VA);
        ck_assert_uint_eq(V(1), 0);
    }
    /* The or that would make the entry map junk. */
    static const uint8_t orq[] = { 0xf0, 0x48, 0x83, 0x0f, 0xff };
    regs.rdi = PT_VA;
    uint64_t flags = regs.rflags;
    ck_assert(!fault(orq, 5, PT_VA));
    ck_assert_uint_eq(V(0), mm_sim_pte(d1, RWF));
    ck_assert_uint_eq(regs.rflags, flags);
}
END_TEST

START_TEST(ptwr_not_ours)
{
    static const uint8_t mov[] = { 0x48, 0x89, 0x07 };
    regs.rdi = PT_VA;
    regs.rax = 0;
    memcpy(code, mov, 3);
    /* Error codes that aren't a guest-kernel write to a present page. */
    ck_assert(!pv_ptwr_fault(&regs, PT_VA, 1 | 4));
    ck_assert(!pv_ptwr_fault(&regs, PT_VA, 2 | 4));
    ck_assert(!pv_ptwr_fault(&regs, PT_VA, PF_KW | 8));
    ck_assert(!pv_ptwr_fault(&regs, PT_VA, PF_KW | 16));
    /* Assist off, or guest user mode. */
    dom.vm_assist = 0;
    ck_assert(!pv_ptwr_fault(&regs, PT_VA, PF_KW));
    dom.vm_assist = 1ul << VMASST_TYPE_writable_pagetables;
    current->kernel_mode = false;
    ck_assert(!pv_ptwr_fault(&regs, PT_VA, PF_KW));
    current->kernel_mode = true;
    /* Faults elsewhere: a writable data page, an unmapped address, a non-L1 page. */
    ck_assert(!pv_ptwr_fault(&regs, DATA_VA, PF_KW));
    ck_assert(!pv_ptwr_fault(&regs, 0x123456789000ull, PF_KW));
    ck_assert(!pv_ptwr_fault(&regs, 0xffff830000000000ull, PF_KW));
    ck_assert_int_eq(mm_sim_mmu_update1(mm_sim_slot_maddr(victim, 10), mm_sim_pte(d2, RO)), 0);
    regs.rdi = DATA_VA + 10 * PAGE_SIZE;
    ck_assert(!pv_ptwr_fault(&regs, regs.rdi, PF_KW));           /* read-only data */
    /* Unaligned, or outside the faulting page. */
    regs.rdi = PT_VA + 4;
    ck_assert(!pv_ptwr_fault(&regs, PT_VA + 4, PF_KW));
    regs.rdi = PT_VA + PAGE_SIZE;
    ck_assert(!pv_ptwr_fault(&regs, PT_VA, PF_KW));
    /* Instruction we don't handle, or can't fetch. */
    static const uint8_t stos[] = { 0xf3, 0x48, 0xab };
    memcpy(code, stos, 3);
    regs.rdi = PT_VA;
    ck_assert(!pv_ptwr_fault(&regs, PT_VA, PF_KW));
    regs.rip = 0x600000000000ull;
    ck_assert(!pv_ptwr_fault(&regs, PT_VA, PF_KW));
    /* An instruction cut by the end of the mapped code. */
    regs.rip = CODE_VA + sizeof(code) - 2;
    memcpy(code + sizeof(code) - 2, mov, 2);
    ck_assert(!pv_ptwr_fault(&regs, PT_VA, PF_KW));
    /* But one that ends exactly there works. */
    regs.rip = CODE_VA + sizeof(code) - 3;
    memcpy(code + sizeof(code) - 3, mov, 3);
    regs.rax = mm_sim_pte(d2, RO);
    ck_assert(pv_ptwr_fault(&regs, PT_VA, PF_KW));
    ck_assert_uint_eq(V(0), mm_sim_pte(d2, RO));
    ck_mm_invariants();
}
END_TEST

START_TEST(ptwr_unpinned_victim_gone)
{
    /* Once the L1 is no longer a table, writes to it are not emulated. */
    static const uint8_t mov[] = { 0x48, 0x89, 0x07 };
    regs.rdi = PT_VA;
    regs.rax = 0;
    struct pv_walk w;
    ck_assert(pv_mm_walk(DATA_VA, true, &w));
    /* unhook the victim from its L2 */
    ck_assert_int_eq(mm_sim_mmu_update1(mm_sim_slot_maddr(w.table[2], pt_index(DATA_VA, L2_SHIFT)), 0), 0);
    ck_assert_uint_eq(mm_sim_info(victim).type_count, 0);
    ck_assert(!fault(mov, 3, PT_VA));
}
END_TEST

START_TEST(ptwr_byte_registers)
{
    /* xchg %ah,(%rdi): the old byte lands in AH, the rest of RAX kept. */
    static const uint8_t xchg[] = { 0x86, 0x27 };
    regs.rdi = PT_VA;
    regs.rax = 0x1111111111112511ull;               /* AH = 0x25: P|US|A */
    ck_assert(fault(xchg, 2, PT_VA));
    ck_assert_uint_eq(V(0), mm_sim_pte(d1, RO));
    ck_assert_uint_eq(regs.rax, 0x1111111111112711ull);
    /* cmpxchg %cl,(%rdi) failing: AL gets the byte, the rest of RAX kept. */
    static const uint8_t cxb[] = { 0x0f, 0xb0, 0x0f };
    regs.rip = CODE_VA;
    regs.rax = 0xaaaaaaaaaaaaaa00ull;
    regs.rcx = 0x27;
    ck_assert(fault(cxb, 3, PT_VA));
    ck_assert_uint_eq(regs.rax, 0xaaaaaaaaaaaaaa25ull);
    ck_assert_uint_eq(V(0), mm_sim_pte(d1, RO));
    /* succeeding with a REX byte register (SIL) */
    static const uint8_t cxsil[] = { 0x40, 0x0f, 0xb0, 0x37 };
    regs.rip = CODE_VA;
    regs.rsi = 0x27;
    ck_assert(fault(cxsil, 4, PT_VA));
    ck_assert_uint_eq(V(0), mm_sim_pte(d1, RWF));
    /* 16-bit cmpxchg: signed overflow sets OF (0x8000 - 1) */
    static const uint8_t cxw[] = { 0x66, 0x0f, 0xb1, 0x37 };
    regs.rip = CODE_VA;
    regs.rax = 0x8000;
    regs.rdi = PT_VA + 2;
    ck_assert(fault(cxw, 4, PT_VA + 2));
    ck_assert(regs.rflags & (1u << 11));
    ck_assert_uint_eq(regs.rax, (mm_sim_pte(d1, RWF) >> 16) & 0xffff);   /* bits 16-31 of the entry */
}
END_TEST

static Suite *mm_ptwr_suite(void)
{
    Suite *s = suite_create("mm_ptwr");
    TCase *dec = tcase_create("decode");
    tcase_add_test(dec, decode_forms);
    tcase_add_test(dec, decode_addresses);
    tcase_add_test(dec, decode_common_form_as_general);
    tcase_add_test(dec, decode_refusals);
    suite_add_tcase(s, dec);
    TCase *tc = tcase_create("emulate");
    tcase_add_checked_fixture(tc, ptwr_setup, mm_sim_teardown);
    tcase_add_test(tc, ptwr_mov_forms);
    tcase_add_test(tc, ptwr_address_forms);
    tcase_add_test(tc, ptwr_exchange_forms);
    tcase_add_test(tc, ptwr_bit_forms);
    tcase_add_test(tc, ptwr_refused_entries);
    tcase_add_test(tc, ptwr_byte_registers);
    tcase_add_test(tc, ptwr_not_ours);
    tcase_add_test(tc, ptwr_unpinned_victim_gone);
    suite_add_tcase(s, tc);
    return s;
}
UNIT_SUITE(mm_ptwr_suite)
