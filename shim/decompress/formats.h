/* One decoder per format; decompress.c dispatches. Same contract as decompress(). */
#ifndef PVSHIM_DECOMPRESS_FORMATS_H
#define PVSHIM_DECOMPRESS_FORMATS_H

#include <pvshim/decompress.h>

#define DECLARE_DECODER(name)                                                   \
    int name##_decompress(const uint8_t *in, size_t in_len, uint8_t *out,       \
                          size_t out_cap, size_t *out_len, size_t *in_used,     \
                          void *work, size_t work_len);                         \
    size_t name##_workspace_size(void);

DECLARE_DECODER(gzip)
DECLARE_DECODER(bzip2)
DECLARE_DECODER(xz)
DECLARE_DECODER(lzma)
DECLARE_DECODER(lzo)
DECLARE_DECODER(lz4)
DECLARE_DECODER(zstd)

#undef DECLARE_DECODER

#endif
