/*
 * The image's reclaimable data (compiler.h: BUILD_ONLY, RESTORE_ONLY,
 * RECLAIM_TAIL) back to the pool the guest's memory comes from, each part
 * once: unmapped from the image's window first, so that a stray use faults
 * in pvshim instead of writing into the guest's memory.
 */
#include <pvshim/image_reclaim.h>
#include <pvshim/compiler.h>
#include <pvshim/frame_alloc.h>
#include <pvshim/paging.h>
#include <pvshim/phys.h>
#include <pvshim/status.h>
#include "domain.h"

extern char __reclaim_build_start[], __reclaim_restore_start[], __reclaim_tail_start[];
extern char __bss_end[];

static uint64_t reclaimed;      /* frames */

/* The whole pages of [from, to); to is page-aligned (pvshim.ld). */
static void give_back(const void *from, const void *to)
{
    uintptr_t s = ALIGN_UP((uintptr_t)from, PAGE_SIZE), e = (uintptr_t)to;
    if (e <= s)
        return;
    paging_unmap_small(s, e - s);
    mfn_t first = paddr_to_mfn(phys_of((const void *)s));
    uint64_t n = (e - s) >> PAGE_SHIFT;
    if (!frame_pool_free(&machine_frames, first, n))
        panic("image_reclaim: frames %#llx-%#llx are free already",
              (unsigned long long)first, (unsigned long long)(first + n - 1));
    reclaimed += n;
}

void image_reclaim_build_only(void)
{
    static bool done;
    if (!done)
        give_back(__reclaim_build_start, __reclaim_restore_start);
    done = true;
}

void image_reclaim_restore_only(void)
{
    static bool done;
    if (!done)
        give_back(__reclaim_restore_start, __reclaim_tail_start);
    done = true;
}

void image_reclaim_vcpus(unsigned nr_vcpus)
{
    static bool done;
    STATIC_ASSERT(sizeof(dom.vcpu) == PV_MAX_VCPUS * sizeof(dom.vcpu[0]), "vcpu[] ends dom");
    STATIC_ASSERT(__builtin_offsetof(struct pv_domain, vcpu) + sizeof(dom.vcpu) ==
                  sizeof(struct pv_domain), "vcpu[] is dom's last member");
    if (!done)
        give_back(&dom.vcpu[nr_vcpus], __bss_end);
    done = true;
}

uint64_t image_reclaimed_frames(void)
{
    return reclaimed;
}
