/* Reading pvshim's records back, and writing DEPRECATION.md's tables. */
#include "abitrace.h"
#include "jsonparse.h"
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

static void copy(char *dst, size_t size, const char *src)
{
    snprintf(dst, size, "%s", src ? src : "");
}

static int err_at(char *err, size_t errlen, size_t line, const char *fmt, ...)
{
    char msg[200];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    snprintf(err, errlen, "line %zu: %s", line, msg);
    return -1;
}

static void clear_report(struct abi_trace *t)
{
    for (size_t i = 0; i < t->nrows; i++)
        free(t->rows[i].errors);
    free(t->rows);
    free(t->events);
    t->rows = NULL;
    t->events = NULL;
    t->nrows = t->nevents = 0;
    t->complete = false;
}

void abi_trace_free(struct abi_trace *t)
{
    clear_report(t);
}

static int read_abi(const struct jp_value *rec, struct abi_trace *t, size_t line,
                    char *err, size_t errlen)
{
    struct abi_row r = { .sub = ABI_NO_SUB };
    unsigned long long op, sub;
    if (!jp_get_uint(rec, "op", &op) || !jp_get_uint(rec, "calls", &r.calls) ||
        !jp_get_uint(rec, "refused", &r.refused) || !jp_get_uint(rec, "enosys", &r.enosys) ||
        !jp_get_str(rec, "hypercall") || op > 0xffff)
        return err_at(err, errlen, line, "abi record without op, hypercall, calls, refused "
                      "or enosys");
    r.op = (unsigned)op;
    copy(r.hypercall, sizeof(r.hypercall), jp_get_str(rec, "hypercall"));
    if (jp_get(rec, "sub")) {
        if (!jp_get_uint(rec, "sub", &sub) || sub > 0xffff)
            return err_at(err, errlen, line, "abi record with a bad sub");
        r.sub = (int)sub;
        copy(r.subop, sizeof(r.subop), jp_get_str(rec, "subop"));
        const struct jp_value *more = jp_get(rec, "sub_or_above");
        r.sub_or_above = more && more->type == JP_BOOL && more->boolean;
    }
    const struct jp_value *e = jp_get(rec, "errors");
    if (e) {
        if (e->type != JP_OBJECT)
            return err_at(err, errlen, line, "abi record: errors is not an object");
        r.errors = calloc(e->n ? e->n : 1, sizeof(*r.errors));
        if (!r.errors)
            return err_at(err, errlen, line, "out of memory");
        for (size_t i = 0; i < e->n; i++) {
            if (e->items[i].type != JP_NUMBER || !e->items[i].is_uint) {
                free(r.errors);
                return err_at(err, errlen, line, "abi record: error %s is not a count",
                              e->keys[i]);
            }
            copy(r.errors[i].name, sizeof(r.errors[i].name), e->keys[i]);
            r.errors[i].n = e->items[i].uint;
        }
        r.nerrors = e->n;
    }
    if (t->complete)            /* a new report after a finished one replaces it */
        clear_report(t);
    struct abi_row *rows = realloc(t->rows, (t->nrows + 1) * sizeof(*rows));
    if (!rows) {
        free(r.errors);
        return err_at(err, errlen, line, "out of memory");
    }
    t->rows = rows;
    t->rows[t->nrows++] = r;
    return 0;
}

static int read_event(const struct jp_value *rec, struct abi_trace *t, size_t line,
                      char *err, size_t errlen)
{
    struct abi_event ev;
    if (!jp_get_str(rec, "what") || !jp_get_uint(rec, "count", &ev.count))
        return err_at(err, errlen, line, "abi-event record without what or count");
    copy(ev.what, sizeof(ev.what), jp_get_str(rec, "what"));
    if (t->complete)
        clear_report(t);
    struct abi_event *evs = realloc(t->events, (t->nevents + 1) * sizeof(*evs));
    if (!evs)
        return err_at(err, errlen, line, "out of memory");
    t->events = evs;
    t->events[t->nevents++] = ev;
    return 0;
}

