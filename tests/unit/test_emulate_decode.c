/* The x86 decoder: lengths, prefixes, operands, registers, effective addresses. */
#include <stdlib.h>
#include <string.h>
#include <pvshim/cpu_regs.h>
#include "x86_decode.h"
#include "unit.h"
#include "fakes.h"

struct enc {
    const char *name;
    enum x86_mode mode;
    uint8_t bytes[16];
    unsigned nbytes;
    int rc;             /* expected x86_decode result */
    unsigned len;       /* expected length when rc == OK */
    unsigned op_size;   /* 0: don't check */
};

#define B(...) { __VA_ARGS__ }, sizeof((uint8_t[]){ __VA_ARGS__ })
#define M64 X86_MODE_64
#define M32 X86_MODE_32
#define OK X86_DECODE_OK

static const struct enc table[] = {
    /* privileged instructions */
    { "rdmsr",            M64, B(0x0f, 0x32), OK, 2, 4 },
    { "wrmsr",            M64, B(0x0f, 0x30), OK, 2, 4 },
    { "rdtsc",            M64, B(0x0f, 0x31), OK, 2, 4 },
    { "rdpmc",            M64, B(0x0f, 0x33), OK, 2, 0 },
    { "cpuid",            M64, B(0x0f, 0xa2), OK, 2, 0 },
    { "clts",             M64, B(0x0f, 0x06), OK, 2, 0 },
    { "invd",             M64, B(0x0f, 0x08), OK, 2, 0 },
    { "wbinvd",           M64, B(0x0f, 0x09), OK, 2, 0 },
    { "wbnoinvd",         M64, B(0xf3, 0x0f, 0x09), OK, 3, 0 },
    { "ud2",              M64, B(0x0f, 0x0b), OK, 2, 0 },
    { "mov rax,cr3",      M64, B(0x0f, 0x20, 0xd8), OK, 3, 0 },
    { "mov cr3,rax",      M64, B(0x0f, 0x22, 0xd8), OK, 3, 0 },
    { "mov r8,cr0 (rex)", M64, B(0x41, 0x0f, 0x20, 0xc0), OK, 4, 0 },
    { "mov cr with mod0", M64, B(0x0f, 0x20, 0x04, 0xaa), OK, 3, 0 },   /* no SIB fetched */
    { "mov cr with mod2", M64, B(0x0f, 0x22, 0x98), OK, 3, 0 },         /* no disp32 fetched */
    { "mov rax,dr7",      M64, B(0x0f, 0x21, 0xf8), OK, 3, 0 },
    { "xsetbv",           M64, B(0x0f, 0x01, 0xd1), OK, 3, 0 },
    { "rdtscp",           M64, B(0x0f, 0x01, 0xf9), OK, 3, 0 },
    { "lmsw ax",          M64, B(0x0f, 0x01, 0xf0), OK, 3, 0 },
    { "lgdt [rip+x]",     M64, B(0x0f, 0x01, 0x15, 1, 2, 3, 4), OK, 7, 0 },
    { "hlt",              M64, B(0xf4), OK, 1, 0 },
    { "cli",              M64, B(0xfa), OK, 1, 0 },
    /* port I/O */
    { "in al,imm8",       M64, B(0xe4, 0x71), OK, 2, 1 },
    { "in eax,imm8",      M64, B(0xe5, 0x70), OK, 2, 4 },
    { "in ax,imm8",       M64, B(0x66, 0xe5, 0x70), OK, 3, 2 },
    { "out imm8,al",      M64, B(0xe6, 0x80), OK, 2, 1 },
    { "in al,dx",         M64, B(0xec), OK, 1, 1 },
    { "out dx,eax",       M64, B(0xef), OK, 1, 4 },
    { "rex.w in",         M64, B(0x48, 0xed), OK, 2, 8 },
    { "insb",             M64, B(0x6c), OK, 1, 1 },
    { "rep insd",         M64, B(0xf3, 0x6d), OK, 2, 4 },
    { "rep outsw a32",    M64, B(0x67, 0xf3, 0x66, 0x6f), OK, 4, 2 },
    /* ModRM, SIB, displacement */
    { "mov rax,[abs32]",  M64, B(0x48, 0x8b, 0x04, 0x25, 0x78, 0x56, 0x34, 0x12), OK, 8, 8 },
    { "mov rax,[rip+16]", M64, B(0x48, 0x8b, 0x05, 0x10, 0, 0, 0), OK, 7, 8 },
    { "mov eax,[rsp+8]",  M64, B(0x8b, 0x44, 0x24, 0x08), OK, 4, 4 },
    { "mov eax,[r13+rcx*4-128]", M64, B(0x41, 0x8b, 0x44, 0x8d, 0x80), OK, 5, 4 },
    { "mov eax,[r12*4+d32]", M64, B(0x42, 0x8b, 0x04, 0xa5, 0, 0, 0, 0), OK, 8, 4 },
    { "mov [rbp+d32],ecx", M64, B(0x89, 0x8d, 1, 2, 3, 4), OK, 6, 4 },
    { "mov al,[rbx]",     M64, B(0x8a, 0x03), OK, 2, 1 },
    /* immediates */
    { "mov rax,imm64",    M64, B(0x48, 0xb8, 1, 2, 3, 4, 5, 6, 7, 8), OK, 10, 8 },
    { "mov eax,imm32",    M64, B(0xb8, 1, 2, 3, 4), OK, 5, 4 },
    { "mov ax,imm16",     M64, B(0x66, 0xb8, 1, 2), OK, 4, 2 },
    { "mov [rip],imm32",  M64, B(0xc7, 0x05, 1, 2, 3, 4, 5, 6, 7, 8), OK, 10, 4 },
    { "mov word [rip],imm16", M64, B(0x66, 0xc7, 0x05, 1, 2, 3, 4, 5, 6), OK, 9, 2 },
    { "mov qword [rax],simm32", M64, B(0x48, 0xc7, 0x00, 1, 2, 3, 4), OK, 7, 8 },
    { "add eax,imm32",    M64, B(0x05, 1, 2, 3, 4), OK, 5, 4 },
    { "add r/m,imm8",     M64, B(0x83, 0xc0, 0x01), OK, 3, 4 },
    { "test eax,imm32",   M64, B(0xf7, 0xc0, 1, 2, 3, 4), OK, 6, 4 },
    { "not eax",          M64, B(0xf7, 0xd0), OK, 2, 4 },
    { "test al,imm8",     M64, B(0xf6, 0xc0, 0x12), OK, 3, 1 },
    { "push imm32",       M64, B(0x68, 1, 2, 3, 4), OK, 5, 8 },
    { "push rax",         M64, B(0x50), OK, 1, 8 },
    { "call rel32",       M64, B(0xe8, 1, 2, 3, 4), OK, 5, 8 },
    { "o16 call (intel)", M64, B(0x66, 0xe8, 1, 2, 3, 4), OK, 6, 8 },
    { "jcc rel32",        M64, B(0x0f, 0x84, 1, 2, 3, 4), OK, 6, 8 },
    { "jmp rel8",         M64, B(0xeb, 0xfe), OK, 2, 8 },
    { "enter",            M64, B(0xc8, 0x10, 0x00, 0x01), OK, 4, 0 },
    { "ret imm16",        M64, B(0xc2, 0x08, 0x00), OK, 3, 0 },
    { "mov al,moffs64",   M64, B(0xa0, 1, 2, 3, 4, 5, 6, 7, 8), OK, 9, 1 },
    { "mov eax,moffs32",  M64, B(0x67, 0xa1, 1, 2, 3, 4), OK, 6, 4 },
    { "pop r/m",          M64, B(0x8f, 0xc0), OK, 2, 8 },
    { "bt r/m,imm8",      M64, B(0x0f, 0xba, 0xe0, 0x05), OK, 4, 4 },
    { "pshufb (0f38)",    M64, B(0x66, 0x0f, 0x38, 0x00, 0xc1), OK, 5, 0 },
    { "palignr (0f3a)",   M64, B(0x66, 0x0f, 0x3a, 0x0f, 0xc1, 0x08), OK, 6, 0 },
    { "x87 fld [rax]",    M64, B(0xd9, 0x00), OK, 2, 0 },
    /* REX and legacy prefix ordering */
    { "rex then 66 voids rex", M64, B(0x48, 0x66, 0xb8, 0x34, 0x12), OK, 5, 2 },
    { "66 then rex.w",    M64, B(0x66, 0x48, 0xb8, 1, 2, 3, 4, 5, 6, 7, 8), OK, 11, 8 },
    { "two rex, last wins", M64, B(0x41, 0x48, 0xb8, 1, 2, 3, 4, 5, 6, 7, 8), OK, 11, 8 },
    { "14 prefixes",      M64, B(0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66,
                                 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x90), OK, 15, 0 },
    { "15 prefixes",      M64, B(0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66,
                                 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x90),
      X86_DECODE_TOO_LONG, 0, 0 },
    { "16 bytes by immediates", M64, B(0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x48,
                                       0xb8, 1, 2, 3, 4, 5, 6, 7), X86_DECODE_TOO_LONG, 0, 0 },
    /* invalid or refused */
    { "push es (64)",     M64, B(0x06), X86_DECODE_INVALID, 0, 0 },
    { "daa (64)",         M64, B(0x27), X86_DECODE_INVALID, 0, 0 },
    { "aam (64)",         M64, B(0xd4, 0x0a), X86_DECODE_INVALID, 0, 0 },
    { "call far (64)",    M64, B(0x9a, 1, 2, 3, 4, 5, 6), X86_DECODE_INVALID, 0, 0 },
    { "0f 04",            M64, B(0x0f, 0x04), X86_DECODE_INVALID, 0, 0 },
    { "mov tr",           M64, B(0x0f, 0x24, 0xc0), X86_DECODE_INVALID, 0, 0 },
    { "vex3 (64)",        M64, B(0xc4, 0xe2, 0x79, 0x18, 0x00), X86_DECODE_UNSUPPORTED, 0, 0 },
    { "vex2 (64)",        M64, B(0xc5, 0xf8, 0x77), X86_DECODE_UNSUPPORTED, 0, 0 },
    { "evex (64)",        M64, B(0x62, 0xf1, 0x7c, 0x48, 0x10, 0x00), X86_DECODE_UNSUPPORTED, 0, 0 },
    { "xop",              M64, B(0x8f, 0xe9, 0x78, 0x01, 0xc0), X86_DECODE_UNSUPPORTED, 0, 0 },
    { "3dnow",            M64, B(0x0f, 0x0f, 0xc1, 0x9e), X86_DECODE_UNSUPPORTED, 0, 0 },
    /* truncated */
    { "empty",            M64, { 0 }, 0, X86_DECODE_TRUNCATED, 0, 0 },
    { "lone 0f",          M64, B(0x0f), X86_DECODE_TRUNCATED, 0, 0 },
    { "0f 38 alone",      M64, B(0x0f, 0x38), X86_DECODE_TRUNCATED, 0, 0 },
    { "prefixes only",    M64, B(0x66, 0xf3, 0x48), X86_DECODE_TRUNCATED, 0, 0 },
    { "missing SIB",      M64, B(0x48, 0x8b, 0x04), X86_DECODE_TRUNCATED, 0, 0 },
    { "short disp32",     M64, B(0x8b, 0x05, 1, 2, 3), X86_DECODE_TRUNCATED, 0, 0 },
    { "short imm",        M64, B(0xb8, 1, 2), X86_DECODE_TRUNCATED, 0, 0 },
    { "vex peek",         M64, B(0x8f), X86_DECODE_TRUNCATED, 0, 0 },
    /* 32-bit mode */
    { "inc eax (32)",     M32, B(0x40), OK, 1, 4 },
    { "push es (32)",     M32, B(0x06), OK, 1, 4 },
    { "call far (32)",    M32, B(0x9a, 1, 2, 3, 4, 5, 6), OK, 7, 4 },
    { "o16 call far (32)", M32, B(0x66, 0x9a, 1, 2, 3, 4), OK, 6, 2 },
    { "o16 call (32)",    M32, B(0x66, 0xe8, 1, 2), OK, 4, 2 },
    { "moffs (32)",       M32, B(0xa1, 1, 2, 3, 4), OK, 5, 4 },
    { "moffs a16 (32)",   M32, B(0x67, 0xa1, 1, 2), OK, 4, 4 },
    { "lds (32)",         M32, B(0xc5, 0x05, 1, 2, 3, 4), OK, 6, 4 },
    { "lds [esi] (32)",   M32, B(0xc5, 0x06), OK, 2, 4 },
    { "vex2 (32)",        M32, B(0xc5, 0xf8, 0x77), X86_DECODE_UNSUPPORTED, 0, 0 },
    { "bound (32)",       M32, B(0x62, 0x00), OK, 2, 4 },
    { "[bp+8] a16",       M32, B(0x67, 0x8b, 0x46, 0x08), OK, 4, 4 },
    { "[disp16] a16",     M32, B(0x67, 0x8b, 0x06, 0x34, 0x12), OK, 5, 4 },
    { "[bx+si+d16] a16",  M32, B(0x67, 0x8b, 0x80, 0x34, 0x12), OK, 5, 4 },
    { "[ebp+d32] (32)",   M32, B(0x8b, 0x85, 1, 2, 3, 4), OK, 6, 4 },
    { "in al,dx (32)",    M32, B(0xec), OK, 1, 1 },
};

