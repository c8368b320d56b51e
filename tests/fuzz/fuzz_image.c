/*
 * Module 0 as the loader sees it: ELF32/64, Xen notes, the legacy
 * __xen_guest string, bzImage and every compressed container, then the
 * domain layout for the image it accepted. Parsing is done on an
 * exactly-sized copy (ASan catches any read past the module), and what
 * guest_image_parse promises is checked: a one-line reason on refusal;
 * on success segments inside the ELF, no overlaps, the entry inside a
 * segment, the kernel range covering them, NUL-terminated strings.
 * An input that starts with the bundle magic goes through the bundle
 * parser first, and its kernel part (copied to an exact buffer) through
 * the image parser, as pvshim does with a bundle in module 0.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pvshim/guest_image.h>
#include <pvshim/bundle.h>
#include <pvshim/pv_layout.h>
#include <xen/features.h>

#define OUT_CAP (1u << 20)

static uint8_t *out, *work;
static size_t work_len;

static const uint32_t offered[GUEST_FEATURE_WORDS] = {
    1u << XENFEAT_writable_page_tables | 1u << XENFEAT_writable_descriptor_tables |
    1u << XENFEAT_supervisor_mode_kernel | 1u << XENFEAT_pae_pgdir_above_4gb |
    1u << XENFEAT_gnttab_map_avail_bits | 1u << XENFEAT_linux_rsdp_unrestricted,
};

#define CHECK(c, ...) do {                                                   \
        if (!(c)) {                                                           \
            fprintf(stderr, "fuzz_image: ");                                  \
            fprintf(stderr, __VA_ARGS__);                                     \
            fputc('\n', stderr);                                              \
            abort();                                                          \
        }                                                                     \
    } while (0)

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    for (int f = DECOMP_GZIP; f <= DECOMP_ZSTD; f++) {
        size_t w = decomp_workspace_size((enum decomp_format)f);
        work_len = w > work_len ? w : work_len;
    }
    out = malloc(OUT_CAP);
    work = malloc(work_len);
    if (!out || !work)
        abort();
    return 0;
}

/* NUL-terminated, and printable: these strings reach pvshim's log. */
static void check_string(const char *s, size_t cap, const char *what)
{
    CHECK(memchr(s, '\0', cap) != NULL, "%s not NUL-terminated", what);
    for (size_t i = 0; s[i]; i++)
        CHECK((unsigned char)s[i] >= 0x20 && (unsigned char)s[i] != 0x7f,
              "%s has control character %#x: %s", what, (unsigned char)s[i], s);
}

static void check_layout(const struct guest_image *img, const uint8_t *data, size_t size)
{
    /* A memory size and initrd length from the input itself (its last bytes). */
    uint64_t pages = 1, initrd = 0;
    if (size >= 8) {
        pages = (uint64_t)data[size - 1] << 16 | (uint64_t)data[size - 2] << 8 | data[size - 3];
        initrd = (uint64_t)data[size - 4] << 20 | (uint64_t)data[size - 5] << 12;
    }
    struct pv_layout l;
    char err[256];
    memset(err, 0x55, sizeof(err));
    if (pv_layout_compute(img, pages, initrd, &l, err, sizeof(err))) {
        check_string(err, sizeof(err), "layout error");
        CHECK(err[0], "layout refused without a reason");
        return;
    }
    CHECK(l.pfns_used <= l.nr_pages && l.nr_pages == pages,
          "layout uses %llu of %llu pages", (unsigned long long)l.pfns_used,
          (unsigned long long)l.nr_pages);
    CHECK(l.virt_end > l.virt_base, "empty boot region");
    CHECK(l.kernel_pages == (img->virt_kend - img->virt_kstart) >> 12, "kernel pages");
    CHECK(l.stack_pfn < l.pfns_used && l.pt_pfn + l.pt_pages <= l.pfns_used,
          "tables or stack past the used frames");
    CHECK(l.nr_ranges >= 1 && l.nr_ranges <= PV_MAX_MAPPED_RANGES, "%u ranges", l.nr_ranges);
    for (unsigned i = 0; i < l.nr_ranges; i++)
        CHECK(l.ranges[i].start < l.ranges[i].end && !(l.ranges[i].start & 0xfff) &&
              !(l.ranges[i].end & 0xfff), "range %u malformed", i);
}

static int parse_image(const uint8_t *data, size_t size);

