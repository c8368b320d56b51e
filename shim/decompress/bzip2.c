/*
 * bzip2 decoder: stream header, blocks (Huffman-coded MTF/RLE2 symbols,
 * inverse Burrows-Wheeler transform, RLE1), per-block and stream CRCs.
 * Only the first stream is decoded; data after its end-of-stream marker is
 * left to the caller. Blocks flagged "randomised" (written only by bzip2
 * before 0.9.5) are refused as unsupported.
 *
 * Bits are read MSB-first through a 64-bit buffer; past the end of the
 * input zero bytes are fed in and counted, and consuming any of them makes
 * the result DECOMP_ERR_TRUNCATED.
 */
#include <pvshim/decompress.h>
#include <pvshim/compiler.h>
#include <pvshim/string.h>
#include "formats.h"
#include "byte_access.h"

#define BZ_BLOCK_MAGIC      0x314159265359ull   /* BCD pi */
#define BZ_EOS_MAGIC        0x177245385090ull   /* BCD sqrt(pi) */
#define BZ_MAX_LEVEL        9
#define BZ_LEVEL_UNIT       100000u             /* block size per level */
#define BZ_MAX_BLOCK        (BZ_MAX_LEVEL * BZ_LEVEL_UNIT)
#define BZ_MIN_GROUPS       2
#define BZ_MAX_GROUPS       6
#define BZ_GROUP_SIZE       50                  /* symbols coded with one table */
/* As bzip2 1.0.8: more selectors than a full block can use are read and ignored. */
#define BZ_MAX_SELECTORS    (2 + BZ_MAX_BLOCK / BZ_GROUP_SIZE)
#define BZ_MAX_ALPHA        258                 /* RUNA, RUNB, 255 MTF values, EOB */
#define BZ_MAX_CODE_LEN     20
#define BZ_RUNA             0
#define BZ_RUNB             1
/* A run longer than any block needs this many RUNA/RUNB digits; more is corrupt. */
#define BZ_MAX_RUN_WEIGHT   (2u * 1024 * 1024)

#define ROOT_BITS           10

/* One Huffman table: a root lookup plus canonical ranges for longer codes. */
struct bz_table {
    uint16_t root[1u << ROOT_BITS];     /* sym << 5 | len, or 0: longer or invalid */
    uint32_t first[BZ_MAX_CODE_LEN + 1];/* first canonical code of each length */
    uint16_t count[BZ_MAX_CODE_LEN + 1];
    uint16_t base[BZ_MAX_CODE_LEN + 1]; /* index in perm of that first code */
    uint16_t perm[BZ_MAX_ALPHA];        /* symbols by (length, value) */
    unsigned max_len;
};

struct bzip2_work {
    struct bz_table tables[BZ_MAX_GROUPS];
    uint8_t selectors[BZ_MAX_SELECTORS];
    uint8_t block[BZ_MAX_BLOCK + 16];   /* the block after the BWT; slack for word reads */
    uint32_t tt[];      /* level * 100000 entries: byte in bits 0-7, link above */
};

struct bz_ctx {
    const uint8_t *in;
    size_t in_len;
    size_t pos;         /* next input byte to load */
    size_t fake;        /* zero bytes loaded past the end of the input */
    uint64_t buf;       /* the low `count` bits are unconsumed, oldest highest */
    unsigned count;
    uint8_t *out;
    size_t op, cap;
    unsigned block_max;
    struct bzip2_work *w;
};

size_t bzip2_workspace_size(void)
{
    return sizeof(struct bzip2_work) + BZ_MAX_BLOCK * sizeof(uint32_t) +
           _Alignof(struct bzip2_work) - 1;
}

/* ------------------------------------------------------------ bzip2's CRC */

/*
 * bzip2 uses CRC-32 MSB-first (polynomial 0x04C11DB7), unlike gzip. Sliced
 * by eight like crc32.c: at boot every output byte goes through it.
 * bz_crc_tables[k][b] is the CRC of byte b followed by k zero bytes.
 */
