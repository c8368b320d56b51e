/*
 * Bringing up the application processors the MADT lists: INIT-SIPI-SIPI
 * into a real-mode trampoline below 1 MiB (trampoline.asm), then long
 * mode, pvshim's page tables, the CPU's own GDT, TSS, IST stacks and
 * local APIC timer. Each AP then idles until its vCPU (the one with its
 * index) is brought up by the guest, and runs it.
 *
 * APs are started one at a time by the boot CPU, which alone writes the
 * trampoline's arguments; an AP signals it runs by setting its
 * pcpu->online (release), which the boot CPU polls (acquire).
 */
#include <pvshim/acpi.h>
#include <pvshim/arch.h>
#include <pvshim/assert.h>
#include <pvshim/frame_alloc.h>
#include <pvshim/irq.h>
#include <pvshim/layout.h>
#include <pvshim/spinlock.h>
#include <pvshim/log.h>
#include <pvshim/memmap.h>
#include <pvshim/paging.h>
#include <pvshim/percpu.h>
#include <pvshim/string.h>
#include <pvshim/soft_timer.h>
#include <pvshim/guest_entry.h>
#include <pvshim/time.h>
#include "x86.h"
#include "arch.h"

#define TRAMPOLINE_PADDR    0x8000      /* as in trampoline.asm */
const paddr_t arch_trampoline_paddr = TRAMPOLINE_PADDR;
#define AP_START_TIMEOUT_NS 2000000000ull   /* QEMU's TCG on a busy host is slow */

struct ap_boot_args {
    uint64_t start_cr3, efer, cr3, stack, entry, pcpu;
};

extern const uint8_t ap_trampoline[], ap_trampoline_end[];
extern const struct ap_boot_args ap_boot_args;
extern char ap_entry64[];

NORETURN void ap_main(struct pcpu *pc);
NORETURN void arch_enter_guest(const struct cpu_regs *r);

/* The AP's own part: runs on its entry stack, with pvshim's page tables. */
void ap_main(struct pcpu *pc)
{
    ASSERT(this_pcpu() == pc);
    cpu_init_secondary();
    descriptors_load(pc);
    lapic_init_secondary();
    __atomic_store_n(&pc->online, true, __ATOMIC_RELEASE);
    /* Idle until this CPU's vCPU is brought up, then run it. */
    pv_lock();
    struct cpu_regs *r = guest_ap_wait();
    pv_unlock();
    arch_enter_guest(r);
}

static bool is_ram(const struct memmap *m, paddr_t start, uint64_t size)
{
    for (unsigned i = 0; i < m->nr; i++)
        if (m->e[i].type == MEM_RAM && m->e[i].start <= start &&
            start + size <= m->e[i].start + m->e[i].size)
            return true;
    return false;
}

/* Start-up page tables: the trampoline page 1:1 (one 2 MiB page at 0) and
 * pvshim's slots; below 4 GiB, as a 32-bit MOV to CR3 loads them. */
static paddr_t start_tables(void)
{
    mfn_t t = frame_pool_alloc(&machine_frames, 3, 1, 0x100000);
    if (t == INVALID_MFN)
        return 0;
    uint64_t *l4 = maddr_to_virt(mfn_to_paddr(t));
    uint64_t *l3 = maddr_to_virt(mfn_to_paddr(t + 1));
    uint64_t *l2 = maddr_to_virt(mfn_to_paddr(t + 2));
    memset(l4, 0, 3 * PAGE_SIZE);
    const pte_t *master = paging_master_l4();
    for (unsigned i = 256; i < 512; i++)
        l4[i] = master[i];
    l4[0] = mfn_to_paddr(t + 1) | PTE_P | PTE_RW;
    l3[0] = mfn_to_paddr(t + 2) | PTE_P | PTE_RW;
    l2[0] = PTE_P | PTE_RW | PTE_PS;
    return mfn_to_paddr(t);
}

static bool start_ap(struct pcpu *pc, paddr_t start_cr3)
{
    descriptors_alloc(pc);
    uint8_t *tramp = maddr_to_virt(TRAMPOLINE_PADDR);
    size_t len = (size_t)(ap_trampoline_end - ap_trampoline);
    memcpy(tramp, ap_trampoline, len);
    struct ap_boot_args *args =
        (struct ap_boot_args *)(tramp + ((const uint8_t *)&ap_boot_args - ap_trampoline));
    *args = (struct ap_boot_args){
        .start_cr3 = start_cr3,
        .efer = EFER_LME | (rdmsr(MSR_EFER) & EFER_NXE),
        .cr3 = read_cr3(),
        .stack = pc->entry_stack_top,
        .entry = (uint64_t)ap_entry64,
        .pcpu = (uint64_t)pc,
    };
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    lapic_send_init_sipi(pc->apic_id, TRAMPOLINE_PADDR >> 12);
    uint64_t until = now_ns() + AP_START_TIMEOUT_NS;
    while (!__atomic_load_n(&pc->online, __ATOMIC_ACQUIRE)) {
        if (now_ns() > until)
            return false;
        cpu_relax();
    }
    return true;
}

