/*
 * The gzip, bzip2, lzop and LZ4 decoders against files the real tools made
 * (mk/decompress-a.mk puts them in $PVSHIM_FIXTURES/decompress-a): exact
 * round trips and in_used, trailing data, too small an output buffer,
 * every truncation of a small stream, random corruption, and hand-made
 * hostile streams. Inputs and outputs live in buffers of their exact size,
 * so ASan reports any access outside them.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pvshim/decompress.h>
#include "../../shim/decompress/crc32.h"
#include "../../shim/decompress/adler32.h"
#include "../../shim/decompress/xxhash32.h"
#include "unit.h"

/* ------------------------------------------------------------ helpers */

struct buf {
    uint8_t *p;
    size_t len;
};

static const char *fixture_dir(void)
{
    const char *d = getenv("PVSHIM_FIXTURES");
    if (d && *d)
        return d;
    return "build/fixtures";
}

static struct buf load(const char *name)
{
    char path[512];
    snprintf(path, sizeof(path), "%s/decompress-a/%s", fixture_dir(), name);
    FILE *f = fopen(path, "rb");
    ck_assert_msg(f != NULL, "missing fixture %s (make decompress-a-fixtures)", path);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    rewind(f);
    struct buf b = { malloc(n ? (size_t)n : 1), (size_t)n };
    ck_assert(fread(b.p, 1, (size_t)n, f) == (size_t)n);
    fclose(f);
    return b;
}

static struct buf load2(const char *input, const char *suffix)
{
    char name[256];
    snprintf(name, sizeof(name), "%s.%s", input, suffix);
    return load(name);
}

static struct buf concat(struct buf a, const void *b, size_t b_len)
{
    struct buf r = { malloc(a.len + b_len + 1), a.len + b_len };
    memcpy(r.p, a.p, a.len);
    memcpy(r.p + a.len, b, b_len);
    return r;
}

struct result {
    int rc;
    size_t out_len, in_used;
    uint8_t *out;
};

static void *workspace(enum decomp_format f, size_t *len)
{
    static void *cache[DECOMP_ZSTD + 1];
    *len = decomp_workspace_size(f);
    if (*len && !cache[f])
        cache[f] = malloc(*len);
    return *len ? cache[f] : NULL;
}

/* Decode from an input copy of exactly in_len bytes into exactly out_cap bytes. */
static struct result run(enum decomp_format f, const uint8_t *in, size_t in_len, size_t out_cap)
{
    uint8_t *in_copy = malloc(in_len);
    memcpy(in_copy, in, in_len);
    size_t wl;
    void *work = workspace(f, &wl);
    struct result r = { .out = malloc(out_cap), .out_len = 12345, .in_used = 12345 };
    r.rc = decompress(f, in_copy, in_len, r.out, out_cap, &r.out_len, &r.in_used, work, wl);
    free(in_copy);
    if (r.rc != DECOMP_OK)
        ck_assert_msg(r.out_len == 0 && r.in_used == 0, "lengths not cleared on error");
    return r;
}

static bool is_status(int rc)
{
    return rc <= DECOMP_OK && rc >= DECOMP_ERR_UNSUPPORTED;
}

static void expect_output(struct result r, struct buf orig, const char *what)
{
    ck_assert_msg(r.rc == DECOMP_OK, "%s: %s", what, decomp_strerror(r.rc));
    ck_assert_msg(r.out_len == orig.len, "%s: %zu bytes, expected %zu", what, r.out_len, orig.len);
    ck_assert_msg(memcmp(r.out, orig.p, orig.len) == 0, "%s: output differs", what);
}

static uint32_t rng_state;
static uint32_t rng(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 17;
    rng_state ^= rng_state << 5;
    return rng_state;
}

static void put_le32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static void put_be32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (24 - 8 * i));
}

static uint32_t get_be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* ------------------------------------------------------------ the fixtures */

struct variant {
    const char *suffix;
    enum decomp_format fmt;
    bool checked;       /* a checksum covers all output: corruption never passes silently */
    bool legacy_lz4;    /* no end marker: a cut at a block boundary is a valid stream */
    size_t magic_len;
};

static const struct variant variants[] = {
    { "1.gz",       DECOMP_GZIP,  true,  false, 2 },
    { "9.gz",       DECOMP_GZIP,  true,  false, 2 },
    { "1.bz2",      DECOMP_BZIP2, true,  false, 3 },
    { "9.bz2",      DECOMP_BZIP2, true,  false, 3 },
    { "1.lzo",      DECOMP_LZO,   true,  false, 9 },
    { "9.lzo",      DECOMP_LZO,   true,  false, 9 },
    { "crc.lzo",    DECOMP_LZO,   true,  false, 9 },
    { "nock.lzo",   DECOMP_LZO,   false, false, 9 },
    { "legacy.lz4", DECOMP_LZ4,   false, true,  4 },
    { "frame.lz4",  DECOMP_LZ4,   true,  false, 4 },
    { "nocrc.lz4",  DECOMP_LZ4,   false, false, 4 },
    { "dep.lz4",    DECOMP_LZ4,   true,  false, 4 },
};
#define NR_VARIANTS ((int)(sizeof(variants) / sizeof(variants[0])))

static const char *const inputs[] = {
    "tiny.txt", "small.txt", "text.txt", "random.bin", "zeros.bin", "runs.bin",
    "elf.bin", "empty.bin", "mixed.bin",
};
#define NR_INPUTS (sizeof(inputs) / sizeof(inputs[0]))

/* Inputs small enough for sweeps that decode thousands of times. */
static const char *const small_inputs[] = { "tiny.txt", "small.txt", "empty.bin" };
#define NR_SMALL (sizeof(small_inputs) / sizeof(small_inputs[0]))

