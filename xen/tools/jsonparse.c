/* The JSON reader: recursive descent over a buffer, depth-limited. */
#include "jsonparse.h"
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_DEPTH 64

struct parser {
    const char *s, *end, *start;
    char *err;
    size_t errlen;
    bool failed;
};

static bool fail(struct parser *p, const char *fmt, ...)
{
    if (!p->failed) {
        char msg[160];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(msg, sizeof(msg), fmt, ap);
        va_end(ap);
        snprintf(p->err, p->errlen, "column %zu: %s", (size_t)(p->s - p->start) + 1, msg);
        p->failed = true;
    }
    return false;
}

static void skip_ws(struct parser *p)
{
    while (p->s < p->end && (*p->s == ' ' || *p->s == '\t' || *p->s == '\n' || *p->s == '\r'))
        p->s++;
}

static bool literal(struct parser *p, const char *word)
{
    size_t n = strlen(word);
    if ((size_t)(p->end - p->s) < n || memcmp(p->s, word, n) != 0)
        return fail(p, "unexpected '%c'", *p->s);
    p->s += n;
    return true;
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

static bool hex4(struct parser *p, unsigned *out)
{
    unsigned v = 0;
    if (p->end - p->s < 4)
        return fail(p, "short \\u escape");
    for (int i = 0; i < 4; i++) {
        int h = hexval(p->s[i]);
        if (h < 0)
            return fail(p, "bad \\u escape");
        v = v << 4 | (unsigned)h;
    }
    p->s += 4;
    *out = v;
    return true;
}

static size_t put_utf8(char *o, unsigned cp)
{
    if (cp < 0x80) {
        o[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        o[0] = (char)(0xc0 | cp >> 6);
        o[1] = (char)(0x80 | (cp & 0x3f));
        return 2;
    }
    if (cp < 0x10000) {
        o[0] = (char)(0xe0 | cp >> 12);
        o[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
        o[2] = (char)(0x80 | (cp & 0x3f));
        return 3;
    }
    o[0] = (char)(0xf0 | cp >> 18);
    o[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
    o[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
    o[3] = (char)(0x80 | (cp & 0x3f));
    return 4;
}

/* At the opening quote; a malloc'ed, decoded copy. */
static char *string(struct parser *p)
{
    p->s++;
    const char *q = p->s;
    while (q < p->end && *q != '"') {
        if (*q == '\\')
            q++;
        q++;
    }
    if (q >= p->end) {
        fail(p, "unterminated string");
        return NULL;
    }
    /* Decoded text is never longer than the escaped text. */
    char *out = malloc((size_t)(q - p->s) + 1), *o = out;
    if (!out) {
        fail(p, "out of memory");
        return NULL;
    }
    while (*p->s != '"') {
        unsigned char c = (unsigned char)*p->s;
        if (c < 0x20) {
            fail(p, "control character in string");
            goto bad;
        }
        if (c != '\\') {
            *o++ = (char)c;
            p->s++;
            continue;
        }
        p->s++;
        char e = *p->s++;
        switch (e) {
        case '"': *o++ = '"'; break;
        case '\\': *o++ = '\\'; break;
        case '/': *o++ = '/'; break;
        case 'b': *o++ = '\b'; break;
        case 'f': *o++ = '\f'; break;
        case 'n': *o++ = '\n'; break;
        case 'r': *o++ = '\r'; break;
        case 't': *o++ = '\t'; break;
        case 'u': {
            unsigned cp, lo;
            if (!hex4(p, &cp))
                goto bad;
            if (cp >= 0xd800 && cp < 0xdc00) {
                if (p->end - p->s < 6 || p->s[0] != '\\' || p->s[1] != 'u') {
                    fail(p, "lone surrogate in \\u escape");
                    goto bad;
                }
                p->s += 2;
                if (!hex4(p, &lo))
                    goto bad;
                if (lo < 0xdc00 || lo >= 0xe000) {
                    fail(p, "bad surrogate pair");
                    goto bad;
                }
                cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
            } else if (cp >= 0xdc00 && cp < 0xe000) {
                fail(p, "lone surrogate in \\u escape");
                goto bad;
            } else if (cp == 0) {
                fail(p, "\\u0000 in string");
                goto bad;
            }
            o += put_utf8(o, cp);
            break;
        }
        default:
            p->s--;
            fail(p, "bad escape '\\%c'", e);
            goto bad;
        }
    }
    p->s++;
    *o = '\0';
    return out;
bad:
    free(out);
    return NULL;
}

static bool number(struct parser *p, struct jp_value *v)
{
    const char *b = p->s;
    bool digits_only = true;
    if (p->s < p->end && *p->s == '-') {
        p->s++;
        digits_only = false;
    }
    if (p->s >= p->end || *p->s < '0' || *p->s > '9')
        return fail(p, "bad number");
    if (*p->s == '0' && p->s + 1 < p->end && p->s[1] >= '0' && p->s[1] <= '9')
        return fail(p, "leading zero in number");
    while (p->s < p->end && *p->s >= '0' && *p->s <= '9')
        p->s++;
    if (p->s < p->end && *p->s == '.') {
        digits_only = false;
        p->s++;
        if (p->s >= p->end || *p->s < '0' || *p->s > '9')
            return fail(p, "bad fraction");
        while (p->s < p->end && *p->s >= '0' && *p->s <= '9')
            p->s++;
    }
    if (p->s < p->end && (*p->s == 'e' || *p->s == 'E')) {
        digits_only = false;
        p->s++;
        if (p->s < p->end && (*p->s == '+' || *p->s == '-'))
            p->s++;
        if (p->s >= p->end || *p->s < '0' || *p->s > '9')
            return fail(p, "bad exponent");
        while (p->s < p->end && *p->s >= '0' && *p->s <= '9')
            p->s++;
    }
    char buf[64];
    size_t n = (size_t)(p->s - b);
    if (n >= sizeof(buf))
        return fail(p, "number too long");
    memcpy(buf, b, n);
    buf[n] = '\0';
    v->type = JP_NUMBER;
    v->number = strtod(buf, NULL);
    if (digits_only) {
        unsigned long long u = 0;
        v->is_uint = true;
        for (size_t i = 0; i < n; i++) {
            unsigned d = (unsigned)(buf[i] - '0');
            if (u > (~0ull - d) / 10) {
                v->is_uint = false;     /* too big: a double only */
                break;
            }
            u = u * 10 + d;
        }
        v->uint = v->is_uint ? u : 0;
    }
    return true;
}

static bool value(struct parser *p, struct jp_value *v, int depth);

static bool grow(struct parser *p, struct jp_value *v, size_t *cap, bool keys)
{
    if (v->n < *cap)
        return true;
    size_t nc = *cap ? *cap * 2 : 8;
    struct jp_value *items = realloc(v->items, nc * sizeof(*items));
    if (!items)
        return fail(p, "out of memory");
    v->items = items;
    if (keys) {
        char **k = realloc(v->keys, nc * sizeof(*k));
        if (!k)
            return fail(p, "out of memory");
        v->keys = k;
    }
    *cap = nc;
    return true;
}

static bool container(struct parser *p, struct jp_value *v, int depth, bool object)
{
    size_t cap = 0;
    char close = object ? '}' : ']';
    v->type = object ? JP_OBJECT : JP_ARRAY;
    if (depth >= MAX_DEPTH)
        return fail(p, "nested more than %d deep", MAX_DEPTH);
    p->s++;
    skip_ws(p);
    if (p->s < p->end && *p->s == close) {
        p->s++;
        return true;
    }
    for (;;) {
        skip_ws(p);
        if (!grow(p, v, &cap, object))
            return false;
        struct jp_value *item = &v->items[v->n];
        memset(item, 0, sizeof(*item));
        if (object) {
            if (p->s >= p->end || *p->s != '"')
                return fail(p, "expected a key");
            char *k = string(p);
            if (!k)
                return false;
            v->keys[v->n] = k;
            skip_ws(p);
            if (p->s >= p->end || *p->s != ':') {
                v->n++;
                return fail(p, "expected ':'");
            }
            p->s++;
        }
        v->n++;
        if (!value(p, item, depth + 1))
            return false;
        skip_ws(p);
        if (p->s < p->end && *p->s == ',') {
            p->s++;
            continue;
        }
        if (p->s < p->end && *p->s == close) {
            p->s++;
            return true;
        }
        return fail(p, "expected ',' or '%c'", close);
    }
}

static bool value(struct parser *p, struct jp_value *v, int depth)
{
    skip_ws(p);
    if (p->s >= p->end)
        return fail(p, "unexpected end");
    switch (*p->s) {
    case '{': return container(p, v, depth, true);
    case '[': return container(p, v, depth, false);
    case '"':
        v->type = JP_STRING;
        v->string = string(p);
        return v->string != NULL;
    case 't':
        v->type = JP_BOOL;
        v->boolean = true;
        return literal(p, "true");
    case 'f':
        v->type = JP_BOOL;
        return literal(p, "false");
    case 'n':
        return literal(p, "null");
    default:
        return number(p, v);
    }
}

int jp_parse(const char *text, size_t len, struct jp_value *out, char *err, size_t errlen)
{
    struct parser p = { .s = text, .end = text + len, .start = text, .err = err, .errlen = errlen };
    memset(out, 0, sizeof(*out));
    if (value(&p, out, 0)) {
        skip_ws(&p);
        if (p.s == p.end)
            return 0;
        fail(&p, "text after the value");
    }
    jp_free(out);
    return -1;
}

void jp_free(struct jp_value *v)
{
    for (size_t i = 0; i < v->n; i++) {
        jp_free(&v->items[i]);
        if (v->keys)
            free(v->keys[i]);
    }
    free(v->items);
    free(v->keys);
    free(v->string);
    memset(v, 0, sizeof(*v));
}

const struct jp_value *jp_get(const struct jp_value *obj, const char *key)
{
    if (!obj || obj->type != JP_OBJECT)
        return NULL;
    for (size_t i = 0; i < obj->n; i++)
        if (strcmp(obj->keys[i], key) == 0)
            return &obj->items[i];
    return NULL;
}

const char *jp_get_str(const struct jp_value *obj, const char *key)
{
    const struct jp_value *v = jp_get(obj, key);
    return v && v->type == JP_STRING ? v->string : NULL;
}

bool jp_get_uint(const struct jp_value *obj, const char *key, unsigned long long *out)
{
    const struct jp_value *v = jp_get(obj, key);
    if (!v || v->type != JP_NUMBER || !v->is_uint)
        return false;
    *out = v->uint;
    return true;
}
