/*
 * vCPUs (public/vcpu.h): ids dense from 0 with -ENOENT past the last, and,
 * when the domain has a second vCPU, bringing it up with VCPUOP_initialise
 * and VCPUOP_up, IPIs both ways through EVTCHNOP_bind_ipi ports, TLB
 * shootdowns that name vCPU 1 seen by it, and a down/up cycle in which
 * vCPU 1 resumes right after its own VCPUOP_down.
 *
 * vCPU 1 runs ap_main() with events masked and no trap table: it only
 * polls shared memory and event-channel pending bits and makes hypercalls.
 */
#include "pvtest.h"
#include "hypercall.h"
#include "events.h"
#include "traps.h"

#define PROBE_IDS       64              /* ids probed one by one */
#define CR4_TSD_BIT     (1ul << 2)
#define AP_TIMEOUT_NS   5000000000ull   /* Xen and QEMU's TCG on a busy host */

static unsigned nr_vcpus;               /* found by smp.vcpu_ids_dense */

/* ---- vCPU 1's side, and what it shares with vCPU 0 */
static uint8_t ap_stack[16384] __attribute__((aligned(16)));
static volatile unsigned ap_alive;      /* vCPU 1 set it on arrival */
static volatile unsigned ap_pings;      /* IPIs vCPU 1 answered */
static volatile unsigned ap_go_down;    /* vCPU 0 asks vCPU 1 to VCPUOP_down itself */
static volatile unsigned ap_resumed;    /* times vCPU 1 came back from VCPUOP_down */
static volatile long ap_down_rc;
static unsigned port_to_ap, port_to_bsp;    /* bind_ipi for vCPU 1, for vCPU 0 */
static volatile unsigned long ap_probe_va;  /* vCPU 1 reads a word here when asked */
static volatile unsigned ap_probe_req, ap_probe_done;
static volatile uint64_t ap_probe_value;

static void ap_main(void) __attribute__((noreturn, used));
static volatile uint64_t ap_cr4;        /* vCPU 1's CR4 as it reads it on arrival */

static void ap_main(void)
{
    ap_cr4 = probe_read_cr4();
    __atomic_store_n(&ap_alive, 1, __ATOMIC_RELEASE);
    for (;;) {
        if (port_pending(port_to_ap)) {
            port_clear(port_to_ap);
            struct evtchn_send s = { .port = port_to_bsp };
            hc_event_channel_op(EVTCHNOP_send, &s);
            __atomic_fetch_add(&ap_pings, 1, __ATOMIC_RELEASE);
        }
        unsigned req = __atomic_load_n(&ap_probe_req, __ATOMIC_ACQUIRE);
        if (req != ap_probe_done) {
            ap_probe_value = *(volatile uint64_t *)ap_probe_va;
            __atomic_store_n(&ap_probe_done, req, __ATOMIC_RELEASE);
        }
        if (__atomic_load_n(&ap_go_down, __ATOMIC_ACQUIRE)) {
            ap_go_down = 0;
            ap_down_rc = hc_vcpu_op(VCPUOP_down, 1, NULL);
            /* Here again only after VCPUOP_up(1). */
            __atomic_fetch_add(&ap_resumed, 1, __ATOMIC_RELEASE);
        }
        __asm__ volatile("pause");
    }
}

/* Wait (yielding) until *p reaches want; false on timeout. */
static bool wait_for(volatile unsigned *p, unsigned want)
{
    uint64_t give_up = system_time_ns() + AP_TIMEOUT_NS;
    while (__atomic_load_n(p, __ATOMIC_ACQUIRE) < want) {
        if (system_time_ns() > give_up)
            return false;
        hc_sched_op(SCHEDOP_yield, NULL);
    }
    return true;
}