START_TEST(round_trip)
{
    const struct variant *v = &variants[_i];
    for (size_t k = 0; k < NR_INPUTS; k++) {
        struct buf orig = load(inputs[k]), comp = load2(inputs[k], v->suffix);
        char what[128];
        snprintf(what, sizeof(what), "%s.%s", inputs[k], v->suffix);

        ck_assert_msg(decomp_detect(comp.p, comp.len) == v->fmt, "%s: detected as %s",
                      what, decomp_format_name(decomp_detect(comp.p, comp.len)));
        struct result r = run(v->fmt, comp.p, comp.len, orig.len);
        expect_output(r, orig, what);
        ck_assert_msg(r.in_used == comp.len, "%s: in_used %zu of %zu", what, r.in_used, comp.len);
        free(r.out);

        if (orig.len <= (1u << 20)) {
            r = run(v->fmt, comp.p, comp.len, orig.len + 4096);
            expect_output(r, orig, what);
            free(r.out);
        }
        free(orig.p);
        free(comp.p);
    }
}
END_TEST

START_TEST(output_full)
{
    const struct variant *v = &variants[_i];
    for (size_t k = 0; k < NR_INPUTS; k++) {
        struct buf orig = load(inputs[k]), comp = load2(inputs[k], v->suffix);
        /* One byte short, a third, nothing (the big input: a third only, for time). */
        size_t caps[] = { orig.len / 3, orig.len - 1, 0 };
        size_t nr_caps = orig.len == 0 ? 0 : orig.len > (1u << 20) ? 1 : 3;
        for (size_t c = 0; c < nr_caps; c++) {
            struct result r = run(v->fmt, comp.p, comp.len, caps[c]);
            ck_assert_msg(r.rc == DECOMP_ERR_OUTPUT_FULL, "%s.%s into %zu bytes: %s",
                          inputs[k], v->suffix, caps[c], decomp_strerror(r.rc));
            free(r.out);
        }
        free(orig.p);
        free(comp.p);
    }
}
END_TEST

START_TEST(trailing_data)
{
    const struct variant *v = &variants[_i];
    /* mixed.bin's size is above the largest legacy LZ4 block: the Linux case. */
    const char *names[] = { "tiny.txt", "small.txt", "empty.bin", "elf.bin", "mixed.bin" };
    for (size_t k = 0; k < (v->legacy_lz4 ? 5u : 4u); k++) {
        struct buf orig = load(names[k]), comp = load2(names[k], v->suffix);
        /* Junk, and the 4-byte size Linux's build appends to compressed kernels. */
        static const uint8_t junk[] = "\xff\xff\xff\xffjunk after the stream\0\0\0\0\x1f\x8b";
        uint8_t size[4];
        put_le32(size, (uint32_t)orig.len);
        struct buf with[2] = { concat(comp, junk, sizeof(junk)), concat(comp, size, 4) };
        for (int j = 0; j < 2; j++) {
            struct result r = run(v->fmt, with[j].p, with[j].len, orig.len);
            expect_output(r, orig, names[k]);
            ck_assert_msg(r.in_used == comp.len, "%s.%s + trailer %d: in_used %zu of %zu",
                          names[k], v->suffix, j, r.in_used, comp.len);
            free(r.out);
            free(with[j].p);
        }
        free(orig.p);
        free(comp.p);
    }
}
END_TEST

START_TEST(every_truncation)
{
    const struct variant *v = &variants[_i];
    for (size_t k = 0; k < NR_SMALL; k++) {
        struct buf orig = load(small_inputs[k]), comp = load2(small_inputs[k], v->suffix);
        for (size_t cut = 0; cut < comp.len; cut++) {
            struct result r = run(v->fmt, comp.p, cut, orig.len + 64);
            if (cut < v->magic_len) {
                ck_assert_msg(r.rc == DECOMP_ERR_FORMAT, "%s.%s cut at %zu: %s",
                              small_inputs[k], v->suffix, cut, decomp_strerror(r.rc));
            } else if (v->legacy_lz4 && r.rc == DECOMP_OK) {
                ck_assert(r.out_len < orig.len || orig.len == 0);
                ck_assert(memcmp(r.out, orig.p, r.out_len) == 0);
            } else {
                ck_assert_msg(r.rc == DECOMP_ERR_TRUNCATED, "%s.%s cut at %zu of %zu: %s",
                              small_inputs[k], v->suffix, cut, comp.len,
                              decomp_strerror(r.rc));
            }
            free(r.out);
        }
        free(orig.p);
        free(comp.p);
    }
}
END_TEST

/* Flip bits and overwrite bytes at random: a clean error, or (without a checksum) any output. */
START_TEST(random_corruption)
{
    const struct variant *v = &variants[_i];
    rng_state = 0x9e3779b9u ^ (uint32_t)_i;
    for (size_t k = 0; k < 2; k++) {
        struct buf orig = load(small_inputs[k]), comp = load2(small_inputs[k], v->suffix);
        uint8_t *bad = malloc(comp.len);
        unsigned detected = 0;
        for (int iter = 0; iter < 600; iter++) {
            memcpy(bad, comp.p, comp.len);
            unsigned n = iter % 3 == 2 ? 1 + rng() % 8 : 1;
            size_t at = rng() % comp.len;
            for (unsigned j = 0; j < n && at + j < comp.len; j++)
                bad[at + j] ^= iter % 3 == 0 ? (uint8_t)(1u << (rng() % 8))
                                             : (uint8_t)(1 + rng() % 255);
            struct result r = run(v->fmt, bad, comp.len, orig.len + 64);
            ck_assert(is_status(r.rc));
            if (r.rc == DECOMP_OK) {
                ck_assert(r.out_len <= orig.len + 64 && r.in_used <= comp.len);
                if (v->checked)
                    ck_assert_msg(r.out_len == orig.len && !memcmp(r.out, orig.p, orig.len),
                                  "%s.%s: corruption at %zu passed unnoticed",
                                  small_inputs[k], v->suffix, at);
            } else {
                detected++;
            }
            free(r.out);
        }
        /* With a checksum only unchecked header fields (gzip's mtime...) escape. */
        if (v->checked)
            ck_assert_msg(detected > 500, "%s.%s: only %u of 600 corruptions detected",
                          small_inputs[k], v->suffix, detected);
        free(bad);
        free(orig.p);
        free(comp.p);
    }
}
END_TEST

