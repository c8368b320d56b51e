/* The local provider: pvshim offers the Xen services itself. */
#include <pvshim/console.h>
#include <pvshim/log.h>
#include "console_backend.h"
#include "xenstore_backend.h"
#include "host_cmd.h"
#include "services.h"

static void flush(void)
{
    console_backend_service();
}

/* CONSOLEIO_read: the console's input less the host's Ctrl-] commands. */
static size_t console_io_read(char *buf, size_t len)
{
    size_t n = 0;
    while (n < len) {
        int c = console_read();
        if (c < 0)
            break;
        c = host_cmd_filter(c);
        if (c >= 0)
            buf[n++] = (char)c;
    }
    return n;
}

const struct xen_services local_services = {
    .name = "local",
    .console_io_write = console_write,
    .console_io_read = console_io_read,
    .flush = flush,
    .store_bind = xenstore_backend_bind,
    .store_attach = xenstore_backend_attach,
};
