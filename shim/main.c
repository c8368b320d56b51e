/*
 * pvshim's boot sequence, from the first C instruction to the guest:
 * consoles, boot information, command line, memory, CPU, then the guest.
 */
#include <pvshim/arch.h>
#include <pvshim/bootinfo.h>
#include <pvshim/console.h>
#include <pvshim/frame_alloc.h>
#include <pvshim/log.h>
#include <pvshim/heap.h>
#include <pvshim/json.h>
#include <pvshim/l0.h>
#include <pvshim/options.h>
#include <pvshim/platform.h>
#include <pvshim/status.h>
#include <pvshim/string.h>
#include <pvshim/version.h>
#include <pvshim/layout.h>
#include <pvshim/soft_timer.h>
#include <pvshim/boot_trace.h>

extern char __image_start[], __image_end[];

void guest_boot(const struct boot_info *bi, const struct memmap *m,
                const struct pvshim_options *o);

static struct boot_info boot_info;
struct pvshim_options options;
/* The pool's free frames once pvshim's image, the modules and low memory are out. */
uint64_t boot_pool_frames;

static void print_memmap(const struct memmap *m)
{
    for (unsigned i = 0; i < m->nr; i++)
        log_info("  0x%012llx - 0x%012llx %s",
                 (unsigned long long)m->e[i].start,
                 (unsigned long long)(m->e[i].start + m->e[i].size),
                 memmap_type_name(m->e[i].type));
}

static void print_boot_info(const struct boot_info *bi)
{
    if (bi->protocol == BOOT_PVH)
        log_info("boot: PVH, hvm_start_info v%u at %#llx", bi->pvh_version,
                 (unsigned long long)bi->info_paddr);
    else
        log_info("boot: Multiboot1, info at %#llx", (unsigned long long)bi->info_paddr);
    log_info("command line: \"%s\"", bi->cmdline);
    log_info("modules: %u", bi->nr_modules);
    for (unsigned i = 0; i < bi->nr_modules; i++)
        log_info("  module %u: %#llx - %#llx (%llu bytes)%s%s \"%s\"", i,
                 (unsigned long long)bi->modules[i].start,
                 (unsigned long long)(bi->modules[i].start + bi->modules[i].size),
                 (unsigned long long)bi->modules[i].size,
                 bi->modules[i].name[0] ? " " : "", bi->modules[i].name,
                 bi->modules[i].cmdline);
}

/* Set up the machine-frame pool: all RAM less pvshim, its modules and low memory. */
static void init_frames(const struct memmap *m, const struct boot_info *bi)
{
    paddr_t img_s = (paddr_t)(uintptr_t)__image_start - IMAGE_VIRT_OFFSET;
    paddr_t img_e = (paddr_t)(uintptr_t)__image_end - IMAGE_VIRT_OFFSET;
    char err[200];

    if (bootinfo_check_modules(bi, m, img_s, img_e, err, sizeof(err)))
        fail_bad_input("%s", err);
    frame_pool_init(&machine_frames);
    if (!frame_pool_add_ram(&machine_frames, m))
        fail_bad_input("memory map is too fragmented");
    for (unsigned i = 0; i < bi->nr_modules; i++)
        frame_pool_reserve(&machine_frames, bi->modules[i].start,
                           bi->modules[i].start + bi->modules[i].size);
    frame_pool_reserve(&machine_frames, 0, MiB(1));
    frame_pool_reserve(&machine_frames, img_s, img_e);
    if (machine_frames.free_frames == 0)
        fail_bad_input("no usable RAM above 1 MiB");
    boot_pool_frames = machine_frames.free_frames;
}

/*
 * Low memory for pvshim's permanent data (frame_alloc.h): once the APs ran
 * their start-up code there and the boot information was copied. Below
 * 64 KiB stays alone (the BIOS data area, firmware that writes there).
 */
static void init_low_frames(const struct memmap *m, const struct boot_info *bi)
{
    frame_pool_init(&low_frames);
    if (!frame_pool_add_ram(&low_frames, m))
        return;
    frame_pool_reserve(&low_frames, 0, KiB(64));
    frame_pool_reserve(&low_frames, MIN(arch_low_ram_end(), MiB(1)), UINT64_MAX);
    for (unsigned i = 0; i < bi->nr_modules; i++)
        frame_pool_reserve(&low_frames, bi->modules[i].start,
                           bi->modules[i].start + bi->modules[i].size);
    low_frames_total = low_frames.free_frames;
}