void smp_init_calls(void);

void smp_boot(const struct memmap *m)
{
    smp_init_calls();
    uint32_t self = lapic_id();
    pcpus[0].apic_id = self;
    pcpus[0].online = true;
    unsigned wanted = 1;
    for (unsigned i = 0; i < acpi.nr_cpus; i++)
        if (acpi.cpu_apic_id[i] != self)
            wanted++;
    if (wanted > 1 && !is_ram(m, TRAMPOLINE_PADDR, PAGE_SIZE)) {
        log_warn("smp: no RAM at %#x for the start-up code: 1 CPU", TRAMPOLINE_PADDR);
        wanted = 1;
    }
    paddr_t start_cr3 = wanted > 1 ? start_tables() : 0;
    for (unsigned i = 0; i < acpi.nr_cpus && start_cr3; i++) {
        uint32_t id = acpi.cpu_apic_id[i];
        if (id == self)
            continue;
        if (nr_pcpus == MAX_PCPUS) {
            log_warn("smp: only %u CPUs are used", MAX_PCPUS);
            break;
        }
        if (id > 0xfe) {
            log_warn("smp: CPU with APIC id %u needs x2APIC: not started", id);
            continue;
        }
        struct pcpu *pc = &pcpus[nr_pcpus];
        pc->id = nr_pcpus;
        pc->apic_id = id;
        if (!start_ap(pc, start_cr3)) {
            log_warn("smp: CPU with APIC id %u did not start", id);
            break;      /* its stacks may still be in use: stop here */
        }
        nr_pcpus++;
    }
    log_info("smp: %u CPU%s (%u in the MADT%s)", nr_pcpus, nr_pcpus == 1 ? "" : "s",
             acpi.nr_cpus, acpi.cpus_ignored ? ", more ignored" : "");
}

/* ------------------------------------------------------------ cross-calls */

/*
 * call_lock protects: call_fn, call_arg, call_remaining (one cross-call at
 * a time) and the sending of its IPIs.
 * order: outside console_lock; nothing else is taken inside.
 * A CPU waiting for it (or for its call to finish) keeps running the
 * requests addressed to itself, so two CPUs calling each other with
 * interrupts off cannot deadlock.
 */
static spinlock_t call_lock;
static void (*call_fn)(void *);
static void *call_arg;
static unsigned call_remaining;

/* Run this CPU's pending request, if any (IPI handler, or while waiting). */
static void run_own_call(void)
{
    struct pcpu *pc = this_pcpu();
    if (!__atomic_load_n(&pc->call_pending, __ATOMIC_ACQUIRE))
        return;
    call_fn(call_arg);
    __atomic_store_n(&pc->call_pending, false, __ATOMIC_RELAXED);
    __atomic_fetch_sub(&call_remaining, 1, __ATOMIC_RELEASE);
}

static void call_ipi(struct cpu_regs *r)
{
    (void)r;
    lapic_eoi();
    run_own_call();
}

void smp_call(uint64_t cpumask, void (*fn)(void *), void *arg)
{
    struct pcpu *self = this_pcpu();
    while (!spin_trylock(&call_lock)) {
        run_own_call();
        cpu_relax();
    }
    call_fn = fn;
    call_arg = arg;
    unsigned n = 0;
    for (unsigned i = 0; i < nr_pcpus; i++)
        if (i != self->id && (cpumask >> i & 1))
            n++;
    __atomic_store_n(&call_remaining, n, __ATOMIC_RELAXED);
    for (unsigned i = 0; i < nr_pcpus; i++)
        if (i != self->id && (cpumask >> i & 1)) {
            __atomic_store_n(&pcpus[i].call_pending, true, __ATOMIC_RELEASE);
            lapic_send_ipi(pcpus[i].apic_id, VECTOR_CALL_IPI);
        }
    if (cpumask >> self->id & 1)
        fn(arg);
    while (__atomic_load_n(&call_remaining, __ATOMIC_ACQUIRE))
        cpu_relax();
    spin_unlock(&call_lock);
}

void smp_serve_calls(void)
{
    run_own_call();
}

