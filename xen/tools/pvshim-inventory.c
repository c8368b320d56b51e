/*
 * pvshim-inventory: run in dom0 of a Xen host, lists every domain with its
 * type (PV, PVH, HVM), vCPUs, memory and kernel, and for each PV guest
 * whether pvshim can run its kernel and what the kernel declares.
 *
 *   pvshim-inventory [--json] [-o OUT]
 *   pvshim-inventory --kernel FILE [--json]    judge one kernel file only
 *
 * Exit status: 0 listed (whatever the verdicts), or with --kernel: pvshim
 * runs it; 1 the host could not be asked (not dom0, no xenstored, ...) or
 * the --kernel file is unreadable; 2 usage error; 3 pvshim refuses the
 * --kernel file.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stdarg.h>
#include <pvshim/log.h>
#include <pvshim/version.h>
#include "inventory.h"
#include "inventory_xen.h"
#include "read_all.h"

static const char *prog = "pvshim-inventory";

static void usage(FILE *f)
{
    fprintf(f,
            "usage: %s [--json] [-o OUTPUT]\n"
            "       %s --kernel FILE [--json]\n"
            "List this Xen host's domains (run as root in dom0): type, vCPUs, memory,\n"
            "kernel, and whether pvshim runs each PV guest's kernel.\n"
            "  -j, --json           one JSON object a line instead of the table\n"
            "  -k, --kernel FILE    judge only this kernel file, no Xen needed\n"
            "  -o, --output FILE    write there instead of standard output\n"
            "  -h, --help, -V, --version\n", prog, prog);
}

/*
 * The shim's parser code logs through log_printf() (a decompressor naming
 * what it does not support): here that goes to stderr, warnings and worse.
 */
void log_printf(int level, const char *fmt, ...)
{
    if (level > LOG_WARN)
        return;
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "%s: ", prog);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
}

/* --kernel: the judgement of one file, as a domain with no host behind it. */
static int judge_file(const char *path, struct inv_domain *d)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "%s: %s: %s\n", prog, path, strerror(errno));
        return -1;
    }
    size_t len;
    uint8_t *bytes = (uint8_t *)read_all(f, &len);
    fclose(f);
    if (!bytes) {
        fprintf(stderr, "%s: %s: read error\n", prog, path);
        return -1;
    }
    memset(d, 0, sizeof(*d));
    d->info.domid = 0;
    d->info.max_vcpu_id = ~0u;
    d->kernel = strdup(path);
    d->kernel_source = "command line";
    d->image_read = true;
    inventory_judge_kernel(d, bytes, len);
    free(bytes);
    return 0;
}

int main(int argc, char **argv)
{
    static const struct option longopts[] = {
        { "json", no_argument, NULL, 'j' },
        { "kernel", required_argument, NULL, 'k' },
        { "output", required_argument, NULL, 'o' },
        { "help", no_argument, NULL, 'h' },
        { "version", no_argument, NULL, 'V' },
        { NULL, 0, NULL, 0 },
    };
    bool json = false;
    const char *output = NULL, *kernel = NULL;
    int c;
    while ((c = getopt_long(argc, argv, "jk:o:hV", longopts, NULL)) != -1) {
        switch (c) {
        case 'j': json = true; break;
        case 'k': kernel = optarg; break;
        case 'o': output = optarg; break;
        case 'h': usage(stdout); return 0;
        case 'V': printf("%s %s\n", prog, PVSHIM_VERSION); return 0;
        default: usage(stderr); return 2;
        }
    }
    if (optind != argc) {
        usage(stderr);
        return 2;
    }

    struct inv_domain *doms = NULL;
    size_t n = 0;
    if (kernel) {
        doms = calloc(1, sizeof(*doms));
        if (!doms || judge_file(kernel, doms)) {
            free(doms);
            return 1;
        }
        n = 1;
    } else {
        struct inv_host h = { 0 };
        char err[256];
        if (inventory_xen_open(&h, err, sizeof(err))) {
            fprintf(stderr, "%s: %s\n", prog, err);
            return 1;
        }
        int rc = inventory_collect(&h, &doms, &n, err, sizeof(err));
        inventory_xen_close(&h);
        if (rc) {
            fprintf(stderr, "%s: %s\n", prog, err);
            return 1;
        }
    }

    FILE *w = output ? fopen(output, "w") : stdout;
    if (!w) {
        fprintf(stderr, "%s: %s: %s\n", prog, output, strerror(errno));
        inventory_free(doms, n);
        return 1;
    }
    int status = 0;
    if (kernel) {
        inventory_print_kernel(w, &doms[0], json);
        status = doms[0].verdict == INV_RUNS ? 0 : 3;
    } else if (json)
        inventory_print_json(w, doms, n);
    else
        inventory_print_table(w, doms, n);
    inventory_free(doms, n);
    if ((w != stdout ? fclose(w) : fflush(w)) != 0) {
        fprintf(stderr, "%s: write error\n", prog);
        return 1;
    }
    return status;
}