START_TEST(decode_table)
{
    const struct enc *e = &table[_i];
    struct x86_insn insn;
    int rc = x86_decode(&insn, e->bytes, e->nbytes, e->mode);
    ck_assert_msg(rc == e->rc, "%s: rc %d, expected %d", e->name, rc, e->rc);
    if (rc == OK) {
        ck_assert_msg(insn.len == e->len, "%s: len %u, expected %u", e->name, insn.len, e->len);
        ck_assert_int_eq(memcmp(insn.bytes, e->bytes, insn.len), 0);
        if (e->op_size)
            ck_assert_msg(insn.op_size == e->op_size, "%s: op_size %u, expected %u",
                          e->name, insn.op_size, e->op_size);
    }
}
END_TEST

/* Every prefix of every valid encoding is truncated, never over-read (ASan watches). */
START_TEST(decode_every_prefix_truncated)
{
    const struct enc *e = &table[_i];
    if (e->rc != OK)
        return;
    for (unsigned n = 0; n < e->len; n++) {
        uint8_t *copy = malloc(n ? n : 1);
        memcpy(copy, e->bytes, n);
        struct x86_insn insn;
        int rc = x86_decode(&insn, copy, n, e->mode);
        free(copy);
        ck_assert_msg(rc == X86_DECODE_TRUNCATED, "%s: %u bytes gave %d", e->name, n, rc);
    }
}
END_TEST

