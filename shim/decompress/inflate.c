/*
 * DEFLATE decoder (RFC 1951): stored, fixed and dynamic Huffman blocks.
 *
 * Bits are read LSB-first through a 64-bit buffer refilled eight bytes at a
 * time. Codes are decoded by table: a root table indexed by the next
 * LITLEN_ROOT (or DIST_ROOT) bits gives the symbol directly, or points to a
 * subtable for longer codes. Past the end of the input the buffer is fed
 * zero bytes and counted; once any of them is consumed the stream is
 * reported truncated, whatever the zeros decoded to.
 */
#include <pvshim/decompress.h>
#include <pvshim/compiler.h>
#include <pvshim/string.h>
#include "inflate.h"
#include "byte_access.h"

#define MAX_CODE_BITS   15
#define NR_LITLEN       288     /* 286 usable; 286 and 287 only in the fixed code */
#define NR_DIST         32      /* 30 usable */
#define NR_CLEN         19
#define MAX_HLIT        286
#define MAX_HDIST       30

#define LITLEN_ROOT     10
#define DIST_ROOT       8
#define CLEN_ROOT       7       /* code-length codes are at most 7 bits: no subtables */
/*
 * Root plus subtables, bounded crudely: at most one subtable per code
 * longer than the root, each at most 2^(15 - root) entries.
 */
#define LITLEN_TABLE_SIZE ((1u << LITLEN_ROOT) + MAX_HLIT * (1u << (MAX_CODE_BITS - LITLEN_ROOT)))
#define DIST_TABLE_SIZE   ((1u << DIST_ROOT) + MAX_HDIST * (1u << (MAX_CODE_BITS - DIST_ROOT)))

/*
 * A table entry, 32 bits:
 *   0-7   bits the code occupies (0 in an invalid entry)
 *   8-11  extra bits after the code (length or distance), or for a link
 *         the index width of the subtable
 *   12-15 kind
 *   16-31 literal byte, base length or distance, or subtable offset
 */
enum entry_kind { K_LIT, K_BASE, K_EOB, K_LINK, K_BAD };

#define ENTRY(kind, bits, extra, value) \
    ((uint32_t)(bits) | (uint32_t)(extra) << 8 | (uint32_t)(kind) << 12 | (uint32_t)(value) << 16)
#define E_BITS(e)       ((e) & 0xffu)
#define E_EXTRA(e)      (((e) >> 8) & 0xfu)
#define E_KIND(e)       (((e) >> 12) & 0xfu)
#define E_VALUE(e)      ((e) >> 16)
#define BAD_ENTRY       ENTRY(K_BAD, 0, 0, 0)

STATIC_ASSERT(LITLEN_TABLE_SIZE <= 0x10000, "subtable offsets fit an entry's value field");

static const uint16_t length_base[29] = {
    3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31,
    35, 43, 51, 59, 67, 83, 99, 115, 131, 163, 195, 227, 258,
};
static const uint8_t length_extra[29] = {
    0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2,
    3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0,
};
static const uint16_t dist_base[30] = {
    1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193,
    257, 385, 513, 769, 1025, 1537, 2049, 3073, 4097, 6145, 8193, 12289, 16385, 24577,
};
static const uint8_t dist_extra[30] = {
    0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6,
    7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13,
};
/* The order in which a dynamic header lists the code-length code's lengths. */
static const uint8_t clen_order[NR_CLEN] = {
    16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15,
};

struct inflate_work {
    uint32_t litlen[LITLEN_TABLE_SIZE];
    uint32_t dist[DIST_TABLE_SIZE];
    uint32_t fixed_litlen[1u << LITLEN_ROOT];  /* fixed codes are <= 9 bits */
    uint32_t fixed_dist[1u << DIST_ROOT];
    uint32_t clen[1u << CLEN_ROOT];
    /* Each symbol's entry without its code length. */
    uint32_t litlen_templ[NR_LITLEN];
    uint32_t dist_templ[NR_DIST];
    uint32_t clen_templ[NR_CLEN];
    uint16_t sorted[NR_LITLEN];
    uint8_t lens[NR_LITLEN + NR_DIST];
    bool fixed_built;
};

