/*
 * The guest leaves pvshim by suspending: its SCHEDOP_shutdown
 * (SHUTDOWN_suspend) writes a save file (pvshim/save_write.h) of the
 * domain to the save disk (option savedisk=N), which pvshim restores as
 * module 0 and Xen 4.17 with `xl restore`.
 *
 * Guest-visible contract: the hypercall does not return when the file is
 * written (pvshim ends as after a power-off, QEMU status 0, with a line
 * "save: wrote N bytes ..."); in the file it returns 0, "resumed in a new
 * domain". When pvshim cannot save (no save disk, the disk too small or
 * failing, more than one vCPU up, a 32-bit guest, a p2m the guest did not
 * publish in shared_info, a page table naming a frame that is not the
 * guest's RAM) it logs "save: cancelled: REASON" and the hypercall returns
 * 1, "cancelled": the guest goes on in the same domain.
 *
 * On a Xen host (pvshim as xl's PV shim) the domain is L0's to save: the
 * suspend goes to xen/l0/suspend_l0.c instead, which says what the guest
 * sees there.
 *
 * The guest's part (as on Xen): start_info's store and console frames are
 * pfns across the hypercall, its p2m list is published in shared_info arch
 * (max_pfn, p2m_cr3, p2m_vaddr), and no page table maps a frame that is
 * not its own RAM.
 */
#include <pvshim/save_write.h>
#include <pvshim/blkdev.h>
#include <pvshim/frame_alloc.h>
#include <pvshim/phys.h>
#include <pvshim/paging.h>
#include <pvshim/hw.h>
#include <pvshim/log.h>
#include <pvshim/time.h>
#include <pvshim/string.h>
#include <pvshim/error.h>
#include <pvshim/l0.h>
#include "domain.h"
#include "mm.h"
#include "pv.h"
#include "time.h"
#include "emulate.h"
#include "emulate_internal.h"     /* X86_CR0_TS */
#include "guest_suspend.h"

#define STAGE_FRAMES    16          /* the disk writes go out in pieces of this size */
#define P2M_FRAMES_MAX  4096        /* a p2m list of 4096 pages: 8 GiB of guest */
#define XSAVE_MAX       4096
#define XSAVE_MIN       576         /* legacy region and header */
#define IO_TIMEOUT_NS   (60ull * 1000000000)
#define EXT_LEN         64          /* xen_domctl_ext_vcpucontext on Xen 4.17 */

static struct blkdev *save_disk;

/* A local function: its address is taken (no GOT in pvshim's image). */
static long suspend_handler(void)
{
    return guest_suspend() == 0 ? PV_SUSPEND_SAVED : 1;
}

static long l0_suspend_handler(void)
{
    return l0_suspend();
}

void guest_suspend_init(struct blkdev *d)
{
    save_disk = d;
    /* On a Xen host the domain is L0's to save (xl save). */
    pv_suspend_handler = l0_active() ? l0_suspend_handler : suspend_handler;
    if (d)
        log_info("save: %s (%llu MiB) takes the guest's save file on suspend", d->name,
                 (unsigned long long)(d->sectors * BLKDEV_SECTOR_SIZE >> 20));
}

/* ---- the save disk as a sink: staged, sector-padded, one request at a time */

struct disk_sink {
    struct blkdev *bd;
    uint8_t *buf;
    paddr_t buf_pa;
    size_t cap, fill;
    uint64_t sector;
    struct blkdev_io io;
    volatile bool done;
    int status;
    int failed;                 /* the first error of a write, for the message */
};

static void io_done(struct blkdev_io *io, int status)
{
    struct disk_sink *s = io->arg;
    s->status = status;
    s->done = true;
}

/* One request, waited for by polling (the suspend runs with interrupts off). */
static int disk_io(struct disk_sink *s, enum blkdev_op op, size_t len)
{
    struct blkdev_io *io = &s->io;
    memset(io, 0, sizeof(*io));
    io->op = op;
    io->sector = s->sector;
    io->done = io_done;
    io->arg = s;
    for (size_t off = 0; off < len; off += PAGE_SIZE) {
        io->seg[io->nr_segs].addr = s->buf_pa + off;
        io->seg[io->nr_segs++].len = (uint32_t)MIN((size_t)PAGE_SIZE, len - off);
    }
    s->done = false;
    int rc = s->bd->submit(s->bd, io);
    if (rc)
        return rc;
    uint64_t deadline = now_ns() + IO_TIMEOUT_NS;
    while (!s->done) {
        s->bd->poll(s->bd);
        if (!s->done && now_ns() > deadline)
            return -XEN_ETIMEDOUT;  /* the request (and its buffer) stays the driver's */
    }
    return s->status;
}

