/* Synthetic guest kernel images for the loader tests (see image_builder.h). */
#include <stdlib.h>
#include <string.h>
#include <xen/elfnote.h>
#include <xen/features.h>
#include <pvshim/decompress.h>
#include "image_builder.h"

#define PT_LOAD_ 1
#define PT_NOTE_ 4
#define PF_RX    5
#define PF_RW    6

static void w16(uint8_t *p, uint64_t v) { p[0] = v; p[1] = v >> 8; }
static void w32(uint8_t *p, uint64_t v) { w16(p, v); w16(p + 2, v >> 16); }
static void w64(uint8_t *p, uint64_t v) { w32(p, v); w32(p + 4, v >> 32); }
static size_t align(size_t v, size_t a) { return (v + a - 1) / a * a; }

/* ------------------------------------------------------------------ notes */

void ib_note(struct ib_image *im, const char *owner, uint32_t type, const void *desc,
             size_t len)
{
    if (im->nr_notes >= IB_MAX_NOTES || len > sizeof(im->notes[0].desc))
        abort();
    struct ib_note *n = &im->notes[im->nr_notes++];
    memset(n, 0, sizeof(*n));
    strncpy(n->owner, owner, sizeof(n->owner) - 1);
    n->type = type;
    memcpy(n->desc, desc, len);
    n->len = len;
}

void ib_note_str(struct ib_image *im, uint32_t type, const char *s)
{
    ib_note(im, "Xen", type, s, strlen(s) + 1);
}

void ib_note_u32(struct ib_image *im, uint32_t type, uint32_t v)
{
    uint8_t b[4];
    w32(b, v);
    ib_note(im, "Xen", type, b, 4);
}

void ib_note_u64(struct ib_image *im, uint32_t type, uint64_t v)
{
    uint8_t b[8];
    w64(b, v);
    ib_note(im, "Xen", type, b, 8);
}

void ib_clear_notes(struct ib_image *im)
{
    im->nr_notes = 0;
}

void ib_drop_note(struct ib_image *im, uint32_t type)
{
    unsigned j = 0;
    for (unsigned i = 0; i < im->nr_notes; i++)
        if (strcmp(im->notes[i].owner, "Xen") != 0 || im->notes[i].type != type)
            im->notes[j++] = im->notes[i];
    im->nr_notes = j;
}

static size_t serialize_notes(const struct ib_image *im, uint8_t *out)
{
    if (im->raw_notes_len) {
        memcpy(out, im->raw_notes, im->raw_notes_len);
        return im->raw_notes_len;
    }
    size_t off = 0;
    for (unsigned i = 0; i < im->nr_notes; i++) {
        const struct ib_note *n = &im->notes[i];
        size_t namesz = strlen(n->owner) + 1;
        if (off + 12 + align(namesz, 4) + align(n->len, 4) > IB_NOTES_MAX)
            abort();
        w32(out + off, namesz);
        w32(out + off + 4, n->len);
        w32(out + off + 8, n->type);
        memcpy(out + off + 12, n->owner, namesz);
        off += 12 + align(namesz, 4);
        memcpy(out + off, n->desc, n->len);
        off += align(n->len, 4);
    }
    return off;
}

/* ------------------------------------------------------------------ images */

static void base(struct ib_image *im, unsigned cls)
{
    memset(im, 0, sizeof(*im));
    im->cls = cls;
    im->type = 2;
    im->machine = cls == 64 ? 62 : 3;
    im->data_encoding = 1;
}

