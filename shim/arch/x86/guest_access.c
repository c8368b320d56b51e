/* copy_from_guest/copy_to_guest on the live guest page tables. */
#include <pvshim/guest_access.h>
#include <pvshim/xen_abi.h>

size_t guest_copy_bytes(void *dst, const void *src, size_t len);

int copy_from_guest(void *dst, vaddr_t src, size_t len)
{
    if (!guest_range_ok(src, len))
        return -XEN_EFAULT;
    return guest_copy_bytes(dst, (const void *)src, len) ? -XEN_EFAULT : 0;
}

int copy_to_guest(vaddr_t dst, const void *src, size_t len)
{
    if (!guest_range_ok(dst, len))
        return -XEN_EFAULT;
    return guest_copy_bytes((void *)dst, src, len) ? -XEN_EFAULT : 0;
}
