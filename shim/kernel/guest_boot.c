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
#include <pvshim/fill.h>
#include <pvshim/hw.h>
#include <pvshim/platform.h>
#include <pvshim/soft_timer.h>
#include <pvshim/heap.h>
#include <pvshim/m2p.h>
#include "domain.h"
#include "mm_glue.h"
#include "mm.h"
#include "event_channel.h"
#include "time.h"
#include "services.h"
#include "watchdog.h"
#include "abi_trace.h"
#include "pv_lock.h"
#include "console_backend.h"
#include "xenstore_backend.h"
#include "xenstore.h"
#include "vbd.h"
#include "vif.h"
#include "devices.h"
#include "cpuid_policy.h"
#include "emulate.h"
#include "guest_boot.h"
#include "guest_suspend.h"
#include <pvshim/save_stream.h>
#include "compat.h"
#include <pvshim/xen_abi32.h>
#include <pvshim/arch.h>
#include <pvshim/time.h>
#include <pvshim/l0.h>
#include <pvshim/console.h>
#include <pvshim/pv_features.h>
#include <pvshim/image_reclaim.h>

#define RESERVE_FRAMES      64      /* grant-table frames and run-time slack */
#define SCRATCH_MAX_FRAMES  (MiB(512) >> PAGE_SHIFT)
#define M2P_ALIGN_FRAMES    512     /* 2 MiB: the M2P is mapped with superpages */

extern const struct xen_services local_services;
extern struct xen_services l0_services;
extern char __image_start[], __image_end[];
extern char __text_start[], __rodata_start[], __data_start[], __bss_start[];
extern uint64_t boot_pool_frames;
void arch_enter_guest(const struct cpu_regs *r) __attribute__((noreturn));

/* The heap's frames above 1 MiB when guest_boot() began (report_footprint). */
static uint64_t heap_high_at_start;

/* What pvshim takes for the guest's sake, by name, for the boot log. */
#define KEPT_ITEMS 10
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

/*
 * n frames for pvshim's own use, zeroed unless their user fills them itself.
 * private_ok: no guest ever maps them, so they may lie in the first MiB
 * (low_frames, which Xen counts as I/O to a domU).
 */
static mfn_t take_from(uint64_t n, uint64_t align, const char *what, bool zero,
                       bool private_ok)
{
    mfn_t m = private_ok ? frame_pool_alloc(&low_frames, n, align, ~(mfn_t)0) : INVALID_MFN;
    if (m == INVALID_MFN)
        m = frame_pool_alloc(&machine_frames, n, align, ~(mfn_t)0);
    if (m == INVALID_MFN)
        fail_bad_input("too little memory: no room for %s (%llu KiB)", what,
                       (unsigned long long)(n * 4));
    if (zero)
        memset(maddr_to_virt(mfn_to_paddr(m)), 0, n * PAGE_SIZE);
    keep(what, (int64_t)n);
    return m;
}

/* Frames take_from() gave, back to the pool they came from. */
static void give_back(mfn_t m, uint64_t n)
{
    frame_pool_free(m < paddr_to_mfn(MiB(1)) ? &low_frames : &machine_frames, m, n);
}

mfn_t take_frames(uint64_t n, uint64_t align, const char *what, bool zero)
{
    return take_from(n, align, what, zero, false);
}

mfn_t take(uint64_t n, uint64_t align, const char *what)
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
    mfn_t work = work_frames ? take_from(work_frames, 1, "decompressor workspace", true, true)
                             : INVALID_MFN;

    *scratch = take_largest(SCRATCH_MAX_FRAMES, scratch_n);
    if (*scratch == INVALID_MFN)
        fail_bad_input("too little memory to unpack the guest kernel");

    uint32_t features[GUEST_FEATURE_WORDS] = { PV_FEATURES_KERNEL_MAY_REQUIRE };
    int rc = guest_image_parse(bytes, kmod->size, maddr_to_virt(mfn_to_paddr(*scratch)),
                               *scratch_n * PAGE_SIZE,
                               work_frames ? maddr_to_virt(mfn_to_paddr(work)) : NULL,
                               work_frames * PAGE_SIZE, features, img, err, sizeof(err));
    if (work_frames) {
        give_back(work, work_frames);
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
    const char *refused = guest_image_refusal(img);
    if (refused)
        fail_bad_input("%s", refused);
}

