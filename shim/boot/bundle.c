/*
 * The pvshim bundle (include/pvshim/bundle.h): checking its header, and
 * turning a bundle in module 0 into the kernel, initrd and command line
 * the rest of pvshim expects from plain modules. Shared with the host
 * tool, pvshim-bundle.
 */
#include <pvshim/bundle.h>
#include <pvshim/bootinfo.h>
#include <pvshim/error.h>
#include <pvshim/phys.h>
#include <pvshim/string.h>

static uint64_t get_le(const uint8_t *p, unsigned n)
{
    uint64_t v = 0;
    for (unsigned i = n; i-- > 0;)
        v = (v << 8) | p[i];
    return v;
}

static void put_le(uint8_t *p, uint64_t v, unsigned n)
{
    for (unsigned i = 0; i < n; i++, v >>= 8)
        p[i] = (uint8_t)v;
}

bool bundle_is(const void *data, uint64_t len)
{
    return len >= BUNDLE_MAGIC_LEN && memcmp(data, BUNDLE_MAGIC, BUNDLE_MAGIC_LEN) == 0;
}

/* A part must be empty at offset 0, or lie within [header_size, total_size). */
static int check_part(const struct bundle *b, const struct bundle_part *p,
                      const char *name, char *err, size_t errlen)
{
    if (p->size == 0) {
        if (p->offset != 0)
            return error_set(err, errlen, -1, "bundle: empty %s has offset %#llx (want 0)",
                             name, (unsigned long long)p->offset);
        return 0;
    }
    if (p->offset < b->header_size || p->offset > b->total_size ||
        p->size > b->total_size - p->offset)
        return error_set(err, errlen, -1,
                         "bundle: %s (%llu bytes at offset %#llx) lies outside the bundle's "
                         "%llu bytes after its %u-byte header", name,
                         (unsigned long long)p->size, (unsigned long long)p->offset,
                         (unsigned long long)b->total_size, b->header_size);
    return 0;
}

static bool parts_overlap(const struct bundle_part *a, const struct bundle_part *b)
{
    return a->size && b->size && a->offset < b->offset + b->size &&
           b->offset < a->offset + a->size;
}

int bundle_parse(const void *data, uint64_t module_size, struct bundle *b,
                 char *err, size_t errlen)
{
    const uint8_t *h = data;
    memset(b, 0, sizeof(*b));
    if (!bundle_is(data, module_size))
        return error_set(err, errlen, -1, "bundle: no \"%s\" magic", BUNDLE_MAGIC);
    if (module_size < BUNDLE_HEADER_SIZE)
        return error_set(err, errlen, -1,
                         "bundle: truncated: %llu bytes, shorter than its %u-byte header",
                         (unsigned long long)module_size, BUNDLE_HEADER_SIZE);
    b->version = (uint32_t)get_le(h + BUNDLE_OFF_VERSION, 4);
    b->header_size = (uint32_t)get_le(h + BUNDLE_OFF_HEADER_SIZE, 4);
    b->total_size = get_le(h + BUNDLE_OFF_TOTAL_SIZE, 8);
    b->kernel.offset = get_le(h + BUNDLE_OFF_KERNEL_OFFSET, 8);
    b->kernel.size = get_le(h + BUNDLE_OFF_KERNEL_SIZE, 8);
    b->initrd.offset = get_le(h + BUNDLE_OFF_INITRD_OFFSET, 8);
    b->initrd.size = get_le(h + BUNDLE_OFF_INITRD_SIZE, 8);
    b->cmdline.offset = get_le(h + BUNDLE_OFF_CMDLINE_OFFSET, 8);
    b->cmdline.size = get_le(h + BUNDLE_OFF_CMDLINE_SIZE, 8);
    uint64_t flags = get_le(h + BUNDLE_OFF_FLAGS, 8);
    uint64_t reserved = get_le(h + BUNDLE_OFF_RESERVED, 8);

    if (b->version != BUNDLE_VERSION)
        return error_set(err, errlen, -1, "bundle: version %u is unknown (this pvshim reads %u)",
                         b->version, BUNDLE_VERSION);
    if (b->header_size < BUNDLE_HEADER_SIZE)
        return error_set(err, errlen, -1, "bundle: header size %u is below %u",
                         b->header_size, BUNDLE_HEADER_SIZE);
    if (flags || reserved)
        return error_set(err, errlen, -1,
                         "bundle: reserved header fields are not zero (flags %#llx, %#llx)",
                         (unsigned long long)flags, (unsigned long long)reserved);
    if (b->total_size > module_size)
        return error_set(err, errlen, -1,
                         "bundle: truncated: its header says %llu bytes, the module has %llu",
                         (unsigned long long)b->total_size, (unsigned long long)module_size);
    if (b->header_size > b->total_size)
        return error_set(err, errlen, -1, "bundle: header size %u exceeds the total size %llu",
                         b->header_size, (unsigned long long)b->total_size);
    if (b->kernel.size == 0)
        return error_set(err, errlen, -1, "bundle: no guest kernel (kernel size 0)");
    if (check_part(b, &b->kernel, "kernel", err, errlen) ||
        check_part(b, &b->initrd, "initrd", err, errlen) ||
        check_part(b, &b->cmdline, "command line", err, errlen))
        return -1;
    if (parts_overlap(&b->kernel, &b->initrd) || parts_overlap(&b->kernel, &b->cmdline) ||
        parts_overlap(&b->initrd, &b->cmdline))
        return error_set(err, errlen, -1, "bundle: kernel, initrd and command line overlap");
    if (b->cmdline.size > BUNDLE_CMDLINE_MAX)
        return error_set(err, errlen, -1, "bundle: command line is %llu bytes (at most %u)",
                         (unsigned long long)b->cmdline.size, BUNDLE_CMDLINE_MAX);
    if (b->cmdline.size && memchr(h + b->cmdline.offset, 0, b->cmdline.size))
        return error_set(err, errlen, -1, "bundle: command line contains a NUL byte");
    return 0;
}