/* A kick: timers armed from elsewhere are reprogrammed (or fire) here;
 * the entry path around it (trap_entry) has the PV layer look at this
 * CPU's vCPU again. */
static void kick_ipi(struct cpu_regs *r)
{
    (void)r;
    lapic_eoi();
    soft_timer_run(now_ns());
}

void smp_kick(unsigned n)
{
    if (n < nr_pcpus && n != this_pcpu()->id)
        lapic_send_ipi(pcpus[n].apic_id, VECTOR_KICK_IPI);
}

static void local_flush_tlb(void *unused)
{
    (void)unused;
    uint64_t cr4 = read_cr4();
    if (cr4 & CR4_PGE) {
        write_cr4(cr4 & ~CR4_PGE);
        write_cr4(cr4);
    } else {
        write_cr3(read_cr3());
    }
}

void smp_flush_tlb(uint64_t cpumask)
{
    smp_call(cpumask, local_flush_tlb, NULL);
}

/* arg: the address, on the caller's stack (smp_call waits for every CPU). */
static void local_invlpg(void *arg)
{
    invlpg(*(const vaddr_t *)arg);
}

void smp_invlpg(uint64_t cpumask, vaddr_t va)
{
    smp_call(cpumask, local_invlpg, &va);
}

void smp_init_calls(void);
void smp_init_calls(void)
{
    irq_register(VECTOR_CALL_IPI, call_ipi);
    irq_register(VECTOR_KICK_IPI, kick_ipi);
}

/* ------------------------------------------------------------ self-test */

static void count_me(void *arg)
{
    __atomic_fetch_add((unsigned *)arg, 1u << (this_pcpu()->id * 4 % 32), __ATOMIC_RELAXED);
}

/* Every CPU is reached exactly once per call, and a remote flush or invlpg
 * really drops a stale translation: CPU n reads a page through a mapping
 * the boot CPU then changes (without a local invlpg there) and flushes
 * (or invalidates that page) remotely. */
static volatile uint64_t probe_value;
static vaddr_t probe_va;

static void read_probe(void *arg)
{
    (void)arg;
    probe_value = *(volatile uint64_t *)probe_va;
}

void smp_selftest(void)
{
    uint64_t all = nr_pcpus >= 64 ? ~0ull : (1ull << nr_pcpus) - 1;
    unsigned rounds = 200, bad = 0;
    uint64_t t0 = now_ns();
    for (unsigned r = 0; r < rounds; r++) {
        unsigned seen = 0;
        smp_call(all, count_me, &seen);
        unsigned want = 0;
        for (unsigned i = 0; i < nr_pcpus && i < 8; i++)
            want += 1u << (i * 4);
        if (seen != want)
            bad++;
    }
    uint64_t took = now_ns() - t0;
    log_info("selftest smp: %u CPUs, %u cross-calls to all, %u wrong, %llu us each", nr_pcpus,
             rounds, bad, (unsigned long long)(took / rounds / 1000));

    /* Two frames, one virtual page switched between them. */
    mfn_t f = frame_pool_alloc(&machine_frames, 2, 1, ~(mfn_t)0);
    if (f == INVALID_MFN)
        panic("selftest smp: no frames");
    *(uint64_t *)maddr_to_virt(mfn_to_paddr(f)) = 0x1111;
    *(uint64_t *)maddr_to_virt(mfn_to_paddr(f + 1)) = 0x2222;
    probe_va = MMIO_VIRT_START + 0x7fe00000;
    for (unsigned by_page = 0; by_page < 2; by_page++) {
        unsigned stale = 0, fresh = 0;
        for (unsigned i = 1; i < nr_pcpus; i++) {
            paging_set_page(probe_va, mfn_to_paddr(f), PTE_RW | PTE_NX);
            smp_flush_tlb(all);
            smp_call(1ull << i, read_probe, NULL);      /* CPU i caches frame f */
            /* Remap without telling CPU i (paging_set_page flushes only here). */
            paging_set_page(probe_va, mfn_to_paddr(f + 1), PTE_RW | PTE_NX);
            if (by_page)
                smp_invlpg(1ull << i, probe_va);
            else
                smp_flush_tlb(1ull << i);
            smp_call(1ull << i, read_probe, NULL);
            if (probe_value == 0x2222)
                fresh++;
            else
                stale++;
        }
        log_info("selftest smp: remote %s seen by %u of %u other CPUs%s",
                 by_page ? "invlpg" : "TLB flush", fresh, nr_pcpus - 1,
                 stale ? " (stale translations left!)" : "");
    }
    paging_clear_page(probe_va);
    smp_flush_tlb(all);
}