START_TEST(decode_fields)
{
    struct x86_insn i;
    static const uint8_t movcr[] = { 0x44, 0x0f, 0x22, 0xc1 };     /* mov cr8, rcx */
    ck_assert_int_eq(x86_decode(&i, movcr, sizeof(movcr), M64), OK);
    ck_assert_int_eq(i.map, X86_MAP_0F);
    ck_assert_int_eq(i.opcode, 0x22);
    ck_assert_int_eq(i.reg, 8);
    ck_assert_int_eq(i.rm, X86_RCX);
    ck_assert_int_eq(i.mod, 3);
    ck_assert_int_eq(i.rex, 0x44);

    static const uint8_t sib[] = { 0x41, 0x8b, 0x44, 0x8d, 0x80 };
    ck_assert_int_eq(x86_decode(&i, sib, sizeof(sib), M64), OK);
    ck_assert(i.has_sib);
    ck_assert_int_eq(i.base, X86_R13);
    ck_assert_int_eq(i.index, X86_RCX);
    ck_assert_int_eq(i.scale, 4);
    ck_assert_int_eq(i.disp, -128);
    ck_assert_int_eq(i.disp_size, 1);
    ck_assert(!i.no_base && !i.no_index);

    static const uint8_t r12idx[] = { 0x42, 0x8b, 0x04, 0xa5, 0x10, 0, 0, 0 };
    ck_assert_int_eq(x86_decode(&i, r12idx, sizeof(r12idx), M64), OK);
    ck_assert_int_eq(i.index, X86_R12);
    ck_assert(!i.no_index);
    ck_assert(i.no_base);
    ck_assert_int_eq(i.disp, 0x10);

    static const uint8_t noidx[] = { 0x8b, 0x04, 0x24 };            /* [rsp] */
    ck_assert_int_eq(x86_decode(&i, noidx, sizeof(noidx), M64), OK);
    ck_assert(i.no_index);
    ck_assert_int_eq(x86_insn_mem_seg(&i), X86_SEG_SS);

    static const uint8_t segs[] = { 0x2e, 0x64, 0xf2, 0xf3, 0xf0, 0x67, 0x6e };
    ck_assert_int_eq(x86_decode(&i, segs, sizeof(segs), M64), OK);
    ck_assert_int_eq(i.seg, X86_SEG_FS);
    ck_assert(i.rep && !i.repne && i.lock && i.adsize_prefix);
    ck_assert_int_eq(i.addr_size, 4);

    static const uint8_t in[] = { 0xe4, 0x71 };
    ck_assert_int_eq(x86_decode(&i, in, sizeof(in), M64), OK);
    ck_assert_int_eq(i.imm, 0x71);
    ck_assert_int_eq(i.imm_size, 1);

    static const uint8_t enter[] = { 0xc8, 0x34, 0x12, 0x03 };
    ck_assert_int_eq(x86_decode(&i, enter, sizeof(enter), M64), OK);
    ck_assert_int_eq(i.imm, 0x1234);
    ck_assert_int_eq(i.imm2, 3);

    static const uint8_t imm64[] = { 0x48, 0xb8, 1, 2, 3, 4, 5, 6, 7, 0x88 };
    ck_assert_int_eq(x86_decode(&i, imm64, sizeof(imm64), M64), OK);
    ck_assert(i.imm == 0x8807060504030201ull);

    static const uint8_t bad_mode[] = { 0x90 };
    ck_assert_int_eq(x86_decode(&i, bad_mode, 1, (enum x86_mode)2), X86_DECODE_UNSUPPORTED);
}
END_TEST

