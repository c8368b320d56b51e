/*
 * Time for the guest (public/xen.h vcpu_time_info, shared_info wallclock;
 * public/vcpu.h timers and runstate). System time is pvshim's now_ns():
 * the guest extrapolates it from the TSC with the same scale pvshim uses,
 * so both always agree.
 */
#include "time.h"
#include "domain.h"
#include "event_channel.h"
#include "hypercalls.h"
#include "compat.h"
#include "pv_lock.h"
#include <pvshim/time.h>
#include <pvshim/soft_timer.h>
#include <pvshim/guest_access.h>
#include <pvshim/string.h>
#include <pvshim/assert.h>

uint64_t pv_system_time(void)
{
    return now_ns();
}

/* Writers bump the version to odd, write, then to even (readers retry on odd). */
static void write_time_info(volatile struct vcpu_time_info *t, const struct vcpu_time_info *src)
{
    t->version = src->version | 1;
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    t->tsc_timestamp = src->tsc_timestamp;
    t->system_time = src->system_time;
    t->tsc_to_system_mul = src->tsc_to_system_mul;
    t->tsc_shift = src->tsc_shift;
    t->flags = src->flags;
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    t->version = src->version + 2 - (src->version & 1);
}

void pv_time_update(struct pv_vcpu *v)
{
    struct time_scale sc;
    time_get_tsc_scale(&sc);

    struct vcpu_time_info ti = v->vcpu_info->time;
    uint64_t tsc = read_tsc();
    ti.tsc_timestamp = tsc;
    ti.system_time = tsc_to_ns(tsc - tsc_at_boot);
    ti.tsc_to_system_mul = sc.mul;
    ti.tsc_shift = sc.shift;
    ti.flags = 0;
    write_time_info(&v->vcpu_info->time, &ti);
    ti.version = v->vcpu_info->time.version;
    if (v->time_area)
        copy_to_guest(v->time_area, &ti, sizeof(ti));
}

static void publish_wallclock(void)
{
    struct shared_info *s = dom.shared_info;
    uint64_t wc = wallclock_at_boot_ns;
    if (dom.compat) {
        compat_publish_wallclock(wc);
        return;
    }
    s->wc_version++;
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    s->wc_sec = (uint32_t)(wc / 1000000000ull);
    s->wc_nsec = (uint32_t)(wc % 1000000000ull);
    s->wc_sec_hi = (uint32_t)((wc / 1000000000ull) >> 32);
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    s->wc_version++;
}

void pv_time_domain_moved(void)
{
    publish_wallclock();
    pv_time_update(current);
}

static void singleshot_fired(struct soft_timer *t, uint64_t now)
{
    struct pv_vcpu *v = container_of(t, struct pv_vcpu, singleshot_timer);
    (void)now;
    ASSERT(v == current);
    v->singleshot_deadline = 0;
    pv_time_update(v);
    evtchn_send_virq(VIRQ_TIMER);
}

static void periodic_fired(struct soft_timer *t, uint64_t now)
{
    struct pv_vcpu *v = container_of(t, struct pv_vcpu, periodic_timer);
    ASSERT(v == current);
    if (!v->periodic_period)
        return;
    /* Skip the ticks that were missed rather than deliver a burst. */
    uint64_t next = v->periodic_next + v->periodic_period;
    if (next <= now)
        next = now + v->periodic_period;
    v->periodic_next = next;
    soft_timer_arm(t, next);
    pv_time_update(v);
    evtchn_send_virq(VIRQ_TIMER);
}

void pv_set_singleshot(uint64_t deadline)
{
    current->singleshot_deadline = deadline;
    /* A deadline already past fires at once (soft_timer_arm with now+0 would not). */
    soft_timer_arm(&current->singleshot_timer, deadline ? MAX(deadline, 1) : 0);
}

/* The timer runs on v's own physical CPU (vCPU n on pCPU n); one that has
 * not started yet keeps the period and starts it with pv_time_vcpu_start. */
