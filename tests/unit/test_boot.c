/* Boot-information parsing, command line, memory map, frame allocator, ACPI. */
#include <stdio.h>
#include <string.h>
#include <stdint.h>
#include <xen/arch-x86/hvm/start_info.h>
#include <pvshim/bootinfo.h>
#include <pvshim/options.h>
#include <pvshim/memmap.h>
#include <pvshim/frame_alloc.h>
#include <pvshim/acpi.h>
#include <pvshim/spinlock.h>
#include <pvshim/console.h>
#include <pvshim/time_scale.h>
#include "unit.h"
#include "fakes.h"

static char err[256];

/* ------------------------------------------------------------ PVH */

/* Lay out a start_info at 0x1000 with its tables in the same fake page run. */
struct pvh_fixture {
    uint8_t *mem;
    struct hvm_start_info *si;
};

static struct pvh_fixture pvh_setup(void)
{
    fake_phys_reset();
    struct pvh_fixture f;
    f.mem = fake_phys_add(0x1000, 0x4000);
    f.si = (struct hvm_start_info *)f.mem;
    f.si->magic = XEN_HVM_START_MAGIC_VALUE;
    f.si->version = 1;
    return f;
}

static void put_str(struct pvh_fixture *f, paddr_t pa, const char *s)
{
    strcpy((char *)f->mem + (pa - 0x1000), s);
}

START_TEST(pvh_minimal_v0)
{
    struct pvh_fixture f = pvh_setup();
    f.si->version = 0;
    struct boot_info bi;
    ck_assert_int_eq(bootinfo_parse_pvh(0x1000, &bi, err, sizeof(err)), 0);
    ck_assert_int_eq(bi.protocol, BOOT_PVH);
    ck_assert_int_eq(bi.pvh_version, 0);
    ck_assert_int_eq(bi.nr_modules, 0);
    ck_assert_int_eq(bi.memmap.nr, 0);
    ck_assert_str_eq(bi.cmdline, "");
}
END_TEST

START_TEST(pvh_full_v1)
{
    struct pvh_fixture f = pvh_setup();
    f.si->cmdline_paddr = 0x1800;
    put_str(&f, 0x1800, "loglevel=4 -- quiet");
    f.si->nr_modules = 2;
    f.si->modlist_paddr = 0x2000;
    struct hvm_modlist_entry *mods = (void *)(f.mem + 0x1000);
    mods[0] = (struct hvm_modlist_entry){ .paddr = 0x200000, .size = 12345, .cmdline_paddr = 0x2800 };
    mods[1] = (struct hvm_modlist_entry){ .paddr = 0x400000, .size = 99 };
    put_str(&f, 0x2800, "root=/dev/xvda1");
    f.si->memmap_paddr = 0x3000;
    f.si->memmap_entries = 3;
    struct hvm_memmap_table_entry *mm = (void *)(f.mem + 0x2000);
    mm[0] = (struct hvm_memmap_table_entry){ 0, 0x9fc00, 1, 0 };
    mm[1] = (struct hvm_memmap_table_entry){ 0x100000, 0x7f00000, 1, 0 };
    mm[2] = (struct hvm_memmap_table_entry){ 0xfffc0000, 0x40000, 2, 0 };
    f.si->rsdp_paddr = 0xf5000;

    struct boot_info bi;
    ck_assert_int_eq(bootinfo_parse_pvh(0x1000, &bi, err, sizeof(err)), 0);
    ck_assert_str_eq(bi.cmdline, "loglevel=4 -- quiet");
    ck_assert_int_eq(bi.nr_modules, 2);
    ck_assert_uint_eq(bi.modules[0].start, 0x200000);
    ck_assert_uint_eq(bi.modules[0].size, 12345);
    ck_assert_str_eq(bi.modules[0].cmdline, "root=/dev/xvda1");
    ck_assert_str_eq(bi.modules[1].cmdline, "");
    ck_assert_int_eq(bi.memmap.nr, 3);
    ck_assert_uint_eq(bi.memmap.e[1].size, 0x7f00000);
    ck_assert_uint_eq(bi.rsdp, 0xf5000);
}
END_TEST

START_TEST(pvh_bad_magic)
{
    struct pvh_fixture f = pvh_setup();
    f.si->magic = 0x12345678;
    struct boot_info bi;
    ck_assert_int_eq(bootinfo_parse_pvh(0x1000, &bi, err, sizeof(err)), BOOTINFO_BAD_MAGIC);
    ck_assert_ptr_nonnull(strstr(err, "bad magic 0x12345678"));
}
END_TEST

START_TEST(pvh_bad_version_and_unreachable)
{
    struct pvh_fixture f = pvh_setup();
    f.si->version = 7;
    struct boot_info bi;
    ck_assert_int_eq(bootinfo_parse_pvh(0x1000, &bi, err, sizeof(err)), BOOTINFO_BAD_VERSION);
    ck_assert_int_eq(bootinfo_parse_pvh(0x900000, &bi, err, sizeof(err)), BOOTINFO_UNREACHABLE);
}
END_TEST