/* Some RAM frame in [first, end). */
static bool ram_in(const struct memmap *m, mfn_t first, mfn_t end)
{
    for (unsigned i = 0; i < m->nr; i++) {
        const struct memmap_entry *e = &m->e[i];
        if (e->type == MEM_RAM &&
            paddr_to_mfn(ALIGN_UP(e->start, PAGE_SIZE)) < end &&
            paddr_to_mfn(ALIGN_DOWN(e->start + e->size, PAGE_SIZE)) > first)
            return true;
    }
    return false;
}

/*
 * The M2P at its ABI address, readable by the guest, and pvshim's
 * writable view of it: a frame's worth of entries past the last RAM frame,
 * no more, in 2 MiB chunks (superpages), none for a chunk of entries of
 * frames that are all outside RAM (m2p.h). pv_build_boot() fills entries
 * [0, max_mfn) of the chunks there are; the rest of the last frame is
 * filled here.
 */
static void setup_m2p(const struct memmap *m, mfn_t max_mfn)
{
    uint64_t bytes = ALIGN_UP(max_mfn * sizeof(uint64_t), PAGE_SIZE);
    if (bytes > RO_M2P_VIRT_END - RO_M2P_VIRT_START)
        fail_bad_input("too much memory for the M2P window");
    uint64_t nr_chunks = DIV_ROUND_UP(bytes, M2P_CHUNK_BYTES);
    mfn_t *chunks = maddr_to_virt(mfn_to_paddr(
        take(DIV_ROUND_UP(nr_chunks * sizeof(mfn_t), PAGE_SIZE), 1, "M2P")));
    for (uint64_t i = 0; i < nr_chunks; i++) {
        uint64_t off = i * M2P_CHUNK_BYTES, len = MIN(M2P_CHUNK_BYTES, bytes - off);
        if (!ram_in(m, i * M2P_CHUNK_ENTRIES, (i + 1) * M2P_CHUNK_ENTRIES)) {
            chunks[i] = INVALID_MFN;
            continue;
        }
        mfn_t c = take_frames(len >> PAGE_SHIFT, len == M2P_CHUNK_BYTES ? M2P_ALIGN_FRAMES : 1,
                              "M2P", false);
        paging_map(RO_M2P_VIRT_START + off, mfn_to_paddr(c), len, PTE_US | PTE_NX);
        paging_map(RW_M2P_VIRT_START + off, mfn_to_paddr(c), len, PTE_RW | PTE_NX);
        chunks[i] = c;
    }
    dom.m2p = (uint64_t *)RW_M2P_VIRT_START;
    dom.m2p_chunks = chunks;
    dom.m2p_bytes = bytes;
    dom.max_mfn = max_mfn;
    /* The last RAM frame's chunk is there. */
    memset(dom.m2p + max_mfn, 0xff, bytes - max_mfn * sizeof(uint64_t));    /* invalid */
}

/* Some frame in [first, end) the frame table must track as it may change (RAM, unusable). */
static bool tracked_in(const struct memmap *m, mfn_t first, mfn_t end)
{
    for (unsigned i = 0; i < m->nr; i++) {
        const struct memmap_entry *e = &m->e[i];
        if ((e->type == MEM_RAM || e->type == MEM_UNUSABLE) &&
            paddr_to_mfn(e->start) < end &&
            paddr_to_mfn(ALIGN_UP(e->start + e->size, PAGE_SIZE)) > first)
            return true;
    }
    return false;
}

