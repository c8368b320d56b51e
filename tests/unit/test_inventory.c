/*
 * pvshim-inventory on a fake Xen host (domain list, xenstore, files): each
 * domain's type from the hypervisor's flags, its kernel from xenstore or
 * libxl's stored configuration, pvshim's verdict from the shim's parser,
 * and both outputs (the JSON read back with the tools' own JSON reader).
 * One table of domains drives the cases: dom0, PV guests whose kernel
 * pvshim runs, refuses (32-bit, an unoffered required feature, not a
 * kernel) or cannot find, a pygrub guest, PVH, HVM, PV-in-PVH with a
 * bundle, and a guest known only from libxl's configuration.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "../../xen/tools/inventory.h"
#include "../../xen/tools/jsonparse.h"
#include <pvshim/bundle.h>
#include <xen/elfnote.h>
#include <xen/features.h>
#include "unit.h"
#include "image_builder.h"

/* ---- the fake host */

#define FAKE_MAX 16

struct fake_file {
    const char *path;
    const uint8_t *data;
    size_t len;
};

struct fake_host {
    struct inv_dominfo doms[FAKE_MAX];
    unsigned nr_doms;
    int list_errno;                 /* non-zero: the list fails with it */
    const char *xs[64][2];          /* path, value */
    unsigned nr_xs;
    struct fake_file files[FAKE_MAX];
    unsigned nr_files;
    unsigned reads;                 /* read_file calls, all paths */
};

static int fake_list(void *ctx, struct inv_dominfo *out, unsigned max)
{
    struct fake_host *f = ctx;
    if (f->list_errno) {
        errno = f->list_errno;
        return -1;
    }
    unsigned n = f->nr_doms < max ? f->nr_doms : max;
    memcpy(out, f->doms, n * sizeof(*out));
    return (int)n;
}

static char *fake_xs_read(void *ctx, const char *path)
{
    struct fake_host *f = ctx;
    for (unsigned i = 0; i < f->nr_xs; i++)
        if (strcmp(f->xs[i][0], path) == 0)
            return strdup(f->xs[i][1]);
    return NULL;
}

static uint8_t *fake_read_file(void *ctx, const char *path, size_t *len)
{
    struct fake_host *f = ctx;
    f->reads++;
    for (unsigned i = 0; i < f->nr_files; i++)
        if (strcmp(f->files[i].path, path) == 0) {
            uint8_t *p = malloc(f->files[i].len ? f->files[i].len : 1);
            memcpy(p, f->files[i].data, f->files[i].len);
            *len = f->files[i].len;
            return p;
        }
    errno = ENOENT;
    return NULL;
}

static struct fake_host host;
static const struct inv_host fake = { &host, fake_list, fake_xs_read, fake_read_file };

static void xs(const char *path, const char *value)
{
    ck_assert_uint_lt(host.nr_xs, 64);
    host.xs[host.nr_xs][0] = path;
    host.xs[host.nr_xs][1] = value;
    host.nr_xs++;
}

static void file(const char *path, const void *data, size_t len)
{
    ck_assert_uint_lt(host.nr_files, FAKE_MAX);
    host.files[host.nr_files++] = (struct fake_file){ path, data, len };
}

/* ---- kernels */

static uint8_t k_linux64[16384], k_pae32[16384], k_smk[16384], k_bundle[32768];
static size_t k_linux64_len, k_pae32_len, k_smk_len, k_bundle_len;
static const char k_text[] = "#!/bin/sh\necho not a kernel\n";

static void build_kernels(void)
{
    struct ib_image im;
    ib_linux64(&im);
    k_linux64_len = ib_build(&im, k_linux64, sizeof(k_linux64));
    ib_pae32(&im);
    k_pae32_len = ib_build(&im, k_pae32, sizeof(k_pae32));
    /* A 64-bit kernel that requires a feature pvshim does not offer. */
    ib_linux64(&im);
    ib_note_str(&im, XEN_ELFNOTE_FEATURES, "!supervisor_mode_kernel");
    k_smk_len = ib_build(&im, k_smk, sizeof(k_smk));
    ck_assert(k_linux64_len && k_pae32_len && k_smk_len);

    /* The one-module bundle around the 64-bit kernel, with a command line. */
    static const char cmdline[] = "console=hvc0";
    struct bundle b = {
        .version = BUNDLE_VERSION, .header_size = BUNDLE_HEADER_SIZE,
        .kernel = { BUNDLE_ALIGN, k_linux64_len },
        .cmdline = { BUNDLE_ALIGN + k_linux64_len, sizeof(cmdline) - 1 },
    };
    b.total_size = b.cmdline.offset + b.cmdline.size;
    ck_assert_uint_le(b.total_size, sizeof(k_bundle));
    memset(k_bundle, 0, sizeof(k_bundle));
    bundle_write_header(&b, k_bundle);
    memcpy(k_bundle + b.kernel.offset, k_linux64, k_linux64_len);
    memcpy(k_bundle + b.cmdline.offset, cmdline, b.cmdline.size);
    k_bundle_len = b.total_size;
}