START_TEST(pvh_absurd_counts)
{
    struct pvh_fixture f = pvh_setup();
    struct boot_info bi;
    f.si->nr_modules = 0xffffffff;
    ck_assert_int_eq(bootinfo_parse_pvh(0x1000, &bi, err, sizeof(err)), BOOTINFO_TOO_MANY_MODULES);
    f.si->nr_modules = 0;
    f.si->memmap_entries = 0x7fffffff;
    f.si->memmap_paddr = 0x2000;
    ck_assert_int_eq(bootinfo_parse_pvh(0x1000, &bi, err, sizeof(err)), BOOTINFO_TOO_MANY_MEMMAP);
    /* Plausible count but the table runs off reachable memory. */
    f.si->memmap_entries = 1000;
    ck_assert_int_eq(bootinfo_parse_pvh(0x1000, &bi, err, sizeof(err)), BOOTINFO_UNREACHABLE);
    /* A module list that is not there. */
    f.si->memmap_entries = 0;
    f.si->nr_modules = 1;
    f.si->modlist_paddr = 0xdead0000;
    ck_assert_int_eq(bootinfo_parse_pvh(0x1000, &bi, err, sizeof(err)), BOOTINFO_UNREACHABLE);
}
END_TEST

START_TEST(pvh_wrapping_module)
{
    struct pvh_fixture f = pvh_setup();
    f.si->nr_modules = 1;
    f.si->modlist_paddr = 0x2000;
    struct hvm_modlist_entry *mods = (void *)(f.mem + 0x1000);
    mods[0] = (struct hvm_modlist_entry){ .paddr = 0xfffffffffffff000ull, .size = 0x2000 };
    struct boot_info bi;
    ck_assert_int_eq(bootinfo_parse_pvh(0x1000, &bi, err, sizeof(err)), BOOTINFO_BAD_MODULE);
}
END_TEST

START_TEST(pvh_cmdline_too_long)
{
    struct pvh_fixture f = pvh_setup();
    f.si->cmdline_paddr = 0x2000;
    memset(f.mem + 0x1000, 'a', BOOT_CMDLINE_MAX + 10);
    struct boot_info bi;
    ck_assert_int_eq(bootinfo_parse_pvh(0x1000, &bi, err, sizeof(err)), BOOTINFO_CMDLINE_TOO_LONG);
    ck_assert_ptr_nonnull(strstr(err, "longer than 2047"));
    /* Exactly at the limit is fine. */
    f.mem[0x1000 + BOOT_CMDLINE_MAX - 1] = '\0';
    ck_assert_int_eq(bootinfo_parse_pvh(0x1000, &bi, err, sizeof(err)), 0);
    ck_assert_uint_eq(strlen(bi.cmdline), BOOT_CMDLINE_MAX - 1);
}
END_TEST

/* ------------------------------------------------------------ Multiboot */

struct mb_info {
    uint32_t flags, mem_lower, mem_upper, boot_device, cmdline, mods_count, mods_addr;
    uint32_t syms[4], mmap_length, mmap_addr;
} __attribute__((packed));

START_TEST(multiboot_full)
{
    fake_phys_reset();
    uint8_t *mem = fake_phys_add(0x9000, 0x3000);
    struct mb_info *mbi = (void *)mem;
    mbi->flags = 1 | 4 | 8 | 64;
    mbi->mem_lower = 639;
    mbi->mem_upper = 260000;
    mbi->cmdline = 0x9100;
    strcpy((char *)mem + 0x100, "/boot/pvshim loglevel=2");
    mbi->mods_count = 2;
    mbi->mods_addr = 0x9200;
    uint32_t *mods = (void *)(mem + 0x200);
    mods[0] = 0x200000; mods[1] = 0x200100; mods[2] = 0x9400; mods[3] = 0;
    mods[4] = 0x300000; mods[5] = 0x300000; mods[6] = 0x9500; mods[7] = 0;
    strcpy((char *)mem + 0x400, "/tmp/vmlinuz  root=/dev/xvda ro");
    strcpy((char *)mem + 0x500, "initrd.gz");
    /* Two mmap entries, the second with a larger size field (extra bytes skipped). */
    mbi->mmap_addr = 0x9800;
    uint8_t *mm = mem + 0x800;
    uint32_t size0 = 20, size1 = 24;
    uint64_t a0 = 0, l0 = 0x9fc00, a1 = 0x100000, l1 = 0x7f00000;
    uint32_t t = 1;
    memcpy(mm, &size0, 4); memcpy(mm + 4, &a0, 8); memcpy(mm + 12, &l0, 8); memcpy(mm + 20, &t, 4);
    memcpy(mm + 24, &size1, 4); memcpy(mm + 28, &a1, 8); memcpy(mm + 36, &l1, 8); memcpy(mm + 44, &t, 4);
    mbi->mmap_length = 24 + 28;

    struct boot_info bi;
    ck_assert_int_eq(bootinfo_parse_multiboot(0x2badb002, 0x9000, &bi, err, sizeof(err)), 0);
    ck_assert_str_eq(bi.cmdline, "loglevel=2");
    ck_assert_int_eq(bi.nr_modules, 2);
    ck_assert_str_eq(bi.modules[0].name, "/tmp/vmlinuz");
    ck_assert_str_eq(bi.modules[0].cmdline, "root=/dev/xvda ro");
    ck_assert_uint_eq(bi.modules[0].size, 0x100);
    ck_assert_str_eq(bi.modules[1].name, "initrd.gz");
    ck_assert_str_eq(bi.modules[1].cmdline, "");
    ck_assert_uint_eq(bi.modules[1].size, 0);
    ck_assert_int_eq(bi.memmap.nr, 2);
    ck_assert_uint_eq(bi.memmap.e[1].start, 0x100000);
    ck_assert_uint_eq(bi.mem_upper_kib, 260000);
}
END_TEST