static uint32_t bz_crc_tables[8][256] BUILD_ONLY;
static bool bz_crc_ready;

/* Idempotent, so a racing second caller only redoes the same work. */
static void bz_crc_init(void)
{
    for (uint32_t b = 0; b < 256; b++) {
        uint32_t c = b << 24;
        for (int i = 0; i < 8; i++)
            c = (c << 1) ^ (0x04C11DB7u & -(c >> 31));
        bz_crc_tables[0][b] = c;
    }
    for (unsigned b = 0; b < 256; b++)
        for (int k = 1; k < 8; k++)
            bz_crc_tables[k][b] = (bz_crc_tables[k - 1][b] << 8) ^
                                  bz_crc_tables[0][bz_crc_tables[k - 1][b] >> 24];
    __atomic_store_n(&bz_crc_ready, true, __ATOMIC_RELEASE);
}

static uint32_t bz_crc(const uint8_t *p, size_t n)
{
    uint32_t (*t)[256] = bz_crc_tables;
    uint32_t crc = ~0u;
    if (!__atomic_load_n(&bz_crc_ready, __ATOMIC_ACQUIRE))
        bz_crc_init();
    for (; n >= 8; n -= 8, p += 8) {
        crc ^= load_be32(p);
        crc = t[7][crc >> 24] ^ t[6][(crc >> 16) & 0xff] ^ t[5][(crc >> 8) & 0xff] ^
              t[4][crc & 0xff] ^ t[3][p[4]] ^ t[2][p[5]] ^ t[1][p[6]] ^ t[0][p[7]];
    }
    for (; n; n--, p++)
        crc = (crc << 8) ^ t[0][(crc >> 24) ^ *p];
    return ~crc;
}

/* ------------------------------------------------------------ bit input */

static void refill_slow(struct bz_ctx *s)
{
    while (s->count <= 48) {
        uint64_t byte = 0;
        if (s->pos < s->in_len)
            byte = s->in[s->pos++];
        else
            s->fake++;
        s->buf = (s->buf << 8) | byte;
        s->count += 8;
    }
}

/* Leaves at least 49 bits when called with fewer than 32. */
static inline void refill(struct bz_ctx *s)
{
    if (likely(s->pos + 8 <= s->in_len)) {
        unsigned k = (63 - s->count) >> 3;  /* whole bytes that fit: 4..7 */
        s->buf = (s->buf << (8 * k)) | (load_be64(s->in + s->pos) >> (64 - 8 * k));
        s->pos += k;
        s->count += 8 * k;
    } else {
        refill_slow(s);
    }
}

/* Take n (1..32) bits, refilling as needed. */
static inline uint32_t get_bits(struct bz_ctx *s, unsigned n)
{
    if (s->count < 32)
        refill(s);
    s->count -= n;
    return (uint32_t)(s->buf >> s->count) & (uint32_t)(((uint64_t)1 << n) - 1);
}

static inline bool past_end(const struct bz_ctx *s)
{
    return s->fake * 8 > s->count;
}

/* ------------------------------------------------------------ Huffman */