struct inflate_ctx {
    const uint8_t *in;
    size_t in_len;
    size_t pos;         /* next input byte to load into buf */
    size_t fake;        /* zero bytes loaded past the end of the input */
    uint64_t buf;       /* unconsumed bits, the next one lowest */
    unsigned count;     /* valid bits in buf; bits above may hold stale copies of input */
    uint8_t *out;
    size_t op, cap;
    struct inflate_work *w;
};

size_t inflate_workspace_size(void)
{
    return sizeof(struct inflate_work) + _Alignof(struct inflate_work) - 1;
}

/* ------------------------------------------------------------ bit input */

/* Near the end of the input: byte by byte, zeros past it. Leaves count in 49..56. */
static void refill_slow(struct inflate_ctx *s)
{
    s->buf &= ((uint64_t)1 << s->count) - 1;
    while (s->count <= 48) {
        uint64_t byte = 0;
        if (s->pos < s->in_len)
            byte = s->in[s->pos++];
        else
            s->fake++;
        s->buf |= byte << s->count;
        s->count += 8;
    }
}

static inline void refill(struct inflate_ctx *s)
{
    if (likely(s->pos + 8 <= s->in_len)) {
        s->buf |= load_le64(s->in + s->pos) << s->count;
        s->pos += (63 - s->count) >> 3;
        s->count |= 56;
    } else {
        refill_slow(s);
    }
}

/* Make at least n (<= 48) bits available. */
static inline void need(struct inflate_ctx *s, unsigned n)
{
    if (s->count < n)
        refill(s);
}

static inline uint32_t take(struct inflate_ctx *s, unsigned n)
{
    uint32_t v = (uint32_t)(s->buf & (((uint64_t)1 << n) - 1));
    s->buf >>= n;
    s->count -= n;
    return v;
}

/* Whether decoding has used any of the zeros standing in for missing input. */
static inline bool past_end(const struct inflate_ctx *s)
{
    return s->fake * 8 > s->count;
}

/* ------------------------------------------------------------ tables */

static unsigned reverse_bits(unsigned code, unsigned len)
{
    unsigned r = 0;
    for (unsigned i = 0; i < len; i++, code >>= 1)
        r = (r << 1) | (code & 1);
    return r;
}

/*
 * Build the decoding table of the canonical code with lengths lens[0, n)
 * into table[0, cap). Over-subscribed codes are refused; so are incomplete
 * ones, except a lone code of one bit where allowed (as zlib does) and the
 * empty code, whose table is all invalid entries.
 */
