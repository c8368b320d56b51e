/*
 * What pvshim-inventory asks of a Xen host, and nothing more: the domain
 * list, xenstore reads, whole files. inventory_xen.c answers with
 * libxenctrl and libxenstore; the unit tests answer with a fake. Kept free
 * of pvshim's headers, which clash with libxenctrl's.
 */
#ifndef PVSHIM_TOOLS_INVENTORY_HOST_H
#define PVSHIM_TOOLS_INVENTORY_HOST_H

#include <stddef.h>
#include <stdint.h>
/*
 * The domain information is a tools interface: Xen's headers give it only
 * to __XEN_TOOLS__ and then choose the newest interface version themselves
 * (as libxenctrl's xenctrl.h does), not the one pvshim builds against.
 */
#ifndef __XEN_TOOLS__
#undef __XEN_INTERFACE_VERSION__
#define __XEN_TOOLS__ 1
#endif
#include <xen/xen.h>
#include <xen/domctl.h>

#define INV_MAX_DOMAINS 1024

/* What the hypervisor says of one domain (XEN_DOMCTL_getdomaininfo). */
struct inv_dominfo {
    uint32_t domid;
    uint32_t flags;                 /* XEN_DOMINF_* */
    uint32_t emulation_flags;       /* arch_config.emulation_flags (XEN_X86_EMU_*) */
    uint64_t tot_pages, max_pages;
    uint32_t nr_online_vcpus;
    uint32_t max_vcpu_id;           /* XEN_INVALID_MAX_VCPU_ID: no vCPUs */
    uint8_t handle[16];             /* the UUID */
};

/* The host: the real one (inventory_xen.c) or a fake. */
struct inv_host {
    void *ctx;
    /* Every domain, in domid order, into out[0, max): the count, or -1 and errno. */
    int (*list)(void *ctx, struct inv_dominfo *out, unsigned max);
    /* A xenstore value (malloc'd, NUL-terminated), or NULL when absent. */
    char *(*xs_read)(void *ctx, const char *path);
    /* A whole file (malloc'd), or NULL and errno. */
    uint8_t *(*read_file)(void *ctx, const char *path, size_t *len);
};

#endif
