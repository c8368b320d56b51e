/*
 * xl configurations: parsing (xl.cfg(5) syntax) and the PV -> PVH + pvshim
 * conversion. See xlcfg.h.
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stdint.h>
#include <xen/xen.h>
#include "xlcfg.h"

/* pvshim's vCPU limit: the legacy shared_info's vcpu_info slots (PV_MAX_VCPUS). */
#define XLCFG_MAX_VCPUS XEN_LEGACY_MAX_VCPUS

/* ------------------------------------------------------------------ parsing */

struct lexer {
    const char *p, *end;
    unsigned line;
    char *err;
    size_t errlen;
};

static int lex_error(struct lexer *lx, const char *fmt, ...)
{
    if (lx->err && lx->errlen) {
        int n = snprintf(lx->err, lx->errlen, "line %u: ", lx->line);
        va_list ap;
        va_start(ap, fmt);
        if (n >= 0 && (size_t)n < lx->errlen)
            vsnprintf(lx->err + n, lx->errlen - (size_t)n, fmt, ap);
        va_end(ap);
    }
    return -1;
}

/* Skip blanks and comments; newlines too when nl is true. */
static void skip_space(struct lexer *lx, bool nl)
{
    while (lx->p < lx->end) {
        char c = *lx->p;
        if (c == '#') {
            while (lx->p < lx->end && *lx->p != '\n')
                lx->p++;
        } else if (c == '\n' && nl) {
            lx->line++;
            lx->p++;
        } else if (c == ' ' || c == '\t' || c == '\r') {
            lx->p++;
        } else {
            break;
        }
    }
}

static bool is_word_char(char c)
{
    return isalnum((unsigned char)c) || c == '_' || c == '.' || c == '-' || c == '+' ||
           c == '/' || c == ':';
}

static int parse_string(struct lexer *lx, char **out)
{
    char q = *lx->p++;
    size_t cap = 64, n = 0;
    char *s = malloc(cap);
    if (!s)
        return lex_error(lx, "out of memory");
    for (;;) {
        if (lx->p >= lx->end || *lx->p == '\n') {
            free(s);
            return lex_error(lx, "unterminated string");
        }
        char c = *lx->p++;
        if (c == q)
            break;
        if (c == '\\') {
            if (lx->p >= lx->end) {
                free(s);
                return lex_error(lx, "unterminated string");
            }
            char e = *lx->p++;
            switch (e) {
            case 'n': c = '\n'; break;
            case 't': c = '\t'; break;
            case 'r': c = '\r'; break;
            case 'x': {
                unsigned v = 0, k = 0;
                while (k < 2 && lx->p < lx->end && isxdigit((unsigned char)*lx->p)) {
                    char h = *lx->p++;
                    v = v * 16 + (unsigned)(isdigit((unsigned char)h) ? h - '0'
                                                                      : (tolower(h) - 'a' + 10));
                    k++;
                }
                if (!k) {
                    free(s);
                    return lex_error(lx, "\\x without hex digits");
                }
                c = (char)v;
                break;
            }
            default:
                if (e >= '0' && e <= '7') {
                    unsigned v = (unsigned)(e - '0'), k = 1;
                    while (k < 3 && lx->p < lx->end && *lx->p >= '0' && *lx->p <= '7')
                        v = v * 8 + (unsigned)(*lx->p++ - '0'), k++;
                    c = (char)v;
                } else {
                    c = e;      /* \\ \" \' and anything else: the character */
                }
            }
        }
        if (c == '\0') {
            free(s);
            return lex_error(lx, "NUL character in a string");
        }
        if (n + 2 > cap) {
            char *t = realloc(s, cap *= 2);
            if (!t) {
                free(s);
                return lex_error(lx, "out of memory");
            }
            s = t;
        }
        s[n++] = c;
    }
    s[n] = '\0';
    *out = s;
    return 0;
}

static void free_val(struct xlval *v)
{
    free(v->s);
    for (size_t i = 0; i < v->n; i++)
        free_val(&v->items[i]);
    free(v->items);
    memset(v, 0, sizeof(*v));
}

/* A string or an atom. */
static int parse_scalar(struct lexer *lx, struct xlval *v)
{
    memset(v, 0, sizeof(*v));
    if (lx->p < lx->end && (*lx->p == '"' || *lx->p == '\'')) {
        v->kind = XLVAL_STRING;
        return parse_string(lx, &v->s);
    }
    const char *start = lx->p;
    while (lx->p < lx->end && is_word_char(*lx->p))
        lx->p++;
    if (lx->p == start) {
        if (lx->p >= lx->end || *lx->p == '\n' || *lx->p == ';')
            return lex_error(lx, "missing value");
        return lex_error(lx, "unexpected '%c'", *lx->p);
    }
    v->kind = XLVAL_ATOM;
    v->s = strndup(start, (size_t)(lx->p - start));
    return v->s ? 0 : lex_error(lx, "out of memory");
}

