/*
 * LZMA range decoder and symbol decoder. The hot loop keeps the range
 * coder, the output pointer and the state in locals; the macros below
 * jump to out_of_input when a normalisation finds the input exhausted,
 * so no byte past in_len is ever read.
 */
#include <pvshim/decompress.h>
#include "lzma_decoder.h"
#include "lz_copy.h"

#define PROB_BITS   11
#define PROB_INIT   (1u << (PROB_BITS - 1))
#define MOVE_BITS   5
#define RC_TOP      (1u << 24)
#define MATCH_LEN_MIN 2
#define END_MARKER_DIST 0xffffffffu

bool lzma_props_decode(uint8_t byte, struct lzma_props *p)
{
    if (byte >= 9 * 5 * 5)
        return false;
    p->lc = byte % 9;
    byte /= 9;
    p->lp = byte % 5;
    p->pb = byte / 5;
    return p->lc + p->lp <= LZMA_LCLP_MAX;
}

void lzma_dec_reset(struct lzma_dec *d, const struct lzma_props *p)
{
    d->props = *p;
    d->state = 0;
    d->rep0 = d->rep1 = d->rep2 = d->rep3 = 0;
    /* Every probability before the literal tables, and the literal tables in use. */
    uint16_t *probs = (uint16_t *)&d->probs;
    size_t n = offsetof(struct lzma_probs, literal) / sizeof(uint16_t) +
               ((size_t)0x300 << (p->lc + p->lp));
    for (size_t i = 0; i < n; i++)
        probs[i] = PROB_INIT;
}

#define RC_NORMALIZE()                                                  \
    do {                                                                \
        if (range < RC_TOP) {                                           \
            if (unlikely(ip == iend))                                   \
                goto out_of_input;                                      \
            range <<= 8;                                                \
            code = (code << 8) | *ip++;                                 \
        }                                                               \
    } while (0)

/* Use as: RC_IF0(p) { RC_ZERO(p); ... } else { RC_ONE(p); ... } */
#define RC_IF0(p)                                                       \
    RC_NORMALIZE();                                                     \
    bound = (range >> PROB_BITS) * *(p);                                \
    if (code < bound)
#define RC_ZERO(p)                                                      \
    do {                                                                \
        range = bound;                                                  \
        *(p) += ((1u << PROB_BITS) - *(p)) >> MOVE_BITS;                \
    } while (0)
#define RC_ONE(p)                                                       \
    do {                                                                \
        range -= bound;                                                 \
        code -= bound;                                                  \
        *(p) -= *(p) >> MOVE_BITS;                                      \
    } while (0)

/* Append one bit, decoded with probability probs[sym], to sym. */
#define RC_BIT(probs, sym)                                              \
    do {                                                                \
        uint16_t *p_ = &(probs)[sym];                                   \
        RC_IF0(p_) {                                                    \
            RC_ZERO(p_);                                                \
            sym <<= 1;                                                  \
        } else {                                                        \
            RC_ONE(p_);                                                 \
            sym = (sym << 1) | 1;                                       \
        }                                                               \
    } while (0)

/* A bits-deep bit tree, most significant bit first. */
#define RC_TREE(probs, bits, sym)                                       \
    do {                                                                \
        sym = 1;                                                        \
        for (unsigned i_ = 0; i_ < (bits); i_++)                        \
            RC_BIT(probs, sym);                                         \
        sym -= 1u << (bits);                                            \
    } while (0)

/* A reverse bit tree at probs[base + 1 ...], least significant bit first, ORed into val. */
#define RC_REVERSE(probs, base, bits, val)                              \
    do {                                                                \
        unsigned m_ = 1;                                                \
        for (unsigned i_ = 0; i_ < (bits); i_++) {                      \
            uint16_t *p_ = &(probs)[(base) + m_];                       \
            RC_IF0(p_) {                                                \
                RC_ZERO(p_);                                            \
                m_ <<= 1;                                               \
            } else {                                                    \
                RC_ONE(p_);                                             \
                m_ = (m_ << 1) | 1;                                     \
                val |= 1u << i_;                                        \
            }                                                           \
        }                                                               \
    } while (0)

