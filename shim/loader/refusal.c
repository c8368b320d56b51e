/*
 * What pvshim refuses of a kernel Xen itself would build: the one place
 * both the shim (at boot) and pvshim-inventory (on the host) ask.
 */
#include <pvshim/guest_image.h>

const char *guest_image_refusal(const struct guest_image *img)
{
    /* 64-bit and 32-bit PAE kernels both run (the parser refuses non-PAE i386). */
    (void)img;
    return NULL;
}