/* Build a group's table; false if its lengths over-subscribe the code space. */
static bool build_table(struct bz_table *t, const uint8_t *lens, unsigned alpha)
{
    unsigned next[BZ_MAX_CODE_LEN + 1];
    long left = 1;

    memset(t->count, 0, sizeof(t->count));
    for (unsigned sym = 0; sym < alpha; sym++)
        t->count[lens[sym]]++;
    t->max_len = 0;
    for (unsigned len = 1; len <= BZ_MAX_CODE_LEN; len++) {
        left = 2 * left - t->count[len];
        if (left < 0)
            return false;
        if (t->count[len])
            t->max_len = len;
    }
    /* Incomplete codes are legal in bzip2; their unused codes decode as errors. */
    uint32_t code = 0;
    unsigned idx = 0;
    for (unsigned len = 1; len <= BZ_MAX_CODE_LEN; len++) {
        t->first[len] = code;
        t->base[len] = (uint16_t)idx;
        next[len] = idx;
        idx += t->count[len];
        code = (code + t->count[len]) << 1;
    }
    for (unsigned sym = 0; sym < alpha; sym++)
        t->perm[next[lens[sym]]++] = (uint16_t)sym;

    memset(t->root, 0, sizeof(t->root));
    for (unsigned len = 1; len <= ROOT_BITS && len <= t->max_len; len++) {
        for (unsigned k = 0; k < t->count[len]; k++) {
            uint32_t c = t->first[len] + k;
            uint16_t e = (uint16_t)(t->perm[t->base[len] + k] << 5 | len);
            for (uint32_t i = c << (ROOT_BITS - len); i < (c + 1) << (ROOT_BITS - len); i++)
                t->root[i] = e;
        }
    }
    return true;
}

/* Codes longer than the root table: search the canonical ranges. -1 if none matches. */
static int decode_long(const struct bz_table *t, uint32_t bits20)
{
    for (unsigned len = ROOT_BITS + 1; len <= t->max_len; len++) {
        uint32_t d = (bits20 >> (BZ_MAX_CODE_LEN - len)) - t->first[len];
        if (d < t->count[len])
            return (int)len << 16 | t->perm[t->base[len] + d];
    }
    return -1;
}

/* ------------------------------------------------------------ one block */

struct bz_block_header {
    uint32_t crc;
    uint32_t orig_ptr;
    unsigned n_in_use;
    unsigned n_selectors;
    uint8_t seq_to_unseq[256];
};

/* From the block CRC to the end of the coding tables. */
static int read_block_header(struct bz_ctx *s, struct bz_block_header *h)
{
    struct bzip2_work *w = s->w;

    h->crc = get_bits(s, 32);
    if (get_bits(s, 1))
        return DECOMP_ERR_UNSUPPORTED;  /* randomised block */
    h->orig_ptr = get_bits(s, 24);

    unsigned used16 = get_bits(s, 16);
    h->n_in_use = 0;
    memset(h->seq_to_unseq, 0, sizeof(h->seq_to_unseq));
    for (unsigned i = 0; i < 16; i++) {
        if (!(used16 & (0x8000u >> i)))
            continue;
        unsigned used = get_bits(s, 16);
        for (unsigned j = 0; j < 16; j++)
            if (used & (0x8000u >> j))
                h->seq_to_unseq[h->n_in_use++] = (uint8_t)(i * 16 + j);
    }
    if (h->n_in_use == 0)
        return DECOMP_ERR_CORRUPT;
    unsigned alpha = h->n_in_use + 2;

    unsigned n_groups = get_bits(s, 3);
    if (n_groups < BZ_MIN_GROUPS || n_groups > BZ_MAX_GROUPS)
        return DECOMP_ERR_CORRUPT;
    unsigned n_sel = get_bits(s, 15);
    if (n_sel < 1)
        return DECOMP_ERR_CORRUPT;

    /* Selectors: unary MTF indexes, then undo the move-to-front. */
    uint8_t order[BZ_MAX_GROUPS];
    for (unsigned g = 0; g < BZ_MAX_GROUPS; g++)
        order[g] = (uint8_t)g;
    for (unsigned i = 0; i < n_sel; i++) {
        unsigned j = 0;
        while (get_bits(s, 1)) {
            if (++j >= n_groups)
                return DECOMP_ERR_CORRUPT;
        }
        uint8_t g = order[j];
        for (; j > 0; j--)
            order[j] = order[j - 1];
        order[0] = g;
        if (i < BZ_MAX_SELECTORS)
            w->selectors[i] = g;
    }
    h->n_selectors = n_sel < BZ_MAX_SELECTORS ? n_sel : BZ_MAX_SELECTORS;

    /* Code lengths, delta-coded, each in 1..20. */
    for (unsigned g = 0; g < n_groups; g++) {
        uint8_t lens[BZ_MAX_ALPHA];
        unsigned len = get_bits(s, 5);
        for (unsigned sym = 0; sym < alpha; sym++) {
            for (;;) {
                if (len < 1 || len > BZ_MAX_CODE_LEN)
                    return DECOMP_ERR_CORRUPT;
                if (!get_bits(s, 1))
                    break;
                if (get_bits(s, 1))
                    len--;
                else
                    len++;
            }
            lens[sym] = (uint8_t)len;
        }
        if (!build_table(&w->tables[g], lens, alpha))
            return DECOMP_ERR_CORRUPT;
    }
    return DECOMP_OK;
}

