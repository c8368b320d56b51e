/*
 * The TSC is pvshim's clock. Its rate comes from CPUID when the CPU or the
 * hypervisor states it, otherwise from measuring it against the ACPI PM
 * timer (3.579545 MHz) or, lacking that, the PIT (1.193182 MHz).
 *
 * Against the PM timer the measurement costs no waiting: a provisional
 * rate over CALIBRATE_EARLY_US at boot, and the final one over everything
 * pvshim does until tsc_calibrate_finish (the kernel's decompression, tens
 * to hundreds of ms), at least CALIBRATE_MIN_MS (spinning only for what is
 * missing). Each end is a PM timer tick edge bracketed by two TSC reads, the
 * narrowest of PM_EDGES edges (a vCPU preempted in between widens the
 * bracket, not the result): the error is at most the two brackets over the
 * interval, logged in ppm (a few ppm under TCG at the 20 ms minimum, where
 * the two 10 ms runs it replaces were within ~30 ppm each).
 */
#include <pvshim/time.h>
#include <pvshim/time_scale.h>
#include <pvshim/acpi.h>
#include <pvshim/platform.h>
#include <pvshim/log.h>
#include "x86.h"
#include "arch.h"

#define PM_TIMER_HZ     3579545ull
#define PIT_HZ          1193182ull
#define CALIBRATE_MS    10
#define CALIBRATE_RUNS  3   /* median of these rejects a preempted run */
#define CALIBRATE_AGREE 100000  /* two runs within 1/this (10 ppm) agree */
#define CALIBRATE_EARLY_US 500  /* the provisional PM timer rate */
#define CALIBRATE_MIN_MS 20     /* the final PM timer interval, at least */
#define CALIBRATE_MAX_S  60     /* longer: the wrap count is not certain; measure anew */
#define PM_EDGES        3

uint64_t tsc_khz;
static uint64_t tsc_hz;
uint64_t tsc_at_boot;
uint64_t wallclock_at_boot_ns;
static struct time_scale tsc_to_ns_scale;

void time_get_tsc_scale(struct time_scale *s)
{
    *s = tsc_to_ns_scale;
}

uint64_t read_tsc(void)
{
    return rdtsc();
}

uint64_t tsc_to_ns(uint64_t delta)
{
    return time_scale_apply(&tsc_to_ns_scale, delta);
}

uint64_t now_ns(void)
{
    return tsc_to_ns(rdtsc() - tsc_at_boot);
}

void time_continue_from(uint64_t ns)
{
    uint64_t now = now_ns();
    if (ns <= now)
        return;
    uint64_t d = ns - now;
    /* Time 0 moves back by d: in TSC ticks (it may wrap; deltas stay right). */
    struct time_scale ns_to_tsc;
    time_scale_init(&ns_to_tsc, 1000000000ull, tsc_khz * 1000);
    tsc_at_boot -= time_scale_apply(&ns_to_tsc, d);
    wallclock_at_boot_ns = wallclock_at_boot_ns > d ? wallclock_at_boot_ns - d : 0;
}

void udelay(uint64_t us)
{
    uint64_t khz = tsc_khz ? tsc_khz : 4000000;    /* before calibration: assume fast */
    uint64_t end = rdtsc() + us * khz / 1000;
    while (rdtsc() < end)
        cpu_relax();
}

static uint64_t from_cpuid(const char **how)
{
    if (platform.kind == PLATFORM_XEN) {
        uint32_t khz = cpuid(platform.xen_cpuid_base + 3, 0).ecx;
        if (khz) {
            *how = "Xen CPUID leaf";
            return (uint64_t)khz * 1000;
        }
    }
    if (cpuid(0, 0).eax >= 0x15) {
        struct cpuid_result r = cpuid(0x15, 0);
        if (r.eax && r.ebx && r.ecx) {
            *how = "CPUID leaf 0x15";
            return (uint64_t)r.ecx * r.ebx / r.eax;
        }
    }
    return 0;
}

/* A PM timer count and the TSC at the tick edge it began; width brackets it. */
struct pm_mark {
    uint32_t count;
    uint64_t tsc, width;
};

static uint32_t pm_mask(void)
{
    return acpi.pm_tmr_32bit ? 0xffffffffu : 0xffffffu;
}

/*
 * The narrowest of PM_EDGES tick edges: the read before the edge began at
 * a, the read that saw the new count ended at c, so the edge lies in
 * [a, c]; m->tsc is its middle. False when the timer does not tick.
 */
static bool pm_edge(struct pm_mark *m)
{
    uint32_t mask = pm_mask();
    m->width = ~0ull;
    for (int e = 0; e < PM_EDGES; e++) {
        uint64_t a = rdtsc();
        uint32_t p0 = inl(acpi.pm_tmr) & mask, p;
        uint64_t b = rdtsc(), c;
        unsigned long spins = 0;
        for (;;) {
            p = inl(acpi.pm_tmr) & mask;
            c = rdtsc();
            if (p != p0)
                break;
            if (++spins > 10000000)
                return false;
            a = b;
            b = c;
        }
        if (c - a < m->width) {
            m->count = p;
            m->tsc = a + (c - a) / 2;
            m->width = c - a;
        }
    }
    return true;
}

