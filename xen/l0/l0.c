/* The L0 provider: see include/pvshim/l0.h for what is forwarded. */
#include <pvshim/l0.h>
#include <pvshim/console.h>
#include <pvshim/heap.h>
#include <pvshim/log.h>
#include <pvshim/xen_abi.h>
#include <pvshim/soft_timer.h>
#include <pvshim/time.h>
#include <xen/hvm/hvm_op.h>
#include <xen/hvm/params.h>
#include "services.h"
#include "console_backend.h"
#include "xenstore_backend.h"
#include "xenstore.h"
#include "l0_internal.h"

/* Giving up on a console ring nobody drains: this many yields to L0. */
#define RING_FULL_YIELDS 10000

/* Global: one L0, set up once at boot; no lock (one CPU, console writes
 * run with interrupts off or from the boot path). */
static struct {
    const struct l0_arch *arch;
    uint16_t domid;                     /* the domain's id at L0, 0 if unknown */
    uint64_t shinfo_gfn;                /* where L0's shared_info is mapped */
    struct xencons_interface *cons;     /* L0's console ring, NULL if none */
    evtchn_port_t cons_port;            /* its L0 event channel */
    uint64_t cons_pfn;
    bool last_was_cr;                   /* the ring's last byte was '\r' */
    bool store_relayed;                 /* the guest's xenstore is L0's */
    volatile struct shared_info *shinfo; /* L0's, once mapped */
} l0;

static long hc(unsigned nr, unsigned long a1, unsigned long a2, unsigned long a3)
{
    return l0.arch->hypercall(nr, a1, a2, a3);
}

long l0_hypercall(unsigned nr, unsigned long a1, unsigned long a2, unsigned long a3)
{
    return hc(nr, a1, a2, a3);
}

volatile struct shared_info *l0_shared_info(void)
{
    return l0.shinfo;
}

uint32_t l0_console_port(void)
{
    return l0.cons ? l0.cons_port : 0;
}

long l0_hvm_get_param(uint32_t index, uint64_t *value)
{
    struct xen_hvm_param p = { .domid = DOMID_SELF, .index = index };
    long rc = hc(__HYPERVISOR_hvm_op, HVMOP_get_param, (unsigned long)&p, 0);
    if (rc == 0)
        *value = p.value;
    return rc;
}

long l0_hvm_set_param(uint32_t index, uint64_t value)
{
    struct xen_hvm_param p = { .domid = DOMID_SELF, .index = index, .value = value };
    return hc(__HYPERVISOR_hvm_op, HVMOP_set_param, (unsigned long)&p, 0);
}

void *l0_map(uint64_t gfn, unsigned slot)
{
    return l0.arch->map_frame(gfn, slot);
}

void l0_notify(evtchn_port_t port)
{
    struct evtchn_send s = { .port = port };
    hc(__HYPERVISOR_event_channel_op, EVTCHNOP_send, (unsigned long)&s, 0);
}

/* Into L0's console out-ring, '\r' before each bare '\n' (a terminal
 * under `xl console` needs it); waits for room by yielding to L0. */
static void ring_write(const char *s, size_t len)
{
    struct xencons_interface *r = l0.cons;
    XENCONS_RING_IDX prod = r->out_prod;

    for (size_t i = 0; i < len; i++) {
        char c = s[i];
        bool add_cr = c == '\n' && !l0.last_was_cr;
        for (int k = add_cr ? 0 : 1; k < 2; k++) {
            unsigned tries = 0;
            while (prod - __atomic_load_n(&r->out_cons, __ATOMIC_ACQUIRE) >= sizeof(r->out)) {
                if (tries++ == RING_FULL_YIELDS)
                    return;     /* the reader is gone: drop the rest */
                __atomic_store_n(&r->out_prod, prod, __ATOMIC_RELEASE);
                l0_notify(l0.cons_port);
                hc(__HYPERVISOR_sched_op, SCHEDOP_yield, 0, 0);
            }
            r->out[MASK_XENCONS_IDX(prod, r->out)] = k == 0 ? '\r' : c;
            prod++;
        }
        l0.last_was_cr = c == '\r';
    }
    __atomic_store_n(&r->out_prod, prod, __ATOMIC_RELEASE);
    l0_notify(l0.cons_port);
}