START_TEST(multiboot_first_word_kept_when_option)
{
    fake_phys_reset();
    uint8_t *mem = fake_phys_add(0x9000, 0x1000);
    struct mb_info *mbi = (void *)mem;
    mbi->flags = 4;
    mbi->cmdline = 0x9100;
    struct boot_info bi;
    strcpy((char *)mem + 0x100, "console=com1 mem=1G");
    ck_assert_int_eq(bootinfo_parse_multiboot(0x2badb002, 0x9000, &bi, err, sizeof(err)), 0);
    ck_assert_str_eq(bi.cmdline, "console=com1 mem=1G");
    strcpy((char *)mem + 0x100, "-- guest");
    ck_assert_int_eq(bootinfo_parse_multiboot(0x2badb002, 0x9000, &bi, err, sizeof(err)), 0);
    ck_assert_str_eq(bi.cmdline, "-- guest");
    strcpy((char *)mem + 0x100, "pvshim");
    ck_assert_int_eq(bootinfo_parse_multiboot(0x2badb002, 0x9000, &bi, err, sizeof(err)), 0);
    ck_assert_str_eq(bi.cmdline, "");
}
END_TEST

START_TEST(multiboot_bad_input)
{
    fake_phys_reset();
    uint8_t *mem = fake_phys_add(0x9000, 0x1000);
    struct mb_info *mbi = (void *)mem;
    struct boot_info bi;
    ck_assert_int_eq(bootinfo_parse_multiboot(0x1badb002, 0x9000, &bi, err, sizeof(err)), BOOTINFO_BAD_MAGIC);
    mbi->flags = 8;
    mbi->mods_count = 1000;
    ck_assert_int_eq(bootinfo_parse_multiboot(0x2badb002, 0x9000, &bi, err, sizeof(err)), BOOTINFO_TOO_MANY_MODULES);
    mbi->mods_count = 1;
    mbi->mods_addr = 0x9100;
    uint32_t *mods = (void *)(mem + 0x100);
    mods[0] = 0x5000; mods[1] = 0x4000;
    ck_assert_int_eq(bootinfo_parse_multiboot(0x2badb002, 0x9000, &bi, err, sizeof(err)), BOOTINFO_BAD_MODULE);
    /* mmap entry with a size too small to hold an entry. */
    mbi->flags = 64;
    mbi->mmap_addr = 0x9200;
    mbi->mmap_length = 48;
    ck_assert_int_eq(bootinfo_parse_multiboot(0x2badb002, 0x9000, &bi, err, sizeof(err)), BOOTINFO_BAD_MEMMAP);
}
END_TEST

/* ------------------------------------------------------------ options */

START_TEST(options_defaults_and_values)
{
    struct pvshim_options o;
    ck_assert_int_eq(options_parse("", &o, err, sizeof(err)), 0);
    ck_assert_int_eq(o.loglevel, 3);
    ck_assert(!o.console_given);
    ck_assert_int_eq(options_parse("  console=com1,debugcon loglevel=debug mem=512M trace=abi ",
                                   &o, err, sizeof(err)), 0);
    ck_assert_uint_eq(o.console_mask, CONSOLE_COM1 | CONSOLE_DEBUGCON);
    ck_assert_int_eq(o.loglevel, 4);
    ck_assert_uint_eq(o.mem_limit, 512ull << 20);
    ck_assert(o.trace_abi);
    ck_assert(!o.trace_boot);
    ck_assert_int_eq(options_parse("trace=boot", &o, err, sizeof(err)), 0);
    ck_assert(o.trace_boot && !o.trace_abi);
    ck_assert_int_eq(options_parse("trace=boot,abi", &o, err, sizeof(err)), 0);
    ck_assert(o.trace_boot && o.trace_abi);
    ck_assert_int_eq(options_parse("console=none loglevel=0", &o, err, sizeof(err)), 0);
    ck_assert(o.console_given);
    ck_assert_uint_eq(o.console_mask, 0);
    ck_assert_int_eq(o.loglevel, 0);
    ck_assert(!o.log_json);
    ck_assert_int_eq(options_parse("logformat=json trace=abi", &o, err, sizeof(err)), 0);
    ck_assert(o.log_json && o.trace_abi);
    ck_assert_int_eq(options_parse("logformat=json logformat=text", &o, err, sizeof(err)), 0);
    ck_assert(!o.log_json);
    ck_assert_int_eq(options_parse("logformat=xml", &o, err, sizeof(err)), -1);
    ck_assert_str_eq(err, "logformat=: 'xml' is not text or json");
}
END_TEST

/* xl's default pvshim_cmdline for a PVH domain with pvshim = 1. */
START_TEST(options_xl_default_shim_cmdline)
{
    struct pvshim_options o;
    ck_assert_int_eq(options_parse("pv-shim console=xen,pv", &o, err, sizeof(err)), 0);
    ck_assert(o.pv_shim);
    ck_assert(o.console_given);
    ck_assert_uint_eq(o.console_mask, CONSOLE_XEN);
    ck_assert_int_eq(options_parse("console=pv", &o, err, sizeof(err)), 0);
    ck_assert(!o.pv_shim);
    ck_assert_uint_eq(o.console_mask, CONSOLE_XEN);
    ck_assert_int_eq(options_parse("pv-shimx", &o, err, sizeof(err)), -1);
}
END_TEST

