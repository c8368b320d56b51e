/*
 * pvhostile64's frame: find the world it may attack without killing
 * itself, run the attacks under a recovery point, and finally check that
 * pvshim still answers exactly as at the start.
 */
#include "hostile.h"

start_info_t *si;
struct shared_info *shinfo;
unsigned long *p2m;
unsigned long nr_pages, region_pages;
unsigned long sac_va, sac_pages;
uint64_t *sac_l1;
unsigned long sac_l1_first;
unsigned long l4_mfn;
unsigned long scratch_pfn, scratch_count;
/* The argument buffer, then a guard page we unmap: a count that runs past
 * the buffer makes pvshim fault there, not read or write what follows. */
struct arg_arena arg_arena __attribute__((aligned(4096)));
bool recovering;
uint64_t recover_ctx[8];
unsigned long traps_taken, events_taken;

static __attribute__((aligned(4096))) char shared_info_page[4096];
static uint64_t rng_state;

uint64_t rnd(void)
{
    /* xorshift64* */
    uint64_t x = rng_state;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    rng_state = x;
    return x * 0x2545f4914f6cdd1dull;
}

static void poweroff(unsigned reason)
{
    struct sched_shutdown sd = { .reason = reason };
    hypercall5(__HYPERVISOR_sched_op, SCHEDOP_shutdown, &sd, 0, 0, 0);
    for (;;)
        ;
}

/* ---- exceptions and callbacks */

void hostile_trap(uint64_t *kind);
void hostile_trap(uint64_t *kind)
{
    unsigned cpu = cpu_of_stack(kind);
    if (cpu) {
        if (*kind == 0x200) {
            shinfo->vcpu_info[cpu].evtchn_upcall_pending = 0;
            return;
        }
        if (!racer_trap(cpu))
            fail("unexpected exception on a racer (kind, vcpu)", *kind, cpu);
        poweroff(SHUTDOWN_crash);
    }
    if (*kind == 0x200) {
        /* An event: nothing waits for one, just clear it. */
        events_taken++;
        shinfo->vcpu_info[0].evtchn_upcall_pending = 0;
        shinfo->vcpu_info[0].evtchn_pending_sel = 0;
        for (unsigned i = 0; i < sizeof(shinfo->evtchn_pending) / 8; i++)
            shinfo->evtchn_pending[i] = 0;
        return;
    }
    traps_taken++;
    if (recovering)
        hostile_longjmp(recover_ctx);
    /* kind word, then RCX, R11, [error], RIP */
    fail("unexpected exception outside an attack (kind, rip)", *kind,
         kind[(*kind & 0x100) ? 4 : 3]);
    poweroff(SHUTDOWN_crash);
}

#define TRAP(vec, dpl, fn) { vec, dpl, FLAT_KERNEL_CS, (unsigned long)(fn) }
const struct trap_info hostile_traps[] = {
    TRAP(0, 0, trap_de), TRAP(1, 0, trap_db), TRAP(2, 0, trap_nmi), TRAP(3, 3, trap_bp),
    TRAP(4, 3, trap_of), TRAP(5, 0, trap_br), TRAP(6, 0, trap_ud), TRAP(7, 0, trap_nm),
    TRAP(8, 0, trap_df), TRAP(10, 0, trap_ts), TRAP(11, 0, trap_np), TRAP(12, 0, trap_ss),
    TRAP(13, 0, trap_gp), TRAP(14, 0, trap_pf), TRAP(16, 0, trap_mf), TRAP(17, 0, trap_ac),
    TRAP(18, 0, trap_mc), TRAP(19, 0, trap_xm), { 0, 0, 0, 0 },
};

void set_trap_table_ours(void)
{
    long rc = hypercall5(__HYPERVISOR_set_trap_table, hostile_traps, 0, 0, 0, 0);
    if (rc)
        fail("set_trap_table of a good table", (uint64_t)rc, 0);
}

static void set_callbacks_ours(void)
{
    static const struct { unsigned type; void *fn; } cbs[] = {
        { CALLBACKTYPE_event, event_entry }, { CALLBACKTYPE_failsafe, failsafe_entry },
        { CALLBACKTYPE_syscall, syscall_entry },
    };
    for (unsigned i = 0; i < 3; i++) {
        struct callback_register cb = { .type = (uint16_t)cbs[i].type,
                                        .flags = CALLBACKF_mask_events,
                                        .address = (unsigned long)cbs[i].fn };
        long rc = hypercall5(__HYPERVISOR_callback_op, CALLBACKOP_register, &cb, 0, 0, 0);
        if (rc)
            fail("callback_op register of a good callback", cbs[i].type, (uint64_t)rc);
    }
}

