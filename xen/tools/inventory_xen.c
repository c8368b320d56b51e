/*
 * pvshim-inventory's host: the hypervisor through libxenctrl
 * (XEN_DOMCTL_getdomaininfo, needs dom0's privcmd, i.e. root), xenstore
 * through libxenstore (read-only), files through the C library.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <xenctrl.h>
#include <xenstore.h>
#include "inventory_xen.h"
#include "read_all.h"

/* Bigger than any kernel, smaller than an accidental disk image. */
#define KERNEL_FILE_MAX ((off_t)1 << 30)

struct xen_host {
    xc_interface *xch;
    struct xs_handle *xsh;
};

static int list(void *ctx, struct inv_dominfo *out, unsigned max)
{
    struct xen_host *x = ctx;
    xc_domaininfo_t batch[64];
    unsigned n = 0;
    uint32_t next = 0;
    while (n < max) {
        unsigned want = max - n < 64 ? max - n : 64;
        int got = xc_domain_getinfolist(x->xch, next, want, batch);
        if (got < 0)
            return -1;
        for (int i = 0; i < got; i++) {
            struct inv_dominfo *o = &out[n++];
            memset(o, 0, sizeof(*o));
            o->domid = batch[i].domain;
            o->flags = batch[i].flags;
            o->emulation_flags = batch[i].arch_config.emulation_flags;
            o->tot_pages = batch[i].tot_pages;
            o->max_pages = batch[i].max_pages;
            o->nr_online_vcpus = batch[i].nr_online_vcpus;
            o->max_vcpu_id = batch[i].max_vcpu_id;
            memcpy(o->handle, batch[i].handle, sizeof(o->handle));
        }
        if ((unsigned)got < want)
            break;
        next = batch[got - 1].domain + 1;
    }
    return (int)n;
}

static char *xs_get(void *ctx, const char *path)
{
    struct xen_host *x = ctx;
    unsigned len;
    return xs_read(x->xsh, XBT_NULL, path, &len);      /* NUL-terminated by libxenstore */
}

/* A regular file of at most KERNEL_FILE_MAX bytes. */
static uint8_t *read_file(void *ctx, const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    struct stat st;
    int bad = 0;
    if (fstat(fileno(f), &st))
        bad = errno;
    else if (S_ISDIR(st.st_mode))
        bad = EISDIR;
    else if (!S_ISREG(st.st_mode))
        bad = EINVAL;
    else if (st.st_size > KERNEL_FILE_MAX)
        bad = EFBIG;
    char *data = bad ? NULL : read_all(f, len);
    if (!bad && !data)
        bad = EIO;
    fclose(f);
    errno = bad;
    return (uint8_t *)data;
}

int inventory_xen_open(struct inv_host *h, char *err, size_t errlen)
{
    struct xen_host *x = calloc(1, sizeof(*x));
    if (!x) {
        snprintf(err, errlen, "no memory");
        return -1;
    }
    x->xch = xc_interface_open(NULL, NULL, 0);
    if (!x->xch) {
        snprintf(err, errlen, "cannot open the hypervisor interface (libxenctrl): %s "
                 "(run it as root in dom0 of a Xen host)", strerror(errno));
        free(x);
        return -1;
    }
    x->xsh = xs_open(XS_OPEN_READONLY);
    if (!x->xsh) {
        snprintf(err, errlen, "cannot connect to xenstore (libxenstore): %s "
                 "(is xenstored running?)", strerror(errno));
        xc_interface_close(x->xch);
        free(x);
        return -1;
    }
    h->ctx = x;
    h->list = list;
    h->xs_read = xs_get;
    h->read_file = read_file;
    return 0;
}

void inventory_xen_close(struct inv_host *h)
{
    struct xen_host *x = h->ctx;
    if (!x)
        return;
    xs_close(x->xsh);
    xc_interface_close(x->xch);
    free(x);
    h->ctx = NULL;
}
