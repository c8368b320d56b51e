/*
 * x86 instruction decoding for emulation: how long an instruction is and
 * which operands it names. Opcode facts from the Intel SDM vol. 2 and the
 * AMD APM vol. 3 opcode maps.
 */
#include <pvshim/compiler.h>
#include <pvshim/guest_access.h>
#include <pvshim/string.h>
#include "x86_decode.h"

/* Per-opcode decoding attributes. */
enum {
    F_MODRM   = 1 << 0,     /* a ModRM byte follows */
    F_IMM8    = 1 << 1,     /* 8-bit immediate */
    F_IMMZ    = 1 << 2,     /* 16- or 32-bit immediate by operand size */
    F_IMMV    = 1 << 3,     /* 16-, 32- or 64-bit immediate (MOV r, imm) */
    F_IMM16   = 1 << 4,     /* 16-bit immediate */
    F_MOFFS   = 1 << 5,     /* address-sized absolute offset (MOV A0-A3) */
    F_BYTE    = 1 << 6,     /* operates on bytes */
    F_D64     = 1 << 7,     /* 64-bit operand by default in 64-bit mode */
    F_F64     = 1 << 8,     /* always 64-bit in 64-bit mode (near branches) */
    F_NO64    = 1 << 9,     /* invalid in 64-bit mode */
    F_INVALID = 1 << 10,    /* undefined opcode */
    F_SPECIAL = 1 << 11,    /* decoded by code below, not by the flags */
};

#define ALU_BLOCK(b) \
    [(b) + 0] = F_MODRM | F_BYTE, [(b) + 1] = F_MODRM, \
    [(b) + 2] = F_MODRM | F_BYTE, [(b) + 3] = F_MODRM, \
    [(b) + 4] = F_IMM8 | F_BYTE,  [(b) + 5] = F_IMMZ

