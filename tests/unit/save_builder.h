/*
 * Save files for the parser's and the restore's tests: a small, valid
 * 64-bit PV save file (xl header, libxl and libxc streams) as a list of
 * records that a test can change, drop, reorder or truncate before writing.
 *
 * The default guest: 9 pfns (end_pfn 8). pfn 0 the L4 (pinned), 1 L3, 2 L2,
 * 3 L1, mapping pfns 4..6 at 0xffffffff80000000 (4 start_info naming store
 * pfn 5 and console pfn 6), pfn 7 the p2m frame, pfn 8 not present (XTAB).
 * vCPU 0: cr3 pfn 0, rip in the mapping, selectors 0xe033/0xe02b, rdx =
 * start_info pfn 4.
 */
#ifndef SAVE_BUILDER_H
#define SAVE_BUILDER_H

#include <stdint.h>
#include <stddef.h>
#include <stdbool.h>

#define SB_MAX_RECS     32
#define SB_NR_PFNS      9
#define SB_VA_BASE      0xffffffff80000000ull

struct sb_rec {
    uint32_t type;
    uint32_t len;
    uint8_t *body;          /* malloc'd */
};

struct sb_stream {
    bool xl;                /* the xl header and libxl stream around it */
    uint32_t xl_flags;      /* mandatory flags (default JSON | STREAMv2) */
    uint32_t version;       /* libxc stream version (default 3) */
    uint32_t dom_type;      /* default 1 (x86 PV) */
    unsigned n;
    struct sb_rec rec[SB_MAX_RECS];
    unsigned nr_libxl_tail; /* libxl records after the libxc stream */
    struct sb_rec libxl_tail[4];
};

/* The default valid stream (see above). */
void sb_default(struct sb_stream *s);
void sb_free(struct sb_stream *s);
/* The index of the first record of a type (-1: none). */
int sb_find(const struct sb_stream *s, uint32_t type);
void sb_remove(struct sb_stream *s, unsigned i);
/* Insert a record (body copied) before index i. */
void sb_insert(struct sb_stream *s, unsigned i, uint32_t type, const void *body, uint32_t len);
/* Resize a record's body (new bytes zero). */
void sb_resize(struct sb_rec *r, uint32_t len);
/* The whole file, malloc'd; *len its size. */
uint8_t *sb_write(const struct sb_stream *s, size_t *len);

/* Fields of the vCPU 0 context in the BASIC record (body offset after the vcpu header). */
void sb_ctx_put64(struct sb_stream *s, size_t ctx_off, uint64_t v);
void sb_ctx_put16(struct sb_stream *s, size_t ctx_off, uint16_t v);

#endif