void ib_bare(struct ib_image *im, unsigned cls)
{
    base(im, cls);
    if (cls == 64) {
        im->entry = 0x1000000;
        im->seg[0] = (struct ib_seg){ .paddr = 0x1000000, .vaddr = 0xffffffff81000000,
                                      .filesz = 0x100, .memsz = 0x2000, .flags = PF_RX };
        im->seg[1] = (struct ib_seg){ .paddr = 0x1002000, .vaddr = 0xffffffff81002000,
                                      .filesz = 0x80, .memsz = 0x3000, .flags = PF_RW };
    } else {
        im->entry = 0xc0100000;
        im->seg[0] = (struct ib_seg){ .paddr = 0x100000, .vaddr = 0xc0100000,
                                      .filesz = 0x100, .memsz = 0x2000, .flags = PF_RX };
        im->seg[1] = (struct ib_seg){ .paddr = 0x102000, .vaddr = 0xc0102000,
                                      .filesz = 0x80, .memsz = 0x3000, .flags = PF_RW };
    }
    im->nr_segs = 2;
}

void ib_linux64(struct ib_image *im)
{
    ib_bare(im, 64);
    static const uint8_t build_id[8] = { 1, 2, 3, 4, 5, 6, 7, 8 };
    ib_note(im, "GNU", XEN_ELFNOTE_ENTRY, build_id, sizeof(build_id));
    ib_note_str(im, XEN_ELFNOTE_GUEST_OS, "linux");
    ib_note_str(im, XEN_ELFNOTE_GUEST_VERSION, "2.6");
    ib_note_str(im, XEN_ELFNOTE_XEN_VERSION, "xen-3.0");
    ib_note_u64(im, XEN_ELFNOTE_VIRT_BASE, 0xffffffff80000000);
    ib_note_u64(im, XEN_ELFNOTE_INIT_P2M, 0x8000000000);
    ib_note_u64(im, XEN_ELFNOTE_ENTRY, 0xffffffff81000010);
    ib_note_u64(im, XEN_ELFNOTE_HYPERCALL_PAGE, 0xffffffff81001000);
    ib_note_str(im, XEN_ELFNOTE_FEATURES, "!writable_page_tables");
    ib_note_u32(im, XEN_ELFNOTE_SUPPORTED_FEATURES,
                1u << XENFEAT_writable_page_tables | 1u << XENFEAT_linux_rsdp_unrestricted |
                1u << XENFEAT_dom0);
    ib_note_str(im, XEN_ELFNOTE_PAE_MODE, "yes");
    ib_note_str(im, XEN_ELFNOTE_LOADER, "generic");
    uint8_t pair[16];
    w64(pair, 1);
    w64(pair + 8, 1);
    ib_note(im, "Xen", XEN_ELFNOTE_L1_MFN_VALID, pair, sizeof(pair));
    ib_note_u32(im, XEN_ELFNOTE_SUSPEND_CANCEL, 1);
    ib_note_u32(im, XEN_ELFNOTE_MOD_START_PFN, 1);
    ib_note_u64(im, XEN_ELFNOTE_PADDR_OFFSET, 0);
}

void ib_pae32(struct ib_image *im)
{
    ib_bare(im, 32);
    ib_note_str(im, XEN_ELFNOTE_GUEST_OS, "linux");
    ib_note_str(im, XEN_ELFNOTE_GUEST_VERSION, "2.6");
    ib_note_str(im, XEN_ELFNOTE_XEN_VERSION, "xen-3.0");
    ib_note_u32(im, XEN_ELFNOTE_VIRT_BASE, 0xc0000000);
    ib_note_u32(im, XEN_ELFNOTE_PADDR_OFFSET, 0);
    ib_note_u32(im, XEN_ELFNOTE_ENTRY, 0xc0100010);
    ib_note_u32(im, XEN_ELFNOTE_HYPERCALL_PAGE, 0xc0101000);
    ib_note_str(im, XEN_ELFNOTE_FEATURES, "writable_page_tables|writable_descriptor_tables|"
                "auto_translated_physmap|pae_pgdir_above_4gb|supervisor_mode_kernel");
    ib_note_str(im, XEN_ELFNOTE_PAE_MODE, "yes");
    ib_note_str(im, XEN_ELFNOTE_LOADER, "generic");
    ib_note_u32(im, XEN_ELFNOTE_HV_START_LOW, 0xf5800000);
    uint8_t pair[16];
    w64(pair, 1);
    w64(pair + 8, 1);
    ib_note(im, "Xen", XEN_ELFNOTE_L1_MFN_VALID, pair, sizeof(pair));
}