static const uint16_t onebyte[256] = {
    ALU_BLOCK(0x00), ALU_BLOCK(0x08), ALU_BLOCK(0x10), ALU_BLOCK(0x18),
    ALU_BLOCK(0x20), ALU_BLOCK(0x28), ALU_BLOCK(0x30), ALU_BLOCK(0x38),
    [0x06] = F_NO64, [0x07] = F_NO64, [0x0e] = F_NO64,
    [0x16] = F_NO64, [0x17] = F_NO64, [0x1e] = F_NO64, [0x1f] = F_NO64,
    [0x27] = F_NO64, [0x2f] = F_NO64, [0x37] = F_NO64, [0x3f] = F_NO64,
    /* 0x40-0x4f: INC/DEC in 32-bit mode, REX (handled as prefixes) in 64 */
    [0x50 ... 0x5f] = F_D64,
    [0x60] = F_NO64, [0x61] = F_NO64,
    [0x62] = F_SPECIAL,                     /* BOUND, or EVEX */
    [0x63] = F_MODRM,                       /* ARPL / MOVSXD */
    [0x68] = F_IMMZ | F_D64,
    [0x69] = F_MODRM | F_IMMZ,
    [0x6a] = F_IMM8 | F_D64,
    [0x6b] = F_MODRM | F_IMM8,
    [0x6c] = F_BYTE, [0x6e] = F_BYTE,       /* INSB, OUTSB */
    [0x70 ... 0x7f] = F_IMM8 | F_F64,
    [0x80] = F_MODRM | F_IMM8 | F_BYTE,
    [0x81] = F_MODRM | F_IMMZ,
    [0x82] = F_MODRM | F_IMM8 | F_BYTE | F_NO64,
    [0x83] = F_MODRM | F_IMM8,
    [0x84] = F_MODRM | F_BYTE, [0x85] = F_MODRM,
    [0x86] = F_MODRM | F_BYTE, [0x87] = F_MODRM,
    [0x88] = F_MODRM | F_BYTE, [0x89] = F_MODRM,
    [0x8a] = F_MODRM | F_BYTE, [0x8b] = F_MODRM,
    [0x8c ... 0x8e] = F_MODRM,
    [0x8f] = F_SPECIAL,                     /* POP r/m, or XOP */
    [0x9a] = F_SPECIAL | F_NO64,            /* CALL far ptr */
    [0x9c] = F_D64, [0x9d] = F_D64,
    [0xa0] = F_MOFFS | F_BYTE, [0xa1] = F_MOFFS,
    [0xa2] = F_MOFFS | F_BYTE, [0xa3] = F_MOFFS,
    [0xa4] = F_BYTE, [0xa6] = F_BYTE,
    [0xa8] = F_IMM8 | F_BYTE, [0xa9] = F_IMMZ,
    [0xaa] = F_BYTE, [0xac] = F_BYTE, [0xae] = F_BYTE,
    [0xb0 ... 0xb7] = F_IMM8 | F_BYTE,
    [0xb8 ... 0xbf] = F_IMMV,
    [0xc0] = F_MODRM | F_IMM8 | F_BYTE, [0xc1] = F_MODRM | F_IMM8,
    [0xc2] = F_IMM16 | F_F64, [0xc3] = F_F64,
    [0xc4] = F_SPECIAL, [0xc5] = F_SPECIAL, /* LES/LDS, or VEX */
    [0xc6] = F_MODRM | F_IMM8 | F_BYTE, [0xc7] = F_MODRM | F_IMMZ,
    [0xc8] = F_SPECIAL,                     /* ENTER imm16, imm8 */
    [0xc9] = F_D64,
    [0xca] = F_IMM16,
    [0xcd] = F_IMM8,
    [0xce] = F_NO64,
    [0xd0] = F_MODRM | F_BYTE, [0xd1] = F_MODRM,
    [0xd2] = F_MODRM | F_BYTE, [0xd3] = F_MODRM,
    [0xd4] = F_IMM8 | F_NO64, [0xd5] = F_IMM8 | F_NO64, [0xd6] = F_NO64,
    [0xd8 ... 0xdf] = F_MODRM,
    [0xe0 ... 0xe3] = F_IMM8 | F_F64,
    [0xe4] = F_IMM8 | F_BYTE, [0xe5] = F_IMM8,
    [0xe6] = F_IMM8 | F_BYTE, [0xe7] = F_IMM8,
    [0xe8] = F_IMMZ | F_F64, [0xe9] = F_IMMZ | F_F64,
    [0xea] = F_SPECIAL | F_NO64,            /* JMP far ptr */
    [0xeb] = F_IMM8 | F_F64,
    [0xec] = F_BYTE, [0xee] = F_BYTE,
    [0xf6] = F_MODRM | F_SPECIAL | F_BYTE,  /* /0 and /1 (TEST) take an immediate */
    [0xf7] = F_MODRM | F_SPECIAL,
    [0xfe] = F_MODRM | F_BYTE,
    [0xff] = F_MODRM,
};

static const uint16_t twobyte[256] = {
    [0x00 ... 0x03] = F_MODRM,
    [0x04] = F_INVALID, [0x0a] = F_INVALID, [0x0c] = F_INVALID,
    [0x0d] = F_MODRM,
    [0x0f] = F_SPECIAL,                     /* 3DNow! */
    [0x10 ... 0x1f] = F_MODRM,
    [0x20 ... 0x23] = F_MODRM,              /* MOV CR/DR: register form always */
    [0x24 ... 0x27] = F_INVALID,
    [0x28 ... 0x2f] = F_MODRM,
    [0x36] = F_INVALID,
    [0x38] = F_SPECIAL, [0x3a] = F_SPECIAL, /* three-byte maps */
    [0x39] = F_INVALID, [0x3b ... 0x3f] = F_INVALID,
    [0x40 ... 0x6f] = F_MODRM,
    [0x70 ... 0x73] = F_MODRM | F_IMM8,
    [0x74 ... 0x76] = F_MODRM,
    [0x78 ... 0x79] = F_MODRM,
    [0x7a ... 0x7b] = F_INVALID,
    [0x7c ... 0x7f] = F_MODRM,
    [0x80 ... 0x8f] = F_IMMZ | F_F64,
    [0x90 ... 0x9f] = F_MODRM | F_BYTE,
    [0xa0] = F_D64, [0xa1] = F_D64,
    [0xa3] = F_MODRM, [0xa4] = F_MODRM | F_IMM8, [0xa5] = F_MODRM,
    [0xa6] = F_INVALID, [0xa7] = F_INVALID,
    [0xa8] = F_D64, [0xa9] = F_D64,
    [0xab] = F_MODRM, [0xac] = F_MODRM | F_IMM8, [0xad ... 0xaf] = F_MODRM,
    [0xb0] = F_MODRM | F_BYTE, [0xb1 ... 0xb9] = F_MODRM,
    [0xba] = F_MODRM | F_IMM8,
    [0xbb ... 0xbf] = F_MODRM,
    [0xc0] = F_MODRM | F_BYTE, [0xc1] = F_MODRM,
    [0xc2] = F_MODRM | F_IMM8, [0xc3] = F_MODRM,
    [0xc4 ... 0xc6] = F_MODRM | F_IMM8,
    [0xc7] = F_MODRM,
    [0xd0 ... 0xff] = F_MODRM,
};

