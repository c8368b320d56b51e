/*
 * vCPUs of a 32-bit guest (public/vcpu.h in its 32-bit layouts): ids dense
 * from 0 with -ENOENT past the last and, when the domain has a second
 * vCPU, giving it its own vcpu_info (VCPUOP_register_vcpu_info from vCPU
 * 0), bringing it up in 32-bit mode with VCPUOP_initialise (the 2800-byte
 * i386 vcpu_guest_context, CR3 rotated) and VCPUOP_up, IPIs both ways
 * through EVTCHNOP_bind_ipi ports (an IPI raises the notified vCPU's own
 * selector), its runstate in the 44-byte layout, TLB shootdowns that name
 * vCPU 1 (32-bit vCPU bitmaps) seen by it, and a down/up cycle in which
 * vCPU 1 resumes right after its own VCPUOP_down.
 *
 * vCPU 1 runs ap_main() with events masked and no trap table: it only
 * polls shared memory and event-channel pending bits and makes hypercalls.
 */
#include "pvtest32.h"
#include "guest_clock.h"

#define PROBE_IDS       64              /* ids probed one by one */
#define AP_TIMEOUT_NS   5000000000ull   /* QEMU's TCG on a busy host */
#define RW_FLAGS        (PTE_P | PTE_RW | PTE_A | PTE_D)

static unsigned nr_vcpus;               /* found by smp.vcpu_ids_dense */

/* ---- vCPU 1's side, and what it shares with vCPU 0 */
static uint8_t ap_stack[8192] __attribute__((aligned(16)));
static volatile unsigned ap_alive;      /* vCPU 1 set it on arrival */
static volatile uint32_t ap_entry_ds, ap_entry_cs;
static volatile unsigned ap_pings;      /* IPIs vCPU 1 answered */
static volatile uint32_t ap_sel_seen;   /* vCPU 1's own pending_sel when an IPI came */
static volatile unsigned ap_go_down;    /* vCPU 0 asks vCPU 1 to VCPUOP_down itself */
static volatile unsigned ap_resumed;    /* times vCPU 1 came back from VCPUOP_down */
static volatile long ap_down_rc;
static unsigned port_to_ap, port_to_bsp;    /* bind_ipi for vCPU 1, for vCPU 0 */
static volatile uint32_t ap_probe_va;       /* vCPU 1 reads a word here when asked */
static volatile unsigned ap_probe_req, ap_probe_done;
static volatile uint32_t ap_probe_value;
/* vCPU 1's vcpu_info: its shared_info slot until registered elsewhere. */
static struct vcpu_info *volatile vi1;

static long vcpu_op(int cmd, unsigned vcpu, void *arg)
{
    return hypercall3(__HYPERVISOR_vcpu_op, cmd, vcpu, arg);
}

static long evtchn_op(int cmd, void *arg)
{
    return hypercall2(__HYPERVISOR_event_channel_op, cmd, arg);
}

static bool port_pending(unsigned port)
{
    return __atomic_load_n(&shinfo->evtchn_pending[port / 32], __ATOMIC_ACQUIRE) &
           (1u << (port % 32));
}

static void port_clear(unsigned port)
{
    __atomic_fetch_and(&shinfo->evtchn_pending[port / 32], ~(1u << (port % 32)),
                       __ATOMIC_SEQ_CST);
}

/* vCPU 1's first DS does not load (check_vcpu1_up): its failsafe
 * callback (head.asm) records the frame and comes here. */
volatile uint32_t ap_failsafe_ds, ap_failsafe_cs;
extern char ap_failsafe[];
void ap_main(void) __attribute__((noreturn, used));
void ap_main(void)
{
    uint32_t ds, cs;
    __asm__ volatile("mov %%ds, %0; mov %%cs, %1" : "=r"(ds), "=r"(cs));
    ap_entry_ds = ds;
    ap_entry_cs = cs;
    __atomic_store_n(&ap_alive, 1, __ATOMIC_RELEASE);
    for (;;) {
        if (port_pending(port_to_ap)) {
            port_clear(port_to_ap);
            ap_sel_seen |= __atomic_exchange_n(&vi1->evtchn_pending_sel, 0, __ATOMIC_SEQ_CST);
            struct evtchn_send s = { .port = port_to_bsp };
            evtchn_op(EVTCHNOP_send, &s);
            __atomic_fetch_add(&ap_pings, 1, __ATOMIC_RELEASE);
        }
        unsigned req = __atomic_load_n(&ap_probe_req, __ATOMIC_ACQUIRE);
        if (req != ap_probe_done) {
            ap_probe_value = *(volatile uint32_t *)ap_probe_va;
            __atomic_store_n(&ap_probe_done, req, __ATOMIC_RELEASE);
        }
        if (__atomic_load_n(&ap_go_down, __ATOMIC_ACQUIRE)) {
            ap_go_down = 0;
            ap_down_rc = vcpu_op(VCPUOP_down, 1, NULL);
            /* Here again only after VCPUOP_up(1). */
            __atomic_fetch_add(&ap_resumed, 1, __ATOMIC_RELEASE);
        }
        __asm__ volatile("pause");
    }
}