/* One tracked range (RAM, unusable) holds all of [first, end): each page of it is tracked. */
static bool tracked_all(const struct memmap *m, mfn_t first, mfn_t end)
{
    for (unsigned i = 0; i < m->nr; i++) {
        const struct memmap_entry *e = &m->e[i];
        if ((e->type == MEM_RAM || e->type == MEM_UNUSABLE) &&
            paddr_to_mfn(e->start) <= first &&
            paddr_to_mfn(ALIGN_UP(e->start + e->size, PAGE_SIZE)) >= end)
            return true;
    }
    return false;
}

/*
 * The frame table at FRAME_TABLE_VIRT_START (pv_mm_init_prepared): zeroed
 * frames where a page of it describes some RAM, and where it describes
 * none (the PCI hole below 4 GiB...) one read-only page of I/O entries,
 * shared. 2 MiB of it at once (a superpage) where every page needs its
 * own frame and low memory is used up.
 */
static void *setup_frame_table(const struct memmap *m, mfn_t max_mfn)
{
    size_t bytes = pv_mm_frame_table_bytes(max_mfn);
    if (!bytes)
        return NULL;
    bytes = ALIGN_UP(bytes, PAGE_SIZE);
    if (bytes > FRAME_TABLE_VIRT_END - FRAME_TABLE_VIRT_START)
        fail_bad_input("too much memory for the frame table window");
    const uint64_t per_page = PAGE_SIZE / sizeof(uint64_t);   /* entries (8 bytes each) */
    mfn_t io = INVALID_MFN;
    const uint64_t block = MiB(2);
    for (uint64_t b = 0; b < bytes; b += block) {
        uint64_t len = MIN(block, bytes - b);
        /* Page by page while free low memory lasts: RAM the guest could not have. */
        bool all = len == block && !low_frames.free_frames;
        bool checked = all && tracked_all(m, b / sizeof(uint64_t), (b + len) / sizeof(uint64_t));
        for (uint64_t o = b; o < b + len && all && !checked; o += PAGE_SIZE)
            all = tracked_in(m, o / sizeof(uint64_t), o / sizeof(uint64_t) + per_page);
        if (all) {
            mfn_t f = take_from(block >> PAGE_SHIFT, block >> PAGE_SHIFT, "frame table", false, true);
            fill_words(maddr_to_virt(mfn_to_paddr(f)), 0, block / sizeof(uint64_t));
            paging_map(FRAME_TABLE_VIRT_START + b, mfn_to_paddr(f), block, PTE_RW | PTE_NX);
            continue;
        }
        for (uint64_t o = b; o < b + len; o += PAGE_SIZE) {
            mfn_t f;
            if (tracked_in(m, o / sizeof(uint64_t), o / sizeof(uint64_t) + per_page)) {
                f = take_from(1, 1, "frame table", true, true);
                paging_map(FRAME_TABLE_VIRT_START + o, mfn_to_paddr(f), PAGE_SIZE,
                           PTE_RW | PTE_NX);
                continue;
            }
            /* Describes no tracked frame: one shared page of I/O entries. */
            if (io == INVALID_MFN) {
                io = take_from(1, 1, "frame table", true, true);
                pv_mm_frame_table_io_page(maddr_to_virt(mfn_to_paddr(io)));
            }
            f = io;
            paging_map(FRAME_TABLE_VIRT_START + o, mfn_to_paddr(f), PAGE_SIZE, PTE_NX);
        }
    }
    return (void *)FRAME_TABLE_VIRT_START;
}

/*
 * A 32-bit PAE guest's parts of the address space (compat.h): the compat
 * M2P (4-byte entries, read-only and supervisor-only 2 MiB pages in the
 * top L2 from COMPAT_HV_VIRT_START), pvshim's own L4 whose slot 0 the MMU
 * points at the guest's L3, and in its slot 1 the vCPUs' translation
 * areas. Fills slots with the top L2's hypervisor entries.
 */
