/*
 * pvshim-bundle: pack a PV guest's kernel, initrd and command line into one
 * file that pvshim takes as its only module (include/pvshim/bundle.h), for
 * loaders that pass a kernel and a single initrd: QEMU's PVH path,
 * Firecracker, Cloud Hypervisor. Also shows and checks an existing bundle
 * with the same parser pvshim uses.
 *
 *   pvshim-bundle -k KERNEL [-i INITRD] [-c CMDLINE] -o OUTPUT
 *   pvshim-bundle --show BUNDLE
 *
 * Exit status: 0 done, 1 an input is unusable (unreadable, malformed,
 * too large) or the output could not be written, 2 usage error.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <pvshim/bundle.h>
#include <pvshim/version.h>

static const char *prog = "pvshim-bundle";

static void usage(FILE *f)
{
    fprintf(f,
            "usage: %s -k KERNEL [-i INITRD] [-c CMDLINE] -o OUTPUT\n"
            "       %s --show BUNDLE\n"
            "Pack a Xen PV guest's kernel, initrd and command line into one file\n"
            "that pvshim boots as its only module.\n"
            "  -k, --kernel FILE    the guest kernel (ELF, bzImage, compressed ELF)\n"
            "  -i, --initrd FILE    the guest initrd (optional)\n"
            "  -c, --cmdline TEXT   the guest command line (optional, at most %u bytes)\n"
            "  -o, --output FILE    where to write the bundle\n"
            "  -s, --show FILE      check a bundle and print what it holds\n"
            "  -h, --help           this text\n"
            "  -V, --version        the version\n",
            prog, prog, BUNDLE_CMDLINE_MAX);
}

/* Read a whole file; NULL with a message on failure. */
static uint8_t *read_file(const char *path, uint64_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "%s: %s: %s\n", prog, path, strerror(errno));
        return NULL;
    }
    size_t cap = 1 << 20, n = 0;
    uint8_t *buf = malloc(cap);
    while (buf) {
        n += fread(buf + n, 1, cap - n, f);
        if (n < cap)
            break;
        uint8_t *bigger = realloc(buf, cap * 2);
        if (!bigger) {
            free(buf);
            buf = NULL;
            break;
        }
        buf = bigger;
        cap *= 2;
    }
    if (!buf || ferror(f)) {
        fprintf(stderr, "%s: %s: %s\n", prog, path, buf ? "read error" : "out of memory");
        free(buf);
        fclose(f);
        return NULL;
    }
    fclose(f);
    *len = n;
    return buf;
}

static uint64_t align_up(uint64_t v)
{
    return (v + BUNDLE_ALIGN - 1) & ~(uint64_t)(BUNDLE_ALIGN - 1);
}

static int write_all(FILE *f, const void *p, uint64_t n)
{
    return n == 0 || fwrite(p, 1, n, f) == n ? 0 : -1;
}

static int write_zeros(FILE *f, uint64_t n)
{
    static const uint8_t zero[4096];
    while (n) {
        uint64_t k = n < sizeof(zero) ? n : sizeof(zero);
        if (fwrite(zero, 1, k, f) != k)
            return -1;
        n -= k;
    }
    return 0;
}

