/*
 * The .xz container: streams of (header, blocks, index, footer), possibly
 * several concatenated with zero padding between them. The index is
 * checked against what the blocks really were; every CRC is verified.
 */
#include <pvshim/decompress.h>
#include <pvshim/log.h>
#include <pvshim/string.h>
#include "formats.h"
#include "xz_internal.h"
#include "lz_copy.h"
#include "work_area.h"

#define STREAM_HEADER_SIZE 12
#define STREAM_FOOTER_SIZE 12

static const uint8_t header_magic[6] = { 0xfd, '7', 'z', 'X', 'Z', 0x00 };
static const uint8_t footer_magic[2] = { 'Y', 'Z' };

size_t xz_workspace_size(void)
{
    return sizeof(struct xz_work) + WORK_ALIGN;
}

static bool check_supported(unsigned check)
{
    return check == XZ_CHECK_NONE || check == XZ_CHECK_CRC32 ||
           check == XZ_CHECK_CRC64 || check == XZ_CHECK_SHA256;
}

/* The index at in[0] (its indicator byte), checked against the blocks' sum. */
static int decode_index(struct xz_work *w, const uint8_t *in, size_t in_len,
                        const struct xz_index_sum *blocks, size_t *index_size)
{
    struct xz_index_sum records = { 0, 0, 0, 0 };
    size_t p = 1, used;
    uint64_t count;

    int rc = xz_vli(in + p, in_len - p, &used, &count);
    if (rc != DECOMP_OK)
        return rc;
    p += used;
    if (count != blocks->count)
        return DECOMP_ERR_CORRUPT;
    /* Bounded by the number of blocks actually decoded. */
    for (uint64_t i = 0; i < count; i++) {
        uint64_t unpadded, uncompressed;
        rc = xz_vli(in + p, in_len - p, &used, &unpadded);
        if (rc != DECOMP_OK)
            return rc;
        p += used;
        rc = xz_vli(in + p, in_len - p, &used, &uncompressed);
        if (rc != DECOMP_OK)
            return rc;
        p += used;
        xz_index_sum_add(w, &records, unpadded, uncompressed);
    }
    for (; p & 3; p++) {
        if (p >= in_len)
            return DECOMP_ERR_TRUNCATED;
        if (in[p] != 0)
            return DECOMP_ERR_CORRUPT;
    }
    if (in_len - p < 4)
        return DECOMP_ERR_TRUNCATED;
    if (crc32_update(0, in, p) != lz_le32(in + p))
        return DECOMP_ERR_CHECKSUM;
    if (records.unpadded != blocks->unpadded || records.uncompressed != blocks->uncompressed ||
        records.crc != blocks->crc)
        return DECOMP_ERR_CORRUPT;
    *index_size = p + 4;
    return DECOMP_OK;
}

static int decode_stream(struct xz_work *w, const uint8_t *in, size_t in_len, size_t *in_used,
                         uint8_t *out, size_t *out_pos, size_t out_cap)
{
    size_t magic_len = in_len < sizeof(header_magic) ? in_len : sizeof(header_magic);
    if (memcmp(in, header_magic, magic_len) != 0)
        return DECOMP_ERR_FORMAT;
    if (in_len < STREAM_HEADER_SIZE)
        return DECOMP_ERR_TRUNCATED;
    const uint8_t *flags = in + 6;
    if (crc32_update(0, flags, 2) != lz_le32(in + 8))
        return DECOMP_ERR_CHECKSUM;
    unsigned check = flags[1] & 0x0f;
    if (flags[0] != 0 || (flags[1] & 0xf0)) {
        log_warn("xz: stream flags %02x%02x not supported", flags[0], flags[1]);
        return DECOMP_ERR_UNSUPPORTED;
    }
    if (!check_supported(check)) {
        log_warn("xz: check type %u not supported", check);
        return DECOMP_ERR_UNSUPPORTED;
    }

    struct xz_index_sum blocks = { 0, 0, 0, 0 };
    size_t p = STREAM_HEADER_SIZE;
    /* Each block consumes at least its 8-byte header, so this ends. */
    for (;;) {
        if (p >= in_len)
            return DECOMP_ERR_TRUNCATED;
        if (in[p] == 0)
            break;      /* index indicator */
        size_t used, produced;
        int rc = xz_decode_block(w, check, in + p, in_len - p, &used, out, *out_pos,
                                 out_cap, &produced, &blocks);
        if (rc != DECOMP_OK)
            return rc;
        p += used;
        *out_pos += produced;
    }

    size_t index_size;
    int rc = decode_index(w, in + p, in_len - p, &blocks, &index_size);
    if (rc != DECOMP_OK)
        return rc;
    p += index_size;

    if (in_len - p < STREAM_FOOTER_SIZE)
        return DECOMP_ERR_TRUNCATED;
    const uint8_t *foot = in + p;
    if (memcmp(foot + 10, footer_magic, sizeof(footer_magic)) != 0)
        return DECOMP_ERR_CORRUPT;
    if (crc32_update(0, foot + 4, 6) != lz_le32(foot))
        return DECOMP_ERR_CHECKSUM;
    if (((uint64_t)lz_le32(foot + 4) + 1) * 4 != index_size ||
        memcmp(foot + 8, flags, 2) != 0)
        return DECOMP_ERR_CORRUPT;
    *in_used = p + STREAM_FOOTER_SIZE;
    return DECOMP_OK;
}

int xz_decompress(const uint8_t *in, size_t in_len, uint8_t *out, size_t out_cap,
                  size_t *out_len, size_t *in_used, void *work, size_t work_len)
{
    struct xz_work *w = work_area(work, work_len, sizeof(*w));
    if (!w)
        return DECOMP_ERR_NOMEM;
    crc64_init(&w->crc64);

    size_t p = 0, out_pos = 0, used;
    int rc = decode_stream(w, in, in_len, &used, out, &out_pos, out_cap);
    if (rc != DECOMP_OK)
        return rc;
    p = used;
    /*
     * More streams may follow after zero padding in 4-byte units. Anything
     * else after the last one is trailing data for the caller, not ours.
     */
    for (;;) {
        while (in_len - p >= 4 && lz_le32(in + p) == 0)
            p += 4;
        if (in_len - p < sizeof(header_magic) ||
            memcmp(in + p, header_magic, sizeof(header_magic)) != 0)
            break;
        rc = decode_stream(w, in + p, in_len - p, &used, out, &out_pos, out_cap);
        if (rc != DECOMP_OK)
            return rc;
        p += used;
    }
    if (out_len)
        *out_len = out_pos;
    if (in_used)
        *in_used = p;
    return DECOMP_OK;
}
