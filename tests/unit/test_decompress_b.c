/*
 * The xz, lzma and zstd decoders against streams made by the real tools
 * (see tests/unit/decompress_b_fixtures.sh): exact round trips, every
 * truncation, byte flips, too little output space or workspace, trailing
 * data, features we refuse, and format detection.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pvshim/decompress.h>
#include "../../shim/decompress/formats.h"
#include "unit.h"

struct blob {
    uint8_t *data;
    size_t len;
};

static struct blob load(const char *name)
{
    const char *dir = getenv("PVSHIM_FIXTURES");
    char path[512];
    struct blob b = { NULL, 0 };
    snprintf(path, sizeof(path), "%s/decompress-b/%s", dir && *dir ? dir : "build/fixtures", name);
    FILE *f = fopen(path, "rb");
    ck_assert_msg(f != NULL, "missing fixture %s (run make)", path);
    fseek(f, 0, SEEK_END);
    b.len = (size_t)ftell(f);
    rewind(f);
    b.data = malloc(b.len + 1);
    ck_assert(b.data != NULL);
    ck_assert_uint_eq(fread(b.data, 1, b.len, f), b.len);
    fclose(f);
    return b;
}

/* The uncompressed original of a fixture: "text.crc32.xz" -> "text.bin", unless "<name>.bin" exists. */
static struct blob load_original(const char *name)
{
    char own[256], base[256];
    snprintf(own, sizeof(own), "%s/decompress-b/%s.bin",
             getenv("PVSHIM_FIXTURES") && *getenv("PVSHIM_FIXTURES") ? getenv("PVSHIM_FIXTURES")
                                                                     : "build/fixtures", name);
    FILE *f = fopen(own, "rb");
    if (f) {
        fclose(f);
        snprintf(own, sizeof(own), "%s.bin", name);
        return load(own);
    }
    size_t n = strcspn(name, ".");
    snprintf(base, sizeof(base), "%.*s.bin", (int)n, name);
    return load(base);
}

static void *workspace(enum decomp_format f, size_t *len)
{
    *len = decomp_workspace_size(f);
    void *w = malloc(*len);
    ck_assert(w != NULL);
    return w;
}

/* Output buffer of exactly cap bytes (malloc(0) may be NULL, so never ask for 0). */
static uint8_t *output(size_t cap)
{
    uint8_t *o = malloc(cap ? cap : 1);
    ck_assert(o != NULL);
    return o;
}

static int run(enum decomp_format f, const uint8_t *in, size_t len, uint8_t *out, size_t cap,
               size_t *out_len, size_t *in_used)
{
    size_t wlen;
    void *w = workspace(f, &wlen);
    int rc = decompress(f, in, len, out, cap, out_len, in_used, w, wlen);
    free(w);
    return rc;
}

static bool valid_status(int rc)
{
    return rc <= DECOMP_OK && rc >= DECOMP_ERR_UNSUPPORTED;
}

/* Decode exactly into a buffer of the original's size; then with trailing bytes; then one byte short. */
static void round_trip(enum decomp_format f, const char *name)
{
    struct blob c = load(name), o = load_original(name);
    size_t out_len = 1234, used = 5678;
    uint8_t *out = output(o.len);

    ck_assert_int_eq(decomp_detect(c.data, c.len), f);
    int rc = run(f, c.data, c.len, out, o.len, &out_len, &used);
    ck_assert_msg(rc == DECOMP_OK, "%s: %s", name, decomp_strerror(rc));
    ck_assert_uint_eq(out_len, o.len);
    ck_assert_msg(memcmp(out, o.data, o.len) == 0, "%s: output differs", name);
    ck_assert_uint_eq(used, c.len);

    /* Linux's boot wrapper appends the size; anything after the stream is not ours. */
    uint8_t *tail = malloc(c.len + 7);
    memcpy(tail, c.data, c.len);
    memcpy(tail + c.len, "\x01\x02\x03\x04zzz", 7);
    memset(out, 0, o.len);
    rc = run(f, tail, c.len + 7, out, o.len, &out_len, &used);
    ck_assert_msg(rc == DECOMP_OK, "%s + trailing: %s", name, decomp_strerror(rc));
    ck_assert_uint_eq(out_len, o.len);
    ck_assert_uint_eq(used, c.len);
    ck_assert(memcmp(out, o.data, o.len) == 0);
    free(tail);

    if (o.len > 0) {
        rc = run(f, c.data, c.len, out, o.len - 1, &out_len, &used);
        ck_assert_msg(rc == DECOMP_ERR_OUTPUT_FULL, "%s, one byte short: %s", name,
                      decomp_strerror(rc));
        ck_assert_uint_eq(out_len, 0);
        rc = run(f, c.data, c.len, out, 0, &out_len, &used);
        ck_assert_int_eq(rc, DECOMP_ERR_OUTPUT_FULL);
    }
    free(out);
    free(c.data);
    free(o.data);
}