void ib_legacy32(struct ib_image *im)
{
    ib_bare(im, 32);
    /* 2.6.18 i386 kernels carry virtual addresses in p_paddr. */
    im->seg[0].paddr = 0xc0100000;
    im->seg[1].paddr = 0xc0102000;
    im->xen_guest = "GUEST_OS=linux,GUEST_VER=2.6,XEN_VER=xen-3.0,VIRT_BASE=0xC0000000,"
                    "ELF_PADDR_OFFSET=0xC0000000,VIRT_ENTRY=0xC0100000,HYPERCALL_PAGE=0x101,"
                    "FEATURES=writable_page_tables|writable_descriptor_tables|"
                    "auto_translated_physmap|pae_pgdir_above_4gb|supervisor_mode_kernel,"
                    "PAE=yes[extended-cr3],LOADER=generic";
}

size_t ib_build(const struct ib_image *im, uint8_t *out, size_t cap)
{
    const bool is64 = im->cls == 64;
    const size_t ehsz = is64 ? 64 : 52, phsz = is64 ? 56 : 32, shsz = is64 ? 64 : 40;
    static uint8_t notes[IB_NOTES_MAX];
    size_t nlen = serialize_notes(im, notes);
    bool note_seg = nlen && im->notes_where != IB_NOTES_SECTION;
    bool note_sec = nlen && im->notes_where != IB_NOTES_SEGMENT && !im->no_sections;
    unsigned phnum = im->nr_segs + (note_seg ? 1 : 0);
    uint64_t seg_off[IB_MAX_SEGS];

    memset(out, 0, cap);
    size_t off = align(ehsz + phnum * phsz, 16);
    size_t notes_off = off;
    memcpy(out + off, notes, nlen);
    off = align(off + nlen, 16);

    for (unsigned i = 0; i < im->nr_segs; i++) {
        const struct ib_seg *s = &im->seg[i];
        if (s->fixed_offset) {
            seg_off[i] = s->offset;
            continue;
        }
        if (off + s->filesz > cap)
            abort();
        seg_off[i] = off;
        for (uint64_t k = 0; k < s->filesz; k++)
            out[off + k] = (uint8_t)(0x40 + i * 0x11 + k);
        off = align(off + s->filesz, 16);
    }

    size_t shoff = 0, shnum = 0;
    if (!im->no_sections) {
        static const char shstr[] = "\0.shstrtab\0.note.xen\0__xen_guest";
        const size_t n_shstrtab = 1, n_note = 11, n_xen_guest = 21;
        size_t shstr_off = off;
        memcpy(out + off, shstr, sizeof(shstr));
        off = align(off + sizeof(shstr), 8);
        size_t xg_off = off, xg_len = 0;
        if (im->xen_guest) {
            xg_len = im->xen_guest_len ? im->xen_guest_len : strlen(im->xen_guest) + 1;
            memcpy(out + off, im->xen_guest, xg_len);
            off = align(off + xg_len, 8);
        }
        shoff = off;
        struct { uint32_t name, type; uint64_t offset, size; } sh[4];
        memset(sh, 0, sizeof(sh));
        shnum = 1;
        sh[shnum++] = (typeof(sh[0])){ n_shstrtab, 3, shstr_off, sizeof(shstr) };
        if (note_sec)
            sh[shnum++] = (typeof(sh[0])){ n_note, 7, notes_off, nlen };
        if (im->xen_guest)
            sh[shnum++] = (typeof(sh[0])){ n_xen_guest, 1, xg_off, xg_len };
        for (size_t i = 0; i < shnum; i++) {
            uint8_t *p = out + shoff + i * shsz;
            w32(p, sh[i].name);
            w32(p + 4, sh[i].type);
            if (is64) {
                w64(p + 24, sh[i].offset);
                w64(p + 32, sh[i].size);
            } else {
                w32(p + 16, sh[i].offset);
                w32(p + 20, sh[i].size);
            }
        }
        off = shoff + shnum * shsz;
    }

    for (unsigned i = 0; i < phnum; i++) {
        uint8_t *p = out + ehsz + i * phsz;
        struct ib_seg s;
        uint64_t offset;
        if (i < im->nr_segs) {
            s = im->seg[i];
            offset = seg_off[i];
        } else {
            s = (struct ib_seg){ .type = PT_NOTE_, .flags = 4, .filesz = nlen, .memsz = nlen };
            offset = im->note_phdr_offset_zero ? 0 : notes_off;
        }
        uint32_t type = s.type ? s.type : PT_LOAD_;
        w32(p, type);
        if (is64) {
            w32(p + 4, s.flags);
            w64(p + 8, offset);
            w64(p + 16, s.vaddr);
            w64(p + 24, s.paddr);
            w64(p + 32, s.filesz);
            w64(p + 40, s.memsz);
            w64(p + 48, 0x1000);
        } else {
            w32(p + 4, offset);
            w32(p + 8, s.vaddr);
            w32(p + 12, s.paddr);
            w32(p + 16, s.filesz);
            w32(p + 20, s.memsz);
            w32(p + 24, s.flags);
            w32(p + 28, 0x1000);
        }
    }

    memcpy(out, "\177ELF", 4);
    out[4] = is64 ? 2 : 1;
    out[5] = im->data_encoding;
    out[6] = 1;
    w16(out + 16, im->type);
    w16(out + 18, im->machine);
    w32(out + 20, 1);
    if (is64) {
        w64(out + 24, im->entry);
        w64(out + 32, ehsz);
        w64(out + 40, shoff);
        w16(out + 52, ehsz);
        w16(out + 54, phsz);
        w16(out + 56, phnum);
        w16(out + 58, shsz);
        w16(out + 60, shnum);
        w16(out + 62, shnum ? 1 : 0);
    } else {
        w32(out + 24, im->entry);
        w32(out + 28, ehsz);
        w32(out + 32, shoff);
        w16(out + 40, ehsz);
        w16(out + 42, phsz);
        w16(out + 44, phnum);
        w16(out + 46, shsz);
        w16(out + 48, shnum);
        w16(out + 50, shnum ? 1 : 0);
    }
    return off;
}