static int parse_value(struct lexer *lx, struct xlval *v)
{
    if (lx->p >= lx->end || *lx->p != '[')
        return parse_scalar(lx, v);
    unsigned open_line = lx->line;
    lx->p++;
    memset(v, 0, sizeof(*v));
    v->kind = XLVAL_LIST;
    size_t cap = 0;
    for (;;) {
        skip_space(lx, true);
        if (lx->p >= lx->end) {
            lx->line = open_line;
            free_val(v);
            return lex_error(lx, "list not closed with ']'");
        }
        if (*lx->p == ']') {
            lx->p++;
            return 0;
        }
        if (v->n == cap) {
            cap = cap ? cap * 2 : 8;
            struct xlval *t = realloc(v->items, cap * sizeof(*t));
            if (!t) {
                free_val(v);
                return lex_error(lx, "out of memory");
            }
            v->items = t;
        }
        if (*lx->p == '[') {
            free_val(v);
            return lex_error(lx, "lists inside lists are not xl syntax");
        }
        if (parse_scalar(lx, &v->items[v->n])) {
            free_val(v);
            return -1;
        }
        v->n++;
        skip_space(lx, true);
        if (lx->p < lx->end && *lx->p == ',') {
            lx->p++;
            continue;
        }
        if (lx->p < lx->end && *lx->p == ']')
            continue;
        free_val(v);
        if (lx->p >= lx->end) {
            lx->line = open_line;
            return lex_error(lx, "list not closed with ']'");
        }
        return lex_error(lx, "expected ',' or ']' in a list, found '%c'", *lx->p);
    }
}

void xlcfg_free(struct xlcfg *cfg)
{
    for (size_t i = 0; i < cfg->n; i++) {
        free(cfg->s[i].key);
        free_val(&cfg->s[i].v);
    }
    free(cfg->s);
    cfg->s = NULL;
    cfg->n = 0;
}

int xlcfg_parse(const char *text, size_t len, struct xlcfg *cfg, char *err, size_t errlen)
{
    struct lexer lx = { text, text + len, 1, err, errlen };
    size_t cap = 0;
    memset(cfg, 0, sizeof(*cfg));
    if (err && errlen)
        err[0] = '\0';
    for (;;) {
        skip_space(&lx, true);
        while (lx.p < lx.end && *lx.p == ';') {
            lx.p++;
            skip_space(&lx, true);
        }
        if (lx.p >= lx.end)
            return 0;
        const char *k = lx.p;
        if (!isalpha((unsigned char)*k) && *k != '_')
            goto bad_key;
        while (lx.p < lx.end && (isalnum((unsigned char)*lx.p) || *lx.p == '_'))
            lx.p++;
        size_t klen = (size_t)(lx.p - k);
        skip_space(&lx, false);
        if (lx.p >= lx.end || *lx.p != '=') {
            xlcfg_free(cfg);
            return lex_error(&lx, "expected '=' after '%.*s'", (int)klen, k);
        }
        lx.p++;
        skip_space(&lx, false);
        struct xlsetting st = { .line = lx.line };
        if (parse_value(&lx, &st.v)) {
            xlcfg_free(cfg);
            return -1;
        }
        skip_space(&lx, false);
        if (lx.p < lx.end && *lx.p != '\n' && *lx.p != ';') {
            free_val(&st.v);
            xlcfg_free(cfg);
            return lex_error(&lx, "unexpected '%c' after the value of '%.*s'", *lx.p,
                             (int)klen, k);
        }
        st.key = strndup(k, klen);
        if (cfg->n == cap) {
            cap = cap ? cap * 2 : 32;
            struct xlsetting *t = realloc(cfg->s, cap * sizeof(*t));
            if (!t) {
                free(st.key);
                free_val(&st.v);
                xlcfg_free(cfg);
                return lex_error(&lx, "out of memory");
            }
            cfg->s = t;
        }
        cfg->s[cfg->n++] = st;
    }
bad_key:
    {
        char c = *lx.p;
        xlcfg_free(cfg);
        return lex_error(&lx, "expected a setting name, found '%c'", c);
    }
}

const struct xlval *xlcfg_get(const struct xlcfg *cfg, const char *key)
{
    for (size_t i = cfg->n; i-- > 0;)
        if (strcmp(cfg->s[i].key, key) == 0)
            return &cfg->s[i].v;
    return NULL;
}

/* ------------------------------------------------------------------ output */

struct buf {
    char *s;
    size_t n, cap;
    bool oom;
};

