/*
 * console_io: the hypervisor console, which early and emergency output of
 * PV guests uses (Linux earlyprintk=xen, PV-GRUB, Mini-OS). Writes go to
 * pvshim's console; reads take what the user typed, if anything.
 */
#include "hypercalls.h"
#include "services.h"
#include <pvshim/guest_access.h>
#include <pvshim/xen_abi.h>

#define CHUNK 128

long do_console_io(unsigned int cmd, unsigned int count, vaddr_t buffer)
{
    char buf[CHUNK];
    switch (cmd) {
    case CONSOLEIO_write:
        while (count) {
            unsigned n = count < CHUNK ? count : CHUNK;
            if (copy_from_guest(buf, buffer, n))
                return -XEN_EFAULT;
            services->console_io_write(buf, n);
            buffer += n;
            count -= n;
        }
        return 0;
    case CONSOLEIO_read: {
        unsigned n = count < CHUNK ? count : CHUNK;
        size_t got = services->console_io_read(buf, n);
        if (got && copy_to_guest(buffer, buf, got))
            return -XEN_EFAULT;
        return (long)got;
    }
    default:
        return -XEN_ENOSYS;
    }
}