static bool build_table(uint32_t *table, size_t cap, unsigned root,
                        const uint8_t *lens, unsigned n, const uint32_t *templ,
                        bool allow_lone_code, uint16_t *sorted)
{
    unsigned count[MAX_CODE_BITS + 1] = { 0 }, rem[MAX_CODE_BITS + 1];
    unsigned offs[MAX_CODE_BITS + 2];
    unsigned max = 0;
    int left = 1;

    for (unsigned sym = 0; sym < n; sym++)
        count[lens[sym]]++;
    for (unsigned len = 1; len <= MAX_CODE_BITS; len++) {
        left = (left << 1) - (int)count[len];
        if (left < 0)
            return false;
        if (count[len])
            max = len;
    }
    for (unsigned i = 0; i < (1u << root); i++)
        table[i] = BAD_ENTRY;
    if (max == 0)
        return true;
    if (left > 0 && !(allow_lone_code && max == 1))
        return false;
    if (max > root && cap <= (1u << root))
        return false;

    offs[1] = 0;
    for (unsigned len = 1; len <= MAX_CODE_BITS; len++)
        offs[len + 1] = offs[len] + count[len];
    for (unsigned sym = 0; sym < n; sym++)
        if (lens[sym])
            sorted[offs[lens[sym]]++] = (uint16_t)sym;
    memcpy(rem, count, sizeof(rem));  /* codes of each length not yet placed */

    /*
     * Canonical codes in order of (length, symbol) are increasing, so codes
     * sharing a root prefix are consecutive: each prefix gets one subtable,
     * sized so that the codes still to come fill it exactly.
     */
    size_t next_sub = (size_t)1 << root;
    unsigned prefix = ~0u, sub_off = 0, sub_bits = 0;
    unsigned code = 0, idx = 0;
    for (unsigned len = 1; len <= max; len++, code <<= 1) {
        for (unsigned k = 0; k < count[len]; k++, code++, rem[len]--) {
            unsigned sym = sorted[idx++];
            unsigned rev = reverse_bits(code, len);
            uint32_t e = templ[sym] | len;
            if (len <= root) {
                for (unsigned i = rev; i < (1u << root); i += 1u << len)
                    table[i] = e;
                continue;
            }
            if ((rev & ((1u << root) - 1)) != prefix) {
                prefix = rev & ((1u << root) - 1);
                sub_bits = len - root;
                int slots = 1 << sub_bits;
                while (sub_bits + root < max) {
                    slots -= (int)rem[sub_bits + root];
                    if (slots <= 0)
                        break;
                    sub_bits++;
                    slots <<= 1;
                }
                if (next_sub + ((size_t)1 << sub_bits) > cap)
                    return false;
                sub_off = (unsigned)next_sub;
                next_sub += (size_t)1 << sub_bits;
                for (unsigned i = 0; i < (1u << sub_bits); i++)
                    table[sub_off + i] = BAD_ENTRY;
                table[prefix] = ENTRY(K_LINK, root, sub_bits, sub_off);
            }
            if (len - root > sub_bits)
                return false;   /* cannot happen for a complete code */
            for (unsigned i = rev >> root; i < (1u << sub_bits); i += 1u << (len - root))
                table[sub_off + i] = e;
        }
    }
    return true;
}

static void build_templates(struct inflate_work *w)
{
    for (unsigned sym = 0; sym < NR_LITLEN; sym++) {
        if (sym < 256)
            w->litlen_templ[sym] = ENTRY(K_LIT, 0, 0, sym);
        else if (sym == 256)
            w->litlen_templ[sym] = ENTRY(K_EOB, 0, 0, 0);
        else if (sym < 257 + 29)
            w->litlen_templ[sym] = ENTRY(K_BASE, 0, length_extra[sym - 257],
                                         length_base[sym - 257]);
        else
            w->litlen_templ[sym] = BAD_ENTRY;
    }
    for (unsigned sym = 0; sym < NR_DIST; sym++)
        w->dist_templ[sym] = sym < 30 ? ENTRY(K_BASE, 0, dist_extra[sym], dist_base[sym])
                                      : BAD_ENTRY;
    for (unsigned sym = 0; sym < NR_CLEN; sym++)
        w->clen_templ[sym] = ENTRY(K_LIT, 0, 0, sym);
    w->fixed_built = false;
}

static void build_fixed(struct inflate_work *w)
{
    uint8_t *lens = w->lens;
    unsigned sym = 0;
    for (; sym < 144; sym++) lens[sym] = 8;
    for (; sym < 256; sym++) lens[sym] = 9;
    for (; sym < 280; sym++) lens[sym] = 7;
    for (; sym < NR_LITLEN; sym++) lens[sym] = 8;
    /* Both codes are complete and fit their root tables: these cannot fail. */
    build_table(w->fixed_litlen, 1u << LITLEN_ROOT, LITLEN_ROOT, lens, NR_LITLEN,
                w->litlen_templ, false, w->sorted);
    for (sym = 0; sym < NR_DIST; sym++)
        lens[sym] = 5;
    build_table(w->fixed_dist, 1u << DIST_ROOT, DIST_ROOT, lens, NR_DIST,
                w->dist_templ, false, w->sorted);
    w->fixed_built = true;
}

