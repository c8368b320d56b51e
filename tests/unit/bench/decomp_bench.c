/*
 * Host decode speed of pvshim's decompressors: decodes each file given
 * (format by magic number) a few times and prints MB/s of output per CPU
 * second. Built without sanitizers by `make decomp-bench`.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <pvshim/decompress.h>

int log_threshold = 2;

void log_printf(int level, const char *fmt, ...)
{
    va_list ap;
    (void)level;
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

static double cpu_seconds(void)
{
    struct timespec t;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
    const size_t out_cap = (size_t)1 << 30;
    uint8_t *out = malloc(out_cap);
    if (argc < 2 || !out) {
        fprintf(stderr, "usage: decomp-bench FILE...\n");
        return 2;
    }
    /* DECOMP_BENCH_SECONDS=0 decodes each file once (for instruction counting). */
    const char *secs = getenv("DECOMP_BENCH_SECONDS");
    double min_seconds = secs ? atof(secs) : 2.0;
    int failed = 0;
    for (int i = 1; i < argc; i++) {
        FILE *f = fopen(argv[i], "rb");
        if (!f) {
            perror(argv[i]);
            return 2;
        }
        fseek(f, 0, SEEK_END);
        size_t len = (size_t)ftell(f);
        rewind(f);
        uint8_t *in = malloc(len + 1);
        if (!in || fread(in, 1, len, f) != len)
            return 2;
        fclose(f);

        enum decomp_format fmt = decomp_detect(in, len);
        size_t wlen = decomp_workspace_size(fmt);
        void *work = malloc(wlen + 1);
        size_t out_len = 0;
        int rc = 0, reps = 0;
        double t0 = cpu_seconds(), t;
        do {
            rc = decompress(fmt, in, len, out, out_cap, &out_len, NULL, work, wlen);
            reps++;
            t = cpu_seconds() - t0;
        } while (rc == DECOMP_OK && t < min_seconds);
        if (rc != DECOMP_OK) {
            printf("%-6s %s: %s\n", decomp_format_name(fmt), argv[i], decomp_strerror(rc));
            failed = 1;
        } else {
            printf("%-6s %s: %zu -> %zu bytes, %.1f MB/s (%d runs)\n", decomp_format_name(fmt),
                   argv[i], len, out_len, (double)out_len * reps / t / 1e6, reps);
        }
        free(work);
        free(in);
    }
    free(out);
    return failed;
}
