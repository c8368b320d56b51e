/*
 * Rebuilding a saved 64-bit PV domain from a checked save file
 * (save_stream.h), as Xen's libxc restore does, into frames of pvshim's
 * choosing:
 *   1. every pfn whose PAGE_DATA type can be populated gets a frame from
 *      the pool (a pfn sent twice is refused); the M2P says so;
 *   2. every page is copied in; page tables (L1..L4) are localised first:
 *      each present entry's frame field, a pfn in the stream, becomes the
 *      pfn's new frame (a pfn past the end or not populated, or a
 *      superpage, is refused); the 16 hypervisor slots of an L4 are left
 *      for the PV MMU to fill;
 *   3. the guest's p2m (the X86_PV_P2M_FRAMES pages, which must be plain
 *      pages) is rewritten with the new frames, INVALID (~0) for the rest;
 *   4. every table the stream marks pinned is pinned with the PV MMU's own
 *      rules (pv_mm_pin), which is where a hostile table is refused;
 *   5. shared_info: the saved vcpu_info[] and arch go into pvshim's page,
 *      with no event pending and every port masked (Xen's restore does the
 *      same); arch.pfn_to_mfn_frame_list_list is cleared;
 *   6. start_info (vCPU 0's rdx, a pfn in the stream): nr_pages, the new
 *      shared_info machine address, flags 0, the xenstore and console
 *      frames (pfns in the stream) as frames, the new event channels;
 *   7. every saved vCPU's context with its frames localised (cr3, user
 *      cr3, GDT frames; vCPU 0's rdx), ready for pv_vcpu_restore().
 * The console and xenstore rings keep their indices: nothing here touches
 * them.
 */
#ifndef PVSHIM_RESTORE_H
#define PVSHIM_RESTORE_H

#include <pvshim/save_stream.h>
#include <pvshim/frame_alloc.h>
#include <pvshim/xen_abi.h>

struct restore_params {
    const uint8_t *file;            /* the checked save file */
    const struct save_image *img;
    struct frame_pool *pool;        /* where guest frames come from */
    uint64_t *m2p;                  /* pvshim's writable M2P, max_mfn entries, all made
                                       INVALID first (NULL: left as it is); entries
                                       are set through pv_mm_set_m2p */
    const mfn_t *m2p_chunks;        /* its missing chunks (m2p.h); NULL: none missing */
    mfn_t max_mfn;
    struct shared_info *shared_info;        /* pvshim's new page */
    paddr_t shared_info_maddr;
    uint32_t console_evtchn, xenstore_evtchn;
    /* Called for every frame given to the guest (may be NULL). */
    void (*assigned)(mfn_t first, uint64_t n);
};

struct restore_vcpu {
    bool present;                   /* the stream has its context (it was online) */
    struct vcpu_guest_context ctx;  /* frames as machine frames */
    uint8_t ext[SAVE_VCPU_EXT_MAX]; /* its EXTENDED record (ext_len bytes) */
    uint32_t ext_len;
};

struct restore_state {
    uint64_t nr_pages;              /* frames the guest got */
    mfn_t start_info_mfn, console_mfn, xenstore_mfn;
    struct restore_vcpu vcpu[SAVE_MAX_VCPUS];       /* img->nr_vcpus of them used */
};

/*
 * Steps 1-7 above. 0, or -1 with a one-line reason naming the record (the
 * caller stops with the bad-input status; frames already given stay given).
 */
int restore_domain(const struct restore_params *p, struct restore_state *s,
                   char *err, size_t errlen);

#endif
