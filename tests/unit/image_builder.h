/*
 * Synthetic guest kernel images for the loader tests: ELF32/ELF64 with
 * chosen program headers, Xen notes (in a PT_NOTE segment and/or a
 * SHT_NOTE section), a legacy __xen_guest section, and the containers
 * around them (bzImage setup header, gzip/xz/zstd/lz4 in their stored or
 * uncompressed forms, which any conforming decoder must accept).
 */
#ifndef PVSHIM_TEST_IMAGE_BUILDER_H
#define PVSHIM_TEST_IMAGE_BUILDER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <pvshim/guest_image.h>

#define IB_MAX_SEGS     24
#define IB_NOTES_MAX    4096
#define IB_MAX_NOTES    40

enum ib_notes_where {
    IB_NOTES_SEGMENT,           /* one PT_NOTE segment (and no SHT_NOTE section) */
    IB_NOTES_SECTION,           /* only a SHT_NOTE section */
    IB_NOTES_BOTH,              /* a PT_NOTE segment and a SHT_NOTE section */
};

struct ib_seg {
    uint32_t type;              /* PT_LOAD unless set */
    uint32_t flags;             /* PF_R|PF_X unless set */
    uint64_t paddr, vaddr, filesz, memsz;
    bool fixed_offset;          /* use .offset instead of placing the data */
    uint64_t offset;
};

struct ib_image {
    unsigned cls;               /* 32 or 64 */
    unsigned type, machine;     /* ET_EXEC and the class's machine unless changed */
    uint8_t data_encoding;      /* ELFDATA2LSB unless changed */
    uint64_t entry;
    unsigned nr_segs;
    struct ib_seg seg[IB_MAX_SEGS];

    unsigned nr_notes;
    struct ib_note {
        char owner[8];
        uint32_t type;
        uint8_t desc[320];
        size_t len;
    } notes[IB_MAX_NOTES];
    uint8_t raw_notes[IB_NOTES_MAX];    /* used instead of notes[] when raw_notes_len */
    size_t raw_notes_len;
    enum ib_notes_where notes_where;
    bool note_phdr_offset_zero; /* a PT_NOTE with p_offset 0 (libelf skips it) */

    const char *xen_guest;      /* __xen_guest section contents, or NULL */
    size_t xen_guest_len;       /* 0: strlen + 1 (include the NUL) */
    bool no_sections;
};

/* A Linux 6.x-like 64-bit PV kernel: two segments and the usual notes. */
void ib_linux64(struct ib_image *im);
/* A 32-bit PAE kernel with Xen notes (PAE_MODE "yes"). */
void ib_pae32(struct ib_image *im);
/* A 2.6.18-era 32-bit PAE kernel with only the __xen_guest string. */
void ib_legacy32(struct ib_image *im);
/* The same ELF header and segments as the above with no Xen information. */
void ib_bare(struct ib_image *im, unsigned cls);

void ib_note(struct ib_image *im, const char *owner, uint32_t type, const void *desc,
             size_t len);
void ib_note_str(struct ib_image *im, uint32_t type, const char *s);
void ib_note_u32(struct ib_image *im, uint32_t type, uint32_t v);
void ib_note_u64(struct ib_image *im, uint32_t type, uint64_t v);
void ib_clear_notes(struct ib_image *im);
/* Drop every Xen note of this type (to test defaults). */
void ib_drop_note(struct ib_image *im, uint32_t type);

/* Write the ELF; returns its size. */
size_t ib_build(const struct ib_image *im, uint8_t *out, size_t cap);

/* A bzImage around payload: setup_sects (0 allowed), protocol version. */
size_t ib_bzimage(const uint8_t *payload, size_t len, unsigned setup_sects,
                  unsigned version, uint8_t *out, size_t cap);

/* Compressed forms made of stored / uncompressed blocks. */
size_t ib_gzip_stored(const uint8_t *in, size_t len, uint8_t *out, size_t cap);
size_t ib_xz_uncompressed(const uint8_t *in, size_t len, uint8_t *out, size_t cap);
size_t ib_zstd_raw(const uint8_t *in, size_t len, uint8_t *out, size_t cap);
size_t ib_lz4_legacy_literals(const uint8_t *in, size_t len, uint8_t *out, size_t cap);
uint32_t ib_crc32(const uint8_t *p, size_t len);

/*
 * Parse a copy of buf[0, len) held in a heap block of exactly len bytes,
 * so that AddressSanitizer catches any read beyond the module. offered
 * is the feature bitmap pvshim claims (NULL: ib_default_features). The
 * copy stays alive until the next call or ib_release().
 */
struct ib_result {
    int rc;
    char err[256];
    struct guest_image img;
    const uint8_t *mod;         /* the heap copy parsed */
};
extern const uint32_t ib_default_features[GUEST_FEATURE_WORDS];
struct ib_result *ib_parse(const uint8_t *buf, size_t len, const uint32_t *offered);
/* Build im and parse it with the default features. */
struct ib_result *ib_parse_image(const struct ib_image *im);
/* Small output buffer size for the next ib_parse (0: the default). */
void ib_set_out_cap(size_t cap);
void ib_release(void);


/* Assertions for Check tests (include unit.h first). */
#ifdef CHECK_H
#include <string.h>
#define IB_EXPECT_OK(r) \
    ck_assert_msg((r)->rc == 0, "parse failed: %s", (r)->err)
#define IB_EXPECT_FAIL(r, text) do {                                              \
        ck_assert_msg((r)->rc == -1, "parse succeeded, expected '%s'", (text));   \
        ck_assert_msg(strstr((r)->err, (text)) != NULL,                           \
                      "error '%s' does not mention '%s'", (r)->err, (text));      \
    } while (0)
#endif

#endif