static int read_record(const struct jp_value *rec, struct abi_trace *t, size_t line,
                       char *err, size_t errlen)
{
    const char *type = jp_get_str(rec, "pvshim");
    if (!type)
        return err_at(err, errlen, line, "a record whose \"pvshim\" is not a string");
    t->records++;
    if (!strcmp(type, "abi"))
        return read_abi(rec, t, line, err, errlen);
    if (!strcmp(type, "abi-event"))
        return read_event(rec, t, line, err, errlen);
    if (!strcmp(type, "abi-end")) {
        t->complete = true;
    } else if (!strcmp(type, "start")) {
        copy(t->version, sizeof(t->version), jp_get_str(rec, "version"));
    } else if (!strcmp(type, "guest-shutdown")) {
        t->shut_down = true;
        copy(t->shutdown_reason, sizeof(t->shutdown_reason), jp_get_str(rec, "reason"));
    } else if (!strcmp(type, "exit")) {
        if (!jp_get_str(rec, "reason") || !jp_get_uint(rec, "code", &t->exit_code) ||
            !jp_get_uint(rec, "qemu_status", &t->qemu_status))
            return err_at(err, errlen, line, "exit record without reason, code or qemu_status");
        t->exited = true;
        copy(t->exit_reason, sizeof(t->exit_reason), jp_get_str(rec, "reason"));
    }
    /* log, guest-crash, and types a later pvshim adds: nothing to count. */
    return 0;
}

int abi_trace_read(const char *text, size_t len, struct abi_trace *t, char *err, size_t errlen)
{
    static const char marker[] = "{\"pvshim\":";
    const char *p = text, *end = text + len;
    size_t line = 0;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *eol = nl ? nl : end;
        line++;
        /* Records start their line; a serial console may add a CR. */
        const char *s = p, *e = eol;
        while (s < e && (*s == '\r' || *s == ' '))
            s++;
        while (e > s && (e[-1] == '\r' || e[-1] == ' '))
            e--;
        if ((size_t)(e - s) >= sizeof(marker) - 1 && !memcmp(s, marker, sizeof(marker) - 1)) {
            struct jp_value rec;
            char jerr[200];
            if (jp_parse(s, (size_t)(e - s), &rec, jerr, sizeof(jerr)))
                return err_at(err, errlen, line, "not a valid record: %s", jerr);
            int rc = read_record(&rec, t, line, err, errlen);
            jp_free(&rec);
            if (rc)
                return rc;
        }
        p = nl ? nl + 1 : end;
    }
    return 0;
}

/* ---------------------------------------------------------------- tables */

/* Rows in pvshim's order: by hypercall, the hypercall's own row first, then
 * by sub-operation. */
static int row_cmp(const struct abi_row *a, const struct abi_row *b)
{
    if (a->op != b->op)
        return a->op < b->op ? -1 : 1;
    if (a->sub != b->sub)
        return a->sub < b->sub ? -1 : 1;
    return 0;
}

static const struct abi_row *find_row(const struct abi_trace *t, const struct abi_row *key)
{
    for (size_t i = 0; i < t->nrows; i++)
        if (!row_cmp(&t->rows[i], key))
            return &t->rows[i];
    return NULL;
}

static int row_ptr_cmp(const void *a, const void *b)
{
    return row_cmp(*(const struct abi_row *const *)a, *(const struct abi_row *const *)b);
}

static unsigned long long row_errors(const struct abi_row *r, const char *name)
{
    if (!r)
        return 0;
    for (size_t i = 0; i < r->nerrors; i++)
        if (!strcmp(r->errors[i].name, name))
            return r->errors[i].n;
    return 0;
}

/* The refused cell: "0", or per error "-ENOENT 8191" with one count per
 * trace ("8191 / 8191 / 1") when there are several traces. */
static void refused_cell(FILE *out, const struct abi_trace *traces, size_t n,
                         const struct abi_row *key)
{
    const char *names[64];
    size_t nnames = 0;
    unsigned long long refused = 0;
    for (size_t i = 0; i < n; i++) {
        const struct abi_row *r = find_row(&traces[i], key);
        if (!r)
            continue;
        refused += r->refused;
        for (size_t j = 0; j < r->nerrors; j++) {
            size_t k = 0;
            while (k < nnames && strcmp(names[k], r->errors[j].name))
                k++;
            if (k == nnames && nnames < 64)
                names[nnames++] = r->errors[j].name;
        }
    }
    if (!refused) {
        fputs("0", out);
        return;
    }
    if (!nnames) {                      /* a trace from before errors were recorded */
        for (size_t i = 0; i < n; i++) {
            const struct abi_row *r = find_row(&traces[i], key);
            fprintf(out, "%s%llu", i ? " / " : "", r ? r->refused : 0);
        }
        return;
    }
    for (size_t k = 0; k < nnames; k++) {
        const char *name = names[k];
        bool named = name[0] == 'E';
        fprintf(out, "%s%s%s ", k ? "; " : "", named ? "-" : "", name);
        for (size_t i = 0; i < n; i++)
            fprintf(out, "%s%llu", i ? " / " : "",
                    row_errors(find_row(&traces[i], key), name));
    }
}

