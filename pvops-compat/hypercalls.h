/*
 * Every hypercall handler, one family per file (named after the family).
 * Arguments arrive as the guest passed them in registers; each handler
 * narrows them exactly as Xen's do_* prototype does (unsigned int counts
 * are truncated to 32 bits, for instance) and returns what Xen would:
 * 0 or a positive value, or -XEN_Exxx.
 */
#ifndef PVSHIM_HYPERCALLS_H
#define PVSHIM_HYPERCALLS_H

#include <pvshim/types.h>

/* Xen's continuation marker in the count of mmu_update / mmuext_op. */
#define MMU_UPDATE_PREEMPTED (~(~0u >> 1))
/* memory_op: cmd bits above the op number carry the extent to start at. */
#define MEMOP_EXTENT_SHIFT 6
#define MEMOP_CMD_MASK   ((1u << MEMOP_EXTENT_SHIFT) - 1)

/* mm/: the PV MMU and descriptor tables */
long do_mmu_update(vaddr_t ureqs, unsigned int count, vaddr_t pdone, unsigned int foreigndom);
long do_mmuext_op(vaddr_t uops, unsigned int count, vaddr_t pdone, unsigned int foreigndom);
long do_update_va_mapping(vaddr_t va, uint64_t val, uint64_t flags);
long do_update_va_mapping_otherdomain(vaddr_t va, uint64_t val, uint64_t flags, unsigned int domid);
long do_set_gdt(vaddr_t frame_list, unsigned int entries);
long do_update_descriptor(uint64_t maddr, uint64_t desc);

/* traps.c, callback.c, iret.c */
long do_set_trap_table(vaddr_t traps);
long do_set_callbacks(uint64_t event, uint64_t failsafe, uint64_t syscall);
long do_callback_op(int cmd, vaddr_t arg);
long do_iret(void);
long do_stack_switch(uint64_t ss, uint64_t sp);
long do_fpu_taskswitch(int set);
long do_set_segment_base(unsigned int which, uint64_t base);
long do_set_debugreg(int reg, uint64_t value);
long do_get_debugreg(int reg);
long do_nmi_op(unsigned int cmd, vaddr_t arg);

/* misc */
long do_xen_version(int cmd, vaddr_t arg);
long do_console_io(unsigned int cmd, unsigned int count, vaddr_t buffer);
long do_vm_assist(unsigned int cmd, unsigned int type);
/* sysctl.c: a domU gets none */
long do_sysctl(vaddr_t u_sysctl);
/* domctl.c, platform_op.c: a domU gets none either */
long do_domctl(vaddr_t u_domctl);
long do_platform_op(vaddr_t u_op);
long do_multicall(vaddr_t call_list, uint32_t nr_calls);

/* scheduling and time */
long do_sched_op(int cmd, vaddr_t arg);
long do_sched_op_compat(int cmd, uint64_t arg);
long do_set_timer_op(uint64_t timeout);
long do_vcpu_op(int cmd, unsigned int vcpuid, vaddr_t arg);

/* events, memory, devices */
long do_event_channel_op(int cmd, vaddr_t arg);
long do_event_channel_op_compat(vaddr_t uop);
long do_memory_op(unsigned long cmd, vaddr_t arg);
long do_physdev_op(int cmd, vaddr_t arg);
long do_physdev_op_compat(vaddr_t uop);
long do_grant_table_op(unsigned int cmd, vaddr_t uop, unsigned int count);

#endif