static const char *const xz_fixtures[] = {
    "text.crc32.xz", "text.crc64.xz", "text.none.xz", "text.sha256.xz", "elf.x86.xz",
    "mixed.x86.xz", "mixed.blocks.xz", "mixed.mt.xz", "elf.x86blocks.xz", "text.delta.xz", "text.props.xz",
    "random.xz", "zeros.xz", "empty.xz", "small.xz", "small.none.xz", "concat.xz",
};
static const char *const lzma_fixtures[] = {
    "text.lzma", "mixed.lzma", "elf.sized.lzma", "elf.pipe.lzma", "empty.lzma", "small.lzma",
    "small.sized.lzma",
};
static const char *const zstd_fixtures[] = {
    "text.1.zst", "mixed.19.zst", "elf.22.zst", "mixed.22.zst", "mixed.long.zst",
    "text.nocheck.zst", "mixed.pipe.zst", "random.zst", "zeros.zst", "empty.zst", "small.zst",
    "text.19.zst", "multi.zst",
};

START_TEST(xz_round_trips)
{
    round_trip(DECOMP_XZ, xz_fixtures[_i]);
}
END_TEST

START_TEST(lzma_round_trips)
{
    round_trip(DECOMP_LZMA, lzma_fixtures[_i]);
}
END_TEST

START_TEST(zstd_round_trips)
{
    round_trip(DECOMP_ZSTD, zstd_fixtures[_i]);
}
END_TEST

START_TEST(zstd_skippable_frame)
{
    /* Not detectable by the zstd magic, but the zstd decoder skips it. */
    struct blob c = load("skip.zst"), o = load("small.bin");
    size_t out_len, used, wlen;
    uint8_t *out = output(o.len);
    void *w = workspace(DECOMP_ZSTD, &wlen);
    int rc = zstd_decompress(c.data, c.len, out, o.len, &out_len, &used, w, wlen);
    ck_assert_int_eq(rc, DECOMP_OK);
    ck_assert_uint_eq(out_len, o.len);
    ck_assert_uint_eq(used, c.len);
    ck_assert(memcmp(out, o.data, o.len) == 0);
    free(w);
    free(out);
    free(c.data);
    free(o.data);
}
END_TEST

/* Every proper prefix of a one-stream fixture is reported as truncated. */
static void every_truncation(enum decomp_format f, const char *name)
{
    struct blob c = load(name), o = load_original(name);
    uint8_t *out = output(o.len);
    size_t wlen;
    void *w = workspace(f, &wlen);
    for (size_t n = 0; n < c.len; n++) {
        /* A copy of exactly n bytes, so ASan sees any read past the end. */
        uint8_t *in = malloc(n ? n : 1);
        memcpy(in, c.data, n);
        size_t out_len = 99, used = 99;
        int rc = decompress(f, in, n, out, o.len, &out_len, &used, w, wlen);
        if (n == 0)
            ck_assert_msg(rc != DECOMP_OK, "%s: empty input accepted", name);
        else
            ck_assert_msg(rc == DECOMP_ERR_TRUNCATED, "%s cut to %zu: %s", name, n,
                          decomp_strerror(rc));
        ck_assert_uint_eq(out_len, 0);
        free(in);
    }
    free(w);
    free(out);
    free(c.data);
    free(o.data);
}

