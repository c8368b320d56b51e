/*
 * xl configurations: the parser (xl.cfg syntax and its errors) and the
 * PV -> PVH + pvshim conversion, on real-world configurations in
 * tests/unit/xl-configs/ (xen-tools output, pygrub, an xm-era RHEL5 guest,
 * passthrough, HVM and PVH guests it must refuse).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "../../xen/tools/xlcfg.h"
#include "unit.h"

static char err[512];

static char *fixture(const char *name, size_t *len)
{
    char path[256];
    snprintf(path, sizeof(path), "tests/unit/xl-configs/%s", name);
    FILE *f = fopen(path, "r");
    ck_assert_msg(f != NULL, "cannot open %s (run from the source tree's top)", path);
    static char buf[65536];
    *len = fread(buf, 1, sizeof(buf) - 1, f);
    buf[*len] = '\0';
    fclose(f);
    return buf;
}

static void parse_ok(const char *text, struct xlcfg *c)
{
    int rc = xlcfg_parse(text, strlen(text), c, err, sizeof(err));
    ck_assert_msg(rc == 0, "parse failed: %s", err);
}

static const char *str(const struct xlcfg *c, const char *key)
{
    const struct xlval *v = xlcfg_get(c, key);
    return v && v->kind != XLVAL_LIST ? v->s : NULL;
}

START_TEST(syntax)
{
    struct xlcfg c;
    parse_ok("# comment\n"
             "name = \"a \\\"b\\\" \\x41\\101\\n\"  # trailing comment\n"
             "kernel='/boot/vmlinuz'; memory = 0x200;vcpus=2\n"
             "disk = [ 'phy:/dev/x,xvda,w',\n"
             "         # a comment inside a list\n"
             "         \"file:/y,xvdb,r\", ]\n"
             "empty = []\n"
             "vcpus = 3\n"
             "\n;;\n", &c);
    ck_assert_str_eq(str(&c, "name"), "a \"b\" AA\n");
    ck_assert_str_eq(str(&c, "kernel"), "/boot/vmlinuz");
    ck_assert_int_eq(xlcfg_get(&c, "memory")->kind, XLVAL_ATOM);
    ck_assert_str_eq(str(&c, "memory"), "0x200");
    ck_assert_str_eq(str(&c, "vcpus"), "3");            /* the last assignment */
    const struct xlval *d = xlcfg_get(&c, "disk");
    ck_assert_int_eq(d->kind, XLVAL_LIST);
    ck_assert_uint_eq(d->n, 2);
    ck_assert_str_eq(d->items[0].s, "phy:/dev/x,xvda,w");
    ck_assert_str_eq(d->items[1].s, "file:/y,xvdb,r");
    ck_assert_uint_eq(xlcfg_get(&c, "empty")->n, 0);
    ck_assert_ptr_null(xlcfg_get(&c, "missing"));
    xlcfg_free(&c);

    parse_ok("", &c);
    ck_assert_uint_eq(c.n, 0);
    xlcfg_free(&c);
}
END_TEST

#define EXPECT_PARSE_ERROR(text, what) do { \
        struct xlcfg c_; \
        ck_assert_int_eq(xlcfg_parse((text), strlen(text), &c_, err, sizeof(err)), -1); \
        ck_assert_msg(strstr(err, (what)) != NULL, "error \"%s\" lacks \"%s\"", err, (what)); \
        ck_assert_ptr_null(c_.s); \
    } while (0)

START_TEST(syntax_errors)
{
    EXPECT_PARSE_ERROR("name = \"web\n", "line 1: unterminated string");
    EXPECT_PARSE_ERROR("a = 1\nb = 'x\\", "line 2: unterminated string");
    EXPECT_PARSE_ERROR("a = 1\n\nkernel \"/boot/x\"\n", "line 3: expected '=' after 'kernel'");
    EXPECT_PARSE_ERROR("disk = [ 'a',\n 'b'\n", "line 1: list not closed");
    EXPECT_PARSE_ERROR("disk = [ 'a' 'b' ]", "expected ',' or ']'");
    EXPECT_PARSE_ERROR("disk = [ ['a'] ]", "lists inside lists");
    EXPECT_PARSE_ERROR("memory =\n", "line 1: missing value");
    EXPECT_PARSE_ERROR("memory = 512 1024\n", "unexpected '1' after the value of 'memory'");
    EXPECT_PARSE_ERROR("= 5\n", "expected a setting name");
    EXPECT_PARSE_ERROR("name = \"a\\0b\"", "NUL");
    EXPECT_PARSE_ERROR("name = \"\\xzz\"", "\\x without hex digits");
}
END_TEST

