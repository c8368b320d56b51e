/*
 * pvhostile32's frame: find the world it may attack without killing
 * itself, run the attacks under a recovery point, and finally check that
 * pvshim still answers exactly as at the start.
 */
#include "hostile32.h"

start_info_t *si;
shared_info_t *shinfo;
uint32_t *p2m;
uint32_t region_end;
uint32_t sac_va;
uint64_t *sac_l1;
unsigned sac_l1_first;
uint32_t l3_mfn, l2_mfn;
uint32_t scratch_pfn0, scratch_count;
uint32_t pool_mfn[RACE_FRAMES];
volatile unsigned failures;
struct cpu_state cpus[MAX_CPUS];
/* The argument buffer, then a guard page we unmap: a count that runs past
 * the buffer makes pvshim fault there, not read or write what follows. */
static struct {
    uint8_t buf[ARG_BUF_SIZE];
    uint8_t guard[4096];
} arena __attribute__((aligned(4096)));
uint8_t *const arg_buf_p = arena.buf;
uint32_t guard_va;

uint64_t rnd(unsigned cpu)
{
    /* xorshift64* */
    uint64_t x = cpus[cpu].rng;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    cpus[cpu].rng = x;
    return x * 0x2545f4914f6cdd1dull;
}

void fail(const char *what, uint64_t a, uint64_t b)
{
    __atomic_fetch_add(&failures, 1, __ATOMIC_SEQ_CST);
    printf("FAIL %s %#llx %#llx\n", what, (unsigned long long)a, (unsigned long long)b);
}

void poweroff(unsigned reason)
{
    struct sched_shutdown sd = { .reason = reason };
    console_flush();
    hypercall2(__HYPERVISOR_sched_op, SCHEDOP_shutdown, &sd);
    for (;;)
        hypercall2(__HYPERVISOR_sched_op, SCHEDOP_yield, 0);
}

/* ---- exceptions and callbacks: recover, or report and stop */

void hostile_trap(struct tframe *f);
void hostile_trap(struct tframe *f)
{
    unsigned cpu = cpu_of_stack(f);
    cpus[cpu].traps++;
    if (cpus[cpu].recovering)
        hj_longjmp(&cpus[cpu].recover);
    printf("FAIL unexpected trap %u error %#x at %04x:%#x on vCPU %u\n", (unsigned)f->vector,
           (unsigned)f->error, (unsigned)(f->cs & 0xffff), (unsigned)f->eip, cpu);
    poweroff(SHUTDOWN_crash);
}

/* An event: nothing waits for one, just clear it. */
void hostile_event(struct tframe *f);
void hostile_event(struct tframe *f)
{
    unsigned cpu = cpu_of_stack(f);
    struct vcpu_info *vi = &shinfo->vcpu_info[cpu];
    cpus[cpu].events++;
    vi->evtchn_upcall_pending = 0;
    __atomic_exchange_n(&vi->evtchn_pending_sel, 0, __ATOMIC_SEQ_CST);
}

void hostile_failsafe(struct tframe *f);
void hostile_failsafe(struct tframe *f)
{
    hostile_trap(f);
}

/* A forged frame pvshim took: back to the attack's recovery point. */
void hostile_landed(uint32_t eax);
void hostile_landed(uint32_t eax)
{
    unsigned cpu = cpu_of_stack(&eax);
    if (cpus[cpu].recovering)
        hj_longjmp(&cpus[cpu].recover);
    fail("iret landed outside an attack (eax, vcpu)", eax, cpu);
    poweroff(SHUTDOWN_crash);
}

#define TRAP(vec, dpl) { vec, dpl, RING1_CS, 0 }
const struct trap_info hostile_traps[] = {
    TRAP(0, 0), TRAP(1, 0), TRAP(2, 0), TRAP(3, 3), TRAP(4, 3), TRAP(5, 0), TRAP(6, 0),
    TRAP(7, 0), TRAP(8, 0), TRAP(10, 0), TRAP(11, 0), TRAP(12, 0), TRAP(13, 0), TRAP(14, 0),
    TRAP(16, 0), TRAP(17, 0), TRAP(18, 0), TRAP(19, 0), { 0, 0, 0, 0 },
};
static struct trap_info traps[ARRAY_LEN(hostile_traps)];

