/*
 * The local APIC: pvshim's one-shot timer. Its count rate is measured
 * against the TSC, from lapic_init to time_calibrate_finish (the count runs
 * down from 2^32 - 1 meanwhile; a provisional rate after 200 us serves
 * until then); deadlines further than one count can reach are chained.
 */
#include <pvshim/time.h>
#include <pvshim/time_scale.h>
#include <pvshim/irq.h>
#include <pvshim/layout.h>
#include <pvshim/paging.h>
#include <pvshim/log.h>
#include <pvshim/percpu.h>
#include "x86.h"
#include "arch.h"

#define LAPIC_VIRT          MMIO_VIRT_START
#define LAPIC_ID            0x020
#define LAPIC_TPR           0x080
#define LAPIC_EOI           0x0b0
#define LAPIC_SVR           0x0f0
#define LAPIC_LVT_TIMER     0x320
#define LAPIC_LVT_LINT0     0x350
#define LAPIC_LVT_LINT1     0x360
#define LAPIC_LVT_ERROR     0x370
#define LAPIC_TIMER_INIT    0x380
#define LAPIC_TIMER_CUR     0x390
#define LAPIC_TIMER_DIV     0x3e0
#define LVT_MASKED          (1u << 16)
#define SVR_ENABLE          (1u << 8)
#define DIV_BY_16           0x3

static struct time_scale ns_to_ticks;
static uint64_t lapic_hz;
/*
 * The rate measurement, on the boot CPU's timer: counted in tsc_span TSC
 * ticks, from tsc_start; open while the count runs.
 */
static struct {
    uint64_t tsc_start, tsc_span, counted;
    struct pcpu *cpu;
    bool open;
} cal;
static void (*timer_callback)(uint64_t now);

static inline uint32_t lapic_read(uint32_t reg)
{
    return *(volatile uint32_t *)(LAPIC_VIRT + reg);
}

static inline void lapic_write(uint32_t reg, uint32_t v)
{
    *(volatile uint32_t *)(LAPIC_VIRT + reg) = v;
}

void arch_map_devices(void)
{
    paddr_t base = rdmsr(MSR_APIC_BASE) & 0xffffff000ull;
    paging_map(LAPIC_VIRT, base, PAGE_SIZE, PTE_RW | PTE_PCD | PTE_PWT | PTE_NX);
}

static void arm(uint64_t now)
{
    uint64_t deadline = this_pcpu()->timer_deadline;
    uint64_t delta = deadline > now ? deadline - now : 0;
    uint64_t ticks = time_scale_apply(&ns_to_ticks, delta);
    if (ticks == 0)
        ticks = 1;
    if (ticks > 0xffffffffu)
        ticks = 0xffffffffu;
    lapic_write(LAPIC_TIMER_INIT, (uint32_t)ticks);
}

void lapic_eoi(void)
{
    lapic_write(LAPIC_EOI, 0);
}

static void timer_interrupt(struct cpu_regs *r)
{
    (void)r;
    lapic_write(LAPIC_EOI, 0);
    struct pcpu *pc = this_pcpu();
    if (!pc->timer_deadline)
        return;
    uint64_t now = now_ns();
    if (now < pc->timer_deadline) {
        arm(now);       /* a chained long deadline */
        return;
    }
    pc->timer_deadline = 0;
    if (timer_callback)
        timer_callback(now);
}

static void spurious_interrupt(struct cpu_regs *r)
{
    (void)r;    /* no EOI for spurious interrupts */
}

void timer_set_callback(void (*fn)(uint64_t now))
{
    timer_callback = fn;
}

void timer_set_deadline(uint64_t deadline_ns)
{
    if (cal.open && this_pcpu() == cal.cpu)     /* the write below ends the count */
        lapic_calibrate_finish();
    /* Already counting down to it (or to a step of it): a write would be a trap for nothing. */
    if (deadline_ns && deadline_ns == this_pcpu()->timer_deadline)
        return;
    this_pcpu()->timer_deadline = deadline_ns;
    if (!deadline_ns) {
        lapic_write(LAPIC_TIMER_INIT, 0);
        return;
    }
    arm(now_ns());
}

void cpu_idle_wait(void)
{
    __asm__ volatile("sti; hlt; cli" ::: "memory");
}

uint32_t lapic_id(void)
{
    return lapic_read(LAPIC_ID) >> 24;
}

#define LAPIC_ICR_LO        0x300
#define LAPIC_ICR_HI        0x310
#define ICR_INIT            0x00000500u
#define ICR_STARTUP         0x00000600u
#define ICR_LEVEL_ASSERT    0x00004000u
#define ICR_BUSY            0x00001000u