/* ---- the domains */

#define EMU_HVM (XEN_X86_EMU_ALL & ~XEN_X86_EMU_VPCI)  /* what libxl gives an HVM domU */
#define EMU_PVH XEN_X86_EMU_LAPIC                       /* ... and a PVH domU */

struct row {
    uint32_t domid;
    const char *name;
    bool hvm;
    uint32_t emu;
    const char *type;               /* expected "pv", "pvh", "hvm" */
    const char *verdict;            /* expected inv_verdict_name() */
    const char *reason;             /* expected in the reason, or NULL: none */
    const char *kernel;             /* expected kernel path, or NULL */
    const char *source;             /* expected kernel_source */
    bool pv_in_pvh;
    unsigned elf_class;             /* expected when the image parsed, else 0 */
};

/* The UUID of domain N is N's byte sixteen times (format_uuid's input). */
#define UUID(n) n n n n "-" n n "-" n n "-" n n "-" n n n n n n

static const char json_grub[] =
    "{\"c_info\":{\"type\":\"pv\",\"name\":\"grub\"},"
    "\"b_info\":{\"max_vcpus\":1,\"bootloader\":\"pygrub\",\"type.pv\":{}}}";
static const char json_shim[] =
    "{\"c_info\":{\"type\":\"pvh\"},\"b_info\":{\"kernel\":\"/boot/web.bundle\","
    "\"cmdline\":\"root=/dev/xvda1\",\"type.pvh\":{\"pvshim\":\"True\","
    "\"pvshim_path\":\"/usr/lib/pvshim/pvshim-pvh\"}}}";
static const char json_pvh_noshim[] =
    "{\"b_info\":{\"kernel\":\"/boot/vmlinuz-pvh\",\"type.pvh\":{\"pvshim\":\"<default>\"}}}";
static const char json_old[] =
    "{\"b_info\":{\"type.pv\":{\"kernel\":\"/boot/vmlinuz-web\",\"ramdisk\":\"/boot/initrd\"}}}";

static const struct row rows[] = {
    { 0, "Domain-0", false, 0, "pv", "dom0", NULL, NULL, NULL, false, 0 },
    { 1, "web", false, 0, "pv", "runs", NULL, "/boot/vmlinuz-web", "xenstore", false, 64 },
    { 2, "old32", false, 0, "pv", "runs", NULL, "/boot/vmlinuz-32", "xenstore", false, 32 },
    { 3, "gone", false, 0, "pv", "no-kernel", "/boot/vmlinuz-gone cannot be read: No such file",
      "/boot/vmlinuz-gone", "xenstore", false, 0 },
    { 4, "grub", false, 0, "pv", "no-kernel", "bootloader pygrub",
      "/var/run/xen/pygrub/boot_kernel.Ab12", "xenstore", false, 0 },
    { 5, "pvh1", true, EMU_PVH, "pvh", "not-pv", NULL, "/boot/vmlinuz-pvh", "libxl-json", false, 0 },
    { 6, "hvm1", true, EMU_HVM, "hvm", "not-pv", NULL, NULL, NULL, false, 0 },
    { 7, "shimmed", true, EMU_PVH, "pvh", "runs", NULL, "/boot/web.bundle", "libxl-json", true, 64 },
    { 8, "smk", false, 0, "pv", "refused", "'supervisor_mode_kernel' that pvshim does not offer",
      "/boot/vmlinuz-smk", "xenstore", false, 0 },
    { 9, "script", false, 0, "pv", "refused", "not a kernel image", "/boot/run.sh", "xenstore",
      false, 0 },
    { 10, "jsononly", false, 0, "pv", "runs", NULL, "/boot/vmlinuz-web", "libxl-json", false, 64 },
    { 11, "norecord", false, 0, "pv", "no-kernel", "kernel not recorded", NULL, NULL, false, 0 },
};
#define NR_ROWS (sizeof(rows) / sizeof(rows[0]))