/* After an attack that may have replaced what we run on. */
void restore_state(void)
{
    shinfo->vcpu_info[0].evtchn_upcall_mask = 1;
    set_trap_table_ours();
    set_callbacks_ours();
    hypercall5(__HYPERVISOR_fpu_taskswitch, 0, 0, 0, 0, 0);
    hypercall5(__HYPERVISOR_set_debugreg, 7, 0, 0, 0, 0);
    hypercall5(__HYPERVISOR_vm_assist, VMASST_CMD_enable, VMASST_TYPE_writable_pagetables,
               0, 0, 0);
    struct mmuext_op op = { .cmd = MMUEXT_SET_LDT };
    hypercall5(__HYPERVISOR_mmuext_op, &op, 1, 0, DOMID_SELF, 0);
    struct physdev_set_iopl io = { .iopl = 0 };
    hypercall5(__HYPERVISOR_physdev_op, PHYSDEVOP_set_iopl, &io, 0, 0, 0);
    struct physdev_set_iobitmap bm;
    memset(&bm, 0, sizeof(bm));
    hypercall5(__HYPERVISOR_physdev_op, PHYSDEVOP_set_iobitmap, &bm, 0, 0, 0);
}

/* ---- the initial page tables: only the frames at pt_base are walked */

static unsigned long pt_pfn0;

bool is_pt_mfn(unsigned long mfn)
{
    for (unsigned long i = 0; i < si->nr_pt_frames; i++)
        if (p2m[pt_pfn0 + i] == mfn)
            return true;
    return false;
}

#define OUR_MFN_LIMIT (1ul << 20)
static uint8_t our_mfns[OUR_MFN_LIMIT / 8];

bool is_our_mfn(unsigned long mfn)
{
    return mfn < OUR_MFN_LIMIT && (our_mfns[mfn / 8] & (1u << (mfn % 8)));
}

static uint64_t *pt_table_va(unsigned long mfn)
{
    for (unsigned long i = 0; i < si->nr_pt_frames; i++)
        if (p2m[pt_pfn0 + i] == mfn)
            return (uint64_t *)(si->pt_base + i * PG);
    return 0;
}

/* The L1 table (as we can read it) holding va's entry, or NULL. */
static uint64_t *l1_of(unsigned long va)
{
    uint64_t *t = (uint64_t *)si->pt_base;
    for (int level = 4; level > 1; level--) {
        uint64_t e = t[(va >> (12 + 9 * (level - 1))) & 511];
        if (!(e & PTE_P))
            return 0;
        t = pt_table_va((e & PTE_ADDR) >> 12);
        if (!t)
            return 0;
    }
    return t;
}

static bool mapped(unsigned long va)
{
    uint64_t *l1 = l1_of(va);
    return l1 && (l1[(va >> 12) & 511] & PTE_P);
}

static void find_world(void)
{
    p2m = (unsigned long *)si->mfn_list;
    nr_pages = si->nr_pages;
    pt_pfn0 = (si->pt_base - VIRT_BASE) / PG;
    l4_mfn = p2m[pt_pfn0];
    unsigned long va = si->pt_base + si->nr_pt_frames * PG;
    while (mapped(va) && va - VIRT_BASE < (1ul << 30))
        va += PG;
    region_pages = (va - VIRT_BASE) / PG;
    /* The builder leaves at least 512 KiB after its boot stack unused: the
     * last 256 KiB of the region are ours to remap at will. */
    sac_pages = 64;
    sac_va = va - sac_pages * PG;
    sac_l1 = l1_of(sac_va);
    sac_l1_first = (sac_va >> 12) & 511;
    for (unsigned long pfn = 0; pfn < region_pages; pfn++)
        if (p2m[pfn] < OUR_MFN_LIMIT)
            our_mfns[p2m[pfn] / 8] |= (uint8_t)(1u << (p2m[pfn] % 8));
        else
            fail("a frame of ours beyond the bitmap (pfn, mfn)", pfn, p2m[pfn]);
    scratch_pfn = region_pages;
    scratch_count = nr_pages > region_pages ? nr_pages - region_pages : 0;
}

/* ---- what pvshim answers before the attacks, compared at the end */