static int disk_flush_stage(struct disk_sink *s)
{
    size_t len = ALIGN_UP(s->fill, BLKDEV_SECTOR_SIZE);
    if (!len)
        return 0;
    memset(s->buf + s->fill, 0, len - s->fill);
    if (s->sector + len / BLKDEV_SECTOR_SIZE > s->bd->sectors)
        return s->failed = -XEN_ENOSPC;
    int rc = disk_io(s, BLKDEV_WRITE, len);
    s->sector += len / BLKDEV_SECTOR_SIZE;
    s->fill = 0;
    if (rc && !s->failed)
        s->failed = rc;
    return rc;
}

/* Its address is taken: local (see suspend_handler). */
static int disk_write(void *arg, const void *buf, size_t len)
{
    struct disk_sink *s = arg;
    const uint8_t *p = buf;
    while (len) {
        size_t n = MIN(len, s->cap - s->fill);
        memcpy(s->buf + s->fill, p, n);
        s->fill += n;
        p += n;
        len -= n;
        if (s->fill == s->cap) {
            int rc = disk_flush_stage(s);
            if (rc)
                return rc;
        }
    }
    return 0;
}

/* ---- the domain as the writer sees it */

/* The frame behind va in the tables at l4 (a walk through guest frames only). */
static mfn_t translate(mfn_t l4, vaddr_t va)
{
    static const unsigned shift[] = { L4_SHIFT, L3_SHIFT, L2_SHIFT, L1_SHIFT };
    mfn_t table = l4;
    for (unsigned lvl = 0; lvl < 4; lvl++) {
        if (save_frame_type(table) == SAVE_PF_XTAB)
            return INVALID_MFN;
        pte_t e = ((const pte_t *)phys_access_frame(table))[pt_index(va, shift[lvl])];
        if (!(e & PTE_P) || (lvl && lvl < 3 && (e & PTE_PS)))
            return INVALID_MFN;
        table = (e & PTE_ADDR_MASK) >> PAGE_SHIFT;
    }
    return save_frame_type(table) == SAVE_PF_XTAB ? INVALID_MFN : table;
}

/*
 * The list of the p2m list's frames (mfn and pfn of each), in frames taken
 * for the suspend from memory free then, as many as the guest's p2m needs
 * (1 GiB of guest: one frame); given back when the save is done or
 * cancelled. None free: the suspend is cancelled, as when the disk fails.
 */
static mfn_t list_mfn = INVALID_MFN;
static uint64_t list_frames;

static void put_p2m_list(void)
{
    if (list_mfn != INVALID_MFN)
        frame_pool_free(&machine_frames, list_mfn, list_frames);
    list_mfn = INVALID_MFN;
}

/* The guest's published p2m list: its frames. 0 or -1 with the reason. */
static int find_p2m(struct save_source *src, char *err, size_t errlen)
{
    const struct arch_shared_info *a = &dom.shared_info->arch;
    if (!a->max_pfn || !a->p2m_vaddr || !a->p2m_cr3)
        return error_set(err, errlen, -1, "the guest published no p2m list in shared_info "
                         "(max_pfn %lu, p2m_vaddr %#lx, p2m_cr3 %#lx)",
                         (unsigned long)a->max_pfn, (unsigned long)a->p2m_vaddr,
                         (unsigned long)a->p2m_cr3);
    if (a->max_pfn > SAVE_MAX_PFNS || (a->max_pfn - 1) / 512 + 1 > P2M_FRAMES_MAX)
        return error_set(err, errlen, -1, "a p2m of %lu pages is more than pvshim saves",
                         (unsigned long)a->max_pfn);
    src->max_pfn = (uint32_t)(a->max_pfn - 1);
    uint32_t nr = src->max_pfn / 512 + 1;
    list_frames = DIV_ROUND_UP(nr * (sizeof(mfn_t) + sizeof(uint64_t)), PAGE_SIZE);
    list_mfn = frame_pool_alloc(&machine_frames, list_frames, 1, ~(mfn_t)0);
    if (list_mfn == INVALID_MFN)
        return error_set(err, errlen, -1, "no memory left for the list of the p2m's frames "
                         "(%llu KiB)", (unsigned long long)(list_frames * PAGE_SIZE >> 10));
    mfn_t *p2m_mfns = phys_access(mfn_to_paddr(list_mfn), list_frames * PAGE_SIZE);
    uint64_t *p2m_pfns = (uint64_t *)(p2m_mfns + nr);
    mfn_t l4 = a->p2m_cr3 >> PAGE_SHIFT;
    for (uint32_t f = 0; f <= src->max_pfn / 512; f++) {
        mfn_t m = translate(l4, a->p2m_vaddr + (uint64_t)f * PAGE_SIZE);
        uint64_t pfn = m == INVALID_MFN ? ~0ull : dom.m2p[m];
        if (m == INVALID_MFN || pfn > src->max_pfn)
            return error_set(err, errlen, -1, "page %u of the guest's p2m list (at %#lx) is "
                             "not a page of its RAM", f,
                             (unsigned long)(a->p2m_vaddr + (uint64_t)f * PAGE_SIZE));
        p2m_mfns[f] = m;
        p2m_pfns[f] = pfn;
    }
    src->p2m_mfns = p2m_mfns;
    src->p2m_frames = p2m_pfns;
    return 0;
}