static int ring_read(void)
{
    struct xencons_interface *r = l0.cons;
    XENCONS_RING_IDX cons = r->in_cons;
    if (cons == __atomic_load_n(&r->in_prod, __ATOMIC_ACQUIRE))
        return -1;
    char c = r->in[MASK_XENCONS_IDX(cons, r->in)];
    __atomic_store_n(&r->in_cons, cons + 1, __ATOMIC_RELEASE);
    l0_notify(l0.cons_port);
    return (unsigned char)c;
}

static const struct console_sink l0_console_sink = {
    .kind = CONSOLE_XEN,
    .name = "xen-ring",
    .write = ring_write,
    .read = ring_read,
};

bool l0_active(void)
{
    return l0.arch != NULL;
}

uint16_t l0_domid(void)
{
    return l0.domid;
}

bool l0_console_up(void)
{
    return l0.cons != NULL;
}

void l0_attach(const struct l0_arch *arch)
{
    l0.arch = arch;
    l0.domid = arch->read_domid ? arch->read_domid() : 0;
}

bool l0_console_init(void)
{
    uint64_t pfn = 0, port = 0;

    if (!l0.arch)
        return false;
    long rc = l0_hvm_get_param(HVM_PARAM_CONSOLE_PFN, &pfn);
    if (rc == 0)
        rc = l0_hvm_get_param(HVM_PARAM_CONSOLE_EVTCHN, &port);
    if (rc || pfn == 0 || port == 0) {
        log_warn("l0: no console ring from L0 (rc %ld, pfn %#llx, port %llu)", rc,
                 (unsigned long long)pfn, (unsigned long long)port);
        return false;
    }
    l0.cons = l0_map(pfn, L0_SLOT_CONSOLE);
    if (!l0.cons) {
        log_warn("l0: cannot map the console ring at pfn %#llx", (unsigned long long)pfn);
        return false;
    }
    l0.cons_pfn = pfn;
    l0.cons_port = (evtchn_port_t)port;
    console_register(&l0_console_sink);
    log_info("l0: console ring at pfn %#llx, L0 port %u", (unsigned long long)pfn,
             l0.cons_port);
    return true;
}

/*
 * The wall clock from L0: its shared_info, mapped (XENMEM_add_to_physmap) at
 * gfn, a frame that is not RAM (L0 would free a RAM page it replaces): wc
 * plus vCPU 0's system time. 0 if L0 will not map it.
 */
uint64_t l0_wallclock_ns(uint64_t gfn)
{
    struct xen_add_to_physmap xatp = {
        .domid = DOMID_SELF, .space = XENMAPSPACE_shared_info, .idx = 0, .gpfn = gfn,
    };
    if (!l0.arch)
        return 0;
    /*
     * L0 picks the 64- or 32-bit shared_info layout from the vCPU's mode
     * when HVM_PARAM_CALLBACK_IRQ is set: set it (to "none") from 64-bit
     * code, so the layout is the one read here.
     */
    long rc = l0_hvm_set_param(HVM_PARAM_CALLBACK_IRQ, 0);
    if (rc)
        log_warn("l0: setting HVM_PARAM_CALLBACK_IRQ failed (%ld)", rc);
    rc = hc(__HYPERVISOR_memory_op, XENMEM_add_to_physmap, (unsigned long)&xatp, 0);
    volatile struct shared_info *s = rc ? NULL : l0_map(gfn, L0_SLOT_SHARED_INFO);
    if (!s) {
        log_warn("l0: L0's shared_info not mapped at gfn %#llx (rc %ld)",
                 (unsigned long long)gfn, rc);
        return 0;
    }
    l0.shinfo = s;
    l0.shinfo_gfn = gfn;
    uint32_t v;
    uint64_t sec, nsec, sys;
    do {
        v = s->wc_version;
        __atomic_thread_fence(__ATOMIC_ACQUIRE);
        sec = s->wc_sec | ((uint64_t)s->wc_sec_hi << 32);
        nsec = s->wc_nsec;
        __atomic_thread_fence(__ATOMIC_ACQUIRE);
    } while ((v & 1) || v != s->wc_version);
    do {
        v = s->vcpu_info[0].time.version;
        __atomic_thread_fence(__ATOMIC_ACQUIRE);
        sys = s->vcpu_info[0].time.system_time;
        __atomic_thread_fence(__ATOMIC_ACQUIRE);
    } while ((v & 1) || v != s->vcpu_info[0].time.version);
    log_info("l0: shared_info at gfn %#llx, wall clock %llu s", (unsigned long long)gfn,
             (unsigned long long)(sec + (nsec + sys) / 1000000000ull));
    return sec * 1000000000ull + nsec + sys;
}

