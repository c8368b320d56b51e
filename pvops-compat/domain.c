/* The one domain pvshim hosts. */
#include "domain.h"
#include "time.h"
#include "pv_lock.h"
#include "flush_stats.h"
#include <pvshim/assert.h>
#include <pvshim/string.h>
#include <pvshim/spinlock.h>
#include <pvshim/percpu.h>
#include <pvshim/time.h>
#include <pvshim/hw.h>

/* The image's last object: the vCPUs past the VM's are given back (compiler.h). */
struct pv_domain dom RECLAIM_TAIL;

void pv_vcpu_init(struct pv_vcpu *v, unsigned id)
{
    ASSERT(id < PV_MAX_VCPUS && v == &dom.vcpu[id]);
    ASSERT(dom.shared_info);
    memset(v, 0, sizeof(*v));
    v->vcpu_id = id;
    v->kernel_mode = true;
    v->guest_table = INVALID_MFN;
    v->guest_table_user = INVALID_MFN;
    v->vcpu_info = &dom.shared_info->vcpu_info[id];
    v->vcpu_info_mfn = INVALID_MFN;
    /* vCPU 0 is the one the domain boots on: it has a context and is up. */
    v->initialised = v->up = id == 0;
    if (id != 0) {
        v->runstate.state = RUNSTATE_offline;
        v->runstate.state_entry_time = now_ns();
    }
    pv_time_vcpu_init(v);
}

/*
 * pv_big_lock protects: every piece of PV-layer state that more than one
 * vCPU can reach: struct pv_domain and the vCPUs' structs (a vCPU's own
 * fields are changed by others only under it), event channel bindings
 * (sending on a port needs only that port's lock: event_channel.c), the grant
 * table, the frame table (page types and reference counts, so no type
 * change races another), the backends and services.
 * Held: from an entry into pvshim (a guest trap, hypercall or interrupt)
 * until the return to the guest, and by every interrupt handler; but the
 * entries that touch only their own vCPU (a 64-bit guest's user system
 * calls, exceptions only bounced to it, the timer, kick and cross-call
 * interrupts that arrive while it runs, the hypercalls hypercall_defs.h
 * marks own) run without it, and take it at the first step that needs it
 * (entry.c says why that is safe). Never held while a guest vCPU runs, and
 * dropped while a vCPU idles (SCHEDOP_block/poll, VCPUOP_down, an AP
 * waiting for its vCPU). Taken by a try-and-retry loop, not in turn (pv_lock.h says why).
 * Recursive: an interrupt taken in an idle wait of code that holds it
 * (a backend waiting for its disk) takes it again.
 * order: outermost; the smp_call, timer and console locks are taken inside.
 * Its waiters keep serving cross-calls, so a holder may flush remote TLBs.
 */
spinlock_t pv_big_lock;
unsigned pv_lock_depth;             /* nesting on the holding CPU */

void pv_lock(void)
{
    pv_lock_on(this_pcpu());
}

void pv_unlock(void)
{
    pv_unlock_on(this_pcpu());
}

void pv_idle_wait(void)
{
    ASSERT_LOCKED(&pv_big_lock);
    unsigned depth = pv_lock_depth;
    struct pv_vcpu *v = current;
    if (v)
        v->idle = true;
    pv_lock_depth = 0;
    spin_unlock(&pv_big_lock);
    cpu_idle_wait();
    pv_lock_on_at(this_pcpu(), PV_SITE_WAKE);
    if (v)
        v->idle = false;
    pv_lock_depth = depth;
}

void pv_vcpu_kick(const struct pv_vcpu *v)
{
    if (v != current)
        smp_kick(v->vcpu_id);
}

uint64_t pv_vcpus_loaded(void)
{
    uint64_t m = 0;
    for (unsigned i = 0; i < dom.nr_vcpus; i++)
        if (dom.vcpu[i].loaded)
            m |= 1ull << i;
    return m;
}

/*
 * A CPU idling in pv_idle_wait runs no guest code and touches no guest
 * memory before it takes the PV lock again, and pv_lock() flushes its TLB
 * first: its flush (a full one, whatever was asked) is deferred to then
 * rather than waking it now. Returns the loaded vCPUs left to interrupt.
 */
static uint64_t defer_idle(uint64_t vcpus, struct pv_flush_count *c)
{
    /* vCPU n runs on CPU n: the masks coincide. */
    vcpus &= pv_vcpus_loaded();
    for (unsigned i = 0; i < dom.nr_vcpus; i++)
        if ((vcpus >> i & 1) && dom.vcpu[i].idle && &dom.vcpu[i] != current) {
            dom.vcpu[i].tlb_flush_due = true;
            vcpus &= ~(1ull << i);
            c->deferred++;
        }
    return vcpus;
}

/* How many CPUs of the mask are not the caller's. */
static unsigned others(uint64_t cpus)
{
    unsigned n = 0;
    for (cpus &= ~(1ull << this_pcpu()->id); cpus; cpus &= cpus - 1)
        n++;
    return n;
}

void pv_flush_vcpus_tlb(uint64_t vcpus)
{
    struct pv_flush_count *c = &pv_flush_counts[this_pcpu()->id];
    vcpus = defer_idle(vcpus, c);
    if (!vcpus)
        return;
    uint64_t t0 = now_ns();
    smp_flush_tlb(vcpus);
    c->wait_ns += now_ns() - t0;
    c->calls++;
    c->full += others(vcpus);
}

void pv_invlpg_vcpus(uint64_t vcpus, vaddr_t va)
{
    struct pv_flush_count *c = &pv_flush_counts[this_pcpu()->id];
    vcpus = defer_idle(vcpus, c);
    if (!vcpus)
        return;
    uint64_t t0 = now_ns();
    smp_invlpg(vcpus, va);
    c->wait_ns += now_ns() - t0;
    c->calls++;
    c->page += others(vcpus);
}
