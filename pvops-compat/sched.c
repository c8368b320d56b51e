/*
 * sched_op for a domain whose vCPUs each have a CPU to themselves (vCPU n
 * on physical CPU n): yield is a no-op,
 * block idles the CPU until an event is pending, poll until one of some
 * ports is, shutdown ends the VM with the matching status; a suspend ends
 * it only if the domain was saved (pv_suspend_handler), else it returns
 * what the handler says (0 resumed in a new domain, 1 cancelled).
 */
#include "pv.h"
#include "hypercalls.h"
#include "event_channel.h"
#include "time.h"
#include "abi_trace.h"
#include <pvshim/guest_access.h>
#include <pvshim/log.h>
#include <pvshim/json.h>
#include <pvshim/status.h>
#include <pvshim/time.h>
#include <pvshim/soft_timer.h>
#include <pvshim/string.h>
#include "watchdog.h"
#include "services.h"
#include "pv_lock.h"
#include "flush_stats.h"
#include <pvshim/guest_entry.h>

#define POLL_MAX_PORTS 128

static uint32_t shutdown_code;

long (*pv_suspend_handler)(void);

/* SHUTDOWN_suspend: saved (pvshim ends), resumed (0) or cancelled (1). */
static long suspend(void)
{
    long rc = pv_suspend_handler ? pv_suspend_handler() : 1;
    if (rc == PV_SUSPEND_SAVED)
        pv_shutdown(SHUTDOWN_suspend);
    return rc;
}

bool pv_events_deliverable(void)
{
    return pv_events_deliverable_on(current);
}

/* Idle until wake() holds; interrupts (timers, input, kicks from other
 * vCPUs raising events) run in between, with the PV lock released. */
static void idle_until(bool (*wake)(const void *), const void *arg)
{
    pv_runstate_set(RUNSTATE_blocked);
    while (!wake(arg))
        pv_idle_wait();
    pv_runstate_set(RUNSTATE_running);
}

static bool upcall_pending(const void *arg)
{
    (void)arg;
    return __atomic_load_n(&current->vcpu_info->evtchn_upcall_pending, __ATOMIC_ACQUIRE);
}

struct poll_args {
    const evtchn_port_t *ports;
    unsigned n;
    unsigned newly_pending_at_start;
};

/* As on Xen: a poll on one port waits for that port; on none or several,
 * any port becoming pending ends it. */
static bool poll_done(const void *arg)
{
    const struct poll_args *p = arg;
    return current->poll_timed_out || evtchn_any_pending(p->ports, p->n) ||
           (p->n != 1 && evtchn_newly_pending_count() != p->newly_pending_at_start);
}

static void poll_timeout_fired(struct soft_timer *t, uint64_t now)
{
    (void)now;
    container_of(t, struct pv_vcpu, poll_timer)->poll_timed_out = true;
}

static long sched_poll(vaddr_t arg)
{
    struct sched_poll sp;
    evtchn_port_t ports[POLL_MAX_PORTS];
    if (copy_from_guest(&sp, arg, sizeof(sp)))
        return -XEN_EFAULT;
    if (sp.nr_ports > POLL_MAX_PORTS)
        return -XEN_EINVAL;
    if (sp.nr_ports && copy_from_guest(ports, (vaddr_t)(uintptr_t)sp.ports.p,
                                       sp.nr_ports * sizeof(ports[0])))
        return -XEN_EFAULT;
    for (unsigned i = 0; i < sp.nr_ports; i++)
        if (!evtchn_port_valid(ports[i]))
            return -XEN_EINVAL;

    /* Events the guest would take at once end the poll before it starts. */
    if (pv_events_deliverable())
        return 0;
    struct poll_args pa = { ports, sp.nr_ports, evtchn_newly_pending_count() };
    struct pv_vcpu *v = current;
    v->poll_timed_out = false;
    if (sp.timeout) {
        v->poll_timer.fire = poll_timeout_fired;
        soft_timer_arm(&v->poll_timer, sp.timeout);
    }
    idle_until(poll_done, &pa);
    soft_timer_cancel(&v->poll_timer);
    return 0;
}

