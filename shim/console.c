/* The console fan-out and pvshim's log. */
#include <pvshim/spinlock.h>
#include <pvshim/console.h>
#include <pvshim/log.h>
#include <pvshim/string.h>
#include <pvshim/json.h>

#define MAX_SINKS 4

static const struct console_sink *sinks[MAX_SINKS];
static unsigned nr_sinks;
static unsigned active_mask = ~0u;

/*
 * The boot log so far, for a sink registered late (the L0 Xen's console
 * ring, found once paging is up) and for dumping when no sink took it.
 * Kept until the guest starts; what does not fit is not kept.
 */
static char early[8192];
static size_t early_len;
static bool early_done;

int log_threshold = LOG_INFO;
bool log_json;

/* Whether the last character written ended a line: records start on their own. */
static bool at_line_start = true;

void console_register(const struct console_sink *sink)
{
    if (nr_sinks < MAX_SINKS)
        sinks[nr_sinks++] = sink;
    if (early_len && (sink->kind & active_mask))
        sink->write(early, early_len);
}

void console_early_end(void)
{
    early_done = true;
}

size_t console_early_log(const char **log)
{
    *log = early;
    return early_len;
}

void console_select(unsigned mask)
{
    active_mask = mask;
}

unsigned console_present(void)
{
    unsigned m = 0;
    for (unsigned i = 0; i < nr_sinks; i++)
        m |= sinks[i]->kind;
    return m;
}

/*
 * console_lock protects: the sinks' device state, and keeps each write
 * (a whole log line) in one piece when several CPUs write.
 * order: innermost, nothing is taken inside it. A CPU that faults while
 * holding it (a panic in a sink) writes without it rather than deadlock.
 */
static spinlock_t console_lock;

void console_write(const char *s, size_t len)
{
    bool nested = spin_is_mine(&console_lock);
    if (!nested)
        spin_lock(&console_lock);
    if (len)
        at_line_start = s[len - 1] == '\n';
    if (!early_done && len <= sizeof(early) - early_len) {
        memcpy(early + early_len, s, len);
        early_len += len;
    }
    for (unsigned i = 0; i < nr_sinks; i++)
        if (sinks[i]->kind & active_mask)
            sinks[i]->write(s, len);
    if (!nested)
        spin_unlock(&console_lock);
}

int console_read(void)
{
    for (unsigned i = 0; i < nr_sinks; i++) {
        if (!(sinks[i]->kind & active_mask) || !sinks[i]->read)
            continue;
        int c = sinks[i]->read();
        if (c >= 0)
            return c;
    }
    return -1;
}

size_t console_read_buf(char *buf, size_t len)
{
    size_t n = 0;
    while (n < len) {
        int c = console_read();
        if (c < 0)
            break;
        buf[n++] = (char)c;
    }
    return n;
}

static void (*input_listener)(void);

void console_set_input_listener(void (*fn)(void))
{
    input_listener = fn;
}

void console_input_arrived(void)
{
    if (input_listener)
        input_listener();
}

const char *log_level_name(int level)
{
    switch (level) {
    case LOG_ERR:  return "err";
    case LOG_WARN: return "warn";
    case LOG_INFO: return "info";
    default:       return "debug";
    }
}

void log_record(int level, struct json_rec *r)
{
    if (level > log_threshold)
        return;
    size_t len = json_end(r);
    if (!at_line_start)
        console_write("\n", 1);
    console_write(r->buf, len);
}

void log_event(int level, struct json_rec *r, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    if (!log_json) {
        log_vprintf(level, fmt, ap);
    } else if (level <= log_threshold) {
        char msg[400];
        fmt_vsnprintf(msg, sizeof(msg), fmt, ap);
        json_str(r, "msg", msg);
        log_record(level, r);
    }
    va_end(ap);
}

void log_vprintf(int level, const char *fmt, va_list ap)
{
    static const char prefix[] = "(pvshim) ";
    char line[512];

    if (level > log_threshold)
        return;
    size_t p = sizeof(prefix) - 1;
    memcpy(line, prefix, p);
    int n = fmt_vsnprintf(line + p, sizeof(line) - p - 1, fmt, ap);
    size_t len = p + (n < 0 ? 0 : MIN((size_t)n, sizeof(line) - p - 2));
    if (log_json) {
        struct json_rec r;
        while (len > p && line[len - 1] == '\n')
            len--;
        line[len] = '\0';
        json_begin(&r, "log");
        json_str(&r, "level", log_level_name(level));
        json_str(&r, "msg", line + p);
        log_record(level, &r);
        return;
    }
    if (len == 0 || line[len - 1] != '\n')
        line[len++] = '\n';
    console_write(line, len);
}

void log_printf(int level, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    log_vprintf(level, fmt, ap);
    va_end(ap);
}
