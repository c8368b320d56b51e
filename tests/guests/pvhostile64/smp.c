/*
 * pvhostile64 on every vCPU at once. When the domain has more than one
 * vCPU, vCPU 0 brings the others up (VCPUOP_initialise + up, on our own
 * L4) and each runs racer_main(): page-type changes, pins and unpins,
 * mmu_update, update_va_mapping, ptwr stores, writes through its own
 * mappings and MMUEXT shootdowns, all on one small shared pool of frames
 * and one shared run of L1 entries, so the vCPUs race each other on the
 * same frames (vCPU 0 joins in between its own attacks). At the end the
 * racers serve vCPU 0's stale-mapping probes (below), take themselves
 * down, and vCPU 0 checks what must hold whatever the interleaving: no writable mapping of a page table, no write through
 * a stale mapping inside a live table, and no type reference left behind
 * once every pin and mapping is gone.
 */
#include "hostile.h"

unsigned nr_cpus = 1;
unsigned long race_mfn[RACE_FRAMES];
unsigned long race_pfn0;
unsigned long race_va;                  /* RACE_VAS pages after the sacrificial ones */
static unsigned long race_l1_mfn;       /* the live L1 holding their entries */
static unsigned race_l1_first;          /* index in it of race_va's entry */
static volatile bool race_stop;
static volatile unsigned racers_running;
unsigned long race_ops[MAX_CPUS];
unsigned long racer_traps[MAX_CPUS];
static volatile bool racer_recovering[MAX_CPUS];    /* read by the trap path */
static uint64_t racer_ctx[MAX_CPUS][8];
static uint64_t racer_rng[MAX_CPUS];
static uint8_t racer_stack[MAX_CPUS][16384] __attribute__((aligned(16)));

/* What a racer writes through its writable mappings: an entry mapping our
 * live L4 writable. It can never be accepted into a live table, so finding
 * it in one means a write went through a mapping pvshim failed to flush. */
static uint64_t poison(void)
{
    return (l4_mfn << 12) | PTE_P | PTE_RW | PTE_US | PTE_A;
}

unsigned cpu_of_stack(const void *sp)
{
    uintptr_t p = (uintptr_t)sp, base = (uintptr_t)racer_stack;
    if (p >= base && p < base + sizeof(racer_stack))
        return (unsigned)((p - base) / sizeof(racer_stack[0]));
    return 0;
}

bool racer_trap(unsigned cpu)
{
    racer_traps[cpu]++;
    if (!racer_recovering[cpu])
        return false;
    hostile_longjmp(racer_ctx[cpu]);
}

static uint64_t rrnd(unsigned cpu)
{
    uint64_t x = racer_rng[cpu];
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    racer_rng[cpu] = x;
    return x * 0x2545f4914f6cdd1dull;
}

static uint64_t rbelow(unsigned cpu, uint64_t n) { return rrnd(cpu) % n; }

static uint64_t *race_entry(unsigned i)
{
    return &sac_l1[race_l1_first + i];
}

static long mmuext2(unsigned cmd, unsigned long arg1, const void *arg2)
{
    struct mmuext_op op = { .cmd = cmd, .arg1.mfn = arg1 };
    op.arg2.vcpumask.p = (void *)(uintptr_t)arg2;
    return hypercall5(__HYPERVISOR_mmuext_op, &op, 1, 0, DOMID_SELF, 0);
}

static long uva(unsigned long va, uint64_t pte, uint64_t flags)
{
    return hypercall5(__HYPERVISOR_update_va_mapping, va, pte, flags, 0, 0);
}

/* An entry naming a pool frame (or nothing), writable or not. */
static uint64_t race_pte(unsigned cpu)
{
    if (rbelow(cpu, 8) == 0)
        return rbelow(cpu, 2) ? 0 : poison();
    uint64_t e = (race_mfn[rbelow(cpu, RACE_FRAMES)] << 12) | PTE_P | PTE_US | PTE_A;
    return rbelow(cpu, 2) ? e | PTE_RW : e;
}