/* ------------------------------------------------------------------ containers */

size_t ib_bzimage(const uint8_t *payload, size_t len, unsigned setup_sects,
                  unsigned version, uint8_t *out, size_t cap)
{
    unsigned sects = setup_sects ? setup_sects : 4;
    size_t pm_start = (sects + 1) * 512;
    /* Linux puts a small decompressor before the payload; pretend 0x100 bytes. */
    size_t payload_offset = 0x100;
    size_t total = pm_start + payload_offset + len + 4;
    if (total > cap)
        abort();
    memset(out, 0, total);
    out[0] = 'M';
    out[1] = 'Z';
    out[0x1f1] = setup_sects;
    w16(out + 0x1fe, 0xaa55);
    memcpy(out + 0x202, "HdrS", 4);
    w16(out + 0x206, version);
    w32(out + 0x248, payload_offset);
    w32(out + 0x24c, len);
    memset(out + pm_start, 0x90, payload_offset);
    memcpy(out + pm_start + payload_offset, payload, len);
    /* Linux appends the decompressed size after the payload. */
    w32(out + pm_start + payload_offset + len, 0x12345678);
    return total;
}

uint32_t ib_crc32(const uint8_t *p, size_t len)
{
    uint32_t c = 0xffffffff;
    for (size_t i = 0; i < len; i++) {
        c ^= p[i];
        for (int k = 0; k < 8; k++)
            c = c & 1 ? (c >> 1) ^ 0xedb88320 : c >> 1;
    }
    return ~c;
}