static struct vcpu_guest_context ctx;
static uint8_t ext[EXT_LEN];
static uint8_t xsave_area[XSAVE_MAX] __attribute__((aligned(64)));

static uint32_t xsave_size(uint64_t xcr0)
{
    uint32_t size = XSAVE_MIN;
    for (unsigned i = 2; i < 63; i++) {
        if (!(xcr0 >> i & 1))
            continue;
        uint32_t a, b, c, d;
        hw_cpuid(0xd, i, &a, &b, &c, &d);
        size = MAX(size, a + b);
    }
    return size;
}

/* vCPU 0 as it entered the hypercall, which returns 0 in the file. */
static void capture_vcpu(struct save_source *src)
{
    struct pv_vcpu *v = current;
    const struct cpu_regs *r = guest_regs;
    struct cpu_user_regs *u = &ctx.user_regs;
    memset(&ctx, 0, sizeof(ctx));
    hw_save_fpu(ctx.fpu_ctxt.x, false, 0);
    ctx.flags = VGCF_i387_valid | VGCF_online | (v->kernel_mode ? VGCF_in_kernel : 0) |
                (v->failsafe_disables_events ? VGCF_failsafe_disables_events : 0) |
                (v->syscall_disables_events ? VGCF_syscall_disables_events : 0);
    u->r15 = r->r15; u->r14 = r->r14; u->r13 = r->r13; u->r12 = r->r12;
    u->rbp = r->rbp; u->rbx = r->rbx; u->r11 = r->r11; u->r10 = r->r10;
    u->r9 = r->r9; u->r8 = r->r8; u->rcx = r->rcx; u->rdx = r->rdx;
    u->rsi = r->rsi; u->rdi = r->rdi;
    u->rax = 0;                         /* "resumed in a new domain" */
    u->rip = r->rip;
    u->cs = (uint16_t)r->cs;
    u->rflags = (r->rflags & ~X86_EFLAGS_IOPL) | (uint64_t)v->iopl << 12;
    u->rsp = r->rsp;
    u->ss = (uint16_t)r->ss;
    uint16_t sel[4];
    hw_read_data_selectors(sel);
    u->ds = sel[0];
    u->es = sel[1];
    u->fs = sel[2];
    u->gs = sel[3];
    for (unsigned i = 0; i < 256; i++) {
        ctx.trap_ctxt[i] = v->trap_ctxt[i];
        if (ctx.trap_ctxt[i].address && !(ctx.trap_ctxt[i].cs & 3))
            ctx.trap_ctxt[i].cs |= 3;
    }
    ctx.ldt_base = v->ldt_base;
    ctx.ldt_ents = v->ldt_ents;
    for (unsigned i = 0; i < DIV_ROUND_UP(v->gdt_ents, 512); i++)
        ctx.gdt_frames[i] = v->gdt_frames[i];
    ctx.gdt_ents = v->gdt_ents;
    ctx.kernel_ss = v->kernel_ss;
    ctx.kernel_sp = v->kernel_sp;
    ctx.ctrlreg[0] = (hw_read_cr0() & ~X86_CR0_TS) | (v->fpu_ts ? X86_CR0_TS : 0);
    ctx.ctrlreg[3] = mfn_to_paddr(v->guest_table);
    if (v->guest_table_user != INVALID_MFN && v->guest_table_user)
        ctx.ctrlreg[1] = mfn_to_paddr(v->guest_table_user);
    ctx.ctrlreg[4] = v->emul.cr4;
    for (unsigned i = 0; i < 8; i++)
        ctx.debugreg[i] = v->debugreg[i];
    ctx.event_callback_eip = v->event_callback;
    ctx.failsafe_callback_eip = v->failsafe_callback;
    ctx.syscall_callback_eip = v->syscall_callback;
    ctx.vm_assist = dom.vm_assist;
    ctx.fs_base = hw_get_fs_base();
    ctx.gs_base_kernel = v->kernel_mode ? hw_get_gs_base() : hw_get_inactive_gs_base();
    ctx.gs_base_user = v->kernel_mode ? hw_get_inactive_gs_base() : hw_get_gs_base();

    /* EXTENDED: {u32 vcpu, u32 size}, the 32-bit entry points; no vMCE banks. */
    memset(ext, 0, sizeof(ext));
    ext[4] = EXT_LEN;
    for (unsigned i = 0; i < 8; i++) {
        ext[8 + i] = (uint8_t)(v->syscall32_callback >> (8 * i));
        ext[16 + i] = (uint8_t)(v->sysenter_callback >> (8 * i));
    }
    ext[28] = v->syscall32_disables_events;
    ext[29] = v->sysenter_disables_events;

    src->ctx = &ctx;
    src->ext = ext;
    src->ext_len = EXT_LEN;
    uint64_t xcr0 = v->emul.xcr0;
    if (xcr0 & ~3ull) {
        memset(xsave_area, 0, sizeof(xsave_area));
        hw_save_fpu(xsave_area, true, xcr0);
        src->xcr0 = src->xcr0_accum = xcr0;
        src->xsave = xsave_area;
        src->xsave_len = MIN(xsave_size(xcr0), (uint32_t)XSAVE_MAX);
    }
}