START_TEST(truncations)
{
    static const struct { enum decomp_format f; const char *name; } cases[] = {
        { DECOMP_XZ, "small.xz" }, { DECOMP_XZ, "small.none.xz" }, { DECOMP_XZ, "empty.xz" },
        { DECOMP_LZMA, "small.lzma" }, { DECOMP_LZMA, "small.sized.lzma" },
        { DECOMP_LZMA, "empty.lzma" },
        { DECOMP_ZSTD, "small.zst" }, { DECOMP_ZSTD, "empty.zst" },
    };
    every_truncation(cases[_i].f, cases[_i].name);
}
END_TEST

START_TEST(truncated_large_streams)
{
    /* A few cuts through big multi-block streams, each in its own exact-size copy. */
    static const struct { enum decomp_format f; const char *name; } cases[] = {
        { DECOMP_XZ, "mixed.blocks.xz" }, { DECOMP_XZ, "elf.x86.xz" },
        { DECOMP_LZMA, "elf.sized.lzma" }, { DECOMP_ZSTD, "mixed.19.zst" },
        { DECOMP_ZSTD, "multi.zst" },
    };
    struct blob c = load(cases[_i].name), o = load_original(cases[_i].name);
    uint8_t *out = output(o.len);
    size_t cuts[] = { 1, 13, c.len / 7, c.len / 2, c.len - 5, c.len - 1 };
    for (size_t k = 0; k < sizeof(cuts) / sizeof(cuts[0]); k++) {
        uint8_t *in = malloc(cuts[k]);
        memcpy(in, c.data, cuts[k]);
        size_t out_len, used;
        int rc = run(cases[_i].f, in, cuts[k], out, o.len, &out_len, &used);
        /* multi.zst cut between its frames decodes the first frame; otherwise truncated. */
        ck_assert_msg(rc == DECOMP_ERR_TRUNCATED || (rc == DECOMP_OK && out_len < o.len),
                      "%s cut to %zu: %s", cases[_i].name, cuts[k], decomp_strerror(rc));
        free(in);
    }
    free(out);
    free(c.data);
    free(o.data);
}
END_TEST

static uint32_t rng_state = 12345;
static uint32_t rng(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 17;
    rng_state ^= rng_state << 5;
    return rng_state;
}

/*
 * Flip bytes and decode: any status but never a crash (ASan/UBSan watch),
 * never a hang, and for streams whose every byte is covered by a check, no
 * wrong output reported as success.
 */
static void flips(enum decomp_format f, const char *name, unsigned rounds, bool checked)
{
    struct blob c = load(name), o = load_original(name);
    size_t cap = o.len + 4096;
    uint8_t *out = output(cap);
    uint8_t *in = malloc(c.len);
    size_t wlen;
    void *w = workspace(f, &wlen);
    for (unsigned r = 0; r < rounds; r++) {
        memcpy(in, c.data, c.len);
        unsigned n = 1 + rng() % 3;
        for (unsigned k = 0; k < n; k++) {
            /* Mostly near the start, where the headers and tables are. */
            size_t pos = rng() % 2 ? rng() % (c.len < 64 ? c.len : 64) : rng() % c.len;
            in[pos] ^= (uint8_t)(1 + rng() % 255);
        }
        size_t out_len = 0, used = 0;
        int rc = decompress(f, in, c.len, out, cap, &out_len, &used, w, wlen);
        ck_assert_msg(valid_status(rc), "%s: status %d", name, rc);
        if (rc == DECOMP_OK) {
            ck_assert(out_len <= cap && used <= c.len);
            if (checked)
                ck_assert_msg(out_len == o.len && memcmp(out, o.data, o.len) == 0,
                              "%s: corrupt input decoded to wrong output", name);
        }
    }
    free(w);
    free(in);
    free(out);
    free(c.data);
    free(o.data);
}