/* PM timer ticks from m0 to m1, the wraps counted by the rate expected. */
static uint64_t pm_ticks(const struct pm_mark *m0, const struct pm_mark *m1, uint64_t expect_hz)
{
    uint64_t period = (uint64_t)pm_mask() + 1;
    uint64_t low = (m1->count - m0->count) & pm_mask();
    uint64_t expect = (m1->tsc - m0->tsc) * PM_TIMER_HZ / expect_hz;   /* < 2^64 within CALIBRATE_MAX_S */
    uint64_t wraps = expect > low ? (expect - low + period / 2) / period : 0;
    return low + wraps * period;
}

static struct pm_mark pm_start;     /* the final interval's start */
static bool pm_open;                /* tsc_calibrate_finish has an interval to end */

/* Provisional: over CALIBRATE_EARLY_US from pm_start (the TSC's rate, 0 on failure). */
static uint64_t from_pm_timer_early(void)
{
    if (!pm_edge(&pm_start))
        return 0;
    uint32_t target = (uint32_t)(PM_TIMER_HZ * CALIBRATE_EARLY_US / 1000000);
    unsigned long spins = 0;
    while (((inl(acpi.pm_tmr) - pm_start.count) & pm_mask()) < target)
        if (++spins > 100000000)
            return 0;
    struct pm_mark m1;
    if (!pm_edge(&m1) || m1.count == pm_start.count)
        return 0;
    uint64_t ticks = (m1.count - pm_start.count) & pm_mask();
    return (m1.tsc - pm_start.tsc) * PM_TIMER_HZ / ticks;
}

/*
 * Channel 0, which needs no gate, counted down and read back through the
 * latch command: for machines without port 0x61 (QEMU's microvm), whose
 * channel 2 never starts. Interrupts are off and the PIC masked, so the
 * terminal count raises nothing.
 */
static uint64_t from_pit_channel0(void)
{
    uint32_t count = (uint32_t)(PIT_HZ * CALIBRATE_MS / 1000);
    outb(0x43, 0x30);               /* channel 0, lobyte/hibyte, mode 0 */
    outb(0x40, 0xff);
    outb(0x40, 0xff);
    uint32_t start, now;
    unsigned long spins = 0;
    do {                            /* the first latch read that sees it counting */
        outb(0x43, 0x00);
        start = inb(0x40);
        start |= (uint32_t)inb(0x40) << 8;
        if (++spins > 100000)       /* no PIT: the port reads 0xffff */
            return 0;
    } while (start == 0 || start > 0xfff0);
    uint64_t t0 = rdtsc();
    spins = 0;
    do {
        outb(0x43, 0x00);
        now = inb(0x40);
        now |= (uint32_t)inb(0x40) << 8;
        if (++spins > 100000000 || now > start)
            return 0;
    } while (start - now < count);
    uint64_t t1 = rdtsc();
    return (t1 - t0) * PIT_HZ / (start - now);
}

static uint64_t from_pit(void)
{
    if (inb(0x61) == 0xff)          /* no port 0x61: no channel 2 gate */
        return from_pit_channel0();
    uint32_t count = (uint32_t)(PIT_HZ * CALIBRATE_MS / 1000);
    /* Channel 2, gate on, speaker off; mode 0 (interrupt on terminal count). */
    outb(0x61, (inb(0x61) & ~0x02) | 0x01);
    outb(0x43, 0xb0);
    outb(0x42, count & 0xff);
    outb(0x42, count >> 8);
    uint64_t t0 = rdtsc();
    unsigned long spins = 0;
    while (!(inb(0x61) & 0x20))
        if (++spins > 100000000)
            return 0;
    uint64_t t1 = rdtsc();
    return (t1 - t0) * PIT_HZ / count;
}

/* The CMOS real-time clock, read when it is not mid-update, as seconds since 1970. */
static uint8_t cmos(uint8_t reg)
{
    outb(0x70, reg);
    return inb(0x71);
}

static uint64_t rtc_read_epoch_seconds(void)
{
    for (int spins = 0; spins < 100000 && (cmos(0x0a) & 0x80); spins++)
        cpu_relax();
    uint8_t sec = cmos(0x00), min = cmos(0x02), hour = cmos(0x04);
    uint8_t day = cmos(0x07), mon = cmos(0x08), year = cmos(0x09), century = cmos(0x32);
    uint8_t regb = cmos(0x0b);
    if (!(regb & 0x04)) {       /* BCD */
#define BCD(x) ((uint8_t)(((x) & 0x0f) + ((x) >> 4) * 10))
        sec = BCD(sec); min = BCD(min); day = BCD(day); mon = BCD(mon);
        year = BCD(year); century = BCD(century);
        hour = (uint8_t)(BCD(hour & 0x7f) | (hour & 0x80));
#undef BCD
    }
    if (!(regb & 0x02) && (hour & 0x80))        /* 12-hour clock, PM */
        hour = (uint8_t)(((hour & 0x7f) % 12) + 12);
    unsigned y = (century >= 19 && century <= 30 ? century : 20) * 100u + year;
    if (mon < 1 || mon > 12 || day < 1 || day > 31)
        return 0;
    /* Days since 1970-01-01 by the civil-from-days inverse. */
    unsigned yy = mon <= 2 ? y - 1 : y;
    unsigned era = yy / 400, yoe = yy - era * 400;
    unsigned doy = (153 * (mon + (mon > 2 ? -3 : 9)) + 2) / 5 + day - 1;
    unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    uint64_t days = (uint64_t)era * 146097 + doe - 719468;
    return days * 86400 + hour * 3600u + min * 60u + sec;
}

