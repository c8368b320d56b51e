/*
 * zstd frames (RFC 8878): frame header, raw/RLE/compressed blocks, the
 * optional XXH64 content checksum, skippable frames, and any number of
 * frames back to back. Single-shot: the window is the output buffer, so
 * no window-sized memory is needed whatever the frame asks for.
 */
#include <pvshim/decompress.h>
#include <pvshim/log.h>
#include <pvshim/string.h>
#include "formats.h"
#include "zstd_internal.h"
#include "lz_copy.h"
#include "work_area.h"

#define ZSTD_MAGIC          0xfd2fb528u
#define SKIPPABLE_MAGIC     0x184d2a50u     /* low four bits free */
#define SKIPPABLE_MASK      0xfffffff0u

enum { BLOCK_RAW, BLOCK_RLE, BLOCK_COMPRESSED, BLOCK_RESERVED };
enum { LIT_RAW, LIT_RLE, LIT_COMPRESSED, LIT_TREELESS };

size_t zstd_workspace_size(void)
{
    return sizeof(struct zstd_work) + WORK_ALIGN;
}

/*
 * The literals section at in[0, len) into w->literals; *used is its size,
 * *lit_size the number of literals.
 */
static int read_literals(struct zstd_work *w, const uint8_t *in, size_t len,
                         size_t *used, size_t *lit_size)
{
    if (len < 1)
        return DECOMP_ERR_CORRUPT;
    unsigned type = in[0] & 3, fmt = (in[0] >> 2) & 3;
    size_t hdr, regen, csize = 0;
    bool four = false;

    if (type == LIT_RAW || type == LIT_RLE) {
        hdr = fmt == 1 ? 2 : fmt == 3 ? 3 : 1;
        if (len < hdr)
            return DECOMP_ERR_CORRUPT;
        regen = hdr == 1 ? in[0] >> 3 : hdr == 2 ? lz_le16(in) >> 4 : lz_le24(in) >> 4;
    } else {
        hdr = fmt < 2 ? 3 : fmt + 2;
        if (len < hdr)
            return DECOMP_ERR_CORRUPT;
        four = fmt != 0;
        if (hdr == 3) {
            uint32_t v = lz_le24(in);
            regen = (v >> 4) & 0x3ff;
            csize = v >> 14;
        } else if (hdr == 4) {
            uint32_t v = lz_le32(in);
            regen = (v >> 4) & 0x3fff;
            csize = v >> 18;
        } else {
            uint32_t v = lz_le32(in);
            regen = (v >> 4) & 0x3ffff;
            csize = (v >> 22) | (size_t)in[4] << 10;
        }
    }
    if (regen > ZSTD_BLOCK_MAX)
        return DECOMP_ERR_CORRUPT;

    switch (type) {
    case LIT_RAW:
        if (len - hdr < regen)
            return DECOMP_ERR_CORRUPT;
        memcpy(w->literals, in + hdr, regen);
        *used = hdr + regen;
        break;
    case LIT_RLE:
        if (len - hdr < 1)
            return DECOMP_ERR_CORRUPT;
        memset(w->literals, in[hdr], regen);
        *used = hdr + 1;
        break;
    default: {
        if (len - hdr < csize)
            return DECOMP_ERR_CORRUPT;
        size_t tree = 0;
        if (type == LIT_COMPRESSED) {
            int rc = huf_read_table(w, in + hdr, csize, &tree);
            if (rc != DECOMP_OK)
                return rc;
        } else if (!w->huf_valid) {
            return DECOMP_ERR_CORRUPT;
        }
        int rc = huf_decode_literals(w, in + hdr + tree, csize - tree, regen, four);
        if (rc != DECOMP_OK)
            return rc;
        *used = hdr + csize;
        break;
    }
    }
    *lit_size = regen;
    return DECOMP_OK;
}

static int compressed_block(struct zstd_work *w, const uint8_t *in, size_t len,
                            struct zstd_out *o)
{
    size_t used, lit_size;
    int rc = read_literals(w, in, len, &used, &lit_size);
    if (rc != DECOMP_OK)
        return rc;
    return zstd_sequences(w, in + used, len - used, w->literals, lit_size, o);
}

