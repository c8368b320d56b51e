/*
 * FSE table descriptions and decoding tables (RFC 8878 section 4.1).
 * The description is a forward little-endian bitstream of variable-width
 * counts; every count narrows the width of the next, and the total must
 * come out at exactly 1 << accuracy_log.
 */
#include <pvshim/decompress.h>
#include "zstd_internal.h"
#include "zstd_bits.h"

/* Up to 17 bits from bit position pos; bytes past len read as zero (the caller checks pos). */
static uint32_t peek_forward(const uint8_t *in, size_t len, size_t pos)
{
    size_t i = pos >> 3;
    uint32_t v = 0;
    for (unsigned k = 0; k < 3 && i + k < len; k++)
        v |= (uint32_t)in[i + k] << (8 * k);
    return v >> (pos & 7);
}

int fse_read_counts(const uint8_t *in, size_t len, size_t *used, int16_t *norm,
                    unsigned *max_sym, unsigned *log, unsigned max_log)
{
    if (len < 1)
        return DECOMP_ERR_CORRUPT;
    unsigned al = (in[0] & 0x0f) + 5;
    if (al > max_log)
        return DECOMP_ERR_CORRUPT;

    size_t pos = 4;
    int remaining = (1 << al) + 1;  /* probability points left, plus one */
    int threshold = 1 << al;        /* highest power of two <= remaining */
    unsigned nbits = al + 1;
    unsigned sym = 0;

    /* Each pass takes a symbol or fails; at most *max_sym + 1 passes. */
    while (remaining > 1) {
        if (sym > *max_sym)
            return DECOMP_ERR_CORRUPT;
        uint32_t v = peek_forward(in, len, pos);
        int max_small = 2 * threshold - 1 - remaining;
        int count;
        if ((int)(v & (threshold - 1)) < max_small) {
            count = (int)(v & (threshold - 1));
            pos += nbits - 1;
        } else {
            count = (int)(v & (2 * threshold - 1));
            if (count >= threshold)
                count -= max_small;
            pos += nbits;
        }
        count--;                    /* -1: "less than one" */
        remaining -= count < 0 ? -count : count;
        norm[sym++] = (int16_t)count;
        if (count == 0) {
            /* Runs of further zero counts, two bits at a time; 3 means "and more". */
            for (;;) {
                unsigned run = peek_forward(in, len, pos) & 3;
                pos += 2;
                if (sym + run > *max_sym + 1)
                    return DECOMP_ERR_CORRUPT;
                for (unsigned k = 0; k < run; k++)
                    norm[sym++] = 0;
                if (run != 3)
                    break;
            }
        }
        while (remaining < threshold) {
            nbits--;
            threshold >>= 1;
        }
        if (pos > 8 * len)
            return DECOMP_ERR_CORRUPT;
    }
    if (remaining != 1)
        return DECOMP_ERR_CORRUPT;
    *max_sym = sym - 1;
    *log = al;
    *used = (pos + 7) >> 3;
    return DECOMP_OK;
}

int fse_build(const int16_t *norm, unsigned max_sym, unsigned log,
              struct fse_entry *table, uint16_t *next)
{
    const uint32_t size = 1u << log, mask = size - 1;
    uint32_t high = size - 1;   /* "less than one" symbols fill the table from the top */
    uint32_t total = 0;

    if (log < 5 || log > LL_MAX_LOG)
        return DECOMP_ERR_CORRUPT;  /* the spreading step below needs an odd step */
    for (unsigned s = 0; s <= max_sym; s++) {
        if (norm[s] == -1) {
            if (total++ >= size)
                return DECOMP_ERR_CORRUPT;
            table[high--].symbol = (uint8_t)s;
            next[s] = 1;
        } else {
            total += (uint32_t)norm[s];
            next[s] = (uint16_t)norm[s];
        }
    }
    if (total != size)
        return DECOMP_ERR_CORRUPT;

    /* Spread the other symbols with an odd step, skipping the top slots. */
    uint32_t step = (size >> 1) + (size >> 3) + 3, pos = 0;
    for (unsigned s = 0; s <= max_sym; s++) {
        for (int i = 0; i < norm[s]; i++) {
            table[pos].symbol = (uint8_t)s;
            do
                pos = (pos + step) & mask;
            while (pos > high);
        }
    }
    if (pos != 0)
        return DECOMP_ERR_CORRUPT;

    for (uint32_t u = 0; u < size; u++) {
        unsigned s = table[u].symbol;
        uint32_t x = next[s]++;
        unsigned nbits = log - zbits_highbit32(x);
        table[u].nbits = (uint8_t)nbits;
        table[u].next_base = (uint16_t)((x << nbits) - size);
    }
    return DECOMP_OK;
}
