#include <pvshim/options.h>
#include <pvshim/console.h>
#include <pvshim/log.h>
#include <pvshim/string.h>
#include <pvshim/error.h>

/* The self-tests pvshim's integration suite may ask for. */
static const char *const selftests[] = {
    "ud",       /* execute ud2 in pvshim: exception report and exit */
    "pf",       /* touch an unmapped address: page-fault report and exit */
    "gp",       /* load a bad segment selector */
    "timer",    /* take LAPIC timer interrupts and report their rate */
    "smp",      /* cross-calls and remote TLB flushes on every CPU */
    "panic",    /* call panic() */
    "poweroff", /* end with a clean power-off (ACPI S5) */
    "reboot",   /* end with the reboot status */
};

bool parse_size(const char *s, size_t len, uint64_t *out)
{
    unsigned shift = 0;
    if (len > 0) {
        switch (s[len - 1]) {
        case 'k': case 'K': shift = 10; break;
        case 'm': case 'M': shift = 20; break;
        case 'g': case 'G': shift = 30; break;
        case 't': case 'T': shift = 40; break;
        }
        if (shift)
            len--;
    }
    uint64_t v;
    if (len == 0 || !parse_u64(s, len, &v))
        return false;
    if (shift && v > (UINT64_MAX >> shift))
        return false;
    *out = v << shift;
    return true;
}

static bool word_is(const char *w, size_t n, const char *lit)
{
    return strlen(lit) == n && memcmp(w, lit, n) == 0;
}

static int parse_console(const char *v, size_t n, struct pvshim_options *o,
                         char *err, size_t errlen)
{
    unsigned mask = 0;
    size_t i = 0;
    while (i <= n) {
        size_t j = i;
        while (j < n && v[j] != ',')
            j++;
        const char *w = v + i;
        size_t wl = j - i;
        if (word_is(w, wl, "com1") || word_is(w, wl, "serial"))
            mask |= CONSOLE_COM1;
        else if (word_is(w, wl, "debugcon"))
            mask |= CONSOLE_DEBUGCON;
        else if (word_is(w, wl, "xen") || word_is(w, wl, "pv"))
            mask |= CONSOLE_XEN;    /* "pv": Xen's shim name for it (xl's "console=xen,pv") */
        else if (word_is(w, wl, "none"))
            ;
        else
            return error_set(err, errlen, -1,
                        "console=: unknown console '%.*s' (com1, debugcon, xen, pv, none)",
                        (int)wl, w);
        i = j + 1;
    }
    o->console_given = true;
    o->console_mask = mask;
    return 0;
}

static int parse_loglevel(const char *v, size_t n, struct pvshim_options *o,
                          char *err, size_t errlen)
{
    static const char *const names[] = { "none", "err", "warn", "info", "debug" };
    for (int i = 0; i < (int)ARRAY_SIZE(names); i++)
        if (word_is(v, n, names[i])) {
            o->loglevel = i;
            return 0;
        }
    uint64_t lvl;
    if (!parse_u64(v, n, &lvl) || lvl > LOG_DEBUG)
        return error_set(err, errlen, -1, "loglevel=: '%.*s' is not 0-4 or err|warn|info|debug",
                    (int)n, v);
    o->loglevel = (int)lvl;
    return 0;
}

/* trace=LIST: comma-separated, abi and/or boot. */
static int parse_trace(const char *v, size_t n, struct pvshim_options *o,
                       char *err, size_t errlen)
{
    size_t i = 0;
    while (i <= n) {
        size_t j = i;
        while (j < n && v[j] != ',')
            j++;
        if (word_is(v + i, j - i, "abi"))
            o->trace_abi = true;
        else if (word_is(v + i, j - i, "boot"))
            o->trace_boot = true;
        else
            return error_set(err, errlen, -1, "trace=: unknown trace '%.*s' (abi, boot)",
                             (int)(j - i), v + i);
        i = j + 1;
    }
    return 0;
}

static int parse_selftest(const char *v, size_t n, struct pvshim_options *o,
                          char *err, size_t errlen)
{
    for (unsigned i = 0; i < ARRAY_SIZE(selftests); i++)
        if (word_is(v, n, selftests[i])) {
            strlcpy_s(o->selftest, selftests[i], sizeof(o->selftest));
            return 0;
        }
    return error_set(err, errlen, -1, "selftest=: unknown self-test '%.*s'", (int)n, v);
}

int options_parse(const char *cmdline, struct pvshim_options *o, char *err, size_t errlen)
{
    memset(o, 0, sizeof(*o));
    o->loglevel = LOG_INFO;

    const char *p = cmdline;
    for (;;) {
        while (*p == ' ' || *p == '\t' || *p == '\n')
            p++;
        if (!*p)
            return 0;
        const char *w = p;
        while (*p && *p != ' ' && *p != '\t' && *p != '\n')
            p++;
        size_t wl = (size_t)(p - w);

        if (word_is(w, wl, "--")) {
            while (*p == ' ' || *p == '\t')
                p++;
            if (strlcpy_s(o->guest_args, p, sizeof(o->guest_args)) >= sizeof(o->guest_args))
                return error_set(err, errlen, -1, "guest arguments after -- are too long");
            return 0;
        }

        /* xl's default shim command line starts with Xen's own flag for shim mode. */
        if (word_is(w, wl, "pv-shim")) {
            o->pv_shim = true;
            continue;
        }

        const char *eq = memchr(w, '=', wl);
        if (!eq)
            return error_set(err, errlen, -1, "unknown option '%.*s'", (int)wl, w);
        size_t kl = (size_t)(eq - w);
        const char *v = eq + 1;
        size_t vl = wl - kl - 1;
        int rc;
        if (word_is(w, kl, "console"))
            rc = parse_console(v, vl, o, err, errlen);
        else if (word_is(w, kl, "loglevel"))
            rc = parse_loglevel(v, vl, o, err, errlen);
        else if (word_is(w, kl, "logformat")) {
            rc = 0;
            if (word_is(v, vl, "text") || word_is(v, vl, "json"))
                o->log_json = word_is(v, vl, "json");
            else
                rc = error_set(err, errlen, -1, "logformat=: '%.*s' is not text or json",
                               (int)vl, v);
        } else if (word_is(w, kl, "mem")) {
            rc = parse_size(v, vl, &o->mem_limit) ? 0
                 : error_set(err, errlen, -1, "mem=: '%.*s' is not a size", (int)vl, v);
            if (!rc && o->mem_limit < MiB(16))
                rc = error_set(err, errlen, -1, "mem=: %.*s is less than the 16M pvshim needs",
                          (int)vl, v);
        } else if (word_is(w, kl, "watchdog")) {
            uint64_t secs;
            rc = parse_u64(v, vl, &secs) && secs <= 86400 ? 0
                 : error_set(err, errlen, -1, "watchdog=: '%.*s' is not 0-86400 seconds", (int)vl, v);
            if (!rc)
                o->watchdog_seconds = (unsigned)secs;
        } else if (word_is(w, kl, "trace"))
            rc = parse_trace(v, vl, o, err, errlen);
        else if (word_is(w, kl, "selftest"))
            rc = parse_selftest(v, vl, o, err, errlen);
        else
            rc = error_set(err, errlen, -1, "unknown option '%.*s'", (int)wl, w);
        if (rc)
            return rc;
    }
}