void abi_tables_markdown(FILE *out, const struct abi_trace *traces, size_t n)
{
    /* Every row any trace has, once. */
    size_t total = 0;
    for (size_t i = 0; i < n; i++)
        total += traces[i].nrows;
    const struct abi_row **rows = calloc(total ? total : 1, sizeof(*rows));
    size_t nrows = 0;
    for (size_t i = 0; rows && i < n; i++)
        for (size_t j = 0; j < traces[i].nrows; j++) {
            size_t k = 0;
            while (k < nrows && row_cmp(rows[k], &traces[i].rows[j]))
                k++;
            if (k == nrows)
                rows[nrows++] = &traces[i].rows[j];
        }
    qsort(rows, nrows, sizeof(*rows), row_ptr_cmp);

    fputs("| op | hypercall | sub-operation |", out);
    for (size_t i = 0; i < n; i++)
        fprintf(out, " %s |", traces[i].name);
    fputs(n > 1 ? " refused (error: count in each trace) |\n" : " refused (error: count) |\n",
          out);
    fputs("|---|---|---|", out);
    for (size_t i = 0; i < n; i++)
        fputs("---:|", out);
    fputs("---:|\n", out);
    for (size_t k = 0; k < nrows; k++) {
        const struct abi_row *r = rows[k];
        fprintf(out, "| %u | %s | ", r->op, r->hypercall);
        if (r->sub != ABI_NO_SUB)
            fprintf(out, "%s%d%s%s", r->sub_or_above ? ">=" : "", r->sub,
                    r->subop[0] ? " " : "", r->subop);
        fputs(" |", out);
        for (size_t i = 0; i < n; i++) {
            const struct abi_row *c = find_row(&traces[i], r);
            fprintf(out, " %llu |", c ? c->calls : 0);
        }
        fputc(' ', out);
        refused_cell(out, traces, n, r);
        fputs(" |\n", out);
    }
    free(rows);

    fputs("\n| trapped and emulated |", out);
    for (size_t i = 0; i < n; i++)
        fprintf(out, " %s |", traces[i].name);
    fputs("\n|---|", out);
    for (size_t i = 0; i < n; i++)
        fputs("---:|", out);
    fputc('\n', out);
    /* In the order the traces first saw them. */
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < traces[i].nevents; j++) {
            const char *what = traces[i].events[j].what;
            bool seen = false;
            for (size_t a = 0; a < i && !seen; a++)
                for (size_t b = 0; b < traces[a].nevents && !seen; b++)
                    seen = !strcmp(traces[a].events[b].what, what);
            if (seen)
                continue;
            fprintf(out, "| %s |", what);
            for (size_t a = 0; a < n; a++) {
                unsigned long long c = 0;
                for (size_t b = 0; b < traces[a].nevents; b++)
                    if (!strcmp(traces[a].events[b].what, what))
                        c = traces[a].events[b].count;
                fprintf(out, " %llu |", c);
            }
            fputc('\n', out);
        }
}

void abi_trace_summary(FILE *out, const struct abi_trace *t)
{
    unsigned long long calls = 0, refused = 0, events = 0;
    for (size_t i = 0; i < t->nrows; i++) {
        calls += t->rows[i].calls;
        refused += t->rows[i].refused;
    }
    for (size_t i = 0; i < t->nevents; i++)
        events += t->events[i].count;
    fprintf(out, "%s: ", t->name);
    if (t->exited)
        fprintf(out, "exit %s (QEMU status %llu)", t->exit_reason, t->qemu_status);
    else
        fputs("no exit record", out);
    if (t->shut_down)
        fprintf(out, ", guest shut down: %s", t->shutdown_reason);
    fprintf(out, ", %llu hypercalls in %zu rows, %llu refused, %llu trapped or emulated%s\n",
            calls, t->nrows, refused, events, t->complete ? "" : " (no complete trace=abi report)");
}