static unsigned long vcpu_mask(unsigned cpu)
{
    return rbelow(cpu, 4) ? rrnd(cpu) & ((1ul << nr_cpus) - 1) : ~0ul;
}

/* One operation on the pool; cpu is the caller's vCPU. */
void race_op(unsigned cpu)
{
    unsigned long m = race_mfn[rbelow(cpu, RACE_FRAMES)];
    unsigned v = (unsigned)rbelow(cpu, RACE_VAS);
    unsigned long mask = vcpu_mask(cpu);
    race_ops[cpu]++;
    switch (rbelow(cpu, 10)) {
    case 0:                             /* a pin as any level */
        mmuext2(MMUEXT_PIN_L1_TABLE + (unsigned)rbelow(cpu, 4), m, 0);
        break;
    case 1:
        mmuext2(MMUEXT_UNPIN_TABLE, m, 0);
        break;
    case 2: {                           /* a mapping, flushed locally, everywhere or on some */
        static const uint64_t fl[] = { 0, UVMF_INVLPG, UVMF_TLB_FLUSH,
                                       UVMF_INVLPG | UVMF_ALL, UVMF_TLB_FLUSH | UVMF_ALL };
        uint64_t flags = fl[rbelow(cpu, 5)];
        if (rbelow(cpu, 4) == 0)
            flags = (rbelow(cpu, 2) ? UVMF_INVLPG : UVMF_TLB_FLUSH) | (uint64_t)&mask;
        uva(race_va + v * PG, race_pte(cpu), flags);
        break;
    }
    case 3: {                           /* entries of the pool's frames, and of the race L1 */
        mmu_update_t u[3];
        unsigned n = 1 + (unsigned)rbelow(cpu, 3);
        for (unsigned i = 0; i < n; i++) {
            unsigned long t = rbelow(cpu, 3) ? race_mfn[rbelow(cpu, RACE_FRAMES)] : race_l1_mfn;
            unsigned idx = t == race_l1_mfn ? race_l1_first + (unsigned)rbelow(cpu, RACE_VAS)
                                            : (unsigned)rbelow(cpu, 256);
            u[i].ptr = ((t << 12) + idx * 8ull) |
                       (rbelow(cpu, 2) ? MMU_NORMAL_PT_UPDATE : MMU_PT_UPDATE_PRESERVE_AD);
            u[i].val = race_pte(cpu);
        }
        hypercall5(__HYPERVISOR_mmu_update, u, n, 0, DOMID_SELF, 0);
        break;
    }
    case 4: {                           /* stores into the race L1: pvshim emulates or faults */
        uint64_t *e = race_entry(v), val = race_pte(cpu);
        switch (rbelow(cpu, 4)) {
        case 0: pt_store_mov(e, val); break;
        case 1: pt_store_xchg(e, val); break;
        case 2: pt_store_cmpxchg(e, *e, val); break;
        default: pt_store_and(e, ~PTE_RW); break;
        }
        break;
    }
    case 5:
    case 6: {                           /* use a mapping: fills this CPU's TLB */
        volatile uint64_t *p = (volatile uint64_t *)(race_va + v * PG) + rbelow(cpu, 512);
        if (rbelow(cpu, 2))
            (void)*p;
        else
            *p = poison();
        break;
    }
    case 7: {                           /* shootdowns */
        static const unsigned cmds[] = { MMUEXT_TLB_FLUSH_MULTI, MMUEXT_INVLPG_MULTI,
                                         MMUEXT_TLB_FLUSH_ALL, MMUEXT_INVLPG_ALL,
                                         MMUEXT_TLB_FLUSH_LOCAL, MMUEXT_INVLPG_LOCAL };
        unsigned c = cmds[rbelow(cpu, 6)];
        bool va = c == MMUEXT_INVLPG_MULTI || c == MMUEXT_INVLPG_ALL || c == MMUEXT_INVLPG_LOCAL;
        mmuext2(c, va ? race_va + v * PG : 0, &mask);
        break;
    }
    case 8:                             /* a pool frame wiped: a table's contents are refused */
        mmuext2(MMUEXT_CLEAR_PAGE, m, 0);
        break;
    default:
        hypercall5(__HYPERVISOR_sched_op, SCHEDOP_yield, 0, 0, 0, 0);
        break;
    }
}