/* The announcements QEMU microvm and Firecracker add: taken, never the guest's. */
START_TEST(options_mmio_announcements)
{
    static const struct {
        const char *cmdline, *guest_args;
        unsigned n;
        uint64_t base0, size0;
        unsigned gsi0;
    } cases[] = {
        /* QEMU microvm, acpi=off: appended at the very end, after "--". */
        { "loglevel=3 -- console=hvc0 virtio_mmio.device=512@0xfeb00000:5",
          "console=hvc0", 1, 0xfeb00000, 512, 5 },
        { "-- a  virtio_mmio.device=512@0xfeb00000:5 virtio_mmio.device=512@0xfeb00200:6",
          "a", 2, 0xfeb00000, 512, 5 },
        /* Firecracker: before " -- ", one per device, 4K slots. */
        { "virtio_mmio.device=4K@0xc0001000:5 -- root=/dev/xvda",
          "root=/dev/xvda", 1, 0xc0001000, 4096, 5 },
        { "virtio_mmio.device=4K@0xc0001000:5", "", 1, 0xc0001000, 4096, 5 },
        /* First after "--", an optional platform device id, words around kept. */
        { "-- virtio_mmio.device=1K@0xd0000000:12:3 x=1 -- y", "x=1 -- y",
          1, 0xd0000000, 1024, 12 },
        /* Not an announcement: a word that only starts alike is the guest's. */
        { "-- virtio_mmio.devicex=1", "virtio_mmio.devicex=1", 0, 0, 0, 0 },
    };
    for (unsigned i = 0; i < ARRAY_SIZE(cases); i++) {
        struct pvshim_options o;
        ck_assert_msg(options_parse(cases[i].cmdline, &o, err, sizeof(err)) == 0,
                      "case %u: %s", i, err);
        ck_assert_str_eq(o.guest_args, cases[i].guest_args);
        ck_assert_uint_eq(o.nr_mmio, cases[i].n);
        if (cases[i].n) {
            ck_assert_uint_eq(o.mmio[0].base, cases[i].base0);
            ck_assert_uint_eq(o.mmio[0].size, cases[i].size0);
            ck_assert_uint_eq(o.mmio[0].gsi, cases[i].gsi0);
        }
    }
    static const char *const bad[] = {
        "virtio_mmio.device=", "virtio_mmio.device=512", "virtio_mmio.device=512@0xfeb00000",
        "virtio_mmio.device=512@0xfeb00000:", "virtio_mmio.device=512@zz:5",
        "virtio_mmio.device=0@0x1000:5", "virtio_mmio.device=512@0x1000:256",
        "virtio_mmio.device=4K@0xfffffffffffff000:5",
        "-- virtio_mmio.device=512@0x1000:5:x",
    };
    for (unsigned i = 0; i < ARRAY_SIZE(bad); i++) {
        struct pvshim_options o;
        ck_assert_msg(options_parse(bad[i], &o, err, sizeof(err)) == -1, "accepted %s", bad[i]);
        ck_assert_ptr_nonnull(strstr(err, "virtio_mmio.device="));
    }
    /* More than fit. */
    char many[BOOT_CMDLINE_MAX] = "";
    for (unsigned i = 0; i <= OPTIONS_MAX_MMIO; i++)
        snprintf(many + strlen(many), sizeof(many) - strlen(many),
                 " virtio_mmio.device=512@%#x:5", 0xfeb00000u + 512 * i);
    struct pvshim_options o;
    ck_assert_int_eq(options_parse(many, &o, err, sizeof(err)), -1);
}
END_TEST

START_TEST(options_guest_args)
{
    struct pvshim_options o;
    ck_assert_int_eq(options_parse("loglevel=2 --  root=/dev/xvda1 -- x", &o, err, sizeof(err)), 0);
    ck_assert_str_eq(o.guest_args, "root=/dev/xvda1 -- x");
    ck_assert_int_eq(o.loglevel, 2);
    ck_assert_int_eq(options_parse("--", &o, err, sizeof(err)), 0);
    ck_assert_str_eq(o.guest_args, "");
    /* "--x" is not the separator. */
    ck_assert_int_eq(options_parse("--x", &o, err, sizeof(err)), -1);
}
END_TEST

START_TEST(options_errors)
{
    struct pvshim_options o;
    ck_assert_int_eq(options_parse("bogus=1", &o, err, sizeof(err)), -1);
    ck_assert_str_eq(err, "unknown option 'bogus=1'");
    ck_assert_int_eq(options_parse("noreboot", &o, err, sizeof(err)), -1);
    ck_assert_int_eq(options_parse("console=com1,vga", &o, err, sizeof(err)), -1);
    ck_assert_ptr_nonnull(strstr(err, "'vga'"));
    ck_assert_int_eq(options_parse("loglevel=9", &o, err, sizeof(err)), -1);
    ck_assert_int_eq(options_parse("loglevel=", &o, err, sizeof(err)), -1);
    ck_assert_int_eq(options_parse("mem=lots", &o, err, sizeof(err)), -1);
    ck_assert_int_eq(options_parse("mem=1M", &o, err, sizeof(err)), -1);
    ck_assert_int_eq(options_parse("mem=99999999999T", &o, err, sizeof(err)), -1);
    ck_assert_int_eq(options_parse("trace=everything", &o, err, sizeof(err)), -1);
    ck_assert_int_eq(options_parse("trace=abi,", &o, err, sizeof(err)), -1);
    ck_assert_int_eq(options_parse("trace=", &o, err, sizeof(err)), -1);
    ck_assert_int_eq(options_parse("trace=boot,bogus", &o, err, sizeof(err)), -1);
    ck_assert_ptr_nonnull(strstr(err, "'bogus'"));
    ck_assert_int_eq(options_parse("selftest=explode", &o, err, sizeof(err)), -1);
    ck_assert_int_eq(options_parse("watchdog=soon", &o, err, sizeof(err)), -1);
    ck_assert_int_eq(options_parse("watchdog=86401", &o, err, sizeof(err)), -1);
    ck_assert_int_eq(options_parse("watchdog=30", &o, err, sizeof(err)), 0);
    ck_assert_uint_eq(o.watchdog_seconds, 30);
    ck_assert_int_eq(o.save_disk, -1);
    ck_assert_int_eq(options_parse("savedisk=two", &o, err, sizeof(err)), -1);
    ck_assert_int_eq(options_parse("savedisk=16", &o, err, sizeof(err)), -1);
    ck_assert_int_eq(options_parse("savedisk=1", &o, err, sizeof(err)), 0);
    ck_assert_int_eq(o.save_disk, 1);
}
END_TEST

