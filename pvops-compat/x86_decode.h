/*
 * A small x86 instruction decoder for emulating what a PV guest cannot run
 * itself: legacy and REX prefixes, the one-byte opcode map and the 0F, 0F38
 * and 0F3A maps, ModRM/SIB/displacement/immediate, operand and address
 * size. It finds lengths and operands; it does not execute anything.
 *
 * VEX, XOP and EVEX encodings are recognised and refused (no privileged
 * instruction uses them). 16-bit code segments are refused; 16-bit
 * addressing (0x67 in 32-bit code) is decoded.
 *
 * Invariant: the decoder never reads past the bytes it was given nor past
 * X86_MAX_INSN_LEN, whatever the input.
 */
#ifndef PVSHIM_X86_DECODE_H
#define PVSHIM_X86_DECODE_H

#include <pvshim/types.h>
#include <pvshim/cpu_regs.h>

#define X86_MAX_INSN_LEN 15

enum x86_mode {
    X86_MODE_32 = 4,        /* protected/compatibility mode, 32-bit CS */
    X86_MODE_64 = 8,        /* 64-bit mode */
};

enum x86_map {
    X86_MAP_1BYTE,
    X86_MAP_0F,
    X86_MAP_0F38,
    X86_MAP_0F3A,
};

/* Segment register numbers, as in ModRM.reg of MOV Sreg. */
enum x86_seg {
    X86_SEG_ES, X86_SEG_CS, X86_SEG_SS, X86_SEG_DS, X86_SEG_FS, X86_SEG_GS,
    X86_SEG_NONE = 0xff,
};

/* General registers in encoding order. */
enum x86_gpr {
    X86_RAX, X86_RCX, X86_RDX, X86_RBX, X86_RSP, X86_RBP, X86_RSI, X86_RDI,
    X86_R8, X86_R9, X86_R10, X86_R11, X86_R12, X86_R13, X86_R14, X86_R15,
};

/* Decoder results (negative: not decoded). */
enum {
    X86_DECODE_OK = 0,
    X86_DECODE_TRUNCATED = -1,      /* ran out of bytes before the end */
    X86_DECODE_TOO_LONG = -2,       /* would exceed 15 bytes (#GP on hardware) */
    X86_DECODE_INVALID = -3,        /* undefined or invalid in this mode (#UD) */
    X86_DECODE_UNSUPPORTED = -4,    /* VEX/XOP/EVEX, 3DNow!: not handled here */
    X86_DECODE_FAULT = -5,          /* the bytes could not be fetched at all */
};

struct x86_insn {
    uint8_t len;                /* total length, 1..15 */
    uint8_t bytes[X86_MAX_INSN_LEN];
    enum x86_mode mode;

    /* prefixes */
    bool lock;                  /* F0 */
    bool rep;                   /* F3 (REP/REPE) */
    bool repne;                 /* F2 */
    bool opsize_prefix;         /* 66 */
    bool adsize_prefix;         /* 67 */
    uint8_t seg;                /* override, or X86_SEG_NONE */
    uint8_t rex;                /* the REX byte that applies, 0 if none */

    /* opcode */
    enum x86_map map;
    uint8_t opcode;

    /* ModRM and SIB; reg/rm/index/base already extended by REX */
    bool has_modrm;
    uint8_t modrm, mod, reg, rm;
    bool has_sib;
    uint8_t sib, scale, index, base;    /* scale in bytes: 1, 2, 4, 8 */
    bool no_base;               /* SIB base 101 with mod 00: disp32 only */
    bool no_index;              /* SIB index 100 (without REX.X): none */
    bool rip_relative;          /* mod 00, rm 101 in 64-bit mode */
    int32_t disp;               /* sign-extended */
    uint8_t disp_size;          /* 0, 1, 2 or 4 bytes */

    uint64_t imm;               /* first immediate, zero-extended as encoded */
    uint8_t imm_size;           /* bytes */
    uint16_t imm2;              /* ENTER's second, far pointers' selector */
    uint8_t imm2_size;

    uint8_t op_size;            /* effective operand size: 1, 2, 4 or 8 */
    uint8_t addr_size;          /* effective address size: 2, 4 or 8 */
};

/* REX bits */
#define X86_REX_W 0x08
#define X86_REX_R 0x04
#define X86_REX_X 0x02
#define X86_REX_B 0x01

/* Decode one instruction from buf[0..avail). */
int x86_decode(struct x86_insn *insn, const uint8_t *buf, size_t avail,
               enum x86_mode mode);

/*
 * The instructions a PV kernel traps on most, IN/OUT with an 8-bit port or
 * DX, CLI/STI, WRMSR, RDTSC and RDMSR (no prefix, no ModRM), decoded without
 * the tables: true and the same result as x86_decode (the unit tests
 * compare the two on every two-byte input), or false for anything else.
 */
bool x86_decode_short(struct x86_insn *insn, const uint8_t *buf, size_t avail,
                      enum x86_mode mode);

/*
 * Fetch up to 15 bytes at guest address addr with copy_from_guest (as
 * many as are readable, stopping at the first unreadable page, and at
 * most max_len: a segment limit) and decode them. X86_DECODE_FAULT if not
 * even the first byte is readable.
 */
int x86_fetch_decode(struct x86_insn *insn, vaddr_t addr, size_t max_len,
                     enum x86_mode mode);

/* Does this ModRM name a memory operand (mod != 3)? */
static inline bool x86_insn_has_mem(const struct x86_insn *insn)
{
    return insn->has_modrm && insn->mod != 3;
}

/*
 * General registers of a saved frame by encoding number. For size 1
 * without REX, numbers 4-7 mean AH, CH, DH, BH. Writes follow the CPU:
 * 32-bit writes zero the upper half, 8- and 16-bit writes merge.
 */
uint64_t x86_gpr_read(const struct cpu_regs *regs, unsigned reg, unsigned size,
                      bool rex);
void x86_gpr_write(struct cpu_regs *regs, unsigned reg, unsigned size,
                   bool rex, uint64_t val);
/* The 64-bit register itself (reg 0-15). */
uint64_t *x86_gpr_ptr(struct cpu_regs *regs, unsigned reg);

/*
 * The offset (before any segment base) of the memory operand, truncated
 * to the address size; RIP-relative operands count from the end of the
 * instruction at rip. false if the instruction has no memory operand.
 */
bool x86_insn_mem_offset(const struct x86_insn *insn,
                         const struct cpu_regs *regs, uint64_t rip,
                         uint64_t *offset);

/* The segment a memory operand uses: the override, else DS or SS. */
enum x86_seg x86_insn_mem_seg(const struct x86_insn *insn);

#endif