START_TEST(gpr_access)
{
    struct cpu_regs r;
    memset(&r, 0, sizeof(r));
    r.rax = 0x1122334455667788ull;
    r.rsp = 0xaabbccddeeff0011ull;
    r.r15 = 0x0102030405060708ull;

    ck_assert(x86_gpr_read(&r, X86_RAX, 8, false) == 0x1122334455667788ull);
    ck_assert(x86_gpr_read(&r, X86_RAX, 4, false) == 0x55667788u);
    ck_assert(x86_gpr_read(&r, X86_RAX, 2, false) == 0x7788u);
    ck_assert(x86_gpr_read(&r, X86_RAX, 1, false) == 0x88u);
    ck_assert(x86_gpr_read(&r, 4, 1, false) == 0x77u);             /* AH */
    ck_assert(x86_gpr_read(&r, 4, 1, true) == 0x11u);              /* SPL */
    ck_assert(x86_gpr_read(&r, X86_R15, 8, true) == 0x0102030405060708ull);

    x86_gpr_write(&r, X86_RAX, 4, false, 0xdeadbeef);
    ck_assert(r.rax == 0xdeadbeefull);                              /* zero-extended */
    x86_gpr_write(&r, X86_RAX, 2, false, 0x1234);
    ck_assert(r.rax == 0xdead1234ull);                              /* merged */
    x86_gpr_write(&r, 4, 1, false, 0x99);                           /* AH */
    ck_assert(r.rax == 0xdead9934ull);
    x86_gpr_write(&r, 4, 1, true, 0x55);                            /* SPL */
    ck_assert(r.rsp == 0xaabbccddeeff0055ull);
    x86_gpr_write(&r, X86_R15, 8, true, 42);
    ck_assert(r.r15 == 42);
    ck_assert(x86_gpr_ptr(&r, X86_RDI) == &r.rdi);
    ck_assert(x86_gpr_ptr(&r, X86_RSP) == &r.rsp);
}
END_TEST