static void send_ipi_raw(uint32_t apic_id, uint32_t lo)
{
    while (lapic_read(LAPIC_ICR_LO) & ICR_BUSY)
        cpu_relax();
    lapic_write(LAPIC_ICR_HI, apic_id << 24);
    lapic_write(LAPIC_ICR_LO, lo);
    while (lapic_read(LAPIC_ICR_LO) & ICR_BUSY)
        cpu_relax();
}

#define ICR_FIXED           0x00000000u

void lapic_send_ipi(uint32_t apic_id, uint8_t vector)
{
    send_ipi_raw(apic_id, ICR_FIXED | ICR_LEVEL_ASSERT | vector);
}

/* The universal start-up algorithm (Intel SDM vol. 3 "MP initialization"). */
void lapic_send_init_sipi(uint32_t apic_id, uint8_t vector)
{
    send_ipi_raw(apic_id, ICR_INIT | ICR_LEVEL_ASSERT);
    udelay(10000);
    for (int i = 0; i < 2; i++) {
        send_ipi_raw(apic_id, ICR_STARTUP | vector);
        udelay(200);
    }
}

/* What lapic_init does that every CPU needs for its own local APIC. */
static void lapic_setup_this_cpu(void)
{
    lapic_write(LAPIC_SVR, SVR_ENABLE | VECTOR_SPURIOUS);
    lapic_write(LAPIC_TPR, 0);
    lapic_write(LAPIC_LVT_LINT0, LVT_MASKED);
    lapic_write(LAPIC_LVT_LINT1, LVT_MASKED);
    lapic_write(LAPIC_LVT_ERROR, LVT_MASKED | VECTOR_SPURIOUS);
    lapic_write(LAPIC_TIMER_DIV, DIV_BY_16);
    lapic_write(LAPIC_LVT_TIMER, LVT_MASKED | VECTOR_LAPIC_TIMER);
}

void lapic_init_secondary(void)
{
    lapic_setup_this_cpu();
    lapic_write(LAPIC_TIMER_INIT, 0);
    this_pcpu()->timer_deadline = 0;
    lapic_write(LAPIC_LVT_TIMER, VECTOR_LAPIC_TIMER);   /* one-shot, unmasked */
}

/* The count so far, against the TSC: the reads bracket it to within an MMIO access. */
static void measure_count(void)
{
    uint64_t a = rdtsc();
    uint32_t left = lapic_read(LAPIC_TIMER_CUR);
    uint64_t b = rdtsc();
    if (left == 0)          /* ran out (68 s at 1 GHz / 16): keep the last one */
        return;
    cal.counted = 0xffffffffu - left;
    cal.tsc_span = a + (b - a) / 2 - cal.tsc_start;
}

/* The rate from the measurement and the TSC's rate now. */
static void set_rate(void)
{
    uint64_t ns = tsc_to_ns(cal.tsc_span);
    lapic_hz = ns ? cal.counted * 1000000000ull / ns : 0;   /* counted < 2^32 */
    if (!lapic_hz)
        lapic_hz = 1000000;     /* a broken APIC timer still gets a sane scale */
    time_scale_init(&ns_to_ticks, 1000000000, lapic_hz);
}

uint64_t lapic_timer_hz(void)
{
    return lapic_hz;
}

void lapic_calibrate_finish(void)
{
    if (cal.open && this_pcpu() == cal.cpu) {
        measure_count();
        lapic_write(LAPIC_TIMER_INIT, 0);
        cal.open = false;
    }
    set_rate();
}

void lapic_init(void)
{
    /* The legacy PICs stay silent; everything comes through the local APIC. */
    outb(0x21, 0xff);
    outb(0xa1, 0xff);

    lapic_setup_this_cpu();

    lapic_write(LAPIC_TIMER_INIT, 0xffffffffu);
    cal.tsc_start = rdtsc();
    cal.cpu = this_pcpu();
    cal.open = true;
    udelay(200);
    measure_count();
    set_rate();

    irq_register(VECTOR_LAPIC_TIMER, timer_interrupt);
    irq_register(VECTOR_SPURIOUS, spurious_interrupt);
    lapic_write(LAPIC_LVT_TIMER, VECTOR_LAPIC_TIMER);   /* one-shot, unmasked */
    log_info("lapic: id %u, timer %llu kHz", lapic_read(LAPIC_ID) >> 24,
             (unsigned long long)(lapic_hz / 1000));
}