bool l0_reconnect(void)
{
    if (!l0.arch || !l0.shinfo)
        return false;
    l0.domid = l0.arch->read_domid ? l0.arch->read_domid() : 0;
    uint64_t port = 0;
    if (l0.cons && !l0_hvm_get_param(HVM_PARAM_CONSOLE_EVTCHN, &port) && port)
        l0.cons_port = (evtchn_port_t)port;
    /* A new domain's shared_info: mapped again where the old one was. */
    l0.shinfo = NULL;
    uint64_t wc = l0_wallclock_ns(l0.shinfo_gfn);
    if (!l0.shinfo)
        return false;
    /* L0's wall clock again, but never back: pvshim's own count from the
     * TSC may have run ahead of L0's (an emulated TSC's calibration), and a
     * guest's clock that goes back across a restore is worse than one a
     * little ahead. */
    uint64_t now = now_ns();
    uint64_t at_boot = wc > now ? wc - now : 0;
    if (wc && at_boot > wallclock_at_boot_ns)
        wallclock_at_boot_ns = at_boot;
    if (!l0_store_reconnect(l0.domid))
        log_warn("l0: no xenstore from L0 after the restore");
    return l0_events_reconnect();
}

unsigned l0_shutdown_reason(enum pvshim_exit reason)
{
    switch (reason) {
    case EXIT_POWEROFF:     return SHUTDOWN_poweroff;
    case EXIT_REBOOT:       return SHUTDOWN_reboot;
    case EXIT_WATCHDOG:     return SHUTDOWN_watchdog;
    case EXIT_GUEST_CRASH:
    case EXIT_BAD_INPUT:
    case EXIT_INTERNAL_ERROR:
    default:                return SHUTDOWN_crash;
    }
}

void l0_shutdown(enum pvshim_exit reason)
{
    struct sched_shutdown s = { .reason = l0_shutdown_reason(reason) };
    if (!l0.arch)
        return;
    long rc = hc(__HYPERVISOR_sched_op, SCHEDOP_shutdown, (unsigned long)&s, 0);
    log_err("l0: SCHEDOP_shutdown(%u) returned %ld", s.reason, rc);
}

/* The guest's xenstore: L0's (relayed) when L0 gives the domain one. */
static evtchn_port_t store_bind(void)
{
    l0.store_relayed = l0_store_available();
    if (l0.store_relayed)
        return l0_store_bind();
    heap_init();        /* pvshim's own xenstore keeps its nodes there */
    return xenstore_backend_bind();
}

static void store_attach(mfn_t ring, const struct xenstore_guest_params *params)
{
    if (l0.store_relayed)
        l0_store_attach(ring, params->domid,
                        params->domain_memory_kb > params->memory_kb
                            ? params->domain_memory_kb - params->memory_kb : 0);
    else
        xenstore_backend_attach(ring, params);
}

uint8_t l0_route_upcall(void (*fn)(void))
{
    return l0.arch && l0.arch->route_upcall ? l0.arch->route_upcall(fn) : 0;
}

/* evtchn and gnttab_frame are set once L0's events are up (l0_events_init). */
struct xen_services l0_services = {
    .name = "l0",
    .console_io_write = console_write,
    .console_io_read = console_read_buf,
    .flush = console_backend_service,
    .store_bind = store_bind,
    .store_attach = store_attach,
};

void l0_forwarding_on(void)
{
    l0_services.evtchn = &l0_evtchn_forward;
    l0_services.gnttab_frame = l0_gnttab_frame_fn;
    l0_services.mem = &l0_mem_forward;
}