size_t ib_gzip_stored(const uint8_t *in, size_t len, uint8_t *out, size_t cap)
{
    size_t off = 0;
    static const uint8_t hdr[10] = { 0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3 };
    if (len + len / 65535 * 5 + 64 > cap)
        abort();
    memcpy(out, hdr, sizeof(hdr));
    off = sizeof(hdr);
    size_t pos = 0;
    do {
        size_t n = len - pos > 65535 ? 65535 : len - pos;
        out[off++] = pos + n == len ? 1 : 0;    /* BFINAL, BTYPE 00 (stored) */
        w16(out + off, n);
        w16(out + off + 2, ~n & 0xffff);
        off += 4;
        memcpy(out + off, in + pos, n);
        off += n;
        pos += n;
    } while (pos < len);
    w32(out + off, ib_crc32(in, len));
    w32(out + off + 4, len);
    return off + 8;
}

static size_t varint(uint8_t *p, uint64_t v)
{
    size_t n = 0;
    while (v >= 0x80) {
        p[n++] = (uint8_t)(v | 0x80);
        v >>= 7;
    }
    p[n++] = (uint8_t)v;
    return n;
}

size_t ib_xz_uncompressed(const uint8_t *in, size_t len, uint8_t *out, size_t cap)
{
    if (len + len / 65536 * 3 + 128 > cap)
        abort();
    size_t off = 0;
    /* Stream header: magic, flags (check = CRC32), CRC32 of the flags. */
    static const uint8_t magic[6] = { 0xfd, '7', 'z', 'X', 'Z', 0 };
    memcpy(out, magic, 6);
    out[6] = 0;
    out[7] = 1;
    w32(out + 8, ib_crc32(out + 6, 2));
    off = 12;

    /* Block header: one filter, LZMA2 with a 1 MiB dictionary. */
    size_t bh = off;
    uint8_t *b = out + bh;
    b[0] = 12 / 4 - 1;
    b[1] = 0;
    b[2] = 0x21;
    b[3] = 1;
    b[4] = 16;
    b[5] = b[6] = b[7] = 0;
    w32(b + 8, ib_crc32(b, 8));
    off += 12;

    /* LZMA2 uncompressed chunks, the first resetting the dictionary. */
    size_t data_start = off, pos = 0;
    bool first = true;
    while (pos < len) {
        size_t n = len - pos > 65536 ? 65536 : len - pos;
        out[off++] = first ? 1 : 2;
        out[off++] = (uint8_t)((n - 1) >> 8);
        out[off++] = (uint8_t)(n - 1);
        memcpy(out + off, in + pos, n);
        off += n;
        pos += n;
        first = false;
    }
    out[off++] = 0;
    size_t compressed = off - data_start;
    while ((off - bh) % 4)
        out[off++] = 0;
    w32(out + off, ib_crc32(in, len));
    off += 4;
    uint64_t unpadded = 12 + compressed + 4;

    /* Index: one record. */
    size_t idx = off;
    out[off++] = 0;
    off += varint(out + off, 1);
    off += varint(out + off, unpadded);
    off += varint(out + off, len);
    while ((off - idx) % 4)
        out[off++] = 0;
    w32(out + off, ib_crc32(out + idx, off - idx));
    off += 4;
    size_t index_size = off - idx;

    /* Stream footer. */
    uint8_t *f = out + off;
    w32(f + 4, index_size / 4 - 1);
    f[8] = 0;
    f[9] = 1;
    w32(f, ib_crc32(f + 4, 6));
    f[10] = 'Y';
    f[11] = 'Z';
    return off + 12;
}

