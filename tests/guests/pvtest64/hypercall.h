/* pvtest64's typed hypercall wrappers, on the shared hypercall_page.h. */
#ifndef PVTEST_HYPERCALL_H
#define PVTEST_HYPERCALL_H

#include "pvtest.h"
#include "hypercall_page.h"

#define HYPERCALL_ASM(nr) "call hypercall_page + " #nr " * 32"

/* Any hypercall number, by a direct SYSCALL (probes.asm). */
long probe_syscall_hypercall(long nr, long a1, long a2);

static inline long hc_set_trap_table(const struct trap_info *t)
{ return hypercall1(__HYPERVISOR_set_trap_table, t); }
static inline long hc_mmu_update(mmu_update_t *req, unsigned count,
                                 unsigned *done, domid_t dom)
{ return hypercall4(__HYPERVISOR_mmu_update, req, count, done, dom); }
static inline long hc_set_gdt(unsigned long *frames, unsigned entries)
{ return hypercall2(__HYPERVISOR_set_gdt, frames, entries); }
static inline long hc_stack_switch(unsigned long ss, unsigned long sp)
{ return hypercall2(__HYPERVISOR_stack_switch, ss, sp); }
static inline long hc_fpu_taskswitch(int set)
{ return hypercall1(__HYPERVISOR_fpu_taskswitch, set); }
static inline long hc_update_descriptor(uint64_t maddr, uint64_t desc)
{ return hypercall2(__HYPERVISOR_update_descriptor, maddr, desc); }
static inline long hc_memory_op(unsigned cmd, void *arg)
{ return hypercall2(__HYPERVISOR_memory_op, cmd, arg); }
static inline long hc_multicall(multicall_entry_t *calls, unsigned n)
{ return hypercall2(__HYPERVISOR_multicall, calls, n); }
static inline long hc_update_va_mapping(unsigned long va, uint64_t pte,
                                        unsigned long flags)
{ return hypercall3(__HYPERVISOR_update_va_mapping, va, pte, flags); }
static inline long hc_xen_version(int cmd, void *arg)
{ return hypercall2(__HYPERVISOR_xen_version, cmd, arg); }
static inline long hc_console_io(int cmd, unsigned len, const char *buf)
{ return hypercall3(__HYPERVISOR_console_io, cmd, len, buf); }
static inline long hc_vm_assist(unsigned cmd, unsigned type)
{ return hypercall2(__HYPERVISOR_vm_assist, cmd, type); }
static inline long hc_vcpu_op(int cmd, unsigned vcpu, void *arg)
{ return hypercall3(__HYPERVISOR_vcpu_op, cmd, vcpu, arg); }
static inline long hc_set_segment_base(unsigned which, unsigned long base)
{ return hypercall2(__HYPERVISOR_set_segment_base, which, base); }
static inline long hc_mmuext_op(struct mmuext_op *op, unsigned count,
                                unsigned *done, domid_t dom)
{ return hypercall4(__HYPERVISOR_mmuext_op, op, count, done, dom); }
static inline long hc_sched_op(int cmd, void *arg)
{ return hypercall2(__HYPERVISOR_sched_op, cmd, arg); }
static inline long hc_callback_op(int cmd, void *arg)
{ return hypercall2(__HYPERVISOR_callback_op, cmd, arg); }
static inline long hc_event_channel_op(int cmd, void *arg)
{ return hypercall2(__HYPERVISOR_event_channel_op, cmd, arg); }
static inline long hc_physdev_op(int cmd, void *arg)
{ return hypercall2(__HYPERVISOR_physdev_op, cmd, arg); }
static inline long hc_set_timer_op(uint64_t deadline)
{ return hypercall1(__HYPERVISOR_set_timer_op, deadline); }
static inline long hc_grant_table_op(unsigned cmd, void *arg, unsigned n)
{ return hypercall3(__HYPERVISOR_grant_table_op, cmd, arg, n); }

#endif
