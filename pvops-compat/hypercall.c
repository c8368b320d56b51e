/*
 * Hypercall dispatch for both guest widths: one table (hypercall_defs.h)
 * with a column per ABI, one loop. A struct pv_abi says how a width passes
 * its arguments; this file has the 64-bit one: arguments in RDI, RSI,
 * RDX, R10, R8, narrowed to each handler's prototype exactly as Xen's
 * (unsigned int truncates to 32 bits), the result in RAX. Numbers without
 * a handler, or that Xen does not offer a PV domU, answer -ENOSYS.
 */
#include "hypercall.h"
#include "hypercalls.h"
#include "abi_trace.h"
#include "hypercall_defs.h"
#include "domain.h"
#include "pv.h"
#include "watchdog.h"

static long hc_set_trap_table(HC_ARGS) { return do_set_trap_table(a0); }
static long hc_mmu_update(HC_ARGS) { return do_mmu_update(a0, (unsigned)a1, a2, (unsigned)a3); }
static long hc_set_gdt(HC_ARGS) { return do_set_gdt(a0, (unsigned)a1); }
static long hc_stack_switch(HC_ARGS) { return do_stack_switch(a0, a1); }
static long hc_set_callbacks(HC_ARGS) { return do_set_callbacks(a0, a1, a2); }
static long hc_fpu_taskswitch(HC_ARGS) { return do_fpu_taskswitch((int)a0); }
static long hc_sched_op_compat(HC_ARGS) { return do_sched_op_compat((int)a0, a1); }
static long hc_set_debugreg(HC_ARGS) { return do_set_debugreg((int)a0, a1); }
static long hc_get_debugreg(HC_ARGS) { return do_get_debugreg((int)a0); }
static long hc_update_descriptor(HC_ARGS) { return do_update_descriptor(a0, a1); }
static long hc_memory_op(HC_ARGS) { return do_memory_op(a0, a1); }
static long hc_multicall(HC_ARGS) { return do_multicall(a0, (uint32_t)a1); }
static long hc_update_va_mapping(HC_ARGS) { return do_update_va_mapping(a0, a1, a2); }
static long hc_set_timer_op(HC_ARGS) { return do_set_timer_op(a0); }
static long hc_event_channel_op_compat(HC_ARGS) { return do_event_channel_op_compat(a0); }
static long hc_xen_version(HC_ARGS) { return do_xen_version((int)a0, a1); }
static long hc_console_io(HC_ARGS) { return do_console_io((unsigned)a0, (unsigned)a1, a2); }
static long hc_physdev_op_compat(HC_ARGS) { return do_physdev_op_compat(a0); }
static long hc_grant_table_op(HC_ARGS) { return do_grant_table_op((unsigned)a0, a1, (unsigned)a2); }
static long hc_vm_assist(HC_ARGS) { return do_vm_assist((unsigned)a0, (unsigned)a1); }
static long hc_sysctl(HC_ARGS) { return do_sysctl(a0); }
static long hc_domctl(HC_ARGS) { return do_domctl(a0); }
static long hc_platform_op(HC_ARGS) { return do_platform_op(a0); }
static long hc_update_va_mapping_otherdomain(HC_ARGS)
{
    return do_update_va_mapping_otherdomain(a0, a1, a2, (unsigned)a3);
}
static long hc_iret(HC_ARGS) { return do_iret(); }
static long hc_vcpu_op(HC_ARGS) { return do_vcpu_op((int)a0, (unsigned)a1, a2); }
static long hc_set_segment_base(HC_ARGS) { return do_set_segment_base((unsigned)a0, a1); }
static long hc_mmuext_op(HC_ARGS) { return do_mmuext_op(a0, (unsigned)a1, a2, (unsigned)a3); }
static long hc_nmi_op(HC_ARGS) { return do_nmi_op((unsigned)a0, a1); }
static long hc_sched_op(HC_ARGS) { return do_sched_op((int)a0, a1); }
static long hc_callback_op(HC_ARGS) { return do_callback_op((int)a0, a1); }
static long hc_event_channel_op(HC_ARGS) { return do_event_channel_op((int)a0, a1); }
static long hc_physdev_op(HC_ARGS) { return do_physdev_op((int)a0, a1); }