static int pack(const char *kpath, const char *ipath, const char *cmdline, const char *out)
{
    uint64_t klen = 0, ilen = 0;
    uint8_t *k = NULL, *i = NULL;
    int rc = 1;
    size_t clen = cmdline ? strlen(cmdline) : 0;

    if (clen > BUNDLE_CMDLINE_MAX) {
        fprintf(stderr, "%s: the command line is %zu bytes; pvshim takes at most %u\n",
                prog, clen, BUNDLE_CMDLINE_MAX);
        return 1;
    }
    if (!(k = read_file(kpath, &klen)))
        goto out;
    if (klen == 0) {
        fprintf(stderr, "%s: %s: the kernel is empty\n", prog, kpath);
        goto out;
    }
    if (ipath && !(i = read_file(ipath, &ilen)))
        goto out;

    /* Header, command line, then kernel and initrd each on a 4 KiB boundary. */
    struct bundle b = { .version = BUNDLE_VERSION, .header_size = BUNDLE_HEADER_SIZE };
    uint64_t pos = BUNDLE_HEADER_SIZE;
    if (clen) {
        b.cmdline = (struct bundle_part){ pos, clen };
        pos += clen;
    }
    pos = align_up(pos);
    b.kernel = (struct bundle_part){ pos, klen };
    pos += klen;
    if (ilen) {
        pos = align_up(pos);
        b.initrd = (struct bundle_part){ pos, ilen };
        pos += ilen;
    }
    b.total_size = pos;

    uint8_t hdr[BUNDLE_HEADER_SIZE];
    bundle_write_header(&b, hdr);
    FILE *f = fopen(out, "wb");
    if (!f) {
        fprintf(stderr, "%s: %s: %s\n", prog, out, strerror(errno));
        goto out;
    }
    int w = write_all(f, hdr, sizeof(hdr));
    if (!w && clen)
        w = write_all(f, cmdline, clen);
    if (!w)
        w = write_zeros(f, b.kernel.offset - (BUNDLE_HEADER_SIZE + clen));
    if (!w)
        w = write_all(f, k, klen);
    if (!w && ilen)
        w = write_zeros(f, b.initrd.offset - (b.kernel.offset + klen));
    if (!w && ilen)
        w = write_all(f, i, ilen);
    if (fclose(f) || w) {
        fprintf(stderr, "%s: %s: write error\n", prog, out);
        unlink(out);
        goto out;
    }
    rc = 0;
out:
    free(k);
    free(i);
    return rc;
}

static int show(const char *path)
{
    uint64_t len;
    uint8_t *data = read_file(path, &len);
    if (!data)
        return 1;
    struct bundle b;
    char err[256];
    if (bundle_parse(data, len, &b, err, sizeof(err))) {
        fprintf(stderr, "%s: %s: %s\n", prog, path, err);
        free(data);
        return 1;
    }
    printf("bundle version %u, %llu bytes (header %u)\n", b.version,
           (unsigned long long)b.total_size, b.header_size);
    printf("kernel:  %llu bytes at offset %llu\n", (unsigned long long)b.kernel.size,
           (unsigned long long)b.kernel.offset);
    if (b.initrd.size)
        printf("initrd:  %llu bytes at offset %llu\n", (unsigned long long)b.initrd.size,
               (unsigned long long)b.initrd.offset);
    else
        printf("initrd:  none\n");
    printf("cmdline: \"%.*s\"\n", (int)b.cmdline.size, (const char *)data + b.cmdline.offset);
    free(data);
    return 0;
}

int main(int argc, char **argv)
{
    static const struct option longopts[] = {
        { "kernel", required_argument, NULL, 'k' },
        { "initrd", required_argument, NULL, 'i' },
        { "cmdline", required_argument, NULL, 'c' },
        { "output", required_argument, NULL, 'o' },
        { "show", required_argument, NULL, 's' },
        { "help", no_argument, NULL, 'h' },
        { "version", no_argument, NULL, 'V' },
        { NULL, 0, NULL, 0 },
    };
    const char *kernel = NULL, *initrd = NULL, *cmdline = NULL, *output = NULL, *shown = NULL;
    int c;
    while ((c = getopt_long(argc, argv, "k:i:c:o:s:hV", longopts, NULL)) != -1) {
        switch (c) {
        case 'k': kernel = optarg; break;
        case 'i': initrd = optarg; break;
        case 'c': cmdline = optarg; break;
        case 'o': output = optarg; break;
        case 's': shown = optarg; break;
        case 'h': usage(stdout); return 0;
        case 'V': printf("%s %s\n", prog, PVSHIM_VERSION); return 0;
        default: usage(stderr); return 2;
        }
    }
    if (optind != argc) {
        fprintf(stderr, "%s: unexpected argument: %s\n", prog, argv[optind]);
        usage(stderr);
        return 2;
    }
    if (shown) {
        if (kernel || initrd || cmdline || output) {
            fprintf(stderr, "%s: --show takes no other option\n", prog);
            return 2;
        }
        return show(shown);
    }
    if (!kernel || !output) {
        usage(stderr);
        return 2;
    }
    return pack(kernel, initrd, cmdline, output);
}
