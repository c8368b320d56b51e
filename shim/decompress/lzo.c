/*
 * lzop file format (what Linux's bzImage and initramfs use for LZO): a
 * header with its own checksum, then blocks of up to 64 MiB, each LZO1X
 * compressed or stored, each with optional Adler-32/CRC-32 checksums of
 * its compressed and decompressed bytes, ended by a zero-length block.
 * Only the first file of a multi-file archive is decoded.
 */
#include <pvshim/decompress.h>
#include <pvshim/string.h>
#include "formats.h"
#include "lzo1x.h"
#include "adler32.h"
#include "crc32.h"
#include "byte_access.h"

static const uint8_t lzop_magic[9] = { 0x89, 'L', 'Z', 'O', 0x00, 0x0d, 0x0a, 0x1a, 0x0a };

/* Header flags. */
#define F_ADLER32_D     0x00000001u
#define F_ADLER32_C     0x00000002u
#define F_H_EXTRA_FIELD 0x00000040u
#define F_CRC32_D       0x00000100u
#define F_CRC32_C       0x00000200u
#define F_H_FILTER      0x00000800u
#define F_H_CRC32       0x00001000u
#define F_MASK          0x00003fffu
#define F_CS_MASK       0x00f00000u     /* character set of the name */
#define F_OS_MASK       0xff000000u     /* system that wrote the file */
#define F_RESERVED      (~(F_MASK | F_CS_MASK | F_OS_MASK))

#define M_LZO1X_1       1
#define M_LZO1X_1_15    2
#define M_LZO1X_999     3

#define FIRST_VERSION       0x0900      /* first public lzop */
#define NEW_HEADER_VERSION  0x0940      /* header gained version_needed, level, mtime_high */
#define NEWEST_KNOWN        0x1040      /* lzop 1.04 */
#define MAX_BLOCK_SIZE      (64u * 1024 * 1024)
#define SPLIT_MARKER        0xffffffffu /* multi-volume files: not supported */

struct reader {
    const uint8_t *in;
    size_t len, pos;
};

static bool have(const struct reader *r, size_t n)
{
    return r->len - r->pos >= n;
}

/* Callers check have() first. */
static uint32_t get_be(struct reader *r, unsigned n)
{
    uint32_t v = 0;
    for (unsigned i = 0; i < n; i++)
        v = (v << 8) | r->in[r->pos++];
    return v;
}

#define GET(r, n, var) do {                     \
        if (!have(r, n))                        \
            return DECOMP_ERR_TRUNCATED;        \
        var = get_be(r, n);                     \
    } while (0)

static uint32_t header_check(uint32_t flags, const uint8_t *p, size_t n)
{
    return (flags & F_H_CRC32) ? crc32_update(0, p, n) : adler32_update(1, p, n);
}

static int parse_header(struct reader *r, uint32_t *flags_out)
{
    uint32_t version, needed, method, flags, filter, skip, stored;

    if (r->len < sizeof(lzop_magic) || memcmp(r->in, lzop_magic, sizeof(lzop_magic)) != 0)
        return DECOMP_ERR_FORMAT;
    r->pos = sizeof(lzop_magic);
    size_t start = r->pos;     /* the header checksum covers everything from here */

    GET(r, 2, version);
    if (version < FIRST_VERSION)
        return DECOMP_ERR_FORMAT;
    GET(r, 2, skip);            /* LZO library version */
    if (version >= NEW_HEADER_VERSION) {
        GET(r, 2, needed);
        if (needed < FIRST_VERSION)
            return DECOMP_ERR_FORMAT;
        if (needed > NEWEST_KNOWN)
            return DECOMP_ERR_UNSUPPORTED;
    }
    GET(r, 1, method);
    if (version >= NEW_HEADER_VERSION)
        GET(r, 1, skip);        /* level */
    GET(r, 4, flags);
    if (flags & F_H_FILTER) {
        GET(r, 4, filter);
        if (filter != 0)
            return DECOMP_ERR_UNSUPPORTED;
    }
    GET(r, 4, skip);            /* mode */
    GET(r, 4, skip);            /* mtime, low half */
    if (version >= NEW_HEADER_VERSION)
        GET(r, 4, skip);        /* mtime, high half */
    GET(r, 1, skip);            /* name length, then the name */
    if (!have(r, skip))
        return DECOMP_ERR_TRUNCATED;
    r->pos += skip;

    uint32_t computed = header_check(flags, r->in + start, r->pos - start);
    GET(r, 4, stored);
    if (stored != computed)
        return DECOMP_ERR_CHECKSUM;
    if (flags & F_RESERVED)
        return DECOMP_ERR_FORMAT;
    if (method != M_LZO1X_1 && method != M_LZO1X_1_15 && method != M_LZO1X_999)
        return DECOMP_ERR_UNSUPPORTED;

    if (flags & F_H_EXTRA_FIELD) {
        /* Unused by lzop itself; its checksum covers its length too. */
        start = r->pos;
        GET(r, 4, skip);
        if (!have(r, skip))
            return DECOMP_ERR_TRUNCATED;
        r->pos += skip;
        computed = header_check(flags, r->in + start, r->pos - start);
        GET(r, 4, stored);
        if (stored != computed)
            return DECOMP_ERR_CHECKSUM;
    }
    *flags_out = flags;
    return DECOMP_OK;
}

