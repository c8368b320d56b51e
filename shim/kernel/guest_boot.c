/*
 * From modules to a running guest: understand the kernel in module 0,
 * give pvshim its per-frame tables, build the PV domain with everything
 * else, and enter it. What pvshim keeps for itself is printed, since
 * keeping it small is the point.
 */
#include <pvshim/boot_trace.h>
#include <pvshim/bootinfo.h>
#include <pvshim/options.h>
#include <pvshim/guest_image.h>
#include <pvshim/pv_build.h>
#include <pvshim/frame_alloc.h>
#include <pvshim/paging.h>
#include <pvshim/phys.h>
#include <pvshim/layout.h>
#include <pvshim/log.h>
#include <pvshim/status.h>
#include <pvshim/string.h>
#include <pvshim/hw.h>
#include <pvshim/platform.h>
#include <pvshim/soft_timer.h>
#include <pvshim/heap.h>
#include "domain.h"
#include "mm_glue.h"
#include "mm.h"
#include "event_channel.h"
#include "time.h"
#include "services.h"
#include "watchdog.h"
#include "abi_trace.h"
#include "console_backend.h"
#include "xenstore_backend.h"
#include "xenstore.h"
#include "vbd.h"
#include "devices.h"
#include "cpuid_policy.h"
#include "emulate.h"
#include <pvshim/arch.h>
#include <pvshim/time.h>
#include <pvshim/l0.h>
#include <pvshim/console.h>
#include <xen/features.h>

#define RESERVE_FRAMES      64      /* grant-table frames and run-time slack */
#define SCRATCH_MAX_FRAMES  (MiB(512) >> PAGE_SHIFT)
#define M2P_ALIGN_FRAMES    512     /* 2 MiB: the M2P is mapped with superpages */

extern const struct xen_services local_services;
extern const struct xen_services l0_services;
extern char __image_start[], __image_end[];
extern char __text_start[], __rodata_start[], __data_start[], __bss_start[];
extern uint64_t boot_pool_frames;
void arch_enter_guest(const struct cpu_regs *r) __attribute__((noreturn));
uint32_t pv_features_submap0(void);

/* What pvshim takes for the guest's sake, by name, for the boot log. */
#define KEPT_ITEMS 8
static struct { const char *what; uint64_t frames; } kept[KEPT_ITEMS];

static void keep(const char *what, int64_t frames)
{
    for (unsigned i = 0; i < KEPT_ITEMS; i++) {
        if (!kept[i].what)
            kept[i].what = what;
        if (kept[i].what == what) {
            kept[i].frames += (uint64_t)frames;
            return;
        }
    }
    panic("footprint: more than %u kinds of memory", KEPT_ITEMS);
}

/* n frames for pvshim's own use, zeroed unless their user fills them itself. */
static mfn_t take_frames(uint64_t n, uint64_t align, const char *what, bool zero)
{
    mfn_t m = frame_pool_alloc(&machine_frames, n, align, ~(mfn_t)0);
    if (m == INVALID_MFN)
        fail_bad_input("too little memory: no room for %s (%llu KiB)", what,
                       (unsigned long long)(n * 4));
    if (zero)
        memset(maddr_to_virt(mfn_to_paddr(m)), 0, n * PAGE_SIZE);
    keep(what, (int64_t)n);
    return m;
}

static mfn_t take(uint64_t n, uint64_t align, const char *what)
{
    return take_frames(n, align, what, true);
}

/* The largest free run of frames (up to max), for decompression scratch. */
static mfn_t take_largest(uint64_t max, uint64_t *n)
{
    uint64_t best = 0;
    for (unsigned i = 0; i < machine_frames.nr; i++)
        best = MAX(best, machine_frames.r[i].end - machine_frames.r[i].start);
    best = MIN(best, max);
    *n = best;
    return best ? frame_pool_alloc(&machine_frames, best, 1, ~(mfn_t)0) : INVALID_MFN;
}

static mfn_t highest_ram_frame(const struct memmap *m)
{
    mfn_t top = 0;
    for (unsigned i = 0; i < m->nr; i++)
        if (m->e[i].type == MEM_RAM)
            top = MAX(top, paddr_to_mfn(m->e[i].start + m->e[i].size));
    return top;
}

