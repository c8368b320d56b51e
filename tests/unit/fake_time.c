/*
 * A simulated clock for host tests: a 1 GHz TSC that only moves when a
 * test says so, and a one-shot timer that "fires" when the idle loop
 * waits (time jumps to the deadline and the callback runs).
 */
#include <pvshim/time.h>
#include "fakes.h"

uint64_t tsc_khz = 1000000;
uint64_t tsc_at_boot;
uint64_t wallclock_at_boot_ns = 1700000000ull * 1000000000ull;

struct fake_clock fake_clock;

uint64_t read_tsc(void) { return fake_clock.now; }
uint64_t now_ns(void) { return fake_clock.now - tsc_at_boot; }
uint64_t tsc_to_ns(uint64_t d) { return d; }

void time_get_tsc_scale(struct time_scale *s)
{
    s->shift = 1;
    s->mul = 0x80000000u;       /* ((d << 1) * 2^31) >> 32 == d */
}

void timer_set_deadline(uint64_t deadline)
{
    fake_clock.deadline = deadline;
}

void timer_set_callback(void (*fn)(uint64_t now))
{
    fake_clock.callback = fn;
}

void cpu_idle_wait(void)
{
    fake_clock.idle_waits++;
    if (fake_clock.idle_waits > 100000)
        abort_idle_forever();
    if (fake_clock.deadline) {
        if (fake_clock.now < fake_clock.deadline)
            fake_clock.now = fake_clock.deadline;
        uint64_t d = fake_clock.deadline;
        fake_clock.deadline = 0;
        (void)d;
        if (fake_clock.callback)
            fake_clock.callback(fake_clock.now);
    } else {
        abort_idle_forever();
    }
}

void udelay(uint64_t us) { fake_clock.now += us * 1000; }

void fake_clock_advance(uint64_t ns)
{
    fake_clock.now += ns;
    if (fake_clock.deadline && fake_clock.now >= fake_clock.deadline && fake_clock.callback) {
        fake_clock.deadline = 0;
        fake_clock.callback(fake_clock.now);
    }
}
