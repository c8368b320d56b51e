#include "watchdog.h"
#include "pv.h"
#include <pvshim/guest_access.h>
#include <pvshim/soft_timer.h>
#include <pvshim/time.h>
#include <pvshim/log.h>

#define GUEST_WATCHDOGS 2
#define SECONDS(s) ((uint64_t)(s) * 1000000000ull)

static struct soft_timer guest_dogs[GUEST_WATCHDOGS];
static bool dog_in_use[GUEST_WATCHDOGS];
static struct soft_timer host_dog;
static uint64_t host_period;
static uint64_t progress_seen;
uint64_t pv_progress_count;

static void guest_dog_fired(struct soft_timer *t, uint64_t now)
{
    (void)now;
    log_err("guest watchdog %u expired", (unsigned)(t - guest_dogs) + 1);
    pv_shutdown(SHUTDOWN_watchdog);
}

long pv_watchdog_op(vaddr_t arg)
{
    struct sched_watchdog wd;
    if (copy_from_guest(&wd, arg, sizeof(wd)))
        return -XEN_EFAULT;
    if (wd.id > GUEST_WATCHDOGS)
        return -XEN_EINVAL;
    if (wd.id == 0) {
        for (unsigned i = 0; i < GUEST_WATCHDOGS; i++) {
            if (dog_in_use[i])
                continue;
            dog_in_use[i] = true;
            guest_dogs[i].fire = guest_dog_fired;
            soft_timer_arm(&guest_dogs[i], now_ns() + SECONDS(wd.timeout));
            return i + 1;
        }
        return -XEN_ENOSPC;
    }
    unsigned i = wd.id - 1;
    if (!dog_in_use[i])
        return -XEN_EINVAL;
    if (wd.timeout == 0) {
        soft_timer_cancel(&guest_dogs[i]);
        dog_in_use[i] = false;
    } else {
        soft_timer_arm(&guest_dogs[i], now_ns() + SECONDS(wd.timeout));
    }
    return 0;
}

static void host_dog_fired(struct soft_timer *t, uint64_t now)
{
    uint64_t progress = __atomic_load_n(&pv_progress_count, __ATOMIC_RELAXED);
    if (progress == progress_seen) {
        log_err("watchdog: the guest made no hypercall for %llu s; it is hung",
                (unsigned long long)(host_period / SECONDS(1)));
        pv_shutdown(SHUTDOWN_watchdog);
    }
    progress_seen = progress;
    soft_timer_arm(t, now + host_period);
}

void pv_watchdog_host_start(unsigned seconds)
{
    if (!seconds)
        return;
    host_period = SECONDS(seconds);
    progress_seen = pv_progress_count;
    host_dog.fire = host_dog_fired;
    soft_timer_arm(&host_dog, now_ns() + host_period);
}
