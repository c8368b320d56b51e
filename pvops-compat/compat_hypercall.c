/*
 * The hypercall table of a 32-bit PAE guest (Xen's hypercall-defs.c pv32
 * column). `int $0x82` from ring 1 carries the number in EAX and the
 * arguments in EBX, ECX, EDX, ESI, EDI (a sixth in EBP, which 64-bit Xen
 * ignores); the result goes to EAX. Calls whose arguments have the same
 * layout for both widths go to the 64-bit handler with the arguments
 * zero-extended; the others go through compat_xlat.c. 64-bit values
 * arrive split over two registers (low word first). Numbers Xen does not
 * offer a 32-bit domU (set_segment_base among them) answer -ENOSYS.
 */
#include "compat.h"
#include "hypercall.h"
#include "hypercalls.h"
#include "abi_trace.h"
#include "watchdog.h"
#include "pv.h"
#include <pvshim/guest_access.h>
#include <pvshim/guest_entry.h>

typedef long (*compat_fn)(const uint32_t a[6]);

static uint64_t u64_of(uint32_t lo, uint32_t hi)
{
    return lo | ((uint64_t)hi << 32);
}

static long c_set_trap_table(const uint32_t a[6]) { return compat_set_trap_table(a[0]); }
static long c_mmu_update(const uint32_t a[6]) { return do_mmu_update(a[0], a[1], a[2], a[3]); }
static long c_set_gdt(const uint32_t a[6]) { return compat_set_gdt(a[0], a[1]); }
static long c_stack_switch(const uint32_t a[6]) { return compat_stack_switch(a[0], a[1]); }
static long c_set_callbacks(const uint32_t a[6])
{
    return compat_set_callbacks(a[0], a[1], a[2], a[3]);
}
static long c_fpu_taskswitch(const uint32_t a[6]) { return do_fpu_taskswitch((int)a[0]); }
static long c_sched_op_compat(const uint32_t a[6]) { return do_sched_op_compat((int)a[0], a[1]); }
static long c_set_debugreg(const uint32_t a[6]) { return do_set_debugreg((int)a[0], a[1]); }
static long c_get_debugreg(const uint32_t a[6]) { return do_get_debugreg((int)a[0]); }
static long c_update_descriptor(const uint32_t a[6])
{
    return do_update_descriptor(u64_of(a[0], a[1]), u64_of(a[2], a[3]));
}
static long c_memory_op(const uint32_t a[6]) { return compat_memory_op(a[0], a[1]); }
static long c_multicall(const uint32_t a[6]);
static long c_update_va_mapping(const uint32_t a[6])
{
    return compat_update_va_mapping(a[0], a[1], a[2], a[3]);
}
static long c_set_timer_op(const uint32_t a[6]) { return do_set_timer_op(u64_of(a[0], a[1])); }
static long c_event_channel_op_compat(const uint32_t a[6]) { return do_event_channel_op_compat(a[0]); }
static long c_xen_version(const uint32_t a[6]) { return compat_xen_version((int)a[0], a[1]); }
static long c_console_io(const uint32_t a[6]) { return do_console_io(a[0], a[1], a[2]); }
static long c_physdev_op_compat(const uint32_t a[6]) { return compat_physdev_op_compat(a[0]); }
static long c_grant_table_op(const uint32_t a[6]) { return compat_grant_table_op(a[0], a[1], a[2]); }
static long c_vm_assist(const uint32_t a[6]) { return compat_vm_assist(a[0], a[1]); }
static long c_update_va_mapping_otherdomain(const uint32_t a[6])
{
    return compat_update_va_mapping_otherdomain(a[0], a[1], a[2], a[3], a[4]);
}
static long c_iret(const uint32_t a[6]) { (void)a; return compat_iret(); }
static long c_vcpu_op(const uint32_t a[6]) { return compat_vcpu_op((int)a[0], a[1], a[2]); }
static long c_mmuext_op(const uint32_t a[6]) { return compat_mmuext_op(a[0], a[1], a[2], a[3]); }
static long c_nmi_op(const uint32_t a[6]) { return compat_nmi_op(a[0], a[1]); }
static long c_sched_op(const uint32_t a[6]) { return compat_sched_op((int)a[0], a[1]); }
static long c_callback_op(const uint32_t a[6]) { return compat_callback_op((int)a[0], a[1]); }
static long c_event_channel_op(const uint32_t a[6]) { return do_event_channel_op((int)a[0], a[1]); }
static long c_physdev_op(const uint32_t a[6]) { return compat_physdev_op((int)a[0], a[1]); }

