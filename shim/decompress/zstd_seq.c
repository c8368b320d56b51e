/*
 * The sequences section of a zstd block (RFC 8878 section 3.1.1.3.2):
 * three FSE tables (literal lengths, offsets, match lengths), then one
 * backward bitstream of (offset, match length, literal length) triples,
 * decoded and executed in a single pass straight into the output.
 */
#include <pvshim/decompress.h>
#include <pvshim/string.h>
#include "zstd_internal.h"
#include "zstd_bits.h"
#include "lz_copy.h"

enum { MODE_PREDEFINED, MODE_RLE, MODE_FSE, MODE_REPEAT };

static const uint32_t ll_base[LL_MAX_CODE + 1] = {
    0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15,
    16, 18, 20, 22, 24, 28, 32, 40, 48, 64, 128, 256, 512, 1024, 2048, 4096,
    8192, 16384, 32768, 65536,
};
static const uint8_t ll_bits[LL_MAX_CODE + 1] = {
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    1, 1, 1, 1, 2, 2, 3, 3, 4, 6, 7, 8, 9, 10, 11, 12,
    13, 14, 15, 16,
};
static const uint32_t ml_base[ML_MAX_CODE + 1] = {
    3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18,
    19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32, 33, 34,
    35, 37, 39, 41, 43, 47, 51, 59, 67, 83, 99, 131, 259, 515, 1027, 2051,
    4099, 8195, 16387, 32771, 65539,
};
static const uint8_t ml_bits[ML_MAX_CODE + 1] = {
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    1, 1, 1, 1, 2, 2, 3, 3, 4, 4, 5, 7, 8, 9, 10, 11,
    12, 13, 14, 15, 16,
};

/* The predefined distributions, RFC 8878 section 3.1.1.3.2.2. */
static const int16_t ll_default[LL_MAX_CODE + 1] = {
    4, 3, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 1, 1, 1,
    2, 2, 2, 2, 2, 2, 2, 2, 2, 3, 2, 1, 1, 1, 1, 1,
    -1, -1, -1, -1,
};
static const int16_t ml_default[ML_MAX_CODE + 1] = {
    1, 4, 3, 2, 2, 2, 2, 2, 2, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, -1, -1,
    -1, -1, -1, -1, -1,
};
static const int16_t of_default[29] = {
    1, 1, 1, 1, 1, 1, 2, 2, 2, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, -1, -1, -1, -1, -1,
};

/* How one kind of symbol is coded. Offsets have no tables: code c means 1 << c plus c bits. */
struct seq_kind {
    const uint32_t *base;
    const uint8_t *bits;
    const int16_t *def;
    unsigned def_max_sym, def_log, max_code, max_log;
};

static const struct seq_kind kind_ll = { ll_base, ll_bits, ll_default, LL_MAX_CODE, 6, LL_MAX_CODE, LL_MAX_LOG };
static const struct seq_kind kind_of = { NULL, NULL, of_default, 28, 5, OF_MAX_CODE, OF_MAX_LOG };
static const struct seq_kind kind_ml = { ml_base, ml_bits, ml_default, ML_MAX_CODE, 6, ML_MAX_CODE, ML_MAX_LOG };

static struct zseq_entry code_entry(const struct seq_kind *k, unsigned code)
{
    struct zseq_entry e;
    e.value_base = k->base ? k->base[code] : 1u << code;
    e.extra_bits = k->bits ? k->bits[code] : (uint8_t)code;
    e.next_base = 0;
    e.state_bits = 0;
    return e;
}

static int build_from_counts(struct zstd_work *w, struct zseq_table *t, const struct seq_kind *k,
                             const int16_t *norm, unsigned max_sym, unsigned log)
{
    int rc = fse_build(norm, max_sym, log, w->fse, w->next);
    if (rc != DECOMP_OK)
        return rc;
    for (uint32_t u = 0; u < 1u << log; u++) {
        const struct fse_entry *f = &w->fse[u];
        t->e[u] = code_entry(k, f->symbol);
        t->e[u].next_base = f->next_base;
        t->e[u].state_bits = f->nbits;
    }
    t->log = log;
    return DECOMP_OK;
}

/* One table per its mode; in[*p ...] holds its description if it has one. */
static int read_table(struct zstd_work *w, struct zseq_table *t, const struct seq_kind *k,
                      unsigned mode, const uint8_t *in, size_t len, size_t *p)
{
    switch (mode) {
    case MODE_PREDEFINED:
        if (t->predefined)
            return DECOMP_OK;
        t->predefined = build_from_counts(w, t, k, k->def, k->def_max_sym, k->def_log) == DECOMP_OK;
        return t->predefined ? DECOMP_OK : DECOMP_ERR_CORRUPT;
    case MODE_RLE:
        t->predefined = false;
        if (*p >= len)
            return DECOMP_ERR_CORRUPT;
        if (in[*p] > k->max_code)
            return DECOMP_ERR_CORRUPT;
        t->e[0] = code_entry(k, in[(*p)++]);
        t->log = 0;
        return DECOMP_OK;
    case MODE_FSE: {
        t->predefined = false;
        unsigned max_sym = k->max_code, log;
        size_t used;
        int rc = fse_read_counts(in + *p, len - *p, &used, w->norm, &max_sym, &log, k->max_log);
        if (rc != DECOMP_OK)
            return rc;
        *p += used;
        return build_from_counts(w, t, k, w->norm, max_sym, log);
    }
    default:
        return w->seq_valid ? DECOMP_OK : DECOMP_ERR_CORRUPT;
    }
}

