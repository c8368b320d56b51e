/*
 * Save files of classic 64-bit PV domains, as Xen 4.17's `xl save` writes
 * them: pvshim takes one as module 0 and restores the domain from it. The
 * file is untrusted input, like a guest image: save_stream_parse checks the
 * whole of it before anything is built, and refuses with a one-line reason
 * that names the record.
 *
 * Layers (facts: Xen's docs/specs/libxl-migration-stream.pandoc and
 * libxc-migration-stream.pandoc):
 *
 *   xl header     32-byte magic "Xen saved domain, xl format\n \0 \r", then
 *                 u32 byteorder 0x01020304, u32 mandatory_flags (bit 0 JSON
 *                 config, bit 1 stream v2; bit 1 required, others refused),
 *                 u32 optional_flags, u32 optional_data_len, then
 *                 optional_data (u32 config_len + JSON config, ignored)
 *   libxl stream  16-byte header: "LibxlFmt" (big-endian u64), BE u32
 *                 version 2, BE u32 options 0; then records
 *                 {u32 type, u32 length, body, zero padding to 8}:
 *                 LIBXC_CONTEXT (1, empty) is followed by the libxc stream,
 *                 END (0) ends the file; optional (bit 31) ones are skipped
 *   libxc stream  24-byte image header (BE: u64 ~0, u32 "XENF", u32 version
 *                 2 or 3, u16 options (big-endian streams refused), 6 bytes
 *                 reserved), 16-byte domain header (u32 type 1 = x86 PV,
 *                 u16 page_shift 12, u16 reserved, u32 xen_major, xen_minor),
 *                 then records, same framing, to END
 *
 * Module 0 may also be a bare libxc stream (starting with the image header).
 *
 * What the parser enforces on the libxc records (as Xen's restore, plus the
 * hostile-input checks a shim needs):
 *   - framing: every record inside the file, body <= 128 MiB, padding present;
 *   - order: X86_PV_INFO first of the domain records; in v3 STATIC_DATA_END
 *     before X86_PV_P2M_FRAMES and PAGE_DATA (v2 infers it); P2M_FRAMES once,
 *     before any PAGE_DATA; SHARED_INFO, TSC_INFO, X86_PV_INFO at most once;
 *     a vCPU's BASIC before its other records, each of them at most once;
 *   - X86_PV_INFO: guest width 8 and 4 levels (64-bit PV) only;
 *   - P2M_FRAMES: start_pfn 0, end_pfn < SAVE_MAX_PFNS, one frame per 512 pfns,
 *     each frame a pfn <= end_pfn;
 *   - PAGE_DATA: 1..SAVE_BATCH_MAX entries, pfns <= end_pfn, known types, the
 *     length exactly header + entries + one page per entry with data;
 *   - vCPU records: vcpu_id < SAVE_MAX_VCPUS; BASIC exactly a
 *     vcpu_guest_context; selectors not ring 0, canonical RIP, stack and
 *     callbacks, gdt_ents <= 7168, frames (cr3, user cr3, GDT) <= end_pfn;
 *     EXTENDED <= 128 bytes, XSAVE empty or >= 16, MSRS a multiple of 16 of
 *     at most SAVE_VCPU_MSRS_MAX;
 *   - SHARED_INFO 4096 bytes, TSC_INFO 24 bytes with mode <= 2, CPUID policy a
 *     multiple of 24 bytes (at most 256 entries), MSR policy of 16;
 *   - HVM, checkpoint (Remus/COLO) and unknown mandatory records refused;
 *   - at the END: X86_PV_INFO, P2M_FRAMES, SHARED_INFO and vCPU 0's BASIC seen.
 * What it cannot see (page-table contents, pfns sent twice, the types of the
 * frames a context names) the rebuild checks with the PV MMU's own rules.
 */
#ifndef PVSHIM_SAVE_STREAM_H
#define PVSHIM_SAVE_STREAM_H

#include <pvshim/types.h>

#define SAVE_XL_MAGIC           "Xen saved domain, xl format\n \0 \r"
#define SAVE_XL_MAGIC_LEN       32
#define SAVE_XL_BYTEORDER       0x01020304u
#define SAVE_XL_FLAG_JSON       (1u << 0)
#define SAVE_XL_FLAG_STREAMV2   (1u << 1)
#define SAVE_XL_HEADER_LEN      48      /* magic + 4 u32, optional data follows */