static uint32_t *setup_compat(mfn_t max_mfn, uint64_t *slots)
{
    uint64_t bytes = ALIGN_UP(max_mfn * sizeof(uint32_t), (uint64_t)M2P_ALIGN_FRAMES * PAGE_SIZE);
    if (bytes > COMPAT_M2P_VIRT_END - COMPAT_M2P_VIRT_START)
        fail_bad_input("too much memory for a 32-bit guest's M2P");
    mfn_t m = take_frames(bytes >> PAGE_SHIFT, M2P_ALIGN_FRAMES, "compat M2P", false);
    uint32_t *m2p = maddr_to_virt(mfn_to_paddr(m));
    memset(m2p + max_mfn, 0xff, bytes - max_mfn * sizeof(uint32_t));    /* invalid */
    dom.compat_m2p_first_mfn = m;
    dom.compat_m2p_bytes = bytes;
    pv_compat_m2p_l2_slots(mfn_to_paddr(m), bytes, slots);

    mfn_t root = take(1, 1, "32-bit guest root and translation area");
    pv_mm_set_pae(true, slots, root, m2p);

    /* Slot 1: an L3, an L2 and an L1 mapping each vCPU's area (never US). */
    unsigned data = PV_MAX_VCPUS * COMPAT_XLAT_PAGES;
    mfn_t t = take(3 + data, 1, "32-bit guest root and translation area");
    uint64_t *l4 = maddr_to_virt(mfn_to_paddr(root));
    uint64_t *l3 = maddr_to_virt(mfn_to_paddr(t));
    uint64_t *l2 = maddr_to_virt(mfn_to_paddr(t + 1));
    uint64_t *l1 = maddr_to_virt(mfn_to_paddr(t + 2));
    unsigned slot = (unsigned)((uint64_t)COMPAT_XLAT_VIRT_START >> 39) & 511;
    l4[slot] = mfn_to_paddr(t) | PTE_P | PTE_RW;
    l3[((uint64_t)COMPAT_XLAT_VIRT_START >> 30) & 511] = mfn_to_paddr(t + 1) | PTE_P | PTE_RW;
    l2[((uint64_t)COMPAT_XLAT_VIRT_START >> 21) & 511] = mfn_to_paddr(t + 2) | PTE_P | PTE_RW;
    for (unsigned i = 0; i < data; i++)
        l1[(((uint64_t)COMPAT_XLAT_VIRT_START >> 12) & 511) + i] =
            mfn_to_paddr(t + 3 + i) | PTE_P | PTE_RW | PTE_NX;
    compat_xlat_init(COMPAT_XLAT_VIRT_START);
    return m2p;
}

/* A 32-bit guest's compat M2P and the hypervisor entries of its top L2. */
static uint64_t compat_slots[COMPAT_L2_XEN_SLOTS];
static uint32_t *compat_m2p;

