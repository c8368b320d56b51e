/*
 * Console sinks: where pvshim's log and the guest's console output go.
 * The arch layer registers the devices it finds (16550 serial, QEMU
 * debugcon, Xen's console); `console=` on pvshim's command line picks which
 * ones stay active.
 */
#ifndef PVSHIM_CONSOLE_H
#define PVSHIM_CONSOLE_H

#include <pvshim/types.h>

enum console_kind {
    CONSOLE_COM1     = 1u << 0,
    CONSOLE_DEBUGCON = 1u << 1,
    CONSOLE_XEN      = 1u << 2,
};

struct console_sink {
    enum console_kind kind;
    const char *name;
    void (*write)(const char *s, size_t len);
    /* Next input byte, or -1 when none is waiting; NULL for output-only. */
    int (*read)(void);
};

/* A sink registered after boot output started gets that output first. */
void console_register(const struct console_sink *sink);
/* The guest starts: stop keeping the boot log. */
void console_early_end(void);
/* The boot log kept so far (up to 8 KiB): its length, *log its start. */
size_t console_early_log(const char **log);
/* Keep only the sinks whose kind is in mask (0 silences everything). */
void console_select(unsigned mask);
/* Which kinds are registered (present), whatever the selection. */
unsigned console_present(void);
/* Next byte typed on any active input, or -1. */
int console_read(void);
/* Up to len bytes typed so far (console_read until none is left): how many. */
size_t console_read_buf(char *buf, size_t len);

/* Who to tell when input arrives (interrupt context); one listener. */
void console_set_input_listener(void (*fn)(void));
/* Called by input devices when bytes are waiting. */
void console_input_arrived(void);

#endif