/* A cursor over the bytes given; every read is bounds-checked. */
struct cursor {
    const uint8_t *buf;
    size_t avail;
    unsigned pos;
};

static int next_byte(struct cursor *c, uint8_t *b)
{
    if (c->pos >= X86_MAX_INSN_LEN)
        return X86_DECODE_TOO_LONG;
    if (c->pos >= c->avail)
        return X86_DECODE_TRUNCATED;
    *b = c->buf[c->pos++];
    return X86_DECODE_OK;
}

/* Little-endian immediate of n bytes (n <= 8). */
static int next_le(struct cursor *c, unsigned n, uint64_t *val)
{
    uint64_t v = 0;
    for (unsigned i = 0; i < n; i++) {
        uint8_t b;
        int rc = next_byte(c, &b);
        if (rc)
            return rc;
        v |= (uint64_t)b << (8 * i);
    }
    *val = v;
    return X86_DECODE_OK;
}

/* The byte after the current one, without consuming it. */
static int peek_byte(const struct cursor *c, uint8_t *b)
{
    struct cursor tmp = *c;
    return next_byte(&tmp, b);
}

/*
 * Legacy prefixes in any order, then at most the last REX before the
 * opcode: a legacy prefix after a REX voids it. Bounded by the 15-byte
 * limit next_byte enforces.
 */
static int decode_prefixes(struct x86_insn *insn, struct cursor *c, uint8_t *op)
{
    for (;;) {
        uint8_t b;
        int rc = next_byte(c, &b);
        if (rc)
            return rc;
        switch (b) {
        case 0xf0: insn->lock = true; break;
        case 0xf2: insn->repne = true; insn->rep = false; break;
        case 0xf3: insn->rep = true; insn->repne = false; break;
        case 0x66: insn->opsize_prefix = true; break;
        case 0x67: insn->adsize_prefix = true; break;
        case 0x26: insn->seg = X86_SEG_ES; break;
        case 0x2e: insn->seg = X86_SEG_CS; break;
        case 0x36: insn->seg = X86_SEG_SS; break;
        case 0x3e: insn->seg = X86_SEG_DS; break;
        case 0x64: insn->seg = X86_SEG_FS; break;
        case 0x65: insn->seg = X86_SEG_GS; break;
        default:
            if (insn->mode == X86_MODE_64 && (b & 0xf0) == 0x40) {
                insn->rex = b;
                continue;
            }
            *op = b;
            return X86_DECODE_OK;
        }
        insn->rex = 0;
    }
}

