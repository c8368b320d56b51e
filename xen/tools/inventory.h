/*
 * pvshim-inventory: every domain of a running Xen host, its type, vCPUs,
 * memory and kernel, and for a PV kernel whether pvshim can run it and
 * what the kernel declares, judged by the shim's own image parser
 * (guest_image_parse() and guest_image_refusal()).
 *
 * The host is reached only through struct inv_host (inventory_xen.c:
 * libxenctrl, libxenstore and the file system; the unit tests: a fake), so
 * classifying, finding the kernel and formatting are plain C.
 *
 * Where the kernel is found (what Xen 4.17's libxl records):
 *   - a PV domain: xenstore VM/image/kernel (also ramdisk, cmdline), VM
 *     being /local/domain/N/vm (else /vm/UUID): the file libxl loaded,
 *     which a bootloader (pygrub) extracted to a temporary file;
 *   - any domain xl created: b_info's kernel, ramdisk, cmdline, bootloader
 *     and, for PVH, type.pvh's pvshim and pvshim_path in libxl's stored
 *     configuration, /var/lib/xen/userdata-d.N.UUID.libxl-json (what
 *     `xl list -l` prints). A PVH domain has no image/ keys in xenstore.
 *   - dom0's kernel is not recorded anywhere (Xen was handed it at boot).
 */
#ifndef PVSHIM_TOOLS_INVENTORY_H
#define PVSHIM_TOOLS_INVENTORY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include "inventory_host.h"
#include <pvshim/guest_image.h>

#define INV_LIBXL_JSON_DIR  "/var/lib/xen"      /* Xen's XEN_LIB_DIR on Debian */

enum inv_type { INV_PV, INV_PVH, INV_HVM };

/* pvshim's verdict on a domain's kernel. */
enum inv_verdict {
    INV_NOT_PV,             /* HVM, or PVH without a PV shim: nothing for pvshim */
    INV_DOM0,               /* dom0 (pvshim runs domUs); its kernel is not recorded */
    INV_NO_KERNEL,          /* PV, but its kernel cannot be found or read */
    INV_RUNS,               /* pvshim's parser accepts it and pvshim runs it */
    INV_REFUSED,            /* the parser or pvshim refuses it (reason) */
};

/* What a kernel image declares, as the shim's parser read it. */
struct inv_image {
    char container[40];             /* "ELF", "bzImage+xz", "bundle: bzImage+gzip", ... */
    unsigned elf_class;             /* 32 or 64 */
    uint64_t entry, virt_kstart, virt_kend;
    struct xen_guest_params xen;
};

struct inv_domain {
    struct inv_dominfo info;
    enum inv_type type;
    char uuid[37];
    char *name;                     /* /local/domain/N/name, or NULL */
    /* A PVH domain running a PV kernel through a shim (libxl: pvshim = 1). */
    bool pv_in_pvh;
    char *shim_path;                /* its pvshim_path (NULL: libxl's default, xen-shim) */
    /* The kernel as the toolstack recorded it; NULL: not recorded. */
    char *kernel, *ramdisk, *cmdline, *bootloader;
    const char *kernel_source;      /* "xenstore", "libxl-json" or NULL */
    bool image_read;                /* the kernel file was read and parsed */
    struct inv_image image;         /* valid when image_read and the parser accepted it */
    bool image_parsed;
    enum inv_verdict verdict;
    char reason[320];               /* why INV_NO_KERNEL / INV_REFUSED, in one line */
};

/*
 * Ask the host for every domain and judge each one's kernel. 0, or -1
 * with the reason in err (the domain list itself could not be read).
 * *out is malloc'd: inventory_free().
 */
int inventory_collect(const struct inv_host *h, struct inv_domain **out, size_t *n,
                      char *err, size_t errlen);
void inventory_free(struct inv_domain *d, size_t n);

/*
 * Judge one kernel file's bytes as pvshim would at boot (a pvshim bundle's
 * kernel part is judged in its place): fills d->image, d->image_parsed,
 * d->verdict (INV_RUNS or INV_REFUSED) and d->reason.
 */
void inventory_judge_kernel(struct inv_domain *d, const uint8_t *bytes, size_t len);

/* Stable words for the JSON and the table: "pv", "pvh", "hvm"; "runs", ... */
const char *inv_type_name(enum inv_type t);
const char *inv_verdict_name(enum inv_verdict v);

/* A table for people, then one line of detail per domain that has any. */
void inventory_print_table(FILE *f, const struct inv_domain *d, size_t n);
/* One JSON object a line per domain ({"pvshim":"domain",...}; pvshim-inventory(1)). */
void inventory_print_json(FILE *f, const struct inv_domain *d, size_t n);
/* One kernel's judgement alone: a line, or a {"pvshim":"kernel",...} object. */
void inventory_print_kernel(FILE *f, const struct inv_domain *d, bool json);

#endif