/*
 * After the race, the stale-mapping probe, one racer at a time: the racer
 * writes through a writable mapping of a pool frame (its TLB now holds it),
 * vCPU 0 removes the mapping asking for no flush and makes the frame an L1,
 * then the racer writes again through the same address. pvshim must have
 * flushed the racer's CPU when the type changed: the write faults, and the
 * new table never sees it.
 */
enum { PROBE_TOUCH = 1, PROBE_WRITE = 2, PROBE_DOWN = 3 };
static volatile unsigned probe_req[MAX_CPUS], probe_done[MAX_CPUS];

static void racer_serve(unsigned cpu)
{
    for (;;) {
        unsigned req = __atomic_load_n(&probe_req[cpu], __ATOMIC_ACQUIRE);
        if (req == probe_done[cpu]) {
            __asm__ volatile("pause");
            continue;
        }
        if ((req & 3) == PROBE_DOWN)
            return;
        volatile uint64_t *p = (volatile uint64_t *)race_va;
        if (!hostile_setjmp(racer_ctx[cpu])) {
            racer_recovering[cpu] = true;
            *p = (req & 3) == PROBE_TOUCH ? 0 : poison();
        }
        racer_recovering[cpu] = false;
        __atomic_store_n(&probe_done[cpu], req, __ATOMIC_RELEASE);
    }
}

static void probe_ask(unsigned cpu, unsigned what)
{
    unsigned req = ((probe_req[cpu] >> 2) + 1) << 2 | what;
    __atomic_store_n(&probe_req[cpu], req, __ATOMIC_RELEASE);
    if (what == PROBE_DOWN)
        return;
    while (__atomic_load_n(&probe_done[cpu], __ATOMIC_ACQUIRE) != req)
        hypercall5(__HYPERVISOR_sched_op, SCHEDOP_yield, 0, 0, 0, 0);
}

static void stale_mapping_probe(unsigned cpu, unsigned long m)
{
    unsigned long view = race_va + PG;
    uva(race_va, 0, UVMF_INVLPG | UVMF_ALL);
    mmuext2(MMUEXT_UNPIN_TABLE, m, 0);
    if (mmuext2(MMUEXT_CLEAR_PAGE, m, 0) ||
        uva(race_va, (m << 12) | PTE_P | PTE_RW | PTE_US | PTE_A, UVMF_INVLPG | UVMF_ALL))
        return;                         /* still a table somewhere: not this frame */
    probe_ask(cpu, PROBE_TOUCH);
    if (uva(race_va, 0, 0) || mmuext2(MMUEXT_PIN_L1_TABLE, m, 0)) {
        fail("stale-mapping probe: an unmapped, cleared frame cannot be pinned (mfn)", m, 0);
        return;
    }
    probe_ask(cpu, PROBE_WRITE);
    if (uva(view, (m << 12) | PTE_P | PTE_US | PTE_A, UVMF_INVLPG) == 0 &&
        *(volatile uint64_t *)view == poison())
        fail("a write through a stale mapping reached a new page table (vcpu, mfn)", cpu, m);
    uva(view, 0, UVMF_INVLPG);
    mmuext2(MMUEXT_UNPIN_TABLE, m, 0);
}