static long v_version, v_maxres;
static uint32_t v_features;

static long version(void) { return hypercall5(__HYPERVISOR_xen_version, XENVER_version, 0, 0, 0, 0); }

static uint32_t features(long *rc)
{
    xen_feature_info_t fi = { .submap_idx = 0 };
    *rc = hypercall5(__HYPERVISOR_xen_version, XENVER_get_features, &fi, 0, 0, 0);
    return fi.submap;
}

static long max_reservation(void)
{
    domid_t d = DOMID_SELF;
    return hypercall5(__HYPERVISOR_memory_op, XENMEM_maximum_reservation, &d, 0, 0, 0);
}

#define EXPECT(what, got, want) do {                                         \
        long g_ = (long)(got), w_ = (long)(want);                             \
        if (g_ != w_)                                                         \
            fail(what " (got, want)", (uint64_t)g_, (uint64_t)w_);            \
    } while (0)

static void final_checks(void)
{
    long rc;
    EXPECT("xen_version(XENVER_version)", version(), v_version);
    uint32_t f = features(&rc);
    EXPECT("xen_version(XENVER_get_features) rc", rc, 0);
    EXPECT("xen_version(XENVER_get_features) submap 0", f, v_features);
    EXPECT("memory_op(XENMEM_maximum_reservation)", max_reservation(), v_maxres);
    EXPECT("vcpu_op(VCPUOP_is_up, 0)", hypercall5(__HYPERVISOR_vcpu_op, VCPUOP_is_up, 0, 0, 0, 0), 1);
    /* The racers took themselves down; past the last vCPU there is none. */
    for (unsigned i = 1; i < nr_cpus; i++)
        EXPECT("vcpu_op(VCPUOP_is_up) of a racer", hypercall5(__HYPERVISOR_vcpu_op, VCPUOP_is_up,
                                                             i, 0, 0, 0), 0);
    EXPECT("vcpu_op(VCPUOP_is_up) past the last vCPU",
           hypercall5(__HYPERVISOR_vcpu_op, VCPUOP_is_up, nr_cpus, 0, 0, 0), -XEN_ENOENT);
    EXPECT("hypercall 63", hc_any(63, 0, 0, 0, 0, 0), -XEN_ENOSYS);
    EXPECT("sched_op(SCHEDOP_yield)", hypercall5(__HYPERVISOR_sched_op, SCHEDOP_yield, 0, 0, 0, 0), 0);

    /* An event channel to ourselves: allocate, send, see it pending, close. */
    struct evtchn_alloc_unbound au = { .dom = DOMID_SELF, .remote_dom = DOMID_SELF };
    EXPECT("EVTCHNOP_alloc_unbound", hypercall5(__HYPERVISOR_event_channel_op,
                                                EVTCHNOP_alloc_unbound, &au, 0, 0, 0), 0);
    if (au.port == 0 || au.port >= 4096)
        fail("EVTCHNOP_alloc_unbound port", au.port, 0);
    struct evtchn_close cl = { .port = au.port };
    EXPECT("EVTCHNOP_close", hypercall5(__HYPERVISOR_event_channel_op, EVTCHNOP_close, &cl, 0, 0, 0), 0);
    EXPECT("EVTCHNOP_close again", hypercall5(__HYPERVISOR_event_channel_op, EVTCHNOP_close, &cl,
                                              0, 0, 0), -XEN_EINVAL);

    /* The MMU: a read-only alias of a known page works, a writable mapping
     * of a page-table frame is refused, our L4 is still a valid base. */
    arg_buf[0] = 0x5c;
    unsigned long buf_mfn = p2m[((unsigned long)arg_buf - VIRT_BASE) / PG];
    EXPECT("update_va_mapping read-only alias",
           hypercall5(__HYPERVISOR_update_va_mapping, sac_va,
                      (buf_mfn << 12) | PTE_P | PTE_US | PTE_A, UVMF_INVLPG, 0, 0), 0);
    EXPECT("read through the alias", *(volatile uint8_t *)sac_va, 0x5c);
    EXPECT("update_va_mapping of our L4 writable",
           hypercall5(__HYPERVISOR_update_va_mapping, sac_va,
                      (l4_mfn << 12) | PTE_P | PTE_RW | PTE_US | PTE_A, UVMF_INVLPG, 0, 0),
           -XEN_EBUSY);
    struct mmuext_op op = { .cmd = MMUEXT_NEW_BASEPTR, .arg1.mfn = l4_mfn };
    EXPECT("MMUEXT_NEW_BASEPTR of our L4", hypercall5(__HYPERVISOR_mmuext_op, &op, 1, 0, DOMID_SELF, 0), 0);
    op.cmd = MMUEXT_TLB_FLUSH_LOCAL;
    EXPECT("MMUEXT_TLB_FLUSH_LOCAL", hypercall5(__HYPERVISOR_mmuext_op, &op, 1, 0, DOMID_SELF, 0), 0);

    /* A multicall of two xen_version calls. */
    multicall_entry_t mc[2];
    memset(mc, 0, sizeof(mc));
    mc[0].op = mc[1].op = __HYPERVISOR_xen_version;
    EXPECT("multicall", hypercall5(__HYPERVISOR_multicall, mc, 2, 0, 0, 0), 0);
    EXPECT("multicall result 0", mc[0].result, v_version);
    EXPECT("multicall result 1", mc[1].result, v_version);

    /* pvshim's memory is still out of reach. */
    recovering = true;
    unsigned long before = traps_taken;
    if (!hostile_setjmp(recover_ctx))
        probe_write((volatile uint64_t *)0xffff830000000000ull);
    recovering = false;
    EXPECT("exceptions from a write into pvshim", traps_taken - before, 1);
}

