/* Exit reasons and the two ways pvshim gives up: bad input and panic. */
#include <pvshim/status.h>
#include <pvshim/log.h>
#include <pvshim/string.h>
#include <pvshim/json.h>

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

const char *exit_reason_id(enum pvshim_exit e)
{
    switch (e) {
    case EXIT_POWEROFF:       return "poweroff";
    case EXIT_REBOOT:         return "reboot";
    case EXIT_GUEST_CRASH:    return "guest-crash";
    case EXIT_BAD_INPUT:      return "bad-input";
    case EXIT_INTERNAL_ERROR: return "internal-error";
    case EXIT_WATCHDOG:       return "watchdog";
    }
    return "unknown";
}

void log_exit(enum pvshim_exit reason)
{
    struct json_rec r;
    json_begin(&r, "exit");
    json_str(&r, "reason", exit_reason_id(reason));
    json_int(&r, "code", (int)reason);
    json_int(&r, "qemu_status", exit_qemu_status(reason));
    log_event(LOG_INFO, &r, "exit: %s (QEMU status %d)", exit_reason_name(reason),
              exit_qemu_status(reason));
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
