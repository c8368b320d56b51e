/* The local provider: pvshim offers the Xen services itself. */
#include <pvshim/console.h>
#include <pvshim/log.h>
#include "console_backend.h"
#include "xenstore_backend.h"
#include "services.h"

static void io_write(const char *s, size_t len)
{
    console_write(s, len);
}

static size_t io_read(char *buf, size_t len)
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

static void flush(void)
{
    console_backend_service();
}

const struct xen_services local_services = {
    .name = "local",
    .console_io_write = io_write,
    .console_io_read = io_read,
    .flush = flush,
    .store_bind = xenstore_backend_bind,
    .store_attach = xenstore_backend_attach,
};
