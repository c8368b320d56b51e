/*
 * Racers: with smp=N, vCPUs 1..N-1 come up from 32-bit contexts
 * (VCPUOP_initialise, the 2800-byte i386 layout, CR3 rotated) and race
 * vCPU 0 and each other on one pool of frames and the top RACE_VAS
 * entries of the sacrificial L1: pins and unpins at each PAE level,
 * mmu_update of 8-byte entries, update_va_mapping in two words with
 * 32-bit vCPU bitmaps, PTE halves stored through ptwr, writes through
 * their own mappings, MMUEXT shootdowns. vCPU 0 joins in (race_op(0)).
 *
 * Afterwards (smp_finish): no writable entry names a table of the pool
 * nor any of ours, and once every pin and mapping is gone each pool
 * frame is plain memory again (mappable writable, then pinnable as an
 * empty L1).
 */
#include "hostile32.h"

#define RACER_STACK 8192
#define RACE_PACE   8                   /* racer operations per attack of vCPU 0 */

unsigned nr_cpus = 1;
volatile bool race_stop;
static uint8_t racer_stacks[MAX_CPUS][RACER_STACK] __attribute__((aligned(16)));
static volatile unsigned racers_running, racers_done;
static unsigned long race_counts[MAX_CPUS];

unsigned racer_of_stack(uintptr_t p);
unsigned racer_of_stack(uintptr_t p)
{
    for (unsigned c = 1; c < MAX_CPUS; c++)
        if (p >= (uintptr_t)racer_stacks[c] && p < (uintptr_t)racer_stacks[c] + RACER_STACK)
            return c;
    return 0;
}

static uint32_t race_va(unsigned i) { return sac_va + (SAC_PAGES - RACE_VAS + i) * PG; }
static volatile uint64_t *race_l1e(unsigned i)
{
    return &sac_l1[sac_l1_first + SAC_PAGES - RACE_VAS + i];
}

static long mmuext2(unsigned cmd, uint32_t arg1, uint32_t arg2)
{
    struct mmuext_op op = { .cmd = cmd };
    op.arg1.mfn = arg1;
    op.arg2.nr_ents = arg2;
    return hypercall4(__HYPERVISOR_mmuext_op, &op, 1, 0, DOMID_SELF);
}

/* One racing operation on the pool, by vCPU `cpu`. */
void race_op(unsigned cpu)
{
    static const unsigned pins[] = { MMUEXT_PIN_L1_TABLE, MMUEXT_PIN_L2_TABLE,
                                     MMUEXT_PIN_L3_TABLE, MMUEXT_PIN_L4_TABLE };
    uint32_t f = pool_mfn[rnd_below(cpu, RACE_FRAMES)];
    uint32_t g = pool_mfn[rnd_below(cpu, RACE_FRAMES)];
    unsigned v = (unsigned)rnd_below(cpu, RACE_VAS);
    uint64_t flags = PTE_P | PTE_A | (rnd_below(cpu, 2) ? PTE_RW : 0);
    uint64_t pte = ((uint64_t)g << 12) | flags;
    race_counts[cpu]++;
    switch (rnd_below(cpu, 9)) {
    case 0:     /* L4 pins: none for a PAE guest */
        mmuext2(pins[rnd_below(cpu, 4)], f, 0);
        break;
    case 1:
        mmuext2(MMUEXT_UNPIN_TABLE, f, 0);
        break;
    case 2: {   /* an entry of a pool frame: slot 3 of an L3 needs a present L2 */
        mmu_update_t u = { .ptr = ((uint64_t)f << 12) + rnd_below(cpu, 512) * 8,
                           .val = rnd_below(cpu, 4) ? pte : 0 };
        if (rnd_below(cpu, 3) == 0)
            u.ptr = ((uint64_t)f << 12) + 3 * 8;
        hypercall4(__HYPERVISOR_mmu_update, &u, 1, 0, DOMID_SELF);
        break;
    }
    case 3: {   /* a racing VA onto a pool frame; flush this vCPU, all, or a bitmap */
        static uint32_t masks[MAX_CPUS];
        masks[cpu] = (uint32_t)rnd_below(cpu, 1u << nr_cpus);
        uint32_t how = rnd_below(cpu, 3) == 0 ? (uint32_t)&masks[cpu]
                     : rnd_below(cpu, 2) ? UVMF_ALL : 0;
        hypercall4(__HYPERVISOR_update_va_mapping, race_va(v), (uint32_t)pte,
                   (uint32_t)(pte >> 32), UVMF_INVLPG | how);
        break;
    }
    case 4: {   /* the same through ptwr, a half at a time */
        volatile uint32_t *e = (volatile uint32_t *)race_l1e(v);
        if (rnd_below(cpu, 2)) {
            e[1] = (uint32_t)(pte >> 32);
            e[0] = (uint32_t)pte;
        } else {
            e[0] = rnd_below(cpu, 2) ? (uint32_t)pte : 0;
        }
        break;
    }
    case 5: {   /* a write through a racing mapping: faults if it is not ours to write */
        volatile uint32_t *p = (volatile uint32_t *)(race_va(v) + (uint32_t)rnd_below(cpu, 1024) * 4);
        *p = 0xc0de0000u | cpu;         /* bit 0 clear: never a present entry */
        break;
    }
    case 6: {   /* shootdowns by 32-bit vCPU bitmap */
        static uint32_t masks[MAX_CPUS];
        masks[cpu] = (uint32_t)rnd_below(cpu, 1ull << 32);
        struct mmuext_op op = { .cmd = rnd_below(cpu, 2) ? MMUEXT_TLB_FLUSH_MULTI
                                                          : MMUEXT_INVLPG_MULTI };
        op.arg1.linear_addr = race_va(v);
        op.arg2.vcpumask.p = &masks[cpu];
        hypercall4(__HYPERVISOR_mmuext_op, &op, 1, 0, DOMID_SELF);
        break;
    }
    case 7:
        mmuext2(rnd_below(cpu, 2) ? MMUEXT_TLB_FLUSH_ALL : MMUEXT_INVLPG_ALL, race_va(v), 0);
        break;
    default: {  /* a racing VA unmapped */
        hypercall4(__HYPERVISOR_update_va_mapping, race_va(v), 0, 0, UVMF_INVLPG);
        break;
    }
    }
}

