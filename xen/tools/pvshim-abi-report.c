/*
 * pvshim-abi-report: pvshim's trace=abi reports (logformat=json), read
 * from one or more console logs, as the Markdown tables DEPRECATION.md
 * shows (one column per log), or one summary line per log.
 *
 *   pvshim-abi-report [-s] [-o OUT] [-n NAME] LOG [[-n NAME] LOG ...]
 *
 * Exit status: 0; 1 a log is unreadable, has a malformed record, or (for
 * the tables) no complete trace=abi report, or (for -s) no exit record;
 * 2 usage error.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pvshim/version.h>
#include "abitrace.h"
#include "read_all.h"

static const char *prog = "pvshim-abi-report";

static void usage(FILE *f)
{
    fprintf(f,
            "usage: %s [-s] [-o OUTPUT] [-n NAME] LOG [[-n NAME] LOG ...]\n"
            "Read pvshim's records (pvshim logformat=json trace=abi) from console logs and\n"
            "write the hypercall and trapped-instruction tables, a column per LOG.\n"
            "LOG may be - for standard input.\n"
            "  -n, --name NAME     the next LOG's column title (default: LOG as given)\n"
            "  -s, --summary       one line per LOG: its exit and totals\n"
            "  -o, --output FILE   write there instead of standard output\n"
            "  -h, --help, -V, --version\n", prog);
}

static int read_log(const char *path, const char *name, struct abi_trace *t)
{
    memset(t, 0, sizeof(*t));
    if (!name)
        name = path;
    snprintf(t->name, sizeof(t->name), "%s", name);
    FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "r");
    if (!f) {
        fprintf(stderr, "%s: %s: %s\n", prog, path, strerror(errno));
        return -1;
    }
    size_t len;
    char *text = read_all(f, &len);
    if (f != stdin)
        fclose(f);
    if (!text) {
        fprintf(stderr, "%s: %s: read error\n", prog, path);
        return -1;
    }
    char err[300];
    int rc = abi_trace_read(text, len, t, err, sizeof(err));
    free(text);
    if (rc)
        fprintf(stderr, "%s: %s: %s\n", prog, path, err);
    return rc;
}

int main(int argc, char **argv)
{
    static const struct option longopts[] = {
        { "name", required_argument, NULL, 'n' },
        { "summary", no_argument, NULL, 's' },
        { "output", required_argument, NULL, 'o' },
        { "help", no_argument, NULL, 'h' },
        { "version", no_argument, NULL, 'V' },
        { NULL, 0, NULL, 0 },
    };
    struct abi_trace *traces = calloc((size_t)argc, sizeof(*traces));
    size_t n = 0;
    const char *output = NULL, *name = NULL;
    bool summary = false;
    int c, status = 0;
    if (!traces)
        return 1;
    /* "-": logs come in order among the options, so -n names the next one. */
    while ((c = getopt_long(argc, argv, "-n:so:hV", longopts, NULL)) != -1) {
        switch (c) {
        case 1:
            if (read_log(optarg, name, &traces[n]))
                status = 1;
            n++;
            name = NULL;
            break;
        case 'n': name = optarg; break;
        case 's': summary = true; break;
        case 'o': output = optarg; break;
        case 'h': usage(stdout); return 0;
        case 'V': printf("%s %s\n", prog, PVSHIM_VERSION); return 0;
        default: usage(stderr); return 2;
        }
    }
    if (n == 0 || name) {
        usage(stderr);
        return 2;
    }
    for (size_t i = 0; i < n; i++) {
        if (summary && !traces[i].exited) {
            fprintf(stderr, "%s: %s: no exit record (was pvshim given logformat=json?)\n",
                    prog, traces[i].name);
            status = 1;
        }
        if (!summary && !traces[i].complete) {
            fprintf(stderr, "%s: %s: no complete trace=abi report (was pvshim given "
                    "trace=abi logformat=json, and did the guest end?)\n", prog,
                    traces[i].name);
            status = 1;
        }
    }
    if (status == 0 || summary) {
        FILE *w = output ? fopen(output, "w") : stdout;
        if (!w) {
            fprintf(stderr, "%s: %s: %s\n", prog, output, strerror(errno));
            return 1;
        }
        if (summary)
            for (size_t i = 0; i < n; i++)
                abi_trace_summary(w, &traces[i]);
        else
            abi_tables_markdown(w, traces, n);
        if ((w != stdout ? fclose(w) : fflush(w)) != 0) {
            fprintf(stderr, "%s: write error\n", prog);
            status = 1;
        }
    }
    for (size_t i = 0; i < n; i++)
        abi_trace_free(&traces[i]);
    free(traces);
    return status;
}