/* Why this domain cannot be saved, or NULL. */
static const char *unsaveable(void)
{
    if (!save_disk)
        return "no save disk (pvshim option savedisk=N)";
    if (dom.compat)
        return "a 32-bit guest";
    if (current != &dom.vcpu[0])
        return "the suspend did not come from vCPU 0";
    for (unsigned i = 1; i < dom.nr_vcpus; i++)
        if (dom.vcpu[i].up)
            return "more than one vCPU is up (pvshim saves single-vCPU guests so far)";
    if (save_disk->read_only)
        return "the save disk is read-only";
    return NULL;
}

static int cancelled(const char *why)
{
    log_warn("save: cancelled: %s; the guest's suspend returns 1 and it goes on", why);
    return 1;
}

int guest_suspend(void)
{
    char err[200];
    const char *why = unsaveable();
    if (why)
        return cancelled(why);
    static struct save_source src;
    memset(&src, 0, sizeof(src));
    int rc = find_p2m(&src, err, sizeof(err));
    if (rc) {
        put_p2m_list();
        return cancelled(err);
    }
    src.m2p = dom.m2p;
    src.max_mfn = dom.max_mfn;
    src.shared_info = dom.shared_info;
    src.tsc_khz = (uint32_t)tsc_khz;
    src.tsc_nsec = pv_system_time();
    capture_vcpu(&src);

    /* The staging buffer: as much of STAGE_FRAMES as the pool has, contiguous. */
    uint64_t n = STAGE_FRAMES;
    mfn_t stage;
    while ((stage = frame_pool_alloc(&machine_frames, n, 1, dom.max_mfn)) == INVALID_MFN && n > 1)
        n /= 2;
    if (stage == INVALID_MFN) {
        put_p2m_list();
        return cancelled("no memory left for the disk writes");
    }
    static struct disk_sink ds;
    memset(&ds, 0, sizeof(ds));
    ds.bd = save_disk;
    ds.buf_pa = mfn_to_paddr(stage);
    ds.buf = phys_access(ds.buf_pa, n * PAGE_SIZE);
    ds.cap = n * PAGE_SIZE;
    struct save_sink sink = { disk_write, &ds };

    uint64_t t0 = now_ns(), written = 0;
    log_info("save: writing the guest (%u pages) to %s", src.max_pfn + 1, save_disk->name);
    /* Completions are polled on purpose here (interrupts are off): the
     * driver must not take that for interrupts that do not arrive. */
    bool interrupts = save_disk->interrupts;
    save_disk->interrupts = false;
    rc = save_write(&src, &sink, &written, err, sizeof(err));
    if (!rc)
        rc = disk_flush_stage(&ds);
    if (!rc && save_disk->has_flush)
        rc = disk_io(&ds, BLKDEV_FLUSH, 0);
    save_disk->interrupts = interrupts;
    /* A request that timed out is still the device's: its buffer and the
     * disk stay out of use (the next suspend finds no save disk). */
    bool stuck = ds.failed == -XEN_ETIMEDOUT || rc == -XEN_ETIMEDOUT;
    if (!stuck)
        frame_pool_free(&machine_frames, stage, n);
    put_p2m_list();
    if (rc) {
        if (ds.failed == -XEN_ENOSPC)
            error_set(err, sizeof(err), -1, "the save disk %s (%llu bytes) is too small",
                      save_disk->name,
                      (unsigned long long)(save_disk->sectors * BLKDEV_SECTOR_SIZE));
        else if (ds.failed || rc != -1)
            error_set(err, sizeof(err), -1, "the save disk %s failed a write at byte %llu "
                      "(error %d)", save_disk->name, (unsigned long long)(ds.sector * 512),
                      ds.failed ? ds.failed : rc);
        if (stuck)
            save_disk = NULL;
        return cancelled(err);
    }
    log_info("save: wrote %llu bytes (%u pages) to %s in %llu ms", (unsigned long long)written,
             src.max_pfn + 1, save_disk->name, (unsigned long long)((now_ns() - t0) / 1000000));
    return 0;
}
