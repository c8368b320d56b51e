/*
 * pvshim-save-info: check a save file (`xl save` of a classic 64-bit PV
 * domain, or a bare libxc stream) with the parser pvshim uses for module 0
 * (include/pvshim/save_stream.h) and print what it holds.
 *
 *   pvshim-save-info [--records] FILE   (- for standard input)
 *
 * --records also lists every libxc record ("record N NAME at OFFSET, L
 * bytes", the offset of its header in the file) and every page-table page
 * of the PAGE_DATA records ("  L1 pfn P at OFFSET", where its 4096 bytes
 * are; "pinned" if so): the offsets the restore tests patch.
 *
 * Exit status: 0 pvshim's parser accepts it, 1 it is refused (the reason,
 * naming the record, on standard error) or unreadable, 2 usage error.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pvshim/save_stream.h>
#include "read_all.h"

static void list_records(const unsigned char *d, const struct save_image *img)
{
    unsigned n = 1;         /* numbered as the parser's messages number them */
    for (uint64_t off = img->libxc_start; off < img->libxc_end; n++) {
        uint32_t type = save_le32(d + off), len = save_le32(d + off + 4);
        printf("record %u %s at %#llx, %u bytes\n", n, save_rec_name(type),
               (unsigned long long)off, len);
        if (type == SAVE_REC_PAGE_DATA) {
            uint32_t count = save_le32(d + off + 8);
            uint64_t data = off + 16 + 8ull * count;
            for (uint32_t i = 0; i < count; i++) {
                uint64_t e = save_le64(d + off + 16 + 8ull * i);
                unsigned t = save_entry_type(e);
                if (!save_type_has_data(t))
                    continue;
                if (t & 7)
                    printf("  L%u pfn %#llx at %#llx%s\n", t & 7,
                           (unsigned long long)save_entry_pfn(e), (unsigned long long)data,
                           t & SAVE_PF_PINNED ? " pinned" : "");
                data += SAVE_PAGE_SIZE;
            }
        }
        off += 8 + ((len + 7ull) & ~7ull);
    }
}

int main(int argc, char **argv)
{
    bool records = argc == 3 && !strcmp(argv[1], "--records");
    if (records) {
        argv++;
        argc--;
    }
    if (argc != 2 || argv[1][0] == '\0' || !strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
        fprintf(argc == 2 ? stdout : stderr, "usage: pvshim-save-info [--records] FILE\n"
                "Check a Xen PV save file with pvshim's parser and describe it.\n");
        return argc == 2 && argv[1][0] ? 0 : 2;
    }
    FILE *f = strcmp(argv[1], "-") ? fopen(argv[1], "rb") : stdin;
    size_t len;
    char *data = f ? read_all(f, &len) : NULL;
    if (!data) {
        perror(argv[1]);
        return 1;
    }
    struct save_image img;
    char err[512];
    if (save_stream_parse(data, len, &img, err, sizeof(err))) {
        fprintf(stderr, "pvshim-save-info: %s: %s\n", argv[1], err);
        return 1;
    }
    if (records)
        list_records((const unsigned char *)data, &img);
    printf("file: %zu bytes, %s\n", len, img.xl_header ? "xl save file" : "bare libxc stream");
    if (img.xl_header)
        printf("xl: mandatory flags %#x, JSON config %u bytes\n", img.xl_mandatory_flags,
               img.xl_config.len);
    printf("libxc stream: version %u, written by Xen %u.%u, 64-bit PV\n", img.version,
           img.xen_major, img.xen_minor);
    printf("pfns: 0..%#x (%u p2m frames)\n", img.max_pfn, img.nr_p2m_frames);
    printf("PAGE_DATA: %u records, %u entries, %u pages of data\n", img.nr_page_records,
           img.nr_page_entries, img.nr_pages_with_data);
    if (img.has_tsc)
        printf("tsc: mode %u, %u kHz, nsec %llu, incarnation %u\n", img.tsc_mode, img.tsc_khz,
               (unsigned long long)img.tsc_nsec, img.tsc_incarnation);
    printf("cpuid policy: %u leaves, msr policy: %u entries\n",
           img.cpuid_policy.len / SAVE_CPUID_ENTRY_LEN, img.msr_policy.len / SAVE_MSR_ENTRY_LEN);
    unsigned up = 0;
    for (unsigned i = 0; i < img.nr_vcpus; i++)
        up += img.vcpu[i].present;
    unsigned had = save_vcpus_had(&img);
    printf("vcpus: %u (xl config max_vcpus %u), %u saved up: a VM of at least %u CPU(s)\n",
           had, img.config_max_vcpus, up, had);
    for (unsigned i = 0; i < img.nr_vcpus; i++) {
        const struct save_vcpu *v = &img.vcpu[i];
        if (!v->present)
            continue;
        const unsigned char *c = (const unsigned char *)data + v->basic.off;
        printf("vcpu %u: rip %#llx cr3 pfn %#llx, extended %u, xsave %u, msrs %u bytes\n", i,
               (unsigned long long)save_le64(c + 648),
               (unsigned long long)(save_le64(c + 4984 + 24) >> 12),
               v->extended.len, v->xsave.len, v->msrs.len);
    }
    free(data);
    return 0;
}
