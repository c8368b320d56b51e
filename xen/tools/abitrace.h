/*
 * pvshim's records (logformat=json) read back from a console log, and the
 * tables DEPRECATION.md shows built from one or more of them: a column per
 * trace. pvshim-abi-report(1) is the command; pvshim(7) has the records.
 */
#ifndef PVSHIM_ABITRACE_H
#define PVSHIM_ABITRACE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#define ABI_NO_SUB  (-1)

struct abi_error {
    char name[24];                  /* Xen's name ("ENOENT"), a number, or "other" */
    unsigned long long n;
};

struct abi_row {
    unsigned op;
    int sub;                        /* ABI_NO_SUB for a hypercall without sub-operations */
    bool sub_or_above;              /* pvshim's last sub-operation row: this one or above */
    char hypercall[40], subop[40];
    unsigned long long calls, refused, enosys;
    struct abi_error *errors;
    size_t nerrors;
};

struct abi_event {
    char what[80];
    unsigned long long count;
};

struct abi_trace {
    char name[80];                  /* the column's title */
    char version[32];               /* pvshim's, from the start record */
    struct abi_row *rows;
    size_t nrows;
    struct abi_event *events;
    size_t nevents;
    bool complete;                  /* an abi-end record closed the report */
    bool exited;                    /* an exit record was seen */
    char exit_reason[32];
    unsigned long long exit_code, qemu_status;
    bool shut_down;                 /* a guest-shutdown record was seen */
    char shutdown_reason[32];
    size_t records;                 /* every pvshim record read */
};

/*
 * Read pvshim's records from a console log (text; other lines are the
 * guest's and are skipped). A later report replaces an earlier one.
 * 0, or -1 with "line N: what" in err for a record that is not valid.
 */
int abi_trace_read(const char *text, size_t len, struct abi_trace *t, char *err, size_t errlen);
void abi_trace_free(struct abi_trace *t);

/* The two Markdown tables: hypercalls, then trapped and emulated instructions. */
void abi_tables_markdown(FILE *out, const struct abi_trace *traces, size_t n);

/* One line: NAME: exit REASON (QEMU status N), C calls in R rows, F refused, E events. */
void abi_trace_summary(FILE *out, const struct abi_trace *t);

#endif