/* A real stream's start followed by random bytes: deep into every decoding path. */
START_TEST(random_tails)
{
    const struct variant *v = &variants[_i];
    rng_state = 0x12345u + (uint32_t)_i;
    struct buf comp = load2("small.txt", v->suffix);
    for (int iter = 0; iter < 600; iter++) {
        size_t keep = v->magic_len + rng() % (comp.len - v->magic_len);
        size_t len = keep + rng() % 4096;
        uint8_t *in = malloc(len);
        memcpy(in, comp.p, keep);
        for (size_t j = keep; j < len; j++)
            in[j] = (uint8_t)rng();
        struct result r = run(v->fmt, in, len, 64 * 1024);
        ck_assert(is_status(r.rc));
        if (r.rc == DECOMP_OK)
            ck_assert(r.out_len <= 64 * 1024 && r.in_used <= len);
        free(r.out);
        free(in);
    }
    free(comp.p);
}
END_TEST

/* ------------------------------------------------------------ checksums */

START_TEST(checksum_known_answers)
{
    const uint8_t *digits = (const uint8_t *)"123456789";
    ck_assert_uint_eq(crc32_update(0, digits, 9), 0xCBF43926u);
    ck_assert_uint_eq(crc32_update(crc32_update(0, digits, 4), digits + 4, 5), 0xCBF43926u);
    ck_assert_uint_eq(crc32_update(0, digits, 0), 0);
    /* Long enough for the eight-byte path, against the byte-at-a-time definition. */
    uint8_t data[1000];
    uint32_t ref = ~0u;
    for (int i = 0; i < 1000; i++) {
        data[i] = (uint8_t)(i * 7 + 3);
        ref ^= data[i];
        for (int b = 0; b < 8; b++)
            ref = (ref >> 1) ^ (0xEDB88320u & -(ref & 1));
    }
    ck_assert_uint_eq(crc32_update(0, data, 1000), ~ref);

    ck_assert_uint_eq(adler32_update(1, (const uint8_t *)"Wikipedia", 9), 0x11E60398u);
    static uint8_t ff[100000];
    memset(ff, 0xff, sizeof(ff));
    uint32_t a = 1, b = 0;
    for (size_t i = 0; i < sizeof(ff); i++) {
        a = (a + 0xff) % 65521;
        b = (b + a) % 65521;
    }
    ck_assert_uint_eq(adler32_update(1, ff, sizeof(ff)), b << 16 | a);

    ck_assert_uint_eq(xxhash32((const uint8_t *)"", 0, 0), 0x02CC5D05u);
}
END_TEST

/* ------------------------------------------------------------ gzip */

static struct buf gzip_wrap(const uint8_t *hdr, size_t hdr_len, const uint8_t *deflate,
                            size_t deflate_len, const uint8_t *plain, size_t plain_len)
{
    struct buf r = { malloc(hdr_len + deflate_len + 8), hdr_len + deflate_len + 8 };
    memcpy(r.p, hdr, hdr_len);
    memcpy(r.p + hdr_len, deflate, deflate_len);
    put_le32(r.p + hdr_len + deflate_len, crc32_update(0, plain, plain_len));
    put_le32(r.p + hdr_len + deflate_len + 4, (uint32_t)plain_len);
    return r;
}

START_TEST(gzip_header_fields)
{
    struct buf orig = load("small.txt"), comp = load("small.txt.9.gz");
    ck_assert_uint_eq(comp.p[3], 0);   /* -n: no optional fields */
    const uint8_t *deflate = comp.p + 10;
    size_t deflate_len = comp.len - 18;

    /* FEXTRA, FNAME, FCOMMENT and FHCRC together. */
    uint8_t hdr[64] = { 0x1f, 0x8b, 8, 0x02 | 0x04 | 0x08 | 0x10, 1, 2, 3, 4, 0, 3 };
    size_t n = 10;
    hdr[n++] = 5; hdr[n++] = 0;
    memcpy(hdr + n, "AB\x02\0z", 5); n += 5;
    memcpy(hdr + n, "name.txt", 9); n += 9;
    memcpy(hdr + n, "a comment", 10); n += 10;
    uint32_t hcrc = crc32_update(0, hdr, n);
    hdr[n++] = (uint8_t)hcrc;
    hdr[n++] = (uint8_t)(hcrc >> 8);
    struct buf g = gzip_wrap(hdr, n, deflate, deflate_len, orig.p, orig.len);
    struct result r = run(DECOMP_GZIP, g.p, g.len, orig.len);
    expect_output(r, orig, "all header fields");
    ck_assert_uint_eq(r.in_used, g.len);
    free(r.out);

    g.p[n - 1] ^= 1;
    r = run(DECOMP_GZIP, g.p, g.len, orig.len);
    ck_assert_int_eq(r.rc, DECOMP_ERR_CHECKSUM);
    free(r.out);
    /* Cut inside the extra field, the name, the comment. */
    for (size_t cut = 10; cut < n; cut++) {
        r = run(DECOMP_GZIP, g.p, cut, orig.len);
        ck_assert_int_eq(r.rc, DECOMP_ERR_TRUNCATED);
        free(r.out);
    }
    free(g.p);

    uint8_t plain_hdr[10] = { 0x1f, 0x8b, 8, 0x20, 0, 0, 0, 0, 0, 3 };
    g = gzip_wrap(plain_hdr, 10, deflate, deflate_len, orig.p, orig.len);
    r = run(DECOMP_GZIP, g.p, g.len, orig.len);
    ck_assert_int_eq(r.rc, DECOMP_ERR_FORMAT);     /* reserved flag */
    free(r.out);
    g.p[3] = 0;
    g.p[2] = 7;
    r = run(DECOMP_GZIP, g.p, g.len, orig.len);
    ck_assert_int_eq(r.rc, DECOMP_ERR_UNSUPPORTED);    /* not deflate */
    free(r.out);
    g.p[2] = 8;
    g.p[g.len - 1] ^= 1;
    r = run(DECOMP_GZIP, g.p, g.len, orig.len);
    ck_assert_int_eq(r.rc, DECOMP_ERR_CHECKSUM);   /* ISIZE */
    free(r.out);
    free(g.p);
    free(orig.p);
    free(comp.p);
}
END_TEST

