/*
 * The PVH boot ABI (Xen docs/misc/pvh.pandoc): EBX points at an
 * hvm_start_info, version 0 or 1; version 1 adds the memory map.
 */
#include <pvshim/bootinfo.h>
#include <pvshim/phys.h>
#include <pvshim/string.h>
#include <xen/arch-x86/hvm/start_info.h>
#include "bootinfo_util.h"

/* A start_info claiming more than this many memmap entries is corrupt. */
#define PVH_MEMMAP_SANITY_MAX 4096

int bootinfo_parse_pvh(paddr_t info_pa, struct boot_info *bi, char *err, size_t errlen)
{
    memset(bi, 0, sizeof(*bi));
    bi->protocol = BOOT_PVH;
    bi->info_paddr = info_pa;

    const struct hvm_start_info *si = phys_access(info_pa, sizeof(*si));
    if (!si)
        return error_set(err, errlen, BOOTINFO_UNREACHABLE,
                             "hvm_start_info at %#llx is out of reach",
                             (unsigned long long)info_pa);
    if (si->magic != XEN_HVM_START_MAGIC_VALUE)
        return error_set(err, errlen, BOOTINFO_BAD_MAGIC,
                             "hvm_start_info has bad magic %#x (want %#x)",
                             si->magic, XEN_HVM_START_MAGIC_VALUE);
    if (si->version > 1)
        return error_set(err, errlen, BOOTINFO_BAD_VERSION,
                             "hvm_start_info version %u is unknown (0 and 1 are)",
                             si->version);
    bi->pvh_version = si->version;
    bi->rsdp = si->rsdp_paddr;

    int rc = bootinfo_copy_string(si->cmdline_paddr, bi->cmdline, sizeof(bi->cmdline));
    if (rc)
        return error_set(err, errlen, rc, rc == BOOTINFO_CMDLINE_TOO_LONG
                             ? "command line is longer than %zu bytes"
                             : "command line at unreachable address (limit %zu)",
                             sizeof(bi->cmdline) - 1);

    if (si->nr_modules > BOOT_MODULES_MAX)
        return error_set(err, errlen, BOOTINFO_TOO_MANY_MODULES,
                             "%u modules given, at most %u are supported",
                             si->nr_modules, BOOT_MODULES_MAX);
    if (si->nr_modules) {
        const struct hvm_modlist_entry *mods =
            phys_access(si->modlist_paddr, si->nr_modules * sizeof(*mods));
        if (!mods)
            return error_set(err, errlen, BOOTINFO_UNREACHABLE,
                                 "module list at %#llx is out of reach",
                                 (unsigned long long)si->modlist_paddr);
        for (unsigned i = 0; i < si->nr_modules; i++) {
            struct boot_module *m = &bi->modules[i];
            m->start = mods[i].paddr;
            m->size = mods[i].size;
            if (m->start + m->size < m->start)
                return error_set(err, errlen, BOOTINFO_BAD_MODULE,
                                     "module %u wraps around the address space", i);
            rc = bootinfo_copy_string(mods[i].cmdline_paddr, m->cmdline,
                                      sizeof(m->cmdline));
            if (rc)
                return error_set(err, errlen, rc,
                                     "module %u command line is %s", i,
                                     rc == BOOTINFO_CMDLINE_TOO_LONG
                                     ? "longer than 1023 bytes" : "out of reach");
        }
        bi->nr_modules = si->nr_modules;
    }

    if (si->version >= 1 && si->memmap_entries) {
        if (si->memmap_entries > PVH_MEMMAP_SANITY_MAX)
            return error_set(err, errlen, BOOTINFO_TOO_MANY_MEMMAP,
                                 "memory map claims %u entries", si->memmap_entries);
        const struct hvm_memmap_table_entry *mm =
            phys_access(si->memmap_paddr, si->memmap_entries * sizeof(*mm));
        if (!mm)
            return error_set(err, errlen, BOOTINFO_UNREACHABLE,
                                 "memory map at %#llx is out of reach",
                                 (unsigned long long)si->memmap_paddr);
        for (unsigned i = 0; i < si->memmap_entries; i++)
            if (!memmap_add(&bi->memmap, mm[i].addr, mm[i].size, mm[i].type))
                return error_set(err, errlen, BOOTINFO_TOO_MANY_MEMMAP,
                                     "memory map has more than %u entries", MEMMAP_MAX);
    }
    return BOOTINFO_OK;
}