size_t ib_zstd_raw(const uint8_t *in, size_t len, uint8_t *out, size_t cap)
{
    if (len + len / 65536 * 3 + 32 > cap)
        abort();
    static const uint8_t magic[4] = { 0x28, 0xb5, 0x2f, 0xfd };
    memcpy(out, magic, 4);
    out[4] = 0xa0;              /* 4-byte content size, single segment, no checksum */
    w32(out + 5, len);
    size_t off = 9, pos = 0;
    do {
        size_t n = len - pos > 65536 ? 65536 : len - pos;
        bool last = pos + n == len;
        uint32_t bh = (uint32_t)(n << 3) | (last ? 1 : 0);    /* raw block */
        out[off] = bh;
        out[off + 1] = bh >> 8;
        out[off + 2] = bh >> 16;
        off += 3;
        memcpy(out + off, in + pos, n);
        off += n;
        pos += n;
    } while (pos < len);
    return off;
}

size_t ib_lz4_legacy_literals(const uint8_t *in, size_t len, uint8_t *out, size_t cap)
{
    if (len + len / 255 + 32 > cap)
        abort();
    static const uint8_t magic[4] = { 0x02, 0x21, 0x4c, 0x18 };
    memcpy(out, magic, 4);
    size_t size_at = 4, off = 8;
    /* One block holding one literal-only sequence. */
    if (len >= 15) {
        out[off++] = 0xf0;
        size_t rest = len - 15;
        while (rest >= 255) {
            out[off++] = 255;
            rest -= 255;
        }
        out[off++] = (uint8_t)rest;
    } else {
        out[off++] = (uint8_t)(len << 4);
    }
    memcpy(out + off, in, len);
    off += len;
    w32(out + size_at, off - 8);
    return off;
}

/* ------------------------------------------------------------------ parsing */

const uint32_t ib_default_features[GUEST_FEATURE_WORDS] = {
    1u << XENFEAT_writable_page_tables | 1u << XENFEAT_writable_descriptor_tables |
    1u << XENFEAT_auto_translated_physmap | 1u << XENFEAT_pae_pgdir_above_4gb |
    1u << XENFEAT_supervisor_mode_kernel | 1u << XENFEAT_linux_rsdp_unrestricted,
};

static struct ib_result result;
static uint8_t *mod_copy, *out_buf, *work_buf;
static size_t out_buf_cap, out_cap_next;

void ib_release(void)
{
    free(mod_copy);
    free(out_buf);
    free(work_buf);
    mod_copy = out_buf = work_buf = NULL;
    out_buf_cap = 0;
}

void ib_set_out_cap(size_t cap)
{
    out_cap_next = cap;
}

static size_t work_size(void)
{
    size_t work_len = 16;
    for (int f = DECOMP_GZIP; f <= DECOMP_ZSTD; f++) {
        size_t w = decomp_workspace_size((enum decomp_format)f);
        if (w > work_len)
            work_len = w;
    }
    return work_len;
}

struct ib_result *ib_parse(const uint8_t *buf, size_t len, const uint32_t *offered)
{
    /* The output and work buffers are kept between calls (exactly sized, for ASan). */
    size_t out_cap = out_cap_next ? out_cap_next : (1u << 20);
    if (out_buf_cap != out_cap) {
        ib_release();
        out_buf = malloc(out_cap);
        out_buf_cap = out_cap;
    }
    if (!work_buf)
        work_buf = malloc(work_size());
    free(mod_copy);
    mod_copy = malloc(len ? len : 1);
    if (!mod_copy || !out_buf || !work_buf)
        abort();
    if (len)
        memcpy(mod_copy, buf, len);
    memset(&result, 0, sizeof(result));
    result.mod = mod_copy;
    result.rc = guest_image_parse(mod_copy, len, out_buf, out_cap, work_buf, work_size(),
                                  offered ? offered : ib_default_features, &result.img,
                                  result.err, sizeof(result.err));
    return &result;
}

struct ib_result *ib_parse_image(const struct ib_image *im)
{
    static uint8_t buf[1 << 16];
    size_t len = ib_build(im, buf, sizeof(buf));
    return ib_parse(buf, len, NULL);
}