static void load_image(const struct boot_module *kmod, struct guest_image *img,
                       mfn_t *scratch, uint64_t *scratch_n)
{
    char err[200];
    const uint8_t *bytes = phys_access(kmod->start, kmod->size);
    if (!bytes || kmod->size == 0)
        fail_bad_input("guest kernel (module 0) is empty or out of reach");

    size_t work_len = 0;
    for (int f = DECOMP_GZIP; f <= DECOMP_ZSTD; f++)
        work_len = MAX(work_len, decomp_workspace_size((enum decomp_format)f));
    uint64_t work_frames = DIV_ROUND_UP(work_len, PAGE_SIZE);
    mfn_t work = work_frames ? take(work_frames, 1, "decompressor workspace") : INVALID_MFN;

    *scratch = take_largest(SCRATCH_MAX_FRAMES, scratch_n);
    if (*scratch == INVALID_MFN)
        fail_bad_input("too little memory to unpack the guest kernel");

    /*
     * What a kernel may require in its FEATURES note: the run-time features,
     * plus writable_page_tables (honoured by emulating trapped page-table
     * writes; Linux requires it) and pae_pgdir_above_4gb. Not dom0,
     * auto_translated_physmap, supervisor_mode_kernel or writable
     * descriptor tables.
     */
    uint32_t features[GUEST_FEATURE_WORDS] = {
        pv_features_submap0() | (1u << XENFEAT_writable_page_tables) |
        (1u << XENFEAT_pae_pgdir_above_4gb)
    };
    int rc = guest_image_parse(bytes, kmod->size, maddr_to_virt(mfn_to_paddr(*scratch)),
                               *scratch_n * PAGE_SIZE,
                               work_frames ? maddr_to_virt(mfn_to_paddr(work)) : NULL,
                               work_frames * PAGE_SIZE, features, img, err, sizeof(err));
    if (work_frames) {
        frame_pool_free(&machine_frames, work, work_frames);
        keep("decompressor workspace", -(int64_t)work_frames);
    }
    if (rc)
        fail_bad_input("guest kernel: %s", err);

    /* Keep only the scratch frames the unpacked ELF occupies. */
    uint64_t used = 0;
    const uint8_t *s = maddr_to_virt(mfn_to_paddr(*scratch));
    if (img->elf >= s && img->elf < s + *scratch_n * PAGE_SIZE)
        used = DIV_ROUND_UP((uint64_t)(img->elf - s) + img->elf_size, PAGE_SIZE);
    frame_pool_free(&machine_frames, *scratch + used, *scratch_n - used);
    *scratch_n = used;

    log_info("guest kernel: %s, %u-bit, entry %#llx, %s %s, virtual %#llx-%#llx",
             img->container, img->elf_class, (unsigned long long)img->entry,
             img->xen.guest_os[0] ? img->xen.guest_os : "?",
             img->xen.guest_version[0] ? img->xen.guest_version : "",
             (unsigned long long)img->virt_kstart, (unsigned long long)img->virt_kend);
    if (img->elf_class != 64)
        fail_bad_input("guest kernel is 32-bit; pvshim runs 64-bit PV guests only so far");
}

/*
 * The read-only M2P at its ABI address, readable by the guest: a frame's
 * worth of entries past the last RAM frame, no more (superpages where the
 * size allows). pv_build_boot() fills entries [0, max_mfn); the rest of the
 * last frame is filled here.
 */
static void setup_m2p(mfn_t max_mfn)
{
    uint64_t bytes = ALIGN_UP(max_mfn * sizeof(uint64_t), PAGE_SIZE);
    if (bytes > RO_M2P_VIRT_END - RO_M2P_VIRT_START)
        fail_bad_input("too much memory for the M2P window");
    mfn_t m = take_frames(bytes >> PAGE_SHIFT, M2P_ALIGN_FRAMES, "M2P", false);
    paging_map(RO_M2P_VIRT_START, mfn_to_paddr(m), bytes, PTE_US | PTE_NX);
    dom.m2p = maddr_to_virt(mfn_to_paddr(m));
    dom.m2p_first_mfn = m;
    dom.m2p_bytes = bytes;
    dom.max_mfn = max_mfn;
    memset(dom.m2p + max_mfn, 0xff, bytes - max_mfn * sizeof(uint64_t));    /* invalid */
}

