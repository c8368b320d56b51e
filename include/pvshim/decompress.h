/*
 * Decompressors for every format Linux and 2.6.18-era kernel images use.
 * Single-shot: the whole input in memory, output into a caller buffer.
 * Bounded by construction: no read beyond in_len, no write beyond out_cap,
 * any corrupt or truncated stream ends in an error, never a hang.
 */
#ifndef PVSHIM_DECOMPRESS_H
#define PVSHIM_DECOMPRESS_H

#include <pvshim/types.h>

enum decomp_format {
    DECOMP_UNKNOWN = 0,
    DECOMP_GZIP,        /* RFC 1952 (deflate) */
    DECOMP_BZIP2,
    DECOMP_XZ,          /* .xz container: LZMA2 with optional BCJ x86 filter, CRC32/CRC64/none */
    DECOMP_LZMA,        /* legacy .lzma ("LZMA alone") */
    DECOMP_LZO,         /* lzop file format, as Linux's bzImage uses it */
    DECOMP_LZ4,         /* legacy frame (lz4 -l, Linux) and the LZ4 frame format */
    DECOMP_ZSTD,        /* zstd frames */
};

enum decomp_status {
    DECOMP_OK = 0,
    DECOMP_ERR_FORMAT = -1,     /* not this format / bad header */
    DECOMP_ERR_CORRUPT = -2,    /* invalid data inside the stream */
    DECOMP_ERR_TRUNCATED = -3,  /* input ended before the stream did */
    DECOMP_ERR_CHECKSUM = -4,   /* the stream's own check failed */
    DECOMP_ERR_OUTPUT_FULL = -5,/* output would exceed out_cap */
    DECOMP_ERR_NOMEM = -6,      /* workspace too small */
    DECOMP_ERR_UNSUPPORTED = -7,/* valid but uses a feature not implemented (named in the message) */
};

/* Which format the data starts with, by magic number; DECOMP_UNKNOWN if none. */
enum decomp_format decomp_detect(const uint8_t *in, size_t len);
const char *decomp_format_name(enum decomp_format f);
const char *decomp_strerror(int status);

/* Workspace a format needs at most (bzip2 needs megabytes, most need little). */
size_t decomp_workspace_size(enum decomp_format f);

/*
 * Decompress in[0, in_len) into out[0, out_cap) using work[0, work_len)
 * as scratch memory. On DECOMP_OK, *out_len is the output size and
 * *in_used how much input the stream occupied (trailing bytes are allowed
 * and ignored, as Linux's boot wrapper appends data). Either pointer may
 * be NULL.
 */
int decompress(enum decomp_format f, const uint8_t *in, size_t in_len,
               uint8_t *out, size_t out_cap, size_t *out_len, size_t *in_used,
               void *work, size_t work_len);

#endif