START_TEST(xz_byte_flips)
{
    flips(DECOMP_XZ, "small.xz", 3000, true);
    flips(DECOMP_XZ, "small.none.xz", 3000, false);
    flips(DECOMP_XZ, "text.crc64.xz", 300, true);
    flips(DECOMP_XZ, "text.sha256.xz", 100, true);
    flips(DECOMP_XZ, "elf.x86blocks.xz", 200, true);
    flips(DECOMP_XZ, "mixed.mt.xz", 100, true);
}
END_TEST

START_TEST(lzma_byte_flips)
{
    flips(DECOMP_LZMA, "small.lzma", 3000, false);
    flips(DECOMP_LZMA, "small.sized.lzma", 3000, false);
    flips(DECOMP_LZMA, "text.lzma", 300, false);
}
END_TEST

START_TEST(zstd_byte_flips)
{
    flips(DECOMP_ZSTD, "small.zst", 3000, false);
    flips(DECOMP_ZSTD, "text.1.zst", 500, false);
    flips(DECOMP_ZSTD, "text.19.zst", 500, false);
    flips(DECOMP_ZSTD, "mixed.pipe.zst", 100, false);
}
END_TEST

/* Every single-byte change of a small stream, at every position. */
START_TEST(exhaustive_small_flips)
{
    static const struct { enum decomp_format f; const char *name; } cases[] = {
        { DECOMP_XZ, "small.xz" }, { DECOMP_LZMA, "small.lzma" }, { DECOMP_ZSTD, "small.zst" },
    };
    static const uint8_t masks[] = { 0x01, 0x10, 0x80, 0xff };
    struct blob c = load(cases[_i].name), o = load_original(cases[_i].name);
    size_t cap = o.len + 64;
    uint8_t *out = output(cap);
    uint8_t *in = malloc(c.len);
    size_t wlen;
    void *w = workspace(cases[_i].f, &wlen);
    for (size_t pos = 0; pos < c.len; pos++) {
        for (size_t m = 0; m < sizeof(masks); m++) {
            memcpy(in, c.data, c.len);
            in[pos] ^= masks[m];
            size_t out_len, used;
            int rc = decompress(cases[_i].f, in, c.len, out, cap, &out_len, &used, w, wlen);
            ck_assert(valid_status(rc));
            if (cases[_i].f == DECOMP_XZ && rc == DECOMP_OK)
                ck_assert(out_len == o.len && memcmp(out, o.data, o.len) == 0);
        }
    }
    free(w);
    free(in);
    free(out);
    free(c.data);
    free(o.data);
}
END_TEST

START_TEST(checks_are_verified)
{
    /* zstd ends with its checksum; an xz stream with the footer CRC, after the index CRC. */
    static const struct { enum decomp_format f; const char *name; size_t from_end; int want; } cases[] = {
        { DECOMP_ZSTD, "text.1.zst", 1, DECOMP_ERR_CHECKSUM },
        { DECOMP_ZSTD, "text.1.zst", 4, DECOMP_ERR_CHECKSUM },
        { DECOMP_XZ, "text.crc32.xz", 12, DECOMP_ERR_CHECKSUM },    /* footer CRC */
        { DECOMP_XZ, "text.crc64.xz", 12 + 1, DECOMP_ERR_CHECKSUM },/* index CRC */
    };
    struct blob c = load(cases[_i].name), o = load_original(cases[_i].name);
    uint8_t *out = output(o.len);
    size_t out_len, used;
    c.data[c.len - cases[_i].from_end] ^= 0x40;
    ck_assert_int_eq(run(cases[_i].f, c.data, c.len, out, o.len, &out_len, &used),
                     cases[_i].want);
    free(out);
    free(c.data);
    free(o.data);
}
END_TEST

static uint32_t crc32_bitwise(const uint8_t *p, size_t n)
{
    uint32_t c = 0xffffffffu;
    while (n--) {
        c ^= *p++;
        for (int k = 0; k < 8; k++)
            c = (c >> 1) ^ (0xedb88320u & (0u - (c & 1)));
    }
    return ~c;
}

