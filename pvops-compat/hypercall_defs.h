/*
 * The hypercalls a PV domU gets, once, as data (Xen's hypercall-defs.c):
 *   HC(name, subop, pv64, pv32)
 * name:  __HYPERVISOR_<name>;
 * subop: the first argument selects a sub-operation (trace=abi counts
 *        each one apart);
 * pv64:  the 64-bit guest's argument adapter (hypercall.c);
 * pv32:  the 32-bit guest's (compat_hypercall.c), HC_NONE where Xen gives
 *        a 32-bit domU nothing (-ENOSYS).
 * An adapter takes the six argument words as the ABI (struct pv_abi)
 * read them and calls the handler with its prototype's widths. Numbers
 * not listed answer -ENOSYS for both widths.
 */
#ifndef PVSHIM_HYPERCALL_DEFS_H
#define PVSHIM_HYPERCALL_DEFS_H

#define PV_HYPERCALLS(HC)                                                                   \
    HC(set_trap_table,                 0, hc_set_trap_table,    c_set_trap_table)           \
    HC(mmu_update,                     0, hc_mmu_update,        c_mmu_update)               \
    HC(set_gdt,                        0, hc_set_gdt,           c_set_gdt)                  \
    HC(stack_switch,                   0, hc_stack_switch,      c_stack_switch)             \
    HC(set_callbacks,                  0, hc_set_callbacks,     c_set_callbacks)            \
    HC(fpu_taskswitch,                 0, hc_fpu_taskswitch,    c_fpu_taskswitch)           \
    HC(sched_op_compat,                1, hc_sched_op_compat,   c_sched_op_compat)          \
    HC(set_debugreg,                   1, hc_set_debugreg,      c_set_debugreg)             \
    HC(get_debugreg,                   1, hc_get_debugreg,      c_get_debugreg)             \
    HC(update_descriptor,              0, hc_update_descriptor, c_update_descriptor)        \
    HC(memory_op,                      1, hc_memory_op,         c_memory_op)                \
    HC(multicall,                      0, hc_multicall,         c_multicall)                \
    HC(update_va_mapping,              0, hc_update_va_mapping, c_update_va_mapping)        \
    HC(set_timer_op,                   0, hc_set_timer_op,      c_set_timer_op)             \
    HC(event_channel_op_compat,        0, hc_event_channel_op_compat,                       \
                                          c_event_channel_op_compat)                        \
    HC(xen_version,                    1, hc_xen_version,       c_xen_version)              \
    HC(console_io,                     1, hc_console_io,        c_console_io)               \
    HC(physdev_op_compat,              0, hc_physdev_op_compat, c_physdev_op_compat)        \
    HC(grant_table_op,                 1, hc_grant_table_op,    c_grant_table_op)           \
    HC(vm_assist,                      1, hc_vm_assist,         c_vm_assist)                \
    HC(update_va_mapping_otherdomain,  0, hc_update_va_mapping_otherdomain,                 \
                                          c_update_va_mapping_otherdomain)                  \
    HC(iret,                           0, hc_iret,              c_iret)                     \
    HC(vcpu_op,                        1, hc_vcpu_op,           c_vcpu_op)                  \
    HC(set_segment_base,               1, hc_set_segment_base,  HC_NONE)                    \
    HC(mmuext_op,                      0, hc_mmuext_op,         c_mmuext_op)                \
    HC(nmi_op,                         1, hc_nmi_op,            c_nmi_op)                   \
    HC(sched_op,                       1, hc_sched_op,          c_sched_op)                 \
    HC(callback_op,                    1, hc_callback_op,       c_callback_op)              \
    HC(event_channel_op,               1, hc_event_channel_op,  c_event_channel_op)         \
    HC(physdev_op,                     1, hc_physdev_op,        c_physdev_op)

#define HC_NONE NULL

#endif