/* From vCPU 0's time info: vCPU 1's runstate times come from its own clock. */
static uint64_t now_ns(void)
{
    return guest_system_time(&shinfo->vcpu_info[0].time);
}

/* Wait (yielding) until *p reaches want; false on timeout. */
static bool wait_for(volatile unsigned *p, unsigned want)
{
    uint64_t give_up = now_ns() + AP_TIMEOUT_NS;
    while (__atomic_load_n(p, __ATOMIC_ACQUIRE) < want) {
        if (now_ns() > give_up)
            return false;
        hypercall2(__HYPERVISOR_sched_op, SCHEDOP_yield, 0);
    }
    return true;
}

static bool wait_down(unsigned vcpu)
{
    uint64_t give_up = now_ns() + AP_TIMEOUT_NS;
    while (vcpu_op(VCPUOP_is_up, vcpu, NULL) != 0) {
        if (now_ns() > give_up)
            return false;
        hypercall2(__HYPERVISOR_sched_op, SCHEDOP_yield, 0);
    }
    return true;
}

/* is_up from 0: 0 or 1 for every vCPU, then -ENOENT for every id after. */
static void check_ids_dense(void)
{
    expect_rc(vcpu_op(VCPUOP_is_up, 0, NULL), 1);
    unsigned n = 0;
    long rc;
    while (n < PROBE_IDS && (rc = vcpu_op(VCPUOP_is_up, n, NULL)) >= 0) {
        expect(rc == 0 || rc == 1, "is_up(%u) returned %ld", n, rc);
        n++;
    }
    nr_vcpus = n;
    printf("INFO vcpus: %u\n", n);
    for (unsigned id = n; id < PROBE_IDS; id++)
        expect(vcpu_op(VCPUOP_is_up, id, NULL) == -XEN_ENOENT,
               "is_up(%u) past the last vCPU is not -ENOENT", id);
    static struct vcpu_guest_context none;
    struct vcpu_runstate_info rs;
    expect_rc(vcpu_op(VCPUOP_get_runstate_info, n, &rs), -XEN_ENOENT);
    expect_rc(vcpu_op(VCPUOP_initialise, n, &none), -XEN_ENOENT);
    expect_rc(vcpu_op(VCPUOP_up, n, NULL), -XEN_ENOENT);
    expect_rc(vcpu_op(VCPUOP_down, n, NULL), -XEN_ENOENT);
}

static long bind_ipi(unsigned vcpu)
{
    struct evtchn_bind_ipi b = { .vcpu = vcpu };
    long rc = evtchn_op(EVTCHNOP_bind_ipi, &b);
    return rc ? rc : (long)b.port;
}

/* vCPU 1's first context: ring 1, flat selectors, our L3 (rotated CR3). */
static void ap_context(struct vcpu_guest_context *ctx)
{
    memset(ctx, 0, sizeof(*ctx));
    ctx->flags = VGCF_in_kernel;
    ctx->user_regs.eip = (uint32_t)ap_main;
    ctx->user_regs.esp = (uint32_t)(ap_stack + sizeof(ap_stack) - 4);  /* as after a call */
    ctx->user_regs.cs = RING1_CS & ~3;      /* RPL 0: raised to 1 */
    ctx->user_regs.ss = RING1_DS;
    ctx->user_regs.ds = ctx->user_regs.es = RING1_DS;
    ctx->user_regs.fs = ctx->user_regs.gs = RING1_DS;
    ctx->user_regs.eflags = 0x202;
    ctx->kernel_ss = RING1_DS;
    ctx->kernel_sp = ctx->user_regs.esp;
    ctx->ctrlreg[3] = xen_pfn_to_cr3(virt_to_mfn((void *)si->pt_base));
}

/*
 * The context's checks, each refused with vCPU 1 left as it was: VM86
 * flags, an LDT base not page aligned, too many GDT entries, a CR3 that
 * is not a page table.
 */