static int decode_modrm(struct x86_insn *insn, struct cursor *c, bool force_reg)
{
    uint8_t m;
    int rc = next_byte(c, &m);
    if (rc)
        return rc;
    insn->has_modrm = true;
    insn->modrm = m;
    insn->mod = force_reg ? 3 : m >> 6;
    insn->reg = ((insn->rex & X86_REX_R) ? 8 : 0) | ((m >> 3) & 7);
    insn->rm = ((insn->rex & X86_REX_B) ? 8 : 0) | (m & 7);
    if (insn->mod == 3)
        return X86_DECODE_OK;

    uint64_t d;
    if (insn->addr_size == 2) {
        /* 16-bit addressing: no SIB; disp16 alone for mod 00, rm 110. */
        insn->rm = m & 7;
        unsigned dsz = insn->mod == 1 ? 1 : insn->mod == 2 ? 2 :
                       (insn->rm == 6 ? 2 : 0);
        if (dsz) {
            rc = next_le(c, dsz, &d);
            if (rc)
                return rc;
            insn->disp = dsz == 1 ? (int8_t)d : (int16_t)d;
            insn->disp_size = dsz;
        }
        return X86_DECODE_OK;
    }

    unsigned dsz = insn->mod == 1 ? 1 : insn->mod == 2 ? 4 : 0;
    if ((m & 7) == 4) {
        uint8_t s;
        rc = next_byte(c, &s);
        if (rc)
            return rc;
        insn->has_sib = true;
        insn->sib = s;
        insn->scale = 1u << (s >> 6);
        insn->index = ((insn->rex & X86_REX_X) ? 8 : 0) | ((s >> 3) & 7);
        insn->no_index = insn->index == 4;
        insn->base = ((insn->rex & X86_REX_B) ? 8 : 0) | (s & 7);
        if ((s & 7) == 5 && insn->mod == 0) {
            insn->no_base = true;
            dsz = 4;
        }
    } else if ((m & 7) == 5 && insn->mod == 0) {
        insn->rip_relative = insn->mode == X86_MODE_64;
        dsz = 4;
    }
    if (dsz) {
        rc = next_le(c, dsz, &d);
        if (rc)
            return rc;
        insn->disp = dsz == 1 ? (int8_t)d : (int32_t)d;
        insn->disp_size = dsz;
    }
    return X86_DECODE_OK;
}

static int read_imm(struct x86_insn *insn, struct cursor *c, unsigned size)
{
    insn->imm_size = size;
    return next_le(c, size, &insn->imm);
}

static void set_sizes(struct x86_insn *insn, unsigned flags)
{
    bool m64 = insn->mode == X86_MODE_64;

    insn->addr_size = m64 ? (insn->adsize_prefix ? 4 : 8)
                          : (insn->adsize_prefix ? 2 : 4);
    if (flags & F_BYTE)
        insn->op_size = 1;
    else if (m64 && (flags & F_F64))
        insn->op_size = 8;          /* Intel: 0x66 ignored on near branches */
    else if (m64 && (flags & F_D64))
        insn->op_size = insn->opsize_prefix ? 2 : 8;
    else if (m64 && (insn->rex & X86_REX_W))
        insn->op_size = 8;
    else
        insn->op_size = insn->opsize_prefix ? 2 : 4;
}

/* Immediate size for F_IMMZ: 2 for 16-bit operands, else 4. */
static unsigned immz(const struct x86_insn *insn)
{
    return insn->op_size == 2 ? 2 : 4;
}

int x86_decode(struct x86_insn *insn, const uint8_t *buf, size_t avail,
               enum x86_mode mode)
{
    memset(insn, 0, sizeof(*insn));
    insn->mode = mode;
    insn->seg = X86_SEG_NONE;
    if (mode != X86_MODE_32 && mode != X86_MODE_64)
        return X86_DECODE_UNSUPPORTED;

    struct cursor c = { buf, avail, 0 };
    uint8_t op;
    int rc = decode_prefixes(insn, &c, &op);
    if (rc)
        return rc;