static bool wait_down(unsigned vcpu)
{
    uint64_t give_up = system_time_ns() + AP_TIMEOUT_NS;
    while (hc_vcpu_op(VCPUOP_is_up, vcpu, NULL) != 0) {
        if (system_time_ns() > give_up)
            return false;
        hc_sched_op(SCHEDOP_yield, NULL);
    }
    return true;
}

/* is_up from 0: 0 or 1 for every vCPU, then -ENOENT for every id after. */
static void check_ids_dense(void)
{
    expect_rc(hc_vcpu_op(VCPUOP_is_up, 0, NULL), 1);
    unsigned n = 0;
    long rc;
    while (n < PROBE_IDS && (rc = hc_vcpu_op(VCPUOP_is_up, n, NULL)) >= 0) {
        expect(rc == 0 || rc == 1, "is_up(%u) returned %ld", n, rc);
        n++;
    }
    nr_vcpus = n;
    printf("INFO vcpus: %u\n", n);
    for (unsigned id = n; id < PROBE_IDS; id++)
        expect(hc_vcpu_op(VCPUOP_is_up, id, NULL) == -XEN_ENOENT,
               "is_up(%u) past the last vCPU is not -ENOENT", id);
    expect_rc(hc_vcpu_op(VCPUOP_is_up, 8191, NULL), -XEN_ENOENT);
    /* Every sub-op looks the id up first. */
    struct vcpu_runstate_info rs;
    expect_rc(hc_vcpu_op(VCPUOP_get_runstate_info, n, &rs), -XEN_ENOENT);
    expect_rc(hc_vcpu_op(VCPUOP_up, n, NULL), -XEN_ENOENT);
    expect_rc(hc_vcpu_op(VCPUOP_down, n, NULL), -XEN_ENOENT);
    static struct vcpu_guest_context none;
    expect_rc(hc_vcpu_op(VCPUOP_initialise, n, &none), -XEN_ENOENT);
}

static long bind_ipi(unsigned vcpu)
{
    struct evtchn_bind_ipi b = { .vcpu = vcpu };
    long rc = hc_event_channel_op(EVTCHNOP_bind_ipi, &b);
    return rc ? rc : (long)b.port;
}

/* vCPU 1: initialise once (-EEXIST after), up, and it runs ap_main. */
static void check_vcpu1_up(void)
{
    if (nr_vcpus < 2)
        check_skip_current("one vCPU");
    expect_rc(hc_vcpu_op(VCPUOP_is_up, 1, NULL), 0);
    /* Not initialised yet: up is refused. */
    expect_rc(hc_vcpu_op(VCPUOP_up, 1, NULL), -XEN_EINVAL);

    long p = bind_ipi(1), q = bind_ipi(0);
    if (!expect(p > 0 && q > 0, "bind_ipi: %ld, %ld", p, q))
        return;
    port_to_ap = (unsigned)p;
    port_to_bsp = (unsigned)q;
    port_mask(port_to_ap, true);        /* polled, never delivered as upcalls */
    port_mask(port_to_bsp, true);

    static struct vcpu_guest_context ctx;
    memset(&ctx, 0, sizeof(ctx));
    ctx.flags = VGCF_in_kernel;
    ctx.user_regs.rip = (unsigned long)ap_main;
    ctx.user_regs.rsp = (unsigned long)(ap_stack + sizeof(ap_stack) - 8);  /* as after a call */
    ctx.user_regs.cs = FLAT_KERNEL_CS;
    ctx.user_regs.ss = FLAT_KERNEL_SS;
    ctx.user_regs.ds = ctx.user_regs.es = FLAT_KERNEL_DS;
    ctx.user_regs.rflags = 0x202;
    ctx.kernel_ss = FLAT_KERNEL_SS;
    ctx.kernel_sp = ctx.user_regs.rsp;
    ctx.ctrlreg[3] = probe_read_cr3() & ~0xfffUL;  /* xen_pfn_to_cr3 = mfn << 12 (64-bit) */
    /* CR4.TSD, a bit the guest controls: vCPU 1 starts with it, vCPU 0 keeps its own. */
    uint64_t cr4 = probe_read_cr4();
    ctx.ctrlreg[4] = cr4 | CR4_TSD_BIT;
    expect_rc(hc_vcpu_op(VCPUOP_initialise, 1, &ctx), 0);
    expect_rc(hc_vcpu_op(VCPUOP_initialise, 1, &ctx), -XEN_EEXIST);
    expect_rc(hc_vcpu_op(VCPUOP_is_up, 1, NULL), 0);
    expect_rc(hc_vcpu_op(VCPUOP_up, 1, NULL), 0);
    expect(wait_for(&ap_alive, 1), "vCPU 1 did not start running");
    expect(ap_alive && (ap_cr4 & CR4_TSD_BIT), "vCPU 1's CR4 %#lx lacks TSD from ctrlreg[4]",
           (unsigned long)ap_cr4);
    expect(!(probe_read_cr4() & CR4_TSD_BIT), "vCPU 0's CR4 %#lx gained TSD",
           (unsigned long)probe_read_cr4());
    expect_rc(hc_vcpu_op(VCPUOP_is_up, 1, NULL), 1);
    expect_rc(hc_vcpu_op(VCPUOP_up, 1, NULL), 0);      /* already up */
}

