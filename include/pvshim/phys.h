/*
 * Reaching machine memory. The kernel answers through its boot window
 * (the first 4 GiB) until the direct map exists, then through the direct
 * map; host builds answer from simulated memory.
 */
#ifndef PVSHIM_PHYS_H
#define PVSHIM_PHYS_H

#include <pvshim/types.h>

/* A pointer to machine memory [pa, pa + len), or NULL if it is out of reach. */
void *phys_access(paddr_t pa, size_t len);

/*
 * One run of whole machine frames, [lo, hi), each at virt = its machine
 * address + offset: the kernel's largest direct-map range (most of RAM,
 * the guest's frames), set once before any guest runs. Empty (lo = hi)
 * before that and on host builds, which answer from phys_access() only.
 */
struct phys_window {
    mfn_t lo, hi;
    uintptr_t offset;
};
extern struct phys_window phys_window;

/* One whole machine frame, or NULL; inline for a frame in the window. */
static inline void *phys_access_frame(mfn_t mfn)
{
    if (mfn >= phys_window.lo && mfn < phys_window.hi)
        return (void *)(uintptr_t)(mfn_to_paddr(mfn) + phys_window.offset);
    return phys_access(mfn_to_paddr(mfn), PAGE_SIZE);
}

/* The machine address behind a pointer phys_access() returned. */
paddr_t phys_of(const void *p);

#endif