/* DEFLATE bits, LSB-first; Huffman codes go most significant bit first. */
struct bitw {
    uint8_t b[512];
    size_t bits;
};

static void put_bits(struct bitw *w, uint32_t v, unsigned n)
{
    for (unsigned i = 0; i < n; i++, w->bits++)
        if (v >> i & 1)
            w->b[w->bits / 8] |= (uint8_t)(1u << (w->bits % 8));
}

static void put_code(struct bitw *w, uint32_t code, unsigned len)
{
    while (len--)
        put_bits(w, code >> len & 1, 1);
}

/* Codes of the fixed literal/length table. */
static void put_fixed(struct bitw *w, unsigned sym)
{
    if (sym < 144)
        put_code(w, 0x30 + sym, 8);
    else if (sym < 256)
        put_code(w, 0x190 + sym - 144, 9);
    else if (sym < 280)
        put_code(w, sym - 256, 7);
    else
        put_code(w, 0xc0 + sym - 280, 8);
}

static int inflate_crafted(const struct bitw *w, const uint8_t *plain, size_t plain_len,
                           struct buf *out_orig)
{
    static const uint8_t hdr[10] = { 0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3 };
    struct buf g = gzip_wrap(hdr, 10, w->b, (w->bits + 7) / 8, plain, plain_len);
    struct result r = run(DECOMP_GZIP, g.p, g.len, 1024);
    if (out_orig && r.rc == DECOMP_OK) {
        ck_assert_uint_eq(r.out_len, out_orig->len);
        ck_assert(memcmp(r.out, out_orig->p, r.out_len) == 0);
        ck_assert_uint_eq(r.in_used, g.len);
    }
    free(r.out);
    free(g.p);
    return r.rc;
}

START_TEST(deflate_crafted)
{
    struct bitw w;

    /* Valid: a stored block "abc", then a fixed block "d" + match(len 4, dist 4) + EOB. */
    memset(&w, 0, sizeof(w));
    put_bits(&w, 0, 1);
    put_bits(&w, 0, 2);
    w.bits = 8;
    uint8_t stored[] = { 3, 0, 0xfc, 0xff, 'a', 'b', 'c' };
    memcpy(w.b + 1, stored, sizeof(stored));
    w.bits += 8 * sizeof(stored);
    put_bits(&w, 1, 1);
    put_bits(&w, 1, 2);
    put_fixed(&w, 'd');
    put_fixed(&w, 258);         /* length 4 */
    put_code(&w, 3, 5);         /* distance 4 */
    put_fixed(&w, 256);
    struct buf expect = { (uint8_t *)"abcdabcd", 8 };
    ck_assert_int_eq(inflate_crafted(&w, expect.p, 8, &expect), DECOMP_OK);

    /* Block type 3. */
    memset(&w, 0, sizeof(w));
    put_bits(&w, 1, 1);
    put_bits(&w, 3, 2);
    put_bits(&w, 0, 16);
    ck_assert_int_eq(inflate_crafted(&w, NULL, 0, NULL), DECOMP_ERR_CORRUPT);

    /* Stored block whose NLEN is not LEN's complement. */
    memset(&w, 0, sizeof(w));
    put_bits(&w, 1, 1);
    w.bits = 8;
    uint8_t bad_stored[] = { 3, 0, 0xfc, 0xfe, 'a', 'b', 'c' };
    memcpy(w.b + 1, bad_stored, sizeof(bad_stored));
    w.bits += 8 * sizeof(bad_stored);
    ck_assert_int_eq(inflate_crafted(&w, NULL, 0, NULL), DECOMP_ERR_CORRUPT);

    /* A match before the start of the output. */
    memset(&w, 0, sizeof(w));
    put_bits(&w, 1, 1);
    put_bits(&w, 1, 2);
    put_fixed(&w, 'x');
    put_fixed(&w, 257);
    put_code(&w, 1, 5);         /* distance 2, one byte written */
    put_fixed(&w, 256);
    ck_assert_int_eq(inflate_crafted(&w, NULL, 0, NULL), DECOMP_ERR_CORRUPT);

    /* Length symbol 286 and distance symbol 30 exist in the fixed code but are invalid. */
    memset(&w, 0, sizeof(w));
    put_bits(&w, 1, 1);
    put_bits(&w, 1, 2);
    put_fixed(&w, 286);
    put_fixed(&w, 256);
    ck_assert_int_eq(inflate_crafted(&w, NULL, 0, NULL), DECOMP_ERR_CORRUPT);
    memset(&w, 0, sizeof(w));
    put_bits(&w, 1, 1);
    put_bits(&w, 1, 2);
    put_fixed(&w, 'x');
    put_fixed(&w, 257);
    put_code(&w, 30, 5);
    put_fixed(&w, 256);
    ck_assert_int_eq(inflate_crafted(&w, NULL, 0, NULL), DECOMP_ERR_CORRUPT);

    /* Dynamic block with an over-subscribed code-length code (19 one-bit codes). */
    memset(&w, 0, sizeof(w));
    put_bits(&w, 1, 1);
    put_bits(&w, 2, 2);
    put_bits(&w, 0, 5);
    put_bits(&w, 0, 5);
    put_bits(&w, 15, 4);
    for (int i = 0; i < 19; i++)
        put_bits(&w, 1, 3);
    put_bits(&w, 0, 32);
    ck_assert_int_eq(inflate_crafted(&w, NULL, 0, NULL), DECOMP_ERR_CORRUPT);

    /*
     * Dynamic block whose literal/length code has no end-of-block: the
     * code-length code gives symbols 0 and 8 one bit each; all 257
     * literal/length lengths are 8 except 256's, which is 0.
     */
    memset(&w, 0, sizeof(w));
    put_bits(&w, 1, 1);
    put_bits(&w, 2, 2);
    put_bits(&w, 0, 5);         /* 257 literal/length codes */
    put_bits(&w, 0, 5);         /* 1 distance code */
    put_bits(&w, 1, 4);         /* 5 code-length lengths: orders 16 17 18 0 8 */
    put_bits(&w, 0, 3);
    put_bits(&w, 0, 3);
    put_bits(&w, 0, 3);
    put_bits(&w, 1, 3);         /* symbol 0: length 1, code 0 */
    put_bits(&w, 1, 3);         /* symbol 8: length 1, code 1 */
    for (int i = 0; i < 256; i++)
        put_code(&w, 1, 1);
    put_code(&w, 0, 1);         /* 256: length 0 */
    put_code(&w, 1, 1);         /* the distance code */
    put_bits(&w, 0, 32);
    ck_assert_int_eq(inflate_crafted(&w, NULL, 0, NULL), DECOMP_ERR_CORRUPT);
}
END_TEST

