/*
 * The pvshim bundle: guest kernel, guest initrd and guest command line in
 * one file, for loaders that pass a single module (QEMU's PVH path with
 * -initrd, Firecracker, Cloud Hypervisor). pvshim-bundle(1) writes it;
 * pvshim takes module 0 for a bundle when it starts with the magic.
 *
 * Layout, all integers little-endian:
 *
 *   offset size  field
 *        0    8  magic          "PVSHIMBD"
 *        8    4  version        1
 *       12    4  header_size    bytes of header, >= 88 (later versions may grow it)
 *       16    8  total_size     bytes of the whole bundle
 *       24    8  kernel_offset  } the guest kernel, as pvshim takes in a plain
 *       32    8  kernel_size    } module 0 (ELF, bzImage, compressed ELF); size > 0
 *       40    8  initrd_offset  } the guest initrd; size 0: none
 *       48    8  initrd_size    }
 *       56    8  cmdline_offset } the guest command line, without a NUL, no NUL
 *       64    8  cmdline_size   } inside; size 0: none; at most 1023 bytes
 *       72    8  flags          0 (every bit reserved)
 *       80    8  reserved       0
 *
 * Rules (anything else is malformed, and pvshim stops with the bad-input
 * status): total_size <= the module's size (a loader may pad the module;
 * bytes past total_size are ignored), header_size <= total_size, every
 * non-empty part lies within [header_size, total_size) and no two overlap,
 * an empty part has offset 0. The tool aligns kernel and initrd to 4 KiB;
 * the format does not require it.
 *
 * The guest's command line is the bundle's, then module 0's own string (if
 * the loader gave one), then whatever follows "--" on pvshim's command line.
 */
#ifndef PVSHIM_BUNDLE_H
#define PVSHIM_BUNDLE_H

#include <pvshim/types.h>

#define BUNDLE_MAGIC            "PVSHIMBD"
#define BUNDLE_MAGIC_LEN        8
#define BUNDLE_VERSION          1
#define BUNDLE_HEADER_SIZE      88      /* version 1's header */
#define BUNDLE_CMDLINE_MAX      1023    /* bytes, without the NUL pvshim adds */
#define BUNDLE_ALIGN            4096    /* what pvshim-bundle aligns parts to */

/* Field offsets in the header. */
#define BUNDLE_OFF_VERSION          8
#define BUNDLE_OFF_HEADER_SIZE      12
#define BUNDLE_OFF_TOTAL_SIZE       16
#define BUNDLE_OFF_KERNEL_OFFSET    24
#define BUNDLE_OFF_KERNEL_SIZE      32
#define BUNDLE_OFF_INITRD_OFFSET    40
#define BUNDLE_OFF_INITRD_SIZE      48
#define BUNDLE_OFF_CMDLINE_OFFSET   56
#define BUNDLE_OFF_CMDLINE_SIZE     64
#define BUNDLE_OFF_FLAGS            72
#define BUNDLE_OFF_RESERVED         80

/* One part of a bundle, as offsets into it. */
struct bundle_part {
    uint64_t offset, size;
};

/* A parsed, checked bundle. */
struct bundle {
    uint32_t version;
    uint32_t header_size;
    uint64_t total_size;
    struct bundle_part kernel, initrd, cmdline;
};

/* Does data[0, len) start with the bundle magic? */
bool bundle_is(const void *data, uint64_t len);

/*
 * Parse and check the bundle header at data, which is module_size bytes
 * long. 0, or -1 with a one-line reason in err (which may be NULL).
 */
int bundle_parse(const void *data, uint64_t module_size, struct bundle *b,
                 char *err, size_t errlen);

/* Write a version-1 header for b into out[0, BUNDLE_HEADER_SIZE). */
void bundle_write_header(const struct bundle *b, uint8_t out[BUNDLE_HEADER_SIZE]);

#endif
