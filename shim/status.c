/* Exit reasons and the two ways pvshim gives up: bad input and panic. */
#include <pvshim/status.h>
#include <pvshim/log.h>
#include <pvshim/string.h>

const char *exit_reason_name(enum pvshim_exit e)
{
    switch (e) {
    case EXIT_POWEROFF:       return "power-off";
    case EXIT_REBOOT:         return "reboot";
    case EXIT_GUEST_CRASH:    return "guest crash";
    case EXIT_BAD_INPUT:      return "bad input";
    case EXIT_INTERNAL_ERROR: return "internal error";
    case EXIT_WATCHDOG:       return "guest watchdog";
    }
    return "unknown";
}

static NORETURN void fail_with(enum pvshim_exit reason, const char *what,
                               const char *fmt, va_list ap)
{
    char msg[400];
    fmt_vsnprintf(msg, sizeof(msg), fmt, ap);
    log_err("%s: %s", what, msg);
    machine_exit(reason);
}

void fail_bad_input(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fail_with(EXIT_BAD_INPUT, "bad input", fmt, ap);
}

void panic(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fail_with(EXIT_INTERNAL_ERROR, "internal error", fmt, ap);
}