#define SAVE_LIBXL_IDENT        0x4c6962786c466d74ull   /* "LibxlFmt" */
#define SAVE_LIBXL_VERSION      2
#define SAVE_LIBXL_HEADER_LEN   16

#define SAVE_IHDR_MARKER        0xffffffffffffffffull
#define SAVE_IHDR_ID            0x58454e46u             /* "XENF" */
#define SAVE_IHDR_LEN           24
#define SAVE_DHDR_LEN           16
#define SAVE_DHDR_X86_PV        1

#define SAVE_REC_HDR_LEN        8
#define SAVE_REC_ALIGN          8
#define SAVE_REC_LENGTH_MAX     (128u << 20)
#define SAVE_REC_OPTIONAL       0x80000000u

/* libxl record types. */
#define LIBXL_REC_END                   0
#define LIBXL_REC_LIBXC_CONTEXT         1
#define LIBXL_REC_EMULATOR_XENSTORE     2
#define LIBXL_REC_EMULATOR_CONTEXT      3
#define LIBXL_REC_CHECKPOINT_END        4
#define LIBXL_REC_CHECKPOINT_STATE      5

/* libxc record types. */
#define SAVE_REC_END                    0x00
#define SAVE_REC_PAGE_DATA              0x01
#define SAVE_REC_X86_PV_INFO            0x02
#define SAVE_REC_X86_PV_P2M_FRAMES      0x03
#define SAVE_REC_X86_PV_VCPU_BASIC      0x04
#define SAVE_REC_X86_PV_VCPU_EXTENDED   0x05
#define SAVE_REC_X86_PV_VCPU_XSAVE      0x06
#define SAVE_REC_SHARED_INFO            0x07
#define SAVE_REC_X86_TSC_INFO           0x08
#define SAVE_REC_HVM_CONTEXT            0x09
#define SAVE_REC_HVM_PARAMS             0x0a
#define SAVE_REC_TOOLSTACK              0x0b
#define SAVE_REC_X86_PV_VCPU_MSRS       0x0c
#define SAVE_REC_VERIFY                 0x0d
#define SAVE_REC_CHECKPOINT             0x0e
#define SAVE_REC_CHECKPOINT_DIRTY       0x0f
#define SAVE_REC_STATIC_DATA_END        0x10
#define SAVE_REC_X86_CPUID_POLICY       0x11
#define SAVE_REC_X86_MSR_POLICY         0x12

/* PAGE_DATA entry: type in bits 63..60 (XEN_DOMCTL_PFINFO_* >> 28), pfn in 51..0. */
#define SAVE_PFN_MASK           0x000fffffffffffffull
#define SAVE_PFINFO_SHIFT       60
#define SAVE_PF_NOTAB           0x0
#define SAVE_PF_L1              0x1     /* L1..L4: 1..4 */
#define SAVE_PF_L4              0x4
#define SAVE_PF_PINNED          0x8     /* with L1..L4: the table was pinned */
#define SAVE_PF_BROKEN          0xd
#define SAVE_PF_XALLOC          0xe     /* allocate, no data */
#define SAVE_PF_XTAB            0xf     /* not present, no data */

/* An L4's hypervisor slots (256..271): zero in a stream, the hypervisor's own after a restore. */
#define SAVE_L4_HYP_FIRST       256
#define SAVE_L4_HYP_SLOTS       16

#define SAVE_PAGE_SIZE          4096
#define SAVE_BATCH_MAX          1024    /* entries in one PAGE_DATA (Xen's MAX_BATCH_SIZE) */
#define SAVE_MAX_PFNS           (1u << 24)      /* 64 GiB of guest */
#define SAVE_MAX_VCPUS          8
#define SAVE_VCPU_CTX_LEN       5168    /* struct vcpu_guest_context, x86_64 */
#define SAVE_VCPU_EXT_MAX       128
/* X86_PV_VCPU_EXTENDED (xen_domctl_ext_vcpucontext): what a 64-bit guest uses. */
#define SAVE_EXT_SYSCALL32_EIP      8
#define SAVE_EXT_SYSENTER_EIP       16
#define SAVE_EXT_SYSCALL32_DISABLES 28      /* u8 */
#define SAVE_EXT_SYSENTER_DISABLES  29      /* u8 */
#define SAVE_GDT_ENTS_MAX       7168    /* FIRST_RESERVED_GDT_ENTRY */
#define SAVE_TSC_INFO_LEN       24
#define SAVE_CPUID_ENTRY_LEN    24      /* leaf, subleaf, eax, ebx, ecx, edx */
#define SAVE_CPUID_POLICY_MAX   (256 * SAVE_CPUID_ENTRY_LEN)   /* Xen 4.17 writes ~52 */
#define SAVE_MSR_ENTRY_LEN      16      /* index, flags, value */
#define SAVE_VCPU_MSRS_MAX      (32 * SAVE_MSR_ENTRY_LEN)  /* Xen 4.17 saves at most 7 */

