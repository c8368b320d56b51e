/* The console fan-out and pvshim's log. */
#include <pvshim/console.h>
#include <pvshim/log.h>
#include <pvshim/string.h>

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

void console_write(const char *s, size_t len)
{
    if (!early_done && len <= sizeof(early) - early_len) {
        memcpy(early + early_len, s, len);
        early_len += len;
    }
    for (unsigned i = 0; i < nr_sinks; i++)
        if (sinks[i]->kind & active_mask)
            sinks[i]->write(s, len);
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
