/*
 * Multiboot 1 (the GNU Multiboot Specification 0.6.96): EAX holds the
 * loader magic, EBX the information structure. QEMU passes `-append` as
 * the command line and `-initrd "a args,b"` as modules.
 */
#include <pvshim/bootinfo.h>
#include <pvshim/phys.h>
#include <pvshim/string.h>
#include "bootinfo_util.h"

#define MULTIBOOT_LOADER_MAGIC  0x2badb002u

#define MBI_FLAG_MEM        (1u << 0)
#define MBI_FLAG_CMDLINE    (1u << 2)
#define MBI_FLAG_MODS       (1u << 3)
#define MBI_FLAG_MMAP       (1u << 6)

struct multiboot_info {
    uint32_t flags;
    uint32_t mem_lower, mem_upper;
    uint32_t boot_device;
    uint32_t cmdline;
    uint32_t mods_count, mods_addr;
    uint32_t syms[4];
    uint32_t mmap_length, mmap_addr;
} PACKED;

struct multiboot_module {
    uint32_t mod_start, mod_end;
    uint32_t string;
    uint32_t reserved;
} PACKED;

/* Each mmap entry is preceded by its own size, which excludes the size field. */
struct multiboot_mmap_entry {
    uint32_t size;
    uint64_t addr, len;
    uint32_t type;
} PACKED;

int bootinfo_parse_multiboot(uint32_t magic, paddr_t info_pa, struct boot_info *bi,
                             char *err, size_t errlen)
{
    memset(bi, 0, sizeof(*bi));
    bi->protocol = BOOT_MULTIBOOT;
    bi->info_paddr = info_pa;

    if (magic != MULTIBOOT_LOADER_MAGIC)
        return error_set(err, errlen, BOOTINFO_BAD_MAGIC,
                             "Multiboot loader magic is %#x (want %#x)",
                             magic, MULTIBOOT_LOADER_MAGIC);
    const struct multiboot_info *mbi = phys_access(info_pa, sizeof(*mbi));
    if (!mbi)
        return error_set(err, errlen, BOOTINFO_UNREACHABLE,
                             "Multiboot info at %#llx is out of reach",
                             (unsigned long long)info_pa);

    int rc;
    if (mbi->flags & MBI_FLAG_CMDLINE) {
        rc = bootinfo_copy_string(mbi->cmdline, bi->cmdline, sizeof(bi->cmdline));
        if (rc)
            return error_set(err, errlen, rc,
                                 rc == BOOTINFO_CMDLINE_TOO_LONG
                                 ? "command line is longer than %zu bytes"
                                 : "command line out of reach (limit %zu)",
                                 sizeof(bi->cmdline) - 1);
        /* The first word is pvshim's own file name unless it is an option. */
        size_t w = strcspn(bi->cmdline, " \t");
        if (w && !memchr(bi->cmdline, '=', w) && strncmp(bi->cmdline, "--", w) != 0)
            bootinfo_split_name(bi->cmdline, NULL, 0);
    }

    if (mbi->flags & MBI_FLAG_MEM) {
        bi->mem_lower_kib = mbi->mem_lower;
        bi->mem_upper_kib = mbi->mem_upper;
    }

    if ((mbi->flags & MBI_FLAG_MODS) && mbi->mods_count) {
        if (mbi->mods_count > BOOT_MODULES_MAX)
            return error_set(err, errlen, BOOTINFO_TOO_MANY_MODULES,
                                 "%u modules given, at most %u are supported",
                                 mbi->mods_count, BOOT_MODULES_MAX);
        const struct multiboot_module *mods =
            phys_access(mbi->mods_addr, mbi->mods_count * sizeof(*mods));
        if (!mods)
            return error_set(err, errlen, BOOTINFO_UNREACHABLE,
                                 "module list out of reach");
        for (unsigned i = 0; i < mbi->mods_count; i++) {
            struct boot_module *m = &bi->modules[i];
            if (mods[i].mod_end < mods[i].mod_start)
                return error_set(err, errlen, BOOTINFO_BAD_MODULE,
                                     "module %u ends (%#x) before it starts (%#x)",
                                     i, mods[i].mod_end, mods[i].mod_start);
            m->start = mods[i].mod_start;
            m->size = (uint64_t)mods[i].mod_end - mods[i].mod_start;
            rc = bootinfo_copy_string(mods[i].string, m->cmdline, sizeof(m->cmdline));
            if (rc)
                return error_set(err, errlen, rc,
                                     "module %u command line is %s", i,
                                     rc == BOOTINFO_CMDLINE_TOO_LONG
                                     ? "longer than 1023 bytes" : "out of reach");
            bootinfo_split_name(m->cmdline, m->name, sizeof(m->name));
        }
        bi->nr_modules = mbi->mods_count;
    }

    if ((mbi->flags & MBI_FLAG_MMAP) && mbi->mmap_length) {
        const uint8_t *p = phys_access(mbi->mmap_addr, mbi->mmap_length);
        if (!p)
            return error_set(err, errlen, BOOTINFO_UNREACHABLE,
                                 "memory map out of reach");
        uint32_t off = 0;
        while (off + sizeof(struct multiboot_mmap_entry) <= mbi->mmap_length) {
            const struct multiboot_mmap_entry *e = (const void *)(p + off);
            if (e->size < sizeof(*e) - sizeof(e->size))
                return error_set(err, errlen, BOOTINFO_BAD_MEMMAP,
                                     "memory map entry at offset %u has size %u",
                                     off, e->size);
            if (!memmap_add(&bi->memmap, e->addr, e->len, e->type))
                return error_set(err, errlen, BOOTINFO_TOO_MANY_MEMMAP,
                                     "memory map has more than %u entries", MEMMAP_MAX);
            if (e->size > mbi->mmap_length)
                break;
            off += e->size + (uint32_t)sizeof(e->size);
        }
    }
    return BOOTINFO_OK;
}