static void setup_host(void)
{
    memset(&host, 0, sizeof(host));
    build_kernels();
    for (unsigned i = 0; i < NR_ROWS; i++) {
        struct inv_dominfo *d = &host.doms[host.nr_doms++];
        d->domid = rows[i].domid;
        d->flags = (rows[i].hvm ? XEN_DOMINF_hvm_guest : 0) | XEN_DOMINF_running;
        d->emulation_flags = rows[i].emu;
        d->tot_pages = 65536 + i;
        d->max_pages = 65536 + 256;
        d->max_vcpu_id = i % 3;
        d->nr_online_vcpus = i % 3 + 1;
        memset(d->handle, (int)rows[i].domid, sizeof(d->handle));
    }
    static char names[NR_ROWS][2][40];
    for (unsigned i = 0; i < NR_ROWS; i++) {
        snprintf(names[i][0], sizeof(names[i][0]), "/local/domain/%u/name", rows[i].domid);
        snprintf(names[i][1], sizeof(names[i][1]), "%s", rows[i].name);
        xs(names[i][0], names[i][1]);
    }
    /* Domain 1 names its VM path; the others are found at /vm/UUID. */
    xs("/local/domain/1/vm", "/vm/web-vm");
    xs("/vm/web-vm/image/ostype", "linux");
    xs("/vm/web-vm/image/kernel", "/boot/vmlinuz-web");
    xs("/vm/web-vm/image/ramdisk", "/boot/initrd.img-web");
    xs("/vm/web-vm/image/cmdline", "root=/dev/xvda1 ro");
    xs("/vm/" UUID("02") "/image/kernel", "/boot/vmlinuz-32");
    xs("/vm/" UUID("03") "/image/kernel", "/boot/vmlinuz-gone");
    xs("/vm/" UUID("04") "/image/kernel", "/var/run/xen/pygrub/boot_kernel.Ab12");
    xs("/vm/" UUID("08") "/image/kernel", "/boot/vmlinuz-smk");
    xs("/vm/" UUID("09") "/image/kernel", "/boot/run.sh");
    file("/boot/vmlinuz-web", k_linux64, k_linux64_len);
    file("/boot/vmlinuz-32", k_pae32, k_pae32_len);
    file("/boot/vmlinuz-smk", k_smk, k_smk_len);
    file("/boot/run.sh", k_text, sizeof(k_text) - 1);
    file("/boot/web.bundle", k_bundle, k_bundle_len);
    file("/var/lib/xen/userdata-d.4." UUID("04") ".libxl-json", json_grub, sizeof(json_grub) - 1);
    file("/var/lib/xen/userdata-d.5." UUID("05") ".libxl-json", json_pvh_noshim,
         sizeof(json_pvh_noshim) - 1);
    /* As libxl stores it: with the string's NUL. */
    file("/var/lib/xen/userdata-d.7." UUID("07") ".libxl-json", json_shim, sizeof(json_shim));
    file("/var/lib/xen/userdata-d.10." UUID("0a") ".libxl-json", json_old, sizeof(json_old) - 1);
}

static struct inv_domain *doms;
static size_t nr;

static void collect(void)
{
    char err[256];
    int rc = inventory_collect(&fake, &doms, &nr, err, sizeof(err));
    ck_assert_msg(rc == 0, "collect failed: %s", err);
    ck_assert_uint_eq(nr, NR_ROWS);
}

static void teardown(void)
{
    inventory_free(doms, nr);
    doms = NULL;
    nr = 0;
}

/* ---- classification and verdicts, one row per test */

