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
    "c-entry",  /* every 64-bit SYSCALL and #PF through the C path: the fast paths' reference */
    "heap",     /* fill the heap to its bound through its chunks, check, free */
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

#define MMIO_KEY "virtio_mmio.device="

static bool is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n';
}

static bool is_mmio_announce(const char *w, size_t wl)
{
    size_t kl = strlen(MMIO_KEY);
    return wl >= kl && memcmp(w, MMIO_KEY, kl) == 0;
}

/* One virtio_mmio.device= word: SIZE@BASE:GSI, optionally :ID (ignored). */
static int parse_mmio_announce(const char *w, size_t wl, struct pvshim_options *o,
                               char *err, size_t errlen)
{
    const char *v = w + strlen(MMIO_KEY), *end = w + wl;
    const char *at = memchr(v, '@', (size_t)(end - v));
    const char *colon = at ? memchr(at, ':', (size_t)(end - at)) : NULL;
    const char *colon2 = colon ? memchr(colon + 1, ':', (size_t)(end - colon - 1)) : NULL;
    const char *gsi_end = colon2 ? colon2 : end;
    struct mmio_announce a;
    uint64_t gsi, id;
    if (!at || !colon || !parse_size(v, (size_t)(at - v), &a.size) ||
        !parse_u64(at + 1, (size_t)(colon - at - 1), &a.base) ||
        !parse_u64(colon + 1, (size_t)(gsi_end - colon - 1), &gsi) || gsi > 255 ||
        (colon2 && !parse_u64(colon2 + 1, (size_t)(end - colon2 - 1), &id)) ||
        a.size == 0 || a.base + a.size < a.base)
        return error_set(err, errlen, -1, MMIO_KEY ": '%.*s' is not SIZE@BASE:IRQ[:ID]",
                         (int)(end - v), v);
    if (o->nr_mmio == OPTIONS_MAX_MMIO)
        return error_set(err, errlen, -1, MMIO_KEY ": more than %u devices", OPTIONS_MAX_MMIO);
    a.gsi = (unsigned)gsi;
    o->mmio[o->nr_mmio++] = a;
    return 0;
}

/*
 * The guest's arguments: the rest of the line, less the announcements
 * (each with the blank before it, as QEMU appends " virtio_mmio.device=...").
 */
static int take_guest_args(const char *p, struct pvshim_options *o, char *err, size_t errlen)
{
    size_t n = 0;
    while (*p) {
        if (is_space(*p)) {
            if (n + 1 >= sizeof(o->guest_args))
                return error_set(err, errlen, -1, "guest arguments after -- are too long");
            o->guest_args[n++] = *p++;
            continue;
        }
        const char *w = p;
        while (*p && !is_space(*p))
            p++;
        size_t wl = (size_t)(p - w);
        if (is_mmio_announce(w, wl)) {
            int rc = parse_mmio_announce(w, wl, o, err, errlen);
            if (rc)
                return rc;
            while (n > 0 && is_space(o->guest_args[n - 1]))
                n--;
            continue;
        }
        if (n + wl >= sizeof(o->guest_args))
            return error_set(err, errlen, -1, "guest arguments after -- are too long");
        memcpy(o->guest_args + n, w, wl);
        n += wl;
    }
    o->guest_args[n] = 0;
    /* An announcement first leaves the blank that followed it. */
    size_t lead = 0;
    while (is_space(o->guest_args[lead]))
        lead++;
    memmove(o->guest_args, o->guest_args + lead, n + 1 - lead);
    return 0;
}

int options_parse(const char *cmdline, struct pvshim_options *o, char *err, size_t errlen)
{
    memset(o, 0, sizeof(*o));
    o->loglevel = LOG_INFO;
    o->save_disk = -1;

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
            return take_guest_args(p, o, err, errlen);
        }

        if (is_mmio_announce(w, wl)) {
            int rc = parse_mmio_announce(w, wl, o, err, errlen);
            if (rc)
                return rc;
            continue;
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
        } else if (word_is(w, kl, "savedisk")) {
            uint64_t n;
            rc = parse_u64(v, vl, &n) && n < OPTIONS_MAX_DISKS ? 0
                 : error_set(err, errlen, -1, "savedisk=: '%.*s' is not a disk number 0-%u",
                             (int)vl, v, OPTIONS_MAX_DISKS - 1);
            if (!rc)
                o->save_disk = (int)n;
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