void pv_set_periodic(struct pv_vcpu *v, uint64_t period)
{
    v->periodic_period = period;
    if (!v->loaded)
        return;
    v->periodic_next = period ? now_ns() + period : 0;
    soft_timer_arm(&v->periodic_timer, v->periodic_next);
}

void pv_time_vcpu_init(struct pv_vcpu *v)
{
    v->singleshot_timer.fire = singleshot_fired;
    v->periodic_timer.fire = periodic_fired;
    /* They touch only v, its CPU's timers and VIRQ_TIMER's port (under its
     * own lock): they run without the PV lock when the interrupt has none. */
    v->singleshot_timer.own_cpu = v->periodic_timer.own_cpu = v->poll_timer.own_cpu = true;
    soft_timer_bind(&v->singleshot_timer, v->vcpu_id);
    soft_timer_bind(&v->periodic_timer, v->vcpu_id);
    soft_timer_bind(&v->poll_timer, v->vcpu_id);
    /* Every PV vCPU starts with a 10 ms periodic timer, as on Xen. */
    v->periodic_period = PV_DEFAULT_PERIOD_NS;
}

void pv_time_vcpu_start(struct pv_vcpu *v)
{
    ASSERT(v == current && v->loaded);
    pv_time_update(v);
    v->runstate.state = RUNSTATE_running;
    v->runstate.state_entry_time = now_ns();
    pv_runstate_publish(v);
    pv_set_periodic(v, v->periodic_period);
}

/* Static: the kernel is linked at an address a GOT-relative load of an
 * external function's address cannot be relaxed to. */
static void timer_lock(void)
{
    pv_timer_lock();
}

void pv_time_init(void)
{
    soft_timer_set_lock(timer_lock);
    pv_time_vcpu_init(current);
    publish_wallclock();
    current->loaded = true;
    pv_time_vcpu_start(current);
}

void pv_runstate_publish(struct pv_vcpu *v)
{
    if (dom.compat) {
        compat_runstate_publish(v);
        return;
    }
    if (!v->runstate_area)
        return;
    bool flag = dom.vm_assist & (1ul << VMASST_TYPE_runstate_update_flag);
    struct vcpu_runstate_info rs = v->runstate;
    if (flag) {
        /* Readers see the update flag while the copy is in flux. */
        uint64_t t = rs.state_entry_time | XEN_RUNSTATE_UPDATE;
        copy_to_guest(v->runstate_area + offsetof(struct vcpu_runstate_info, state_entry_time),
                      &t, sizeof(t));
        __atomic_thread_fence(__ATOMIC_SEQ_CST);
        rs.state_entry_time |= XEN_RUNSTATE_UPDATE;
        copy_to_guest(v->runstate_area, &rs, sizeof(rs));
        __atomic_thread_fence(__ATOMIC_SEQ_CST);
        rs.state_entry_time &= ~XEN_RUNSTATE_UPDATE;
        copy_to_guest(v->runstate_area + offsetof(struct vcpu_runstate_info, state_entry_time),
                      &rs.state_entry_time, sizeof(rs.state_entry_time));
    } else {
        copy_to_guest(v->runstate_area, &rs, sizeof(rs));
    }
}

void pv_runstate_set(int state)
{
    struct vcpu_runstate_info *rs = &current->runstate;
    uint64_t now = now_ns();
    if (rs->state == state)
        return;
    if ((unsigned)rs->state < 4)
        rs->time[rs->state] += now - rs->state_entry_time;
    rs->state = state;
    rs->state_entry_time = now;
    pv_runstate_publish(current);
}

long do_set_timer_op(uint64_t timeout)
{
    /*
     * Like Xen: a negative or absurdly distant timeout (beyond 2^50 ns,
     * ~13 days; old Linux wraps jiffies into these) becomes 100 ms from now.
     */
    if (timeout && (timeout >> 50) != 0)
        timeout = now_ns() + 100000000ull;
    pv_set_singleshot(timeout);
    return 0;
}