START_TEST(xz_block_check_detects_damage)
{
    /* Change the CRC32 stored after the first block's data of a one-block stream. */
    struct blob c = load("text.crc32.xz"), o = load("text.bin");
    uint8_t *out = output(o.len);
    size_t out_len, used;
    /* Footer 12, index: indicator, count, 2 VLIs, padding, CRC32; find the check just before. */
    size_t index_size = ((size_t)(c.data[c.len - 8] | c.data[c.len - 7] << 8) + 1) * 4;
    size_t check_at = c.len - 12 - index_size - 4;
    c.data[check_at] ^= 1;
    ck_assert_int_eq(run(DECOMP_XZ, c.data, c.len, out, o.len, &out_len, &used),
                     DECOMP_ERR_CHECKSUM);
    free(out);
    free(c.data);
    free(o.data);
}
END_TEST

START_TEST(refused_features)
{
    uint8_t out[64];
    size_t out_len, used, wlen;
    void *w;

    /* zstd frame that needs dictionary 5. */
    static const uint8_t dict_frame[] = { 0x28, 0xb5, 0x2f, 0xfd, 0x21, 0x05, 0x03, 0x01, 0x00, 0x00 };
    ck_assert_int_eq(run(DECOMP_ZSTD, dict_frame, sizeof(dict_frame), out, sizeof(out),
                         &out_len, &used), DECOMP_ERR_UNSUPPORTED);

    /* .lzma with lc=4, lp=1 (lc + lp > 4, which xz refuses too). */
    uint8_t lzma_hdr[32] = { (2 * 5 + 1) * 9 + 4, 0x00, 0x00, 0x80, 0x00 };
    memset(lzma_hdr + 5, 0xff, 8);
    ck_assert_int_eq(run(DECOMP_LZMA, lzma_hdr, sizeof(lzma_hdr), out, sizeof(out),
                         &out_len, &used), DECOMP_ERR_UNSUPPORTED);
    lzma_hdr[0] = 225;
    ck_assert_int_eq(run(DECOMP_LZMA, lzma_hdr, sizeof(lzma_hdr), out, sizeof(out),
                         &out_len, &used), DECOMP_ERR_FORMAT);

    /* xz with the ARM BCJ filter. */
    struct blob arm = load("text.arm.xz"), o = load("text.bin");
    uint8_t *big = output(o.len);
    ck_assert_int_eq(run(DECOMP_XZ, arm.data, arm.len, big, o.len, &out_len, &used),
                     DECOMP_ERR_UNSUPPORTED);

    /* xz with a reserved check type (2), header CRC made valid again. */
    struct blob s = load("small.xz");
    s.data[7] = 0x02;
    uint32_t crc = crc32_bitwise(s.data + 6, 2);
    memcpy(s.data + 8, &crc, 4);
    ck_assert_int_eq(run(DECOMP_XZ, s.data, s.len, big, o.len, &out_len, &used),
                     DECOMP_ERR_UNSUPPORTED);

    /* Workspace too small (the sizes include slack for aligning it, so halve them). */
    struct blob x = load("small.xz");
    wlen = xz_workspace_size() / 2;
    w = malloc(wlen);
    ck_assert_int_eq(xz_decompress(x.data, x.len, big, o.len, &out_len, &used, w, wlen),
                     DECOMP_ERR_NOMEM);
    free(w);
    wlen = lzma_workspace_size() / 2;
    w = malloc(wlen);
    ck_assert_int_eq(lzma_decompress(lzma_hdr, sizeof(lzma_hdr), big, o.len, &out_len, &used,
                                     w, wlen), DECOMP_ERR_NOMEM);
    free(w);
    wlen = zstd_workspace_size() / 2;
    w = malloc(wlen);
    ck_assert_int_eq(zstd_decompress(dict_frame, sizeof(dict_frame), big, o.len, &out_len,
                                     &used, w, wlen), DECOMP_ERR_NOMEM);
    free(w);
    ck_assert_int_eq(zstd_decompress(dict_frame, sizeof(dict_frame), big, o.len, &out_len,
                                     &used, NULL, 0), DECOMP_ERR_NOMEM);

    free(big);
    free(arm.data);
    free(o.data);
    free(s.data);
    free(x.data);
}
END_TEST

