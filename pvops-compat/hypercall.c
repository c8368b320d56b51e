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

#define A0 a[0]
#define A1 a[1]
#define A2 a[2]
#define A3 a[3]
#define A4 a[4]

static long hc_set_trap_table(const uint64_t a[6]) { return do_set_trap_table(A0); }
static long hc_mmu_update(const uint64_t a[6]) { return do_mmu_update(A0, (unsigned)A1, A2, (unsigned)A3); }
static long hc_set_gdt(const uint64_t a[6]) { return do_set_gdt(A0, (unsigned)A1); }
static long hc_stack_switch(const uint64_t a[6]) { return do_stack_switch(A0, A1); }
static long hc_set_callbacks(const uint64_t a[6]) { return do_set_callbacks(A0, A1, A2); }
static long hc_fpu_taskswitch(const uint64_t a[6]) { return do_fpu_taskswitch((int)A0); }
static long hc_sched_op_compat(const uint64_t a[6]) { return do_sched_op_compat((int)A0, A1); }
static long hc_set_debugreg(const uint64_t a[6]) { return do_set_debugreg((int)A0, A1); }
static long hc_get_debugreg(const uint64_t a[6]) { return do_get_debugreg((int)A0); }
static long hc_update_descriptor(const uint64_t a[6]) { return do_update_descriptor(A0, A1); }
static long hc_memory_op(const uint64_t a[6]) { return do_memory_op(A0, A1); }
static long hc_multicall(const uint64_t a[6]) { return do_multicall(A0, (uint32_t)A1); }
static long hc_update_va_mapping(const uint64_t a[6]) { return do_update_va_mapping(A0, A1, A2); }
static long hc_set_timer_op(const uint64_t a[6]) { return do_set_timer_op(A0); }
static long hc_event_channel_op_compat(const uint64_t a[6]) { return do_event_channel_op_compat(A0); }
static long hc_xen_version(const uint64_t a[6]) { return do_xen_version((int)A0, A1); }
static long hc_console_io(const uint64_t a[6]) { return do_console_io((unsigned)A0, (unsigned)A1, A2); }
static long hc_physdev_op_compat(const uint64_t a[6]) { return do_physdev_op_compat(A0); }
static long hc_grant_table_op(const uint64_t a[6]) { return do_grant_table_op((unsigned)A0, A1, (unsigned)A2); }
static long hc_vm_assist(const uint64_t a[6]) { return do_vm_assist((unsigned)A0, (unsigned)A1); }
static long hc_sysctl(const uint64_t a[6]) { return do_sysctl(A0); }
static long hc_domctl(const uint64_t a[6]) { return do_domctl(A0); }
static long hc_platform_op(const uint64_t a[6]) { return do_platform_op(A0); }
static long hc_update_va_mapping_otherdomain(const uint64_t a[6])
{
    return do_update_va_mapping_otherdomain(A0, A1, A2, (unsigned)A3);
}
static long hc_iret(const uint64_t a[6]) { (void)a; return do_iret(); }
static long hc_vcpu_op(const uint64_t a[6]) { return do_vcpu_op((int)A0, (unsigned)A1, A2); }
static long hc_set_segment_base(const uint64_t a[6]) { return do_set_segment_base((unsigned)A0, A1); }
static long hc_mmuext_op(const uint64_t a[6]) { return do_mmuext_op(A0, (unsigned)A1, A2, (unsigned)A3); }
static long hc_nmi_op(const uint64_t a[6]) { return do_nmi_op((unsigned)A0, A1); }
static long hc_sched_op(const uint64_t a[6]) { return do_sched_op((int)A0, A1); }
static long hc_callback_op(const uint64_t a[6]) { return do_callback_op((int)A0, A1); }
static long hc_event_channel_op(const uint64_t a[6]) { return do_event_channel_op((int)A0, A1); }
static long hc_physdev_op(const uint64_t a[6]) { return do_physdev_op((int)A0, A1); }

#define PV64_COLUMN(name, subop, own, pv64, pv32) [__HYPERVISOR_##name] = pv64,
static const hypercall_fn pv64_table[NR_HYPERCALLS] = { PV_HYPERCALLS(PV64_COLUMN) };