void racer_main(unsigned cpu);
void racer_main(unsigned cpu)
{
    __atomic_add_fetch(&racers_running, 1, __ATOMIC_SEQ_CST);
    while (!race_stop) {
        /* Paced by vCPU 0: the big lock is not fair, and a racer free to
         * run would starve its attacks (and make run time unbounded). */
        if (race_ops[cpu] >= RACE_PACE * (attacks_run + 1)) {
            __asm__ volatile("pause");
            continue;
        }
        if (!hostile_setjmp(racer_ctx[cpu])) {
            racer_recovering[cpu] = true;
            race_op(cpu);
        }
        racer_recovering[cpu] = false;
    }
    __atomic_sub_fetch(&racers_running, 1, __ATOMIC_SEQ_CST);
    racer_serve(cpu);
    /* Down for good: vCPU 0 sees is_up 0 and carries on alone. */
    hypercall5(__HYPERVISOR_vcpu_op, VCPUOP_down, cpu, 0, 0, 0);
    fail("a racer came back from VCPUOP_down (vcpu)", cpu, 0);
    for (;;)
        hypercall5(__HYPERVISOR_sched_op, SCHEDOP_yield, 0, 0, 0, 0);
}

extern const struct trap_info hostile_traps[];

static void start_racer(unsigned cpu)
{
    static struct vcpu_guest_context ctx;
    memset(&ctx, 0, sizeof(ctx));
    ctx.flags = VGCF_in_kernel;
    ctx.user_regs.rip = (unsigned long)racer_main;
    ctx.user_regs.rdi = cpu;
    ctx.user_regs.rsp = (unsigned long)(racer_stack[cpu + 1]) - 8;     /* as after a call */
    ctx.user_regs.cs = FLAT_KERNEL_CS;
    ctx.user_regs.ss = FLAT_KERNEL_SS;
    ctx.user_regs.ds = ctx.user_regs.es = FLAT_KERNEL_DS;
    ctx.user_regs.rflags = 0x202;
    ctx.kernel_ss = FLAT_KERNEL_SS;
    ctx.kernel_sp = ctx.user_regs.rsp;
    for (const struct trap_info *t = hostile_traps; t->address; t++)
        ctx.trap_ctxt[t->vector] = *t;
    ctx.event_callback_eip = (unsigned long)event_entry;
    ctx.failsafe_callback_eip = (unsigned long)failsafe_entry;
    ctx.ctrlreg[3] = l4_mfn << 12;
    shinfo->vcpu_info[cpu].evtchn_upcall_mask = 1;
    racer_rng[cpu] = rnd() | 1;
    long rc = hypercall5(__HYPERVISOR_vcpu_op, VCPUOP_initialise, cpu, &ctx, 0, 0);
    if (rc == 0)
        rc = hypercall5(__HYPERVISOR_vcpu_op, VCPUOP_up, cpu, 0, 0, 0);
    if (rc)
        fail("cannot start a racer vCPU (vcpu, rc)", cpu, (uint64_t)rc);
}

void smp_setup(bool want)
{
    while (want && nr_cpus < MAX_CPUS &&
           hypercall5(__HYPERVISOR_vcpu_op, VCPUOP_is_up, nr_cpus, 0, 0, 0) >= 0)
        nr_cpus++;
    if (nr_cpus == 1)
        return;                         /* one vCPU: exactly the single-vCPU run */
    racer_rng[0] = rnd() | 1;
    /* The pool and the race VAs are taken from what the attacks of vCPU 0
     * may use, so its own expectations never meet a racer's frames. */
    scratch_count -= RACE_FRAMES;
    race_pfn0 = scratch_pfn + scratch_count;
    for (unsigned i = 0; i < RACE_FRAMES; i++)
        race_mfn[i] = p2m[race_pfn0 + i];
    sac_pages -= RACE_VAS;
    race_va = sac_va + sac_pages * PG;
    race_l1_first = (unsigned)(sac_l1_first + sac_pages);
    race_l1_mfn = p2m[((unsigned long)sac_l1 - VIRT_BASE) / PG];
}

void smp_start(void)
{
    for (unsigned cpu = 1; cpu < nr_cpus; cpu++)
        start_racer(cpu);
}

static bool is_race_mfn(unsigned long m)
{
    for (unsigned i = 0; i < RACE_FRAMES; i++)
        if (race_mfn[i] == m)
            return true;
    return false;
}