START_TEST(effective_address)
{
    struct cpu_regs r;
    struct x86_insn i;
    uint64_t off;
    memset(&r, 0, sizeof(r));
    r.r13 = 0x1000;
    r.rcx = 3;
    r.rbp = 0xffff;
    r.rsi = 0x10;
    r.rbx = 0x7fff0000;

    static const uint8_t sib[] = { 0x41, 0x8b, 0x44, 0x8d, 0x80 };  /* [r13+rcx*4-128] */
    x86_decode(&i, sib, sizeof(sib), M64);
    ck_assert(x86_insn_mem_offset(&i, &r, 0, &off));
    ck_assert(off == 0x1000 + 12 - 128);

    static const uint8_t rip[] = { 0x48, 0x8b, 0x05, 0x10, 0, 0, 0 };
    x86_decode(&i, rip, sizeof(rip), M64);
    ck_assert(x86_insn_mem_offset(&i, &r, 0xffffffff81000000ull, &off));
    ck_assert(off == 0xffffffff81000000ull + 7 + 0x10);
    ck_assert_int_eq(x86_insn_mem_seg(&i), X86_SEG_DS);

    static const uint8_t a32[] = { 0x67, 0x8b, 0x43, 0xff };        /* [ebx-1], a32 */
    r.rbx = 0x100000000ull;
    x86_decode(&i, a32, sizeof(a32), M64);
    ck_assert(x86_insn_mem_offset(&i, &r, 0, &off));
    ck_assert(off == 0xffffffffull);                                /* wraps in 32 bits */

    static const uint8_t a16[] = { 0x67, 0x8b, 0x42, 0x08 };        /* [bp+si+8], a16 */
    x86_decode(&i, a16, sizeof(a16), M32);
    ck_assert(x86_insn_mem_offset(&i, &r, 0, &off));
    ck_assert(off == ((0xffff + 0x10 + 8) & 0xffff));
    ck_assert_int_eq(x86_insn_mem_seg(&i), X86_SEG_SS);

    static const uint8_t rbp[] = { 0x8b, 0x45, 0x08 };              /* [rbp+8] */
    x86_decode(&i, rbp, sizeof(rbp), M64);
    ck_assert_int_eq(x86_insn_mem_seg(&i), X86_SEG_SS);
    static const uint8_t r13[] = { 0x41, 0x8b, 0x45, 0x08 };        /* [r13+8]: DS */
    x86_decode(&i, r13, sizeof(r13), M64);
    ck_assert_int_eq(x86_insn_mem_seg(&i), X86_SEG_DS);

    static const uint8_t reg[] = { 0x89, 0xc0 };
    x86_decode(&i, reg, sizeof(reg), M64);
    ck_assert(!x86_insn_mem_offset(&i, &r, 0, &off));
}
END_TEST

