/*
 * Running vCPUs 1..N-1 on the application processors, and taking vCPUs
 * down and up. vCPU n runs on physical CPU n only, so a vCPU's hardware
 * state is loaded once, by its own CPU, when it first runs; after that the
 * CPU keeps it (a down vCPU's CPU only idles).
 */
#include "pv.h"
#include "vcpu.h"
#include "mm.h"
#include "time.h"
#include "emulate.h"
#include <pvshim/hw.h>
#include <pvshim/guest_entry.h>
#include <pvshim/assert.h>

long pv_vcpu_up(struct pv_vcpu *v)
{
    if (!v->initialised)
        return -XEN_EINVAL;
    if (!v->up) {
        v->up = true;
        pv_vcpu_kick(v);
    }
    return 0;
}

long pv_vcpu_down(struct pv_vcpu *v)
{
    if (dom.nr_vcpus == 1)
        return -XEN_EINVAL;
    bool others = false;
    for (unsigned i = 0; i < dom.nr_vcpus; i++)
        others |= i != v->vcpu_id && dom.vcpu[i].up;
    if (!others)
        pv_shutdown(SHUTDOWN_poweroff);
    if (!v->up)
        return 0;
    v->up = false;
    if (v == current)
        pv_vcpu_park();
    else
        pv_vcpu_kick(v);
    return 0;
}

void pv_vcpu_park(void)
{
    struct pv_vcpu *v = current;
    pv_runstate_set(RUNSTATE_offline);
    while (!v->up)
        pv_idle_wait();
    pv_runstate_set(RUNSTATE_running);
}

void pv_vcpu_load(struct pv_vcpu *v)
{
    ASSERT(v == current && v->initialised && !v->loaded);
    if (v->start_cr4)
        (void)pv_emul_restore_state(v->start_cr4, 0);    /* XCR0 0: always true */
    /* As set_debugreg takes them; a value it refuses is left out. */
    for (unsigned i = 0; i < 8; i++)
        if (i != 4 && i != 5)
            (void)pv_set_debugreg(i, v->start_debugreg[i]);
    hw_load_cr3(pv_mm_base_maddr(v->kernel_mode));
    hw_set_guest_gdt(v->gdt_frames, DIV_ROUND_UP(v->gdt_ents, 512));
    hw_set_guest_ldt(v->ldt_ents);     /* its pages are mapped on first use */
    hw_set_fs_base(v->fs_base);
    hw_set_gs_base(v->kernel_mode ? v->gs_base_kernel : v->gs_base_user);
    hw_set_inactive_gs_base(v->kernel_mode ? v->gs_base_user : v->gs_base_kernel);
    if (v->first_run)
        v->first_run(v);
    hw_set_ts(v->fpu_ts);       /* last: first_run may load the FPU */
}

/* Load v's context into the calling CPU, the first time v runs. */
static void load_context(struct pv_vcpu *v)
{
    pv_emul_vcpu_init();
    pv_vcpu_load(v);
    v->loaded = true;
    pv_time_vcpu_start(v);
}

/*
 * A 32-bit vCPU's data selectors, after the bases (a selector load sets
 * its base from the descriptor). One that does not load makes the first
 * entry the failsafe callback's, as Xen's load_segments does; its frame
 * carries the selectors the context asked for (the bad one too), as Xen's
 * does (the saved user_regs, not what is loaded).
 */
static void load_compat_selectors(struct pv_vcpu *v)
{
    if (hw_load_data_selectors(v->start_sels)) {
        v->start_sels_failed = true;
        guest_return_failed(&v->start_regs);
    }
}

struct cpu_regs *guest_ap_wait(void)
{
    struct pv_vcpu *v;
    /* dom.nr_vcpus and pcpu->curr are set once, by guest_boot(), under the lock. */
    while (!(v = current) || !v->up)
        pv_idle_wait();
    load_context(v);
    v->regs = &v->start_regs;
    if (dom.compat)
        load_compat_selectors(v);
    guest_resume(&v->start_regs);
    return &v->start_regs;
}