/* Read a dynamic block's code descriptions and build its two tables. */
static int read_dynamic_tables(struct inflate_ctx *s)
{
    struct inflate_work *w = s->w;
    uint8_t *lens = w->lens;

    need(s, 14);
    unsigned hlit = take(s, 5) + 257;
    unsigned hdist = take(s, 5) + 1;
    unsigned hclen = take(s, 4) + 4;
    if (hlit > MAX_HLIT || hdist > MAX_HDIST)
        return DECOMP_ERR_CORRUPT;

    uint8_t clens[NR_CLEN] = { 0 };
    for (unsigned i = 0; i < hclen; i++) {
        need(s, 3);
        clens[clen_order[i]] = (uint8_t)take(s, 3);
    }
    if (!build_table(w->clen, 1u << CLEN_ROOT, CLEN_ROOT, clens, NR_CLEN,
                     w->clen_templ, false, w->sorted))
        return DECOMP_ERR_CORRUPT;

    unsigned total = hlit + hdist;
    for (unsigned i = 0; i < total;) {
        need(s, CLEN_ROOT + 7);
        uint32_t e = w->clen[s->buf & ((1u << CLEN_ROOT) - 1)];
        if (E_KIND(e) != K_LIT)
            return DECOMP_ERR_CORRUPT;
        take(s, E_BITS(e));
        unsigned sym = E_VALUE(e), rep;
        uint8_t value;
        if (sym < 16) {
            lens[i++] = (uint8_t)sym;
            continue;
        } else if (sym == 16) {
            if (i == 0)
                return DECOMP_ERR_CORRUPT;
            value = lens[i - 1];
            rep = 3 + take(s, 2);
        } else if (sym == 17) {
            value = 0;
            rep = 3 + take(s, 3);
        } else {
            value = 0;
            rep = 11 + take(s, 7);
        }
        if (rep > total - i)
            return DECOMP_ERR_CORRUPT;
        memset(lens + i, value, rep);
        i += rep;
    }
    if (lens[256] == 0)
        return DECOMP_ERR_CORRUPT;  /* a block that cannot end */
    if (!build_table(w->litlen, LITLEN_TABLE_SIZE, LITLEN_ROOT, lens, hlit,
                     w->litlen_templ, true, w->sorted) ||
        !build_table(w->dist, DIST_TABLE_SIZE, DIST_ROOT, lens + hlit, hdist,
                     w->dist_templ, true, w->sorted))
        return DECOMP_ERR_CORRUPT;
    return DECOMP_OK;
}

/* ------------------------------------------------------------ blocks */

static int stored_block(struct inflate_ctx *s)
{
    take(s, s->count & 7);
    if (past_end(s))
        return DECOMP_ERR_TRUNCATED;
    /* Restart byte-wise at the first byte the bit buffer has not consumed. */
    s->pos = s->pos + s->fake - s->count / 8;
    s->fake = 0;
    s->buf = 0;
    s->count = 0;

    if (s->in_len - s->pos < 4)
        return DECOMP_ERR_TRUNCATED;
    unsigned len = load_le16(s->in + s->pos), nlen = load_le16(s->in + s->pos + 2);
    s->pos += 4;
    if (len != (~nlen & 0xffffu))
        return DECOMP_ERR_CORRUPT;
    if (len > s->in_len - s->pos)
        return DECOMP_ERR_TRUNCATED;
    if (len > s->cap - s->op)
        return DECOMP_ERR_OUTPUT_FULL;
    memcpy(s->out + s->op, s->in + s->pos, len);
    s->pos += len;
    s->op += len;
    return DECOMP_OK;
}

/*
 * The hot loop of every Huffman block, on local copies of the state. One
 * refill (at least 49 bits) covers a whole length/distance pair:
 * 15 + 5 + 15 + 13 = 48 bits.
 */
