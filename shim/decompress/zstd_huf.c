/*
 * Huffman-coded literals (RFC 8878 section 4.2): the tree description
 * (weights, direct or FSE-compressed), the decoding table, and one or four
 * backward bitstreams.
 */
#include <pvshim/decompress.h>
#include <pvshim/string.h>
#include "zstd_internal.h"
#include "zstd_bits.h"
#include "lz_copy.h"

#define WEIGHTS_FSE_MAX_LOG 6
#define WEIGHT_MAX          HUF_MAX_BITS

/* FSE-compressed weights: two interleaved states sharing one table. */
static int read_fse_weights(struct zstd_work *w, const uint8_t *in, size_t len, size_t *count)
{
    unsigned max_sym = WEIGHT_MAX, log;
    size_t used;
    int rc = fse_read_counts(in, len, &used, w->norm, &max_sym, &log, WEIGHTS_FSE_MAX_LOG);
    if (rc != DECOMP_OK)
        return rc;
    rc = fse_build(w->norm, max_sym, log, w->fse, w->next);
    if (rc != DECOMP_OK)
        return rc;

    struct zbits b;
    if (!zbits_init(&b, in + used, len - used))
        return DECOMP_ERR_CORRUPT;
    const struct fse_entry *t = w->fse;
    unsigned s1 = (unsigned)zbits_read(&b, log);
    unsigned s2 = (unsigned)zbits_read(&b, log);
    if (zbits_reload(&b) == ZBITS_OVERREAD)
        return DECOMP_ERR_CORRUPT;

    /*
     * Alternate until a state update over-reads the stream; then the
     * other state's symbol is the last one. Each turn emits a weight, and
     * there may be at most HUF_MAX_SYMBOLS - 1 of them.
     */
    size_t n = 0;
    unsigned *cur = &s1, *other = &s2;
    for (;;) {
        if (n + 2 > HUF_MAX_SYMBOLS - 1)
            return DECOMP_ERR_CORRUPT;
        const struct fse_entry *e = &t[*cur];
        w->weights[n++] = e->symbol;
        *cur = e->next_base + (unsigned)zbits_read(&b, e->nbits);
        if (zbits_reload(&b) == ZBITS_OVERREAD) {
            w->weights[n++] = t[*other].symbol;
            break;
        }
        unsigned *tmp = cur;
        cur = other;
        other = tmp;
    }
    *count = n;
    return DECOMP_OK;
}

int huf_read_table(struct zstd_work *w, const uint8_t *in, size_t len, size_t *used)
{
    size_t n;
    if (len < 1)
        return DECOMP_ERR_CORRUPT;
    unsigned header = in[0];
    if (header < 128) {
        if (header == 0 || header > len - 1)
            return DECOMP_ERR_CORRUPT;
        int rc = read_fse_weights(w, in + 1, header, &n);
        if (rc != DECOMP_OK)
            return rc;
        *used = 1 + header;
    } else {
        n = header - 127;
        size_t bytes = (n + 1) / 2;
        if (bytes > len - 1)
            return DECOMP_ERR_CORRUPT;
        for (size_t i = 0; i < n; i++)
            w->weights[i] = i & 1 ? in[1 + i / 2] & 0x0f : in[1 + i / 2] >> 4;
        *used = 1 + bytes;
    }

    /* The last symbol's weight tops the total up to a power of two. */
    uint32_t total = 0;
    for (size_t i = 0; i < n; i++) {
        if (w->weights[i] > WEIGHT_MAX)
            return DECOMP_ERR_CORRUPT;
        if (w->weights[i])
            total += 1u << (w->weights[i] - 1);
    }
    if (total == 0)
        return DECOMP_ERR_CORRUPT;
    unsigned max_bits = zbits_highbit32(total) + 1;
    if (max_bits > HUF_MAX_BITS)
        return DECOMP_ERR_CORRUPT;
    uint32_t rest = (1u << max_bits) - total;
    if (rest & (rest - 1))
        return DECOMP_ERR_CORRUPT;
    w->weights[n++] = (uint8_t)(zbits_highbit32(rest) + 1);

    /* Table slots go to the lightest weights first, symbols in order within a weight. */
    uint32_t start[WEIGHT_MAX + 2] = { 0 };
    unsigned ones = 0;
    for (size_t i = 0; i < n; i++) {
        if (w->weights[i] == 1)
            ones++;
        if (w->weights[i])
            start[w->weights[i] + 1] += 1u << (w->weights[i] - 1);
    }
    if (ones < 2 || (ones & 1))
        return DECOMP_ERR_CORRUPT;
    for (unsigned k = 2; k <= WEIGHT_MAX + 1; k++)
        start[k] += start[k - 1];
    for (size_t s = 0; s < n; s++) {
        unsigned wt = w->weights[s];
        if (!wt)
            continue;
        huf_entry e = (huf_entry)(s | (max_bits + 1 - wt) << 8);
        uint32_t span = 1u << (wt - 1);
        huf_entry *slot = &w->huf[start[wt]];
        for (uint32_t k = 0; k < span; k++)
            slot[k] = e;
        start[wt] += span;
    }
    w->huf_bits = max_bits;
    w->huf_valid = true;
    return DECOMP_OK;
}