/*
 * The median of three runs lies between the first two whatever the third
 * gives: when those two agree to CALIBRATE_AGREE, the third cannot move the
 * result by more than that, and is not made (10 ms less at every boot).
 */
static uint64_t median_of_runs(uint64_t (*measure)(void))
{
    STATIC_ASSERT(CALIBRATE_RUNS == 3, "the shortcut below is for a median of three");
    uint64_t v[CALIBRATE_RUNS];
    for (int i = 0; i < CALIBRATE_RUNS; i++) {
        v[i] = measure();
        if (!v[i])
            return 0;
        if (i == 1) {
            uint64_t lo = MIN(v[0], v[1]), hi = MAX(v[0], v[1]);
            if (hi - lo <= lo / CALIBRATE_AGREE)
                return lo + (hi - lo) / 2;
        }
        for (int j = i; j > 0 && v[j - 1] > v[j]; j--) {
            uint64_t t = v[j];
            v[j] = v[j - 1];
            v[j - 1] = t;
        }
    }
    return v[CALIBRATE_RUNS / 2];
}

static void set_rate(uint64_t hz)
{
    tsc_hz = hz;
    tsc_khz = hz / 1000;
    time_scale_init(&tsc_to_ns_scale, hz, 1000000000);
}

void tsc_calibrate(void)
{
    const char *how = NULL;
    uint64_t hz = from_cpuid(&how);
    if (!hz && acpi.pm_tmr) {
        hz = from_pm_timer_early();
        pm_open = hz != 0;
        how = "ACPI PM timer, provisional";
    }
    if (!hz) {
        hz = median_of_runs(from_pit);
        how = "PIT";
    }
    if (!hz) {
        hz = 1000000000;
        how = "nothing (assumed 1 GHz)";
    }
    set_rate(hz);
    tsc_at_boot = rdtsc();
    wallclock_at_boot_ns = rtc_read_epoch_seconds() * 1000000000ull;
    log_info("tsc: %llu.%03llu MHz, from %s%s", (unsigned long long)(tsc_khz / 1000),
             (unsigned long long)(tsc_khz % 1000), how,
             cpu.invariant_tsc ? "" : " (not invariant)");
}

static void tsc_calibrate_finish(void)
{
    if (!pm_open)
        return;
    pm_open = false;
    uint64_t min = tsc_hz / 1000 * CALIBRATE_MIN_MS;
    while (rdtsc() - pm_start.tsc < min)
        cpu_relax();
    struct pm_mark m1;
    if (!pm_edge(&m1))
        return;
    uint64_t span = m1.tsc - pm_start.tsc;
    if (span / tsc_hz >= CALIBRATE_MAX_S) {     /* practically never: start anew */
        if (!pm_edge(&pm_start))
            return;
        while (rdtsc() - pm_start.tsc < min)
            cpu_relax();
        if (!pm_edge(&m1))
            return;
        span = m1.tsc - pm_start.tsc;
    }
    uint64_t ticks = pm_ticks(&pm_start, &m1, tsc_hz);
    if (!ticks)
        return;
    uint64_t hz = span * PM_TIMER_HZ / ticks;
    uint64_t ppm = (pm_start.width + m1.width) * 500000 / span + 1;  /* half of each bracket */

    /* now_ns() goes on from where the provisional rate had it, never back. */
    uint64_t tsc = rdtsc();
    uint64_t ns = tsc_to_ns(tsc - tsc_at_boot);
    struct time_scale ns_to_tsc;
    set_rate(hz);
    time_scale_init(&ns_to_tsc, 1000000000ull, hz);
    tsc_at_boot = tsc - time_scale_apply(&ns_to_tsc, ns);
    while (tsc_to_ns(tsc - tsc_at_boot) < ns)
        tsc_at_boot--;
    log_info("tsc: %llu.%03llu MHz, from ACPI PM timer over %llu ms (within %llu ppm)",
             (unsigned long long)(tsc_khz / 1000), (unsigned long long)(tsc_khz % 1000),
             (unsigned long long)(span / (hz / 1000)), (unsigned long long)ppm);
}

void time_calibrate_finish(void)
{
    static bool done;
    if (done)
        return;
    done = true;
    tsc_calibrate_finish();
    lapic_calibrate_finish();
    log_info("lapic: timer %llu kHz", (unsigned long long)(lapic_timer_hz() / 1000));
}
