/*
 * vcpu_op (public/vcpu.h): life cycle, timers, vcpu_info placement,
 * runstate and time areas. vCPU ids are dense from 0; ids from
 * dom.nr_vcpus on do not exist (-ENOENT), as on Xen. As on Xen, most
 * sub-ops act on the vCPU named, the caller's or another; the singleshot
 * timer only on the caller's own (-EINVAL otherwise).
 */
#include "domain.h"
#include "vcpu.h"
#include "hypercalls.h"
#include "time.h"
#include "event_channel.h"
#include "mm_glue.h"
#include <pvshim/guest_access.h>
#include <pvshim/phys.h>
#include <pvshim/string.h>
#include <pvshim/time.h>
#include <pvshim/assert.h>

#define MILLISECS(ms) ((uint64_t)(ms) * 1000000ull)
/* The longest period Xen takes (its STIME_DELTA_MAX, 2^62 - 1 ns): now plus
 * any longer one could wrap, to a deadline always past. */
#define PERIOD_MAX_NS ((1ull << 62) - 1)

static long register_vcpu_info(struct pv_vcpu *v, vaddr_t arg)
{
    struct vcpu_register_vcpu_info info;
    if (copy_from_guest(&info, arg, sizeof(info)))
        return -XEN_EFAULT;
    if (info.offset > PAGE_SIZE - sizeof(struct vcpu_info) || info.rsvd)
        return -XEN_EINVAL;
    /* Its words are updated atomically: a misaligned one is refused, as newer Xen does. */
    if (info.offset % sizeof(xen_ulong_t))
        return -XEN_ENXIO;
    if (v->vcpu_info_mfn != INVALID_MFN)
        return -XEN_EINVAL;     /* once only, as on Xen */
    if (pv_mm_get_writable_frame(info.mfn))
        return -XEN_EINVAL;
    struct vcpu_info *nvi = phys_access(mfn_to_paddr(info.mfn) + info.offset, sizeof(*nvi));
    if (!nvi) {
        pv_mm_put_writable_frame(info.mfn);
        return -XEN_EINVAL;
    }
    memcpy(nvi, v->vcpu_info, sizeof(*nvi));
    /* Mark everything pending so nothing raised meanwhile is lost. */
    nvi->evtchn_upcall_pending = 1;
    nvi->evtchn_pending_sel = ~(xen_ulong_t)0;
    /* Senders without the PV lock read it once (evtchn_raise_upcall). */
    __atomic_store_n(&v->vcpu_info, nvi, __ATOMIC_SEQ_CST);
    v->vcpu_info_mfn = info.mfn;
    pv_time_update(v);
    return 0;
}

long do_vcpu_op(int cmd, unsigned int vcpuid, vaddr_t arg)
{
    if (vcpuid >= dom.nr_vcpus)
        return -XEN_ENOENT;
    struct pv_vcpu *v = &dom.vcpu[vcpuid];

    switch (cmd) {
    case VCPUOP_is_up:
        return v->up;
    case VCPUOP_up:
        return pv_vcpu_up(v);
    case VCPUOP_initialise:
        return pv_vcpu_initialise(v, arg);
    case VCPUOP_down:
        return pv_vcpu_down(v);
    case VCPUOP_get_runstate_info: {
        struct vcpu_runstate_info rs = v->runstate;
        uint64_t now = pv_system_time();
        if ((unsigned)rs.state < 4)
            rs.time[rs.state] += now - rs.state_entry_time;
        return copy_to_guest(arg, &rs, sizeof(rs)) ? -XEN_EFAULT : 0;
    }
    case VCPUOP_register_runstate_memory_area: {
        struct vcpu_register_runstate_memory_area area;
        if (copy_from_guest(&area, arg, sizeof(area)))
            return -XEN_EFAULT;
        v->runstate_area = area.addr.v ? (vaddr_t)(uintptr_t)area.addr.v : 0;
        pv_runstate_publish(v);
        return 0;
    }
    case VCPUOP_register_vcpu_time_memory_area: {
        struct vcpu_register_time_memory_area area;
        if (copy_from_guest(&area, arg, sizeof(area)))
            return -XEN_EFAULT;
        v->time_area = (vaddr_t)(uintptr_t)area.addr.v;
        pv_time_update(v);
        return 0;
    }
    case VCPUOP_set_periodic_timer: {
        struct vcpu_set_periodic_timer set;
        if (copy_from_guest(&set, arg, sizeof(set)))
            return -XEN_EFAULT;
        if (set.period_ns < MILLISECS(1) || set.period_ns > PERIOD_MAX_NS)
            return -XEN_EINVAL;
        pv_set_periodic(v, set.period_ns);
        return 0;
    }
    case VCPUOP_stop_periodic_timer:
        pv_set_periodic(v, 0);
        return 0;
    case VCPUOP_set_singleshot_timer: {
        struct vcpu_set_singleshot_timer set;
        if (v != current)
            return -XEN_EINVAL;
        if (copy_from_guest(&set, arg, sizeof(set)))
            return -XEN_EFAULT;
        /*
         * A deadline already past fires at once, whatever the flags say
         * (Xen no longer honours VCPU_SSHOTTMR_future).
         */
        if (set.timeout_abs_ns < pv_system_time()) {
            pv_set_singleshot(0);
            /* Without the PV lock (hypercall_defs.h): a VIRQ needs only its port's. */
            evtchn_send_virq(VIRQ_TIMER);
            return 0;
        }
        pv_set_singleshot(set.timeout_abs_ns);
        return 0;
    }
    case VCPUOP_stop_singleshot_timer:
        if (v != current)
            return -XEN_EINVAL;
        pv_set_singleshot(0);
        return 0;
    case VCPUOP_register_vcpu_info:
        return register_vcpu_info(v, arg);
    case VCPUOP_send_nmi:
        /*
         * Xen takes no argument (-EINVAL otherwise) and answers 0. pvshim
         * then drops the NMI: it delivers no virtual NMIs (Xen bounces one
         * through trap table vector 2, masked until HYPERVISOR_iret). Linux
         * sends them only for backtraces and to stop CPUs that ignored the
         * stop IPI.
         */
        if (arg)
            return -XEN_EINVAL;
        return 0;
    case VCPUOP_get_physid:
        return -XEN_EINVAL;     /* only the hardware domain may ask */
    default:
        return -XEN_ENOSYS;
    }
}
