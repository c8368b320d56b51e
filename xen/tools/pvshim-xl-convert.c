/*
 * pvshim-xl-convert: an xl configuration of a classic PV guest in, the
 * equivalent PVH guest that runs the same kernel through pvshim out, with
 * what could not be carried over said plainly (as comments at the top of
 * the output, and on stderr).
 *
 *   pvshim-xl-convert [--shim-path PATH] [--shim-cmdline TEXT] [-o OUT] CONFIG
 *
 * Exit status: 0 converted (read the notes), 1 the configuration is
 * unreadable, malformed or not a PV guest's, 2 usage error.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pvshim/version.h>
#include "xlcfg.h"
#include "read_all.h"

static const char *prog = "pvshim-xl-convert";

static void usage(FILE *f)
{
    fprintf(f,
            "usage: %s [--shim-path PATH] [--shim-cmdline TEXT] [-o OUTPUT] CONFIG\n"
            "Convert the xl configuration of a PV guest into a PVH guest running the\n"
            "same kernel through pvshim. CONFIG may be - for standard input.\n"
            "  -p, --shim-path PATH     pvshim_path (default /usr/lib/pvshim/pvshim-pvh)\n"
            "  -c, --shim-cmdline TEXT  pvshim_cmdline (default \"loglevel=3\")\n"
            "  -o, --output FILE        write there instead of standard output\n"
            "  -q, --quiet              no notes on standard error\n"
            "  -h, --help, -V, --version\n", prog);
}

int main(int argc, char **argv)
{
    static const struct option longopts[] = {
        { "shim-path", required_argument, NULL, 'p' },
        { "shim-cmdline", required_argument, NULL, 'c' },
        { "output", required_argument, NULL, 'o' },
        { "quiet", no_argument, NULL, 'q' },
        { "help", no_argument, NULL, 'h' },
        { "version", no_argument, NULL, 'V' },
        { NULL, 0, NULL, 0 },
    };
    struct xl_convert_opts o = { "/usr/lib/pvshim/pvshim-pvh", "loglevel=3", NULL };
    const char *output = NULL;
    bool quiet = false;
    int c;
    while ((c = getopt_long(argc, argv, "p:c:o:qhV", longopts, NULL)) != -1) {
        switch (c) {
        case 'p': o.shim_path = optarg; break;
        case 'c': o.shim_cmdline = optarg; break;
        case 'o': output = optarg; break;
        case 'q': quiet = true; break;
        case 'h': usage(stdout); return 0;
        case 'V': printf("%s %s\n", prog, PVSHIM_VERSION); return 0;
        default: usage(stderr); return 2;
        }
    }
    if (optind != argc - 1) {
        usage(stderr);
        return 2;
    }
    const char *path = argv[optind];
    FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "r");
    if (!f) {
        fprintf(stderr, "%s: %s: %s\n", prog, path, strerror(errno));
        return 1;
    }
    size_t len;
    char *text = read_all(f, &len);
    if (f != stdin)
        fclose(f);
    if (!text) {
        fprintf(stderr, "%s: %s: read error\n", prog, path);
        return 1;
    }
    struct xlcfg cfg;
    char err[512];
    if (xlcfg_parse(text, len, &cfg, err, sizeof(err))) {
        fprintf(stderr, "%s: %s: %s\n", prog, path, err);
        free(text);
        return 1;
    }
    free(text);
    o.source_name = strcmp(path, "-") == 0 ? NULL : path;
    struct xl_notes notes;
    char *out = xl_convert_pv_to_pvh(&cfg, &o, &notes, err, sizeof(err));
    xlcfg_free(&cfg);
    if (!out) {
        fprintf(stderr, "%s: %s: cannot convert: %s\n", prog, path, err);
        return 1;
    }
    FILE *w = output ? fopen(output, "w") : stdout;
    if (!w) {
        fprintf(stderr, "%s: %s: %s\n", prog, output, strerror(errno));
        free(out);
        return 1;
    }
    int bad = fputs(out, w) == EOF;
    bad |= (w != stdout ? fclose(w) : fflush(w)) != 0;
    free(out);
    if (bad) {
        fprintf(stderr, "%s: write error\n", prog);
        return 1;
    }
    if (!quiet)
        for (size_t i = 0; i < notes.n; i++)
            fprintf(stderr, "%s: note: %s\n", prog, notes.line[i]);
    return 0;
}