static void racer_main(unsigned cpu) __attribute__((noreturn, used));
static void racer_main(unsigned cpu)
{
    restore_state(cpu);
    __atomic_fetch_add(&racers_running, 1, __ATOMIC_SEQ_CST);
    while (!__atomic_load_n(&race_stop, __ATOMIC_ACQUIRE)) {
        /* Paced by vCPU 0's attacks: racers that run ahead only yield. */
        if (race_counts[cpu] > (__atomic_load_n(&cpus[0].ops, __ATOMIC_RELAXED) + 1) * RACE_PACE) {
            hypercall2(__HYPERVISOR_sched_op, SCHEDOP_yield, 0);
            continue;
        }
        for (unsigned i = 0; i < RACE_PACE; i++) {
            if (!hj_setjmp(&cpus[cpu].recover)) {
                cpus[cpu].recovering = true;
                race_op(cpu);
                cpus[cpu].recovering = false;
            } else {
                cpus[cpu].recovering = false;
            }
        }
    }
    __atomic_fetch_add(&racers_done, 1, __ATOMIC_SEQ_CST);
    hypercall3(__HYPERVISOR_vcpu_op, VCPUOP_down, cpu, 0);
    for (;;)
        hypercall2(__HYPERVISOR_sched_op, SCHEDOP_yield, 0);
}

static void racer_context(struct vcpu_guest_context *ctx, unsigned cpu)
{
    memset(ctx, 0, sizeof(*ctx));
    uint32_t *top = (uint32_t *)(racer_stacks[cpu] + RACER_STACK);
    top[-1] = cpu;                      /* racer_main's argument, as after a call */
    ctx->flags = VGCF_in_kernel;
    ctx->user_regs.eip = (uint32_t)racer_main;
    ctx->user_regs.esp = (uint32_t)&top[-2];
    ctx->user_regs.cs = RING1_CS;
    ctx->user_regs.ss = ctx->user_regs.ds = ctx->user_regs.es = RING1_DS;
    ctx->user_regs.eflags = 0x202;
    ctx->kernel_ss = RING1_DS;
    ctx->kernel_sp = ctx->user_regs.esp;
    ctx->ctrlreg[3] = xen_pfn_to_cr3(l3_mfn);
}