START_TEST(judged)
{
    setup_host();
    collect();
    const struct row *r = &rows[_i];
    const struct inv_domain *d = &doms[_i];
    ck_assert_uint_eq(d->info.domid, r->domid);
    ck_assert_str_eq(d->name, r->name);
    ck_assert_str_eq(inv_type_name(d->type), r->type);
    ck_assert_msg(strcmp(inv_verdict_name(d->verdict), r->verdict) == 0,
                  "%s: verdict %s, expected %s (reason: %s)", r->name,
                  inv_verdict_name(d->verdict), r->verdict, d->reason);
    if (r->reason)
        ck_assert_msg(strstr(d->reason, r->reason), "%s: reason '%s' lacks '%s'", r->name,
                      d->reason, r->reason);
    else
        ck_assert_msg(d->reason[0] == '\0', "%s: unexpected reason '%s'", r->name, d->reason);
    if (r->kernel)
        ck_assert_str_eq(d->kernel, r->kernel);
    else
        ck_assert_ptr_null(d->kernel);
    if (r->source)
        ck_assert_str_eq(d->kernel_source, r->source);
    ck_assert_int_eq(d->pv_in_pvh, r->pv_in_pvh);
    ck_assert_int_eq(d->image_parsed, r->elf_class != 0);
    if (r->elf_class)
        ck_assert_uint_eq(d->image.elf_class, r->elf_class);
    teardown();
}
END_TEST

/* What the toolstack recorded around the kernel, and what the kernel declares. */
START_TEST(details)
{
    setup_host();
    collect();
    const struct inv_domain *web = &doms[1], *shim = &doms[7], *old = &doms[10];
    ck_assert_str_eq(web->ramdisk, "/boot/initrd.img-web");
    ck_assert_str_eq(web->cmdline, "root=/dev/xvda1 ro");
    ck_assert_str_eq(web->uuid, "01010101-0101-0101-0101-010101010101");
    ck_assert_str_eq(web->image.container, "ELF");
    ck_assert_str_eq(web->image.xen.guest_os, "linux");
    ck_assert(web->image.xen.features_required[0] & (1u << XENFEAT_writable_page_tables));
    ck_assert_str_eq(shim->shim_path, "/usr/lib/pvshim/pvshim-pvh");
    ck_assert_str_eq(shim->cmdline, "root=/dev/xvda1");
    ck_assert_str_eq(shim->image.container, "bundle: ELF");
    ck_assert_str_eq(doms[4].bootloader, "pygrub");
    /* type.pv's deprecated fields still name the kernel of an older config. */
    ck_assert_str_eq(old->ramdisk, "/boot/initrd");
    /* A PVH domain without a shim is not judged: its kernel file is not read. */
    ck_assert(!doms[5].image_read);
    teardown();
}
END_TEST

START_TEST(list_fails)
{
    setup_host();
    host.list_errno = EACCES;
    char err[256];
    ck_assert_int_eq(inventory_collect(&fake, &doms, &nr, err, sizeof(err)), -1);
    ck_assert_msg(strstr(err, "cannot list the domains: Permission denied"), "%s", err);
    ck_assert_uint_eq(host.reads, 0);
}
END_TEST

/* ---- output */

static char *print(bool json)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    ck_assert_ptr_nonnull(f);
    if (json)
        inventory_print_json(f, doms, nr);
    else
        inventory_print_table(f, doms, nr);
    fclose(f);
    return text;
}

/* Every line a JSON object with the domain's fields, read back. */
START_TEST(json_lines)
{
    setup_host();
    collect();
    char *text = print(true);
    char *line = text;
    for (unsigned i = 0; i < NR_ROWS; i++) {
        char *end = strchr(line, '\n');
        ck_assert_msg(end != NULL, "line %u missing", i);
        struct jp_value v;
        char err[128];
        ck_assert_msg(jp_parse(line, (size_t)(end - line), &v, err, sizeof(err)) == 0,
                      "line %u: %s: %.*s", i, err, (int)(end - line), line);
        unsigned long long u;
        ck_assert_str_eq(jp_get_str(&v, "pvshim"), "domain");
        ck_assert(jp_get_uint(&v, "domid", &u) && u == rows[i].domid);
        ck_assert_str_eq(jp_get_str(&v, "name"), rows[i].name);
        ck_assert_str_eq(jp_get_str(&v, "type"), rows[i].type);
        ck_assert_str_eq(jp_get_str(&v, "verdict"), rows[i].verdict);
        ck_assert(jp_get_uint(&v, "vcpus", &u) && u == i % 3 + 1);
        ck_assert(jp_get_uint(&v, "memory_kib", &u) && u == (65536ull + i) * 4);
        ck_assert(jp_get_uint(&v, "max_memory_kib", &u) && u == (65536ull + 256) * 4);
        const struct jp_value *pvh = jp_get(&v, "pv_in_pvh");
        ck_assert(pvh && pvh->type == JP_BOOL && pvh->boolean == rows[i].pv_in_pvh);
        if (rows[i].kernel)
            ck_assert_str_eq(jp_get_str(&v, "kernel"), rows[i].kernel);
        else
            ck_assert_ptr_null(jp_get(&v, "kernel"));
        if (rows[i].reason)
            ck_assert(strstr(jp_get_str(&v, "reason"), rows[i].reason));
        const struct jp_value *im = jp_get(&v, "image");
        ck_assert_int_eq(im != NULL, rows[i].elf_class != 0);
        if (im) {
            ck_assert(jp_get_uint(im, "elf_class", &u) && u == rows[i].elf_class);
            const struct jp_value *req = jp_get(im, "features_required");
            ck_assert(req && req->type == JP_ARRAY);
            if (rows[i].elf_class == 64) {
                ck_assert_str_eq(jp_get_str(im, "guest_os"), "linux");
                ck_assert_uint_eq(req->n, 1);
                ck_assert_str_eq(req->items[0].string, "writable_page_tables");
            }
        }
        jp_free(&v);
        line = end + 1;
    }
    ck_assert_str_eq(line, "");
    free(text);
    teardown();
}
END_TEST

