/* Format detection and dispatch to the decoders. */
#include <pvshim/decompress.h>
#include <pvshim/string.h>
#include "formats.h"

struct format_desc {
    enum decomp_format f;
    const char *name;
    const uint8_t *magic;
    size_t magic_len;
    int (*decode)(const uint8_t *, size_t, uint8_t *, size_t, size_t *, size_t *,
                  void *, size_t);
    size_t (*workspace)(void);
};

static const uint8_t gzip_magic[] = { 0x1f, 0x8b };
static const uint8_t bzip2_magic[] = { 'B', 'Z', 'h' };
static const uint8_t xz_magic[] = { 0xfd, '7', 'z', 'X', 'Z', 0x00 };
/* LZMA alone: properties byte 0x5d and a dictionary size; Linux always uses these. */
static const uint8_t lzma_magic[] = { 0x5d, 0x00, 0x00 };
static const uint8_t lzo_magic[] = { 0x89, 'L', 'Z', 'O', 0x00, 0x0d, 0x0a, 0x1a, 0x0a };
static const uint8_t lz4_legacy_magic[] = { 0x02, 0x21, 0x4c, 0x18 };
static const uint8_t lz4_frame_magic[] = { 0x04, 0x22, 0x4d, 0x18 };
static const uint8_t zstd_magic[] = { 0x28, 0xb5, 0x2f, 0xfd };

#define M(x) x, sizeof(x)
static const struct format_desc formats[] = {
    { DECOMP_GZIP,  "gzip",  M(gzip_magic),  gzip_decompress,  gzip_workspace_size },
    { DECOMP_BZIP2, "bzip2", M(bzip2_magic), bzip2_decompress, bzip2_workspace_size },
    { DECOMP_XZ,    "xz",    M(xz_magic),    xz_decompress,    xz_workspace_size },
    { DECOMP_LZMA,  "lzma",  M(lzma_magic),  lzma_decompress,  lzma_workspace_size },
    { DECOMP_LZO,   "lzo",   M(lzo_magic),   lzo_decompress,   lzo_workspace_size },
    { DECOMP_LZ4,   "lz4",   M(lz4_legacy_magic), lz4_decompress, lz4_workspace_size },
    { DECOMP_LZ4,   "lz4",   M(lz4_frame_magic),  lz4_decompress, lz4_workspace_size },
    { DECOMP_ZSTD,  "zstd",  M(zstd_magic),  zstd_decompress,  zstd_workspace_size },
};
#undef M

static const struct format_desc *desc_of(enum decomp_format f)
{
    for (size_t i = 0; i < sizeof(formats) / sizeof(formats[0]); i++)
        if (formats[i].f == f)
            return &formats[i];
    return NULL;
}

enum decomp_format decomp_detect(const uint8_t *in, size_t len)
{
    for (size_t i = 0; i < sizeof(formats) / sizeof(formats[0]); i++)
        if (len >= formats[i].magic_len &&
            memcmp(in, formats[i].magic, formats[i].magic_len) == 0)
            return formats[i].f;
    return DECOMP_UNKNOWN;
}

const char *decomp_format_name(enum decomp_format f)
{
    const struct format_desc *d = desc_of(f);
    return d ? d->name : "unknown";
}

const char *decomp_strerror(int status)
{
    switch (status) {
    case DECOMP_OK:              return "ok";
    case DECOMP_ERR_FORMAT:      return "not in this format";
    case DECOMP_ERR_CORRUPT:     return "corrupt data";
    case DECOMP_ERR_TRUNCATED:   return "truncated stream";
    case DECOMP_ERR_CHECKSUM:    return "checksum mismatch";
    case DECOMP_ERR_OUTPUT_FULL: return "output larger than the space for it";
    case DECOMP_ERR_NOMEM:       return "workspace too small";
    case DECOMP_ERR_UNSUPPORTED: return "unsupported feature";
    default:                     return "unknown error";
    }
}

size_t decomp_workspace_size(enum decomp_format f)
{
    const struct format_desc *d = desc_of(f);
    return d ? d->workspace() : 0;
}

int decompress(enum decomp_format f, const uint8_t *in, size_t in_len,
               uint8_t *out, size_t out_cap, size_t *out_len, size_t *in_used,
               void *work, size_t work_len)
{
    size_t ol = 0, iu = 0;
    const struct format_desc *d = desc_of(f);
    if (!d)
        return DECOMP_ERR_FORMAT;
    int rc = d->decode(in, in_len, out, out_cap, &ol, &iu, work, work_len);
    if (out_len)
        *out_len = rc == DECOMP_OK ? ol : 0;
    if (in_used)
        *in_used = rc == DECOMP_OK ? iu : 0;
    return rc;
}
