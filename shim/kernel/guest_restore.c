/*
 * Module 0 is an `xl save` file (or a bare libxc stream) of a classic
 * 64-bit PV domain: check it, rebuild the domain in it (shim/restore/),
 * give it pvshim's console and xenstore, and resume it where it stopped.
 *
 * Guest-visible contract at the resume: the guest's SCHEDOP_shutdown
 * (SHUTDOWN_suspend) returns 0 in rax, "resumed in a new domain" (Xen's
 * save already left rax 0 in the context; 1 would be "cancelled", which
 * only the source host's xc_domain_resume writes); start_info carries the
 * new shared_info, nr_pages, flags 0, the store and console frames and
 * pvshim's event channels for them; every event channel is masked and none
 * pending; the rings keep the indices they had. The domain has as many
 * vCPUs as the guest had (its xl config's max_vcpus, else the highest saved
 * vCPU + 1; fewer CPUs in the VM is bad input); each saved vCPU resumes
 * with its saved context, registers, FPU/XSAVE state, CR4 and XCR0, on its
 * own CPU; one without a saved context (it was down) stays down until the
 * guest initialises and brings it up. System time (vcpu_time_info) goes on
 * from the guest's system time at the save, never back, and the wall clock
 * stays the host's.
 */
#include <pvshim/boot_trace.h>
#include <pvshim/restore.h>
#include <pvshim/save_stream.h>
#include <pvshim/frame_alloc.h>
#include <pvshim/phys.h>
#include <pvshim/log.h>
#include <pvshim/status.h>
#include <pvshim/string.h>
#include <pvshim/hw.h>
#include <pvshim/platform.h>
#include <pvshim/l0.h>
#include <pvshim/percpu.h>
#include <pvshim/time.h>
#include <pvshim/image_reclaim.h>
#include "guest_boot.h"
#include "domain.h"
#include "mm.h"
#include "vcpu.h"
#include "services.h"
#include "emulate.h"
#include "cpuid_policy.h"
#include <pvshim/restore_cpuid.h>
#include "console_backend.h"
#include "xenstore.h"
#include "abi_trace.h"
#include "pv_lock.h"

#define XSAVE_HDR           512     /* the XSAVE header in the standard format */
#define XSAVE_AREA_MAX      4096    /* what hw_load_fpu takes */
#define MXCSR_OFF           24
#define SYSTEM_TIME_MAX     (1ull << 60)    /* 36 years of uptime: past it, a hostile file */

/* Used only here: a booted guest's pvshim gives their frames back (RESTORE_ONLY). */
static struct save_image img RESTORE_ONLY;
static struct restore_state rs RESTORE_ONLY;
static const uint8_t *file;

/*
 * What is still needed once the save file's frames went back to the pool:
 * the CPUID policy and each vCPU's FPU state, checked so that FXRSTOR/XRSTOR
 * cannot fault.
 */
static uint8_t cpuid_policy[SAVE_CPUID_POLICY_MAX] RESTORE_ONLY;
static uint32_t cpuid_policy_len;
static struct saved_fpu {
    uint8_t area[XSAVE_AREA_MAX];   /* XSAVE (standard format) or FXSAVE image */
    uint32_t len;                   /* 0: none (the vCPU's FPU starts clean) */
    uint64_t xcr0;                  /* 0: an FXSAVE image */
} fpu[SAVE_MAX_VCPUS] RESTORE_ONLY;
static uint8_t msrs[SAVE_MAX_VCPUS][SAVE_VCPU_MSRS_MAX] RESTORE_ONLY;       /* X86_PV_VCPU_MSRS records */
static uint32_t msrs_len[SAVE_MAX_VCPUS];