static int huffman_block(struct inflate_ctx *s, const uint32_t *lt, const uint32_t *dt)
{
    const uint8_t *in = s->in;
    const size_t in_len = s->in_len;
    size_t pos = s->pos;
    uint64_t bb = s->buf;
    unsigned bc = s->count;
    uint8_t *const out = s->out;
    const size_t cap = s->cap;
    size_t op = s->op;
    int rc = DECOMP_OK;

    for (;;) {
        if (bc < 48) {
            if (likely(pos + 8 <= in_len)) {
                bb |= load_le64(in + pos) << bc;
                pos += (63 - bc) >> 3;
                bc |= 56;
            } else {
                s->pos = pos; s->buf = bb; s->count = bc;
                refill_slow(s);
                pos = s->pos; bb = s->buf; bc = s->count;
                if (past_end(s)) {
                    rc = DECOMP_ERR_TRUNCATED;
                    break;
                }
            }
        }

        uint32_t e = lt[bb & ((1u << LITLEN_ROOT) - 1)];
        if (E_KIND(e) == K_LINK)
            e = lt[E_VALUE(e) + ((bb >> LITLEN_ROOT) & ((1u << E_EXTRA(e)) - 1))];
        bb >>= E_BITS(e);
        bc -= E_BITS(e);
        if (likely(E_KIND(e) == K_LIT)) {
            if (unlikely(op == cap)) {
                rc = DECOMP_ERR_OUTPUT_FULL;
                break;
            }
            out[op++] = (uint8_t)E_VALUE(e);
            continue;
        }
        if (E_KIND(e) == K_EOB)
            break;
        if (unlikely(E_KIND(e) != K_BASE)) {
            rc = DECOMP_ERR_CORRUPT;
            break;
        }
        size_t len = E_VALUE(e) + (bb & ((1u << E_EXTRA(e)) - 1));
        bb >>= E_EXTRA(e);
        bc -= E_EXTRA(e);

        e = dt[bb & ((1u << DIST_ROOT) - 1)];
        if (E_KIND(e) == K_LINK)
            e = dt[E_VALUE(e) + ((bb >> DIST_ROOT) & ((1u << E_EXTRA(e)) - 1))];
        bb >>= E_BITS(e);
        bc -= E_BITS(e);
        if (unlikely(E_KIND(e) != K_BASE)) {
            rc = DECOMP_ERR_CORRUPT;
            break;
        }
        size_t dist = E_VALUE(e) + (bb & ((1u << E_EXTRA(e)) - 1));
        bb >>= E_EXTRA(e);
        bc -= E_EXTRA(e);

        if (unlikely(dist > op)) {
            rc = DECOMP_ERR_CORRUPT;
            break;
        }
        if (unlikely(len > cap - op)) {
            rc = DECOMP_ERR_OUTPUT_FULL;
            break;
        }
        lz_copy_match(out + op, dist, len, cap - op);
        op += len;
    }

    s->pos = pos;
    s->buf = bb;
    s->count = bc;
    s->op = op;
    return rc;
}

static int inflate_blocks(struct inflate_ctx *s)
{
    struct inflate_work *w = s->w;
    bool final;
    int rc;

    do {
        need(s, 3);
        final = take(s, 1);
        switch (take(s, 2)) {
        case 0:
            rc = stored_block(s);
            break;
        case 1:
            if (!w->fixed_built)
                build_fixed(w);
            rc = huffman_block(s, w->fixed_litlen, w->fixed_dist);
            break;
        case 2:
            rc = read_dynamic_tables(s);
            if (rc == DECOMP_OK)
                rc = huffman_block(s, w->litlen, w->dist);
            break;
        default:
            rc = DECOMP_ERR_CORRUPT;
            break;
        }
        if (rc != DECOMP_OK)
            return rc;
    } while (!final);
    return DECOMP_OK;
}

int inflate_raw(const uint8_t *in, size_t in_len, uint8_t *out, size_t out_cap,
                size_t *out_len, size_t *in_used, void *work, size_t work_len)
{
    uintptr_t base = ALIGN_UP((uintptr_t)work, _Alignof(struct inflate_work));
    if (!work || work_len < inflate_workspace_size())
        return DECOMP_ERR_NOMEM;

    struct inflate_ctx s = {
        .in = in, .in_len = in_len, .out = out, .cap = out_cap,
        .w = (struct inflate_work *)base,
    };
    build_templates(s.w);

    int rc = inflate_blocks(&s);
    /* Whatever went wrong, it was decided by bits the input did not have. */
    if (past_end(&s))
        return DECOMP_ERR_TRUNCATED;
    if (rc != DECOMP_OK)
        return rc;
    *out_len = s.op;
    *in_used = s.pos + s.fake - s.count / 8;
    return DECOMP_OK;
}
