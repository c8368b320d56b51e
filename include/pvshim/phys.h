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

/* One whole machine frame, or NULL. */
static inline void *phys_access_frame(mfn_t mfn)
{
    return phys_access(mfn_to_paddr(mfn), PAGE_SIZE);
}

/* The machine address behind a pointer phys_access() returned. */
paddr_t phys_of(const void *p);

#endif