START_TEST(sizes)
{
    uint64_t v;
    ck_assert(parse_size("4096", 4, &v) && v == 4096);
    ck_assert(parse_size("64k", 3, &v) && v == 65536);
    ck_assert(parse_size("2G", 2, &v) && v == 2ull << 30);
    ck_assert(parse_size("0x10M", 5, &v) && v == 16ull << 20);
    ck_assert(parse_size("1T", 2, &v) && v == 1ull << 40);
    ck_assert(!parse_size("G", 1, &v));
    ck_assert(!parse_size("", 0, &v));
    ck_assert(!parse_size("16777216T", 9, &v));
}
END_TEST

/* ------------------------------------------------------------ memory map */

static void add(struct memmap *m, uint64_t s, uint64_t size, uint32_t t)
{
    ck_assert(memmap_add(m, s, size, t));
}

START_TEST(memmap_sorts_and_merges)
{
    struct memmap m = { 0 };
    add(&m, 0x200000, 0x100000, MEM_RAM);
    add(&m, 0x100000, 0x100000, MEM_RAM);
    add(&m, 0, 0x9fc00, MEM_RAM);
    add(&m, 0x9fc00, 0x400, MEM_RESERVED);
    memmap_sanitize(&m);
    ck_assert_int_eq(m.nr, 3);
    ck_assert_uint_eq(m.e[0].start, 0);
    ck_assert_uint_eq(m.e[0].size, 0x9f000);      /* RAM shrunk to whole pages */
    ck_assert_uint_eq(m.e[1].type, MEM_RESERVED);
    ck_assert_uint_eq(m.e[2].start, 0x100000);
    ck_assert_uint_eq(m.e[2].size, 0x200000);     /* adjacent RAM merged */
}
END_TEST

START_TEST(memmap_overlaps)
{
    struct memmap m = { 0 };
    add(&m, 0x100000, 0x1000000, MEM_RAM);
    add(&m, 0x800000, 0x1000, MEM_RESERVED);       /* a hole punched in RAM */
    add(&m, 0x900800, 0x800, MEM_ACPI);             /* partial page: RAM shrinks around it */
    add(&m, 0xa00000, 0x200000, MEM_RESERVED);
    add(&m, 0xb00000, 0x200000, MEM_NVS);           /* NVS (4) beats reserved (2) where they overlap */
    memmap_sanitize(&m);
    ck_assert_uint_eq(memmap_ram_bytes(&m),
                      (0x800000 - 0x100000) + (0x900000 - 0x801000) + (0xa00000 - 0x901000) +
                      (0x1100000 - 0xd00000));
    int nvs_at_b = 0;
    for (unsigned i = 0; i < m.nr; i++) {
        if (m.e[i].type == MEM_NVS && m.e[i].start == 0xb00000 && m.e[i].size == 0x200000)
            nvs_at_b = 1;
        if (i)
            ck_assert_uint_le(m.e[i - 1].start + m.e[i - 1].size, m.e[i].start);
    }
    ck_assert(nvs_at_b);
}
END_TEST

START_TEST(memmap_junk)
{
    struct memmap m = { 0 };
    add(&m, 0xfffffffffffff000ull, 0x10000, MEM_RAM); /* wraps */
    add(&m, 1ull << 53, 0x1000, MEM_RAM);              /* beyond 52 bits */
    add(&m, 0x1234, 0x10, MEM_RAM);                    /* less than a page */
    ck_assert(memmap_add(&m, 0x5000, 0, MEM_RAM));    /* zero size: dropped */
    add(&m, 0x100000, 0x100000, 99);                   /* unknown type kept as non-RAM */
    memmap_sanitize(&m);
    ck_assert_uint_eq(memmap_ram_bytes(&m), 0);
    ck_assert_int_eq(m.nr, 1);
    ck_assert_uint_eq(m.e[0].type, 99);
    /* Full map refuses more. */
    struct memmap full = { 0 };
    for (int i = 0; i < MEMMAP_MAX; i++)
        add(&full, (uint64_t)i << 20, 0x1000, MEM_RAM);
    ck_assert(!memmap_add(&full, 0xf0000000, 0x1000, MEM_RAM));
}
END_TEST

START_TEST(memmap_limit)
{
    struct memmap m = { 0 };
    add(&m, 0, 0x9f000, MEM_RAM);
    add(&m, 0x100000, 0x3ff00000, MEM_RAM);
    add(&m, 0xfec00000, 0x1000, MEM_RESERVED);
    add(&m, 0x100000000ull, 0x40000000, MEM_RAM);
    memmap_sanitize(&m);
    memmap_limit_ram(&m, 512ull << 20);
    ck_assert_uint_eq(memmap_ram_bytes(&m), 0x9f000 + (512ull << 20) - 0x100000);
    ck_assert_int_eq(m.nr, 3);      /* reserved entries stay */
}
END_TEST

