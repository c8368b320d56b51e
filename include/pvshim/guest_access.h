/*
 * Reading and writing the guest's virtual memory from pvshim. Hypercall
 * arguments, bounce frames and instructions to emulate are all reached this
 * way. Any guest address may be bad: these never fault pvshim, they return
 * -XEN_EFAULT instead (and never touch pvshim's own address range).
 *
 * The kernel implements them with the guest's page tables live and SMAP
 * opened only for the copy; host builds implement them over a simulated
 * guest address space (tests/unit/fakes.c).
 */
#ifndef PVSHIM_GUEST_ACCESS_H
#define PVSHIM_GUEST_ACCESS_H

#include <pvshim/types.h>

/* Is [va, va + len) outside pvshim's reserved range and canonical? */
static inline bool guest_range_ok(vaddr_t va, size_t len)
{
    vaddr_t end = va + len;
    if (end < va)
        return false;
    /* Non-canonical hole and the hypervisor slots 256-271. */
    if (end > 0x0000800000000000ull && va < 0xffff880000000000ull)
        return false;
    return true;
}

#ifdef PVSHIM_HOSTED
/* 0 or -XEN_EFAULT. */
int copy_from_guest(void *dst, vaddr_t src, size_t len);
int copy_to_guest(vaddr_t dst, const void *src, size_t len);
#else
#include <xen/errno.h>

/*
 * The kernel's copy (shim/arch/x86/guest_copy.asm): returns the bytes not
 * copied. Inline around it: bounce and iret frames are copied on every
 * system call.
 */
size_t guest_copy_bytes(void *dst, const void *src, size_t len);

/* 0 or -XEN_EFAULT. */
static inline int copy_from_guest(void *dst, vaddr_t src, size_t len)
{
    if (!guest_range_ok(src, len))
        return -XEN_EFAULT;
    return guest_copy_bytes(dst, (const void *)src, len) ? -XEN_EFAULT : 0;
}

static inline int copy_to_guest(vaddr_t dst, const void *src, size_t len)
{
    if (!guest_range_ok(dst, len))
        return -XEN_EFAULT;
    return guest_copy_bytes((void *)dst, src, len) ? -XEN_EFAULT : 0;
}
#endif

#endif