void boot_main(uint32_t kind, uint32_t info_pa, uint32_t mb_magic);
void boot_main(uint32_t kind, uint32_t info_pa, uint32_t mb_magic)
{
    char err[200];
    struct boot_info *bi = &boot_info;

    boot_phase("start");
    arch_early_console_init();
    log_info("pvshim %s", PVSHIM_VERSION);

    int rc = kind == BOOT_PVH ? bootinfo_parse_pvh(info_pa, bi, err, sizeof(err))
                              : bootinfo_parse_multiboot(mb_magic, info_pa, bi, err, sizeof(err));
    if (rc)
        fail_bad_input("%s", err);
    if (options_parse(bi->cmdline, &options, err, sizeof(err)))
        fail_bad_input("command line: %s", err);
    log_threshold = options.loglevel;
    log_json = options.log_json;
    if (log_json) {     /* the banner above is text: the command line was not read yet */
        struct json_rec r;
        json_begin(&r, "start");
        json_str(&r, "version", PVSHIM_VERSION);
        json_str(&r, "boot", kind == BOOT_PVH ? "pvh" : "multiboot1");
        json_str(&r, "cmdline", bi->cmdline);
        log_record(LOG_INFO, &r);
    }
    if (options.console_given)
        console_select(options.console_mask);

    arch_cpu_detect();
    log_info("platform: %s%s%s%s", platform_name(),
             platform.hv_signature[0] ? " (hypervisor signature \"" : "",
             platform.hv_signature, platform.hv_signature[0] ? "\")" : "");
    print_boot_info(bi);
    rc = bootinfo_unpack_bundle(bi, err, sizeof(err));
    if (rc < 0)
        fail_bad_input("%s", err);
    if (rc > 0)
        log_info("module 0 is a pvshim bundle: kernel %#llx (%llu bytes), initrd %#llx "
                 "(%llu bytes), command line \"%s\"",
                 (unsigned long long)bi->modules[0].start,
                 (unsigned long long)bi->modules[0].size,
                 (unsigned long long)(bi->nr_modules > 1 ? bi->modules[1].start : 0),
                 (unsigned long long)(bi->nr_modules > 1 ? bi->modules[1].size : 0),
                 bi->modules[0].cmdline);

    struct memmap *m = &bi->memmap;
    if (m->nr == 0) {
        log_info("memory map: none from the loader, using CMOS sizes");
        arch_fallback_memmap(m);
    }
    memmap_sanitize(m);
    if (options.mem_limit)
        memmap_limit_ram(m, options.mem_limit);
    log_info("memory map (%llu MiB RAM):",
             (unsigned long long)(memmap_ram_bytes(m) >> 20));
    print_memmap(m);
    init_frames(m, bi);
    boot_phase("bootinfo");

    arch_init(m, bi->rsdp);
    init_low_frames(m, bi);
    boot_phase("arch");
    /* Now, when the L0 Xen's console ring (console=xen) may have appeared. */
    if (options.console_given && (options.console_mask & ~console_present()))
        log_warn("console=: some requested consoles are not present");
    arch_report();
    log_info("memory: %llu frames free for the guest after pvshim's own tables",
             (unsigned long long)machine_frames.free_frames);

    if (options.selftest[0])
        arch_selftest(options.selftest);

    if (bi->nr_modules == 0)
        fail_bad_input("no modules: module 0 must be the guest's PV kernel");
    if (bi->nr_modules > 2)
        log_warn("modules 2 and up are not used (module 0: kernel, module 1: initrd)");
    /* The heap is the local xenstore's: on a Xen host the guest's store is
     * L0's, and the heap comes only if L0 gives none (l0.c, store_bind). */
    if (!l0_active())
        heap_init();
    if (!strcmp(options.selftest, "heap") && !l0_active())
        heap_selftest();
    soft_timer_init();
    guest_boot(bi, m, &options);
}