/* ------------------------------------------------------------ frames */

START_TEST(frames_alloc_free)
{
    struct frame_pool p;
    frame_pool_init(&p);
    ck_assert(frame_pool_free(&p, 0x100, 0x100));
    ck_assert(frame_pool_free(&p, 0x300, 0x100));
    ck_assert_uint_eq(p.free_frames, 0x200);
    ck_assert(!frame_pool_free(&p, 0x180, 0x10));    /* double free refused */
    ck_assert(frame_pool_free(&p, 0x200, 0x100));    /* joins both neighbours */
    ck_assert_int_eq(p.nr, 1);
    ck_assert_uint_eq(frame_pool_alloc(&p, 0x10, 1, ~0ull), 0x100);
    ck_assert_uint_eq(frame_pool_alloc(&p, 0x20, 0x100, ~0ull), 0x200);   /* aligned */
    ck_assert_uint_eq(frame_pool_alloc(&p, 1, 1, 0x100), INVALID_MFN);    /* limit */
    ck_assert_uint_eq(frame_pool_alloc(&p, 0x1000, 1, ~0ull), INVALID_MFN);
    ck_assert_uint_eq(frame_pool_alloc(&p, 0, 1, ~0ull), INVALID_MFN);
    ck_assert_uint_eq(frame_pool_alloc(&p, 1, 3, ~0ull), INVALID_MFN);    /* bad align */
    ck_assert_uint_eq(p.free_frames, 0x300 - 0x30);
    ck_assert(frame_pool_is_free(&p, 0x110));
    ck_assert(!frame_pool_is_free(&p, 0x200));
    ck_assert(frame_pool_free(&p, 0x200, 0x20));
    ck_assert(frame_pool_free(&p, 0x100, 0x10));
    ck_assert_int_eq(p.nr, 1);
    ck_assert_uint_eq(p.free_frames, 0x300);
}
END_TEST

START_TEST(frames_reserve)
{
    struct frame_pool p;
    frame_pool_init(&p);
    struct memmap m = { 0 };
    add(&m, 0, 0x9f000, MEM_RAM);
    add(&m, 0x100000, 0x1000000, MEM_RAM);
    memmap_sanitize(&m);
    ck_assert(frame_pool_add_ram(&p, &m));
    uint64_t total = p.free_frames;
    ck_assert(frame_pool_reserve(&p, 0, 0x100000));               /* low memory */
    ck_assert_uint_eq(p.free_frames, total - 0x9f);
    ck_assert(frame_pool_reserve(&p, 0x200800, 0x201800));        /* rounds out: 2 frames */
    ck_assert_uint_eq(p.free_frames, total - 0x9f - 2);
    ck_assert(!frame_pool_is_free(&p, 0x200));
    ck_assert(!frame_pool_is_free(&p, 0x201));
    ck_assert(frame_pool_is_free(&p, 0x202));
    ck_assert(frame_pool_reserve(&p, 0x200000, 0x202000));        /* overlapping: idempotent */
    ck_assert_uint_eq(p.free_frames, total - 0x9f - 2);
    ck_assert(frame_pool_reserve(&p, 0, ~0ull));                  /* everything */
    ck_assert_uint_eq(p.free_frames, 0);
    ck_assert_int_eq(p.nr, 0);
}
END_TEST

START_TEST(frames_many_fragments)
{
    struct frame_pool p;
    frame_pool_init(&p);
    ck_assert(frame_pool_free(&p, 0, 100000));
    /* Punch holes until the range list is full; the pool stays consistent. */
    bool refused = false;
    for (unsigned i = 0; i < FRAME_POOL_RANGES + 10; i++) {
        uint64_t before = p.free_frames;
        if (!frame_pool_reserve(&p, (paddr_t)(i * 10 + 5) << 12, (paddr_t)(i * 10 + 6) << 12)) {
            refused = true;
            ck_assert_uint_eq(p.free_frames, before);
        }
    }
    ck_assert(refused);
    ck_assert_int_le(p.nr, FRAME_POOL_RANGES);
    uint64_t sum = 0;
    for (unsigned i = 0; i < p.nr; i++) {
        ck_assert_uint_lt(p.r[i].start, p.r[i].end);
        if (i)
            ck_assert_uint_lt(p.r[i - 1].end, p.r[i].start);
        sum += p.r[i].end - p.r[i].start;
    }
    ck_assert_uint_eq(sum, p.free_frames);
}
END_TEST

START_TEST(modules_checked)
{
    struct memmap m = { 0 };
    add(&m, 0, 0x9f000, MEM_RAM);
    add(&m, 0x100000, 0x1000000, MEM_RAM);
    memmap_sanitize(&m);
    struct boot_info bi = { 0 };
    bi.nr_modules = 2;
    bi.modules[0] = (struct boot_module){ .start = 0x400000, .size = 0x1000 };
    bi.modules[1] = (struct boot_module){ .start = 0x500000, .size = 0x100 };
    ck_assert_int_eq(bootinfo_check_modules(&bi, &m, 0x100000, 0x180000, err, sizeof(err)), 0);
    bi.modules[1].start = 0x170000;     /* overlaps pvshim */
    ck_assert_int_eq(bootinfo_check_modules(&bi, &m, 0x100000, 0x180000, err, sizeof(err)), -1);
    ck_assert_ptr_nonnull(strstr(err, "overlaps pvshim"));
    bi.modules[1].start = 0x400800;     /* overlaps module 0 */
    ck_assert_int_eq(bootinfo_check_modules(&bi, &m, 0x100000, 0x180000, err, sizeof(err)), -1);
    ck_assert_ptr_nonnull(strstr(err, "modules 0 and 1 overlap"));
    bi.modules[1].start = 0xfee00000;   /* not RAM */
    ck_assert_int_eq(bootinfo_check_modules(&bi, &m, 0x100000, 0x180000, err, sizeof(err)), -1);
    ck_assert_ptr_nonnull(strstr(err, "not in usable RAM"));
    bi.modules[1].size = 0;             /* empty modules are harmless anywhere */
    ck_assert_int_eq(bootinfo_check_modules(&bi, &m, 0x100000, 0x180000, err, sizeof(err)), 0);
}
END_TEST

