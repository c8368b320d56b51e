/*
 * One decompressor against arbitrary input (built once per format with
 * FUZZ_FORMAT_NAME). Beyond "no crash, no hang", a stream that decodes
 * must decode the same again with a differently poisoned workspace (a
 * read of scratch memory the decoder never wrote shows up as a
 * difference), into a buffer of exactly its size, and must be refused
 * with DECOMP_ERR_OUTPUT_FULL one byte short of that.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pvshim/decompress.h>

#define STR_(x) #x
#define STR(x) STR_(x)
#define OUT_CAP (4u << 20)

static enum decomp_format format;
static uint8_t *work;
static size_t work_len;
static uint8_t *out1;

static enum decomp_format format_named(const char *name)
{
    for (int f = DECOMP_GZIP; f <= DECOMP_ZSTD; f++)
        if (strcmp(decomp_format_name(f), name) == 0)
            return f;
    fprintf(stderr, "fuzz_decompress: no format %s\n", name);
    abort();
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    format = format_named(STR(FUZZ_FORMAT_NAME));
    work_len = decomp_workspace_size(format);
    work = malloc(work_len ? work_len : 1);
    out1 = malloc(OUT_CAP);
    if (!work || !out1)
        abort();
    return 0;
}

#define CHECK(c, ...) do {                                                   \
        if (!(c)) {                                                           \
            fprintf(stderr, "fuzz_decompress(%s): ", decomp_format_name(format)); \
            fprintf(stderr, __VA_ARGS__);                                     \
            fputc('\n', stderr);                                              \
            abort();                                                          \
        }                                                                     \
    } while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    size_t out_len = ~(size_t)0, in_used = ~(size_t)0;
    memset(work, 0xa5, work_len);
    int rc = decompress(format, data, size, out1, OUT_CAP, &out_len, &in_used, work, work_len);
    CHECK(rc <= 0 && rc >= DECOMP_ERR_UNSUPPORTED, "status %d out of range", rc);
    if (rc != DECOMP_OK)
        return 0;
    CHECK(out_len <= OUT_CAP, "out_len %zu beyond the buffer", out_len);
    CHECK(in_used <= size, "in_used %zu beyond the input (%zu)", in_used, size);

    /* Exactly big enough, other scratch contents: the same bytes. */
    size_t len2 = ~(size_t)0, used2 = ~(size_t)0;
    memset(work, 0x5a, work_len);
    uint8_t *exact = malloc(out_len ? out_len : 1);
    rc = decompress(format, data, size, exact, out_len, &len2, &used2, work, work_len);
    CHECK(rc == DECOMP_OK, "decodes into %u bytes but not into exactly %zu (status %d)",
          OUT_CAP, out_len, rc);
    CHECK(len2 == out_len && used2 == in_used, "second run: %zu/%zu bytes, %zu/%zu used",
          len2, out_len, used2, in_used);
    CHECK(memcmp(exact, out1, out_len) == 0, "second run with other scratch bytes differs");
    free(exact);

    /* One byte short: refused as too large (ASan guards the exact-size block). */
    if (out_len) {
        uint8_t *shorter = malloc(out_len - 1 ? out_len - 1 : 1);
        rc = decompress(format, data, size, shorter, out_len - 1, NULL, NULL, work, work_len);
        CHECK(rc == DECOMP_ERR_OUTPUT_FULL, "%zu bytes into %zu: status %d, not OUTPUT_FULL",
              out_len, out_len - 1, rc);
        free(shorter);
    }
    return 0;
}
