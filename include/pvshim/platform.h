/* What pvshim runs on: a Xen (L0) underneath, or a plain VMM. */
#ifndef PVSHIM_PLATFORM_H
#define PVSHIM_PLATFORM_H

#include <pvshim/types.h>

enum platform_kind {
    PLATFORM_BARE,      /* no Xen: pvshim provides the Xen services itself */
    PLATFORM_XEN,       /* a Xen host: services are forwarded to it */
};

struct platform {
    enum platform_kind kind;
    char hv_signature[13];      /* CPUID 0x40000000 signature, "" if none */
    uint32_t xen_cpuid_base;    /* where Xen's leaves start (0x40000000 + n*0x100) */
    uint16_t xen_major, xen_minor;
};

extern struct platform platform;

void platform_detect(void);
const char *platform_name(void);

#endif