static const struct xl_convert_opts opts = {
    "/usr/lib/pvshim/pvshim-pvh", "loglevel=3", "test.cfg"
};

/* Convert a fixture; the output must parse again. */
static char *convert(const char *name, struct xlcfg *out, struct xl_notes *notes)
{
    size_t len;
    const char *text = fixture(name, &len);
    struct xlcfg in;
    ck_assert_msg(xlcfg_parse(text, len, &in, err, sizeof(err)) == 0, "%s: %s", name, err);
    char *res = xl_convert_pv_to_pvh(&in, &opts, notes, err, sizeof(err));
    xlcfg_free(&in);
    ck_assert_msg(res != NULL, "%s: %s", name, err);
    ck_assert_msg(xlcfg_parse(res, strlen(res), out, err, sizeof(err)) == 0,
                  "%s: the output does not parse: %s\n%s", name, err, res);
    ck_assert_str_eq(str(out, "type"), "pvh");
    ck_assert_str_eq(str(out, "pvshim"), "1");
    ck_assert_str_eq(str(out, "pvshim_path"), "/usr/lib/pvshim/pvshim-pvh");
    ck_assert_str_eq(str(out, "pvshim_cmdline"), "loglevel=3");
    ck_assert_ptr_null(xlcfg_get(out, "builder"));
    return res;
}

static bool has_note(const struct xl_notes *n, const char *what)
{
    for (size_t i = 0; i < n->n; i++)
        if (strstr(n->line[i], what))
            return true;
    return false;
}

START_TEST(convert_xen_tools)
{
    struct xlcfg c;
    struct xl_notes n;
    char *res = convert("xen-tools-web01.cfg", &c, &n);
    ck_assert_str_eq(str(&c, "kernel"), "/boot/vmlinuz-6.1.0-18-amd64");
    ck_assert_str_eq(str(&c, "ramdisk"), "/boot/initrd.img-6.1.0-18-amd64");
    ck_assert_str_eq(str(&c, "extra"), "elevator=noop");
    ck_assert_str_eq(str(&c, "root"), "/dev/xvda2 ro");
    ck_assert_str_eq(str(&c, "vcpus"), "2");             /* pvshim gives each vCPU */
    ck_assert_str_eq(str(&c, "memory"), "512");
    ck_assert_str_eq(str(&c, "name"), "web01");
    ck_assert_str_eq(str(&c, "on_crash"), "restart");
    const struct xlval *d = xlcfg_get(&c, "disk");
    ck_assert_uint_eq(d->n, 2);
    ck_assert_str_eq(d->items[1].s, "file:/srv/xen/domains/web01/swap.img,xvda1,w");
    ck_assert(!has_note(&n, "vcpus"));
    /* disk and vif are forwarded: nothing to say about them. */
    ck_assert(!has_note(&n, "does not forward"));
    ck_assert(!has_note(&n, "bootloader"));
    /* Every note is in the output too, as a comment. */
    for (size_t i = 0; i < n.n; i++)
        ck_assert_ptr_nonnull(strstr(res, n.line[i]));
    ck_assert_ptr_nonnull(strstr(res, "# Converted by pvshim-xl-convert from test.cfg"));
    free(res);
    xlcfg_free(&c);
}
END_TEST

START_TEST(convert_pygrub)
{
    struct xlcfg c;
    struct xl_notes n;
    char *res = convert("pygrub-db.cfg", &c, &n);
    ck_assert_ptr_null(xlcfg_get(&c, "bootloader"));
    ck_assert_ptr_nonnull(strstr(res, "# bootloader = \"pygrub\""));
    ck_assert(has_note(&n, "bootloader = \"pygrub\" not carried over: xl runs pygrub for PV"));
    ck_assert(has_note(&n, "maxmem = 4096 not carried over"));
    ck_assert(has_note(&n, "maxvcpus not carried over"));
    ck_assert(!has_note(&n, "vcpus ="));
    ck_assert_str_eq(str(&c, "vcpus"), "4");
    ck_assert_ptr_null(xlcfg_get(&c, "maxmem"));
    ck_assert_ptr_null(xlcfg_get(&c, "maxvcpus"));
    ck_assert_str_eq(str(&c, "memory"), "2048");
    ck_assert_str_eq(str(&c, "on_crash"), "coredump-restart");
    ck_assert_uint_eq(xlcfg_get(&c, "vif")->n, 1);
    free(res);
    xlcfg_free(&c);
}
END_TEST

