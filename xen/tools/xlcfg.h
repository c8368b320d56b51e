/*
 * xl domain configurations (xl.cfg(5)): a parser for their syntax, and the
 * conversion of a classic PV guest's configuration into a PVH guest that
 * runs the same kernel through pvshim. Host-side C (libc), used by
 * pvshim-xl-convert and unit-tested on real-world configurations.
 *
 * Syntax understood: KEY = VALUE settings separated by newlines or ';',
 * '#' comments to the end of the line; a VALUE is a string in "double" or
 * 'single' quotes (backslash escapes \n \t \r \\ \" \' \xHH \ooo), a bare
 * number or word, or a [list, of, those] that may span lines and end in a
 * comma. A key assigned twice keeps its last value, as xl does.
 */
#ifndef PVSHIM_XLCFG_H
#define PVSHIM_XLCFG_H

#include <stddef.h>
#include <stdbool.h>

enum xlval_kind {
    XLVAL_STRING,       /* quoted */
    XLVAL_ATOM,         /* a bare number or word, kept as written */
    XLVAL_LIST,
};

struct xlval {
    enum xlval_kind kind;
    char *s;                    /* STRING, ATOM */
    struct xlval *items;        /* LIST: STRING or ATOM items */
    size_t n;
};

struct xlsetting {
    char *key;
    struct xlval v;
    unsigned line;
};

struct xlcfg {
    struct xlsetting *s;
    size_t n;
};

/* Parse text[0, len). 0, or -1 with "line N: reason" in err. */
int xlcfg_parse(const char *text, size_t len, struct xlcfg *cfg, char *err, size_t errlen);
void xlcfg_free(struct xlcfg *cfg);

/* The setting's value, or NULL. */
const struct xlval *xlcfg_get(const struct xlcfg *cfg, const char *key);

/* What the conversion could not carry over, or changed: one line each. */
#define XL_NOTES_MAX 32
struct xl_notes {
    char line[XL_NOTES_MAX][256];
    size_t n;
};

struct xl_convert_opts {
    const char *shim_path;      /* pvshim_path, e.g. /usr/lib/pvshim/pvshim-pvh */
    const char *shim_cmdline;   /* pvshim_cmdline */
    const char *source_name;    /* for the header comment */
};

/*
 * Convert a PV guest's configuration into a PVH + pvshim one. Returns the
 * new configuration text (malloc'd; the caller frees it), with every note
 * also written into it as a comment, or NULL with the reason in err when
 * the configuration is not a PV guest's or names no kernel and no
 * bootloader.
 */
char *xl_convert_pv_to_pvh(const struct xlcfg *in, const struct xl_convert_opts *o,
                           struct xl_notes *notes, char *err, size_t errlen);

#endif
