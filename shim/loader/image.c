/*
 * guest_image_parse(): from module 0 to a described PV kernel. Unwrap the
 * container (raw ELF, bzImage payload, whole-file compressed ELF), read
 * the ELF, take the Xen parameters from the notes or else the legacy
 * string, check them as Xen would, and lay the kernel out.
 */
#include <pvshim/string.h>
#include <pvshim/guest_image.h>
#include "loader.h"

/*
 * Text from the image goes into pvshim's log: a control character there
 * (a newline, an escape sequence) would forge log lines. Shown as '?'.
 */
static void make_printable(char *s, size_t cap)
{
    for (size_t i = 0; i < cap && s[i]; i++)
        if ((unsigned char)s[i] < 0x20 || (unsigned char)s[i] == 0x7f)
            s[i] = '?';
}

int loader_fail(struct loader_err *e, const char *fmt, ...)
{
    if (e->buf && e->len) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(e->buf, e->len, fmt, ap);
        va_end(ap);
        make_printable(e->buf, e->len);
    }
    return -1;
}

struct unpack_buffers {
    uint8_t *out;
    size_t out_cap;
    void *work;
    size_t work_len;
};

/*
 * in is either an ELF or a compressed ELF; outer names what wrapped it
 * ("bzImage") or is NULL for the whole module.
 */
static int unpack(const uint8_t *in, size_t len, const char *outer,
                  const struct unpack_buffers *b, struct guest_image *img,
                  struct loader_err *e)
{
    const char *where = outer ? "bzImage payload" : "module 0";

    if (elf_has_magic(in, len)) {
        img->elf = in;
        img->elf_size = len;
        snprintf(img->container, sizeof(img->container), "%s%sELF",
                 outer ? outer : "", outer ? "+" : "");
        return 0;
    }

    enum decomp_format fmt = decomp_detect(in, len);
    if (fmt == DECOMP_UNKNOWN) {
        uint8_t head[4] = { 0 };
        memcpy(head, in, MIN(len, sizeof(head)));
        if (outer)
            return loader_fail(e, "%s is neither ELF nor in a known compression format "
                               "(starts %02x %02x %02x %02x)", where,
                               head[0], head[1], head[2], head[3]);
        return loader_fail(e, "module 0 is not a kernel image: neither ELF, bzImage nor a "
                           "compressed ELF (starts %02x %02x %02x %02x)",
                           head[0], head[1], head[2], head[3]);
    }

    const char *name = decomp_format_name(fmt);
    if (!b->out || b->out_cap == 0)
        return loader_fail(e, "%s is %s-compressed but there is no room to decompress it",
                           where, name);
    size_t out_len = 0;
    int rc = decompress(fmt, in, len, b->out, b->out_cap, &out_len, NULL,
                        b->work, b->work_len);
    if (rc == DECOMP_ERR_OUTPUT_FULL)
        return loader_fail(e, "%s: the decompressed kernel is larger than the %zu bytes "
                           "available for it", where, b->out_cap);
    if (rc != DECOMP_OK)
        return loader_fail(e, "%s: %s decompression failed: %s", where, name,
                           decomp_strerror(rc));
    if (!elf_has_magic(b->out, out_len))
        return loader_fail(e, "%s decompresses (%s) to something that is not an ELF image",
                           where, name);

    img->elf = b->out;
    img->elf_size = out_len;
    if (outer)
        snprintf(img->container, sizeof(img->container), "%s+%s", outer, name);
    else
        snprintf(img->container, sizeof(img->container), "%s+ELF", name);
    return 0;
}

static int unwrap(const uint8_t *mod, size_t mod_len, const struct unpack_buffers *b,
                  struct guest_image *img, struct loader_err *e)
{
    if (!elf_has_magic(mod, mod_len) && bzimage_detect(mod, mod_len)) {
        const uint8_t *payload;
        size_t payload_len;
        if (bzimage_payload(mod, mod_len, &payload, &payload_len, e))
            return -1;
        return unpack(payload, payload_len, "bzImage", b, img, e);
    }
    return unpack(mod, mod_len, NULL, b, img, e);
}

int guest_image_parse(const uint8_t *mod, size_t mod_len,
                      uint8_t *out, size_t out_cap, void *work, size_t work_len,
                      const uint32_t supported_features[GUEST_FEATURE_WORDS],
                      struct guest_image *img, char *err, size_t errlen)
{
    struct loader_err e = { err, errlen };
    if (err && errlen)
        err[0] = '\0';
    memset(img, 0, sizeof(*img));

    if (!mod || mod_len == 0)
        return loader_fail(&e, "module 0 (the guest kernel) is empty");

    const struct unpack_buffers b = { out, out_cap, work, work_len };
    if (unwrap(mod, mod_len, &b, img, &e))
        return -1;

    struct elf_file f;
    if (elf_open(&f, img->elf, img->elf_size, &e))
        return -1;
    img->elf_class = f.cls;
    img->machine = f.machine;

    struct elf_load_seg segs[ELF_MAX_LOAD_SEGS];
    unsigned nr = 0;
    if (elf_load_segments(&f, segs, &nr, &e))
        return -1;

    struct xen_parse xp = { .p = &img->xen, .elf_class = f.cls };
    int notes = xen_notes_parse(&f, &xp, &e);
    if (notes < 0)
        return -1;
    if (notes > 0)
        img->xen.from_notes = true;
    else if (xen_guest_string_parse(&f, &xp, &e) < 0)
        return -1;

    if (xen_params_check(&xp, &e))
        return -1;
    make_printable(img->xen.guest_os, sizeof(img->xen.guest_os));
    make_printable(img->xen.guest_version, sizeof(img->xen.guest_version));
    make_printable(img->xen.xen_version, sizeof(img->xen.xen_version));
    make_printable(img->xen.loader, sizeof(img->xen.loader));
    static const uint32_t nothing[GUEST_FEATURE_WORDS];
    if (xen_features_check(&img->xen, supported_features ? supported_features : nothing, &e))
        return -1;
    if (guest_layout(img, &xp, segs, nr, f.entry, &e))
        return -1;
    uint64_t kend = 0;
    for (unsigned i = 0; i < img->nr_segments; i++)
        kend = MAX(kend, img->segments[i].vaddr + img->segments[i].memsz);
    return bsd_symtab_place(&f, img, kend, &e);
}