static inline uint8_t huf_symbol(const huf_entry *t, unsigned bits, struct zbits *b)
{
    huf_entry e = t[(b->bits << (b->consumed & 63)) >> (64 - bits)];
    b->consumed += e >> 8;
    return (uint8_t)e;
}

/* Finish one stream symbol by symbol, then insist it ended exactly. */
static int huf_stream_tail(const huf_entry *t, unsigned bits, struct zbits *b,
                           uint8_t *op, uint8_t *end)
{
    while (op < end) {
        if (zbits_reload(b) == ZBITS_OVERREAD)
            return DECOMP_ERR_CORRUPT;
        *op++ = huf_symbol(t, bits, b);
    }
    if (zbits_reload(b) == ZBITS_OVERREAD || !zbits_finished(b))
        return DECOMP_ERR_CORRUPT;
    return DECOMP_OK;
}

int huf_decode_literals(const struct zstd_work *w, const uint8_t *in, size_t len,
                        size_t regen, bool four_streams)
{
    const huf_entry *t = w->huf;
    const unsigned bits = w->huf_bits;
    uint8_t *dst = (uint8_t *)w->literals;

    if (!four_streams) {
        struct zbits b;
        if (!zbits_init(&b, in, len))
            return DECOMP_ERR_CORRUPT;
        uint8_t *op = dst, *end = dst + regen;
        /* Four symbols of at most 11 bits fit in one full container. */
        while (end - op >= 4 && zbits_reload(&b) == ZBITS_FULL) {
            op[0] = huf_symbol(t, bits, &b);
            op[1] = huf_symbol(t, bits, &b);
            op[2] = huf_symbol(t, bits, &b);
            op[3] = huf_symbol(t, bits, &b);
            op += 4;
        }
        return huf_stream_tail(t, bits, &b, op, end);
    }

    if (len < 6)
        return DECOMP_ERR_CORRUPT;
    size_t sz[4], seg = (regen + 3) / 4;
    sz[0] = lz_le16(in);
    sz[1] = lz_le16(in + 2);
    sz[2] = lz_le16(in + 4);
    if (sz[0] + sz[1] + sz[2] > len - 6 || regen < 3 * seg)
        return DECOMP_ERR_CORRUPT;
    sz[3] = len - 6 - sz[0] - sz[1] - sz[2];

    struct zbits b[4];
    uint8_t *op[4], *end[4];
    const uint8_t *src = in + 6;
    for (int i = 0; i < 4; i++) {
        if (!zbits_init(&b[i], src, sz[i]))
            return DECOMP_ERR_CORRUPT;
        src += sz[i];
        op[i] = dst + i * seg;
        end[i] = i < 3 ? op[i] + seg : dst + regen;
    }
    /* Interleaved while every stream has a full container and room for four symbols. */
    while (end[3] - op[3] >= 4) {
        /* Streams 0-2 are at least as long as stream 3. */
        bool full = (zbits_reload(&b[0]) == ZBITS_FULL) & (zbits_reload(&b[1]) == ZBITS_FULL) &
                    (zbits_reload(&b[2]) == ZBITS_FULL) & (zbits_reload(&b[3]) == ZBITS_FULL);
        if (!full)
            break;
        for (int k = 0; k < 4; k++) {
            for (int i = 0; i < 4; i++)
                op[i][k] = huf_symbol(t, bits, &b[i]);
        }
        for (int i = 0; i < 4; i++)
            op[i] += 4;
    }
    for (int i = 0; i < 4; i++) {
        int rc = huf_stream_tail(t, bits, &b[i], op[i], end[i]);
        if (rc != DECOMP_OK)
            return rc;
    }
    return DECOMP_OK;
}