static void check_initialise_refusals(void)
{
    if (nr_vcpus < 2)
        return;
    static struct vcpu_guest_context ctx;
    ap_context(&ctx);
    ctx.user_regs.eflags |= 0x20000;
    expect_rc(vcpu_op(VCPUOP_initialise, 1, &ctx), -XEN_EINVAL);
    ap_context(&ctx);
    ctx.ldt_base = 0xc0000800u;
    ctx.ldt_ents = 1;
    expect_rc(vcpu_op(VCPUOP_initialise, 1, &ctx), -XEN_EINVAL);
    ap_context(&ctx);
    ctx.gdt_ents = 15 * 512;
    expect_rc(vcpu_op(VCPUOP_initialise, 1, &ctx), -XEN_EINVAL);
    ap_context(&ctx);
    ctx.ctrlreg[3] = xen_pfn_to_cr3(virt_to_mfn(ap_stack));    /* a writable data page */
    expect(vcpu_op(VCPUOP_initialise, 1, &ctx) < 0, "a data page taken as the L3");
    /* Not initialised after all that: up is refused. */
    expect_rc(vcpu_op(VCPUOP_up, 1, NULL), -XEN_EINVAL);
}

/*
 * vCPU 0 places vCPU 1's vcpu_info in a page of its own (as Linux does for
 * each CPU before bringing it up): the new area in the 32-bit layout
 * (everything pending: selector word at byte 4 all ones, CR2 at byte 8
 * kept), vCPU 0's own vcpu_info untouched.
 */
static void check_register_vcpu_info(void)
{
    uint32_t pfn = alloc_pfn(), va = scratch_va(27);
    uint64_t pte = ((uint64_t)p2m[pfn] << 12) | PTE_P | PTE_RW | PTE_A | PTE_D;
    if (!expect_rc(hypercall4(__HYPERVISOR_update_va_mapping, va, (uint32_t)pte,
                              (uint32_t)(pte >> 32), UVMF_INVLPG), 0))
        return;
    memset((void *)va, 0, PG_SIZE);
    struct vcpu_info *area = (struct vcpu_info *)(va + 128);
    shinfo->vcpu_info[1].arch.cr2 = 0x1234567;
    shinfo->vcpu_info[0].evtchn_pending_sel = 0;
    struct vcpu_register_vcpu_info r = { .mfn = p2m[pfn], .offset = 128 };
    expect_rc(vcpu_op(VCPUOP_register_vcpu_info, 1, &r), 0);
    expect_eq(area->evtchn_upcall_pending, 1);
    expect_eq(area->evtchn_pending_sel, 0xffffffffu);
    expect_eq(area->arch.cr2, 0x1234567);
    expect_eq(shinfo->vcpu_info[0].evtchn_pending_sel, 0);
    /* Once only. */
    expect(vcpu_op(VCPUOP_register_vcpu_info, 1, &r) < 0, "registered twice");
    area->evtchn_pending_sel = 0;
    area->evtchn_upcall_pending = 0;
    area->evtchn_upcall_mask = 1;
    vi1 = area;
}

/* vCPU 1: initialise once (-EEXIST after), up, and it runs ap_main in ring 1. */
static void check_vcpu1_up(void)
{
    if (nr_vcpus < 2)
        return;
    expect_rc(vcpu_op(VCPUOP_is_up, 1, NULL), 0);
    expect_rc(vcpu_op(VCPUOP_up, 1, NULL), -XEN_EINVAL);

    long p = bind_ipi(1), q = bind_ipi(0);
    if (!expect(p > 0 && q > 0, "bind_ipi: %ld, %ld", p, q))
        return;
    port_to_ap = (unsigned)p;
    port_to_bsp = (unsigned)q;
    /* vCPU 0's port is polled, never an upcall; vCPU 1's raises its own selector. */
    shinfo->evtchn_mask[port_to_bsp / 32] |= 1u << (port_to_bsp % 32);

    static struct vcpu_guest_context ctx;
    ap_context(&ctx);
    /* A DS that cannot load (GDT entry 511: no guest GDT): the first entry
     * is the failsafe callback's, at FLAT_RING1_CS, its frame carrying the
     * DS the context asked for (Xen's load_segments). */
    ctx.user_regs.ds = 0x0ffb;
    ctx.failsafe_callback_cs = RING1_CS & ~3;
    ctx.failsafe_callback_eip = (uint32_t)ap_failsafe;
    ap_failsafe_ds = ap_failsafe_cs = 0xdead;
    expect_rc(vcpu_op(VCPUOP_initialise, 1, &ctx), 0);
    expect_rc(vcpu_op(VCPUOP_initialise, 1, &ctx), -XEN_EEXIST);
    expect_rc(vcpu_op(VCPUOP_is_up, 1, NULL), 0);
    expect_rc(vcpu_op(VCPUOP_up, 1, NULL), 0);
    if (!expect(wait_for(&ap_alive, 1), "vCPU 1 did not start running"))
        return;
    expect_eq(ap_entry_cs, RING1_CS);
    expect_eq(ap_entry_ds, RING1_DS);
    expect_eq(ap_failsafe_ds, 0x0ffb);
    expect_eq(ap_failsafe_cs & 0xffff, RING1_CS);
    expect_rc(vcpu_op(VCPUOP_is_up, 1, NULL), 1);
    expect_rc(vcpu_op(VCPUOP_up, 1, NULL), 0);      /* already up */
    /* The 44-byte runstate: running, its times adding up to no more than now. */
    struct vcpu_runstate_info rs;
    memset(&rs, 0xaa, sizeof(rs));
    expect_rc(vcpu_op(VCPUOP_get_runstate_info, 1, &rs), 0);
    expect_eq(rs.state, RUNSTATE_running);
    expect(rs.state_entry_time && rs.state_entry_time <= now_ns(),
           "state_entry_time %llu", (unsigned long long)rs.state_entry_time);
    expect(rs.time[RUNSTATE_offline] < now_ns(), "offline time %llu",
           (unsigned long long)rs.time[RUNSTATE_offline]);
}

