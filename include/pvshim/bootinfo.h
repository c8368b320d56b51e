/*
 * What pvshim learns from whoever booted it, in one loader-neutral form.
 * Parsing copies everything it keeps, so the loader's own structures may be
 * overwritten afterwards.
 */
#ifndef PVSHIM_BOOTINFO_H
#define PVSHIM_BOOTINFO_H

#include <pvshim/types.h>
#include <pvshim/memmap.h>

#define BOOT_CMDLINE_MAX    2048    /* pvshim's own command line, with NUL */
#define MODULE_CMDLINE_MAX  1024    /* a module's string, with NUL (= guest cmd_line) */
#define BOOT_MODULES_MAX    16

enum boot_protocol {
    BOOT_PVH        = 1,    /* values match boot_kind in entry.asm */
    BOOT_MULTIBOOT  = 2,
};

#define MODULE_NAME_MAX     128

struct boot_module {
    paddr_t start;
    uint64_t size;
    char name[MODULE_NAME_MAX];         /* Multiboot: the file name word; else "" */
    char cmdline[MODULE_CMDLINE_MAX];   /* the module's arguments */
};

struct boot_info {
    enum boot_protocol protocol;
    uint32_t pvh_version;       /* PVH only: 0 or 1 */
    paddr_t info_paddr;         /* the loader's info structure */
    paddr_t rsdp;               /* 0 when the loader gave none */
    char cmdline[BOOT_CMDLINE_MAX];
    unsigned nr_modules;
    struct boot_module modules[BOOT_MODULES_MAX];
    /* Firmware memory map as given; empty if the loader had none. */
    struct memmap memmap;
    /* Multiboot's mem_lower/mem_upper fallback, in KiB (0 if absent). */
    uint32_t mem_lower_kib, mem_upper_kib;
};

/* Results of the parsers: 0 or one of these (negative). */
enum bootinfo_error {
    BOOTINFO_OK = 0,
    BOOTINFO_UNREACHABLE = -1,      /* a structure lies outside reachable memory */
    BOOTINFO_BAD_MAGIC = -2,
    BOOTINFO_BAD_VERSION = -3,
    BOOTINFO_TOO_MANY_MODULES = -4,
    BOOTINFO_CMDLINE_TOO_LONG = -5,
    BOOTINFO_TOO_MANY_MEMMAP = -6,
    BOOTINFO_BAD_MODULE = -7,       /* a module range that wraps or ends before it starts */
    BOOTINFO_BAD_MEMMAP = -8,       /* a malformed memory map entry */
};

/*
 * Parse a PVH hvm_start_info at info_pa. On failure returns the error and
 * leaves a one-line explanation in err (which may be NULL).
 */
int bootinfo_parse_pvh(paddr_t info_pa, struct boot_info *bi, char *err, size_t errlen);

/* Parse a Multiboot1 information structure; magic is the loader's EAX. */
int bootinfo_parse_multiboot(uint32_t magic, paddr_t info_pa, struct boot_info *bi,
                             char *err, size_t errlen);

/*
 * Check the modules against the (sanitized) memory map and pvshim's own
 * image [img_start, img_end): each must lie in RAM, and none may overlap
 * pvshim or another module. 0, or -1 with a one-line reason in err.
 */
int bootinfo_check_modules(const struct boot_info *bi, const struct memmap *m,
                           paddr_t img_start, paddr_t img_end, char *err, size_t errlen);

/*
 * If module 0 is a pvshim bundle (include/pvshim/bundle.h) and the only
 * module, replace it by its parts: module 0 the guest kernel, module 1 the
 * guest initrd (if it has one), module 0's string the bundle's command
 * line followed by the module's own. 1 when it did, 0 when module 0 is no
 * bundle, -1 with a one-line reason in err when the bundle is malformed.
 */
int bootinfo_unpack_bundle(struct boot_info *bi, char *err, size_t errlen);

#endif