/*
 * mtf[1, idx] = mtf[0, idx - 1] (idx <= 255), eight bytes a step: under an
 * emulator a byte loop here costs more than anything else in decoding.
 */
static inline void mtf_shift(uint8_t *mtf, unsigned idx)
{
    unsigned j = idx;
    uint64_t w;
    for (; j >= 8; j -= 8) {
        __builtin_memcpy(&w, mtf + j - 8, 8);
        __builtin_memcpy(mtf + j - 7, &w, 8);
    }
    /* Bytes 1..j of the first word from their left neighbours, the rest kept. */
    uint64_t keep = (~0ull << (8 * j)) << 8;
    __builtin_memcpy(&w, mtf, 8);
    w = (w & keep) | ((w << 8) & ~keep);
    __builtin_memcpy(mtf, &w, 8);
}

/*
 * Huffman symbols to the pre-BWT block in tt[]: RUNA/RUNB digits give run
 * lengths of the front byte, other symbols are move-to-front indexes.
 */
static int decode_symbols(struct bz_ctx *s, const struct bz_block_header *h,
                          uint32_t *nblock_out, uint32_t byte_count[256])
{
    struct bzip2_work *w = s->w;
    uint32_t *tt = w->tt;
    const uint32_t block_max = s->block_max;
    const unsigned eob = h->n_in_use + 1;
    uint8_t mtf[256];   /* byte values, most recent first */
    uint32_t nblock = 0, run = 0, run_weight = 1;
    unsigned group_left = 0, group_idx = 0;
    const struct bz_table *t = NULL;

    /* Entries past n_in_use are never reached: the table only holds alpha symbols. */
    memcpy(mtf, h->seq_to_unseq, sizeof(mtf));
    memset(byte_count, 0, 256 * sizeof(uint32_t));

    /* Local copies: stores into tt[] would otherwise force them to memory. */
    const uint8_t *in = s->in;
    const size_t in_len = s->in_len;
    size_t pos = s->pos;
    uint64_t buf = s->buf;
    unsigned count = s->count;
    int rc = DECOMP_OK;

    for (;;) {
        if (group_left == 0) {
            if (group_idx >= h->n_selectors) {
                rc = DECOMP_ERR_CORRUPT;
                break;
            }
            t = &w->tables[w->selectors[group_idx++]];
            group_left = BZ_GROUP_SIZE;
        }
        group_left--;

        if (count < BZ_MAX_CODE_LEN) {
            if (likely(pos + 8 <= in_len)) {
                unsigned k = (63 - count) >> 3;
                buf = (buf << (8 * k)) | (load_be64(in + pos) >> (64 - 8 * k));
                pos += k;
                count += 8 * k;
            } else {
                s->pos = pos; s->buf = buf; s->count = count;
                refill_slow(s);
                pos = s->pos; buf = s->buf; count = s->count;
                if (past_end(s)) {
                    rc = DECOMP_ERR_TRUNCATED;
                    break;
                }
            }
        }

        unsigned sym, len;
        uint16_t e = t->root[(buf >> (count - ROOT_BITS)) & ((1u << ROOT_BITS) - 1)];
        if (likely(e)) {
            sym = e >> 5;
            len = e & 31;
        } else {
            int r = decode_long(t, (uint32_t)(buf >> (count - BZ_MAX_CODE_LEN)) &
                                   ((1u << BZ_MAX_CODE_LEN) - 1));
            if (r < 0) {
                rc = DECOMP_ERR_CORRUPT;
                break;
            }
            sym = r & 0xffff;
            len = (unsigned)r >> 16;
        }
        count -= len;

        if (sym <= BZ_RUNB) {
            if (run_weight >= BZ_MAX_RUN_WEIGHT) {
                rc = DECOMP_ERR_CORRUPT;
                break;
            }
            run += run_weight << sym;   /* RUNA adds the weight, RUNB twice it */
            run_weight <<= 1;
            continue;
        }
        if (run) {
            uint8_t b = mtf[0];
            if (run > block_max - nblock) {
                rc = DECOMP_ERR_CORRUPT;
                break;
            }
            byte_count[b] += run;
            for (uint32_t end = nblock + run; nblock < end; nblock++)
                tt[nblock] = b;
            run = 0;
            run_weight = 1;
        }
        if (sym == eob)
            break;

        /* sym - 1 is in 1..n_in_use-1: the table only holds alpha symbols. */
        unsigned idx = sym - 1;
        uint8_t v = mtf[idx];
        mtf_shift(mtf, idx);
        mtf[0] = v;
        if (nblock >= block_max) {
            rc = DECOMP_ERR_CORRUPT;
            break;
        }
        byte_count[v]++;
        tt[nblock++] = v;
    }

    s->pos = pos;
    s->buf = buf;
    s->count = count;
    *nblock_out = nblock;
    return rc;
}