    uint16_t flags;
    insn->map = X86_MAP_1BYTE;
    if (op == 0x0f) {
        rc = next_byte(&c, &op);
        if (rc)
            return rc;
        insn->map = X86_MAP_0F;
        flags = twobyte[op];
        if (op == 0x38 || op == 0x3a) {
            insn->map = op == 0x38 ? X86_MAP_0F38 : X86_MAP_0F3A;
            rc = next_byte(&c, &op);
            if (rc)
                return rc;
            flags = F_MODRM | (insn->map == X86_MAP_0F3A ? F_IMM8 : 0);
        } else if (op == 0x0f) {
            insn->opcode = op;
            return X86_DECODE_UNSUPPORTED;
        }
    } else {
        flags = onebyte[op];
    }
    insn->opcode = op;

    if (flags & F_INVALID)
        return X86_DECODE_INVALID;
    if ((flags & F_NO64) && mode == X86_MODE_64)
        return X86_DECODE_INVALID;

    if (insn->map == X86_MAP_1BYTE && (flags & F_SPECIAL)) {
        uint8_t next;
        switch (op) {
        case 0x62: case 0xc4: case 0xc5:
            /* EVEX/VEX in 64-bit mode; in 32-bit mode when ModRM.mod = 3. */
            if (mode == X86_MODE_64)
                return X86_DECODE_UNSUPPORTED;
            rc = peek_byte(&c, &next);
            if (rc)
                return rc;
            if ((next >> 6) == 3)
                return X86_DECODE_UNSUPPORTED;
            flags = F_MODRM;
            break;
        case 0x8f:
            /* XOP when ModRM.reg would be non-zero; POP r/m otherwise. */
            rc = peek_byte(&c, &next);
            if (rc)
                return rc;
            if ((next >> 3) & 7)
                return X86_DECODE_UNSUPPORTED;
            flags = F_MODRM | F_D64;
            break;
        }
    }

    set_sizes(insn, flags);

    if (flags & F_MODRM) {
        bool force_reg = insn->map == X86_MAP_0F && op >= 0x20 && op <= 0x23;
        rc = decode_modrm(insn, &c, force_reg);
        if (rc)
            return rc;
    }

    if (insn->map == X86_MAP_1BYTE && (flags & F_SPECIAL)) {
        uint64_t v;
        switch (op) {
        case 0xf6: case 0xf7:
            if (((insn->modrm >> 3) & 7) < 2)   /* TEST r/m, imm */
                rc = read_imm(insn, &c, op == 0xf6 ? 1 : immz(insn));
            break;
        case 0xc8:
            rc = read_imm(insn, &c, 2);
            if (!rc)
                rc = next_le(&c, 1, &v);
            if (!rc) {
                insn->imm2 = (uint16_t)v;
                insn->imm2_size = 1;
            }
            break;
        case 0x9a: case 0xea:
            rc = read_imm(insn, &c, immz(insn));
            if (!rc)
                rc = next_le(&c, 2, &v);
            if (!rc) {
                insn->imm2 = (uint16_t)v;
                insn->imm2_size = 2;
            }
            break;
        }
        if (rc)
            return rc;
    }

    if (flags & F_IMM8)
        rc = read_imm(insn, &c, 1);
    else if (flags & F_IMM16)
        rc = read_imm(insn, &c, 2);
    else if (flags & F_IMMZ)
        rc = read_imm(insn, &c, immz(insn));    /* F64 branches: op_size 8, so 4 */
    else if (flags & F_IMMV)
        rc = read_imm(insn, &c, insn->op_size);
    else if (flags & F_MOFFS)
        rc = read_imm(insn, &c, insn->addr_size);
    if (rc)
        return rc;

    insn->len = (uint8_t)c.pos;
    memcpy(insn->bytes, buf, c.pos);
    return X86_DECODE_OK;
}