/* vCPU 0 -> 1 through port_to_ap, 1 -> 0 through port_to_bsp. */
static void check_ipi_both_ways(void)
{
    if (!expect(nr_vcpus < 2 || ap_alive, "vCPU 1 is not running") || nr_vcpus < 2)
        return;
    shinfo->vcpu_info[0].evtchn_pending_sel &= ~(1u << (port_to_ap / 32));
    for (unsigned i = 1; i <= 3; i++) {
        port_clear(port_to_bsp);
        struct evtchn_send s = { .port = port_to_ap };
        expect_rc(evtchn_op(EVTCHNOP_send, &s), 0);
        if (!expect(wait_for(&ap_pings, i), "vCPU 1 did not answer IPI %u", i))
            return;
        expect(port_pending(port_to_bsp), "IPI %u from vCPU 1 is not pending on vCPU 0", i);
    }
    /* The IPI raised vCPU 1's selector word (in its registered vcpu_info), not vCPU 0's. */
    expect(ap_sel_seen & (1u << (port_to_ap / 32)), "vCPU 1's pending_sel %#x",
           (unsigned)ap_sel_seen);
    expect(!(shinfo->vcpu_info[0].evtchn_pending_sel & (1u << (port_to_ap / 32))),
           "vCPU 0's selector raised for vCPU 1's port");
    /* An IPI port belongs to its vCPU: it cannot be moved. */
    struct evtchn_bind_vcpu bv = { .port = port_to_ap, .vcpu = 0 };
    expect_rc(evtchn_op(EVTCHNOP_bind_vcpu, &bv), -XEN_EINVAL);
}

/* What vCPU 1 reads at ap_probe_va now; ~0 if it does not answer. */
static uint32_t ap_read_probe(void)
{
    unsigned req = ap_probe_req + 1;
    __atomic_store_n(&ap_probe_req, req, __ATOMIC_RELEASE);
    if (!wait_for(&ap_probe_done, req))
        return ~0u;
    return ap_probe_value;
}

static long uvm(uint32_t va, uint64_t pte, uint32_t flags)
{
    return hypercall4(__HYPERVISOR_update_va_mapping, va, (uint32_t)pte,
                      (uint32_t)(pte >> 32), flags);
}

/*
 * A page vCPU 1 has read through a mapping is remapped by vCPU 0 with a
 * local invlpg only, then each shootdown that names vCPU 1 (a bitmap of
 * 32-bit words) must have dropped vCPU 1's translation before it returns.
 */