void bundle_write_header(const struct bundle *b, uint8_t out[BUNDLE_HEADER_SIZE])
{
    memset(out, 0, BUNDLE_HEADER_SIZE);
    memcpy(out, BUNDLE_MAGIC, BUNDLE_MAGIC_LEN);
    put_le(out + BUNDLE_OFF_VERSION, b->version, 4);
    put_le(out + BUNDLE_OFF_HEADER_SIZE, b->header_size, 4);
    put_le(out + BUNDLE_OFF_TOTAL_SIZE, b->total_size, 8);
    put_le(out + BUNDLE_OFF_KERNEL_OFFSET, b->kernel.offset, 8);
    put_le(out + BUNDLE_OFF_KERNEL_SIZE, b->kernel.size, 8);
    put_le(out + BUNDLE_OFF_INITRD_OFFSET, b->initrd.offset, 8);
    put_le(out + BUNDLE_OFF_INITRD_SIZE, b->initrd.size, 8);
    put_le(out + BUNDLE_OFF_CMDLINE_OFFSET, b->cmdline.offset, 8);
    put_le(out + BUNDLE_OFF_CMDLINE_SIZE, b->cmdline.size, 8);
}

#ifndef PVSHIM_BUNDLE_TOOL
int bootinfo_unpack_bundle(struct boot_info *bi, char *err, size_t errlen)
{
    if (bi->nr_modules == 0)
        return 0;
    struct boot_module *m0 = &bi->modules[0];
    const uint8_t *magic = m0->size >= BUNDLE_MAGIC_LEN
                           ? phys_access(m0->start, BUNDLE_MAGIC_LEN) : NULL;
    if (!magic || !bundle_is(magic, m0->size))
        return 0;
    if (bi->nr_modules > 1)
        return error_set(err, errlen, -1,
                         "module 0 is a pvshim bundle, so it must be the only module "
                         "(%u were given)", bi->nr_modules);
    const uint8_t *data = phys_access(m0->start, m0->size);
    if (!data)
        return error_set(err, errlen, -1, "bundle in module 0 (%#llx, %llu bytes) is out of reach",
                         (unsigned long long)m0->start, (unsigned long long)m0->size);
    struct bundle b;
    if (bundle_parse(data, m0->size, &b, err, errlen))
        return -1;

    /* The guest's command line: the bundle's, then the module's own string. */
    char cmdline[MODULE_CMDLINE_MAX];
    size_t n = b.cmdline.size;
    memcpy(cmdline, data + b.cmdline.offset, n);
    size_t own = strlen(m0->cmdline);
    if (own) {
        if (n + (n ? 1 : 0) + own >= sizeof(cmdline))
            return error_set(err, errlen, -1,
                             "bundle: its command line and module 0's together exceed %zu bytes",
                             sizeof(cmdline) - 1);
        if (n)
            cmdline[n++] = ' ';
        memcpy(cmdline + n, m0->cmdline, own);
        n += own;
    }
    cmdline[n] = '\0';

    paddr_t base = m0->start;
    struct boot_module *m1 = &bi->modules[1];
    memset(m1, 0, sizeof(*m1));
    if (b.initrd.size) {
        m1->start = base + b.initrd.offset;
        m1->size = b.initrd.size;
        strlcpy_s(m1->name, "bundle:initrd", sizeof(m1->name));
        bi->nr_modules = 2;
    }
    m0->start = base + b.kernel.offset;
    m0->size = b.kernel.size;
    strlcpy_s(m0->name, "bundle:kernel", sizeof(m0->name));
    memcpy(m0->cmdline, cmdline, n + 1);
    return 1;
}
#endif
