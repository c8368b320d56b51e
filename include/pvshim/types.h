/* Basic types shared by every layer, freestanding and hosted alike. */
#ifndef PVSHIM_TYPES_H
#define PVSHIM_TYPES_H

#include <stdint.h>
#include <stddef.h>
#include <stdbool.h>
#include <stdarg.h>

typedef uint64_t paddr_t;   /* a machine (VM-physical) address */
typedef uint64_t vaddr_t;   /* a virtual address, pvshim's or the guest's */
typedef uint64_t mfn_t;     /* a machine frame number */
typedef uint64_t pfn_t;     /* a guest pseudo-physical frame number */

#define PAGE_SHIFT      12
#define PAGE_SIZE       ((uint64_t)1 << PAGE_SHIFT)
#define PAGE_MASK       (~(PAGE_SIZE - 1))
#define INVALID_MFN     (~(mfn_t)0)
#define INVALID_PFN     (~(pfn_t)0)

#define KiB(x)          ((uint64_t)(x) << 10)
#define MiB(x)          ((uint64_t)(x) << 20)
#define GiB(x)          ((uint64_t)(x) << 30)

static inline mfn_t paddr_to_mfn(paddr_t pa) { return pa >> PAGE_SHIFT; }
static inline paddr_t mfn_to_paddr(mfn_t mfn) { return mfn << PAGE_SHIFT; }

#endif