static void bprintf(struct buf *b, const char *fmt, ...)
{
    va_list ap;
    for (;;) {
        va_start(ap, fmt);
        int k = vsnprintf(b->s ? b->s + b->n : NULL, b->s ? b->cap - b->n : 0, fmt, ap);
        va_end(ap);
        if (k < 0) {
            b->oom = true;
            return;
        }
        if (b->s && b->n + (size_t)k < b->cap) {
            b->n += (size_t)k;
            return;
        }
        size_t cap = (b->cap ? b->cap : 1024);
        while (cap <= b->n + (size_t)k)
            cap *= 2;
        char *t = realloc(b->s, cap);
        if (!t) {
            b->oom = true;
            return;
        }
        b->s = t;
        b->cap = cap;
    }
}

static void emit_scalar(struct buf *b, const struct xlval *v)
{
    if (v->kind == XLVAL_ATOM) {
        bprintf(b, "%s", v->s);
        return;
    }
    bprintf(b, "\"");
    for (const unsigned char *p = (const unsigned char *)v->s; *p; p++) {
        if (*p == '"' || *p == '\\')
            bprintf(b, "\\%c", *p);
        else if (*p == '\n')
            bprintf(b, "\\n");
        else if (*p == '\t')
            bprintf(b, "\\t");
        else if (*p < 0x20 || *p == 0x7f)
            bprintf(b, "\\x%02x", *p);
        else
            bprintf(b, "%c", *p);
    }
    bprintf(b, "\"");
}

static void emit_setting(struct buf *b, const char *key, const struct xlval *v)
{
    bprintf(b, "%s = ", key);
    if (v->kind != XLVAL_LIST) {
        emit_scalar(b, v);
    } else if (v->n <= 1) {
        bprintf(b, "[");
        if (v->n) {
            bprintf(b, " ");
            emit_scalar(b, &v->items[0]);
            bprintf(b, " ");
        }
        bprintf(b, "]");
    } else {
        bprintf(b, "[\n");
        for (size_t i = 0; i < v->n; i++) {
            bprintf(b, "    ");
            emit_scalar(b, &v->items[i]);
            bprintf(b, ",\n");
        }
        bprintf(b, "]");
    }
    bprintf(b, "\n");
}

static void note(struct xl_notes *nt, const char *fmt, ...)
{
    if (nt->n == XL_NOTES_MAX)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(nt->line[nt->n++], sizeof(nt->line[0]), fmt, ap);
    va_end(ap);
}

/* ------------------------------------------------------------------ conversion */

static const char *scalar(const struct xlcfg *c, const char *key)
{
    const struct xlval *v = xlcfg_get(c, key);
    return v && v->kind != XLVAL_LIST ? v->s : NULL;
}

static bool key_in(const char *key, const char *const *set)
{
    for (; *set; set++)
        if (strcmp(key, *set) == 0)
            return true;
    return false;
}

/* Settings the conversion writes itself, or drops. */
static const char *const replaced[] = {
    "type", "builder", "pvshim", "pvshim_path", "pvshim_cmdline", "pvshim_extra", NULL
};
/* Devices handed to the domain directly: pvshim forwards none of them. */
static const char *const passthrough[] = {
    "pci", "irqs", "iomem", "ioports", "e820_host", "gfx_passthru", "dtdev", NULL
};
/* PV devices pvshim does not forward yet (disk and vif it does: their
 * event channels and grant frames are the Xen host's). */
static const char *const pv_devices[] = {
    "vtpm", "vfb", "vkb", "channel", "p9", "pvcalls", "vdispl", "vsnd",
    "usbctrl", "usbdev", "vusb", NULL
};

static unsigned long atoul(const char *s, bool *ok)
{
    char *end;
    unsigned long v = s ? strtoul(s, &end, 0) : 0;
    *ok = s && *s && !*end;
    return v;
}

char *xl_convert_pv_to_pvh(const struct xlcfg *in, const struct xl_convert_opts *o,
                           struct xl_notes *nt, char *err, size_t errlen)
{
    memset(nt, 0, sizeof(*nt));
    const char *type = scalar(in, "type"), *builder = scalar(in, "builder");
    if (type && strcmp(type, "pv") != 0) {
        snprintf(err, errlen, "type = \"%s\": %s", type,
                 strcmp(type, "pvh") == 0 ? "already a PVH guest"
                                          : "not a PV guest; pvshim runs PV guests only");
        return NULL;
    }
    if (!type && builder && strcmp(builder, "generic") != 0 && strcmp(builder, "linux") != 0) {
        snprintf(err, errlen, "builder = \"%s\": not a PV guest; pvshim runs PV guests only",
                 builder);
        return NULL;
    }
    const char *kernel = scalar(in, "kernel"), *bootloader = scalar(in, "bootloader");
    if (!kernel && !bootloader) {
        snprintf(err, errlen, "names neither a kernel nor a bootloader");
        return NULL;
    }