/* vCPU 0 -> 1 through port_to_ap, 1 -> 0 through port_to_bsp. */
static void check_ipi_both_ways(void)
{
    if (!ap_alive)
        check_skip_current("vCPU 1 is not running");
    for (unsigned i = 1; i <= 3; i++) {
        port_clear(port_to_bsp);
        struct evtchn_send s = { .port = port_to_ap };
        expect_rc(hc_event_channel_op(EVTCHNOP_send, &s), 0);
        if (!expect(wait_for(&ap_pings, i), "vCPU 1 did not answer IPI %u", i))
            return;
        expect(port_pending(port_to_bsp), "IPI %u from vCPU 1 is not pending on vCPU 0", i);
    }
    /* An IPI port belongs to its vCPU: it cannot be moved. */
    struct evtchn_bind_vcpu bv = { .port = port_to_ap, .vcpu = 0 };
    expect_rc(hc_event_channel_op(EVTCHNOP_bind_vcpu, &bv), -XEN_EINVAL);
}

/* What vCPU 1 reads at ap_probe_va now; ~0 if it does not answer. */
static uint64_t ap_read_probe(void)
{
    unsigned req = ap_probe_req + 1;
    __atomic_store_n(&ap_probe_req, req, __ATOMIC_RELEASE);
    if (!wait_for(&ap_probe_done, req))
        return ~0ull;
    return ap_probe_value;
}

/*
 * A page vCPU 1 has read through a mapping is remapped by vCPU 0 with a
 * local invlpg only, then each shootdown that names vCPU 1 must have
 * dropped vCPU 1's translation before it returns: vCPU 1 reads the new frame.
 */