int zstd_sequences(struct zstd_work *w, const uint8_t *in, size_t len,
                   const uint8_t *lit, size_t lit_size, struct zstd_out *o)
{
    const uint8_t *lit_end = lit + lit_size;
    size_t p = 1;
    uint32_t nseq;
    int rc;

    if (len < 1)
        return DECOMP_ERR_CORRUPT;
    nseq = in[0];
    if (nseq == 255) {
        if (len < 3)
            return DECOMP_ERR_CORRUPT;
        nseq = lz_le16(in + 1) + 0x7f00;
        p = 3;
    } else if (nseq >= 128) {
        if (len < 2)
            return DECOMP_ERR_CORRUPT;
        nseq = ((nseq - 128) << 8) + in[1];
        p = 2;
    }

    uint8_t *op = o->op;
    if (nseq > 0) {
        if (p >= len)
            return DECOMP_ERR_CORRUPT;
        uint8_t modes = in[p++];
        if (modes & 3)
            return DECOMP_ERR_CORRUPT;
        if ((rc = read_table(w, &w->ll, &kind_ll, modes >> 6, in, len, &p)) != DECOMP_OK ||
            (rc = read_table(w, &w->of, &kind_of, (modes >> 4) & 3, in, len, &p)) != DECOMP_OK ||
            (rc = read_table(w, &w->ml, &kind_ml, (modes >> 2) & 3, in, len, &p)) != DECOMP_OK)
            return rc;
        w->seq_valid = true;

        struct zbits b;
        if (!zbits_init(&b, in + p, len - p))
            return DECOMP_ERR_CORRUPT;
        const struct zseq_entry *llt = w->ll.e, *oft = w->of.e, *mlt = w->ml.e;
        unsigned lls = (unsigned)zbits_read(&b, w->ll.log);
        unsigned ofs = (unsigned)zbits_read(&b, w->of.log);
        unsigned mls = (unsigned)zbits_read(&b, w->ml.log);
        uint32_t rep0 = w->rep[0], rep1 = w->rep[1], rep2 = w->rep[2];
        const uint8_t *const fstart = o->frame_start, *const oend = o->end;
        uint8_t *const limit = o->limit;

        for (uint32_t i = 0; i < nseq; i++) {
            /* A full container has 57 bits: offset and match bits first, at most 31 + 16. */
            if (zbits_reload(&b) == ZBITS_OVERREAD)
                return DECOMP_ERR_CORRUPT;
            const struct zseq_entry *le = &llt[lls], *oe = &oft[ofs], *me = &mlt[mls];
            uint32_t ofv = oe->value_base + (uint32_t)zbits_read(&b, oe->extra_bits);
            size_t ml = me->value_base + (size_t)zbits_read(&b, me->extra_bits);
            if (oe->extra_bits + me->extra_bits > 40)
                zbits_reload(&b);
            size_t ll = le->value_base + (size_t)zbits_read(&b, le->extra_bits);
            if (oe->extra_bits + me->extra_bits + le->extra_bits > 31)
                zbits_reload(&b);       /* the three state updates need up to 26 bits */

            uint32_t offset;
            if (ofv > 3) {
                offset = ofv - 3;
                rep2 = rep1;
                rep1 = rep0;
                rep0 = offset;
            } else {
                /* Repeat codes; a zero literal length shifts them by one. */
                unsigned idx = ofv - 1 + (ll == 0);
                if (idx == 0) {
                    offset = rep0;
                } else {
                    offset = idx == 1 ? rep1 : idx == 2 ? rep2 : rep0 - 1;
                    if (offset == 0)
                        return DECOMP_ERR_CORRUPT;
                    if (idx != 1)
                        rep2 = rep1;
                    rep1 = rep0;
                    rep0 = offset;
                }
            }

            if (unlikely(ll > (size_t)(lit_end - lit)))
                return DECOMP_ERR_CORRUPT;
            if (unlikely(ll + ml > (size_t)(limit - op)))
                return o->full_err;
            lz_wild_copy(op, lit, ll, (size_t)(oend - op) >= ll + LZ_WILD_MARGIN);
            op += ll;
            lit += ll;
            if (unlikely(offset > (size_t)(op - fstart)))
                return DECOMP_ERR_CORRUPT;
            lz_match_copy(op, offset, ml, oend);
            op += ml;

            if (i + 1 < nseq) {
                lls = le->next_base + (unsigned)zbits_read(&b, le->state_bits);
                mls = me->next_base + (unsigned)zbits_read(&b, me->state_bits);
                ofs = oe->next_base + (unsigned)zbits_read(&b, oe->state_bits);
            }
        }
        if (zbits_reload(&b) == ZBITS_OVERREAD || !zbits_finished(&b))
            return DECOMP_ERR_CORRUPT;
        w->rep[0] = rep0;
        w->rep[1] = rep1;
        w->rep[2] = rep2;
    } else if (p != len) {
        return DECOMP_ERR_CORRUPT;
    }

    /* Literals left after the last sequence end the block. */
    size_t rest = (size_t)(lit_end - lit);
    if (rest > (size_t)(o->limit - op))
        return o->full_err;
    memcpy(op, lit, rest);
    o->op = op + rest;
    return DECOMP_OK;
}