/* Invert the BWT: follow the links through tt[], the block's bytes into w->block. */
static void unsort_block(struct bzip2_work *w, uint32_t nblock, uint32_t orig_ptr,
                         const uint32_t byte_count[256])
{
    uint32_t *tt = w->tt;
    uint8_t *block = w->block;
    uint32_t next[256], sum = 0;

    for (unsigned b = 0; b < 256; b++) {
        next[b] = sum;
        sum += byte_count[b];
    }
    for (uint32_t i = 0; i < nblock; i++) {
        uint8_t b = (uint8_t)tt[i];
        tt[next[b]++] |= i << 8;
    }

    uint32_t p = tt[orig_ptr] >> 8;     /* every link is < nblock by construction */
    uint32_t k = 0;
    for (; k + 4 <= nblock; k += 4) {
        p = tt[p]; block[k] = (uint8_t)p; p >>= 8;
        p = tt[p]; block[k + 1] = (uint8_t)p; p >>= 8;
        p = tt[p]; block[k + 2] = (uint8_t)p; p >>= 8;
        p = tt[p]; block[k + 3] = (uint8_t)p; p >>= 8;
    }
    for (; k < nblock; k++) {
        p = tt[p]; block[k] = (uint8_t)p; p >>= 8;
    }
}

/*
 * Undo RLE1: four equal bytes are followed by a count of further copies.
 * The search for the next four equal bytes skips ahead by the first
 * unequal pair, so plain stretches cost about a third of a test per byte.
 */
static int unrun_block(struct bz_ctx *s, uint32_t n)
{
    const uint8_t *block = s->w->block;     /* n + 16 readable bytes */
    uint8_t *out = s->out;
    size_t op = s->op;
    const size_t cap = s->cap;

    for (uint32_t i = 0; i < n;) {
        uint32_t j = i;
        while (j + 3 < n) {
            uint32_t x = load_le32(block + j);
            uint32_t d = x ^ (x >> 8);      /* byte k: block[j + k] != block[j + k + 1] */
            if (d & 0xff0000)
                j += 3;
            else if (d & 0xff00)
                j += 2;
            else if (d & 0xff)
                j += 1;
            else
                break;
        }
        /* Copy up to and including the four equal bytes (or to the end). */
        uint32_t end = j + 3 < n ? j + 4 : n;
        size_t len = end - i;
        if (len > cap - op)
            return DECOMP_ERR_OUTPUT_FULL;
        lz_copy_literals(out + op, block + i, len, cap - op);
        op += len;
        i = end;
        if (i < n) {
            unsigned count = block[i++];
            if (count > cap - op)
                return DECOMP_ERR_OUTPUT_FULL;
            memset(out + op, block[j], count);
            op += count;
        }
    }
    s->op = op;
    return DECOMP_OK;
}

