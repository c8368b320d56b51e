/*
 * One .xz block: header (sizes, filter chain, CRC32), LZMA2 data, padding,
 * check. The non-last filters (BCJ x86, delta) are undone in place over
 * the block's output once LZMA2 has produced all of it.
 */
#include <pvshim/decompress.h>
#include <pvshim/log.h>
#include <pvshim/string.h>
#include "xz_internal.h"
#include "xz_lzma2.h"
#include "bcj_x86.h"
#include "lz_copy.h"

#define FILTER_DELTA    0x03
#define FILTER_X86      0x04
#define FILTER_LZMA2    0x21
#define FILTERS_MAX     4

#define BLOCK_FLAG_FILTERS   0x03
#define BLOCK_FLAG_RESERVED  0x3c
#define BLOCK_FLAG_CSIZE     0x40
#define BLOCK_FLAG_USIZE     0x80

struct filter {
    uint64_t id;
    uint32_t arg;       /* x86: start offset; delta: distance */
};

int xz_vli(const uint8_t *in, size_t len, size_t *used, uint64_t *value)
{
    uint64_t v = 0;
    for (size_t i = 0; i < 9; i++) {
        if (i >= len)
            return DECOMP_ERR_TRUNCATED;
        uint8_t b = in[i];
        /* A zero continuation byte would make the encoding non-minimal. */
        if (i > 0 && b == 0)
            return DECOMP_ERR_CORRUPT;
        v |= (uint64_t)(b & 0x7f) << (7 * i);
        if (!(b & 0x80)) {
            *used = i + 1;
            *value = v;
            return DECOMP_OK;
        }
    }
    return DECOMP_ERR_CORRUPT;
}

size_t xz_check_size(unsigned check)
{
    static const uint8_t sizes[16] = { 0, 4, 4, 4, 8, 8, 8, 16, 16, 16, 32, 32, 32, 64, 64, 64 };
    return sizes[check & 15];
}

void xz_index_sum_add(const struct xz_work *w, struct xz_index_sum *s,
                      uint64_t unpadded, uint64_t uncompressed)
{
    uint8_t rec[16];
    for (int i = 0; i < 8; i++) {
        rec[i] = (uint8_t)(unpadded >> (8 * i));
        rec[8 + i] = (uint8_t)(uncompressed >> (8 * i));
    }
    s->count++;
    s->unpadded += unpadded;
    s->uncompressed += uncompressed;
    s->crc = crc32_update(s->crc, rec, sizeof(rec));
}

static bool check_matches(struct xz_work *w, unsigned check, const uint8_t *data, size_t n,
                          const uint8_t *stored)
{
    switch (check) {
    case XZ_CHECK_CRC32:
        return crc32_update(0, data, n) == lz_le32(stored);
    case XZ_CHECK_CRC64:
        return crc64_update(&w->crc64, 0, data, n) == lz_le64(stored);
    case XZ_CHECK_SHA256: {
        uint8_t digest[SHA256_DIGEST_SIZE];
        sha256_init(&w->sha256);
        sha256_update(&w->sha256, data, n);
        sha256_final(&w->sha256, digest);
        return memcmp(digest, stored, sizeof(digest)) == 0;
    }
    default:
        return true;
    }
}

static void delta_decode(uint8_t *buf, size_t size, size_t distance)
{
    /* Bytes before the block count as zero, so the first distance bytes stay. */
    for (size_t i = distance; i < size; i++)
        buf[i] += buf[i - distance];
}

/* The filter flags from in[*p, end) into f; the last one must be LZMA2. */
static int parse_filters(const uint8_t *in, size_t *p, size_t end, unsigned nr,
                         struct filter *f)
{
    for (unsigned i = 0; i < nr; i++) {
        uint64_t id, psize;
        size_t used;
        int rc = xz_vli(in + *p, end - *p, &used, &id);
        if (rc == DECOMP_OK) {
            *p += used;
            rc = xz_vli(in + *p, end - *p, &used, &psize);
        }
        if (rc != DECOMP_OK)
            return DECOMP_ERR_CORRUPT;  /* the header's own size bounds it */
        *p += used;
        if (psize > end - *p)
            return DECOMP_ERR_CORRUPT;
        const uint8_t *prop = in + *p;
        *p += psize;

        bool last = i == nr - 1;
        f[i].id = id;
        f[i].arg = 0;
        switch (id) {
        case FILTER_LZMA2:
            if (!last || psize != 1 || !lzma2_dict_size_valid(prop[0]))
                return DECOMP_ERR_CORRUPT;
            break;
        case FILTER_X86:
            if (last || (psize != 0 && psize != 4))
                return DECOMP_ERR_CORRUPT;
            if (psize == 4)
                f[i].arg = lz_le32(prop);
            break;
        case FILTER_DELTA:
            if (last || psize != 1)
                return DECOMP_ERR_CORRUPT;
            f[i].arg = prop[0] + 1u;
            break;
        default:
            log_warn("xz: filter 0x%llx is not supported", (unsigned long long)id);
            return DECOMP_ERR_UNSUPPORTED;
        }
    }
    return DECOMP_OK;
}