START_TEST(gzip_workspace)
{
    struct buf comp = load("small.txt.9.gz");
    uint8_t out[16384], work[1000];
    size_t ol, iu;
    ck_assert_int_eq(decompress(DECOMP_GZIP, comp.p, comp.len, out, sizeof(out), &ol, &iu,
                                work, sizeof(work)), DECOMP_ERR_NOMEM);
    ck_assert_int_eq(decompress(DECOMP_GZIP, comp.p, comp.len, out, sizeof(out), &ol, &iu,
                                NULL, 0), DECOMP_ERR_NOMEM);
    free(comp.p);
}
END_TEST

/* ------------------------------------------------------------ bzip2 */

START_TEST(bzip2_special)
{
    struct buf orig = load("small.txt"), comp = load("small.txt.9.bz2");

    /* Byte 14's top bit (after "BZh9", the block magic and CRC) marks a randomised block. */
    comp.p[14] |= 0x80;
    struct result r = run(DECOMP_BZIP2, comp.p, comp.len, orig.len);
    ck_assert_int_eq(r.rc, DECOMP_ERR_UNSUPPORTED);
    free(r.out);
    comp.p[14] &= 0x7f;

    comp.p[11] ^= 0x10;         /* the block CRC */
    r = run(DECOMP_BZIP2, comp.p, comp.len, orig.len);
    ck_assert_int_eq(r.rc, DECOMP_ERR_CHECKSUM);
    free(r.out);
    comp.p[11] ^= 0x10;

    comp.p[5] ^= 1;             /* the block magic */
    r = run(DECOMP_BZIP2, comp.p, comp.len, orig.len);
    ck_assert_int_eq(r.rc, DECOMP_ERR_CORRUPT);
    free(r.out);
    comp.p[5] ^= 1;

    comp.p[3] = '0';
    r = run(DECOMP_BZIP2, comp.p, comp.len, orig.len);
    ck_assert_int_eq(r.rc, DECOMP_ERR_FORMAT);
    free(r.out);
    comp.p[3] = '9';

    /* The workspace a stream needs depends on its block size. */
    size_t need = decomp_workspace_size(DECOMP_BZIP2);
    ck_assert_uint_ge(need, 900000 * 4);
    uint8_t *work = malloc(need / 2), *out = malloc(orig.len);
    size_t ol, iu;
    ck_assert_int_eq(decompress(DECOMP_BZIP2, comp.p, comp.len, out, orig.len, &ol, &iu,
                                work, need / 2), DECOMP_ERR_NOMEM);
    struct buf comp1 = load("small.txt.1.bz2");
    ck_assert_int_eq(decompress(DECOMP_BZIP2, comp1.p, comp1.len, out, orig.len, &ol, &iu,
                                work, need / 2), DECOMP_OK);
    ck_assert(ol == orig.len && memcmp(out, orig.p, ol) == 0);
    free(work);
    free(out);
    free(comp1.p);
    free(orig.p);
    free(comp.p);
}
END_TEST

/* ------------------------------------------------------------ lzop */

#define F_ADLER32_D     0x00000001u
#define F_ADLER32_C     0x00000002u
#define F_H_EXTRA_FIELD 0x00000040u
#define F_CRC32_D       0x00000100u
#define F_CRC32_C       0x00000200u
#define F_H_CRC32       0x00001000u

struct lzop_opts {
    uint16_t version;       /* < 0x0940: the old, shorter header */
    uint16_t needed;
    uint8_t method;
    uint32_t flags;         /* replaces the original's */
    const char *name;
    const char *extra;      /* an extra field, with F_H_EXTRA_FIELD */
};

static uint32_t lzop_check(uint32_t flags, const uint8_t *p, size_t n)
{
    return (flags & F_H_CRC32) ? crc32_update(0, p, n) : adler32_update(1, p, n);
}

/*
 * Rewrite an lzop file made with -F (no checksums, modern header) with
 * another header and the checksums the new flags ask for.
 */
