/*
 * gzip container (RFC 1952): header, one DEFLATE member, CRC-32 and ISIZE.
 * Only the first member is decoded, as Linux's boot decompressor does;
 * whatever follows it is the caller's (trailing data is allowed).
 */
#include <pvshim/decompress.h>
#include "formats.h"
#include "inflate.h"
#include "crc32.h"
#include "byte_access.h"

#define GZIP_ID1        0x1f
#define GZIP_ID2        0x8b
#define GZIP_CM_DEFLATE 8
#define GZIP_HEADER_LEN 10
#define GZIP_TRAILER_LEN 8

#define FTEXT       0x01
#define FHCRC       0x02
#define FEXTRA      0x04
#define FNAME       0x08
#define FCOMMENT    0x10
#define FRESERVED   0xe0

size_t gzip_workspace_size(void)
{
    return inflate_workspace_size();
}

/* Skip a zero-terminated field at *pos; false if the input ends inside it. */
static bool skip_string(const uint8_t *in, size_t in_len, size_t *pos)
{
    const uint8_t *nul = memchr(in + *pos, 0, in_len - *pos);
    if (!nul)
        return false;
    *pos = (size_t)(nul - in) + 1;
    return true;
}

/* Parse the member header; on success *pos is where the DEFLATE data starts. */
static int parse_header(const uint8_t *in, size_t in_len, size_t *pos)
{
    if (in_len < 2 || in[0] != GZIP_ID1 || in[1] != GZIP_ID2)
        return DECOMP_ERR_FORMAT;
    if (in_len < GZIP_HEADER_LEN)
        return DECOMP_ERR_TRUNCATED;
    if (in[2] != GZIP_CM_DEFLATE)
        return DECOMP_ERR_UNSUPPORTED;
    uint8_t flags = in[3];
    if (flags & FRESERVED)
        return DECOMP_ERR_FORMAT;   /* RFC 1952: must be refused */

    size_t p = GZIP_HEADER_LEN;
    if (flags & FEXTRA) {
        if (in_len - p < 2)
            return DECOMP_ERR_TRUNCATED;
        size_t xlen = load_le16(in + p);
        p += 2;
        if (in_len - p < xlen)
            return DECOMP_ERR_TRUNCATED;
        p += xlen;
    }
    if ((flags & FNAME) && !skip_string(in, in_len, &p))
        return DECOMP_ERR_TRUNCATED;
    if ((flags & FCOMMENT) && !skip_string(in, in_len, &p))
        return DECOMP_ERR_TRUNCATED;
    if (flags & FHCRC) {
        if (in_len - p < 2)
            return DECOMP_ERR_TRUNCATED;
        if (load_le16(in + p) != (crc32_update(0, in, p) & 0xffff))
            return DECOMP_ERR_CHECKSUM;
        p += 2;
    }
    *pos = p;
    return DECOMP_OK;
}

int gzip_decompress(const uint8_t *in, size_t in_len, uint8_t *out, size_t out_cap,
                    size_t *out_len, size_t *in_used, void *work, size_t work_len)
{
    size_t pos, data_len, data_used;
    int rc = parse_header(in, in_len, &pos);
    if (rc != DECOMP_OK)
        return rc;

    rc = inflate_raw(in + pos, in_len - pos, out, out_cap, &data_len, &data_used,
                     work, work_len);
    if (rc != DECOMP_OK)
        return rc;
    pos += data_used;

    if (in_len - pos < GZIP_TRAILER_LEN)
        return DECOMP_ERR_TRUNCATED;
    if (load_le32(in + pos) != crc32_update(0, out, data_len) ||
        load_le32(in + pos + 4) != (uint32_t)data_len)
        return DECOMP_ERR_CHECKSUM;

    *out_len = data_len;
    *in_used = pos + GZIP_TRAILER_LEN;
    return DECOMP_OK;
}
