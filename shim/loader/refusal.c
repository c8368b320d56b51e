/*
 * What pvshim refuses of a kernel Xen itself would build: the one place
 * both the shim (at boot) and pvshim-inventory (on the host) ask.
 */
#include <pvshim/guest_image.h>

const char *guest_image_refusal(const struct guest_image *img)
{
    if (img->elf_class != 64)
        return "guest kernel is 32-bit; pvshim runs 64-bit PV guests only so far";
    return NULL;
}
