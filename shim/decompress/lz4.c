/*
 * LZ4 containers: the legacy frame (lz4 -l, what Linux's boot images use:
 * 8 MiB blocks, no checksums, no end marker), the LZ4 frame format
 * (optional block and content checksums, XXH32) and skippable frames.
 * Consecutive frames are decoded one after another, as the lz4 tool does;
 * decoding stops before the first 4 bytes that are not a frame magic.
 */
#include <pvshim/decompress.h>
#include <pvshim/compiler.h>
#include <pvshim/string.h>
#include "formats.h"
#include "lz4_block.h"
#include "xxhash32.h"
#include "byte_access.h"

#define LEGACY_MAGIC        0x184C2102u
#define FRAME_MAGIC         0x184D2204u
#define SKIPPABLE_MAGIC     0x184D2A50u     /* low four bits free */
#define SKIPPABLE_MASK      0xFFFFFFF0u

#define LEGACY_BLOCK_MAX    (8u << 20)
/* The most a legacy block's compressed size can be (LZ4_COMPRESSBOUND). */
#define LEGACY_CSIZE_MAX    (LEGACY_BLOCK_MAX + LEGACY_BLOCK_MAX / 255 + 16)

/* Frame descriptor bits. */
#define FLG_VERSION_SHIFT   6
#define FLG_VERSION         1
#define FLG_BLOCK_INDEP     0x20
#define FLG_BLOCK_CHECKSUM  0x10
#define FLG_CONTENT_SIZE    0x08
#define FLG_CONTENT_CHECKSUM 0x04
#define FLG_RESERVED        0x02
#define FLG_DICT_ID         0x01
#define BD_RESERVED         0x8F
#define BD_MAX_SHIFT        4
#define BLOCK_UNCOMPRESSED  0x80000000u

struct lz4_ctx {
    const uint8_t *in;
    size_t in_len, pos;
    uint8_t *out;
    size_t op, cap;
};

size_t lz4_workspace_size(void)
{
    return 0;
}

static bool have(const struct lz4_ctx *s, size_t n)
{
    return s->in_len - s->pos >= n;
}

/* Decode one block into out[op, min(op + block_max, cap)). */
static int block(struct lz4_ctx *s, const uint8_t *src, size_t size, size_t window,
                 size_t block_max)
{
    size_t limit = s->cap - s->op > block_max ? s->op + block_max : s->cap;
    int rc = lz4_decode_block(src, size, s->out, window, &s->op, limit, s->cap);
    if (rc == DECOMP_ERR_OUTPUT_FULL && limit < s->cap)
        return DECOMP_ERR_CORRUPT;  /* more than a block may hold */
    return rc;
}

/*
 * Legacy blocks are independent and have no end marker: the frame ends
 * with the input, or at a word too big to be a block size (the next
 * frame's magic, or the size Linux appends), or when just that word is
 * left (ditto).
 */
static int legacy_frame(struct lz4_ctx *s)
{
    s->pos += 4;
    while (have(s, 4)) {
        uint32_t size = load_le32(s->in + s->pos);
        if (size > LEGACY_CSIZE_MAX || s->in_len - s->pos == 4)
            break;
        if (size == 0)
            return DECOMP_ERR_CORRUPT;
        s->pos += 4;
        if (!have(s, size))
            return DECOMP_ERR_TRUNCATED;
        int rc = block(s, s->in + s->pos, size, s->op, LEGACY_BLOCK_MAX);
        if (rc != DECOMP_OK)
            return rc;
        s->pos += size;
    }
    return DECOMP_OK;
}