bool x86_decode_short(struct x86_insn *insn, const uint8_t *buf, size_t avail,
                      enum x86_mode mode)
{
    if (avail < 1 || (mode != X86_MODE_32 && mode != X86_MODE_64))
        return false;
    uint8_t op = buf[0];
    unsigned len;
    switch (op) {
    case 0xe4: case 0xe5: case 0xe6: case 0xe7:         /* IN/OUT imm8 */
        len = 2;
        break;
    case 0xec: case 0xed: case 0xee: case 0xef:         /* IN/OUT DX */
    case 0xfa: case 0xfb:                               /* CLI, STI */
        len = 1;
        break;
    case 0x0f:
        /* WRMSR, RDTSC, RDMSR: Linux reads MSR_KERNEL_GS_BASE at each context switch. */
        if (avail < 2 || buf[1] < 0x30 || buf[1] > 0x32)
            return false;
        len = 2;
        break;
    default:
        return false;
    }
    if (avail < len)
        return false;
    /* Inline stores, not calls: this runs for every trapped IN. */
    __builtin_memset(insn, 0, sizeof(*insn));
    insn->mode = mode;
    insn->seg = X86_SEG_NONE;
    insn->addr_size = mode == X86_MODE_64 ? 8 : 4;
    insn->bytes[0] = op;
    insn->len = (uint8_t)len;
    if (op == 0x0f) {
        insn->map = X86_MAP_0F;
        insn->opcode = buf[1];
        insn->op_size = 4;
        insn->bytes[1] = buf[1];
        return true;
    }
    insn->map = X86_MAP_1BYTE;
    insn->opcode = op;
    insn->op_size = (onebyte[op] & F_BYTE) ? 1 : 4;
    if (len == 2) {
        insn->bytes[1] = buf[1];
        insn->imm = buf[1];
        insn->imm_size = 1;
    }
    return true;
}

int x86_fetch_decode(struct x86_insn *insn, vaddr_t addr, size_t max_len,
                     enum x86_mode mode)
{
    uint8_t buf[X86_MAX_INSN_LEN];
    size_t want = MIN(max_len, (size_t)X86_MAX_INSN_LEN);
    size_t got = 0;

    if (mode == X86_MODE_32) {
        /* No wrap-around at 4 GiB: the bytes beyond simply are not there. */
        addr = (uint32_t)addr;
        if (addr + want > 0x100000000ull)
            want = 0x100000000ull - addr;
    }

    /* The instructions trapped most, from two bytes (x86_decode_short). */
    if (want >= 2 && copy_from_guest(buf, addr, 2) == 0 &&
        x86_decode_short(insn, buf, 2, mode))
        return X86_DECODE_OK;

    /* The whole run in one copy when it is readable (the common case)... */
    if (want && copy_from_guest(buf, addr, want) == 0) {
        got = want;
    } else {
        /* ...otherwise the readable prefix, byte by byte. */
        while (got < want && copy_from_guest(&buf[got], addr + got, 1) == 0)
            got++;
    }

    if (got == 0) {
        memset(insn, 0, sizeof(*insn));
        insn->seg = X86_SEG_NONE;
        insn->mode = mode;
        return X86_DECODE_FAULT;
    }
    return x86_decode(insn, buf, got, mode);
}

/* ------------------------------------------------------------ registers */

static const uint8_t gpr_offset[16] = {
    [X86_RAX] = offsetof(struct cpu_regs, rax),
    [X86_RCX] = offsetof(struct cpu_regs, rcx),
    [X86_RDX] = offsetof(struct cpu_regs, rdx),
    [X86_RBX] = offsetof(struct cpu_regs, rbx),
    [X86_RSP] = offsetof(struct cpu_regs, rsp),
    [X86_RBP] = offsetof(struct cpu_regs, rbp),
    [X86_RSI] = offsetof(struct cpu_regs, rsi),
    [X86_RDI] = offsetof(struct cpu_regs, rdi),
    [X86_R8]  = offsetof(struct cpu_regs, r8),
    [X86_R9]  = offsetof(struct cpu_regs, r9),
    [X86_R10] = offsetof(struct cpu_regs, r10),
    [X86_R11] = offsetof(struct cpu_regs, r11),
    [X86_R12] = offsetof(struct cpu_regs, r12),
    [X86_R13] = offsetof(struct cpu_regs, r13),
    [X86_R14] = offsetof(struct cpu_regs, r14),
    [X86_R15] = offsetof(struct cpu_regs, r15),
};

uint64_t *x86_gpr_ptr(struct cpu_regs *regs, unsigned reg)
{
    return (uint64_t *)((char *)regs + gpr_offset[reg & 15]);
}

