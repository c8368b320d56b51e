/* Pieces of the zstd decoder shared between frame, literal and sequence decoding. */
#ifndef PVSHIM_DECOMPRESS_ZSTD_INTERNAL_H
#define PVSHIM_DECOMPRESS_ZSTD_INTERNAL_H

#include <pvshim/types.h>
#include "xxhash64.h"

#define ZSTD_BLOCK_MAX      (128 * 1024)
#define ZSTD_LIT_SLACK      32      /* the literal buffer's tail, for 16-byte copies */
#define HUF_MAX_BITS        11
#define HUF_MAX_SYMBOLS     256

#define LL_MAX_LOG  9
#define OF_MAX_LOG  8
#define ML_MAX_LOG  9
#define LL_MAX_CODE 35
#define OF_MAX_CODE 31
#define ML_MAX_CODE 52
#define FSE_MAX_SYMBOLS 256

/* One state of an FSE decoding table. */
struct fse_entry {
    uint16_t next_base;     /* next state = next_base + read(nbits) */
    uint8_t nbits;
    uint8_t symbol;
};

/* A sequence-table state, with its code already turned into a value base and extra bits. */
struct zseq_entry {
    uint32_t value_base;
    uint16_t next_base;
    uint8_t state_bits;
    uint8_t extra_bits;
};

struct zseq_table {
    struct zseq_entry e[1 << LL_MAX_LOG];
    unsigned log;
    bool predefined;        /* holds the predefined table, which need not be rebuilt */
};

/* A Huffman decoding table entry: symbol | code length << 8, indexed by HUF_MAX_BITS-bit prefix. */
typedef uint16_t huf_entry;

struct zstd_work {
    uint8_t literals[ZSTD_BLOCK_MAX + ZSTD_LIT_SLACK];
    huf_entry huf[1 << HUF_MAX_BITS];
    unsigned huf_bits;
    bool huf_valid;                 /* a previous block of this frame set the table */
    struct zseq_table ll, of, ml;
    bool seq_valid;                 /* the three tables may be repeated (this frame set them) */
    uint32_t rep[3];
    struct xxh64_state xxh;
    /* Scratch for building tables. */
    int16_t norm[FSE_MAX_SYMBOLS];
    uint16_t next[FSE_MAX_SYMBOLS];
    struct fse_entry fse[1 << LL_MAX_LOG];
    uint8_t weights[HUF_MAX_SYMBOLS];
};

/*
 * An FSE table description at in[0, len): accuracy log (at most max_log)
 * and normalised counts for symbols 0..*max_sym, into norm. On entry
 * *max_sym is the largest symbol allowed, on return the last one present.
 */
int fse_read_counts(const uint8_t *in, size_t len, size_t *used, int16_t *norm,
                    unsigned *max_sym, unsigned *log, unsigned max_log);

/* The decoding table for counts norm[0..max_sym] at accuracy log; next is scratch. */
int fse_build(const int16_t *norm, unsigned max_sym, unsigned log,
              struct fse_entry *table, uint16_t *next);

/* A Huffman tree description at in[0, len) into w->huf. */
int huf_read_table(struct zstd_work *w, const uint8_t *in, size_t len, size_t *used);

/* Decode regen literals from one or four Huffman streams at in[0, len) into w->literals. */
int huf_decode_literals(const struct zstd_work *w, const uint8_t *in, size_t len,
                        size_t regen, bool four_streams);

/* Where a block's output goes, and what to say when it does not fit. */
struct zstd_out {
    uint8_t *frame_start;   /* matches may reach back to here */
    uint8_t *op;            /* next byte to write */
    uint8_t *limit;         /* the frame may not go past this (content size, or the buffer) */
    uint8_t *end;           /* the end of the caller's buffer: scribbling copies stop here */
    int full_err;           /* output past limit: _OUTPUT_FULL, or _CORRUPT if the size was declared */
};

/* The sequences section at in[0, len), executed with lit[0, lit_size) into o. */
int zstd_sequences(struct zstd_work *w, const uint8_t *in, size_t len,
                   const uint8_t *lit, size_t lit_size, struct zstd_out *o);

#endif
