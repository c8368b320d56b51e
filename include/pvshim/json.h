/*
 * pvshim's machine-readable records (logformat=json): one JSON object a
 * line, built field by field in a fixed buffer, never allocated. Every
 * record starts with "pvshim":"TYPE"; README and pvshim(7) list the types
 * and their fields. A record that does not fit is cut at a field boundary
 * (a string value may be shortened) and ends with "truncated":true, so it
 * is always valid JSON.
 */
#ifndef PVSHIM_JSON_H
#define PVSHIM_JSON_H

#include <pvshim/types.h>

#define JSON_REC_MAX 768

struct json_rec {
    char buf[JSON_REC_MAX];
    size_t len;
    unsigned depth;         /* open nested objects */
    unsigned skipped;       /* nested objects that did not fit */
    bool first;             /* no member yet in the innermost object */
    bool truncated;
};

void json_begin(struct json_rec *r, const char *type);
void json_str(struct json_rec *r, const char *key, const char *val);
void json_int(struct json_rec *r, const char *key, long long v);
void json_uint(struct json_rec *r, const char *key, unsigned long long v);
void json_bool(struct json_rec *r, const char *key, bool v);
void json_obj_begin(struct json_rec *r, const char *key);
void json_obj_end(struct json_rec *r);
/* Close every open object and end the line; returns the text's length. */
size_t json_end(struct json_rec *r);

#endif
