/*
 * Weak fallbacks for decoders not written yet: a build without them still
 * links, and asking for the format says so. A real decoder's strong
 * definitions replace these. Delete a pair when its decoder lands.
 */
#include "formats.h"

#define NOT_YET(name)                                                           \
    __attribute__((weak)) int name##_decompress(                                \
        const uint8_t *in, size_t in_len, uint8_t *out, size_t out_cap,         \
        size_t *out_len, size_t *in_used, void *work, size_t work_len)          \
    {                                                                           \
        (void)in; (void)in_len; (void)out; (void)out_cap; (void)out_len;        \
        (void)in_used; (void)work; (void)work_len;                              \
        return DECOMP_ERR_UNSUPPORTED;                                          \
    }                                                                           \
    __attribute__((weak)) size_t name##_workspace_size(void) { return 0; }

NOT_YET(gzip)
NOT_YET(bzip2)
NOT_YET(xz)
NOT_YET(lzma)
NOT_YET(lzo)
NOT_YET(lz4)
NOT_YET(zstd)