static void check_fpu(unsigned id)
{
    const struct save_vcpu *v = &img.vcpu[id];
    struct saved_fpu *f = &fpu[id];
    const uint8_t *area = NULL;
    uint32_t len = 0;
    uint64_t xcr0 = 0;
    if (v->xsave.len >= 16) {
        xcr0 = save_le64(file + v->xsave.off);
        area = file + v->xsave.off + 16;
        len = v->xsave.len - 16;
    }
    if (!xcr0 || len == 0) {
        xcr0 = 0;
        if (rs.vcpu[id].ctx.flags & VGCF_i387_valid) {
            area = (const uint8_t *)rs.vcpu[id].ctx.fpu_ctxt.x;
            len = sizeof(rs.vcpu[id].ctx.fpu_ctxt.x);
        } else {
            area = NULL;
            len = 0;
        }
    } else {
        if (len < XSAVE_HDR + 64 || len > XSAVE_AREA_MAX)
            fail_bad_input("save stream: X86_PV_VCPU_XSAVE of vcpu %u: an area of %u bytes "
                           "(want %u..%u)", id, len, XSAVE_HDR + 64, XSAVE_AREA_MAX);
        uint64_t bv = save_le64(area + XSAVE_HDR);
        for (unsigned i = 8; i < 64; i++)
            if (area[XSAVE_HDR + i])
                fail_bad_input("save stream: X86_PV_VCPU_XSAVE of vcpu %u: compacted format "
                               "or reserved header bytes set", id);
        if (bv & ~xcr0)
            fail_bad_input("save stream: X86_PV_VCPU_XSAVE of vcpu %u: state %#llx outside "
                           "XCR0 %#llx", id, (unsigned long long)bv, (unsigned long long)xcr0);
    }
    const uint8_t *fx = area ? area : (const uint8_t *)rs.vcpu[id].ctx.fpu_ctxt.x;
    if (save_le32(fx + MXCSR_OFF) >> 16)
        fail_bad_input("save stream: X86_PV_VCPU_%s of vcpu %u: MXCSR %#x has reserved bits",
                       xcr0 ? "XSAVE" : "BASIC", id, save_le32(fx + MXCSR_OFF));
    memset(f->area, 0, sizeof(f->area));
    if (area)
        memcpy(f->area, area, len);
    f->len = len;
    f->xcr0 = xcr0;
}

/*
 * A guest that saw FSGSBASE may have patched RDFSBASE/WRGSBASE into its
 * code: it gets the instructions back; one that did not, does not get them.
 */
static bool saw_fsgsbase(void)
{
    for (uint32_t off = 0; off + SAVE_CPUID_ENTRY_LEN <= cpuid_policy_len;
         off += SAVE_CPUID_ENTRY_LEN) {
        const uint8_t *e = cpuid_policy + off;
        if (save_le32(e) == 7 && save_le32(e + 4) == 0)
            return save_le32(e + 12) & 1;
    }
    return false;
}

/* What the guest kernel sees (it asks through the forced-emulation prefix). */
static void offered(uint32_t leaf, uint32_t subleaf, uint32_t out[4])
{
    struct cpuid_leaf l;
    pv_guest_cpuid(leaf, subleaf, true, rs.vcpu[0].ctx.ctrlreg[4], &l);
    out[0] = l.a;
    out[1] = l.b;
    out[2] = l.c;
    out[3] = l.d;
}

/*
 * A restored vCPU's first run, on its own CPU (pv_vcpu_load): CR4 view and
 * XCR0 as saved, then its FPU/SSE/AVX registers.
 */
static void first_run(struct pv_vcpu *v)
{
    const struct saved_fpu *f = &fpu[v->vcpu_id];
    if (!pv_emul_restore_state(rs.vcpu[v->vcpu_id].ctx.ctrlreg[4], f->xcr0))
        fail_bad_input("save stream: vcpu %u ran with XCR0 %#llx (x87, SSE, AVX, ... state "
                       "it patched its code for); this CPU offers %#llx", v->vcpu_id,
                       (unsigned long long)f->xcr0,
                       (unsigned long long)cpuid_policy_xcr0_max());
    if (f->len)
        hw_load_fpu(f->area, f->xcr0 != 0, f->xcr0);
    char err[200];
    if (pv_vcpu_restore_msrs(msrs[v->vcpu_id], msrs_len[v->vcpu_id], err, sizeof(err)))
        fail_bad_input("save stream: X86_PV_VCPU_MSRS of vcpu %u: %s", v->vcpu_id, err);
}

/* After the CPU policy is built and vCPU 0's emulation state reset. */
static void load_cpu_state(void)
{
    char err[400];
    if (restore_check_cpuid(cpuid_policy, cpuid_policy_len, offered, err, sizeof(err)))
        fail_bad_input("%s", err);
    pv_vcpu_load(&dom.vcpu[0]);
}