size_t lzo_workspace_size(void)
{
    return 0;
}

int lzo_decompress(const uint8_t *in, size_t in_len, uint8_t *out, size_t out_cap,
                   size_t *out_len, size_t *in_used, void *work, size_t work_len)
{
    struct reader r = { .in = in, .len = in_len };
    uint32_t flags;
    size_t op = 0;

    int rc = parse_header(&r, &flags);
    if (rc != DECOMP_OK)
        return rc;

    /* Every block consumes input, so the input bounds the loop. */
    for (;;) {
        uint32_t dst_len, src_len, d_adler = 0, d_crc = 0, c_adler = 0, c_crc = 0;

        GET(&r, 4, dst_len);
        if (dst_len == 0)
            break;
        if (dst_len == SPLIT_MARKER)
            return DECOMP_ERR_UNSUPPORTED;
        if (dst_len > MAX_BLOCK_SIZE)
            return DECOMP_ERR_CORRUPT;
        GET(&r, 4, src_len);
        if (src_len == 0 || src_len > dst_len)
            return DECOMP_ERR_CORRUPT;
        bool compressed = src_len < dst_len;
        if (flags & F_ADLER32_D)
            GET(&r, 4, d_adler);
        if (flags & F_CRC32_D)
            GET(&r, 4, d_crc);
        /* A stored block's data is its decompressed data: checked once, below. */
        if (compressed && (flags & F_ADLER32_C))
            GET(&r, 4, c_adler);
        if (compressed && (flags & F_CRC32_C))
            GET(&r, 4, c_crc);
        if (!have(&r, src_len))
            return DECOMP_ERR_TRUNCATED;
        const uint8_t *src = in + r.pos;
        r.pos += src_len;

        if (compressed && (flags & F_ADLER32_C) && adler32_update(1, src, src_len) != c_adler)
            return DECOMP_ERR_CHECKSUM;
        if (compressed && (flags & F_CRC32_C) && crc32_update(0, src, src_len) != c_crc)
            return DECOMP_ERR_CHECKSUM;
        if (dst_len > out_cap - op)
            return DECOMP_ERR_OUTPUT_FULL;
        if (compressed) {
            rc = lzo1x_decode_block(src, src_len, out + op, dst_len, out_cap - op);
            if (rc != DECOMP_OK)
                return rc;
        } else {
            memcpy(out + op, src, dst_len);
        }
        if ((flags & F_ADLER32_D) && adler32_update(1, out + op, dst_len) != d_adler)
            return DECOMP_ERR_CHECKSUM;
        if ((flags & F_CRC32_D) && crc32_update(0, out + op, dst_len) != d_crc)
            return DECOMP_ERR_CHECKSUM;
        op += dst_len;
    }

    *out_len = op;
    *in_used = r.pos;
    return DECOMP_OK;
}