static const compat_fn table[NR_HYPERCALLS] = {
    [__HYPERVISOR_set_trap_table] = c_set_trap_table,
    [__HYPERVISOR_mmu_update] = c_mmu_update,
    [__HYPERVISOR_set_gdt] = c_set_gdt,
    [__HYPERVISOR_stack_switch] = c_stack_switch,
    [__HYPERVISOR_set_callbacks] = c_set_callbacks,
    [__HYPERVISOR_fpu_taskswitch] = c_fpu_taskswitch,
    [__HYPERVISOR_sched_op_compat] = c_sched_op_compat,
    [__HYPERVISOR_set_debugreg] = c_set_debugreg,
    [__HYPERVISOR_get_debugreg] = c_get_debugreg,
    [__HYPERVISOR_update_descriptor] = c_update_descriptor,
    [__HYPERVISOR_memory_op] = c_memory_op,
    [__HYPERVISOR_multicall] = c_multicall,
    [__HYPERVISOR_update_va_mapping] = c_update_va_mapping,
    [__HYPERVISOR_set_timer_op] = c_set_timer_op,
    [__HYPERVISOR_event_channel_op_compat] = c_event_channel_op_compat,
    [__HYPERVISOR_xen_version] = c_xen_version,
    [__HYPERVISOR_console_io] = c_console_io,
    [__HYPERVISOR_physdev_op_compat] = c_physdev_op_compat,
    [__HYPERVISOR_grant_table_op] = c_grant_table_op,
    [__HYPERVISOR_vm_assist] = c_vm_assist,
    [__HYPERVISOR_update_va_mapping_otherdomain] = c_update_va_mapping_otherdomain,
    [__HYPERVISOR_iret] = c_iret,
    [__HYPERVISOR_vcpu_op] = c_vcpu_op,
    [__HYPERVISOR_mmuext_op] = c_mmuext_op,
    [__HYPERVISOR_nmi_op] = c_nmi_op,
    [__HYPERVISOR_sched_op] = c_sched_op,
    [__HYPERVISOR_callback_op] = c_callback_op,
    [__HYPERVISOR_event_channel_op] = c_event_channel_op,
    [__HYPERVISOR_physdev_op] = c_physdev_op,
};

/*
 * Xen's compat multicall: 32-byte entries, each run through this table;
 * the result is stored as 32 bits. Same rules as the native one
 * (multicall.c): no nesting, a failing entry does not stop the batch, an
 * iret ends it.
 */
static long c_multicall(const uint32_t a[6])
{
    struct pv_vcpu *v = current;
    uint32_t list = a[0], nr = a[1];
    if (v->in_multicall)
        return -XEN_EINVAL;
    v->in_multicall = true;
    long rc = 0;
    for (uint32_t i = 0; i < nr; i++) {
        struct compat_multicall_entry mc;
        vaddr_t at = (vaddr_t)list + (vaddr_t)i * sizeof(mc);
        if (copy_from_guest(&mc, at, sizeof(mc))) {
            rc = -XEN_EFAULT;
            break;
        }
        mc.result = (uint32_t)compat_hypercall_call(mc.op, mc.args);
        vaddr_t result_at = at + offsetof(struct compat_multicall_entry, result);
        if (mc.op == __HYPERVISOR_iret) {
            (void)copy_to_guest(result_at, &mc.result, sizeof(mc.result));
            rc = (int32_t)mc.result;
            break;
        }
        if (copy_to_guest(result_at, &mc.result, sizeof(mc.result))) {
            rc = -XEN_EFAULT;
            break;
        }
    }
    v->in_multicall = false;
    return rc;
}

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

long compat_hypercall_call(uint32_t op, const uint32_t args[6])
{
    long rc = op < NR_HYPERCALLS && table[op] ? table[op](args) : -XEN_ENOSYS;
    if (op != __HYPERVISOR_mmu_update && op != __HYPERVISOR_mmuext_op)
        abi_trace_call(op < 64 ? op : 63,
                       first_arg_is_subop(op) ? (args[0] & 0xffff) : ABI_SUB_NONE,
                       op == __HYPERVISOR_iret ? 0 : rc);
    return rc;
}

void compat_hypercall_dispatch(struct cpu_regs *r)
{
    pv_progress_count++;
    const uint32_t args[6] = { (uint32_t)r->rbx, (uint32_t)r->rcx, (uint32_t)r->rdx,
                               (uint32_t)r->rsi, (uint32_t)r->rdi, (uint32_t)r->rbp };
    r->rax = (uint32_t)compat_hypercall_call((uint32_t)r->rax, args);
}

/*
 * The DPL-1 gate lets only ring 1 (a 32-bit guest's kernel) in; a 64-bit
 * guest runs in ring 3 and gets the #GP its own `int $0x82` earns.
 */
void guest_int82(struct cpu_regs *r)
{
    guest_regs = r;
    if (!dom.compat || (r->cs & 3) != COMPAT_KERNEL_RPL) {
        r->rip -= COMPAT_INT82_LEN;
        pv_inject_exception(r, TRAP_gp_fault, true, (0x82 << 3) | 2);
        return;
    }
    current->kernel_mode = true;
    compat_hypercall_dispatch(r);
}
