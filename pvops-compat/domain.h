/*
 * The one PV domain pvshim hosts and its vCPUs: everything the PV ABI layer
 * remembers about the guest between entries.
 *
 * Where state lives (STYLE.md section 3 item 1):
 * - per vCPU: struct pv_vcpu, dom.vcpu[id] for id < dom.nr_vcpus; everything
 *   a vCPU's hypercalls, traps, timers and emulation change;
 * - per physical CPU: struct pcpu (<pvshim/percpu.h>): which vCPU it runs
 *   (`current`), its entry stack, GDT and hardware timer;
 * - per domain: the rest of struct pv_domain;
 * - global: the frame table and event channels (their own files).
 * vCPU n runs on physical CPU n, always. All of it is under the PV lock
 * (domain.c); a vCPU's hardware state (base pointers loaded, GDT window,
 * segment bases, debug registers) is loaded only by its own pCPU, so
 * another vCPU's hypercalls (VCPUOP_initialise, register_vcpu_info,
 * set_periodic_timer, ...) change its structure, never its CPU.
 */
#ifndef PVSHIM_PV_DOMAIN_H
#define PVSHIM_PV_DOMAIN_H

#include <pvshim/xen_abi.h>
#include <pvshim/cpu_regs.h>
#include <pvshim/soft_timer.h>
#include <pvshim/percpu.h>
#include "emulate.h"
#include <pvshim/guest_entry.h>

#define PV_GDT_GUEST_FRAMES 14      /* pages 0-13 of the GDT are the guest's */
#define PV_GDT_GUEST_ENTRIES (PV_GDT_GUEST_FRAMES * 512)
#define PV_LDT_MAX_ENTRIES  8192
/* vCPUs a domain can have: each has a vcpu_info slot in shared_info. */
#define PV_MAX_VCPUS        XEN_LEGACY_MAX_VCPUS

struct pv_vcpu {
    unsigned vcpu_id;               /* index in dom.vcpu[]; it runs on pcpus[vcpu_id] */

    /* --- life cycle (VCPUOP_initialise, up, down); changed under the PV lock */
    bool initialised;               /* has a context: vCPU 0 from boot, others by initialise */
    volatile bool up;               /* runnable: initialised and not VCPUOP_down */
    bool loaded;                    /* its context is in its physical CPU (it has run) */
    struct cpu_regs start_regs;     /* the frame it first enters the guest with */
    uint64_t start_debugreg[8];     /* the context's debug registers, set when first run */
    uint16_t start_sels[4];         /* its DS, ES, FS, GS (a 32-bit guest's are loaded when first run) */
    bool start_sels_failed;         /* one did not load: the failsafe frame carries these */
    uint64_t start_cr4;             /* the context's ctrlreg[4] (0: the default view) */
    bool idle;                      /* its CPU waits in pv_idle_wait, lock released */
    bool tlb_flush_due;             /* its CPU flushes its TLB when it next takes the lock */
    /* A restored vCPU's saved FPU image, CR4 view and XCR0, loaded by its own
     * CPU just before it first enters the guest (NULL: nothing to load). */
    void (*first_run)(struct pv_vcpu *v);

    /* --- uses of the entry fast path (shim/arch/x86/entry_fast.asm), for the log */
    uint64_t fast_syscalls;         /* system calls bounced to the guest kernel */
    uint64_t fast_irets;            /* HYPERVISOR_iret done there */
    uint64_t fast_page_faults;      /* page faults bounced to the guest (trap_fast.asm) */

    /* --- the guest entry being handled now (set by the entry path) */
    struct cpu_regs *regs;
    bool in_multicall;              /* a multicall is being run (no nesting) */

    /* --- mode and address spaces (64-bit PV: kernel and user have own L4s) */
    bool kernel_mode;               /* guest kernel (true) or guest user */
    mfn_t guest_table;              /* kernel L4; INVALID_MFN before the first */
    mfn_t guest_table_user;         /* user L4; INVALID_MFN if none */

    /* --- entries from guest user mode land on this stack (stack_switch) */
    uint64_t kernel_ss, kernel_sp;

    /* --- traps and callbacks (set_trap_table, set_callbacks, callback_op) */
    struct trap_info trap_ctxt[256];
    uint64_t event_callback;
    uint64_t failsafe_callback;
    uint64_t syscall_callback;
    uint64_t syscall32_callback;
    uint64_t sysenter_callback;
    uint64_t nmi_callback;
    bool failsafe_disables_events;
    bool syscall_disables_events;
    bool syscall32_disables_events;
    bool sysenter_disables_events;

    /* --- descriptor tables and segment state */
    mfn_t gdt_frames[PV_GDT_GUEST_FRAMES];
    unsigned gdt_ents;              /* 0: no guest GDT */
    vaddr_t ldt_base;
    unsigned ldt_ents;
    /* Bases loaded when the vCPU first runs. Afterwards the MSRs hold the
     * live values (set_segment_base and swapgs change only them): read
     * those, not these. */
    uint64_t fs_base;
    uint64_t gs_base_kernel;        /* GS base while in guest kernel mode */
    uint64_t gs_base_user;          /* GS base while in guest user mode */