static struct buf lzop_rewrite(struct buf src, const struct lzop_opts *o)
{
    struct buf r = { calloc(1, src.len * 2 + 1024), 0 };
    uint8_t *d = r.p;
    size_t n = 9;
    memcpy(d, src.p, 9);
    ck_assert_uint_ge(src.p[9] << 8 | src.p[10], 0x0940);
    ck_assert_uint_eq(get_be32(src.p + 17) & (F_ADLER32_D | F_CRC32_D | F_H_EXTRA_FIELD), 0);
    size_t name_at = 9 + 2 + 2 + 2 + 1 + 1 + 4 + 4 + 4 + 4;
    const size_t first = name_at + 1 + src.p[name_at] + 4;  /* the first block */
    size_t s = first;

    d[n++] = (uint8_t)(o->version >> 8);
    d[n++] = (uint8_t)o->version;
    d[n++] = 0x20; d[n++] = 0xa0;               /* library version */
    if (o->version >= 0x0940) {
        d[n++] = (uint8_t)(o->needed >> 8);
        d[n++] = (uint8_t)o->needed;
    }
    d[n++] = o->method;
    if (o->version >= 0x0940)
        d[n++] = 5;
    put_be32(d + n, o->flags); n += 4;
    put_be32(d + n, 0100644); n += 4;
    put_be32(d + n, 0x5f000000); n += 4;
    if (o->version >= 0x0940) {
        put_be32(d + n, 0); n += 4;
    }
    size_t name_len = strlen(o->name);
    d[n++] = (uint8_t)name_len;
    memcpy(d + n, o->name, name_len); n += name_len;
    put_be32(d + n, lzop_check(o->flags, d + 9, n - 9)); n += 4;
    if (o->flags & F_H_EXTRA_FIELD) {
        size_t at = n, len = strlen(o->extra);
        put_be32(d + n, (uint32_t)len); n += 4;
        memcpy(d + n, o->extra, len); n += len;
        put_be32(d + n, lzop_check(o->flags, d + at, n - at)); n += 4;
    }

    for (;;) {
        uint32_t dst_len = get_be32(src.p + s), src_len;
        put_be32(d + n, dst_len); n += 4; s += 4;
        if (dst_len == 0)
            break;
        src_len = get_be32(src.p + s);
        put_be32(d + n, src_len); n += 4; s += 4;
        /* The block's plain bytes: decode it alone, behind the original header. */
        uint8_t *plain = malloc(dst_len);
        const uint8_t *data = src.p + s;
        uint8_t *one = malloc(first + 8 + src_len + 4);
        memcpy(one, src.p, first);
        put_be32(one + first, dst_len);
        put_be32(one + first + 4, src_len);
        memcpy(one + first + 8, data, src_len);
        put_be32(one + first + 8 + src_len, 0);
        size_t ol, iu;
        ck_assert_int_eq(decompress(DECOMP_LZO, one, first + 8 + src_len + 4, plain, dst_len,
                                    &ol, &iu, NULL, 0), DECOMP_OK);
        ck_assert_uint_eq(ol, dst_len);
        free(one);
        if (o->flags & F_ADLER32_D) { put_be32(d + n, adler32_update(1, plain, dst_len)); n += 4; }
        if (o->flags & F_CRC32_D) { put_be32(d + n, crc32_update(0, plain, dst_len)); n += 4; }
        if (src_len < dst_len && (o->flags & F_ADLER32_C)) {
            put_be32(d + n, adler32_update(1, data, src_len)); n += 4;
        }
        if (src_len < dst_len && (o->flags & F_CRC32_C)) {
            put_be32(d + n, crc32_update(0, data, src_len)); n += 4;
        }
        memcpy(d + n, data, src_len); n += src_len; s += src_len;
        free(plain);
    }
    r.len = n;
    return r;
}

START_TEST(lzop_header_variants)
{
    const char *names[] = { "small.txt", "random.bin", "text.txt" };
    for (int k = 0; k < 3; k++) {
        struct buf orig = load(names[k]), comp = load2(names[k], "nock.lzo");
        const uint32_t all = F_ADLER32_D | F_ADLER32_C | F_CRC32_D | F_CRC32_C;
        const struct lzop_opts opts[] = {
            { 0x1040, 0x0940, 1, 0x03000000 | all, "file.txt", NULL },
            { 0x1040, 0x1001, 3, 0x03000000 | all | F_H_CRC32 | F_H_EXTRA_FIELD, "x", "extra!" },
            { 0x0930, 0, 2, F_ADLER32_D | F_ADLER32_C, "old-header", NULL },
            { 0x0900, 0, 1, F_CRC32_D, "", NULL },
            { 0x1030, 0x0940, 1, F_ADLER32_C | F_H_EXTRA_FIELD, "", "" },
        };
        for (size_t i = 0; i < sizeof(opts) / sizeof(opts[0]); i++) {
            struct buf f = lzop_rewrite(comp, &opts[i]);
            struct result r = run(DECOMP_LZO, f.p, f.len, orig.len);
            expect_output(r, orig, names[k]);
            ck_assert_uint_eq(r.in_used, f.len);
            free(r.out);

            /* Every byte matters: a flip anywhere is caught (header, sizes, checksums, data). */
            if (i < 2 && k == 0) {
                for (size_t at = 9; at < f.len; at++) {
                    f.p[at] ^= 0x04;
                    r = run(DECOMP_LZO, f.p, f.len, orig.len + 64);
                    ck_assert_msg(r.rc != DECOMP_OK ||
                                  (r.out_len == orig.len && !memcmp(r.out, orig.p, orig.len)),
                                  "flip at %zu of variant %zu passed", at, i);
                    free(r.out);
                    f.p[at] ^= 0x04;
                }
            }
            free(f.p);
        }
        free(orig.p);
        free(comp.p);
    }
}
END_TEST

