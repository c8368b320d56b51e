/*
 * pvshim-inventory's judgement: each domain's type from the hypervisor's
 * flags, its kernel from what the toolstack recorded (inventory.h says
 * where), and the kernel's bytes through the shim's own image parser.
 */
#include "inventory.h"
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <pvshim/bundle.h>
#include <pvshim/decompress.h>
#include <pvshim/pv_features.h>
#include "jsonparse.h"

/* Room for the decompressed kernel: the shim's scratch area (guest_boot.c). */
#define INV_UNPACK_MAX  ((size_t)512 << 20)

const char *inv_type_name(enum inv_type t)
{
    switch (t) {
    case INV_PV: return "pv";
    case INV_PVH: return "pvh";
    case INV_HVM: return "hvm";
    }
    return "?";
}

const char *inv_verdict_name(enum inv_verdict v)
{
    switch (v) {
    case INV_NOT_PV: return "not-pv";
    case INV_DOM0: return "dom0";
    case INV_NO_KERNEL: return "no-kernel";
    case INV_RUNS: return "runs";
    case INV_REFUSED: return "refused";
    }
    return "?";
}

/*
 * PV without the HVM flag. Among HVM-container domains, an HVM guest has
 * the emulated platform (libxl asks for all of it but vPCI), a PVH one at
 * most LAPIC, IOAPIC and vPCI (PVH dom0): the PIT tells them apart.
 */
static enum inv_type classify(const struct inv_dominfo *i)
{
    if (!(i->flags & XEN_DOMINF_hvm_guest))
        return INV_PV;
    return (i->emulation_flags & XEN_X86_EMU_PIT) ? INV_HVM : INV_PVH;
}

static void format_uuid(const uint8_t h[16], char out[37])
{
    static const char hex[] = "0123456789abcdef";
    size_t o = 0;
    for (unsigned i = 0; i < 16; i++) {
        if (i == 4 || i == 6 || i == 8 || i == 10)
            out[o++] = '-';
        out[o++] = hex[h[i] >> 4];
        out[o++] = hex[h[i] & 15];
    }
    out[o] = '\0';
}