/* pv_build's report of each run of frames it gives the guest. */
static void assign_to_guest(mfn_t first, uint64_t n)
{
    if (pv_mm_assign(first, n, PV_OWNER_GUEST))
        panic("mfns %#llx-%#llx given to the guest are not free",
              (unsigned long long)first, (unsigned long long)(first + n - 1));
}

static uint64_t kib(uint64_t frames)
{
    return frames * (PAGE_SIZE >> 10);
}

/*
 * Every byte of RAM the guest does not get, by what holds it, then the
 * pages inside the guest's own allotment that Xen's ABI puts there.
 * pool_at_start / tables_at_start: the pool and pvshim's page tables when
 * guest_boot() began (what arch set-up took before is told apart).
 */
static void report_footprint(const struct memmap *m, uint64_t nr_pages,
                             uint64_t pool_at_start, uint64_t tables_at_start,
                             const struct pv_layout *l)
{
    uint64_t ram = memmap_ram_bytes(m);
    uint64_t guest = nr_pages * PAGE_SIZE;
    uint64_t cost = ram - guest;
    log_info("memory: %llu KiB RAM, guest %llu KiB, pvshim %llu KiB (%llu.%02llu%%):",
             (unsigned long long)(ram >> 10), (unsigned long long)(guest >> 10),
             (unsigned long long)(cost >> 10),
             (unsigned long long)(cost * 100 / ram),
             (unsigned long long)(cost * 10000 / ram % 100));

    uint64_t listed = 0;
    uint64_t text = (uint64_t)(__rodata_start - __text_start);
    uint64_t rodata = (uint64_t)(__data_start - __rodata_start);
    uint64_t data = (uint64_t)(__bss_start - __data_start);
    uint64_t bss = (uint64_t)(__image_end - __bss_start);
    uint64_t image = (uint64_t)(__image_end - __image_start);
    log_info("memory:   image %llu KiB: code %llu, read-only data %llu, data %llu, "
             "bss %llu (stacks, xenstore, event channels, log)",
             (unsigned long long)(image >> 10), (unsigned long long)(text >> 10),
             (unsigned long long)(rodata >> 10), (unsigned long long)(data >> 10),
             (unsigned long long)(bss >> 10));
    listed += image;

    uint64_t low = 0;       /* RAM below 1 MiB: I/O to the guest, as in Xen */
    for (unsigned i = 0; i < m->nr; i++)
        if (m->e[i].type == MEM_RAM && m->e[i].start < MiB(1))
            low += MIN(m->e[i].start + m->e[i].size, MiB(1)) - m->e[i].start;
    log_info("memory:   RAM below 1 MiB %llu KiB (I/O to a domU, as Xen counts the first MiB)",
             (unsigned long long)(low >> 10));
    listed += low;

    uint64_t tables = paging_table_frames();
    uint64_t early = boot_pool_frames - pool_at_start - tables_at_start - heap_frames();
    log_info("memory:   pvshim's page tables %llu KiB (direct map in 2 MiB pages, image, M2P "
             "window, GDT), GDT reserved pages %llu KiB, heap %llu KiB (xenstore)",
             (unsigned long long)kib(tables), (unsigned long long)kib(early),
             (unsigned long long)kib(heap_frames()));
    listed += (tables + early + heap_frames()) * PAGE_SIZE;

    for (unsigned i = 0; i < KEPT_ITEMS && kept[i].what; i++) {
        if (!kept[i].frames)
            continue;
        log_info("memory:   %s %llu KiB", kept[i].what, (unsigned long long)kib(kept[i].frames));
        listed += kept[i].frames * PAGE_SIZE;
    }
    log_info("memory:   kept free %llu KiB (grant-table frames, memory the guest gives back)",
             (unsigned long long)kib(machine_frames.free_frames));
    listed += machine_frames.free_frames * PAGE_SIZE;
    if (listed != cost)
        log_info("memory:   unaccounted %lld KiB (RAM in partial frames)",
                 (long long)((int64_t)(cost - listed) / 1024));
    log_info("memory: in the guest's own pages: start_info, xenstore and console rings, "
             "boot stack 4 KiB each, page tables %llu KiB, p2m list %llu KiB",
             (unsigned long long)kib(l->pt_pages), (unsigned long long)kib(l->p2m_pages));
}