static int decode_block(struct bz_ctx *s, uint32_t *block_crc)
{
    struct bz_block_header h;
    uint32_t byte_count[256], nblock;

    int rc = read_block_header(s, &h);
    if (rc != DECOMP_OK)
        return rc;
    rc = decode_symbols(s, &h, &nblock, byte_count);
    if (rc != DECOMP_OK)
        return rc;
    if (h.orig_ptr >= nblock)
        return DECOMP_ERR_CORRUPT;

    size_t start = s->op;
    unsort_block(s->w, nblock, h.orig_ptr, byte_count);
    rc = unrun_block(s, nblock);
    if (rc != DECOMP_OK)
        return rc;
    if (bz_crc(s->out + start, s->op - start) != h.crc)
        return DECOMP_ERR_CHECKSUM;
    *block_crc = h.crc;
    return DECOMP_OK;
}

static int decode_stream(struct bz_ctx *s)
{
    uint32_t combined = 0;

    /* Every pass consumes at least 48 bits, so the input bounds the loop. */
    for (;;) {
        uint64_t magic = (uint64_t)get_bits(s, 24) << 24;
        magic |= get_bits(s, 24);
        if (magic == BZ_BLOCK_MAGIC) {
            uint32_t crc;
            int rc = decode_block(s, &crc);
            if (rc != DECOMP_OK)
                return rc;
            combined = ((combined << 1) | (combined >> 31)) ^ crc;
        } else if (magic == BZ_EOS_MAGIC) {
            uint32_t stored = get_bits(s, 32);
            if (past_end(s))
                return DECOMP_ERR_TRUNCATED;
            return stored == combined ? DECOMP_OK : DECOMP_ERR_CHECKSUM;
        } else {
            return DECOMP_ERR_CORRUPT;
        }
    }
}

int bzip2_decompress(const uint8_t *in, size_t in_len, uint8_t *out, size_t out_cap,
                     size_t *out_len, size_t *in_used, void *work, size_t work_len)
{
    if (in_len < 3 || in[0] != 'B' || in[1] != 'Z' || in[2] != 'h')
        return DECOMP_ERR_FORMAT;
    if (in_len < 4)
        return DECOMP_ERR_TRUNCATED;
    if (in[3] < '1' || in[3] > '9')
        return DECOMP_ERR_FORMAT;
    unsigned block_max = (unsigned)(in[3] - '0') * BZ_LEVEL_UNIT;

    uintptr_t base = ALIGN_UP((uintptr_t)work, _Alignof(struct bzip2_work));
    size_t need = sizeof(struct bzip2_work) + (size_t)block_max * sizeof(uint32_t);
    if (!work || work_len < need || work_len - need < base - (uintptr_t)work)
        return DECOMP_ERR_NOMEM;

    struct bz_ctx s = {
        .in = in, .in_len = in_len, .pos = 4,
        .out = out, .cap = out_cap,
        .block_max = block_max,
        .w = (struct bzip2_work *)base,
    };
    int rc = decode_stream(&s);
    /* Whatever went wrong, it was decided by bits the input did not have. */
    if (past_end(&s))
        return DECOMP_ERR_TRUNCATED;
    if (rc != DECOMP_OK)
        return rc;
    *out_len = s.op;
    *in_used = s.pos + s.fake - s.count / 8;
    return DECOMP_OK;
}
