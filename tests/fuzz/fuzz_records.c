/*
 * pvshim's JSON records both ways: any bytes as a console log through
 * pvshim-abi-report's reader (xen/tools/abitrace.c, jsonparse.c) and its
 * tables; and any bytes as a string field of a record pvshim writes
 * (shim/lib/json.c), which the reader must parse back, equal to the input
 * when nothing was cut and the input is printable ASCII.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pvshim/json.h>
#include "../../xen/tools/abitrace.h"
#include "../../xen/tools/jsonparse.h"
/* The host tool's sources are not part of pvshim's portable library. */
#include "../../xen/tools/abitrace.c"
#include "../../xen/tools/jsonparse.c"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static FILE *sink;
    char err[300];
    if (!sink)
        sink = fopen("/dev/null", "w");

    struct abi_trace t = { .name = "fuzz" };
    abi_trace_read((const char *)data, size, &t, err, sizeof(err));
    abi_tables_markdown(sink, &t, 1);
    abi_trace_summary(sink, &t);
    abi_trace_free(&t);

    char s[JSON_REC_MAX + 200];
    size_t n = size < sizeof(s) - 1 ? size : sizeof(s) - 1;
    memcpy(s, data, n);
    s[n] = '\0';
    struct json_rec r;
    json_begin(&r, "log");
    json_str(&r, "msg", s);
    json_obj_begin(&r, "errors");
    json_uint(&r, s, size);
    json_obj_end(&r);
    size_t len = json_end(&r);
    if (len >= JSON_REC_MAX || len != strlen(r.buf) || r.buf[len - 1] != '\n')
        abort();
    struct jp_value v;
    if (jp_parse(r.buf, len, &v, err, sizeof(err))) {
        fprintf(stderr, "record not parsed back: %s\n%s", err, r.buf);
        abort();
    }
    const char *msg = jp_get_str(&v, "msg");
    if (!msg)
        abort();
    bool ascii = true;
    for (size_t i = 0; s[i]; i++)
        ascii &= s[i] >= 0x20 && s[i] < 0x7f;
    if (!r.truncated && ascii && strcmp(msg, s) != 0)
        abort();
    if (!r.truncated && strlen(msg) < strlen(s) && ascii)
        abort();
    jp_free(&v);
    return 0;
}