long do_sched_op(int cmd, vaddr_t arg)
{
    switch (cmd) {
    case SCHEDOP_yield:
        return 0;
    case SCHEDOP_block:
        /* Blocking re-enables event delivery, then waits for one. */
        current->vcpu_info->evtchn_upcall_mask = 0;
        idle_until(upcall_pending, NULL);
        return 0;
    case SCHEDOP_shutdown: {
        struct sched_shutdown sd;
        if (copy_from_guest(&sd, arg, sizeof(sd)))
            return -XEN_EFAULT;
        /* Xen takes the reason as a byte (domain_shutdown's u8). */
        if ((uint8_t)sd.reason == SHUTDOWN_suspend)
            return suspend();
        pv_shutdown((uint8_t)sd.reason);
    }
    case SCHEDOP_poll:
        return sched_poll(arg);
    case SCHEDOP_shutdown_code: {
        struct sched_shutdown sd;
        if (copy_from_guest(&sd, arg, sizeof(sd)))
            return -XEN_EFAULT;
        shutdown_code = sd.reason;
        return 0;
    }
    case SCHEDOP_remote_shutdown:
    case SCHEDOP_pin_override:
        return -XEN_EPERM;
    case SCHEDOP_watchdog:
        return pv_watchdog_op(arg);
    default:
        return -XEN_ENOSYS;
    }
}

long do_sched_op_compat(int cmd, uint64_t arg)
{
    switch (cmd) {
    case SCHEDOP_yield:
    case SCHEDOP_block:
        return do_sched_op(cmd, 0);
    case SCHEDOP_shutdown:
        /* The reason is the argument word's low byte, as for SCHEDOP_shutdown. */
        if ((uint8_t)arg == SHUTDOWN_suspend)
            return suspend();
        pv_shutdown((uint8_t)arg);
    default:
        return -XEN_ENOSYS;
    }
}

static enum pvshim_exit exit_for(unsigned reason)
{
    switch (reason) {
    case SHUTDOWN_poweroff: return EXIT_POWEROFF;
    case SHUTDOWN_suspend:  return EXIT_POWEROFF;   /* saved to the save disk */
    case SHUTDOWN_reboot:   return EXIT_REBOOT;
    case SHUTDOWN_watchdog: return EXIT_WATCHDOG;
    case SHUTDOWN_crash:
    default:                return EXIT_GUEST_CRASH;
    }
}

static const char *reason_name(unsigned reason)
{
    switch (reason) {
    case SHUTDOWN_poweroff:   return "poweroff";
    case SHUTDOWN_reboot:     return "reboot";
    case SHUTDOWN_suspend:    return "suspend";
    case SHUTDOWN_crash:      return "crash";
    case SHUTDOWN_watchdog:   return "watchdog";
    case SHUTDOWN_soft_reset: return "soft_reset";
    default:                  return "unknown";
    }
}

/* Both end the domain from any entry: one that ran without the PV lock
 * (entry.c) takes it here, as the services and reports need it. */
void pv_shutdown(unsigned int reason)
{
    pv_lock();
    pv_services_flush();
    pv_fast_path_report();
    struct json_rec r;
    json_begin(&r, "guest-shutdown");
    json_str(&r, "reason", reason_name(reason));
    json_uint(&r, "reason_code", reason);
    json_uint(&r, "code", shutdown_code);
    log_event(LOG_INFO, &r, "guest shut down: %s (reason %u, code %u)", reason_name(reason),
              reason, shutdown_code);
    abi_trace_report();
    pv_lock_stats_report();
    pv_flush_stats_report();
    machine_exit(exit_for(reason));
}

void pv_crash(const char *fmt, ...)
{
    char msg[200];
    va_list ap;
    va_start(ap, fmt);
    fmt_vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    pv_lock();
    pv_services_flush();
    struct json_rec r;
    json_begin(&r, "guest-crash");
    json_str(&r, "what", msg);
    log_event(LOG_ERR, &r, "guest crashed: %s", msg);
    abi_trace_report();
    pv_lock_stats_report();
    pv_flush_stats_report();
    machine_exit(EXIT_GUEST_CRASH);
}
