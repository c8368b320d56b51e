/*
 * How a pvshim run ends. Under QEMU the non-zero statuses are written to
 * isa-debug-exit (iobase 0xf4), which makes QEMU exit with (value << 1) | 1;
 * a clean power-off goes through ACPI S5 and QEMU exits with 0. On a Xen
 * host the same reasons map onto SCHEDOP_shutdown. README has the table.
 */
#ifndef PVSHIM_STATUS_H
#define PVSHIM_STATUS_H

#include <pvshim/compiler.h>

enum pvshim_exit {
    EXIT_POWEROFF       = 0,    /* guest powered off: QEMU status 0 */
    EXIT_REBOOT         = 1,    /* guest asked for a reboot: status 3 */
    EXIT_GUEST_CRASH    = 2,    /* guest crashed or was killed: status 5 */
    EXIT_BAD_INPUT      = 3,    /* unusable boot input: status 7 */
    EXIT_INTERNAL_ERROR = 4,    /* pvshim itself failed: status 9 */
    EXIT_WATCHDOG       = 5,    /* guest stopped making progress: status 11 */
};

/* The QEMU exit status a reason produces, for messages and tests. */
static inline int exit_qemu_status(enum pvshim_exit e)
{
    return e == EXIT_POWEROFF ? 0 : ((int)e << 1) | 1;
}

const char *exit_reason_name(enum pvshim_exit e);

/* The reason as a stable word for records: "poweroff", "guest-crash", ... */
const char *exit_reason_id(enum pvshim_exit e);

/* The "exit: REASON (QEMU status N)" line, or its "exit" record. */
void log_exit(enum pvshim_exit reason);

/* End the VM. Never returns. */
NORETURN void machine_exit(enum pvshim_exit reason);

/* Log one "bad input: ..." line and end with EXIT_BAD_INPUT. */
NORETURN void fail_bad_input(const char *fmt, ...) PRINTF_LIKE(1, 2);

/* Log one "internal error: ..." line and end with EXIT_INTERNAL_ERROR. */
NORETURN void panic(const char *fmt, ...) PRINTF_LIKE(1, 2);

#endif