/* The table: a header, a row per domain, then a line of detail for those that have any. */
START_TEST(table)
{
    setup_host();
    collect();
    char *text = print(false);
    ck_assert_msg(strncmp(text, "DOMID  NAME", 11) == 0, "%s", text);
    static const char *const expect[] = {
        "0      Domain-0  PV        1/1      256 MiB  -",
        "1      web       PV        2/2      256 MiB  /boot/vmlinuz-web",
        "6      hvm1      HVM       1/1      256 MiB  -",
        "7      shimmed   PVH+shim  2/2      256 MiB  /boot/web.bundle",
        "\n0 Domain-0: dom0; its kernel is not recorded",
        "\n1 web: kernel /boot/vmlinuz-web: ELF, 64-bit, linux",
        "requires writable_page_tables, supports ",
        "; pvshim runs it\n",
        "\n2 old32: kernel /boot/vmlinuz-32: ELF, 32-bit, linux 2.6, xen-3.0, loader generic",
        "PAE yes[extended-cr3]; requires none, supports ",
        "; pvshim runs it\n",
        "\n3 gone: kernel /boot/vmlinuz-gone cannot be read: No such file or directory\n",
        "\n5 pvh1: PVH, not a PV guest; kernel /boot/vmlinuz-pvh\n",
        "\n7 shimmed: PV guest in a PVH domain, shim /usr/lib/pvshim/pvshim-pvh; kernel "
        "/boot/web.bundle: bundle: ELF, 64-bit",
        "\n9 script: kernel /boot/run.sh; pvshim refuses it: module 0 is not a kernel image",
    };
    for (unsigned i = 0; i < sizeof(expect) / sizeof(expect[0]); i++)
        ck_assert_msg(strstr(text, expect[i]), "table lacks '%s':\n%s", expect[i], text);
    /* An HVM guest with nothing recorded has no detail line. */
    ck_assert_ptr_null(strstr(text, "\n6 hvm1"));
    free(text);
    teardown();
}
END_TEST

/* Host text cannot forge lines: control characters become '?' or escapes. */
START_TEST(hostile_names)
{
    setup_host();
    host.xs[0][1] = "evil\nDOMID 9\x1b[31m";
    collect();
    char *text = print(false);
    ck_assert_ptr_null(strstr(text, "evil\n"));
    ck_assert_ptr_nonnull(strstr(text, "evil?DOMID 9?[31m"));
    free(text);
    text = print(true);
    ck_assert_ptr_nonnull(strstr(text, "\"name\":\"evil\\nDOMID 9\\u001b[31m\""));
    free(text);
    teardown();
}
END_TEST

static Suite *inventory_suite(void)
{
    Suite *s = suite_create("inventory");
    TCase *tc = tcase_create("inventory");
    tcase_add_loop_test(tc, judged, 0, NR_ROWS);
    tcase_add_test(tc, details);
    tcase_add_test(tc, list_fails);
    tcase_add_test(tc, json_lines);
    tcase_add_test(tc, table);
    tcase_add_test(tc, hostile_names);
    suite_add_tcase(s, tc);
    return s;
}
UNIT_SUITE(inventory_suite)