    /* --- shared state with the guest */
    struct vcpu_info *vcpu_info;    /* pvshim's pointer: in shared_info or registered */
    mfn_t vcpu_info_mfn;            /* INVALID_MFN while in shared_info */

    /* --- time */
    uint64_t singleshot_deadline;   /* system time (ns); 0: none */
    uint64_t periodic_period;       /* ns; 0: none */
    uint64_t periodic_next;
    vaddr_t runstate_area;          /* guest VA of vcpu_runstate_info; 0: none */
    struct vcpu_runstate_info runstate;
    vaddr_t time_area;              /* guest VA of a vcpu_time_info copy; 0: none */
    struct soft_timer singleshot_timer;     /* VCPUOP_set_singleshot_timer */
    struct soft_timer periodic_timer;       /* VCPUOP_set_periodic_timer */
    struct soft_timer poll_timer;           /* SCHEDOP_poll timeout */
    volatile bool poll_timed_out;

    /* --- I/O privilege */
    unsigned iopl;                  /* virtual IOPL (PHYSDEVOP_set_iopl) */
    vaddr_t iobmp;                  /* PHYSDEVOP_set_iobitmap */
    unsigned iobmp_limit;

    /* --- debug registers as the guest set them */
    uint64_t debugreg[8];

    /* --- FPU: the guest's view of CR0.TS */
    bool fpu_ts;

    /* --- what emulated privileged instructions keep (emulate.h) */
    struct pv_emul_vcpu emul;
};

struct pv_domain {
    domid_t domid;
    bool started;                   /* the guest has been entered */
    bool compat;                    /* a 32-bit PAE guest (compat.h) */
    uint64_t tot_pages;             /* frames the guest owns */
    uint64_t max_pages;             /* its reservation limit */
    unsigned long vm_assist;        /* VMASST_TYPE_* bits */

    struct shared_info *shared_info;
    mfn_t shared_info_mfn;

    /*
     * The machine-to-phys table: pvshim's writable view, m2p_bytes of
     * virtual space in 2 MiB chunks (m2p.h); m2p_chunks[i]: the first
     * frame of chunk i, INVALID_MFN for a missing one.
     */
    uint64_t *m2p;
    const mfn_t *m2p_chunks;
    uint64_t m2p_bytes;             /* a multiple of 4 KiB */
    mfn_t compat_m2p_first_mfn;     /* a 32-bit guest's M2P (4-byte entries), */
    uint64_t compat_m2p_bytes;      /* contiguous, a multiple of 2 MiB */
    mfn_t max_mfn;                  /* one past the highest machine frame */
    mfn_t start_info_mfn;
    mfn_t console_mfn, xenstore_mfn;
    evtchn_port_t console_port, xenstore_port;

    unsigned nr_vcpus;              /* vCPUs 0 .. nr_vcpus-1 exist */
    /* Last: past nr_vcpus its frames are the guest's (RECLAIM_TAIL); never touch them. */
    struct pv_vcpu vcpu[PV_MAX_VCPUS];
};

extern struct pv_domain dom;

/* Xen's __addr_ok: below the canonical hole or above the hypervisor slots. */
static inline bool guest_addr_ok(vaddr_t va)
{
    return va < (1ull << 47) || va >= 0xffff880000000000ull;
}

static inline bool is_canonical(vaddr_t va)
{
    return va < (1ull << 47) || va >= 0xffff800000000000ull;
}

/* The vCPU the calling physical CPU runs. */
#define current (this_pcpu()->curr)

/* The frame of the guest entry being handled now on this vCPU. */
#define guest_regs (current->regs)

/*
 * Give vCPU id of dom the state Xen gives a new PV vCPU before anything is
 * loaded into it: kernel mode, no base pointers, its legacy vcpu_info slot
 * in shared_info (dom.shared_info must be set), timers stopped.
 */
void pv_vcpu_init(struct pv_vcpu *v, unsigned id);

/* Wait for an interrupt with the lock released (however deeply held), then
 * take it back: whatever it guarded may have changed meanwhile. */
void pv_idle_wait(void);

/* Have v's physical CPU look at v again (an event, VCPUOP_up/down): it
 * leaves the guest or its idle wait. Nothing for the caller's own vCPU. */
void pv_vcpu_kick(const struct pv_vcpu *v);

/* Bit n: vCPU n has run, so its CPU's TLB may hold its translations (a
 * down vCPU's too: its CPU idles with its tables loaded). */
uint64_t pv_vcpus_loaded(void);

/* Flush the TLBs of the CPUs of the vCPUs in the mask (bit n: vCPU n; the
 * caller's own included if set) that have run; done when it returns. */
void pv_flush_vcpus_tlb(uint64_t vcpus);
/* The same for one page, va: only its translation goes (an idle CPU's
 * whole TLB when it wakes); done when it returns. */
void pv_invlpg_vcpus(uint64_t vcpus, vaddr_t va);

#endif