/* pv_build's report of each run of frames it gives the guest. */
void assign_to_guest(mfn_t first, uint64_t n)
{
    /*
     * Invariant: the frames come from machine_frames, which hands each out
     * once, and setup_frame_table() zeroed every frame-table page that
     * describes a pool frame (free); nothing else owns a pool frame yet.
     */
    if (pv_mm_assign_free(first, n, PV_OWNER_GUEST))
        panic("mfns %#llx-%#llx given to the guest are outside the frame table",
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
    uint64_t given = image_reclaimed_frames() * PAGE_SIZE;
    log_info("memory:   image %llu KiB: code %llu, read-only data %llu, data %llu, "
             "bss %llu (vCPUs' state, xenstore, restore and suspend buffers, event channels, backends' "
             "grant counts, stacks, log), less %llu KiB given back (the vCPUs the VM lacks, "
             "what only a restore or only unpacking a kernel needs)",
             (unsigned long long)((image - given) >> 10), (unsigned long long)(text >> 10),
             (unsigned long long)(rodata >> 10), (unsigned long long)(data >> 10),
             (unsigned long long)(bss >> 10), (unsigned long long)(given >> 10));
    listed += image - given;

    uint64_t low = 0;       /* RAM below 1 MiB: I/O to the guest, as in Xen */
    for (unsigned i = 0; i < m->nr; i++)
        if (m->e[i].type == MEM_RAM && m->e[i].start < MiB(1))
            low += MIN(m->e[i].start + m->e[i].size, MiB(1)) - m->e[i].start;
    uint64_t low_used = kib(low_frames_total - low_frames.free_frames) << 10;
    log_info("memory:   RAM below 1 MiB %llu KiB (I/O to a domU, as Xen counts the first MiB): "
             "%llu KiB of it for pvshim's heap and tables, %llu KiB unused (below 64 KiB, firmware, "
             "partial frames)",
             (unsigned long long)(low >> 10), (unsigned long long)(low_used >> 10),
             (unsigned long long)((low - low_used) >> 10));
    listed += low - low_used;   /* the used part is listed below, by what holds it */

    uint64_t tables = paging_table_frames();
    uint64_t early = boot_pool_frames - pool_at_start - tables_at_start - heap_high_at_start;
    log_info("memory:   pvshim's page tables %llu KiB (direct map in 2 MiB pages, image, M2P "
             "window, GDT), GDT reserved pages and stacks %llu KiB, heap %llu KiB (xenstore, "
             "each disk's backend state; %llu KiB in use now, %llu KiB of it below 1 MiB)",
             (unsigned long long)kib(tables), (unsigned long long)kib(early),
             (unsigned long long)kib(heap_frames()),
             (unsigned long long)(heap_bytes_in_use() >> 10),
             (unsigned long long)kib(heap_low_frames()));
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

void guest_devices_probe(struct guest_devices *d, const struct pvshim_options *o)
{
    d->list = (struct device_list){ d->disks, VBD_MAX, 0, d->nics, VIF_MAX, 0 };
    /* On a Xen host the guest's devices are dom0's, not pvshim's. */
    if (platform.kind == PLATFORM_BARE)
        devices_probe(&d->list, o->mmio, o->nr_mmio);
    /* The save disk is pvshim's: the guest's disks are the others, in order. */
    struct blkdev *save = NULL;
    if (o->save_disk >= 0 && (unsigned)o->save_disk < d->list.nr_disks) {
        save = d->disks[o->save_disk];
        for (unsigned i = (unsigned)o->save_disk; i + 1 < d->list.nr_disks; i++)
            d->disks[i] = d->disks[i + 1];
        d->list.nr_disks--;
    } else if (o->save_disk >= 0)
        log_warn("savedisk=%d: there are %u disks; a suspend will be cancelled", o->save_disk,
                 d->list.nr_disks);
    guest_suspend_init(save);
}

void guest_devices_attach(const struct guest_devices *d)
{
    for (unsigned i = 0; i < d->list.nr_disks; i++)
        if (vbd_create(d->disks[i], dom.domid, i))
            log_warn("%s: no vbd for it", d->disks[i]->name);
    for (unsigned i = 0; i < d->list.nr_nics; i++)
        if (vif_create(d->nics[i], dom.domid, i))
            log_warn("%s: no vif for it", d->nics[i]->name);
}

/*
 * The domain around the guest, whether built or restored: the M2P, the
 * frame table and PV MMU, shared_info, the vCPUs, the provider, event
 * channels and the console and xenstore ports.
 */
void guest_domain_setup(const struct memmap *m, unsigned max_vcpus, mfn_t *max_mfn_out,
                        evtchn_port_t *console_port_out, evtchn_port_t *xenstore_port_out)
{
    mfn_t max_mfn = highest_ram_frame(m);
    setup_m2p(m, max_mfn);
    void *ft = setup_frame_table(m, max_mfn);
    const uint64_t *hyp_slots = paging_master_l4() + 256;
    pv_mm_init_prepared(ft, max_mfn, dom.m2p, hyp_slots);
    /* Holes and reserved ranges are I/O, and so is the first MiB, as in Xen. */
    pv_mm_mark_io(m, MiB(1) >> PAGE_SHIFT);
    if (dom.compat)
        compat_m2p = setup_compat(max_mfn, compat_slots);
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
    dom.nr_vcpus = MIN(MIN(nr_pcpus, (unsigned)PV_MAX_VCPUS), max_vcpus);
    image_reclaim_vcpus(dom.nr_vcpus);
    for (unsigned i = 0; i < dom.nr_vcpus; i++)
        pv_vcpu_init(&dom.vcpu[i], i);
    /* A 32-bit guest's vCPUs each walk their own L4 (slot 0: their L3). */
    for (unsigned i = 1; dom.compat && i < dom.nr_vcpus; i++)
        pv_mm_set_vcpu_root(i, take(1, 1, "32-bit guest root and translation area"));
    this_pcpu()->curr = &dom.vcpu[0];
    /* The one place a provider is chosen: a Xen underneath, or none. */
    services = l0_active() ? &l0_services : &local_services;
    log_info("services: %s, guest domid %u", services->name, dom.domid);
    evtchn_init();
    *console_port_out = console_backend_bind(l0_console_port());
    *xenstore_port_out = services->store_bind();
    *max_mfn_out = max_mfn;
}

void guest_traces_setup(const struct pvshim_options *o)
{
    if (o->trace_abi)
        abi_trace_enable(maddr_to_virt(mfn_to_paddr(
            take(DIV_ROUND_UP(ABI_TRACE_COUNTER_BYTES, PAGE_SIZE), 1, "ABI counters (trace=abi)"))));
    pv_lock_stats_enabled = o->trace_boot;
}

void guest_boot(const struct boot_info *bi, const struct memmap *m,
                const struct pvshim_options *o)
{
    char err[200];
    struct guest_image img;
    mfn_t scratch;
    uint64_t scratch_n;

    if (bi->nr_modules && save_stream_is(phys_access(bi->modules[0].start, bi->modules[0].size),
                                         bi->modules[0].size))
        guest_restore(bi, m, o);

    uint64_t pool_at_start = machine_frames.free_frames;
    uint64_t tables_at_start = paging_table_frames();
    heap_high_at_start = heap_frames() - heap_low_frames();
    load_image(&bi->modules[0], &img, &scratch, &scratch_n);
    time_calibrate_finish();        /* over the decompression */
    image_reclaim_build_only();
    image_reclaim_restore_only();
    boot_phase("unpacked");

    static struct guest_devices devs;
    uint64_t before_probe = machine_frames.free_frames;
    guest_devices_probe(&devs, o);
    keep("device queues and buffers (virtio)", (int64_t)(before_probe - machine_frames.free_frames));

    dom.compat = img.elf_class == 32;
    mfn_t max_mfn;
    evtchn_port_t console_port, xenstore_port;
    /* On a Xen host L0's upcalls reach pvshim's CPU 0, which makes each
     * port pending for the guest vCPU it is bound to here. */
    guest_domain_setup(m, PV_MAX_VCPUS, &max_mfn, &console_port, &xenstore_port);
    guest_traces_setup(o);

    /* Everything left, with the scratch and the modules, goes to the guest. */
    uint64_t module_frames = 0;
    for (unsigned i = 0; i < bi->nr_modules; i++)
        module_frames += DIV_ROUND_UP(bi->modules[i].size + (bi->modules[i].start & 0xfff),
                                      PAGE_SIZE);
    uint64_t available = machine_frames.free_frames + scratch_n + module_frames;
    if (available <= RESERVE_FRAMES)
        fail_bad_input("too little memory for any guest");
    uint64_t nr_pages = available - RESERVE_FRAMES;
    /* A 32-bit guest's builder keeps a wide copy of its p2m while it works. */
    if (dom.compat)
        nr_pages -= DIV_ROUND_UP(nr_pages * sizeof(mfn_t), PAGE_SIZE);

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
        .m2p_chunks = dom.m2p_chunks,
        .max_mfn = max_mfn,
        .hypervisor_l4_slots = paging_master_l4() + 256,
        .compat_m2p = compat_m2p,
        .compat_l2_xen_slots = dom.compat ? compat_slots : NULL,
        .shared_info_maddr = mfn_to_paddr(dom.shared_info_mfn),
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
    /* A 32-bit guest's p2m list has 4-byte entries: pvshim's wide copy goes. */
    if (bs.p2m_view_pages)
        frame_pool_free(&machine_frames, bs.p2m_view_mfn, bs.p2m_view_pages);

    pv_mm_assign_frame(dom.shared_info_mfn);
    dom.tot_pages = dom.max_pages = nr_pages;
    if (dom.compat)
        compat_set_max_pfn(nr_pages);
    else
        dom.shared_info->arch.max_pfn = nr_pages;
    dom.start_info_mfn = bs.start_info_mfn;
    dom.console_mfn = bs.console_mfn;
    dom.xenstore_mfn = bs.xenstore_mfn;
    dom.console_port = console_port;
    dom.xenstore_port = xenstore_port;
    mfn_t root = dom.compat ? bs.pae_l3_mfn : bs.l4_mfn;
    dom.vcpu[0].guest_table = root;
    /* Entries from user mode land on the boot stack until stack_switch, as libxc sets it. */
    dom.vcpu[0].kernel_ss = bs.entry.ss;
    dom.vcpu[0].kernel_sp = bs.entry.rsp;
    boot_phase("built");

    if (pv_mm_start_guest(root))
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
        .domain_memory_kb = memmap_ram_bytes(m) >> 10,
        .vcpus = dom.nr_vcpus,
        .store_mfn = bs.xenstore_mfn,
        .store_port = xenstore_port,
        .console_mfn = bs.console_mfn,
        .console_port = console_port,
    };
    services->store_attach(bs.xenstore_mfn, &xsp);
    guest_devices_attach(&devs);

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

    /* FSGSBASE as Xen 4.17 offers it to a PV guest: the CPU's, if it has it. */
    guest_start(pv_mm_base_maddr(true) >> PAGE_SHIFT, &bs.entry, max_mfn, o, true, NULL);
}

/* The last steps of both paths: the CPU's policy, time, then the guest. */
void guest_start(mfn_t l4, const struct cpu_regs *entry, mfn_t max_mfn,
                 const struct pvshim_options *o, bool fsgsbase, void (*before_entry)(void))
{
    fill_vectors_given_to_guest();
    struct arch_guest_cpu gc = arch_guest_cpu();
    struct cpuid_policy_params cp = {
        .xcr0_max = gc.xcr0_max,
        .cpuid_faulting = gc.cpuid_faulting,
        /* A booted guest gets it; a restored one only if it saw it before. */
        .fsgsbase = fsgsbase,
        .tsc_khz = tsc_khz,
        .max_mfn = max_mfn,
    };
    cpuid_policy_init(&cp);
    pv_emul_vcpu_init();
    if (before_entry)
        before_entry();

    pv_time_init();
    pv_watchdog_host_start(o->watchdog_seconds);
    hw_load_cr3(mfn_to_paddr(l4));
    if (dom.compat)
        arch_set_compat_guest();
    dom.started = true;
    /* The APs wait (guest_ap_wait) for their vCPU, each to be brought up. */
    pv_lock();
    for (unsigned i = 1; i < dom.nr_vcpus; i++)
        pcpus[i].curr = &dom.vcpu[i];
    pv_unlock();
    boot_phase("guest-entry");
    if (o->trace_boot)
        boot_phase_report();
    log_info("entering the guest at %#llx", (unsigned long long)entry->rip);
    console_early_end();
    arch_enter_guest(entry);
}
