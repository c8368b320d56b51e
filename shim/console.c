/* The console fan-out and pvshim's log. */
#include <pvshim/spinlock.h>
#include <pvshim/console.h>
#include <pvshim/log.h>
#include <pvshim/string.h>

#define MAX_SINKS 4

static const struct console_sink *sinks[MAX_SINKS];
static unsigned nr_sinks;
static unsigned active_mask = ~0u;

int log_threshold = LOG_INFO;

void console_register(const struct console_sink *sink)
{
    if (nr_sinks < MAX_SINKS)
        sinks[nr_sinks++] = sink;
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
