/*
 * The LZMA decoder core shared by .lzma files and xz's LZMA2 chunks.
 * Single-shot: the dictionary is the caller's output buffer, so a match
 * may reach back to the last dictionary reset and no further.
 */
#ifndef PVSHIM_DECOMPRESS_LZMA_DECODER_H
#define PVSHIM_DECOMPRESS_LZMA_DECODER_H

#include <pvshim/types.h>

/* lc + lp above this needs more than LZMA_LITERAL_CODERS tables; xz refuses it too. */
#define LZMA_LCLP_MAX        4
#define LZMA_LITERAL_CODERS  (1u << LZMA_LCLP_MAX)
#define LZMA_STATES          12
#define LZMA_POS_STATES_MAX  16

struct lzma_props {
    unsigned lc, lp, pb;
};

struct lzma_len_probs {
    uint16_t choice, choice2;
    uint16_t low[LZMA_POS_STATES_MAX][8];
    uint16_t mid[LZMA_POS_STATES_MAX][8];
    uint16_t high[256];
};

/* Adaptive bit probabilities, 11-bit fixed point. */
struct lzma_probs {
    uint16_t is_match[LZMA_STATES][LZMA_POS_STATES_MAX];
    uint16_t is_rep[LZMA_STATES];
    uint16_t is_rep0[LZMA_STATES];
    uint16_t is_rep1[LZMA_STATES];
    uint16_t is_rep2[LZMA_STATES];
    uint16_t is_rep0_long[LZMA_STATES][LZMA_POS_STATES_MAX];
    uint16_t dist_slot[4][64];
    uint16_t dist_special[114];     /* slots 4..13: reverse trees of 1..5 bits */
    uint16_t dist_align[16];
    struct lzma_len_probs match_len, rep_len;
    uint16_t literal[LZMA_LITERAL_CODERS][0x300];
};

struct lzma_dec {
    struct lzma_props props;
    uint32_t state;
    uint32_t rep0, rep1, rep2, rep3;    /* match distances minus one */
    struct lzma_probs probs;
};

/* How a run of the decoder ends. */
enum lzma_end {
    LZMA_END_CHUNK,     /* exactly at limit, no end marker (LZMA2 chunk) */
    LZMA_END_KNOWN,     /* at limit; an end marker may follow (.lzma, known size) */
    LZMA_END_MARKER,    /* only at the end marker; limit is the output space (.lzma, size -1) */
};

/* Decode the lc/lp/pb properties byte; false if out of range or lc + lp > LZMA_LCLP_MAX. */
bool lzma_props_decode(uint8_t byte, struct lzma_props *p);

/* Set new properties and reset the state (LZMA2 state reset, or a new .lzma stream). */
void lzma_dec_reset(struct lzma_dec *d, const struct lzma_props *p);

/*
 * Decode one range-coded run from in[0, in_len): a whole .lzma stream or
 * one LZMA2 chunk. dict is where the dictionary starts; output goes to
 * dict[*pos ...] up to dict[limit]. oend is the end of the whole output
 * buffer (copies may scribble past limit up to it). On success *pos is
 * the new position and *in_used the bytes consumed.
 * Errors: DECOMP_ERR_TRUNCATED (input ran out), DECOMP_ERR_CORRUPT, and for
 * output beyond limit, full_err.
 */
int lzma_dec_run(struct lzma_dec *d, const uint8_t *in, size_t in_len, size_t *in_used,
                 uint8_t *dict, size_t *pos, size_t limit, const uint8_t *oend,
                 enum lzma_end end, int full_err);

#endif
