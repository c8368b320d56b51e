/*
 * LZMA2 chunks: a control byte, sizes, optionally new lc/lp/pb, then
 * either raw bytes or one range-coded LZMA run of known compressed and
 * uncompressed size. Resets follow xz's rules: the first chunk resets the
 * dictionary, and a dictionary reset must be followed by new properties.
 */
#include <pvshim/decompress.h>
#include <pvshim/string.h>
#include "xz_lzma2.h"

#define CTRL_END            0x00
#define CTRL_RAW_DICT_RESET 0x01
#define CTRL_RAW            0x02
#define CTRL_LZMA           0x80    /* and above: LZMA chunk */
#define CTRL_STATE_RESET    0xa0
#define CTRL_NEW_PROPS      0xc0
#define CTRL_DICT_RESET     0xe0

bool lzma2_dict_size_valid(uint8_t props)
{
    return props <= 40;     /* 40 is 4 GiB - 1; the reserved high bits must be clear */
}

int lzma2_decode(struct lzma_dec *d, const uint8_t *in, size_t in_len, size_t *in_used,
                 uint8_t *base, size_t limit, const uint8_t *oend, int full_err,
                 size_t *out_size)
{
    size_t ip = 0, pos = 0, dict_off = 0;
    bool need_dict_reset = true, need_props = true;

    /* Each pass consumes at least the control byte, so this ends. */
    for (;;) {
        if (ip >= in_len)
            return DECOMP_ERR_TRUNCATED;
        uint8_t ctrl = in[ip++];
        if (ctrl == CTRL_END)
            break;

        if (ctrl >= CTRL_DICT_RESET || ctrl == CTRL_RAW_DICT_RESET) {
            need_props = true;
            need_dict_reset = false;
            dict_off = pos;
        } else if (need_dict_reset) {
            return DECOMP_ERR_CORRUPT;
        }

        if (ctrl < CTRL_LZMA) {
            if (ctrl > CTRL_RAW)
                return DECOMP_ERR_CORRUPT;
            if (in_len - ip < 2)
                return DECOMP_ERR_TRUNCATED;
            size_t n = (size_t)(in[ip] << 8 | in[ip + 1]) + 1;
            ip += 2;
            if (in_len - ip < n)
                return DECOMP_ERR_TRUNCATED;
            if (limit - pos < n)
                return full_err;
            memcpy(base + pos, in + ip, n);
            ip += n;
            pos += n;
            continue;
        }

        size_t hdr = ctrl >= CTRL_NEW_PROPS ? 5 : 4;
        if (in_len - ip < hdr)
            return DECOMP_ERR_TRUNCATED;
        size_t usize = ((size_t)(ctrl & 0x1f) << 16 | (size_t)in[ip] << 8 | in[ip + 1]) + 1;
        size_t csize = (size_t)(in[ip + 2] << 8 | in[ip + 3]) + 1;
        if (ctrl >= CTRL_NEW_PROPS) {
            struct lzma_props props;
            if (!lzma_props_decode(in[ip + 4], &props))
                return DECOMP_ERR_CORRUPT;
            lzma_dec_reset(d, &props);
            need_props = false;
        } else if (need_props) {
            return DECOMP_ERR_CORRUPT;
        } else if (ctrl >= CTRL_STATE_RESET) {
            lzma_dec_reset(d, &d->props);
        }
        ip += hdr;

        if (limit - pos < usize)
            return full_err;
        size_t avail = in_len - ip;
        size_t run_in = csize < avail ? csize : avail;
        size_t used = 0, rel = pos - dict_off;
        int rc = lzma_dec_run(d, in + ip, run_in, &used, base + dict_off, &rel,
                              rel + usize, oend, LZMA_END_CHUNK, DECOMP_ERR_CORRUPT);
        if (rc == DECOMP_ERR_TRUNCATED && csize <= avail)
            rc = DECOMP_ERR_CORRUPT;    /* the chunk said it was shorter */
        if (rc != DECOMP_OK)
            return rc;
        if (used != csize)
            return DECOMP_ERR_CORRUPT;
        ip += csize;
        pos = dict_off + rel;
    }
    *in_used = ip;
    *out_size = pos;
    return DECOMP_OK;
}
