/*
 * pvshim's own command line. Options come first; a lone "--" ends them and
 * everything after it is appended to the guest's command line (the split
 * Xen's shim uses). An option pvshim does not know is an error, never
 * silently ignored.
 *
 *   pv-shim        accepted and recorded: xl's default shim command line is
 *                  "pv-shim console=xen,pv" (Xen's own shim-mode flag)
 *   console=LIST   com1, debugcon, xen, none (comma-separated; default: all present);
 *                  pv is another name for xen (the L0 Xen's console ring)
 *   loglevel=N     0 (silent) .. 4 (debug), or err|warn|info|debug; default 3
 *   logformat=F    text (default) or json: one JSON record a line (pvshim/json.h)
 *   mem=SIZE       use no RAM at or above SIZE (suffix K, M, G, T)
 *   trace=LIST     abi: print the guest's hypercall usage at shutdown;
 *                  boot: print the TSC at each of pvshim's boot phases
 *                  when entering the guest (comma-separated)
 *   watchdog=SECS  end a guest that makes no hypercall for SECS seconds (0: off)
 *   selftest=NAME  test hooks for pvshim's own test suite (see options.c)
 *   savedisk=N     the N-th virtio-blk disk (0 = the first, in the order
 *                  pvshim finds them: announced virtio-mmio ones, then PCI)
 *                  is where a guest's suspend writes its save file; the
 *                  guest never sees that disk (pvshim/save_write.h)
 *
 * virtio_mmio.device=SIZE@BASE:GSI[:ID] is how a VMM without PCI (QEMU's
 * microvm with acpi=off, Firecracker) announces a virtio-mmio device: it
 * adds one to the kernel command line per device, before a "--" (Firecracker)
 * or at the very end (QEMU). pvshim takes them wherever they are, drives
 * those devices itself, and never passes them on to the guest.
 */
#ifndef PVSHIM_OPTIONS_H
#define PVSHIM_OPTIONS_H

#include <pvshim/types.h>
#include <pvshim/bootinfo.h>

#define OPTIONS_MAX_MMIO 16
#define OPTIONS_MAX_DISKS 16    /* savedisk=N: N below this */

struct mmio_announce {
    uint64_t base, size;
    unsigned gsi;
};

struct pvshim_options {
    bool pv_shim;               /* "pv-shim" was given (xl does) */
    bool console_given;
    unsigned console_mask;      /* enum console_kind bits */
    int loglevel;
    bool log_json;              /* logformat=json */
    uint64_t mem_limit;         /* 0: no limit */
    bool trace_abi;
    bool trace_boot;
    unsigned watchdog_seconds;  /* 0: no host watchdog */
    int save_disk;              /* savedisk=N; -1: none (a suspend is cancelled) */
    char selftest[32];          /* "" unless a self-test was asked for */
    char guest_args[BOOT_CMDLINE_MAX];  /* after "--", "" if none; no announcements */
    unsigned nr_mmio;
    struct mmio_announce mmio[OPTIONS_MAX_MMIO];    /* in command-line order */
};

/* 0 on success; on error -1 with a one-line explanation in err. */
int options_parse(const char *cmdline, struct pvshim_options *o, char *err, size_t errlen);

/* Parse "512M"-style sizes (K/M/G/T suffix, any case). */
bool parse_size(const char *s, size_t len, uint64_t *out);

#endif