/* Kernel stack for a trap from ring 3 (a forged iret lands there). */
static uint8_t ring3_trap_stack[MAX_CPUS][4096] __attribute__((aligned(16)));

/* After an attack that may have replaced what we run on. */
void restore_state(unsigned cpu)
{
    shinfo->vcpu_info[cpu].evtchn_upcall_mask = 1;
    long rc = hypercall1(__HYPERVISOR_set_trap_table, traps);
    if (rc)
        fail("set_trap_table of a good table (rc, vcpu)", (uint64_t)rc, cpu);
    rc = hypercall4(__HYPERVISOR_set_callbacks, RING1_CS, hypervisor_callback, RING1_CS,
                    failsafe_callback);
    if (rc)
        fail("set_callbacks of good callbacks (rc, vcpu)", (uint64_t)rc, cpu);
    hypercall2(__HYPERVISOR_stack_switch, RING1_DS,
               (uint32_t)ring3_trap_stack[cpu] + sizeof(ring3_trap_stack[cpu]));
    hypercall1(__HYPERVISOR_fpu_taskswitch, 0);
    hypercall2(__HYPERVISOR_set_debugreg, 7, 0);
    hypercall2(__HYPERVISOR_vm_assist, VMASST_CMD_enable, VMASST_TYPE_writable_pagetables);
    struct mmuext_op op = { .cmd = MMUEXT_SET_LDT };
    hypercall4(__HYPERVISOR_mmuext_op, &op, 1, 0, DOMID_SELF);
    struct physdev_set_iopl io = { .iopl = 0 };
    hypercall2(__HYPERVISOR_physdev_op, PHYSDEVOP_set_iopl, &io);
    __asm__ volatile("mov %0, %%fs; mov %0, %%gs" : : "r"(0));
}

/* ---- the initial page tables: only the frames at pt_base are walked */

static uint32_t pt_pfn0;

bool is_pt_mfn(uint32_t mfn)
{
    for (uint32_t i = 0; i < si->nr_pt_frames; i++)
        if (p2m[pt_pfn0 + i] == mfn)
            return true;
    return false;
}

#define OUR_MFN_LIMIT (1u << 20)
static uint8_t our_mfns[OUR_MFN_LIMIT / 8];

bool is_our_mfn(uint32_t mfn)
{
    return mfn < OUR_MFN_LIMIT && (our_mfns[mfn / 8] & (1u << (mfn % 8)));
}

bool is_pool_mfn(uint32_t mfn)
{
    for (unsigned i = 0; i < RACE_FRAMES; i++)
        if (pool_mfn[i] == mfn)
            return true;
    return false;
}