/*
 * The guest's system time at the save, the latest of its vCPUs': each
 * one's last time record in the SHARED_INFO record (a guest that placed its
 * vcpu_info elsewhere left an older one there) carried forward to the TSC
 * at the save, which the X86_TSC_INFO record gives in ns of its khz.
 */
static uint64_t saved_system_time(unsigned nr_vcpus)
{
    const uint8_t *shinfo = file + img.shared_info.off;
    uint64_t latest = 0;
    struct time_scale tsc_to_ns;
    if (img.has_tsc && img.tsc_khz)
        time_scale_init(&tsc_to_ns, img.tsc_khz * 1000ull, 1000000000ull);
    for (unsigned i = 0; i < nr_vcpus && i < XEN_LEGACY_MAX_VCPUS; i++) {
        const uint8_t *t = shinfo + __builtin_offsetof(struct shared_info, vcpu_info) +
                           i * sizeof(struct vcpu_info) +
                           __builtin_offsetof(struct vcpu_info, time);
        uint64_t stamp = save_le64(t + __builtin_offsetof(struct vcpu_time_info, tsc_timestamp));
        uint64_t at = save_le64(t + __builtin_offsetof(struct vcpu_time_info, system_time));
        if (img.has_tsc && img.tsc_khz && (stamp || at)) {
            uint64_t stamp_ns = time_scale_apply(&tsc_to_ns, stamp);
            if (img.tsc_nsec > stamp_ns)
                at += img.tsc_nsec - stamp_ns;
        }
        if (at > latest)
            latest = at;
    }
    if (latest > SYSTEM_TIME_MAX)
        fail_bad_input("save stream: SHARED_INFO/X86_TSC_INFO: the guest's system time at the "
                       "save would be %llu ns (more than 2^60)", (unsigned long long)latest);
    return latest;
}

/* The save file is read: its frames become free memory (for ballooning, grant frames). */
static void give_back_module(const struct boot_module *mod)
{
    mfn_t first = paddr_to_mfn(mod->start);
    mfn_t last = paddr_to_mfn(ALIGN_UP(mod->start + mod->size, PAGE_SIZE));
    for (mfn_t f = first; f < last; f++)
        if (!frame_pool_is_free(&machine_frames, f))
            frame_pool_free(&machine_frames, f, 1);
}

/* A local function: its address is taken (no GOT in pvshim's image). */
static void assign(mfn_t first, uint64_t n)
{
    assign_to_guest(first, n);
}