uint64_t x86_gpr_read(const struct cpu_regs *regs, unsigned reg, unsigned size,
                      bool rex)
{
    reg &= 15;
    if (size == 1 && !rex && reg >= 4 && reg < 8)
        return (*x86_gpr_ptr((struct cpu_regs *)regs, reg - 4) >> 8) & 0xff;
    uint64_t v = *x86_gpr_ptr((struct cpu_regs *)regs, reg);
    switch (size) {
    case 1: return v & 0xff;
    case 2: return v & 0xffff;
    case 4: return v & 0xffffffffu;
    default: return v;
    }
}

void x86_gpr_write(struct cpu_regs *regs, unsigned reg, unsigned size,
                   bool rex, uint64_t val)
{
    reg &= 15;
    if (size == 1 && !rex && reg >= 4 && reg < 8) {
        uint64_t *p = x86_gpr_ptr(regs, reg - 4);
        *p = (*p & ~0xff00ull) | ((val & 0xff) << 8);
        return;
    }
    uint64_t *p = x86_gpr_ptr(regs, reg);
    switch (size) {
    case 1: *p = (*p & ~0xffull) | (val & 0xff); break;
    case 2: *p = (*p & ~0xffffull) | (val & 0xffff); break;
    case 4: *p = (uint32_t)val; break;
    default: *p = val; break;
    }
}

/* ------------------------------------------------------------ memory operands */

static uint64_t truncate_addr(uint64_t a, unsigned size)
{
    return size == 8 ? a : size == 4 ? (uint32_t)a : (uint16_t)a;
}

bool x86_insn_mem_offset(const struct x86_insn *insn,
                         const struct cpu_regs *regs, uint64_t rip,
                         uint64_t *offset)
{
    if (!x86_insn_has_mem(insn))
        return false;

    uint64_t ea = (uint64_t)(int64_t)insn->disp;
    if (insn->addr_size == 2) {
        static const uint8_t base16[8] = { X86_RBX, X86_RBX, X86_RBP, X86_RBP,
                                           X86_RSI, X86_RDI, X86_RBP, X86_RBX };
        static const int8_t index16[8] = { X86_RSI, X86_RDI, X86_RSI, X86_RDI,
                                           -1, -1, -1, -1 };
        unsigned rm = insn->rm & 7;
        if (!(insn->mod == 0 && rm == 6))
            ea += x86_gpr_read(regs, base16[rm], 2, false);
        if (index16[rm] >= 0)
            ea += x86_gpr_read(regs, (unsigned)index16[rm], 2, false);
    } else if (insn->has_sib) {
        if (!insn->no_base)
            ea += x86_gpr_read(regs, insn->base, 8, true);
        if (!insn->no_index)
            ea += x86_gpr_read(regs, insn->index, 8, true) * insn->scale;
    } else if (insn->rip_relative) {
        ea += rip + insn->len;
    } else if (!(insn->mod == 0 && (insn->rm & 7) == 5)) {
        ea += x86_gpr_read(regs, insn->rm, 8, true);
    }
    *offset = truncate_addr(ea, insn->addr_size);
    return true;
}

enum x86_seg x86_insn_mem_seg(const struct x86_insn *insn)
{
    if (insn->seg != X86_SEG_NONE)
        return insn->seg;
    if (insn->addr_size == 2) {
        unsigned rm = insn->rm & 7;
        bool bp = rm == 2 || rm == 3 || (rm == 6 && insn->mod != 0);
        return bp ? X86_SEG_SS : X86_SEG_DS;
    }
    if (insn->has_sib) {
        bool bp = !insn->no_base && (insn->base == X86_RSP || insn->base == X86_RBP);
        return bp ? X86_SEG_SS : X86_SEG_DS;
    }
    /* Without a SIB, rm 100 is impossible and rm 101 with mod 00 is disp32. */
    if (insn->mod != 0 && insn->rm == X86_RBP)
        return X86_SEG_SS;
    return X86_SEG_DS;
}