/* ------------------------------------------------------------ ACPI and time */

START_TEST(acpi_s5_package)
{
    /* Name(\_S5, Package(4) { 0x05, 0x05, 0, 0 }) in a stream of other AML. */
    const uint8_t aml1[] = { 0x10, 0x08, 0x08, '\\', '_', 'S', '5', '_', 0x12, 0x0a, 0x04,
                             0x0a, 0x05, 0x0a, 0x07, 0x00, 0x00 };
    uint8_t a, b;
    ck_assert(acpi_find_s5(aml1, sizeof(aml1), &a, &b));
    ck_assert_int_eq(a, 5);
    ck_assert_int_eq(b, 7);
    /* ZeroOp element, multi-byte PkgLength. */
    const uint8_t aml2[] = { 0x08, '_', 'S', '5', '_', 0x12, 0x40, 0x01, 0x02, 0x00, 0x01 };
    ck_assert(acpi_find_s5(aml2, sizeof(aml2), &a, &b));
    ck_assert_int_eq(a, 0);
    ck_assert_int_eq(b, 1);
    /* The name in a method call, not a NameOp: ignored. Truncated: refused. */
    const uint8_t aml3[] = { 0x70, '_', 'S', '5', '_', 0x12, 0x05 };
    ck_assert(!acpi_find_s5(aml3, sizeof(aml3), &a, &b));
    const uint8_t aml4[] = { 0x08, '_', 'S', '5', '_', 0x12, 0x0a, 0x04, 0x0a };
    ck_assert(!acpi_find_s5(aml4, sizeof(aml4), &a, &b));
}
END_TEST

/* MADT processors: enabled Local APIC and x2APIC entries, in table order;
 * disabled (online-capable) ones and duplicates are not CPUs. */
START_TEST(acpi_madt_cpus)
{
    uint8_t m[128] = { 'A', 'P', 'I', 'C' };
    size_t n = 36 + 8;
    const uint8_t entries[] = {
        0, 8, 0, 1, 1, 0, 0, 0,                 /* LAPIC uid 0, id 1, enabled */
        0, 8, 1, 3, 2, 0, 0, 0,                 /* id 3: online-capable only */
        1, 12, 0, 0, 0, 0, 0xc0, 0xfe, 0, 0, 0, 0,  /* an I/O APIC */
        9, 16, 0, 0, 0x05, 0x01, 0, 0, 1, 0, 0, 0, 7, 0, 0, 0, /* x2APIC 0x105 */
        0, 8, 2, 0, 1, 0, 0, 0,                 /* id 0, enabled */
        0, 8, 3, 1, 1, 0, 0, 0,                 /* id 1 again */
    };
    memcpy(m + n, entries, sizeof(entries));
    n += sizeof(entries);
    struct acpi_info a = { 0 };
    acpi_parse_madt(m, n, &a);
    ck_assert_uint_eq(a.nr_cpus, 3);
    ck_assert_uint_eq(a.cpu_apic_id[0], 1);
    ck_assert_uint_eq(a.cpu_apic_id[1], 0x105);
    ck_assert_uint_eq(a.cpu_apic_id[2], 0);
    ck_assert_uint_eq(a.cpus_ignored, 0);
    ck_assert_uint_eq(a.ioapic_addr, 0xfec00000);
    /* A truncated entry ends the walk. */
    acpi_parse_madt(m, 36 + 8 + 12, &a);
    ck_assert_uint_eq(a.nr_cpus, 1);
}
END_TEST

/* An MP table as QEMU microvm's firmware writes one without ACPI: found in
 * the last KiB of base memory; its I/O APIC and ISA IRQ 0 on pin 2. */
static void mp_sum(uint8_t *p, size_t len, size_t at)
{
    uint8_t s = 0;
    p[at] = 0;
    for (size_t i = 0; i < len; i++)
        s += p[i];
    p[at] = (uint8_t)-s;
}