void guest_boot(const struct boot_info *bi, const struct memmap *m,
                const struct pvshim_options *o)
{
    char err[200];
    struct guest_image img;
    mfn_t scratch;
    uint64_t scratch_n;

    uint64_t pool_at_start = machine_frames.free_frames;
    uint64_t tables_at_start = paging_table_frames();
    load_image(&bi->modules[0], &img, &scratch, &scratch_n);
    boot_phase("unpacked");

    /* pvshim's own device memory (queues) before the guest gets the rest. */
    struct blkdev *disks[VBD_MAX];
    unsigned nr_disks = platform.kind == PLATFORM_BARE ? devices_probe_disks(disks, VBD_MAX) : 0;

    mfn_t max_mfn = highest_ram_frame(m);
    setup_m2p(max_mfn);
    size_t ft_bytes = pv_mm_frame_table_bytes(max_mfn);
    void *ft = ft_bytes ? maddr_to_virt(mfn_to_paddr(
        take_frames(DIV_ROUND_UP(ft_bytes, PAGE_SIZE), 1, "frame table", false))) : NULL;
    /* pv_mm_init() zeroes the frame table. */
    const uint64_t *hyp_slots = paging_master_l4() + 256;
    pv_mm_init(ft, max_mfn, dom.m2p, hyp_slots);
    /* Holes and reserved ranges are I/O, and so is the first MiB, as in Xen. */
    pv_mm_mark_io(m, MiB(1) >> PAGE_SHIFT);
    boot_phase("tables");

    mfn_t shinfo = take(1, 1, "shared_info");
    dom.shared_info = maddr_to_virt(mfn_to_paddr(shinfo));
    dom.shared_info_mfn = shinfo;
    /* On a Xen host the guest is the domain xl created, with its id. */
    dom.domid = l0_domid() ? l0_domid() : 1;
    /* Every legacy vcpu_info slot starts with events masked, as Xen builds it. */
    for (unsigned i = 0; i < XEN_LEGACY_MAX_VCPUS; i++)
        dom.shared_info->vcpu_info[i].evtchn_upcall_mask = 1;
    /* vCPU n for physical CPU n, as many as the VM has (and shared_info has slots). */
    dom.nr_vcpus = MIN(nr_pcpus, (unsigned)PV_MAX_VCPUS);
    for (unsigned i = 0; i < dom.nr_vcpus; i++)
        pv_vcpu_init(&dom.vcpu[i], i);
    this_pcpu()->curr = &dom.vcpu[0];
    /* The one place a provider is chosen: a Xen underneath, or none. */
    services = l0_active() ? &l0_services : &local_services;
    log_info("services: %s, guest domid %u", services->name, dom.domid);
    evtchn_init();
    evtchn_port_t console_port = console_backend_bind();
    evtchn_port_t xenstore_port = services->store_bind();

    /* Everything left, with the scratch and the modules, goes to the guest. */
    uint64_t module_frames = 0;
    for (unsigned i = 0; i < bi->nr_modules; i++)
        module_frames += DIV_ROUND_UP(bi->modules[i].size + (bi->modules[i].start & 0xfff),
                                      PAGE_SIZE);
    uint64_t available = machine_frames.free_frames + scratch_n + module_frames;
    if (available <= RESERVE_FRAMES)
        fail_bad_input("too little memory for any guest");
    uint64_t nr_pages = available - RESERVE_FRAMES;

    char cmdline[MODULE_CMDLINE_MAX];
    snprintf(cmdline, sizeof(cmdline), "%s%s%s", bi->modules[0].cmdline,
             bi->modules[0].cmdline[0] && o->guest_args[0] ? " " : "", o->guest_args);

    const struct boot_module *initrd = bi->nr_modules > 1 ? &bi->modules[1] : NULL;
    struct pv_build_params bp = {
        .img = &img,
        .initrd = initrd ? phys_access(initrd->start, initrd->size) : NULL,
        .initrd_len = initrd ? initrd->size : 0,
        .cmdline = cmdline,
        .nr_pages = nr_pages,
        .pool = &machine_frames,
        .m2p = dom.m2p,
        .max_mfn = max_mfn,
        .hypervisor_l4_slots = hyp_slots,
        .shared_info_maddr = mfn_to_paddr(shinfo),
        .console_evtchn = console_port,
        .xenstore_evtchn = xenstore_port,
        .assigned = assign_to_guest,
    };
    if (initrd && initrd->size && !bp.initrd)
        fail_bad_input("initrd (module 1) is out of reach");
    static struct pv_build_state bs;
    if (pv_build_boot(&bp, &bs, err, sizeof(err)))
        fail_bad_input("building the guest: %s", err);

    /* The sources are copied: their frames become the guest's too. */
    frame_pool_free(&machine_frames, scratch, scratch_n);
    for (unsigned i = 0; i < bi->nr_modules; i++) {
        const struct boot_module *mod = &bi->modules[i];
        mfn_t first = paddr_to_mfn(mod->start);
        mfn_t last = paddr_to_mfn(ALIGN_UP(mod->start + mod->size, PAGE_SIZE));
        for (mfn_t f = first; f < last; f++)
            if (!frame_pool_is_free(&machine_frames, f))
                frame_pool_free(&machine_frames, f, 1);
    }
    if (pv_build_finish(&bp, &bs, err, sizeof(err)))
        fail_bad_input("building the guest: %s", err);

    pv_mm_assign_frame(shinfo);
    dom.tot_pages = dom.max_pages = nr_pages;
    dom.shared_info->arch.max_pfn = nr_pages;
    dom.start_info_mfn = bs.start_info_mfn;
    dom.console_mfn = bs.console_mfn;
    dom.xenstore_mfn = bs.xenstore_mfn;
    dom.console_port = console_port;
    dom.xenstore_port = xenstore_port;
    dom.vcpu[0].guest_table = bs.l4_mfn;
    boot_phase("built");

    if (pv_mm_start_guest(bs.l4_mfn))
        panic("the initial page tables did not validate");
    console_backend_attach(bs.console_mfn);
    struct xenstore_guest_params xsp = {
        .domid = dom.domid,
        .name = "pvshim-guest",
        /* A fixed version-4-shaped UUID: one guest per VM, nothing to tell apart. */
        .uuid = { 0x70, 0x76, 0x73, 0x68, 0x69, 0x6d, 0x40, 0x00,
                  0x80, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01 },
        .memory_kb = nr_pages * 4,
        .max_memory_kb = nr_pages * 4,
        .vcpus = dom.nr_vcpus,
        .store_mfn = bs.xenstore_mfn,
        .store_port = xenstore_port,
        .console_mfn = bs.console_mfn,
        .console_port = console_port,
    };
    services->store_attach(bs.xenstore_mfn, &xsp);
    for (unsigned i = 0; i < nr_disks; i++)
        if (vbd_create(disks[i], dom.domid, i))
            log_warn("%s: no vbd for it", disks[i]->name);
    abi_trace_enabled = o->trace_abi;

    const struct pv_layout *l = &bs.layout;
    log_info("guest: %llu MiB, start_info %#llx, page tables %#llx (%llu frames), "
             "p2m %#llx, initrd %s %#llx",
             (unsigned long long)(nr_pages >> 8),
             (unsigned long long)bs.start_info_va,
             (unsigned long long)pv_layout_va(l, l->pt_pfn), (unsigned long long)l->pt_pages,
             (unsigned long long)l->p2m_va, l->initrd_mapped ? "at" : "at pfn",
             (unsigned long long)(l->initrd_mapped ? pv_layout_va(l, l->initrd_pfn)
                                                   : l->initrd_pfn));
    report_footprint(m, nr_pages, pool_at_start, tables_at_start, l);

    struct arch_guest_cpu gc = arch_guest_cpu();
    struct cpuid_policy_params cp = {
        .xcr0_max = gc.xcr0_max,
        .cpuid_faulting = gc.cpuid_faulting,
        .fsgsbase = false,      /* pvshim keeps CR4.FSGSBASE off for now */
        .tsc_khz = tsc_khz,
        .max_mfn = max_mfn,
    };
    cpuid_policy_init(&cp);
    pv_emul_vcpu_init();

    pv_time_init();
    pv_watchdog_host_start(o->watchdog_seconds);
    hw_load_cr3(mfn_to_paddr(bs.l4_mfn));
    dom.started = true;
    /* The APs wait (guest_ap_wait) for their vCPU, each to be brought up. */
    pv_lock();
    for (unsigned i = 1; i < dom.nr_vcpus; i++)
        pcpus[i].curr = &dom.vcpu[i];
    pv_unlock();
    boot_phase("guest-entry");
    if (o->trace_boot)
        boot_phase_report();
    log_info("entering the guest at %#llx", (unsigned long long)bs.entry.rip);
    console_early_end();
    arch_enter_guest(&bs.entry);
}
