/*
 * A small JSON reader for the host tools: a whole text into a tree of
 * values (RFC 8259: objects, arrays, strings with every escape, numbers,
 * true, false, null), with a line and column for the first error.
 * pvshim's records (logformat=json) are read with it.
 */
#ifndef PVSHIM_JSONPARSE_H
#define PVSHIM_JSONPARSE_H

#include <stdbool.h>
#include <stddef.h>

enum jp_type { JP_NULL, JP_BOOL, JP_NUMBER, JP_STRING, JP_ARRAY, JP_OBJECT };

struct jp_value {
    enum jp_type type;
    bool boolean;
    double number;
    bool is_uint;                   /* a number written as digits only */
    unsigned long long uint;        /* its value, when is_uint */
    char *string;                   /* UTF-8, NUL-terminated (a NUL escape is refused) */
    size_t n;                       /* members or elements */
    char **keys;                    /* an object's keys, in order */
    struct jp_value *items;         /* its values, or an array's elements */
};

/* 0 on success; -1 with "column N: what" in err. Allocates: jp_free(). */
int jp_parse(const char *text, size_t len, struct jp_value *out, char *err, size_t errlen);
void jp_free(struct jp_value *v);

/* An object's member, or NULL (the first, if a key repeats). */
const struct jp_value *jp_get(const struct jp_value *obj, const char *key);
/* Its string, or NULL when missing or not a string. */
const char *jp_get_str(const struct jp_value *obj, const char *key);
/* Its unsigned integer into *out; false when missing or not one. */
bool jp_get_uint(const struct jp_value *obj, const char *key, unsigned long long *out);

#endif