START_TEST(fetch_from_guest)
{
    static uint8_t page[64];
    fake_guest_reset();
    memset(page, 0x90, sizeof(page));
    /* mov rax, imm64 straddling the end of the mapped bytes */
    static const uint8_t mov[] = { 0x48, 0xb8, 1, 2, 3, 4, 5, 6, 7, 8 };
    memcpy(page + 60, mov, 4);
    fake_guest_map(0x400000, page, sizeof(page));

    struct x86_insn i;
    ck_assert_int_eq(x86_fetch_decode(&i, 0x400000, 15, M64), OK);
    ck_assert_int_eq(i.len, 1);                                     /* nop */
    ck_assert_int_eq(x86_fetch_decode(&i, 0x400000 + 60, 15, M64), X86_DECODE_TRUNCATED);
    ck_assert_int_eq(x86_fetch_decode(&i, 0x500000, 15, M64), X86_DECODE_FAULT);
    /* A limit shorter than the instruction truncates it. */
    memcpy(page, mov, sizeof(mov));
    ck_assert_int_eq(x86_fetch_decode(&i, 0x400000, 5, M64), X86_DECODE_TRUNCATED);
    ck_assert_int_eq(x86_fetch_decode(&i, 0x400000, 15, M64), OK);
    ck_assert_int_eq(i.len, 10);
    /* pvshim's own range and non-canonical addresses are never read. */
    ck_assert_int_eq(x86_fetch_decode(&i, 0xffff800000001000ull, 15, M64), X86_DECODE_FAULT);
    ck_assert_int_eq(x86_fetch_decode(&i, 0x0000900000000000ull, 15, M64), X86_DECODE_FAULT);
    /* 32-bit mode: no wrap past 4 GiB. */
    ck_assert_int_eq(x86_fetch_decode(&i, 0xfffffffe, 15, M32), X86_DECODE_FAULT);
}
END_TEST