/* A record body inside the module: offset and length (0/0: absent). */
struct save_blob {
    uint64_t off;
    uint32_t len;
};

struct save_vcpu {
    bool present;
    struct save_blob basic, extended, xsave, msrs;
};

/* A checked save file. Offsets are into the module. */
struct save_image {
    bool xl_header;                 /* false: a bare libxc stream */
    uint32_t xl_mandatory_flags;
    struct save_blob xl_config;     /* JSON text, informational */
    unsigned config_max_vcpus;      /* its "max_vcpus" (0: none): vCPUs the guest had */
    uint32_t version;               /* libxc stream version: 2 or 3 */
    uint32_t xen_major, xen_minor;
    uint64_t libxc_start;           /* first libxc record (after the headers) */
    uint64_t libxc_end;             /* just past the libxc END record */
    uint32_t max_pfn;               /* P2M_FRAMES end_pfn */
    struct save_blob p2m_frames;    /* u64 pfns of the guest's p2m pages */
    uint32_t nr_p2m_frames;
    uint32_t nr_page_records, nr_pages_with_data, nr_page_entries;
    struct save_blob shared_info;
    bool has_tsc;
    uint32_t tsc_mode, tsc_khz, tsc_incarnation;
    uint64_t tsc_nsec;
    struct save_blob cpuid_policy, msr_policy;
    unsigned nr_vcpus;              /* highest present vcpu_id + 1 (saved = were up) */
    struct save_vcpu vcpu[SAVE_MAX_VCPUS];
};

/*
 * How many vCPUs the guest had: its xl config's max_vcpus when the file
 * has one (a vCPU that was down has no context in the stream), else the
 * highest saved vCPU + 1.
 */
static inline unsigned save_vcpus_had(const struct save_image *img)
{
    return img->config_max_vcpus > img->nr_vcpus ? img->config_max_vcpus : img->nr_vcpus;
}

/* Is data[0, len) a save file (xl magic) or a bare libxc stream? */
bool save_stream_is(const void *data, uint64_t len);

/* Check the whole file and describe it. 0, or -1 with the reason in err. */
int save_stream_parse(const void *data, uint64_t len, struct save_image *img,
                      char *err, size_t errlen);

/* The name of a libxc record type, for messages ("PAGE_DATA", "type 0x55"). */
const char *save_rec_name(uint32_t type);

/*
 * The PAGE_DATA records of a parsed file, in stream order: start with
 * *cursor = img->libxc_start; each call fills batch and returns true, or
 * false after the last one.
 */
struct save_page_batch {
    uint32_t count;
    const uint8_t *pfn_info;        /* count little-endian u64 entries */
    const uint8_t *data;            /* the pages of the entries with data, in order */
};
bool save_next_page_batch(const void *data, const struct save_image *img,
                          uint64_t *cursor, struct save_page_batch *batch);

/* Entry i of a batch: its pfn and type nibble. */
uint64_t save_batch_entry(const struct save_page_batch *b, uint32_t i);
static inline uint64_t save_entry_pfn(uint64_t e) { return e & SAVE_PFN_MASK; }
static inline unsigned save_entry_type(uint64_t e) { return (unsigned)(e >> SAVE_PFINFO_SHIFT); }
/* Does an entry of this type carry a page of data? (NOTAB, L1..L4, pinned L1..L4) */
bool save_type_has_data(unsigned type);

/* Little-endian reads from the (unaligned) module. */
uint64_t save_le64(const void *p);
uint32_t save_le32(const void *p);
uint16_t save_le16(const void *p);

#endif
