/* QEMU's debug console (port 0xe9): reads back 0xe9 when present. */
#include <pvshim/console.h>
#include "x86.h"

#define DEBUGCON_PORT 0xe9

static void debugcon_write(const char *s, size_t len)
{
    for (size_t i = 0; i < len; i++)
        outb(DEBUGCON_PORT, (uint8_t)s[i]);
}

static const struct console_sink debugcon_sink = {
    .kind = CONSOLE_DEBUGCON,
    .name = "debugcon",
    .write = debugcon_write,
};

void debugcon_init(void)
{
    if (inb(DEBUGCON_PORT) == DEBUGCON_PORT)
        console_register(&debugcon_sink);
}