static void find_world(void)
{
    p2m = (uint32_t *)si->mfn_list;
    pt_pfn0 = (si->pt_base - VIRT_BASE) / PG;
    l3_mfn = p2m[pt_pfn0];
    uint32_t va = VIRT_BASE;
    region_end = si->pt_base + si->nr_pt_frames * PG;
    for (;;) {
        uint64_t *e = pte_of(va, 1);
        if (!e || !(*e & PTE_P))
            break;
        va += PG;
    }
    region_end = va;
    /* The last pages of the region are unused slack (pvtest32 relies on it
     * too): shared_info 64 pages below the end, the sacrificial range above. */
    sac_va = region_end - SAC_PAGES * PG;
    sac_l1 = (uint64_t *)((uint32_t)pte_of(sac_va, 1) & ~(PG - 1));    /* the table */
    if (sac_l1 && !is_pt_mfn(virt_to_mfn(sac_l1)))
        fail("the sacrificial range's L1 is not one of the boot tables (va)", (uint32_t)sac_l1, 0);
    sac_l1_first = (sac_va >> 12) & 511;
    uint64_t *l2e = pte_of(VIRT_BASE, 2);
    l2_mfn = l2e ? virt_to_mfn((void *)((uint32_t)l2e & ~0xfffu)) : 0;
    for (uint32_t pfn = 0; pfn < (region_end - VIRT_BASE) / PG; pfn++)
        if (p2m[pfn] < OUR_MFN_LIMIT)
            our_mfns[p2m[pfn] / 8] |= (uint8_t)(1u << (p2m[pfn] % 8));
        else
            fail("a frame of ours beyond the bitmap (pfn, mfn)", pfn, p2m[pfn]);
    for (unsigned i = 0; i < RACE_FRAMES; i++)
        pool_mfn[i] = p2m[alloc_pfn()];
    scratch_pfn0 = (region_end - VIRT_BASE) / PG;
    uint32_t top = si->nr_pages - RACE_FRAMES;
    scratch_count = top > scratch_pfn0 ? top - scratch_pfn0 : 0;
}

unsigned cpu_of_stack(const void *sp)
{
    uintptr_t p = (uintptr_t)sp;
    for (unsigned c = 0; c < MAX_CPUS; c++)
        if (p >= (uintptr_t)ring3_trap_stack[c] && p < (uintptr_t)ring3_trap_stack[c + 1])
            return c;
    extern unsigned racer_of_stack(uintptr_t p);
    return racer_of_stack(p);
}

/* ---- what pvshim answers before the attacks, compared at the end */

static long v_version, v_maxres;
static uint32_t v_features;

static long version(void) { return hypercall2(__HYPERVISOR_xen_version, XENVER_version, 0); }

static uint32_t features(long *rc)
{
    xen_feature_info_t fi = { .submap_idx = 0 };
    *rc = hypercall2(__HYPERVISOR_xen_version, XENVER_get_features, &fi);
    return fi.submap;
}

static long max_reservation(void)
{
    domid_t d = DOMID_SELF;
    return hypercall2(__HYPERVISOR_memory_op, XENMEM_maximum_reservation, &d);
}

#define EXPECT(what, got, want) do {                                         \
        long g_ = (long)(got), w_ = (long)(want);                             \
        if (g_ != w_)                                                         \
            fail(what " (got, want)", (uint64_t)g_, (uint64_t)w_);            \
    } while (0)

static long uvm(uint32_t va, uint64_t pte)
{
    return hypercall4(__HYPERVISOR_update_va_mapping, va, (uint32_t)pte, (uint32_t)(pte >> 32),
                      UVMF_INVLPG);
}

/* Does a 32-bit store at p fault? (A write pvshim must not allow.) */
static bool store_faults(volatile uint32_t *p)
{
    unsigned long before = cpus[0].traps;
    cpus[0].recovering = true;
    if (!hj_setjmp(&cpus[0].recover))
        *p = 0x5a5a5a5a;
    cpus[0].recovering = false;
    return cpus[0].traps != before;
}