#define PV64_ROW(name, subop, own, pv64, pv32) [__HYPERVISOR_##name] = { pv64, own, subop },
const struct hypercall_row pv64_rows[NR_HYPERCALLS] = { PV_HYPERCALLS(PV64_ROW) };

bool hc_own(uint64_t a0, uint64_t a1)
{
    return true;
}

/*
 * The caller's own timers (soft timers of its own CPU, under timer_lock):
 * setting or stopping the singleshot or the periodic one. A singleshot
 * deadline already past raises VIRQ_TIMER at once: that step takes the
 * lock itself (vcpu_op.c, pv_entry_lock).
 */
bool own_vcpu_op(uint64_t a0, uint64_t a1)
{
    int cmd = (int)a0;
    /* Any vCPU's up flag: one word, read once, as Xen reads it (no lock). */
    if (cmd == VCPUOP_is_up)
        return true;
    if ((unsigned)a1 != current->vcpu_id)
        return false;
    return cmd == VCPUOP_set_singleshot_timer || cmd == VCPUOP_stop_singleshot_timer ||
           cmd == VCPUOP_set_periodic_timer || cmd == VCPUOP_stop_periodic_timer;
}

/* Sending on a port and unmasking one run under that port's own lock
 * (event_channel.c says why that is enough); the rest bind and close. */
bool own_event_channel_op(uint64_t a0, uint64_t a1)
{
    int cmd = (int)a0;
    return cmd == EVTCHNOP_send || cmd == EVTCHNOP_unmask;
}

/* A yield returns at once (each vCPU has its own CPU). */
bool own_sched_op(uint64_t a0, uint64_t a1)
{
    return (int)a0 == SCHEDOP_yield;
}

static void pv64_read_args(const struct cpu_regs *r, uint64_t a[6])
{
    a[0] = r->rdi;
    a[1] = r->rsi;
    a[2] = r->rdx;
    a[3] = r->r10;
    a[4] = r->r8;
    a[5] = 0;
}

const struct pv_abi pv64_abi = {
    .rows = pv64_rows, .read_args = pv64_read_args, .word = sizeof(uint64_t),
};

bool hypercall_is_own(const struct cpu_regs *r)
{
    return r->rax < NR_HYPERCALLS && hypercall_row_is_own(&pv64_rows[r->rax], r->rdi, r->rsi);
}

/* mmu_update and mmuext_op count their own elements (mm/). */
static bool counts_itself(uint64_t op)
{
    return op == __HYPERVISOR_mmu_update || op == __HYPERVISOR_mmuext_op;
}

void hypercall_count(uint64_t op, const struct hypercall_row *h, uint64_t a0, long rc)
{
    if (counts_itself(op))
        return;
    /* iret hands back the guest's own RAX: not a result to judge. */
    abi_trace_call(op < 64 ? (unsigned)op : 63,
                   h && h->fn && h->subop ? (unsigned)(a0 & 0xffff) : ABI_SUB_NONE,
                   op == __HYPERVISOR_iret ? 0 : rc);
}

long hypercall_invoke(const struct pv_abi *abi, uint64_t op, const uint64_t args[6])
{
    const struct hypercall_row *h = op < NR_HYPERCALLS ? &abi->rows[op] : NULL;
    long rc = h && h->fn ? h->fn(args[0], args[1], args[2], args[3], args[4], args[5])
                         : -XEN_ENOSYS;
    hypercall_counted(op, h, args[0], rc);
    return rc;
}

void hypercall_dispatch_abi(const struct pv_abi *abi, struct cpu_regs *r)
{
    pv_progress();
    uint64_t args[6];
    abi->read_args(r, args);
    r->rax = hypercall_result_word(abi, hypercall_invoke(abi, r->rax, args));
}

long hypercall_call(uint64_t op, const uint64_t args[5])
{
    const uint64_t a[6] = { args[0], args[1], args[2], args[3], args[4], 0 };
    return hypercall_invoke(&pv64_abi, op, a);
}

void hypercall_dispatch(struct cpu_regs *r)
{
    hypercall_dispatch_abi(&pv64_abi, r);
}
