/*
 * Software timers on top of each CPU's one hardware one-shot timer. A
 * timer belongs to one CPU (t->cpu, 0 unless soft_timer_bind() said
 * otherwise) and fires there; arming it from another CPU kicks its owner
 * so that it reprograms its hardware timer.
 */
#include <pvshim/soft_timer.h>
#include <pvshim/time.h>
#include <pvshim/status.h>
#include <pvshim/compiler.h>
#include <pvshim/percpu.h>
#include <pvshim/spinlock.h>

#define MAX_TIMERS 16   /* per CPU */

struct timer_list {
    struct soft_timer *timers[MAX_TIMERS];
    unsigned nr;
    bool running;       /* soft_timer_run() is firing this CPU's timers */
};

/*
 * timer_lock protects: lists[] and every timer's deadline, registered and
 * cpu fields. Callbacks run without it.
 * order: inside the PV layer's lock (domain.c), outside console_lock.
 */
static spinlock_t timer_lock;
static struct timer_list lists[MAX_PCPUS];

static void (*take_lock)(void);     /* soft_timer_set_lock */

void soft_timer_set_lock(void (*take)(void))
{
    take_lock = take;
}

static void program_hardware(struct timer_list *l)
{
    ASSERT_LOCKED(&timer_lock);
    uint64_t next = 0;
    for (unsigned i = 0; i < l->nr; i++)
        if (l->timers[i]->deadline && (!next || l->timers[i]->deadline < next))
            next = l->timers[i]->deadline;
    timer_set_deadline(next);
}

void soft_timer_bind(struct soft_timer *t, unsigned cpu)
{
    spin_lock(&timer_lock);
    /* Only a timer never armed may move: it is on no list yet. */
    ASSERT(!t->registered && cpu < MAX_PCPUS);
    t->cpu = cpu;
    spin_unlock(&timer_lock);
}

void soft_timer_arm(struct soft_timer *t, uint64_t deadline)
{
    spin_lock(&timer_lock);
    struct timer_list *l = &lists[t->cpu];
    if (!t->registered) {
        /* A timer whose owner was reset (zeroed) may still be listed. */
        bool listed = false;
        for (unsigned i = 0; i < l->nr; i++)
            listed |= l->timers[i] == t;
        if (!listed) {
            if (l->nr == MAX_TIMERS)
                panic("too many software timers");
            l->timers[l->nr++] = t;
        }
        t->registered = true;
    }
    t->deadline = deadline;
    bool here = t->cpu == this_pcpu()->id;
    if (here && !l->running)
        program_hardware(l);
    unsigned owner = t->cpu;
    spin_unlock(&timer_lock);
    if (!here)
        smp_kick(owner);
}

void soft_timer_cancel(struct soft_timer *t)
{
    soft_timer_arm(t, 0);
}

/*
 * Fire the calling CPU's expired timers in passes over its list: each pass
 * fires every timer expired when the scan reaches it, once, so a callback
 * that re-arms its own timer in the past (a deadline it computed already
 * behind now) cannot starve the timers listed after it; passes repeat
 * while one fired, a bounded number of times (such a timer would go on
 * forever: the hardware timer, set in the past, brings the next run).
 */
void soft_timer_run(uint64_t now)
{
    struct timer_list *l = &lists[this_pcpu()->id];
    spin_lock(&timer_lock);
    l->running = true;
    bool fired = true;
    for (unsigned pass = 0; fired && pass < 8; pass++) {
        fired = false;
        /* l->nr is read again each step: a callback may list a new timer. */
        for (unsigned i = 0; i < l->nr; i++) {
            struct soft_timer *t = l->timers[i];
            if (!t->deadline || t->deadline > now)
                continue;
            t->deadline = 0;
            fired = true;
            spin_unlock(&timer_lock);
            if (!t->own_cpu && take_lock)
                take_lock();
            t->fire(t, now);
            spin_lock(&timer_lock);
        }
    }
    l->running = false;
    program_hardware(l);
    spin_unlock(&timer_lock);
}

static void hardware_fired(uint64_t now)
{
    soft_timer_run(now);
}

void soft_timer_init(void)
{
    timer_set_callback(hardware_fired);
}