static void final_checks(void)
{
    long rc;
    EXPECT("xen_version(XENVER_version)", version(), v_version);
    uint32_t f = features(&rc);
    EXPECT("xen_version(XENVER_get_features) rc", rc, 0);
    EXPECT("xen_version(XENVER_get_features) submap 0", f, v_features);
    EXPECT("memory_op(XENMEM_maximum_reservation)", max_reservation(), v_maxres);
    EXPECT("vcpu_op(VCPUOP_is_up, 0)", hypercall3(__HYPERVISOR_vcpu_op, VCPUOP_is_up, 0, 0), 1);
    for (unsigned i = 1; i < nr_cpus; i++)
        EXPECT("vcpu_op(VCPUOP_is_up) of a racer",
               hypercall3(__HYPERVISOR_vcpu_op, VCPUOP_is_up, i, 0), 0);
    EXPECT("vcpu_op(VCPUOP_is_up) past the last vCPU",
           hypercall3(__HYPERVISOR_vcpu_op, VCPUOP_is_up, nr_cpus, 0), -XEN_ENOENT);
    EXPECT("hypercall 63 by int 0x82", hc_int82(63, 0, 0, 0, 0, 0), -XEN_ENOSYS);
    EXPECT("set_segment_base (none for 32-bit guests)",
           hc_int82(__HYPERVISOR_set_segment_base, 0, 0, 0, 0, 0), -XEN_ENOSYS);
    EXPECT("sched_op(SCHEDOP_yield)", hypercall2(__HYPERVISOR_sched_op, SCHEDOP_yield, 0), 0);

    struct evtchn_alloc_unbound au = { .dom = DOMID_SELF, .remote_dom = DOMID_SELF };
    EXPECT("EVTCHNOP_alloc_unbound",
           hypercall2(__HYPERVISOR_event_channel_op, EVTCHNOP_alloc_unbound, &au), 0);
    if (au.port == 0 || au.port >= 1024)
        fail("EVTCHNOP_alloc_unbound port", au.port, 0);
    struct evtchn_close cl = { .port = au.port };
    EXPECT("EVTCHNOP_close", hypercall2(__HYPERVISOR_event_channel_op, EVTCHNOP_close, &cl), 0);
    EXPECT("EVTCHNOP_close again",
           hypercall2(__HYPERVISOR_event_channel_op, EVTCHNOP_close, &cl), -XEN_EINVAL);

    /* The MMU: a read-only alias of a known page works, a writable mapping
     * of our L3 is refused, our L3 is still a valid base, slot 3 fixed. */
    arg_buf_p[0] = 0x5c;
    uint32_t buf_mfn = virt_to_mfn(arg_buf_p);
    EXPECT("update_va_mapping read-only alias", uvm(sac_va, ((uint64_t)buf_mfn << 12) | PTE_P | PTE_A), 0);
    EXPECT("read through the alias", *(volatile uint8_t *)sac_va, 0x5c);
    EXPECT("update_va_mapping of our L3 writable",
           uvm(sac_va, ((uint64_t)l3_mfn << 12) | PTE_P | PTE_RW | PTE_A) < 0, 1);
    struct mmuext_op op = { .cmd = MMUEXT_NEW_BASEPTR };
    op.arg1.mfn = l3_mfn;
    EXPECT("MMUEXT_NEW_BASEPTR of our L3", hypercall4(__HYPERVISOR_mmuext_op, &op, 1, 0, DOMID_SELF), 0);
    op.cmd = MMUEXT_NEW_USER_BASEPTR;
    EXPECT("MMUEXT_NEW_USER_BASEPTR (none for 32-bit guests)",
           hypercall4(__HYPERVISOR_mmuext_op, &op, 1, 0, DOMID_SELF), -XEN_EINVAL);
    mmu_update_t u = { .ptr = ((uint64_t)l3_mfn << 12) + 3 * 8, .val = 0 };
    EXPECT("mmu_update of L3 slot 3", hypercall4(__HYPERVISOR_mmu_update, &u, 1, 0, DOMID_SELF),
           -XEN_EINVAL);

    /* A multicall of two xen_version calls, 32-byte entries. */
    multicall_entry_t mc[2];
    memset(mc, 0, sizeof(mc));
    mc[0].op = mc[1].op = __HYPERVISOR_xen_version;
    EXPECT("multicall", hypercall2(__HYPERVISOR_multicall, mc, 2), 0);
    EXPECT("multicall result 0", mc[0].result, v_version);
    EXPECT("multicall result 1", mc[1].result, v_version);

    /* The M2P, the hole and our tables are still out of reach. */
    EXPECT("a write into the compat M2P faults", store_faults((volatile uint32_t *)M2P_VA), 1);
    EXPECT("a write into the hypervisor hole faults",
           store_faults((volatile uint32_t *)(HOLE_VA + 0x1000)), 1);
    EXPECT("a 4-byte store into our L3 faults", store_faults((volatile uint32_t *)si->pt_base + 1), 1);
    EXPECT("the M2P still names our start_info",
           ((volatile uint32_t *)M2P_VA)[virt_to_mfn(si)], ((uint32_t)si - VIRT_BASE) >> 12);
}