static char *xs_get(const struct inv_host *h, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static char *xs_get(const struct inv_host *h, const char *fmt, ...)
{
    char path[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(path, sizeof(path), fmt, ap);
    va_end(ap);
    return h->xs_read(h->ctx, path);
}

static char *dup_or_null(const char *s)
{
    return s && s[0] ? strdup(s) : NULL;
}

/* A PV domain's image/ keys, written by libxl when it built the domain. */
static void kernel_from_xenstore(const struct inv_host *h, struct inv_domain *d)
{
    char *vm = xs_get(h, "/local/domain/%u/vm", d->info.domid);
    char base[128];
    if (vm && vm[0])
        snprintf(base, sizeof(base), "%s/image", vm);
    else
        snprintf(base, sizeof(base), "/vm/%s/image", d->uuid);
    free(vm);
    char *k = xs_get(h, "%s/kernel", base);
    if (!k || !k[0]) {
        free(k);
        return;
    }
    d->kernel = k;
    d->kernel_source = "xenstore";
    d->ramdisk = xs_get(h, "%s/ramdisk", base);
    d->cmdline = xs_get(h, "%s/cmdline", base);
}

/* libxl's stored configuration of the domain (xl creates one for each). */
static void from_libxl_json(const struct inv_host *h, struct inv_domain *d)
{
    char path[256];
    snprintf(path, sizeof(path), INV_LIBXL_JSON_DIR "/userdata-d.%u.%s.libxl-json",
             d->info.domid, d->uuid);
    size_t len;
    uint8_t *text = h->read_file(h->ctx, path, &len);
    if (!text)
        return;
    /* libxl stores the text with its terminating NUL. */
    while (len && text[len - 1] == '\0')
        len--;
    struct jp_value root;
    char err[128];
    int rc = jp_parse((const char *)text, len, &root, err, sizeof(err));
    free(text);
    if (rc)
        return;
    const struct jp_value *b = jp_get(&root, "b_info");
    if (b && b->type == JP_OBJECT) {
        const struct jp_value *pvh = jp_get(b, "type.pvh");
        const struct jp_value *pv = jp_get(b, "type.pv");
        const char *shim = pvh ? jp_get_str(pvh, "pvshim") : NULL;
        /* libxl_defbool as JSON: "True", "False" or "<default>" (false). */
        if (d->type == INV_PVH && shim && strcmp(shim, "True") == 0) {
            d->pv_in_pvh = true;
            d->shim_path = dup_or_null(jp_get_str(pvh, "pvshim_path"));
        }
        if (!d->bootloader)
            d->bootloader = dup_or_null(jp_get_str(b, "bootloader"));
        if (!d->kernel) {
            /* b_info's own fields; type.pv's are their deprecated older home. */
            const char *k = jp_get_str(b, "kernel");
            if ((!k || !k[0]) && pv)
                k = jp_get_str(pv, "kernel");
            if (k && k[0]) {
                d->kernel = strdup(k);
                d->kernel_source = "libxl-json";
                const char *r = jp_get_str(b, "ramdisk");
                const char *c = jp_get_str(b, "cmdline");
                if ((!r || !r[0]) && pv)
                    r = jp_get_str(pv, "ramdisk");
                if ((!c || !c[0]) && pv)
                    c = jp_get_str(pv, "cmdline");
                d->ramdisk = dup_or_null(r);
                d->cmdline = dup_or_null(c);
            }
        }
    }
    jp_free(&root);
}

static void set_reason(struct inv_domain *d, enum inv_verdict v, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void set_reason(struct inv_domain *d, enum inv_verdict v, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(d->reason, sizeof(d->reason), fmt, ap);
    va_end(ap);
    d->verdict = v;
}

void inventory_judge_kernel(struct inv_domain *d, const uint8_t *bytes, size_t len)
{
    const char *wrapper = "";
    char err[200];
    if (bundle_is(bytes, len)) {
        /* A one-module bundle: pvshim boots the kernel part in its place. */
        struct bundle b;
        if (bundle_parse(bytes, len, &b, err, sizeof(err))) {
            set_reason(d, INV_REFUSED, "malformed pvshim bundle: %s", err);
            return;
        }
        bytes += b.kernel.offset;
        len = b.kernel.size;
        wrapper = "bundle: ";
    }

    size_t work_len = 0;
    for (int f = DECOMP_GZIP; f <= DECOMP_ZSTD; f++) {
        size_t w = decomp_workspace_size((enum decomp_format)f);
        work_len = w > work_len ? w : work_len;
    }
    /*
     * As much room as the shim gives the unpacked kernel, mapped without
     * reserving it: pages the decompressor never writes cost nothing.
     */
    size_t out_cap = INV_UNPACK_MAX;
    void *map = mmap(NULL, out_cap, PROT_READ | PROT_WRITE,
                     MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    uint8_t *out = map == MAP_FAILED ? NULL : map;
    void *work = work_len ? malloc(work_len) : NULL;
    if (!out || (work_len && !work)) {
        if (out)
            munmap(out, out_cap);
        free(work);
        set_reason(d, INV_NO_KERNEL, "cannot judge the kernel here: no memory to unpack it");
        return;
    }
    static const uint32_t offered[GUEST_FEATURE_WORDS] = { PV_FEATURES_KERNEL_MAY_REQUIRE };
    struct guest_image *img = malloc(sizeof(*img));
    int rc = img ? guest_image_parse(bytes, len, out, out_cap, work, work_len, offered,
                                     img, err, sizeof(err))
                 : -1;
    if (!img)
        snprintf(err, sizeof(err), "no memory");
    if (rc == 0) {
        d->image_parsed = true;
        snprintf(d->image.container, sizeof(d->image.container), "%s%s", wrapper,
                 img->container);
        d->image.elf_class = img->elf_class;
        d->image.entry = img->entry;
        d->image.virt_kstart = img->virt_kstart;
        d->image.virt_kend = img->virt_kend;
        d->image.xen = img->xen;
        const char *refused = guest_image_refusal(img);
        if (refused)
            set_reason(d, INV_REFUSED, "%s", refused);
        else
            d->verdict = INV_RUNS;
    } else {
        set_reason(d, INV_REFUSED, "%s", err);
    }
    free(img);
    free(work);
    munmap(out, out_cap);
}

/* Find, read and judge the kernel of a PV domain (or a PVH domain's PV guest). */
static void judge(const struct inv_host *h, struct inv_domain *d)
{
    if (!d->kernel) {
        if (d->bootloader)
            set_reason(d, INV_NO_KERNEL, "kernel not recorded: the bootloader %s chose it "
                       "inside the guest's disk", d->bootloader);
        else
            set_reason(d, INV_NO_KERNEL, "kernel not recorded: no image/kernel in xenstore, "
                       "no libxl configuration (" INV_LIBXL_JSON_DIR "/userdata-d.*.libxl-json)");
        return;
    }
    size_t len;
    errno = 0;
    uint8_t *bytes = h->read_file(h->ctx, d->kernel, &len);
    if (!bytes) {
        const char *why = errno ? strerror(errno) : "unreadable";
        if (d->bootloader)
            set_reason(d, INV_NO_KERNEL, "kernel %s cannot be read: %s (a copy the bootloader "
                       "%s extracted from the guest's disk, gone after the boot)",
                       d->kernel, why, d->bootloader);
        else
            set_reason(d, INV_NO_KERNEL, "kernel %s cannot be read: %s", d->kernel, why);
        return;
    }
    d->image_read = true;
    inventory_judge_kernel(d, bytes, len);
    free(bytes);
}

static void inspect(const struct inv_host *h, struct inv_domain *d)
{
    d->type = classify(&d->info);
    format_uuid(d->info.handle, d->uuid);
    d->name = xs_get(h, "/local/domain/%u/name", d->info.domid);
    if (d->type == INV_PV)
        kernel_from_xenstore(h, d);
    from_libxl_json(h, d);

    if (d->info.domid == 0) {
        d->verdict = INV_DOM0;
        return;
    }
    if (d->type == INV_PV || d->pv_in_pvh)
        judge(h, d);
    else
        d->verdict = INV_NOT_PV;
}

int inventory_collect(const struct inv_host *h, struct inv_domain **out, size_t *n,
                      char *err, size_t errlen)
{
    struct inv_dominfo *info = calloc(INV_MAX_DOMAINS, sizeof(*info));
    if (!info) {
        snprintf(err, errlen, "no memory");
        return -1;
    }
    errno = 0;
    int nr = h->list(h->ctx, info, INV_MAX_DOMAINS);
    if (nr < 0) {
        snprintf(err, errlen, "cannot list the domains: %s",
                 errno ? strerror(errno) : "unknown error");
        free(info);
        return -1;
    }
    struct inv_domain *d = calloc(nr ? (size_t)nr : 1, sizeof(*d));
    if (!d) {
        free(info);
        snprintf(err, errlen, "no memory");
        return -1;
    }
    for (int i = 0; i < nr; i++) {
        d[i].info = info[i];
        inspect(h, &d[i]);
    }
    free(info);
    *out = d;
    *n = (size_t)nr;
    return 0;
}

void inventory_free(struct inv_domain *d, size_t n)
{
    for (size_t i = 0; d && i < n; i++) {
        free(d[i].name);
        free(d[i].shim_path);
        free(d[i].kernel);
        free(d[i].ramdisk);
        free(d[i].cmdline);
        free(d[i].bootloader);
    }
    free(d);
}