/* Racers on every vCPU there is, up to `want` vCPUs in all (smp=1: none). */
void smp_start(unsigned want)
{
    if (want > MAX_CPUS)
        want = MAX_CPUS;
    while (nr_cpus < want && hypercall3(__HYPERVISOR_vcpu_op, VCPUOP_is_up, nr_cpus, 0) >= 0)
        nr_cpus++;
    printf("pvhostile32: %u vCPUs\n", nr_cpus);
    for (unsigned c = 1; c < nr_cpus; c++) {
        static struct vcpu_guest_context ctx;
        cpus[c].rng = cpus[0].rng ^ (0x9e3779b97f4a7c15ull * c);
        shinfo->vcpu_info[c].evtchn_upcall_mask = 1;
        racer_context(&ctx, c);
        long rc = hypercall3(__HYPERVISOR_vcpu_op, VCPUOP_initialise, c, &ctx);
        if (!rc)
            rc = hypercall3(__HYPERVISOR_vcpu_op, VCPUOP_up, c, 0);
        if (rc)
            fail("bringing a racer up (vcpu, rc)", c, (uint64_t)rc);
    }
    unsigned long spins = 0;
    while (racers_running < nr_cpus - 1 && ++spins < 2000000)
        hypercall2(__HYPERVISOR_sched_op, SCHEDOP_yield, 0);
    if (racers_running < nr_cpus - 1)
        fail("racers running (got, want)", racers_running, nr_cpus - 1);
}

void smp_finish(void)
{
    __atomic_store_n(&race_stop, true, __ATOMIC_RELEASE);
    unsigned long spins = 0;
    for (unsigned c = 1; c < nr_cpus; c++)
        while (hypercall3(__HYPERVISOR_vcpu_op, VCPUOP_is_up, c, 0) != 0 && ++spins < 4000000)
            hypercall2(__HYPERVISOR_sched_op, SCHEDOP_yield, 0);
    if (racers_done != nr_cpus - 1)
        fail("racers stopped (got, want)", racers_done, nr_cpus - 1);
    if (nr_cpus > 1) {
        printf("pvhostile32: %u vCPUs raced %lu pool operations (", nr_cpus,
               race_counts[0] + race_counts[1] + race_counts[2] + race_counts[3] +
               race_counts[4] + race_counts[5] + race_counts[6] + race_counts[7]);
        for (unsigned c = 0; c < nr_cpus; c++)
            printf(c ? " %lu" : "%lu", race_counts[c]);
        printf(")\n");
    }

    /* No writable mapping of a pool frame that is a table: pinning a frame
     * mapped writable must be refused. */
    for (unsigned i = 0; i < RACE_VAS; i++) {
        uint64_t e = *race_l1e(i);
        uint32_t m = (uint32_t)((e & PTE_ADDR) >> 12);
        if ((e & (PTE_P | PTE_RW)) == (PTE_P | PTE_RW) && is_pool_mfn(m) &&
            mmuext2(MMUEXT_PIN_L1_TABLE, m, 0) == 0)
            fail("a pool frame mapped writable became an L1 (va, entry)", race_va(i), e);
        hypercall4(__HYPERVISOR_update_va_mapping, race_va(i), 0, 0, UVMF_INVLPG | UVMF_ALL);
    }
    /* Every pin gone (an unpin of an L3 or L2 frees what it referenced). */
    for (unsigned round = 0; round < 4; round++)
        for (unsigned i = 0; i < RACE_FRAMES; i++)
            mmuext2(MMUEXT_UNPIN_TABLE, pool_mfn[i], 0);
    /* Plain memory again: mapped writable, cleared, then an empty L1 pins
     * and unpins. */
    uint32_t va = race_va(0);
    for (unsigned i = 0; i < RACE_FRAMES; i++) {
        uint64_t pte = ((uint64_t)pool_mfn[i] << 12) | PTE_P | PTE_RW | PTE_A | PTE_D;
        long rc = hypercall4(__HYPERVISOR_update_va_mapping, va, (uint32_t)pte, 0, UVMF_INVLPG);
        if (rc) {
            fail("a pool frame is still a table after every pin went (frame, rc)", i,
                 (uint64_t)rc);
            continue;
        }
        memset((void *)va, 0, PG);
        hypercall4(__HYPERVISOR_update_va_mapping, va, 0, 0, UVMF_INVLPG);
        if ((rc = mmuext2(MMUEXT_PIN_L1_TABLE, pool_mfn[i], 0)) != 0)
            fail("an empty pool frame does not pin as an L1 (frame, rc)", i, (uint64_t)rc);
        else if ((rc = mmuext2(MMUEXT_UNPIN_TABLE, pool_mfn[i], 0)) != 0)
            fail("unpinning an empty L1 of the pool (frame, rc)", i, (uint64_t)rc);
    }
}
