/*
 * The 32-bit PAE guest's ABI (struct pv_abi) and its column of the
 * hypercall table (hypercall_defs.h; Xen's hypercall-defs.c pv32 column);
 * hypercall.c's loop runs it. `int $0x82` from ring 1 carries the number
 * in EAX and the arguments in EBX, ECX, EDX, ESI, EDI (a sixth in EBP,
 * which 64-bit Xen ignores), 32 bits each; the result goes to EAX.
 * Calls whose arguments have the same layout for both widths go to the
 * 64-bit handler with the arguments zero-extended; the others go through
 * compat_xlat.c. 64-bit values arrive split over two registers (low word
 * first). Numbers Xen does not offer a 32-bit domU (set_segment_base
 * among them) answer -ENOSYS.
 */
#include "compat.h"
#include "hypercall.h"
#include "hypercalls.h"
#include "hypercall_defs.h"
#include "watchdog.h"
#include "pv.h"
#include <pvshim/guest_access.h>
#include <pvshim/guest_entry.h>

static uint64_t u64_of(uint64_t lo, uint64_t hi)
{
    return (uint32_t)lo | (hi << 32);
}

/* Each argument word is a zero-extended 32-bit value (pv32_read_args, multicall). */
static long c_set_trap_table(HC_ARGS) { return compat_set_trap_table(a0); }
static long c_mmu_update(HC_ARGS) { return do_mmu_update(a0, a1, a2, a3); }
static long c_set_gdt(HC_ARGS) { return compat_set_gdt(a0, a1); }
static long c_stack_switch(HC_ARGS) { return compat_stack_switch(a0, a1); }
static long c_set_callbacks(HC_ARGS)
{
    return compat_set_callbacks(a0, a1, a2, a3);
}
static long c_fpu_taskswitch(HC_ARGS) { return do_fpu_taskswitch((int)a0); }
static long c_sched_op_compat(HC_ARGS) { return do_sched_op_compat((int)a0, a1); }
static long c_set_debugreg(HC_ARGS) { return do_set_debugreg((int)a0, a1); }
static long c_get_debugreg(HC_ARGS) { return do_get_debugreg((int)a0); }
static long c_update_descriptor(HC_ARGS)
{
    return do_update_descriptor(u64_of(a0, a1), u64_of(a2, a3));
}
static long c_memory_op(HC_ARGS) { return compat_memory_op(a0, a1); }
static long c_multicall(HC_ARGS) { return multicall_run(&pv32_abi, a0, a1); }
static long c_update_va_mapping(HC_ARGS)
{
    return compat_update_va_mapping(a0, a1, a2, a3);
}
static long c_set_timer_op(HC_ARGS) { return do_set_timer_op(u64_of(a0, a1)); }
static long c_event_channel_op_compat(HC_ARGS) { return do_event_channel_op_compat(a0); }
static long c_xen_version(HC_ARGS) { return compat_xen_version((int)a0, a1); }
static long c_console_io(HC_ARGS) { return do_console_io(a0, a1, a2); }
static long c_physdev_op_compat(HC_ARGS) { return compat_physdev_op_compat(a0); }
static long c_grant_table_op(HC_ARGS) { return compat_grant_table_op(a0, a1, a2); }
static long c_vm_assist(HC_ARGS) { return compat_vm_assist(a0, a1); }
static long c_sysctl(HC_ARGS) { return do_sysctl(a0); }
static long c_domctl(HC_ARGS) { return do_domctl(a0); }
static long c_platform_op(HC_ARGS) { return do_platform_op(a0); }
static long c_update_va_mapping_otherdomain(HC_ARGS)
{
    return compat_update_va_mapping_otherdomain(a0, a1, a2, a3, a4);
}
static long c_iret(HC_ARGS) { return compat_iret(); }
static long c_vcpu_op(HC_ARGS) { return compat_vcpu_op((int)a0, a1, a2); }
static long c_mmuext_op(HC_ARGS) { return compat_mmuext_op(a0, a1, a2, a3); }
static long c_nmi_op(HC_ARGS) { return compat_nmi_op(a0, a1); }
static long c_sched_op(HC_ARGS) { return compat_sched_op((int)a0, a1); }
static long c_callback_op(HC_ARGS) { return compat_callback_op((int)a0, a1); }
static long c_event_channel_op(HC_ARGS) { return do_event_channel_op((int)a0, a1); }
static long c_physdev_op(HC_ARGS) { return compat_physdev_op((int)a0, a1); }

/* The own column is the 64-bit ABI's only: a 32-bit guest's entries take the lock. */
#define PV32_ROW(name, subop, own, pv64, pv32) [__HYPERVISOR_##name] = { pv32, HC_LOCKED, subop },
static const struct hypercall_row pv32_rows[NR_HYPERCALLS] = { PV_HYPERCALLS(PV32_ROW) };

/* Only the low 32 bits of each register count: the upper halves are noise. */
static void pv32_read_args(const struct cpu_regs *r, uint64_t a[6])
{
    a[0] = (uint32_t)r->rbx;
    a[1] = (uint32_t)r->rcx;
    a[2] = (uint32_t)r->rdx;
    a[3] = (uint32_t)r->rsi;
    a[4] = (uint32_t)r->rdi;
    a[5] = (uint32_t)r->rbp;
}

const struct pv_abi pv32_abi = {
    .rows = pv32_rows, .read_args = pv32_read_args, .word = sizeof(uint32_t),
};

long compat_hypercall_call(uint32_t op, const uint32_t args[6])
{
    const uint64_t a[6] = { args[0], args[1], args[2], args[3], args[4], args[5] };
    return hypercall_invoke(&pv32_abi, op, a);
}

void compat_hypercall_dispatch(struct cpu_regs *r)
{
    r->rax = (uint32_t)r->rax;      /* the number is EAX */
    hypercall_dispatch_abi(&pv32_abi, r);
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
