/*
 * Writes the generated seed corpora: the loader tests' synthetic images
 * (tests/unit/image_builder.c) in every container, and short operation
 * sequences for the MMU, hypercall and xenstore harnesses in their input
 * encodings (tests/fuzz/fuzz_ops.h). Run by tests/fuzz/make-seeds.sh.
 *   fuzz-make-seeds DIR     writes DIR/<harness>/<name>
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <xen/elfnote.h>
#include "image_builder.h"
#include "fuzz_seeds.h"
#include "save_builder.h"

static const char *root;

void seed_write(const char *harness, const char *name, const void *data, size_t len)
{
    char path[512];
    snprintf(path, sizeof(path), "%s/%s", root, harness);
    mkdir(path, 0755);
    snprintf(path, sizeof(path), "%s/%s/%s", root, harness, name);
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(data, 1, len, f) != len || fclose(f)) {
        perror(path);
        exit(1);
    }
}

static uint8_t elf[1 << 16], packed[1 << 17], file[1 << 18];

static void image_seeds(void)
{
    struct ib_image im;
    size_t n;

    ib_linux64(&im);
    n = ib_build(&im, elf, sizeof(elf));
    seed_write("image", "linux64.elf", elf, n);
    seed_write("image", "bzimage-raw-elf", file, ib_bzimage(elf, n, 27, 0x20f, file, sizeof(file)));
    seed_write("image", "bzimage-gzip", file,
               ib_bzimage(packed, ib_gzip_stored(elf, n, packed, sizeof(packed)), 27, 0x20c,
                          file, sizeof(file)));
    seed_write("image", "gzip-elf", packed, ib_gzip_stored(elf, n, packed, sizeof(packed)));
    seed_write("image", "xz-elf", packed, ib_xz_uncompressed(elf, n, packed, sizeof(packed)));
    seed_write("image", "zstd-elf", packed, ib_zstd_raw(elf, n, packed, sizeof(packed)));
    seed_write("image", "lz4-elf", packed, ib_lz4_legacy_literals(elf, n, packed, sizeof(packed)));

    im.notes_where = IB_NOTES_BOTH;
    seed_write("image", "linux64-both-notes.elf", elf, ib_build(&im, elf, sizeof(elf)));
    im.notes_where = IB_NOTES_SECTION;
    seed_write("image", "linux64-section-notes.elf", elf, ib_build(&im, elf, sizeof(elf)));

    ib_pae32(&im);
    seed_write("image", "pae32.elf", elf, ib_build(&im, elf, sizeof(elf)));
    ib_legacy32(&im);
    seed_write("image", "legacy32.elf", elf, ib_build(&im, elf, sizeof(elf)));
    ib_bare(&im, 64);
    im.xen_guest = "GUEST_OS=linux,XEN_VER=xen-3.0,VIRT_BASE=0xffffffff80000000,"
                   "ELF_PADDR_OFFSET=0xffffffff80000000,HYPERCALL_PAGE=0x1001,LOADER=generic";
    seed_write("image", "legacy64.elf", elf, ib_build(&im, elf, sizeof(elf)));
    ib_bare(&im, 64);
    ib_note_u64(&im, XEN_ELFNOTE_PHYS32_ENTRY, 0x1000000);
    seed_write("image", "pvh-only.elf", elf, ib_build(&im, elf, sizeof(elf)));
}

/* Save files: the unit tests' small stream, bare and as version 2. */
static void save_seeds(void)
{
    struct sb_stream s;
    size_t n;
    uint8_t *f;
    sb_default(&s);
    f = sb_write(&s, &n);
    seed_write("save_stream", "builder.xlsave", f, n);
    free(f);
    s.xl = false;
    f = sb_write(&s, &n);
    seed_write("save_stream", "builder.libxc", f, n);
    free(f);
    s.version = 2;
    sb_remove(&s, (unsigned)sb_find(&s, 0x10));     /* STATIC_DATA_END */
    f = sb_write(&s, &n);
    seed_write("save_stream", "builder-v2.libxc", f, n);
    free(f);
    sb_free(&s);
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: %s DIR\n", argv[0]);
        return 2;
    }
    root = argv[1];
    mkdir(root, 0755);
    image_seeds();
    op_seeds();
    save_seeds();
    return 0;
}
