/*
 * Legacy .lzma ("LZMA alone") files, as Linux and 2.6.18-era kernels use
 * them: properties byte, dictionary size (unused here: the output buffer
 * is the dictionary), 64-bit uncompressed size or all ones when the
 * stream ends with an end marker instead.
 */
#include <pvshim/decompress.h>
#include <pvshim/log.h>
#include "formats.h"
#include "lzma_decoder.h"
#include "lz_copy.h"
#include "work_area.h"

#define LZMA_ALONE_HEADER   13
#define LZMA_SIZE_UNKNOWN   UINT64_MAX

size_t lzma_workspace_size(void)
{
    return sizeof(struct lzma_dec) + WORK_ALIGN;
}

int lzma_decompress(const uint8_t *in, size_t in_len, uint8_t *out, size_t out_cap,
                    size_t *out_len, size_t *in_used, void *work, size_t work_len)
{
    struct lzma_dec *d = work_area(work, work_len, sizeof(*d));
    struct lzma_props props;

    if (!d)
        return DECOMP_ERR_NOMEM;
    if (in_len < LZMA_ALONE_HEADER)
        return in_len && in[0] >= 9 * 5 * 5 ? DECOMP_ERR_FORMAT : DECOMP_ERR_TRUNCATED;
    if (in[0] >= 9 * 5 * 5)
        return DECOMP_ERR_FORMAT;
    if (!lzma_props_decode(in[0], &props)) {
        log_warn("lzma: lc=%u + lp=%u above %u is not supported",
                 props.lc, props.lp, LZMA_LCLP_MAX);
        return DECOMP_ERR_UNSUPPORTED;
    }

    uint64_t size = lz_le64(in + 5);
    bool known = size != LZMA_SIZE_UNKNOWN;
    if (known && size > out_cap)
        return DECOMP_ERR_OUTPUT_FULL;

    lzma_dec_reset(d, &props);
    size_t pos = 0, used = 0;
    int rc = lzma_dec_run(d, in + LZMA_ALONE_HEADER, in_len - LZMA_ALONE_HEADER, &used,
                          out, &pos, known ? (size_t)size : out_cap, out + out_cap,
                          known ? LZMA_END_KNOWN : LZMA_END_MARKER,
                          known ? DECOMP_ERR_CORRUPT : DECOMP_ERR_OUTPUT_FULL);
    if (rc != DECOMP_OK)
        return rc;
    if (out_len)
        *out_len = pos;
    if (in_used)
        *in_used = LZMA_ALONE_HEADER + used;
    return DECOMP_OK;
}
