/*
 * The TSC is pvshim's clock. Its rate comes from CPUID when the CPU or the
 * hypervisor states it, otherwise from measuring it against the ACPI PM
 * timer (3.579545 MHz) or, lacking that, the PIT (1.193182 MHz).
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

uint64_t tsc_khz;
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

static uint64_t from_pm_timer(void)
{
    uint32_t mask = acpi.pm_tmr_32bit ? 0xffffffffu : 0xffffffu;
    uint32_t target = (uint32_t)(PM_TIMER_HZ * CALIBRATE_MS / 1000);
    uint32_t p0 = inl(acpi.pm_tmr) & mask, p;
    unsigned long spins = 0;

    /* Start on a tick edge so the read latency cancels out. */
    while (((p = inl(acpi.pm_tmr) & mask)) == p0)
        if (++spins > 10000000)
            return 0;
    uint64_t t0 = rdtsc();
    p0 = p;
    uint32_t elapsed;
    spins = 0;
    do {
        elapsed = ((inl(acpi.pm_tmr) & mask) - p0) & mask;
        if (++spins > 100000000)
            return 0;
    } while (elapsed < target);
    uint64_t t1 = rdtsc();
    return (t1 - t0) * PM_TIMER_HZ / elapsed;
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

void tsc_calibrate(void)
{
    const char *how = NULL;
    uint64_t hz = from_cpuid(&how);
    if (!hz && acpi.pm_tmr) {
        hz = median_of_runs(from_pm_timer);
        how = "ACPI PM timer";
    }
    if (!hz) {
        hz = median_of_runs(from_pit);
        how = "PIT";
    }
    if (!hz) {
        hz = 1000000000;
        how = "nothing (assumed 1 GHz)";
    }
    tsc_khz = hz / 1000;
    time_scale_init(&tsc_to_ns_scale, hz, 1000000000);
    tsc_at_boot = rdtsc();
    wallclock_at_boot_ns = rtc_read_epoch_seconds() * 1000000000ull;
    log_info("tsc: %llu.%03llu MHz, from %s%s", (unsigned long long)(tsc_khz / 1000),
             (unsigned long long)(tsc_khz % 1000), how,
             cpu.invariant_tsc ? "" : " (not invariant)");
}