/* Bits with probability one half, shifted into val. */
#define RC_DIRECT(bits, val)                                            \
    do {                                                                \
        for (unsigned i_ = 0; i_ < (bits); i_++) {                      \
            RC_NORMALIZE();                                             \
            range >>= 1;                                                \
            code -= range;                                              \
            uint32_t t_ = 0u - (code >> 31);                            \
            code += range & t_;                                         \
            val = (val << 1) + (t_ + 1);                                \
        }                                                               \
    } while (0)

/* Match length minus MATCH_LEN_MIN, 0..271. */
#define DECODE_LEN(lprobs, len)                                         \
    do {                                                                \
        struct lzma_len_probs *l_ = (lprobs);                           \
        RC_IF0(&l_->choice) {                                           \
            RC_ZERO(&l_->choice);                                       \
            RC_TREE(l_->low[pos_state], 3, len);                        \
        } else {                                                        \
            RC_ONE(&l_->choice);                                        \
            RC_IF0(&l_->choice2) {                                      \
                RC_ZERO(&l_->choice2);                                  \
                RC_TREE(l_->mid[pos_state], 3, len);                    \
                len += 8;                                               \
            } else {                                                    \
                RC_ONE(&l_->choice2);                                   \
                RC_TREE(l_->high, 8, len);                              \
                len += 16;                                              \
            }                                                           \
        }                                                               \
    } while (0)

int lzma_dec_run(struct lzma_dec *d, const uint8_t *in, size_t in_len, size_t *in_used,
                 uint8_t *dict, size_t *pos, size_t limit, const uint8_t *oend,
                 enum lzma_end end, int full_err)
{
    struct lzma_probs *P = &d->probs;
    const uint8_t *ip = in, *iend = in + in_len;
    uint8_t *op = dict + *pos;
    uint8_t *const olimit = dict + limit;
    uint32_t state = d->state;
    uint32_t rep0 = d->rep0, rep1 = d->rep1, rep2 = d->rep2, rep3 = d->rep3;
    const unsigned lc = d->props.lc;
    const size_t lp_mask = ((size_t)1 << d->props.lp) - 1;
    const size_t pb_mask = ((size_t)1 << d->props.pb) - 1;
    uint32_t range, code, bound;
    bool only_end_marker = false;   /* the limit is reached: nothing but the end marker may follow */
    int rc;

    if (in_len < 5)
        return DECOMP_ERR_TRUNCATED;
    if (in[0] != 0)
        return DECOMP_ERR_CORRUPT;
    range = 0xffffffffu;
    code = lz_be32(in + 1);
    ip = in + 5;
    /* code < range holds from here on whatever the input, which the direct-bit trick relies on. */
    if (code == range)
        return DECOMP_ERR_CORRUPT;

