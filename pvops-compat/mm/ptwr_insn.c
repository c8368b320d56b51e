/* Decoder for the page-table store instructions; see ptwr_insn.h. */
#include <pvshim/string.h>
#include "ptwr_insn.h"

#define REX_W 8
#define REX_R 4
#define REX_X 2
#define REX_B 1

struct cursor {
    const uint8_t *code;
    unsigned avail, pos;
};

static bool next(struct cursor *c, uint8_t *b)
{
    if (c->pos >= c->avail || c->pos >= PTWR_MAX_INSN)
        return false;
    *b = c->code[c->pos++];
    return true;
}

/* n little-endian bytes, sign-extended. */
static bool next_signed(struct cursor *c, unsigned n, int64_t *v)
{
    uint64_t u = 0;
    for (unsigned i = 0; i < n; i++) {
        uint8_t b;
        if (!next(c, &b))
            return false;
        u |= (uint64_t)b << (8 * i);
    }
    unsigned shift = 64 - 8 * n;
    *v = (int64_t)(u << shift) >> shift;
    return true;
}

/* The memory operand of a ModRM byte (mod != 3). */
static bool decode_modrm_memory(struct cursor *c, uint8_t modrm, uint8_t rex,
                                struct ptwr_insn *in)
{
    unsigned mod = modrm >> 6, rm = modrm & 7;
    unsigned disp_bytes = mod == 1 ? 1 : mod == 2 ? 4 : 0;

    in->base = in->index = PTWR_NO_REG;
    in->scale = 1;
    if (rm == 4) {
        uint8_t sib;
        if (!next(c, &sib))
            return false;
        unsigned index = ((sib >> 3) & 7) | (rex & REX_X ? 8 : 0);
        unsigned base = sib & 7;
        in->scale = 1u << (sib >> 6);
        if (index != 4)                 /* rsp cannot index; r12 can */
            in->index = (int)index;
        if (base == 5 && mod == 0)
            disp_bytes = 4;             /* no base, disp32 */
        else
            in->base = (int)(base | (rex & REX_B ? 8 : 0));
    } else if (rm == 5 && mod == 0) {
        in->rip_relative = true;
        disp_bytes = 4;
    } else {
        in->base = (int)(rm | (rex & REX_B ? 8 : 0));
    }
    in->disp = 0;
    return !disp_bytes || next_signed(c, disp_bytes, &in->disp);
}

static bool lockable(enum ptwr_op op)
{
    return op != PTWR_MOV;
}

/*
 * The form a 64-bit kernel writes its entries with, decoded straight: REX.W
 * (no other prefix), MOV or XCHG (89 /r, 87 /r) of a register to [base],
 * [base + disp8] or [base + disp32], base neither RSP/R12 (a SIB follows)
 * nor, with mod 00, RBP/R13 (RIP-relative). Gives exactly what the general
 * decoder below gives for those bytes (the unit tests compare the two);
 * false for anything else, which the general decoder then takes.
 */
static bool decode_common(const uint8_t *code, unsigned avail, struct ptwr_insn *in)
{
    if (avail < 3 || (code[0] & 0xf8) != (0x40 | REX_W) || (code[1] != 0x89 && code[1] != 0x87))
        return false;
    uint8_t rex = code[0], modrm = code[2];
    unsigned mod = modrm >> 6, rm = modrm & 7;
    unsigned disp_bytes = mod == 1 ? 1 : mod == 2 ? 4 : 0;
    if (mod == 3 || rm == 4 || (mod == 0 && rm == 5) || avail < 3 + disp_bytes)
        return false;
    int64_t disp = 0;
    if (disp_bytes == 1)
        disp = (int8_t)code[3];
    else if (disp_bytes == 4)
        disp = (int32_t)((uint32_t)code[3] | (uint32_t)code[4] << 8 |
                         (uint32_t)code[5] << 16 | (uint32_t)code[6] << 24);
    /* Every field by name: a compound literal zeroes the whole struct first. */
    in->op = code[1] == 0x89 ? PTWR_MOV : PTWR_XCHG;
    in->len = 3 + disp_bytes;
    in->size = 8;
    in->lock = false;
    in->reg = (int)(((modrm >> 3) & 7) | (rex & REX_R ? 8 : 0));
    in->high_byte = false;
    in->imm = 0;
    in->seg = PTWR_SEG_DEFAULT;
    in->addr32 = false;
    in->rip_relative = false;
    in->base = (int)(rm | (rex & REX_B ? 8 : 0));
    in->index = PTWR_NO_REG;
    in->scale = 1;
    in->disp = disp;
    return true;
}