START_TEST(lzop_refusals)
{
    struct buf orig = load("small.txt"), comp = load("small.txt.nock.lzo");
    struct {
        struct lzop_opts o;
        int rc;
    } cases[] = {
        { { 0x1040, 0x0940, 0x1a, 0, "", NULL }, DECOMP_ERR_UNSUPPORTED },  /* NRV method */
        { { 0x1040, 0x2000, 1, 0, "", NULL }, DECOMP_ERR_UNSUPPORTED },     /* needs a newer lzop */
        { { 0x1040, 0x0800, 1, 0, "", NULL }, DECOMP_ERR_FORMAT },
        { { 0x0800, 0, 1, 0, "", NULL }, DECOMP_ERR_FORMAT },               /* before lzop 0.90 */
        { { 0x1040, 0x0940, 1, 0x00004000, "", NULL }, DECOMP_ERR_FORMAT }, /* reserved flag */
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct buf f = lzop_rewrite(comp, &cases[i].o);
        struct result r = run(DECOMP_LZO, f.p, f.len, orig.len);
        ck_assert_msg(r.rc == cases[i].rc, "case %zu: %s", i, decomp_strerror(r.rc));
        free(r.out);
        free(f.p);
    }

    /* A header checksum that does not match. */
    struct lzop_opts ok = { 0x1040, 0x0940, 1, F_ADLER32_D, "n", NULL };
    struct buf f = lzop_rewrite(comp, &ok);
    size_t hdr_end = 9 + 2 + 2 + 2 + 1 + 1 + 4 + 4 + 4 + 4 + 1 + 1 + 4;
    f.p[hdr_end - 1] ^= 0x80;
    struct result r = run(DECOMP_LZO, f.p, f.len, orig.len);
    ck_assert_int_eq(r.rc, DECOMP_ERR_CHECKSUM);
    free(r.out);
    f.p[hdr_end - 1] ^= 0x80;

    /* The split-file marker, and a block bigger than lzop allows. */
    put_be32(f.p + hdr_end, 0xffffffffu);
    r = run(DECOMP_LZO, f.p, f.len, orig.len);
    ck_assert_int_eq(r.rc, DECOMP_ERR_UNSUPPORTED);
    free(r.out);
    put_be32(f.p + hdr_end, 64 * 1024 * 1024 + 1);
    r = run(DECOMP_LZO, f.p, f.len, orig.len);
    ck_assert_int_eq(r.rc, DECOMP_ERR_CORRUPT);
    free(r.out);
    free(f.p);

    struct buf filtered = load("small.txt.filter.lzo");
    r = run(DECOMP_LZO, filtered.p, filtered.len, orig.len);
    ck_assert_int_eq(r.rc, DECOMP_ERR_UNSUPPORTED);
    free(r.out);
    free(filtered.p);
    free(orig.p);
    free(comp.p);
}
END_TEST

/* ------------------------------------------------------------ LZ4 */

START_TEST(lz4_frame_sequences)
{
    struct buf orig = load("small.txt"), frame = load("small.txt.frame.lz4"),
               legacy = load("small.txt.legacy.lz4"), dep = load("small.txt.dep.lz4");
    static const uint8_t skip_hdr[8] = { 0x5a, 0x2a, 0x4d, 0x18, 5, 0, 0, 0 };

    /* skippable, frame, skippable, legacy frame, frame: the frames' outputs in order. */
    size_t total = 8 + 5 + frame.len + 8 + 5 + legacy.len + dep.len;
    uint8_t *in = malloc(total), *p = in;
    memcpy(p, skip_hdr, 8); p += 8; memcpy(p, "skip!", 5); p += 5;
    memcpy(p, frame.p, frame.len); p += frame.len;
    memcpy(p, skip_hdr, 8); p[0] = 0x50; p += 8; memcpy(p, "12345", 5); p += 5;
    memcpy(p, legacy.p, legacy.len); p += legacy.len;
    memcpy(p, dep.p, dep.len); p += dep.len;
    ck_assert_int_eq(decomp_detect(in, total), DECOMP_UNKNOWN);    /* starts skippable */

    struct result r = run(DECOMP_LZ4, in, total, 3 * orig.len);
    ck_assert_int_eq(r.rc, DECOMP_OK);
    ck_assert_uint_eq(r.out_len, 3 * orig.len);
    for (int i = 0; i < 3; i++)
        ck_assert(memcmp(r.out + i * orig.len, orig.p, orig.len) == 0);
    ck_assert_uint_eq(r.in_used, total);
    free(r.out);

    /* A skippable frame that claims more than there is. */
    r = run(DECOMP_LZ4, in, 8 + 4, 3 * orig.len);
    ck_assert_int_eq(r.rc, DECOMP_ERR_TRUNCATED);
    free(r.out);
    free(in);
    free(orig.p);
    free(frame.p);
    free(legacy.p);
    free(dep.p);
}
END_TEST

/*
 * Change a frame descriptor, then try every header checksum byte: the one
 * the decoder accepts must lead to the expected verdict.
 */
static void lz4_descriptor_case(struct buf comp, size_t hc_at, size_t out_cap, int expect)
{
    int other = 0;
    for (int hc = 0; hc < 256; hc++) {
        comp.p[hc_at] = (uint8_t)hc;
        struct result r = run(DECOMP_LZ4, comp.p, comp.len, out_cap);
        if (r.rc != DECOMP_ERR_CHECKSUM) {
            ck_assert_msg(r.rc == expect, "header checksum %d: %s", hc, decomp_strerror(r.rc));
            other++;
        }
        free(r.out);
    }
    ck_assert_int_eq(other, 1);
}