void smp_finish(void)
{
    if (nr_cpus == 1)
        return;
    race_stop = true;
    while (racers_running)
        hypercall5(__HYPERVISOR_sched_op, SCHEDOP_yield, 0, 0, 0, 0);

    /* 1. A writable race entry never names a live table. */
    uint64_t seen[RACE_VAS];
    for (unsigned i = 0; i < RACE_VAS; i++)
        seen[i] = *race_entry(i);
    unsigned long probe = race_va + (RACE_VAS - 1) * PG;
    for (unsigned i = 0; i < RACE_VAS; i++) {
        unsigned long m = (seen[i] & PTE_ADDR) >> 12;
        if ((seen[i] & (PTE_P | PTE_RW)) != (PTE_P | PTE_RW) || !is_race_mfn(m))
            continue;
        if (uva(probe, (m << 12) | PTE_P | PTE_RW | PTE_US | PTE_A, UVMF_INVLPG))
            fail("a page table of the pool is mapped writable (va, entry)", race_va + i * PG,
                 seen[i]);
    }
    /* 2. No write through a stale mapping landed in a table still live. */
    for (unsigned i = 0; i < RACE_FRAMES; i++) {
        unsigned long m = race_mfn[i];
        if (uva(probe, (m << 12) | PTE_P | PTE_US | PTE_A, UVMF_INVLPG))
            continue;
        bool poisoned = false;
        const volatile uint64_t *t = (const volatile uint64_t *)probe;
        for (unsigned k = 0; k < 512; k++)
            poisoned |= t[k] == poison();
        if (poisoned && uva(probe, (m << 12) | PTE_P | PTE_RW | PTE_US | PTE_A, UVMF_INVLPG))
            fail("a write through a stale mapping is in a live table (mfn)", m, 0);
    }
    /* 3. With every pin and mapping gone, every pool frame is plain memory. */
    for (unsigned i = 0; i < RACE_VAS; i++)
        uva(race_va + i * PG, 0, UVMF_INVLPG);
    for (unsigned i = 0; i < RACE_FRAMES; i++)
        mmuext2(MMUEXT_UNPIN_TABLE, race_mfn[i], 0);
    /* 4. The pool at rest: the stale-mapping probes, then the racers go down. */
    unsigned probes = 0;
    for (unsigned cpu = 1; cpu < nr_cpus; cpu++)
        for (unsigned i = 0; i < 4; i++, probes++)
            stale_mapping_probe(cpu, race_mfn[i]);
    for (unsigned cpu = 1; cpu < nr_cpus; cpu++) {
        probe_ask(cpu, PROBE_DOWN);
        while (hypercall5(__HYPERVISOR_vcpu_op, VCPUOP_is_up, cpu, 0, 0, 0) == 1)
            hypercall5(__HYPERVISOR_sched_op, SCHEDOP_yield, 0, 0, 0, 0);
    }
    for (unsigned i = 0; i < RACE_FRAMES; i++) {
        long rc = uva(probe, (race_mfn[i] << 12) | PTE_P | PTE_RW | PTE_US | PTE_A, UVMF_INVLPG);
        if (rc)
            fail("a pool frame keeps a type reference after every pin and map went (mfn, rc)",
                 race_mfn[i], (uint64_t)rc);
    }
    uva(probe, 0, UVMF_INVLPG);
    unsigned long total = 0;
    for (unsigned cpu = 0; cpu < nr_cpus; cpu++)
        total += race_ops[cpu];
    print("pvhostile64: ");
    print_u(nr_cpus);
    print(" vCPUs raced ");
    print_u(total);
    print(" pool operations (");
    for (unsigned cpu = 0; cpu < nr_cpus; cpu++) {
        print(cpu ? " " : "");
        print_u(race_ops[cpu]);
    }
    print("), ");
    print_u(probes);
    print(" stale-mapping probes, exceptions on racers ");
    unsigned long traps = 0;
    for (unsigned cpu = 1; cpu < nr_cpus; cpu++)
        traps += racer_traps[cpu];
    print_u(traps);
    print("\n");
}