static void run_attacks(unsigned long n)
{
    for (cpus[0].ops = 0; cpus[0].ops < n; cpus[0].ops++) {
        if (!hj_setjmp(&cpus[0].recover)) {
            cpus[0].recovering = true;
            attack();
            cpus[0].recovering = false;
        } else {
            cpus[0].recovering = false;
            restore_state(0);
        }
        scan_sacrificial();
        if ((cpus[0].ops & 0x3fff) == 0x3fff)
            printf("pvhostile32: %lu operations\n", cpus[0].ops + 1);
    }
}

/* Decimal number after "key=" in the command line, or dflt. */
static uint32_t parse_arg(const char *cmd, const char *key, uint32_t dflt)
{
    size_t kl = strlen(key);
    for (const char *p = cmd; *p; p++) {
        if ((p == cmd || p[-1] == ' ') && !memcmp(p, key, kl) && p[kl] == '=') {
            uint32_t v = 0;
            for (p += kl + 1; *p >= '0' && *p <= '9'; p++)
                v = v * 10 + (uint32_t)(*p - '0');
            return v;
        }
    }
    return dflt;
}

void hostile_main(start_info_t *start);
void hostile_main(start_info_t *start)
{
    si = start;
    p2m = (uint32_t *)si->mfn_list;
    find_world();
    uint32_t shinfo_va = region_end - 64 * PG;
    uint64_t pte = si->shared_info | PTE_P | PTE_RW | PTE_A | PTE_D;
    if (uvm(shinfo_va, pte))
        poweroff(SHUTDOWN_crash);
    shinfo = (shared_info_t *)shinfo_va;
    for (unsigned i = 0; i < ARRAY_LEN(traps); i++) {
        traps[i] = hostile_traps[i];
        if (traps[i].cs)
            traps[i].address = TRAP_STUB(traps[i].vector);
    }
    guard_va = (uint32_t)arena.guard;
    if (uvm(guard_va, 0))
        fail("cannot unmap the guard page after the argument buffer", 0, 0);
    restore_state(0);

    const char *cmd = (const char *)si->cmd_line;
    uint32_t seed = parse_arg(cmd, "seed", 1);
    unsigned long ops = parse_arg(cmd, "ops", 10000);
    cpus[0].rng = seed * 0x9e3779b97f4a7c15ull + 1;
    printf("pvhostile32: seed %u, %lu operations, region %u pages, sacrificial %#x\n",
           (unsigned)seed, ops, (unsigned)((region_end - VIRT_BASE) / PG), (unsigned)sac_va);
    if (!sac_l1 || scratch_count < 64) {
        fail("cannot find the sacrificial range or scratch frames", region_end, si->nr_pages);
        poweroff(SHUTDOWN_crash);
    }

    long rc;
    v_version = version();
    v_features = features(&rc);
    v_maxres = max_reservation();

    smp_start(parse_arg(cmd, "smp", MAX_CPUS));
    run_attacks(ops);
    smp_finish();
    restore_state(0);
    final_checks();

    for (unsigned i = 0; i < NR_OPS; i++)
        if (op_names[i])
            printf("  %s: %lu\n", op_names[i], op_counts[i]);
    printf("pvhostile32: exceptions taken %lu, events %lu\n", cpus[0].traps, cpus[0].events);
    if (failures) {
        printf("pvhostile32: %lu operations, %u failures\n", cpus[0].ops, failures);
        poweroff(SHUTDOWN_crash);
    }
    printf("pvhostile32: %lu operations, pvshim healthy\n", cpus[0].ops);
    poweroff(SHUTDOWN_poweroff);
}