void guest_restore(const struct boot_info *bi, const struct memmap *m,
                   const struct pvshim_options *o)
{
    char err[300];
    const struct boot_module *mod = &bi->modules[0];
    image_reclaim_build_only();
    file = phys_access(mod->start, mod->size);
    if (!file || save_stream_parse(file, mod->size, &img, err, sizeof(err)))
        fail_bad_input("%s", file ? err : "save file (module 0) is out of reach");
    time_calibrate_finish();        /* before the guest's time is set up */
    unsigned nr_vcpus = save_vcpus_had(&img);
    unsigned online = 0;
    for (unsigned i = 0; i < img.nr_vcpus; i++)
        online += img.vcpu[i].present;
    log_info("restore: %s, libxc stream v%u from Xen %u.%u: %u pages, %u PAGE_DATA records, "
             "%u vCPU(s), %u of them up", img.xl_header ? "xl save file" : "libxc stream",
             img.version, img.xen_major, img.xen_minor, img.max_pfn + 1, img.nr_page_records,
             nr_vcpus, online);
    /* On a Xen host the guest gets one vCPU (L0's upcalls reach vCPU 0 only so far). */
    unsigned cpus = l0_active() ? 1 : MIN(nr_pcpus, (unsigned)PV_MAX_VCPUS);
    if (nr_vcpus > cpus)
        fail_bad_input("save file: the guest had %u vCPUs; pvshim can give it %u here%s "
                       "(one CPU of the VM for each vCPU: QEMU -smp %u)", nr_vcpus, cpus,
                       l0_active() ? " (one on a Xen host, so far)" : "", nr_vcpus);
    boot_phase("parsed");

    static struct guest_devices devs;
    guest_devices_probe(&devs, o);
    mfn_t max_mfn;
    evtchn_port_t console_port, xenstore_port;
    guest_domain_setup(m, nr_vcpus, &max_mfn, &console_port, &xenstore_port);
    guest_traces_setup(o);

    struct restore_params rp = {
        .file = file,
        .img = &img,
        .pool = &machine_frames,
        .m2p = dom.m2p,
        .m2p_chunks = dom.m2p_chunks,
        .max_mfn = max_mfn,
        .shared_info = dom.shared_info,
        .shared_info_maddr = mfn_to_paddr(dom.shared_info_mfn),
        .console_evtchn = console_port,
        .xenstore_evtchn = xenstore_port,
        .assigned = assign,
    };
    if (restore_domain(&rp, &rs, err, sizeof(err)))
        fail_bad_input("%s", err);
    for (unsigned i = 0; i < img.nr_vcpus; i++) {
        if (!rs.vcpu[i].present)
            continue;
        check_fpu(i);
        msrs_len[i] = img.vcpu[i].msrs.len;
        memcpy(msrs[i], file + img.vcpu[i].msrs.off, msrs_len[i]);
    }
    cpuid_policy_len = img.cpuid_policy.len;
    memcpy(cpuid_policy, file + img.cpuid_policy.off, cpuid_policy_len);
    /* As Xen's tsc_set_info keeps a moved domain's time going: no step back. */
    uint64_t system_time = saved_system_time(nr_vcpus);
    time_continue_from(system_time);
    log_info("restore: TSC mode %u at %u kHz (pvshim's: %llu kHz, not emulated); the guest's "
             "system time goes on from %llu.%03llu s", img.tsc_mode, img.tsc_khz,
             (unsigned long long)tsc_khz, (unsigned long long)(system_time / 1000000000ull),
             (unsigned long long)(system_time / 1000000ull % 1000));
    give_back_module(mod);
    file = NULL;
    pv_mm_assign_frame(dom.shared_info_mfn);
    dom.tot_pages = rs.nr_pages;
    dom.max_pages = img.max_pfn + 1ull;
    dom.start_info_mfn = rs.start_info_mfn;
    dom.console_mfn = rs.console_mfn;
    dom.xenstore_mfn = rs.xenstore_mfn;
    dom.console_port = console_port;
    dom.xenstore_port = xenstore_port;
    boot_phase("built");

    /* vCPU 0 first: its context carries the domain's vm_assist the others' tables rely on. */
    for (unsigned i = 0; i < img.nr_vcpus; i++) {
        if (!rs.vcpu[i].present)
            continue;
        struct pv_vcpu *v = &dom.vcpu[i];
        if (pv_vcpu_restore(v, &rs.vcpu[i].ctx, rs.vcpu[i].ext, rs.vcpu[i].ext_len, err,
                            sizeof(err)))
            fail_bad_input("save stream: X86_PV_VCPU_BASIC of vcpu %u: %s", i, err);
        v->first_run = first_run;
    }
    if (pv_mm_start_restored())
        panic("restore: the backend frames cannot be held writable");
    console_backend_attach(rs.console_mfn);
    struct xenstore_guest_params xsp = {
        .domid = dom.domid,
        .name = "pvshim-guest",
        .uuid = { 0x70, 0x76, 0x73, 0x68, 0x69, 0x6d, 0x40, 0x00,
                  0x80, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01 },
        .memory_kb = dom.tot_pages * 4,
        .max_memory_kb = dom.max_pages * 4,
        .vcpus = dom.nr_vcpus,
        .store_mfn = rs.xenstore_mfn,
        .store_port = xenstore_port,
        .console_mfn = rs.console_mfn,
        .console_port = console_port,
    };
    services->store_attach(rs.xenstore_mfn, &xsp);
    guest_devices_attach(&devs);
    const struct cpu_regs *entry = &dom.vcpu[0].start_regs;
    log_info("restore: %llu pages in, resuming at %#llx (suspend returns %llu)",
             (unsigned long long)rs.nr_pages, (unsigned long long)entry->rip,
             (unsigned long long)entry->rax);
    guest_start(pv_mm_base_maddr(dom.vcpu[0].kernel_mode) >> PAGE_SHIFT, entry, max_mfn, o,
                saw_fsgsbase(), load_cpu_state);
}