/* The frame at in[0] (after its magic number), output appended at *out_pos. */
static int decode_frame(struct zstd_work *w, const uint8_t *in, size_t in_len, size_t *in_used,
                        uint8_t *out, size_t *out_pos, size_t out_cap)
{
    static const uint8_t did_size[4] = { 0, 1, 2, 4 };
    if (in_len < 1)
        return DECOMP_ERR_TRUNCATED;
    uint8_t fhd = in[0];
    unsigned fcs_flag = fhd >> 6;
    bool single = fhd & 0x20, checksum = fhd & 0x04;
    size_t fcs_size = fcs_flag == 0 ? (single ? 1 : 0) : (size_t)1 << fcs_flag;
    size_t hdr = 1 + (single ? 0 : 1) + did_size[fhd & 3] + fcs_size;
    if (fhd & 0x08)
        return DECOMP_ERR_CORRUPT;      /* reserved bit */
    if (in_len < hdr)
        return DECOMP_ERR_TRUNCATED;

    size_t p = single ? 1 : 2;          /* the window size does not matter in single-shot */
    uint32_t dict_id = 0;
    for (size_t i = 0; i < did_size[fhd & 3]; i++)
        dict_id |= (uint32_t)in[p + i] << (8 * i);
    p += did_size[fhd & 3];
    if (dict_id != 0) {
        log_warn("zstd: frame needs dictionary %u; dictionaries are not supported", dict_id);
        return DECOMP_ERR_UNSUPPORTED;
    }
    uint64_t fcs = 0;
    for (size_t i = 0; i < fcs_size; i++)
        fcs |= (uint64_t)in[p + i] << (8 * i);
    if (fcs_size == 2)
        fcs += 256;
    p += fcs_size;

    struct zstd_out o = {
        .frame_start = out + *out_pos,
        .op = out + *out_pos,
        .limit = out + out_cap,
        .end = out + out_cap,
        .full_err = DECOMP_ERR_OUTPUT_FULL,
    };
    if (fcs_size) {
        if (fcs > out_cap - *out_pos)
            return DECOMP_ERR_OUTPUT_FULL;
        o.limit = o.frame_start + fcs;
        o.full_err = DECOMP_ERR_CORRUPT;
    }
    w->huf_valid = false;
    w->seq_valid = false;
    w->rep[0] = 1;
    w->rep[1] = 4;
    w->rep[2] = 8;
    if (checksum)
        xxh64_init(&w->xxh, 0);

    /* Each block takes at least its 3-byte header, so this ends. */
    for (;;) {
        if (in_len - p < 3)
            return DECOMP_ERR_TRUNCATED;
        uint32_t bh = lz_le24(in + p);
        p += 3;
        bool last = bh & 1;
        unsigned type = (bh >> 1) & 3;
        size_t size = bh >> 3;
        uint8_t *block_start = o.op;

        if (type == BLOCK_RESERVED || size > ZSTD_BLOCK_MAX)
            return DECOMP_ERR_CORRUPT;
        size_t in_size = type == BLOCK_RLE ? 1 : size;
        if (in_len - p < in_size)
            return DECOMP_ERR_TRUNCATED;
        if (type == BLOCK_COMPRESSED) {
            int rc = compressed_block(w, in + p, size, &o);
            if (rc != DECOMP_OK)
                return rc;
        } else {
            if (size > (size_t)(o.limit - o.op))
                return o.full_err;
            if (type == BLOCK_RAW)
                memcpy(o.op, in + p, size);
            else
                memset(o.op, in[p], size);
            o.op += size;
        }
        p += in_size;
        if (checksum)
            xxh64_update(&w->xxh, block_start, (size_t)(o.op - block_start));
        if (last)
            break;
    }

    size_t produced = (size_t)(o.op - o.frame_start);
    if (fcs_size && produced != fcs)
        return DECOMP_ERR_CORRUPT;
    if (checksum) {
        if (in_len - p < 4)
            return DECOMP_ERR_TRUNCATED;
        if ((uint32_t)xxh64_digest(&w->xxh) != lz_le32(in + p))
            return DECOMP_ERR_CHECKSUM;
        p += 4;
    }
    *out_pos += produced;
    *in_used = p;
    return DECOMP_OK;
}

int zstd_decompress(const uint8_t *in, size_t in_len, uint8_t *out, size_t out_cap,
                    size_t *out_len, size_t *in_used, void *work, size_t work_len)
{
    struct zstd_work *w = work_area(work, work_len, sizeof(*w));
    if (!w)
        return DECOMP_ERR_NOMEM;
    w->ll.predefined = w->of.predefined = w->ml.predefined = false;

    size_t p = 0, out_pos = 0;
    bool first = true;
    /* Frames follow one another until the input ends or something else starts. */
    for (;; first = false) {
        if (in_len - p < 4) {
            if (first)
                return in_len == 0 ? DECOMP_ERR_FORMAT : DECOMP_ERR_TRUNCATED;
            break;
        }
        uint32_t magic = lz_le32(in + p);
        if (magic == ZSTD_MAGIC) {
            size_t used = 0;
            int rc = decode_frame(w, in + p + 4, in_len - p - 4, &used, out, &out_pos, out_cap);
            if (rc != DECOMP_OK)
                return rc;
            p += 4 + used;
        } else if ((magic & SKIPPABLE_MASK) == SKIPPABLE_MAGIC) {
            if (in_len - p < 8)
                return DECOMP_ERR_TRUNCATED;
            uint32_t size = lz_le32(in + p + 4);
            if (in_len - p - 8 < size)
                return DECOMP_ERR_TRUNCATED;
            p += 8 + (size_t)size;
        } else {
            if (first)
                return DECOMP_ERR_FORMAT;
            break;
        }
    }
    if (out_len)
        *out_len = out_pos;
    if (in_used)
        *in_used = p;
    return DECOMP_OK;
}