int xz_decode_block(struct xz_work *w, unsigned check, const uint8_t *in, size_t in_len,
                    size_t *in_used, uint8_t *out, size_t out_pos, size_t out_cap,
                    size_t *out_size, struct xz_index_sum *sum)
{
    size_t hsize = ((size_t)in[0] + 1) * 4;
    if (in_len < hsize)
        return DECOMP_ERR_TRUNCATED;
    if (crc32_update(0, in, hsize - 4) != lz_le32(in + hsize - 4))
        return DECOMP_ERR_CHECKSUM;

    uint8_t flags = in[1];
    if (flags & BLOCK_FLAG_RESERVED) {
        log_warn("xz: block flags 0x%x not supported", flags);
        return DECOMP_ERR_UNSUPPORTED;
    }
    size_t p = 2, end = hsize - 4, used;
    uint64_t csize = 0, usize = 0;
    if (flags & BLOCK_FLAG_CSIZE) {
        if (xz_vli(in + p, end - p, &used, &csize) != DECOMP_OK || csize == 0)
            return DECOMP_ERR_CORRUPT;
        p += used;
    }
    if (flags & BLOCK_FLAG_USIZE) {
        if (xz_vli(in + p, end - p, &used, &usize) != DECOMP_OK)
            return DECOMP_ERR_CORRUPT;
        p += used;
    }
    struct filter filters[FILTERS_MAX];
    unsigned nr = (flags & BLOCK_FLAG_FILTERS) + 1;
    int rc = parse_filters(in, &p, end, nr, filters);
    if (rc != DECOMP_OK)
        return rc;
    for (; p < end; p++)
        if (in[p] != 0)
            return DECOMP_ERR_CORRUPT;

    /* The compressed data, bounded by its declared size when there is one. */
    const uint8_t *data = in + hsize;
    size_t avail = in_len - hsize;
    size_t data_len = avail;
    if ((flags & BLOCK_FLAG_CSIZE) && csize < avail)
        data_len = (size_t)csize;
    size_t limit = out_cap - out_pos;
    int full_err = DECOMP_ERR_OUTPUT_FULL;
    if (flags & BLOCK_FLAG_USIZE) {
        if (usize > limit)
            return DECOMP_ERR_OUTPUT_FULL;
        limit = (size_t)usize;
        full_err = DECOMP_ERR_CORRUPT;
    }
    size_t produced = 0;
    rc = lzma2_decode(&w->lzma, data, data_len, &used, out + out_pos, limit,
                      out + out_cap, full_err, &produced);
    if (rc == DECOMP_ERR_TRUNCATED && data_len < avail)
        rc = DECOMP_ERR_CORRUPT;        /* ran past its declared compressed size */
    if (rc != DECOMP_OK)
        return rc;
    if ((flags & BLOCK_FLAG_CSIZE) && used != csize)
        return DECOMP_ERR_CORRUPT;
    if ((flags & BLOCK_FLAG_USIZE) && produced != usize)
        return DECOMP_ERR_CORRUPT;

    for (unsigned i = nr - 1; i-- > 0;) {
        if (filters[i].id == FILTER_X86)
            bcj_x86_decode(out + out_pos, produced, filters[i].arg);
        else
            delta_decode(out + out_pos, produced, filters[i].arg);
    }

    size_t pad = (0 - used) & 3;
    size_t csum = xz_check_size(check);
    if (avail - used < pad + csum)
        return DECOMP_ERR_TRUNCATED;
    for (size_t i = 0; i < pad; i++)
        if (data[used + i] != 0)
            return DECOMP_ERR_CORRUPT;
    if (!check_matches(w, check, out + out_pos, produced, data + used + pad))
        return DECOMP_ERR_CHECKSUM;

    xz_index_sum_add(w, sum, hsize + used + csum, produced);
    *in_used = hsize + used + pad + csum;
    *out_size = produced;
    return DECOMP_OK;
}