START_TEST(convert_rhel5_xm)
{
    struct xlcfg c;
    struct xl_notes n;
    char *res = convert("rhel5-xm.cfg", &c, &n);
    ck_assert_str_eq(str(&c, "kernel"), "/var/lib/xen/boot/vmlinuz-2.6.18-419.el5xen");
    ck_assert_str_eq(str(&c, "extra"), "ro root=/dev/VolGroup00/LogVol00 console=xvc0");
    ck_assert_str_eq(str(&c, "uuid"), "6c1fbc9e-2a41-4d5e-9c8b-0f7b1d2e3a44");
    ck_assert_str_eq(str(&c, "maxmem"), "1024");        /* equal to memory: kept */
    ck_assert_str_eq(str(&c, "vcpus"), "1");
    ck_assert(!has_note(&n, "maxmem"));
    ck_assert(!has_note(&n, "vcpus"));
    ck_assert_str_eq(xlcfg_get(&c, "vfb")->items[0].s, "type=vnc,vncunused=1,keymap=en-us");
    free(res);
    xlcfg_free(&c);
}
END_TEST

START_TEST(convert_vcpus_past_the_limit)
{
    struct xlcfg c;
    struct xl_notes n;
    char *res = convert("big-smp.cfg", &c, &n);
    ck_assert_str_eq(str(&c, "vcpus"), "32");
    ck_assert(has_note(&n, "vcpus = 48 changed to 32"));
    free(res);
    xlcfg_free(&c);
}
END_TEST

START_TEST(convert_passthrough_and_escapes)
{
    struct xlcfg c;
    struct xl_notes n;
    char *res = convert("pv-pci-semicolons.cfg", &c, &n);
    ck_assert_ptr_null(xlcfg_get(&c, "pci"));
    ck_assert_ptr_null(xlcfg_get(&c, "e820_host"));
    ck_assert(has_note(&n, "pci not carried over"));
    ck_assert(has_note(&n, "e820_host not carried over"));
    ck_assert_str_eq(str(&c, "vcpus"), "2");              /* the last of two assignments */
    ck_assert_str_eq(str(&c, "cmdline"), "console=hvc0 root=/dev/xvda1 iommu=soft quiet\tmsg=\"hi\"");
    ck_assert_str_eq(str(&c, "memory"), "0x100");
    ck_assert(has_note(&n, "memory = 256 is the whole PVH domain"));
    ck_assert_str_eq(str(&c, "cpus"), "2-3");
    /* Written once: the earlier vcpus assignment is not repeated. */
    ck_assert_ptr_null(strstr(strstr(res, "vcpus = 2") + 1, "vcpus"));
    free(res);
    xlcfg_free(&c);
}
END_TEST

START_TEST(convert_refusals)
{
    static const struct { const char *file, *why; } cases[] = {
        { "hvm-win.cfg", "builder = \"hvm\": not a PV guest" },
        { "pvh-already.cfg", "type = \"pvh\": already a PVH guest" },
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        size_t len;
        const char *text = fixture(cases[i].file, &len);
        struct xlcfg in;
        struct xl_notes n;
        ck_assert_int_eq(xlcfg_parse(text, len, &in, err, sizeof(err)), 0);
        ck_assert_ptr_null(xl_convert_pv_to_pvh(&in, &opts, &n, err, sizeof(err)));
        ck_assert_msg(strstr(err, cases[i].why), "%s: \"%s\"", cases[i].file, err);
        xlcfg_free(&in);
    }
    struct xlcfg in;
    struct xl_notes n;
    parse_ok("name = \"x\"\nmemory = 128\n", &in);
    ck_assert_ptr_null(xl_convert_pv_to_pvh(&in, &opts, &n, err, sizeof(err)));
    ck_assert_ptr_nonnull(strstr(err, "neither a kernel nor a bootloader"));
    xlcfg_free(&in);
    parse_ok("type = \"hvm\"\nkernel = \"/k\"\n", &in);
    ck_assert_ptr_null(xl_convert_pv_to_pvh(&in, &opts, &n, err, sizeof(err)));
    ck_assert_ptr_nonnull(strstr(err, "not a PV guest"));
    xlcfg_free(&in);
}
END_TEST

static Suite *xlcfg_suite(void)
{
    Suite *s = suite_create("xlcfg");
    TCase *tc = tcase_create("parse");
    tcase_add_test(tc, syntax);
    tcase_add_test(tc, syntax_errors);
    suite_add_tcase(s, tc);
    tc = tcase_create("convert");
    tcase_add_test(tc, convert_xen_tools);
    tcase_add_test(tc, convert_pygrub);
    tcase_add_test(tc, convert_rhel5_xm);
    tcase_add_test(tc, convert_vcpus_past_the_limit);
    tcase_add_test(tc, convert_passthrough_and_escapes);
    tcase_add_test(tc, convert_refusals);
    suite_add_tcase(s, tc);
    return s;
}
UNIT_SUITE(xlcfg_suite)