bool ptwr_decode(const uint8_t *code, unsigned avail, struct ptwr_insn *in)
{
    if (decode_common(code, avail, in))
        return true;

    struct cursor c = { code, avail, 0 };
    uint8_t b, rex = 0, modrm;
    bool opsize16 = false, byte_op = false, imm_operand = false;
    unsigned imm_bytes = 0;

    memset(in, 0, sizeof(*in));
    in->reg = PTWR_NO_REG;

    /* Legacy prefixes, then at most one REX right before the opcode. */
    for (;;) {
        if (!next(&c, &b))
            return false;
        if ((b & 0xf0) == 0x40) {
            rex = b;
            continue;
        }
        if (b == 0xf0)
            in->lock = true;
        else if (b == 0x66)
            opsize16 = true;
        else if (b == 0x67)
            in->addr32 = true;
        else if (b == 0x64)
            in->seg = PTWR_SEG_FS;
        else if (b == 0x65)
            in->seg = PTWR_SEG_GS;
        else if (b == 0x26 || b == 0x2e || b == 0x36 || b == 0x3e)
            in->seg = PTWR_SEG_DEFAULT; /* no effect in 64-bit mode */
        else
            break;                      /* REP/REPNE (0xf2/0xf3) land here too */
        rex = 0;                        /* a REX not last before the opcode is ignored */
    }

    /* b is the opcode. The /digit of group opcodes is checked after ModRM. */
    enum { GROUP_NONE, GROUP_MOV, GROUP_ALU, GROUP_BT, GROUP_CX8 } group = GROUP_NONE;
    if (b == 0x0f) {
        if (!next(&c, &b))
            return false;
        switch (b) {
        case 0xb0: byte_op = true; /* fall through */
        case 0xb1: in->op = PTWR_CMPXCHG; break;
        case 0xab: in->op = PTWR_BTS; break;
        case 0xb3: in->op = PTWR_BTR; break;
        case 0xbb: in->op = PTWR_BTC; break;
        case 0xba: group = GROUP_BT; imm_operand = true; imm_bytes = 1; break;
        case 0xc7: group = GROUP_CX8; break;
        default: return false;
        }
    } else {
        switch (b) {
        case 0x88: byte_op = true; /* fall through */
        case 0x89: in->op = PTWR_MOV; break;
        case 0x86: byte_op = true; /* fall through */
        case 0x87: in->op = PTWR_XCHG; break;
        case 0x08: byte_op = true; /* fall through */
        case 0x09: in->op = PTWR_OR; break;
        case 0x20: byte_op = true; /* fall through */
        case 0x21: in->op = PTWR_AND; break;
        case 0x30: byte_op = true; /* fall through */
        case 0x31: in->op = PTWR_XOR; break;
        case 0xc6: byte_op = true; group = GROUP_MOV; imm_operand = true; imm_bytes = 1; break;
        case 0xc7: group = GROUP_MOV; imm_operand = true; imm_bytes = 4; break;
        case 0x80: byte_op = true; group = GROUP_ALU; imm_operand = true; imm_bytes = 1; break;
        case 0x81: group = GROUP_ALU; imm_operand = true; imm_bytes = 4; break;
        case 0x83: group = GROUP_ALU; imm_operand = true; imm_bytes = 1; break;
        default: return false;
        }
    }

    if (!next(&c, &modrm) || (modrm >> 6) == 3)
        return false;                   /* a register destination never faults */
    unsigned digit = (modrm >> 3) & 7;

    switch (group) {
    case GROUP_MOV:
        if (digit != 0)
            return false;
        in->op = PTWR_MOV;
        break;
    case GROUP_ALU:
        if (digit == 1)
            in->op = PTWR_OR;
        else if (digit == 4)
            in->op = PTWR_AND;
        else if (digit == 6)
            in->op = PTWR_XOR;
        else
            return false;
        break;
    case GROUP_BT:
        if (digit == 5)
            in->op = PTWR_BTS;
        else if (digit == 6)
            in->op = PTWR_BTR;
        else if (digit == 7)
            in->op = PTWR_BTC;
        else
            return false;               /* BT only reads */
        break;
    case GROUP_CX8:
        /* CMPXCHG16B (REX.W) writes 16 bytes: more than an entry. */
        if (digit != 1 || (rex & REX_W) || opsize16)
            return false;
        in->op = PTWR_CMPXCHG8B;
        break;
    case GROUP_NONE:
        in->reg = (int)(digit | (rex & REX_R ? 8 : 0));
        break;
    }

    if (in->op == PTWR_CMPXCHG8B)
        in->size = 8;
    else if (byte_op)
        in->size = 1;
    else if (rex & REX_W)
        in->size = 8;
    else if (opsize16)
        in->size = 2;
    else
        in->size = 4;
    if (byte_op && !rex && in->reg >= 4 && in->reg <= 7) {
        in->high_byte = true;
        in->reg -= 4;
    }
    if (in->lock && !lockable(in->op))
        return false;                   /* the CPU would have raised #UD */

    if (!decode_modrm_memory(&c, modrm, rex, in))
        return false;

    if (imm_operand) {
        int64_t imm;
        /* Word-sized ops take a 16-bit immediate where others take 32. */
        if (imm_bytes == 4 && in->size == 2)
            imm_bytes = 2;
        if (!next_signed(&c, imm_bytes, &imm))
            return false;
        in->imm = (uint64_t)imm;
    }
    in->len = c.pos;
    return true;
}

uint64_t ptwr_effective_address(const struct ptwr_insn *in, const uint64_t gpr[16],
                                uint64_t next_rip, uint64_t seg_base)
{
    uint64_t ea = (uint64_t)in->disp;
    if (in->rip_relative)
        ea += next_rip;
    if (in->base != PTWR_NO_REG)
        ea += gpr[in->base];
    if (in->index != PTWR_NO_REG)
        ea += gpr[in->index] * in->scale;
    if (in->addr32)
        ea = (uint32_t)ea;
    return ea + seg_base;
}