START_TEST(mptable_ioapic)
{
    uint8_t *low = fake_phys_add(0x9fc00, 1024);
    uint8_t *t = low + 16;
    memcpy(low, "_MP_", 4);
    uint32_t cfg = 0x9fc10;
    memcpy(low + 4, &cfg, 4);
    low[8] = 1;
    low[9] = 4;
    mp_sum(low, 16, 10);
    memcpy(t, "PCMP", 4);
    const uint8_t entries[] = {
        0, 0, 0x14, 3, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,  /* CPU */
        1, 0, 'I', 'S', 'A', ' ', ' ', ' ',                             /* bus 0 ISA */
        2, 2, 0x14, 1, 0x00, 0x00, 0xc0, 0xfe,                          /* I/O APIC id 2 */
        3, 0, 0, 0, 0, 0, 2, 2,                                         /* IRQ 0 -> pin 2 */
        3, 0, 0x0f, 0, 0, 9, 2, 9,                                      /* IRQ 9, level low */
        4, 3, 0, 0, 0, 0, 0, 0,                                         /* local ExtINT */
    };
    memcpy(t + 44, entries, sizeof(entries));
    uint16_t len = (uint16_t)(44 + sizeof(entries));
    memcpy(t + 4, &len, 2);     /* entry count left 0, as qboot leaves it */
    mp_sum(t, len, 7);
    struct acpi_info a = { 0 };
    mptable_parse(&a);
    ck_assert_uint_eq(a.ioapic_addr, 0xfec00000);
    ck_assert_uint_eq(a.ioapic_gsi_base, 0);
    ck_assert_uint_eq(a.isa_irq[0].gsi, 2);
    ck_assert_uint_eq(a.isa_irq[5].gsi, 5);
    ck_assert_uint_eq(a.isa_irq[9].flags, 0x0f);
    /* A bad checksum, a disabled I/O APIC, a truncated table: nothing. */
    struct acpi_info b = { 0 };
    t[7]++;
    ck_assert(!mptable_parse_config(t, len, &b));
    t[7]--;
    t[44 + 28 + 3] = 0;
    mp_sum(t, len, 7);
    ck_assert(!mptable_parse_config(t, len, &b));
    ck_assert(!mptable_parse_config(t, 40, &b));
    ck_assert_uint_eq(b.ioapic_addr, 0);
}
END_TEST

/* The ticket lock: free when zeroed, exclusive, owned by the taker. */
START_TEST(spinlock_basics)
{
    spinlock_t l = { 0 };
    ck_assert(!spin_is_mine(&l));
    spin_lock(&l);
    ck_assert(spin_is_mine(&l));
    ck_assert(!spin_trylock(&l));
    spin_unlock(&l);
    ck_assert(!spin_is_mine(&l));
    ck_assert(spin_trylock(&l));
    ck_assert(spin_is_mine(&l));
    spin_unlock(&l);
    /* Tickets wrap around without losing the lock. */
    l.next = l.serving = 0xffff;
    spin_lock(&l);
    ck_assert(!spin_trylock(&l));
    spin_unlock(&l);
    ck_assert_uint_eq(l.serving, 0);
    ck_assert(spin_trylock(&l));
    spin_unlock(&l);
}
END_TEST

START_TEST(time_scales)
{
    struct time_scale s;
    time_scale_init(&s, 2096000000ull, 1000000000ull);
    uint64_t one_second = time_scale_apply(&s, 2096000000ull);
    ck_assert_uint_ge(one_second, 999999999ull);
    ck_assert_uint_le(one_second, 1000000000ull);
    uint64_t one_hour = time_scale_apply(&s, 2096000000ull * 3600);
    ck_assert_uint_ge(one_hour, 3600ull * 1000000000 - 3600);
    ck_assert_uint_le(one_hour, 3600ull * 1000000000);
    time_scale_init(&s, 1000000000ull, 62500000ull);        /* ns -> APIC ticks */
    ck_assert_uint_eq(time_scale_apply(&s, 1600), 100);
    time_scale_init(&s, 3579545ull, 1000000000ull);         /* slow source, positive shift */
    ck_assert_int_gt(s.shift, 0);
    uint64_t ns = time_scale_apply(&s, 3579545ull);
    ck_assert_uint_ge(ns, 999999990ull);
    ck_assert_uint_le(ns, 1000000000ull);
}
END_TEST

static Suite *boot_suite(void)
{
    Suite *s = suite_create("boot");
    TCase *tc = tcase_create("pvh");
    tcase_add_test(tc, pvh_minimal_v0);
    tcase_add_test(tc, pvh_full_v1);
    tcase_add_test(tc, pvh_bad_magic);
    tcase_add_test(tc, pvh_bad_version_and_unreachable);
    tcase_add_test(tc, pvh_absurd_counts);
    tcase_add_test(tc, pvh_wrapping_module);
    tcase_add_test(tc, pvh_cmdline_too_long);
    suite_add_tcase(s, tc);
    tc = tcase_create("multiboot");
    tcase_add_test(tc, multiboot_full);
    tcase_add_test(tc, multiboot_first_word_kept_when_option);
    tcase_add_test(tc, multiboot_bad_input);
    suite_add_tcase(s, tc);
    tc = tcase_create("options");
    tcase_add_test(tc, options_defaults_and_values);
    tcase_add_test(tc, options_xl_default_shim_cmdline);
    tcase_add_test(tc, options_guest_args);
    tcase_add_test(tc, options_mmio_announcements);
    tcase_add_test(tc, options_errors);
    tcase_add_test(tc, sizes);
    suite_add_tcase(s, tc);
    tc = tcase_create("memmap");
    tcase_add_test(tc, memmap_sorts_and_merges);
    tcase_add_test(tc, memmap_overlaps);
    tcase_add_test(tc, memmap_junk);
    tcase_add_test(tc, memmap_limit);
    suite_add_tcase(s, tc);
    tc = tcase_create("frames");
    tcase_add_test(tc, frames_alloc_free);
    tcase_add_test(tc, frames_reserve);
    tcase_add_test(tc, frames_many_fragments);
    tcase_add_test(tc, modules_checked);
    suite_add_tcase(s, tc);
    tc = tcase_create("acpi-time");
    tcase_add_test(tc, acpi_s5_package);
    tcase_add_test(tc, acpi_madt_cpus);
    tcase_add_test(tc, mptable_ioapic);
    tcase_add_test(tc, spinlock_basics);
    tcase_add_test(tc, time_scales);
    suite_add_tcase(s, tc);
    return s;
}
UNIT_SUITE(boot_suite)