    /* What cannot be carried over, or changes meaning. */
    if (bootloader) {
        const char *base = strrchr(bootloader, '/');
        base = base ? base + 1 : bootloader;
        note(nt, "bootloader = \"%s\" not carried over: xl runs %s for PV guests only. "
             "Copy the guest's kernel and initrd out of its disk and name them as "
             "kernel = and ramdisk =; until then the result has no kernel.",
             bootloader, strstr(base, "pygrub") ? "pygrub" : "a bootloader");
        if (xlcfg_get(in, "bootloader_args"))
            note(nt, "bootloader_args not carried over (no bootloader)");
    }
    if (kernel && (strstr(kernel, "grub") || strstr(kernel, "pv-grub")))
        note(nt, "kernel \"%s\" looks like PV-GRUB: pvshim's support for it is not verified yet",
             kernel);
    bool ok;
    unsigned long vcpus = atoul(scalar(in, "vcpus"), &ok);
    /* pvshim gives the guest each vCPU of the domain, up to its limit. */
    bool fix_vcpus = ok && vcpus > XLCFG_MAX_VCPUS;
    if (fix_vcpus)
        note(nt, "vcpus = %lu changed to %u: pvshim runs at most %u vCPUs", vcpus,
             XLCFG_MAX_VCPUS, XLCFG_MAX_VCPUS);
    bool drop_maxvcpus = xlcfg_get(in, "maxvcpus") != NULL;
    if (drop_maxvcpus)
        note(nt, "maxvcpus not carried over: pvshim starts the vCPUs the domain has at boot "
             "(vcpus); adding more later has not been tried under a Xen host");
    bool mem_ok, max_ok;
    unsigned long memory = atoul(scalar(in, "memory"), &mem_ok);
    unsigned long maxmem = atoul(scalar(in, "maxmem"), &max_ok);
    bool drop_maxmem = max_ok && mem_ok && maxmem > memory;
    if (drop_maxmem)
        note(nt, "maxmem = %lu not carried over: above memory it means populate-on-demand "
             "for a PVH domain, which pvshim has not been tested with", maxmem);
    if (mem_ok)
        note(nt, "memory = %lu is the whole PVH domain: the guest gets it less pvshim's own "
             "share (about 0.6%% and 1 MiB)", memory);
    bool devices_noted = false;
    for (size_t i = 0; i < in->n; i++) {
        const char *k = in->s[i].key;
        if (key_in(k, passthrough))
            note(nt, "%s not carried over: pvshim passes no devices through to the guest", k);
        else if (!devices_noted && key_in(k, pv_devices)) {
            note(nt, "%s carried over, but pvshim does not forward it to Xen yet (disk and "
                 "vif it does): the guest will not see it until it does", k);
            devices_noted = true;
        }
    }

    struct buf b = { 0 };
    bprintf(&b, "# Converted by pvshim-xl-convert%s%s: the same PV kernel, run as a PVH\n"
            "# guest through pvshim. Not verified under xl yet. Notes:\n",
            o->source_name ? " from " : "", o->source_name ? o->source_name : "");
    for (size_t i = 0; i < nt->n; i++)
        bprintf(&b, "#  - %s\n", nt->line[i]);
    bprintf(&b, "\ntype = \"pvh\"\npvshim = 1\n");
    struct xlval v = { .kind = XLVAL_STRING, .s = (char *)o->shim_path };
    emit_setting(&b, "pvshim_path", &v);
    v.s = (char *)o->shim_cmdline;
    emit_setting(&b, "pvshim_cmdline", &v);

    for (size_t i = 0; i < in->n; i++) {
        const struct xlsetting *st = &in->s[i];
        const char *k = st->key;
        if (xlcfg_get(in, k) != &st->v)
            continue;                   /* assigned again later: the last one counts */
        if (key_in(k, replaced) || key_in(k, passthrough) ||
            (drop_maxvcpus && strcmp(k, "maxvcpus") == 0) ||
            (drop_maxmem && strcmp(k, "maxmem") == 0))
            continue;
        if (strcmp(k, "bootloader") == 0 || strcmp(k, "bootloader_args") == 0) {
            bprintf(&b, "# ");
            emit_setting(&b, k, &st->v);
            continue;
        }
        if (fix_vcpus && strcmp(k, "vcpus") == 0) {
            bprintf(&b, "vcpus = %u\n", XLCFG_MAX_VCPUS);
            continue;
        }
        emit_setting(&b, k, &st->v);
    }
    if (b.oom) {
        free(b.s);
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    return b.s;
}