/* A bundle: refused with one line, or parts inside it, then its kernel parsed. */
static int parse_bundle(const uint8_t *data, size_t size)
{
    struct bundle b;
    char err[256];
    memset(err, 0x55, sizeof(err));
    if (bundle_parse(data, size, &b, err, sizeof(err))) {
        check_string(err, sizeof(err), "bundle error");
        CHECK(err[0] != '\0', "bundle refused without a reason");
        return 0;
    }
    const struct bundle_part *p[3] = { &b.kernel, &b.initrd, &b.cmdline };
    CHECK(b.total_size <= size && b.header_size <= b.total_size, "bundle sizes");
    CHECK(b.kernel.size > 0, "bundle without a kernel");
    for (unsigned i = 0; i < 3; i++)
        CHECK(p[i]->size == 0 || (p[i]->offset >= b.header_size &&
              p[i]->offset + p[i]->size <= b.total_size &&
              p[i]->offset + p[i]->size > p[i]->offset), "bundle part %u outside", i);
    CHECK(b.cmdline.size <= BUNDLE_CMDLINE_MAX &&
          !memchr(data + b.cmdline.offset, 0, b.cmdline.size), "bundle command line");
    uint8_t *k = malloc(b.kernel.size);
    if (!k)
        abort();
    memcpy(k, data + b.kernel.offset, b.kernel.size);
    int rc = parse_image(k, b.kernel.size);
    free(k);
    return rc;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (bundle_is(data, size))
        return parse_bundle(data, size);
    return parse_image(data, size);
}

static int parse_image(const uint8_t *data, size_t size)
{
    struct guest_image img;
    char err[256];
    memset(err, 0x55, sizeof(err));
    int rc = guest_image_parse(data, size, out, OUT_CAP, work, work_len, offered, &img,
                               err, sizeof(err));
    check_string(err, sizeof(err), "error message");
    if (rc) {
        CHECK(rc == -1, "status %d", rc);
        CHECK(err[0] != '\0', "refused without a reason");
        CHECK(strchr(err, '\n') == NULL, "reason is not one line: %s", err);
        return 0;
    }
    CHECK(err[0] == '\0', "accepted with an error message: %s", err);
    bool in_mod = img.elf >= data && img.elf + img.elf_size <= data + size &&
                  img.elf + img.elf_size >= img.elf;
    bool in_out = img.elf >= out && img.elf + img.elf_size <= out + OUT_CAP &&
                  img.elf + img.elf_size >= img.elf;
    CHECK(in_mod || in_out, "ELF outside the module and the output buffer");
    CHECK((img.elf_class == 64 && img.machine == 62) || (img.elf_class == 32 && img.machine == 3),
          "class %u machine %u", img.elf_class, img.machine);
    check_string(img.container, sizeof(img.container), "container");
    check_string(img.xen.guest_os, sizeof(img.xen.guest_os), "GUEST_OS");
    check_string(img.xen.guest_version, sizeof(img.xen.guest_version), "GUEST_VERSION");
    check_string(img.xen.xen_version, sizeof(img.xen.xen_version), "XEN_VERSION");
    check_string(img.xen.loader, sizeof(img.xen.loader), "LOADER");
    CHECK(img.xen.from_notes || img.xen.from_legacy_string, "neither notes nor __xen_guest");

    CHECK(img.nr_segments >= 1 && img.nr_segments <= GUEST_IMAGE_MAX_SEGMENTS,
          "%u segments", img.nr_segments);
    bool entry_ok = false;
    for (unsigned i = 0; i < img.nr_segments; i++) {
        const struct guest_segment *s = &img.segments[i];
        CHECK(s->filesz <= s->memsz, "segment %u: filesz > memsz", i);
        CHECK(s->offset <= img.elf_size && s->filesz <= img.elf_size - s->offset,
              "segment %u data outside the ELF", i);
        CHECK(s->vaddr + s->memsz > s->vaddr, "segment %u wraps", i);
        CHECK(s->vaddr >= img.virt_kstart && s->vaddr + s->memsz <= img.virt_kend,
              "segment %u outside the kernel range", i);
        if (img.entry >= s->vaddr && img.entry < s->vaddr + s->memsz)
            entry_ok = true;
        for (unsigned j = 0; j < i; j++) {
            const struct guest_segment *t = &img.segments[j];
            CHECK(s->vaddr >= t->vaddr + t->memsz || t->vaddr >= s->vaddr + s->memsz,
                  "segments %u and %u overlap", j, i);
        }
    }
    CHECK(entry_ok, "entry %#llx outside every segment", (unsigned long long)img.entry);
    CHECK(!(img.virt_kstart & 0xfff) && !(img.virt_kend & 0xfff) &&
          img.virt_kstart < img.virt_kend, "kernel range not page-aligned and non-empty");
    if (img.xen.has_hypercall_page)
        CHECK(img.xen.virt_hypercall >= img.virt_kstart &&
              img.xen.virt_hypercall < img.virt_kend, "hypercall page outside the kernel");
    check_layout(&img, data, size);
    return 0;
}
