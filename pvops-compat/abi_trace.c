#include "abi_trace.h"
#include <pvshim/log.h>
#include <pvshim/string.h>
#include <pvshim/xen_abi.h>

#define OPS         64
#define SUBS        64      /* sub-operations above 62 share the last row */
#define SUB_NONE_ROW (SUBS - 1)
#define EVENTS      32

bool abi_trace_enabled;

struct counter {
    uint32_t calls, refused, unimplemented;
};

static struct counter table[OPS][SUBS];
static struct { const char *what; uint32_t n; } events[EVENTS];

static const char *const op_names[OPS] = {
    [__HYPERVISOR_set_trap_table] = "set_trap_table",
    [__HYPERVISOR_mmu_update] = "mmu_update",
    [__HYPERVISOR_set_gdt] = "set_gdt",
    [__HYPERVISOR_stack_switch] = "stack_switch",
    [__HYPERVISOR_set_callbacks] = "set_callbacks",
    [__HYPERVISOR_fpu_taskswitch] = "fpu_taskswitch",
    [__HYPERVISOR_sched_op_compat] = "sched_op_compat",
    [__HYPERVISOR_platform_op] = "platform_op",
    [__HYPERVISOR_set_debugreg] = "set_debugreg",
    [__HYPERVISOR_get_debugreg] = "get_debugreg",
    [__HYPERVISOR_update_descriptor] = "update_descriptor",
    [__HYPERVISOR_memory_op] = "memory_op",
    [__HYPERVISOR_multicall] = "multicall",
    [__HYPERVISOR_update_va_mapping] = "update_va_mapping",
    [__HYPERVISOR_set_timer_op] = "set_timer_op",
    [__HYPERVISOR_event_channel_op_compat] = "event_channel_op_compat",
    [__HYPERVISOR_xen_version] = "xen_version",
    [__HYPERVISOR_console_io] = "console_io",
    [__HYPERVISOR_physdev_op_compat] = "physdev_op_compat",
    [__HYPERVISOR_grant_table_op] = "grant_table_op",
    [__HYPERVISOR_vm_assist] = "vm_assist",
    [__HYPERVISOR_update_va_mapping_otherdomain] = "update_va_mapping_otherdomain",
    [__HYPERVISOR_iret] = "iret",
    [__HYPERVISOR_vcpu_op] = "vcpu_op",
    [__HYPERVISOR_set_segment_base] = "set_segment_base",
    [__HYPERVISOR_mmuext_op] = "mmuext_op",
    [__HYPERVISOR_xsm_op] = "xsm_op",
    [__HYPERVISOR_nmi_op] = "nmi_op",
    [__HYPERVISOR_sched_op] = "sched_op",
    [__HYPERVISOR_callback_op] = "callback_op",
    [__HYPERVISOR_xenoprof_op] = "xenoprof_op",
    [__HYPERVISOR_event_channel_op] = "event_channel_op",
    [__HYPERVISOR_physdev_op] = "physdev_op",
    [__HYPERVISOR_hvm_op] = "hvm_op",
    [__HYPERVISOR_sysctl] = "sysctl",
    [__HYPERVISOR_domctl] = "domctl",
    [__HYPERVISOR_kexec_op] = "kexec_op",
    [__HYPERVISOR_tmem_op] = "tmem_op",
    [__HYPERVISOR_argo_op] = "argo_op",
    [__HYPERVISOR_xenpmu_op] = "xenpmu_op",
    [__HYPERVISOR_dm_op] = "dm_op",
    [__HYPERVISOR_hypfs_op] = "hypfs_op",
};

void abi_trace_call(unsigned op, unsigned sub, long rc)
{
    unsigned row = sub == ABI_SUB_NONE ? SUB_NONE_ROW : MIN(sub, SUBS - 2);
    struct counter *c = &table[MIN(op, OPS - 1)][row];
    c->calls++;
    if (rc < 0)
        c->refused++;
    if (rc == -XEN_ENOSYS) {
        if (c->unimplemented++ == 0) {
            const char *name = op < OPS && op_names[op] ? op_names[op] : "unknown";
            if (sub == ABI_SUB_NONE)
                log_warn("guest used hypercall %u (%s), which pvshim does not implement",
                         op, name);
            else
                log_warn("guest used hypercall %u (%s) sub-op %u, which pvshim does "
                         "not implement", op, name, sub);
        }
    }
}

void abi_trace_event(const char *what)
{
    for (unsigned i = 0; i < EVENTS; i++) {
        if (events[i].what == what || !events[i].what) {
            events[i].what = what;
            events[i].n++;
            return;
        }
    }
}

void abi_trace_report(void)
{
    if (!abi_trace_enabled)
        return;
    log_info("trace=abi: hypercalls used by the guest");
    log_info("  %-3s %-26s %-6s %10s %8s %6s", "op", "name", "sub", "calls", "refused", "enosys");
    for (unsigned op = 0; op < OPS; op++) {
        for (unsigned sub = 0; sub < SUBS; sub++) {
            const struct counter *c = &table[op][sub];
            if (!c->calls)
                continue;
            char subs[8];
            if (sub == SUB_NONE_ROW)
                strlcpy_s(subs, "-", sizeof(subs));
            else if (sub == SUBS - 2)
                strlcpy_s(subs, ">=62", sizeof(subs));
            else
                snprintf(subs, sizeof(subs), "%u", sub);
            log_info("  %-3u %-26s %-6s %10u %8u %6u", op,
                     op_names[op] ? op_names[op] : "unknown", subs,
                     c->calls, c->refused, c->unimplemented);
        }
    }
    for (unsigned i = 0; i < EVENTS && events[i].what; i++)
        log_info("  emulated/trapped: %-40s %10u", events[i].what, events[i].n);
    log_info("trace=abi: end");
}
