/*
 * The PV domain builder (64-bit, and 32-bit PAE): turns a parsed kernel, an initrd and a
 * command line into guest memory laid out per pv_layout.h, the way Xen's
 * toolstack builds a domU. Runs in two steps so that memory still holding
 * the kernel image and modules can be given to the guest after they are
 * copied: pv_build_boot() fills every frame the layout names, then the
 * caller frees the sources, then pv_build_finish() hands out the rest.
 */
#ifndef PVSHIM_PV_BUILD_H
#define PVSHIM_PV_BUILD_H

#include <pvshim/pv_layout.h>
#include <pvshim/cpu_regs.h>
#include <pvshim/frame_alloc.h>

struct pv_build_params {
    const struct guest_image *img;
    const uint8_t *initrd;
    uint64_t initrd_len;
    const char *cmdline;            /* at most 1023 bytes are kept */
    uint64_t nr_pages;
    struct frame_pool *pool;        /* where guest frames come from */
    uint64_t *m2p;                  /* pvshim's writable M2P, max_mfn entries */
    const mfn_t *m2p_chunks;        /* its missing chunks (m2p.h); NULL: none missing */
    mfn_t max_mfn;
    const uint64_t *hypervisor_l4_slots;    /* 16 entries for slots 256-271 */
    /* 32-bit PAE guests only (img->elf_class 32): */
    uint32_t *compat_m2p;           /* pvshim's writable compat M2P, max_mfn entries */
    const uint64_t *compat_l2_xen_slots;    /* COMPAT_L2_XEN_SLOTS entries of the top L2 */
    paddr_t shared_info_maddr;
    uint32_t console_evtchn, xenstore_evtchn;
    /* Called for every run of frames given to the guest (may be NULL). */
    void (*assigned)(mfn_t first, uint64_t n);
};

struct pv_build_state {
    struct pv_layout layout;
    mfn_t *p2m;                     /* pvshim's view of the guest's p2m list */
    /* 32-bit guests: p2m above is pvshim's own array in these frames (the
     * guest's list has 4-byte entries); the caller frees them when done. */
    mfn_t p2m_view_mfn;
    uint64_t p2m_view_pages;
    pfn_t next_pfn;                 /* first pfn without a frame yet */
    mfn_t l4_mfn;                   /* 64-bit: the root; INVALID_MFN for PAE */
    mfn_t pae_l3_mfn;               /* 32-bit PAE: the root; INVALID_MFN for 64-bit */
    mfn_t start_info_mfn, xenstore_mfn, console_mfn;
    vaddr_t start_info_va;
    struct cpu_regs entry;          /* the guest's first register state */
};

int pv_build_boot(const struct pv_build_params *p, struct pv_build_state *s,
                  char *err, size_t errlen);
int pv_build_finish(const struct pv_build_params *p, struct pv_build_state *s,
                    char *err, size_t errlen);

/* Write the 64-bit hypercall page (128 stubs of 32 bytes) into page. */
void pv_write_hypercall_page(uint8_t *page);
/* The same for a 32-bit guest: int $0x82 stubs. */
void pv_write_hypercall_page32(uint8_t *page);

/*
 * The top-L2 entries (COMPAT_L2_XEN_SLOTS, from COMPAT_HV_VIRT_START) that
 * map a compat M2P of bytes at machine address maddr (2 MiB aligned) with
 * supervisor-only, read-only 2 MiB pages, as Xen maps it.
 */
void pv_compat_m2p_l2_slots(paddr_t maddr, uint64_t bytes, uint64_t *slots);

#endif
