/* JSON records: a writer for flat objects (and objects of numbers). */
#include <pvshim/json.h>
#include <pvshim/string.h>

/* Room kept back for closing what is open and the truncation marker. */
#define JSON_TAIL   (sizeof(",\"truncated\":true}\n") + 8)

static size_t room(const struct json_rec *r)
{
    size_t limit = sizeof(r->buf) - JSON_TAIL - r->depth;
    return r->len < limit ? limit - r->len : 0;
}

static bool put(struct json_rec *r, const char *s, size_t n)
{
    if (r->truncated || n > room(r)) {
        r->truncated = true;
        return false;
    }
    memcpy(r->buf + r->len, s, n);
    r->len += n;
    return true;
}

/* Escape s as a JSON string's contents; shortened if it does not fit. */
static void put_escaped(struct json_rec *r, const char *s)
{
    static const char hex[] = "0123456789abcdef";
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        char e[6];
        size_t n = 0;
        if (c == '"' || c == '\\') {
            e[n++] = '\\';
            e[n++] = (char)c;
        } else if (c == '\n') {
            e[n++] = '\\';
            e[n++] = 'n';
        } else if (c == '\t') {
            e[n++] = '\\';
            e[n++] = 't';
        } else if (c < 0x20 || c >= 0x7f) {
            /* Control characters, and bytes that may not be UTF-8: as U+00XX. */
            memcpy(e, "\\u00", 4);
            e[4] = hex[c >> 4];
            e[5] = hex[c & 15];
            n = 6;
        } else {
            e[n++] = (char)c;
        }
        if (n + 1 > room(r)) {          /* keep room for the closing quote */
            r->truncated = true;
            return;
        }
        memcpy(r->buf + r->len, e, n);
        r->len += n;
    }
}

/* ,"key": — or nothing written when it does not fit. */
static bool key(struct json_rec *r, const char *k, size_t value_room)
{
    size_t save = r->len;
    if (r->truncated)
        return false;
    if ((!r->first && !put(r, ",", 1)) || !put(r, "\"", 1)) {
        r->len = save;
        return false;
    }
    put_escaped(r, k);
    if (r->truncated || !put(r, "\":", 2) || room(r) < value_room) {
        r->len = save;
        r->truncated = true;
        return false;
    }
    r->first = false;
    return true;
}

void json_begin(struct json_rec *r, const char *type)
{
    r->len = 0;
    r->depth = 0;
    r->skipped = 0;
    r->truncated = false;
    r->first = true;
    put(r, "{", 1);
    json_str(r, "pvshim", type);
}

void json_str(struct json_rec *r, const char *k, const char *val)
{
    if (!key(r, k, 2))
        return;
    put(r, "\"", 1);
    bool was = r->truncated;
    put_escaped(r, val ? val : "");
    bool cut = r->truncated && !was;
    r->truncated = false;               /* the closing quote always fits */
    put(r, "\"", 1);
    r->truncated = was || cut;
}

void json_int(struct json_rec *r, const char *k, long long v)
{
    char num[24];
    int n = snprintf(num, sizeof(num), "%lld", v);
    if (key(r, k, (size_t)n))
        put(r, num, (size_t)n);
}

void json_uint(struct json_rec *r, const char *k, unsigned long long v)
{
    char num[24];
    int n = snprintf(num, sizeof(num), "%llu", v);
    if (key(r, k, (size_t)n))
        put(r, num, (size_t)n);
}

void json_bool(struct json_rec *r, const char *k, bool v)
{
    if (key(r, k, v ? 4 : 5))
        put(r, v ? "true" : "false", v ? 4 : 5);
}

void json_obj_begin(struct json_rec *r, const char *k)
{
    /* Counted even when not written, so json_obj_end stays balanced. */
    if (r->skipped == 0 && key(r, k, 2) && put(r, "{", 1)) {
        r->depth++;
        r->first = true;
    } else {
        r->skipped++;
    }
}

void json_obj_end(struct json_rec *r)
{
    if (r->skipped) {
        r->skipped--;
        return;
    }
    if (r->depth) {
        r->depth--;
        r->buf[r->len++] = '}';     /* room(): one byte kept per open object */
        r->first = false;
    }
}

size_t json_end(struct json_rec *r)
{
    r->skipped = 0;
    while (r->depth) {
        r->depth--;
        r->buf[r->len++] = '}';
    }
    if (r->truncated) {
        static const char mark[] = ",\"truncated\":true";
        memcpy(r->buf + r->len, mark, sizeof(mark) - 1);
        r->len += sizeof(mark) - 1;
    }
    r->buf[r->len++] = '}';
    r->buf[r->len++] = '\n';
    r->buf[r->len] = '\0';
    return r->len;
}