START_TEST(lz4_frame_refusals)
{
    struct buf orig = load("text.txt"), dep = load("text.txt.dep.lz4");
    ck_assert_uint_eq(dep.p[4], 0x5c);     /* linked blocks, both checksums, content size */
    size_t hc_at = 4 + 2 + 8;

    /* Descriptor checksum of the real header: only one value passes. */
    uint8_t real_hc = dep.p[hc_at];
    lz4_descriptor_case(dep, hc_at, orig.len, DECOMP_OK);
    dep.p[hc_at] = real_hc;

    /* Content size one too many. */
    dep.p[6] ^= 1;
    lz4_descriptor_case(dep, hc_at, orig.len + 1, DECOMP_ERR_CORRUPT);
    dep.p[6] ^= 1;
    dep.p[hc_at] = real_hc;

    /* A block checksum. */
    size_t first_block = hc_at + 1;
    uint32_t word = dep.p[first_block] | dep.p[first_block + 1] << 8 |
                    dep.p[first_block + 2] << 16 | (uint32_t)dep.p[first_block + 3] << 24;
    size_t check_at = first_block + 4 + (word & 0x7fffffff);
    dep.p[check_at] ^= 1;
    struct result r = run(DECOMP_LZ4, dep.p, dep.len, orig.len);
    ck_assert_int_eq(r.rc, DECOMP_ERR_CHECKSUM);
    free(r.out);
    dep.p[check_at] ^= 1;

    /* The content checksum. */
    dep.p[dep.len - 1] ^= 1;
    r = run(DECOMP_LZ4, dep.p, dep.len, orig.len);
    ck_assert_int_eq(r.rc, DECOMP_ERR_CHECKSUM);
    free(r.out);
    dep.p[dep.len - 1] ^= 1;

    /* A block bigger than the frame's maximum (256 KiB here). */
    put_le32(dep.p + first_block, (256u << 10) + 1);
    r = run(DECOMP_LZ4, dep.p, dep.len, orig.len);
    ck_assert_int_eq(r.rc, DECOMP_ERR_CORRUPT);
    free(r.out);
    free(dep.p);

    /* A dictionary ID: valid, but we have no dictionary. */
    struct buf frame = load("small.txt.frame.lz4");
    struct buf dict = { malloc(frame.len + 4), frame.len + 4 };
    memcpy(dict.p, frame.p, 6);
    dict.p[4] |= 0x01;
    memset(dict.p + 6, 0x11, 4);
    memcpy(dict.p + 11, frame.p + 7, frame.len - 7);
    lz4_descriptor_case(dict, 10, orig.len, DECOMP_ERR_UNSUPPORTED);
    free(dict.p);

    /* Version 0 and reserved bits. */
    frame.p[4] &= 0x3f;
    r = run(DECOMP_LZ4, frame.p, frame.len, orig.len);
    ck_assert_int_eq(r.rc, DECOMP_ERR_UNSUPPORTED);
    free(r.out);
    frame.p[4] |= 0x40 | 0x02;
    r = run(DECOMP_LZ4, frame.p, frame.len, orig.len);
    ck_assert_int_eq(r.rc, DECOMP_ERR_FORMAT);
    free(r.out);
    free(frame.p);
    free(orig.p);
}
END_TEST

START_TEST(lz4_legacy_blocks)
{
    /* mixed.bin is over 8 MiB: two legacy blocks. */
    struct buf orig = load("mixed.bin"), comp = load("mixed.bin.legacy.lz4");
    ck_assert_uint_gt(orig.len, 8u << 20);
    uint32_t first = comp.p[4] | comp.p[5] << 8 | comp.p[6] << 16 | (uint32_t)comp.p[7] << 24;
    ck_assert_uint_lt(8 + first, comp.len);

    /* Two legacy frames back to back, as Linux's unlz4 accepts. */
    struct buf twice = concat(comp, comp.p, comp.len);
    struct result r = run(DECOMP_LZ4, twice.p, twice.len, 2 * orig.len);
    ck_assert_int_eq(r.rc, DECOMP_OK);
    ck_assert_uint_eq(r.out_len, 2 * orig.len);
    ck_assert(memcmp(r.out + orig.len, orig.p, orig.len) == 0);
    free(r.out);
    free(twice.p);

    /* A block of zero bytes. */
    put_le32(comp.p + 4, 0);
    r = run(DECOMP_LZ4, comp.p, comp.len, orig.len);
    ck_assert_int_eq(r.rc, DECOMP_ERR_CORRUPT);
    free(r.out);
    free(orig.p);
    free(comp.p);
}
END_TEST

/* One case per test, so CK_RUN_CASE can pick one. */
static void add_case(Suite *s, const char *name, const TTest *test, int loops)
{
    TCase *tc = tcase_create(name);
    tcase_set_timeout(tc, 300);
    if (loops)
        tcase_add_loop_test(tc, test, 0, loops);
    else
        tcase_add_test(tc, test);
    suite_add_tcase(s, tc);
}

static Suite *decompress_a_suite(void)
{
    Suite *s = suite_create("decompress_a");
    add_case(s, "round_trip", round_trip, NR_VARIANTS);
    add_case(s, "output_full", output_full, NR_VARIANTS);
    add_case(s, "trailing_data", trailing_data, NR_VARIANTS);
    add_case(s, "every_truncation", every_truncation, NR_VARIANTS);
    add_case(s, "random_corruption", random_corruption, NR_VARIANTS);
    add_case(s, "random_tails", random_tails, NR_VARIANTS);
    add_case(s, "checksum_known_answers", checksum_known_answers, 0);
    add_case(s, "gzip_header_fields", gzip_header_fields, 0);
    add_case(s, "deflate_crafted", deflate_crafted, 0);
    add_case(s, "gzip_workspace", gzip_workspace, 0);
    add_case(s, "bzip2_special", bzip2_special, 0);
    add_case(s, "lzop_header_variants", lzop_header_variants, 0);
    add_case(s, "lzop_refusals", lzop_refusals, 0);
    add_case(s, "lz4_frame_sequences", lz4_frame_sequences, 0);
    add_case(s, "lz4_frame_refusals", lz4_frame_refusals, 0);
    add_case(s, "lz4_legacy_blocks", lz4_legacy_blocks, 0);
    return s;
}
UNIT_SUITE(decompress_a_suite)
