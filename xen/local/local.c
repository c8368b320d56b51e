/* The local provider: pvshim offers the Xen services itself. */
#include <pvshim/console.h>
#include <pvshim/log.h>
#include "console_backend.h"
#include "xenstore_backend.h"
#include "services.h"

static void flush(void)
{
    console_backend_service();
}

const struct xen_services local_services = {
    .name = "local",
    .console_io_write = console_write,
    .console_io_read = console_read_buf,
    .flush = flush,
    .store_bind = xenstore_backend_bind,
    .store_attach = xenstore_backend_attach,
};