static void check_tlb_shootdown(void)
{
    if (!ap_alive)
        check_skip_current("vCPU 1 is not running");
    unsigned long pfn[2] = { alloc_pfn(), alloc_pfn() };
    for (unsigned i = 0; i < 2; i++) {
        uint64_t *w = map_pfn(pfn[i], true);
        *w = 0x5eed0000ull + i;
        unmap_va(w);
    }
    uint64_t *probe = map_pfn(pfn[0], false);
    ap_probe_va = (unsigned long)probe;
    if (!expect(ap_read_probe() == 0x5eed0000ull, "vCPU 1 does not read the first frame"))
        return;
    static const struct { unsigned cmd; bool mask; const char *name; } ops[] = {
        { MMUEXT_TLB_FLUSH_MULTI, true, "TLB_FLUSH_MULTI" },
        { MMUEXT_INVLPG_MULTI, true, "INVLPG_MULTI" },
        { MMUEXT_TLB_FLUSH_ALL, false, "TLB_FLUSH_ALL" },
        { MMUEXT_INVLPG_ALL, false, "INVLPG_ALL" },
        { 0, true, "update_va_mapping UVMF_INVLPG|mask" },
    };
    unsigned cur = 0;
    for (unsigned k = 0; k < sizeof(ops) / sizeof(ops[0]); k++) {
        cur ^= 1;
        uint64_t pte = (pfn_to_mfn(pfn[cur]) << 12) | PTE_P | PTE_US | PTE_A;
        unsigned long vcpu1 = 1ul << 1;
        if (ops[k].cmd) {
            expect_rc(hc_update_va_mapping((unsigned long)probe, pte, UVMF_INVLPG), 0);
            struct mmuext_op op = { .cmd = ops[k].cmd };
            op.arg1.linear_addr = (unsigned long)probe;
            if (ops[k].mask)
                op.arg2.vcpumask.p = &vcpu1;
            expect_rc(hc_mmuext_op(&op, 1, NULL, DOMID_SELF), 0);
        } else {
            /* The flush's targets as a bitmap pointer in the flags. */
            expect_rc(hc_update_va_mapping((unsigned long)probe, pte,
                                           UVMF_INVLPG | (unsigned long)&vcpu1), 0);
        }
        uint64_t seen = ap_read_probe();
        expect(seen == 0x5eed0000ull + cur, "after %s vCPU 1 reads %#lx, not %#lx", ops[k].name,
               (unsigned long)seen, (unsigned long)(0x5eed0000ull + cur));
    }
    unmap_va(probe);
}

/* vCPU 1 takes itself down, comes back after its VCPUOP_down when brought up. */
static void check_down_up_cycle(void)
{
    if (!ap_alive)
        check_skip_current("vCPU 1 is not running");
    for (unsigned i = 1; i <= 2; i++) {
        __atomic_store_n(&ap_go_down, 1, __ATOMIC_RELEASE);
        if (!expect(wait_down(1), "vCPU 1 is still up after its VCPUOP_down (%u)", i))
            return;
        expect_eq(ap_resumed, i - 1);
        expect_rc(hc_vcpu_op(VCPUOP_up, 1, NULL), 0);
        if (!expect(wait_for(&ap_resumed, i), "vCPU 1 did not resume after VCPUOP_down"))
            return;
        expect_rc(ap_down_rc, 0);
        expect_rc(hc_vcpu_op(VCPUOP_is_up, 1, NULL), 1);
    }
    /* It still answers IPIs. */
    unsigned before = ap_pings;
    struct evtchn_send s = { .port = port_to_ap };
    expect_rc(hc_event_channel_op(EVTCHNOP_send, &s), 0);
    expect(wait_for(&ap_pings, before + 1), "no IPI answer after the cycle");
    /* Leave it down: nothing else in pvtest64 expects a second vCPU. */
    __atomic_store_n(&ap_go_down, 1, __ATOMIC_RELEASE);
    expect(wait_down(1), "vCPU 1 did not go down at the end");
}

/* The IPI ports go, whatever happened: later checks count ports from scratch. */
static void close_ipi_ports(void)
{
    if (port_to_ap)
        expect_rc(evtchn_close(port_to_ap), 0);
    if (port_to_bsp)
        expect_rc(evtchn_close(port_to_bsp), 0);
    port_to_ap = port_to_bsp = 0;
}

void smp_checks(void)
{
    run_check("smp.vcpu_ids_dense", check_ids_dense);
    run_check("smp.vcpu1_initialise_up", check_vcpu1_up);
    run_check("smp.ipi_both_ways", check_ipi_both_ways);
    run_check("smp.tlb_shootdown", check_tlb_shootdown);
    run_check("smp.down_up_cycle", check_down_up_cycle);
    if (port_to_ap || port_to_bsp)
        run_check("smp.close_ipi_ports", close_ipi_ports);
}