volatile unsigned long attacks_run;

static void run_attacks(unsigned long n)
{
    for (attacks_run = 0; attacks_run < n; attacks_run++) {
        if (!hostile_setjmp(recover_ctx)) {
            recovering = true;
            attack();
            recovering = false;
        } else {
            recovering = false;
            restore_state();
        }
        if ((attacks_run & 0xffff) == 0xffff) {
            print("pvhostile64: ");
            print_u(attacks_run + 1);
            print(" operations\n");
        }
    }
}

void hostile_main(start_info_t *start);
void hostile_main(start_info_t *start)
{
    si = start;
    hypercall5(__HYPERVISOR_update_va_mapping, shared_info_page,
               si->shared_info | PTE_P | PTE_RW | PTE_US | PTE_A | PTE_D, UVMF_INVLPG, 0, 0);
    shinfo = (struct shared_info *)shared_info_page;
    find_world();
    if (hypercall5(__HYPERVISOR_update_va_mapping, arg_arena.guard, 0, UVMF_INVLPG, 0, 0))
        fail("cannot unmap the guard page after the argument buffer", 0, 0);
    restore_state();

    const char *cmd = (const char *)si->cmd_line;
    uint64_t seed = parse_arg(cmd, "seed", 1);
    unsigned long ops = parse_arg(cmd, "ops", 10000);
    rng_state = seed * 0x9e3779b97f4a7c15ull + 1;
    smp_setup(parse_arg(cmd, "smp", 1));
    print("pvhostile64: seed ");
    print_u(seed);
    print(", ");
    print_u(ops);
    print(" operations, ");
    print_u(nr_cpus);
    print(" vCPUs, region ");
    print_u(region_pages);
    print(" pages, sacrificial ");
    print_x(sac_va);
    print("\n");
    if (!sac_l1 || !scratch_count) {
        fail("cannot find the sacrificial range or scratch frames", region_pages, nr_pages);
        poweroff(SHUTDOWN_crash);
    }

    long rc;
    v_version = version();
    v_features = features(&rc);
    v_maxres = max_reservation();

    if (parse_arg(cmd, "blk", 0))
        blkfront_attacks();
    if (parse_arg(cmd, "net", 0))
        netfront_attacks();
    smp_start();
    run_attacks(ops);
    smp_finish();
    restore_state();
    final_checks();

    for (unsigned i = 0; i < 32; i++) {
        if (!op_names[i])
            continue;
        print("  ");
        print(op_names[i]);
        print(": ");
        print_u(op_counts[i]);
        print("\n");
    }
    print("pvhostile64: exceptions taken ");
    print_u(traps_taken);
    print(", events ");
    print_u(events_taken);
    print(", segment loads from an LDT ");
    print_u(ldt_loads);
    print(", linear page-table entries made ");
    print_u(linear_made);
    print("\n");
    print("pvhostile64: ");
    print_u(attacks_run);
    if (failures) {
        print(" operations, ");
        print_u(failures);
        print(" failures\n");
        poweroff(SHUTDOWN_crash);
    }
    print(" operations, pvshim healthy\n");
    poweroff(SHUTDOWN_poweroff);
}
