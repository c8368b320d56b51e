/*
 * Writing a save file of the 64-bit PV domain pvshim hosts, in the format
 * save_stream.h describes (the one `xl save` of Xen 4.17 writes), so that
 * pvshim itself or Xen 4.17's `xl restore` can take the guest back.
 *
 * What goes out, in the order libxc's save uses:
 *   xl header (flags STREAMv2, no JSON config: `xl restore` then wants a
 *   config file on its command line), libxl header, LIBXC_CONTEXT;
 *   libxc image header (v3) and domain header (x86 PV, Xen 4.17);
 *   X86_PV_INFO (width 8, 4 levels), STATIC_DATA_END,
 *   X86_PV_P2M_FRAMES (pfn 0 .. max_pfn, the guest's own p2m pages),
 *   PAGE_DATA for every pfn in order, batches of SAVE_BATCH_MAX: a pfn with
 *   no frame is XTAB; a validated page table is L1..L4 (pinned: | 8) and is
 *   normalised: every present entry's frame becomes its pfn, an L4's 16
 *   hypervisor slots are zeroed; a present entry naming a frame that is not
 *   one of the guest's pfns makes the save fail (as libxc's does);
 *   X86_TSC_INFO, SHARED_INFO (the raw page), then vCPU 0: BASIC (cr3, user
 *   cr3 with bit 0, GDT frames and rdx, the start_info frame, as pfns),
 *   EXTENDED, XSAVE (if the guest uses more than x87/SSE); libxc END and
 *   libxl END.
 * No CPUID or MSR policy records: Xen's restore then gives the domain its
 * default policy (as for a stream from before Xen 4.14), pvshim's compares
 * nothing. The guest already made start_info's store and console frames
 * pfns before suspending (Linux and pvtest64 do); its page is written as
 * it is.
 */
#ifndef PVSHIM_SAVE_WRITE_H
#define PVSHIM_SAVE_WRITE_H

#include <pvshim/save_stream.h>
#include <pvshim/xen_abi.h>

/* Where the bytes go, in order: 0 or a -XEN_E* error, which stops the save. */
struct save_sink {
    int (*write)(void *arg, const void *buf, size_t len);
    void *arg;
};

/*
 * The domain as it stands at the suspend. Frames are machine frames. The
 * guest's own p2m list says which frame each pfn has, as for libxc: an
 * entry counts only if the M2P agrees and the frame is the guest's RAM
 * (anything else, ballooned-out or foreign markers included, is XTAB).
 */
struct save_source {
    uint32_t max_pfn;               /* the p2m list has max_pfn + 1 entries */
    const mfn_t *p2m_mfns;          /* frames of the p2m list, max_pfn / 512 + 1 */
    const uint64_t *p2m_frames;     /* the same, as the guest's pfns */
    const uint64_t *m2p;            /* frame -> pfn, max_mfn entries */
    mfn_t max_mfn;
    const struct vcpu_guest_context *ctx;   /* vCPU 0, rax as the guest will see it */
    const uint8_t *ext;             /* EXTENDED body (after the vcpu header) */
    uint32_t ext_len;
    uint64_t xcr0, xcr0_accum;      /* xcr0 0: no XSAVE record */
    const uint8_t *xsave;           /* standard-format XSAVE area */
    uint32_t xsave_len;
    const void *shared_info;        /* one page */
    uint32_t tsc_khz;
    uint64_t tsc_nsec;
};

/*
 * A frame's type as the PV MMU knows it, as Xen's getpageframeinfo3 says
 * it: SAVE_PF_L1..L4 (| SAVE_PF_PINNED) for a validated table,
 * SAVE_PF_NOTAB for any other page of the guest's, SAVE_PF_XTAB if it is
 * not the guest's RAM (pvshim's, shared_info, free, I/O).
 */
unsigned save_frame_type(mfn_t m);

/*
 * Write the whole file; *written: the bytes that went out. 0, or -1 with a
 * one-line reason in err (a sink error, or a page table or context frame
 * the stream cannot describe).
 */
int save_write(const struct save_source *src, const struct save_sink *sink,
               uint64_t *written, char *err, size_t errlen);

#endif