START_TEST(not_this_format)
{
    static const uint8_t junk[] = "this is not compressed at all, not even a little";
    uint8_t out[64];
    size_t out_len, used;
    ck_assert_int_eq(run(DECOMP_XZ, junk, sizeof(junk), out, sizeof(out), &out_len, &used),
                     DECOMP_ERR_FORMAT);
    ck_assert_int_eq(run(DECOMP_ZSTD, junk, sizeof(junk), out, sizeof(out), &out_len, &used),
                     DECOMP_ERR_FORMAT);
    ck_assert_int_eq(decomp_detect(junk, sizeof(junk)), DECOMP_UNKNOWN);
    ck_assert_int_eq(run(DECOMP_ZSTD, junk, 0, out, sizeof(out), &out_len, &used),
                     DECOMP_ERR_FORMAT);
}
END_TEST

START_TEST(workspace_sizes)
{
    /* Small enough to carve out of the boot heap; bzip2 is the big one. */
    ck_assert_uint_gt(xz_workspace_size(), 0);
    ck_assert_uint_le(xz_workspace_size(), 128 * 1024);
    ck_assert_uint_le(lzma_workspace_size(), 64 * 1024);
    ck_assert_uint_le(zstd_workspace_size(), 256 * 1024);
    ck_assert_uint_eq(decomp_workspace_size(DECOMP_XZ), xz_workspace_size());
    ck_assert_uint_eq(decomp_workspace_size(DECOMP_ZSTD), zstd_workspace_size());
}
END_TEST

START_TEST(unaligned_workspace_and_null_outputs)
{
    struct blob c = load("text.crc64.xz"), o = load("text.bin");
    uint8_t *out = output(o.len);
    size_t wlen = xz_workspace_size();
    uint8_t *w = malloc(wlen + 3);
    ck_assert_int_eq(xz_decompress(c.data, c.len, out, o.len, NULL, NULL, w + 3, wlen),
                     DECOMP_OK);
    ck_assert(memcmp(out, o.data, o.len) == 0);
    free(w);
    free(out);
    free(c.data);
    free(o.data);
}
END_TEST

#define N(a) (int)(sizeof(a) / sizeof((a)[0]))

static Suite *decompress_b_suite(void)
{
    Suite *s = suite_create("decompress_b");
    TCase *t = tcase_create("round_trips");
    tcase_set_timeout(t, 120);
    tcase_add_loop_test(t, xz_round_trips, 0, N(xz_fixtures));
    tcase_add_loop_test(t, lzma_round_trips, 0, N(lzma_fixtures));
    tcase_add_loop_test(t, zstd_round_trips, 0, N(zstd_fixtures));
    tcase_add_test(t, zstd_skippable_frame);
    suite_add_tcase(s, t);

    t = tcase_create("hostile");
    tcase_set_timeout(t, 120);
    tcase_add_loop_test(t, truncations, 0, 8);
    tcase_add_loop_test(t, truncated_large_streams, 0, 5);
    tcase_add_test(t, xz_byte_flips);
    tcase_add_test(t, lzma_byte_flips);
    tcase_add_test(t, zstd_byte_flips);
    tcase_add_loop_test(t, exhaustive_small_flips, 0, 3);
    tcase_add_loop_test(t, checks_are_verified, 0, 4);
    tcase_add_test(t, xz_block_check_detects_damage);
    suite_add_tcase(s, t);

    t = tcase_create("interface");
    tcase_add_test(t, refused_features);
    tcase_add_test(t, not_this_format);
    tcase_add_test(t, workspace_sizes);
    tcase_add_test(t, unaligned_workspace_and_null_outputs);
    suite_add_tcase(s, t);
    return s;
}

UNIT_SUITE(decompress_b_suite)
