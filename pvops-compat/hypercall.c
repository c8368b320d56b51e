/*
 * The hypercall table of a 64-bit PV guest. Arguments arrive in RDI, RSI,
 * RDX, R10, R8 and are narrowed to each handler's prototype exactly as
 * Xen's (unsigned int truncates to 32 bits). Numbers without a handler, or
 * that Xen does not offer a PV domU, answer -ENOSYS.
 */
#include "hypercall.h"
#include "hypercalls.h"
#include "abi_trace.h"
#include "domain.h"
#include "watchdog.h"

typedef long (*hypercall_fn)(const uint64_t a[5]);

#define A0 a[0]
#define A1 a[1]
#define A2 a[2]
#define A3 a[3]
#define A4 a[4]

static long hc_set_trap_table(const uint64_t a[5]) { return do_set_trap_table(A0); }
static long hc_mmu_update(const uint64_t a[5]) { return do_mmu_update(A0, (unsigned)A1, A2, (unsigned)A3); }
static long hc_set_gdt(const uint64_t a[5]) { return do_set_gdt(A0, (unsigned)A1); }
static long hc_stack_switch(const uint64_t a[5]) { return do_stack_switch(A0, A1); }
static long hc_set_callbacks(const uint64_t a[5]) { return do_set_callbacks(A0, A1, A2); }
static long hc_fpu_taskswitch(const uint64_t a[5]) { return do_fpu_taskswitch((int)A0); }
static long hc_sched_op_compat(const uint64_t a[5]) { return do_sched_op_compat((int)A0, A1); }
static long hc_set_debugreg(const uint64_t a[5]) { return do_set_debugreg((int)A0, A1); }
static long hc_get_debugreg(const uint64_t a[5]) { return do_get_debugreg((int)A0); }
static long hc_update_descriptor(const uint64_t a[5]) { return do_update_descriptor(A0, A1); }
static long hc_memory_op(const uint64_t a[5]) { return do_memory_op(A0, A1); }
static long hc_multicall(const uint64_t a[5]) { return do_multicall(A0, (uint32_t)A1); }
static long hc_update_va_mapping(const uint64_t a[5]) { return do_update_va_mapping(A0, A1, A2); }
static long hc_set_timer_op(const uint64_t a[5]) { return do_set_timer_op(A0); }
static long hc_event_channel_op_compat(const uint64_t a[5]) { return do_event_channel_op_compat(A0); }
static long hc_xen_version(const uint64_t a[5]) { return do_xen_version((int)A0, A1); }
static long hc_console_io(const uint64_t a[5]) { return do_console_io((unsigned)A0, (unsigned)A1, A2); }
static long hc_physdev_op_compat(const uint64_t a[5]) { return do_physdev_op_compat(A0); }
static long hc_grant_table_op(const uint64_t a[5]) { return do_grant_table_op((unsigned)A0, A1, (unsigned)A2); }
static long hc_vm_assist(const uint64_t a[5]) { return do_vm_assist((unsigned)A0, (unsigned)A1); }
static long hc_update_va_mapping_otherdomain(const uint64_t a[5])
{
    return do_update_va_mapping_otherdomain(A0, A1, A2, (unsigned)A3);
}
static long hc_iret(const uint64_t a[5]) { (void)a; return do_iret(); }
static long hc_vcpu_op(const uint64_t a[5]) { return do_vcpu_op((int)A0, (unsigned)A1, A2); }
static long hc_set_segment_base(const uint64_t a[5]) { return do_set_segment_base((unsigned)A0, A1); }
static long hc_mmuext_op(const uint64_t a[5]) { return do_mmuext_op(A0, (unsigned)A1, A2, (unsigned)A3); }
static long hc_nmi_op(const uint64_t a[5]) { return do_nmi_op((unsigned)A0, A1); }
static long hc_sched_op(const uint64_t a[5]) { return do_sched_op((int)A0, A1); }
static long hc_callback_op(const uint64_t a[5]) { return do_callback_op((int)A0, A1); }
static long hc_event_channel_op(const uint64_t a[5]) { return do_event_channel_op((int)A0, A1); }
static long hc_physdev_op(const uint64_t a[5]) { return do_physdev_op((int)A0, A1); }