static void check_tlb_shootdown(void)
{
    if (!expect(nr_vcpus < 2 || ap_alive, "vCPU 1 is not running") || nr_vcpus < 2)
        return;
    uint32_t pfn[2] = { alloc_pfn(), alloc_pfn() };
    uint32_t probe = scratch_va(20);
    for (unsigned i = 0; i < 2; i++) {
        expect_rc(uvm(probe, ((uint64_t)p2m[pfn[i]] << 12) | RW_FLAGS, UVMF_INVLPG), 0);
        *(volatile uint32_t *)probe = 0x5eed0000u + i;
    }
    expect_rc(uvm(probe, ((uint64_t)p2m[pfn[0]] << 12) | PTE_P | PTE_A, UVMF_INVLPG), 0);
    ap_probe_va = probe;
    if (!expect(ap_read_probe() == 0x5eed0000u, "vCPU 1 does not read the first frame"))
        return;
    static const struct { unsigned cmd; bool mask; const char *name; } ops[] = {
        { MMUEXT_TLB_FLUSH_MULTI, true, "TLB_FLUSH_MULTI" },
        { MMUEXT_INVLPG_MULTI, true, "INVLPG_MULTI" },
        { MMUEXT_TLB_FLUSH_ALL, false, "TLB_FLUSH_ALL" },
        { MMUEXT_INVLPG_ALL, false, "INVLPG_ALL" },
        { 0, true, "update_va_mapping UVMF_INVLPG|mask" },
    };
    unsigned cur = 0;
    for (unsigned k = 0; k < ARRAY_LEN(ops); k++) {
        cur ^= 1;
        uint64_t pte = ((uint64_t)p2m[pfn[cur]] << 12) | PTE_P | PTE_A;
        static uint32_t vcpu1 = 1u << 1;
        if (ops[k].cmd) {
            expect_rc(uvm(probe, pte, UVMF_INVLPG), 0);
            struct mmuext_op op = { .cmd = ops[k].cmd };
            op.arg1.linear_addr = probe;
            if (ops[k].mask)
                op.arg2.vcpumask.p = (void *)&vcpu1;
            expect_rc(hypercall4(__HYPERVISOR_mmuext_op, &op, 1, 0, DOMID_SELF), 0);
        } else {
            expect_rc(uvm(probe, pte, UVMF_INVLPG | (uint32_t)&vcpu1), 0);
        }
        uint32_t seen = ap_read_probe();
        expect(seen == 0x5eed0000u + cur, "after %s vCPU 1 reads %#x, not %#x", ops[k].name,
               (unsigned)seen, 0x5eed0000u + cur);
    }
    expect_rc(uvm(probe, 0, UVMF_INVLPG), 0);
}

/* vCPU 1 takes itself down, comes back after its VCPUOP_down when brought up. */
static void check_down_up_cycle(void)
{
    if (!expect(nr_vcpus < 2 || ap_alive, "vCPU 1 is not running") || nr_vcpus < 2)
        return;
    for (unsigned i = 1; i <= 2; i++) {
        __atomic_store_n(&ap_go_down, 1, __ATOMIC_RELEASE);
        if (!expect(wait_down(1), "vCPU 1 is still up after its VCPUOP_down (%u)", i))
            return;
        expect_eq(ap_resumed, i - 1);
        struct vcpu_runstate_info rs;
        expect_rc(vcpu_op(VCPUOP_get_runstate_info, 1, &rs), 0);
        expect_eq(rs.state, RUNSTATE_offline);
        expect_rc(vcpu_op(VCPUOP_up, 1, NULL), 0);
        if (!expect(wait_for(&ap_resumed, i), "vCPU 1 did not resume after VCPUOP_down"))
            return;
        expect_rc(ap_down_rc, 0);
        expect_rc(vcpu_op(VCPUOP_is_up, 1, NULL), 1);
    }
    /* It still answers IPIs. */
    unsigned before = ap_pings;
    struct evtchn_send s = { .port = port_to_ap };
    expect_rc(evtchn_op(EVTCHNOP_send, &s), 0);
    expect(wait_for(&ap_pings, before + 1), "no IPI answer after the cycle");
    /* Leave it down: nothing else expects a second vCPU. */
    __atomic_store_n(&ap_go_down, 1, __ATOMIC_RELEASE);
    expect(wait_down(1), "vCPU 1 did not go down at the end");
    struct evtchn_close c = { .port = port_to_ap };
    expect_rc(evtchn_op(EVTCHNOP_close, &c), 0);
    c.port = port_to_bsp;
    expect_rc(evtchn_op(EVTCHNOP_close, &c), 0);
}

void smp_checks(void)
{
    run_check("smp.vcpu_ids_dense", check_ids_dense);
    if (nr_vcpus < 2) {
        printf("INFO smp: one vCPU, the vCPU 1 checks need -smp 2\n");
        return;
    }
    run_check("smp.initialise_refusals", check_initialise_refusals);
    vi1 = &shinfo->vcpu_info[1];
    run_check("smp.register_vcpu_info", check_register_vcpu_info);
    run_check("smp.vcpu1_initialise_up", check_vcpu1_up);
    run_check("smp.ipi_both_ways", check_ipi_both_ways);
    run_check("smp.tlb_shootdown", check_tlb_shootdown);
    run_check("smp.down_up_cycle", check_down_up_cycle);
}
