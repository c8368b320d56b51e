/*
 * The hypercalls a PV domU gets, once, as data (Xen's hypercall-defs.c):
 *   HC(name, subop, own, pv64, pv32)
 * name:  __HYPERVISOR_<name>;
 * subop: the first argument selects a sub-operation (trace=abi counts
 *        each one apart);
 * own:   HC_OWN when the call reads and changes only the calling vCPU's
 *        own state (its struct pv_vcpu fields, its CPU's registers and
 *        timers, its vcpu_info) and guest memory through its own page
 *        tables, or only reads what never changes or is one word read
 *        once (xen_version, VCPUOP_is_up), or is an event channel
 *        operation that needs only its port's lock (EVTCHNOP_send,
 *        EVTCHNOP_unmask: event_channel.c): it runs without the PV lock
 *        (domain.c; why that is safe: entry.c). A predicate on the
 *        first two argument words when that depends on the
 *        sub-operation; HC_LOCKED otherwise. A 32-bit guest's entries take
 *        the lock before they get here (their translation is not audited
 *        for concurrency), so the column matters to the 64-bit ABI only;
 * pv64:  the 64-bit guest's argument adapter (hypercall.c);
 * pv32:  the 32-bit guest's (compat_hypercall.c), HC_NONE where Xen gives
 *        a 32-bit domU nothing (-ENOSYS).
 * An adapter takes the six argument words as the ABI (struct pv_abi)
 * read them, in registers, and calls the handler with its prototype's
 * widths. Numbers not listed answer -ENOSYS for both widths.
 */
#ifndef PVSHIM_HYPERCALL_DEFS_H
#define PVSHIM_HYPERCALL_DEFS_H

#define PV_HYPERCALLS(HC)                                                                             \
    HC(set_trap_table,                 0, HC_OWN,        hc_set_trap_table,    c_set_trap_table)      \
    HC(mmu_update,                     0, HC_LOCKED,     hc_mmu_update,        c_mmu_update)          \
    HC(set_gdt,                        0, HC_LOCKED,     hc_set_gdt,           c_set_gdt)             \
    HC(stack_switch,                   0, HC_OWN,        hc_stack_switch,      c_stack_switch)        \
    HC(set_callbacks,                  0, HC_OWN,        hc_set_callbacks,     c_set_callbacks)       \
    HC(fpu_taskswitch,                 0, HC_OWN,        hc_fpu_taskswitch,    c_fpu_taskswitch)      \
    HC(platform_op,                    0, HC_OWN,        hc_platform_op,       c_platform_op)         \
    HC(sched_op_compat,                1, HC_LOCKED,     hc_sched_op_compat,   c_sched_op_compat)     \
    HC(set_debugreg,                   1, HC_LOCKED,     hc_set_debugreg,      c_set_debugreg)        \
    HC(get_debugreg,                   1, HC_LOCKED,     hc_get_debugreg,      c_get_debugreg)        \
    HC(update_descriptor,              0, HC_LOCKED,     hc_update_descriptor, c_update_descriptor)   \
    HC(memory_op,                      1, HC_LOCKED,     hc_memory_op,         c_memory_op)           \
    HC(multicall,                      0, HC_LOCKED,     hc_multicall,         c_multicall)           \
    HC(update_va_mapping,              0, HC_LOCKED,     hc_update_va_mapping, c_update_va_mapping)   \
    HC(set_timer_op,                   0, HC_OWN,        hc_set_timer_op,      c_set_timer_op)        \
    HC(event_channel_op_compat,        0, HC_LOCKED,     hc_event_channel_op_compat,                  \
                                                                     c_event_channel_op_compat)       \
    HC(xen_version,                    1, HC_OWN,        hc_xen_version,       c_xen_version)         \
    HC(console_io,                     1, HC_LOCKED,     hc_console_io,        c_console_io)          \
    HC(physdev_op_compat,              0, HC_LOCKED,     hc_physdev_op_compat, c_physdev_op_compat)   \
    HC(grant_table_op,                 1, HC_LOCKED,     hc_grant_table_op,    c_grant_table_op)      \
    HC(vm_assist,                      1, HC_LOCKED,     hc_vm_assist,         c_vm_assist)           \
    HC(update_va_mapping_otherdomain,  0, HC_LOCKED,     hc_update_va_mapping_otherdomain,            \
                                                                     c_update_va_mapping_otherdomain) \
    HC(iret,                           0, HC_OWN,        hc_iret,              c_iret)                \
    HC(vcpu_op,                        1, own_vcpu_op,   hc_vcpu_op,           c_vcpu_op)             \
    HC(set_segment_base,               1, HC_OWN,        hc_set_segment_base,  HC_NONE)               \
    HC(mmuext_op,                      0, HC_LOCKED,     hc_mmuext_op,         c_mmuext_op)           \
    HC(nmi_op,                         1, HC_LOCKED,     hc_nmi_op,            c_nmi_op)              \
    HC(sched_op,                       1, own_sched_op,  hc_sched_op,          c_sched_op)            \
    HC(callback_op,                    1, HC_LOCKED,     hc_callback_op,       c_callback_op)         \
    HC(event_channel_op,               1, own_event_channel_op,                                       \
                                                         hc_event_channel_op,  c_event_channel_op)    \
    HC(physdev_op,                     1, HC_LOCKED,     hc_physdev_op,        c_physdev_op)          \
    HC(sysctl,                         0, HC_OWN,        hc_sysctl,            c_sysctl)              \
    HC(domctl,                         0, HC_OWN,        hc_domctl,            c_domctl)

#define HC_NONE NULL
#define HC_LOCKED NULL
#define HC_OWN hc_own

#endif