static const hypercall_fn table[NR_HYPERCALLS] = {
    [__HYPERVISOR_set_trap_table] = hc_set_trap_table,
    [__HYPERVISOR_mmu_update] = hc_mmu_update,
    [__HYPERVISOR_set_gdt] = hc_set_gdt,
    [__HYPERVISOR_stack_switch] = hc_stack_switch,
    [__HYPERVISOR_set_callbacks] = hc_set_callbacks,
    [__HYPERVISOR_fpu_taskswitch] = hc_fpu_taskswitch,
    [__HYPERVISOR_sched_op_compat] = hc_sched_op_compat,
    [__HYPERVISOR_set_debugreg] = hc_set_debugreg,
    [__HYPERVISOR_get_debugreg] = hc_get_debugreg,
    [__HYPERVISOR_update_descriptor] = hc_update_descriptor,
    [__HYPERVISOR_memory_op] = hc_memory_op,
    [__HYPERVISOR_multicall] = hc_multicall,
    [__HYPERVISOR_update_va_mapping] = hc_update_va_mapping,
    [__HYPERVISOR_set_timer_op] = hc_set_timer_op,
    [__HYPERVISOR_event_channel_op_compat] = hc_event_channel_op_compat,
    [__HYPERVISOR_xen_version] = hc_xen_version,
    [__HYPERVISOR_console_io] = hc_console_io,
    [__HYPERVISOR_physdev_op_compat] = hc_physdev_op_compat,
    [__HYPERVISOR_grant_table_op] = hc_grant_table_op,
    [__HYPERVISOR_vm_assist] = hc_vm_assist,
    [__HYPERVISOR_update_va_mapping_otherdomain] = hc_update_va_mapping_otherdomain,
    [__HYPERVISOR_iret] = hc_iret,
    [__HYPERVISOR_vcpu_op] = hc_vcpu_op,
    [__HYPERVISOR_set_segment_base] = hc_set_segment_base,
    [__HYPERVISOR_mmuext_op] = hc_mmuext_op,
    [__HYPERVISOR_nmi_op] = hc_nmi_op,
    [__HYPERVISOR_sched_op] = hc_sched_op,
    [__HYPERVISOR_callback_op] = hc_callback_op,
    [__HYPERVISOR_event_channel_op] = hc_event_channel_op,
    [__HYPERVISOR_physdev_op] = hc_physdev_op,
};

/* Hypercalls whose first argument selects a sub-operation (for the trace). */
static bool first_arg_is_subop(unsigned op)
{
    switch (op) {
    case __HYPERVISOR_sched_op_compat:
    case __HYPERVISOR_memory_op:
    case __HYPERVISOR_xen_version:
    case __HYPERVISOR_console_io:
    case __HYPERVISOR_grant_table_op:
    case __HYPERVISOR_vm_assist:
    case __HYPERVISOR_vcpu_op:
    case __HYPERVISOR_set_segment_base:
    case __HYPERVISOR_nmi_op:
    case __HYPERVISOR_sched_op:
    case __HYPERVISOR_callback_op:
    case __HYPERVISOR_event_channel_op:
    case __HYPERVISOR_physdev_op:
    case __HYPERVISOR_set_debugreg:
    case __HYPERVISOR_get_debugreg:
        return true;
    default:
        return false;
    }
}

/* mmu_update, mmuext_op and multicall count their own elements. */
static bool counts_itself(unsigned op)
{
    return op == __HYPERVISOR_mmu_update || op == __HYPERVISOR_mmuext_op;
}

long hypercall_call(uint64_t op, const uint64_t args[5])
{
    long rc;
    if (op >= NR_HYPERCALLS || !table[op])
        rc = -XEN_ENOSYS;
    else
        rc = table[op](args);
    /* iret hands back the guest's own RAX: not a result to judge. */
    if (!counts_itself((unsigned)op))
        abi_trace_call(op < 64 ? (unsigned)op : 63,
                       first_arg_is_subop((unsigned)op) ? (unsigned)(args[0] & 0xffff)
                                                        : ABI_SUB_NONE,
                       op == __HYPERVISOR_iret ? 0 : rc);
    return rc;
}

void hypercall_dispatch(struct cpu_regs *r)
{
    pv_progress_count++;
    /* The one every guest system call ends with, as hypercall_call would run it. */
    if (r->rax == __HYPERVISOR_iret) {
        r->rax = (uint64_t)do_iret();
        abi_trace_call(__HYPERVISOR_iret, ABI_SUB_NONE, 0);
        return;
    }
    const uint64_t args[5] = { r->rdi, r->rsi, r->rdx, r->r10, r->r8 };
    r->rax = (uint64_t)hypercall_call(r->rax, args);
}
