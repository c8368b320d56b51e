#include <pvshim/soft_timer.h>
#include <pvshim/time.h>
#include <pvshim/status.h>
#include <pvshim/compiler.h>

#define MAX_TIMERS 16

static struct soft_timer *timers[MAX_TIMERS];
static unsigned nr_timers;
static bool running;

static void program_hardware(void)
{
    uint64_t next = 0;
    for (unsigned i = 0; i < nr_timers; i++)
        if (timers[i]->deadline && (!next || timers[i]->deadline < next))
            next = timers[i]->deadline;
    timer_set_deadline(next);
}

void soft_timer_arm(struct soft_timer *t, uint64_t deadline)
{
    if (!t->registered) {
        /* A timer whose owner was reset (zeroed) may still be listed. */
        bool listed = false;
        for (unsigned i = 0; i < nr_timers; i++)
            listed |= timers[i] == t;
        if (!listed) {
            if (nr_timers == MAX_TIMERS)
                panic("too many software timers");
            timers[nr_timers++] = t;
        }
        t->registered = true;
    }
    t->deadline = deadline;
    if (!running)
        program_hardware();
}

void soft_timer_cancel(struct soft_timer *t)
{
    soft_timer_arm(t, 0);
}

void soft_timer_run(uint64_t now)
{
    running = true;
    /* A callback may re-arm itself (even in the past): loop until quiet. */
    for (unsigned round = 0; round < 8; round++) {
        bool fired = false;
        for (unsigned i = 0; i < nr_timers; i++) {
            struct soft_timer *t = timers[i];
            if (t->deadline && t->deadline <= now) {
                t->deadline = 0;
                t->fire(t, now);
                fired = true;
            }
        }
        if (!fired)
            break;
    }
    running = false;
    program_hardware();
}

static void hardware_fired(uint64_t now)
{
    soft_timer_run(now);
}

void soft_timer_init(void)
{
    timer_set_callback(hardware_fired);
}