static int standard_frame(struct lz4_ctx *s)
{
    s->pos += 4;
    if (!have(s, 2))
        return DECOMP_ERR_TRUNCATED;
    const uint8_t *desc = s->in + s->pos;
    uint8_t flg = desc[0], bd = desc[1];
    if (flg >> FLG_VERSION_SHIFT != FLG_VERSION)
        return DECOMP_ERR_UNSUPPORTED;
    if ((flg & FLG_RESERVED) || (bd & BD_RESERVED) || (bd >> BD_MAX_SHIFT) < 4)
        return DECOMP_ERR_FORMAT;
    size_t block_max = (size_t)1 << (2 * (bd >> BD_MAX_SHIFT) + 8);   /* 64 KiB .. 4 MiB */
    size_t desc_len = 2 + ((flg & FLG_CONTENT_SIZE) ? 8 : 0) + ((flg & FLG_DICT_ID) ? 4 : 0);
    if (!have(s, desc_len + 1))
        return DECOMP_ERR_TRUNCATED;
    if (((xxhash32(desc, desc_len, 0) >> 8) & 0xff) != desc[desc_len])
        return DECOMP_ERR_CHECKSUM;
    if (flg & FLG_DICT_ID)
        return DECOMP_ERR_UNSUPPORTED;  /* needs a dictionary we do not have */
    uint64_t content_size = (flg & FLG_CONTENT_SIZE) ? load_le64(desc + 2) : 0;
    s->pos += desc_len + 1;

    size_t frame_start = s->op;
    size_t check_len = (flg & FLG_BLOCK_CHECKSUM) ? 4 : 0;
    /* Every block consumes at least its 4-byte header. */
    for (;;) {
        if (!have(s, 4))
            return DECOMP_ERR_TRUNCATED;
        uint32_t word = load_le32(s->in + s->pos);
        s->pos += 4;
        if (word == 0)
            break;      /* end mark */
        size_t size = word & ~BLOCK_UNCOMPRESSED;
        if (size > block_max)
            return DECOMP_ERR_CORRUPT;
        if (!have(s, size + check_len))
            return DECOMP_ERR_TRUNCATED;
        const uint8_t *src = s->in + s->pos;
        if (check_len && xxhash32(src, size, 0) != load_le32(src + size))
            return DECOMP_ERR_CHECKSUM;
        if (word & BLOCK_UNCOMPRESSED) {
            if (size > s->cap - s->op)
                return DECOMP_ERR_OUTPUT_FULL;
            memcpy(s->out + s->op, src, size);
            s->op += size;
        } else {
            /* Linked blocks may refer back into earlier blocks of this frame. */
            size_t window = (flg & FLG_BLOCK_INDEP) ? s->op : frame_start;
            int rc = block(s, src, size, window, block_max);
            if (rc != DECOMP_OK)
                return rc;
        }
        s->pos += size + check_len;
    }

    size_t produced = s->op - frame_start;
    if (flg & FLG_CONTENT_CHECKSUM) {
        if (!have(s, 4))
            return DECOMP_ERR_TRUNCATED;
        if (xxhash32(s->out + frame_start, produced, 0) != load_le32(s->in + s->pos))
            return DECOMP_ERR_CHECKSUM;
        s->pos += 4;
    }
    if ((flg & FLG_CONTENT_SIZE) && produced != content_size)
        return DECOMP_ERR_CORRUPT;
    return DECOMP_OK;
}

static int skippable_frame(struct lz4_ctx *s)
{
    s->pos += 4;
    if (!have(s, 4))
        return DECOMP_ERR_TRUNCATED;
    uint32_t size = load_le32(s->in + s->pos);
    s->pos += 4;
    if (!have(s, size))
        return DECOMP_ERR_TRUNCATED;
    s->pos += size;
    return DECOMP_OK;
}

int lz4_decompress(const uint8_t *in, size_t in_len, uint8_t *out, size_t out_cap,
                   size_t *out_len, size_t *in_used, void *work, size_t work_len)
{
    struct lz4_ctx s = { .in = in, .in_len = in_len, .out = out, .cap = out_cap };

    /* Every frame consumes at least its magic. */
    for (bool first = true;; first = false) {
        uint32_t magic = have(&s, 4) ? load_le32(in + s.pos) : 0;
        int rc;
        if (magic == LEGACY_MAGIC)
            rc = legacy_frame(&s);
        else if (magic == FRAME_MAGIC)
            rc = standard_frame(&s);
        else if ((magic & SKIPPABLE_MASK) == SKIPPABLE_MAGIC)
            rc = skippable_frame(&s);
        else if (first)
            return DECOMP_ERR_FORMAT;
        else
            break;      /* whatever follows is not ours */
        if (rc != DECOMP_OK)
            return rc;
    }
    *out_len = s.op;
    *in_used = s.pos;
    return DECOMP_OK;
}
