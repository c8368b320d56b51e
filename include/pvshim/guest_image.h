/*
 * A PV guest kernel image, understood: what module 0 holds (raw ELF,
 * bzImage, or a compressed ELF as RHEL5 ships vmlinuz-*xen), its loadable
 * segments, and what its Xen ELF notes (or legacy __xen_guest string) ask
 * of the domain builder. Parsing never trusts the image: every offset and
 * size is checked, and each refusal names the problem in one line.
 */
#ifndef PVSHIM_GUEST_IMAGE_H
#define PVSHIM_GUEST_IMAGE_H

#include <pvshim/types.h>
#include <pvshim/decompress.h>

#define GUEST_IMAGE_MAX_SEGMENTS 16
#define GUEST_FEATURE_WORDS      1      /* XENFEAT_NR_SUBMAPS * 32 bits */

enum guest_pae_mode {
    GUEST_PAE_NO = 0,
    GUEST_PAE_YES,              /* "yes" */
    GUEST_PAE_EXTENDED_CR3,     /* "yes[extended-cr3]" */
    GUEST_PAE_BIMODAL,          /* "bimodal" */
};

struct guest_segment {
    uint64_t vaddr;             /* where the guest sees it */
    uint64_t filesz, memsz;
    uint64_t offset;            /* in the ELF */
    uint32_t flags;             /* PF_R/PF_W/PF_X */
};

/* What the Xen notes (or __xen_guest) say; absent items keep Xen's defaults. */
struct xen_guest_params {
    bool from_notes;                /* Xen ELF notes were found */
    bool from_legacy_string;        /* the __xen_guest section was used instead */
    char guest_os[32];              /* GUEST_OS */
    char guest_version[32];         /* GUEST_VERSION */
    char xen_version[32];           /* XEN_VERSION */
    char loader[32];                /* LOADER */
    uint64_t virt_base;             /* VIRT_BASE */
    uint64_t paddr_offset;          /* PADDR_OFFSET */
    uint64_t virt_entry;            /* ENTRY, else e_entry */
    bool has_hypercall_page;
    uint64_t virt_hypercall;        /* HYPERCALL_PAGE, a virtual address */
    bool has_init_p2m;
    uint64_t virt_init_p2m;         /* INIT_P2M */
    bool has_hv_start_low;
    uint64_t hv_start_low;          /* HV_START_LOW (32-bit guests) */
    bool has_l1_mfn_valid;
    uint64_t l1_mfn_valid_mask, l1_mfn_valid_value;
    bool suspend_cancel;            /* SUSPEND_CANCEL */
    bool mod_start_pfn;             /* MOD_START_PFN: start_info.mod_start is a PFN */
    bool bsd_symtab;
    enum guest_pae_mode pae;
    bool has_phys32_entry;
    uint64_t phys32_entry;
    uint32_t features_supported[GUEST_FEATURE_WORDS];   /* XENFEAT_* bits */
    uint32_t features_required[GUEST_FEATURE_WORDS];
};

/*
 * XEN_ELFNOTE_BSD_SYMTAB: the kernel asks for its symbol and string tables
 * after its image, behind a size word and a three-section ELF header.
 * Offsets here are into the ELF; the addresses are guest-virtual.
 */
struct guest_bsd_symtab {
    bool present;
    uint64_t vstart;                /* the size word, right after the kernel */
    uint64_t vend;                  /* end of what is reserved (<= virt_kend) */
    uint64_t sym_shdr, str_shdr;    /* the two section headers in the ELF */
    uint64_t sym_off, sym_size;     /* the tables in the ELF */
    uint64_t str_off, str_size;
};

struct guest_image {
    /* The ELF after any unwrapping and decompression. */
    const uint8_t *elf;
    size_t elf_size;
    unsigned elf_class;             /* 32 or 64 */
    unsigned machine;               /* EM_X86_64 or EM_386 */
    /* How module 0 was packed: "ELF", "bzImage+xz", "gzip+ELF", ... */
    char container[32];

    uint64_t entry;                 /* virtual entry point */
    uint64_t virt_kstart;           /* lowest segment vaddr, page-aligned down */
    uint64_t virt_kend;             /* end of the highest segment, page-aligned up */
    unsigned nr_segments;
    struct guest_segment segments[GUEST_IMAGE_MAX_SEGMENTS];

    struct xen_guest_params xen;
    struct guest_bsd_symtab symtab;
};

/*
 * Write the BSD_SYMTAB blob of img (if img->symtab.present) into guest
 * memory through put(ctx, va, bytes, n), which the caller bounds by the
 * kernel region [virt_kstart, virt_kend). Gaps are left as they are (the
 * builder zeroes the kernel region first). Returns 0, or put's failure.
 */
typedef int (*guest_put_fn)(void *ctx, uint64_t va, const void *src, size_t n);
int guest_bsd_symtab_write(const struct guest_image *img, guest_put_fn put, void *ctx);

/*
 * Understand module 0. Compressed payloads are decompressed into
 * out[0, out_cap) using work[0, work_len) as decompressor scratch; the
 * resulting img->elf points into out (or into mod for a raw ELF).
 * supported_features are the XENFEAT_* bits pvshim offers: a kernel that
 * requires one outside them is refused, by name.
 * Returns 0, or -1 with a one-line reason in err.
 */
int guest_image_parse(const uint8_t *mod, size_t mod_len,
                      uint8_t *out, size_t out_cap, void *work, size_t work_len,
                      const uint32_t supported_features[GUEST_FEATURE_WORDS],
                      struct guest_image *img, char *err, size_t errlen);

/*
 * pvshim's own limits on a kernel guest_image_parse() accepted (Xen would
 * boot it; pvshim does not yet): NULL when pvshim runs it, else the
 * reason in one line. The shim stops with it; pvshim-inventory shows it.
 */
const char *guest_image_refusal(const struct guest_image *img);

/* The XENFEAT_* name of bit nr, or NULL. */
const char *xen_feature_name(unsigned nr);

#endif