/* The short decoder agrees with the full one wherever it answers, and answers for its thirteen opcodes. */
START_TEST(decode_short_matches)
{
    static const enum x86_mode modes[] = { M32, M64 };
    unsigned hits = 0;
    for (unsigned m = 0; m < 2; m++)
        for (unsigned avail = 1; avail <= 2; avail++)
            for (unsigned b = 0; b < 0x10000; b++) {
                uint8_t buf[2] = { (uint8_t)b, (uint8_t)(b >> 8) };
                struct x86_insn fast, full;
                memset(&fast, 0xa5, sizeof(fast));
                if (!x86_decode_short(&fast, buf, avail, modes[m]))
                    continue;
                hits++;
                ck_assert_int_eq(x86_decode(&full, buf, avail, modes[m]), OK);
                ck_assert_mem_eq(&fast, &full, sizeof(full));
            }
    /* 4 imm8 forms with 2 bytes; 6 one-byte forms with 1 or 2; WRMSR, RDTSC, RDMSR; in both modes. */
    ck_assert_uint_eq(hits, 2 * (256 * (4 + 6 + 6) + 3));
    /* An IN DX as the last readable byte: the two-byte fetch fails, the full path decodes it. */
    static uint8_t page[16];
    fake_guest_reset();
    memset(page, 0x90, sizeof(page));
    page[15] = 0xec;
    fake_guest_map(0x400000, page, sizeof(page));
    struct x86_insn i;
    ck_assert_int_eq(x86_fetch_decode(&i, 0x400000 + 15, 15, M64), OK);
    ck_assert_int_eq(i.len, 1);
    ck_assert_int_eq(i.opcode, 0xec);
    ck_assert_int_eq(i.op_size, 1);
}
END_TEST

static Suite *emulate_decode_suite(void)
{
    Suite *s = suite_create("emulate_decode");
    TCase *tc = tcase_create("decode");
    tcase_add_loop_test(tc, decode_table, 0, sizeof(table) / sizeof(table[0]));
    tcase_add_loop_test(tc, decode_every_prefix_truncated, 0, sizeof(table) / sizeof(table[0]));
    tcase_add_test(tc, decode_fields);
    tcase_add_test(tc, gpr_access);
    tcase_add_test(tc, effective_address);
    tcase_add_test(tc, fetch_from_guest);
    tcase_add_test(tc, decode_short_matches);
    suite_add_tcase(s, tc);
    return s;
}
UNIT_SUITE(emulate_decode_suite)
