/*
 * Decoding the few 64-bit mode instructions a guest kernel uses to write a
 * page-table entry in place: MOV (register, immediate), XCHG, CMPXCHG,
 * CMPXCHG8B, OR/AND/XOR, BTS/BTR/BTC, with LOCK, operand-size, address-size,
 * FS/GS and REX prefixes and any ModRM/SIB/displacement form. Anything
 * else (register destinations, other opcodes, string ops) is refused.
 * This is deliberately not a general decoder: only memory writes the
 * writable-page-table path can apply.
 */
#ifndef PVSHIM_PTWR_INSN_H
#define PVSHIM_PTWR_INSN_H

#include <pvshim/types.h>

enum ptwr_op {
    PTWR_MOV,
    PTWR_XCHG,
    PTWR_CMPXCHG,
    PTWR_CMPXCHG8B,
    PTWR_OR,
    PTWR_AND,
    PTWR_XOR,
    PTWR_BTS,
    PTWR_BTR,
    PTWR_BTC,
};

enum ptwr_seg { PTWR_SEG_DEFAULT, PTWR_SEG_FS, PTWR_SEG_GS };

#define PTWR_NO_REG (-1)
#define PTWR_MAX_INSN 15

struct ptwr_insn {
    enum ptwr_op op;
    unsigned len;           /* bytes, prefixes included */
    unsigned size;          /* operand size: 1, 2, 4 or 8 */
    bool lock;
    /* source: a register (reg >= 0) or an immediate */
    int reg;                /* 0-15 in ModRM order (rax, rcx, rdx, rbx, rsp, ...) */
    bool high_byte;         /* reg 4-7 without REX at size 1: AH, CH, DH, BH */
    uint64_t imm;           /* sign-extended to 64 bits */
    /* destination memory operand */
    enum ptwr_seg seg;
    bool addr32;            /* 0x67: 32-bit address arithmetic */
    bool rip_relative;
    int base, index;        /* PTWR_NO_REG if absent */
    unsigned scale;         /* 1, 2, 4, 8 */
    int64_t disp;
};

/* Decode the instruction in code[0..avail); false if not one we handle. */
bool ptwr_decode(const uint8_t *code, unsigned avail, struct ptwr_insn *insn);

/*
 * Its memory operand's linear address, given the 16 general registers in
 * ModRM order, the address of the next instruction and the base of the
 * selected segment (0 unless FS/GS).
 */
uint64_t ptwr_effective_address(const struct ptwr_insn *insn, const uint64_t gpr[16],
                                uint64_t next_rip, uint64_t seg_base);

#endif