#define SUBOP_COLUMN(name, subop, own, pv64, pv32) [__HYPERVISOR_##name] = subop,
static const bool first_arg_is_subop[NR_HYPERCALLS] = { PV_HYPERCALLS(SUBOP_COLUMN) };

#define OWN_COLUMN(name, subop, own, pv64, pv32) [__HYPERVISOR_##name] = own,
static const hypercall_own_fn own_table[NR_HYPERCALLS] = { PV_HYPERCALLS(OWN_COLUMN) };

bool hc_own(const uint64_t a[6])
{
    (void)a;
    return true;
}

/*
 * The caller's own timers (soft timers of its own CPU, under timer_lock):
 * setting or stopping the singleshot or the periodic one. A singleshot
 * deadline already past raises VIRQ_TIMER at once: that step takes the
 * lock itself (vcpu_op.c, pv_entry_lock).
 */
bool own_vcpu_op(const uint64_t a[6])
{
    int cmd = (int)a[0];
    /* Any vCPU's up flag: one word, read once, as Xen reads it (no lock). */
    if (cmd == VCPUOP_is_up)
        return true;
    if ((unsigned)a[1] != current->vcpu_id)
        return false;
    return cmd == VCPUOP_set_singleshot_timer || cmd == VCPUOP_stop_singleshot_timer ||
           cmd == VCPUOP_set_periodic_timer || cmd == VCPUOP_stop_periodic_timer;
}

/* Sending on a port and unmasking one run under that port's own lock
 * (event_channel.c says why that is enough); the rest bind and close. */
bool own_event_channel_op(const uint64_t a[6])
{
    int cmd = (int)a[0];
    return cmd == EVTCHNOP_send || cmd == EVTCHNOP_unmask;
}

/* A yield returns at once (each vCPU has its own CPU). */
bool own_sched_op(const uint64_t a[6])
{
    return (int)a[0] == SCHEDOP_yield;
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
    .table = pv64_table, .read_args = pv64_read_args, .word = sizeof(uint64_t),
};

bool hypercall_is_own(const struct cpu_regs *r)
{
    uint64_t op = r->rax;
    if (op >= NR_HYPERCALLS || !own_table[op])
        return false;
    if (own_table[op] == hc_own)
        return true;                /* whatever the arguments */
    uint64_t a[6];
    pv64_read_args(r, a);
    return own_table[op](a);
}

/* mmu_update, mmuext_op and multicall count their own elements. */
static bool counts_itself(uint64_t op)
{
    return op == __HYPERVISOR_mmu_update || op == __HYPERVISOR_mmuext_op;
}

long hypercall_invoke(const struct pv_abi *abi, uint64_t op, const uint64_t args[6])
{
    hypercall_fn fn = op < NR_HYPERCALLS ? abi->table[op] : NULL;
    long rc = fn ? fn(args) : -XEN_ENOSYS;
    /* iret hands back the guest's own RAX: not a result to judge. */
    if (!counts_itself(op))
        abi_trace_call(op < 64 ? (unsigned)op : 63,
                       fn && first_arg_is_subop[op] ? (unsigned)(args[0] & 0xffff)
                                                    : ABI_SUB_NONE,
                       op == __HYPERVISOR_iret ? 0 : rc);
    return rc;
}

/* The result as the ABI's word (a 32-bit guest's EAX, zero-extended). */
uint64_t hypercall_result_word(const struct pv_abi *abi, long rc)
{
    return abi->word == sizeof(uint32_t) ? (uint32_t)rc : (uint64_t)rc;
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
    /* The one every guest system call ends with: straight to do_iret,
     * counted and traced as hypercall_invoke would. */
    if (r->rax == __HYPERVISOR_iret) {
        pv_progress();
        r->rax = (uint64_t)do_iret();
        abi_trace_call(__HYPERVISOR_iret, ABI_SUB_NONE, 0);
        return;
    }
    hypercall_dispatch_abi(&pv64_abi, r);
}