    for (;;) {
        if (unlikely(op >= olimit) && !only_end_marker) {
            if (end != LZMA_END_MARKER) {
                /* An encoder that stopped here flushed so that code is now zero. */
                RC_NORMALIZE();
                if (code == 0)
                    break;
                if (end == LZMA_END_CHUNK) {
                    rc = DECOMP_ERR_CORRUPT;
                    goto out;
                }
            }
            only_end_marker = true;
        }

        const size_t pos_now = (size_t)(op - dict);
        const unsigned pos_state = pos_now & pb_mask;
        uint16_t *p = &P->is_match[state][pos_state];
        size_t len;

        RC_IF0(p) {
            RC_ZERO(p);
            if (unlikely(only_end_marker)) {
                rc = full_err;
                goto out;
            }
            unsigned prev = pos_now ? op[-1] : 0;
            uint16_t *lit = P->literal[((pos_now & lp_mask) << lc) + (prev >> (8 - lc))];
            unsigned sym = 1;
            if (state < 7) {
                do
                    RC_BIT(lit, sym);
                while (sym < 0x100);
                state = state < 4 ? 0 : state - 3;
            } else {
                /* After a match: code the bits against the byte at rep0 while they agree. */
                if (unlikely(rep0 >= pos_now)) {
                    rc = DECOMP_ERR_CORRUPT;
                    goto out;
                }
                unsigned match = op[-(ptrdiff_t)rep0 - 1];
                unsigned offs = 0x100;
                do {
                    match <<= 1;
                    unsigned mbit = match & offs;
                    uint16_t *pp = &lit[offs + mbit + sym];
                    RC_IF0(pp) {
                        RC_ZERO(pp);
                        sym <<= 1;
                        offs &= ~mbit;
                    } else {
                        RC_ONE(pp);
                        sym = (sym << 1) | 1;
                        offs &= mbit;
                    }
                } while (sym < 0x100);
                state = state < 10 ? state - 3 : state - 6;
            }
            *op++ = (uint8_t)sym;
            continue;
        }
        RC_ONE(p);

        p = &P->is_rep[state];
        RC_IF0(p) {
            /* A new match: its length, then its distance. */
            RC_ZERO(p);
            DECODE_LEN(&P->match_len, len);
            state = state < 7 ? 7 : 10;
            unsigned slot;
            RC_TREE(P->dist_slot[len < 3 ? len : 3], 6, slot);
            uint32_t dist;
            if (slot < 4) {
                dist = slot;
            } else {
                unsigned nd = (slot >> 1) - 1;
                dist = 2 | (slot & 1);
                if (slot < 14) {
                    dist <<= nd;
                    const unsigned base = dist - slot - 1;
                    RC_REVERSE(P->dist_special, base, nd, dist);
                } else {
                    RC_DIRECT(nd - 4, dist);
                    dist <<= 4;
                    RC_REVERSE(P->dist_align, 0, 4, dist);
                    if (dist == END_MARKER_DIST) {
                        if (end == LZMA_END_CHUNK ||
                            (end == LZMA_END_KNOWN && !only_end_marker)) {
                            rc = DECOMP_ERR_CORRUPT;
                            goto out;
                        }
                        RC_NORMALIZE();
                        rc = code == 0 ? DECOMP_OK : DECOMP_ERR_CORRUPT;
                        goto out;
                    }
                }
            }
            if (unlikely(dist >= pos_now)) {
                rc = DECOMP_ERR_CORRUPT;
                goto out;
            }
            rep3 = rep2;
            rep2 = rep1;
            rep1 = rep0;
            rep0 = dist;
        } else {
            /* A repeated distance. */
            RC_ONE(p);
            if (unlikely(pos_now == 0)) {
                rc = DECOMP_ERR_CORRUPT;
                goto out;
            }
            p = &P->is_rep0[state];
            RC_IF0(p) {
                RC_ZERO(p);
                p = &P->is_rep0_long[state][pos_state];
                RC_IF0(p) {
                    /* "Short rep": one byte from rep0. */
                    RC_ZERO(p);
                    if (unlikely(only_end_marker)) {
                        rc = full_err;
                        goto out;
                    }
                    if (unlikely(rep0 >= pos_now)) {
                        rc = DECOMP_ERR_CORRUPT;
                        goto out;
                    }
                    state = state < 7 ? 9 : 11;
                    *op = op[-(ptrdiff_t)rep0 - 1];
                    op++;
                    continue;
                }
                RC_ONE(p);
            } else {
                RC_ONE(p);
                uint32_t dist;
                p = &P->is_rep1[state];
                RC_IF0(p) {
                    RC_ZERO(p);
                    dist = rep1;
                } else {
                    RC_ONE(p);
                    p = &P->is_rep2[state];
                    RC_IF0(p) {
                        RC_ZERO(p);
                        dist = rep2;
                    } else {
                        RC_ONE(p);
                        dist = rep3;
                        rep3 = rep2;
                    }
                    rep2 = rep1;
                }
                rep1 = rep0;
                rep0 = dist;
            }
            DECODE_LEN(&P->rep_len, len);
            state = state < 7 ? 8 : 11;
            if (unlikely(rep0 >= pos_now)) {
                rc = DECOMP_ERR_CORRUPT;
                goto out;
            }
        }

        len += MATCH_LEN_MIN;
        if (unlikely(only_end_marker || len > (size_t)(olimit - op))) {
            rc = full_err;
            goto out;
        }
        lz_match_copy(op, (size_t)rep0 + 1, len, oend);
        op += len;
    }
    rc = DECOMP_OK;

out:
    d->state = state;
    d->rep0 = rep0;
    d->rep1 = rep1;
    d->rep2 = rep2;
    d->rep3 = rep3;
    *pos = (size_t)(op - dict);
    *in_used = (size_t)(ip - in);
    return rc;

out_of_input:
    rc = DECOMP_ERR_TRUNCATED;
    goto out;
}
