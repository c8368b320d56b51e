/*
 * The C layouts and constants the assembly entry fast path reads
 * (entry_fast.asm, trap_fast.asm), one home each: compiled to assembly only, never
 * linked; the Makefile turns each "->NAME value" line into a NASM %define
 * in build/gen/asm_offsets.inc.
 */
#include <stddef.h>
#include "pv.h"
#include "mm/mm_private.h"
#include "abi_trace.h"
#include <pvshim/percpu.h>

#define DEFINE(name, value) __asm__ volatile("\n.ascii \"->" #name " %c0\"" :: "i"((long)(value)))
#define OFFSET(name, type, field) DEFINE(name, offsetof(type, field))

void asm_offsets(void);
void asm_offsets(void)
{
    OFFSET(PCPU_CURR, struct pcpu, curr);
    DEFINE(PCPU_STACK_SIZE, PCPU_STACK_SIZE);

    OFFSET(V_VCPU_ID, struct pv_vcpu, vcpu_id);
    OFFSET(V_UP, struct pv_vcpu, up);
    OFFSET(V_TLB_FLUSH_DUE, struct pv_vcpu, tlb_flush_due);
    OFFSET(V_KERNEL_MODE, struct pv_vcpu, kernel_mode);
    OFFSET(V_GUEST_TABLE, struct pv_vcpu, guest_table);
    OFFSET(V_GUEST_TABLE_USER, struct pv_vcpu, guest_table_user);
    OFFSET(V_KERNEL_SP, struct pv_vcpu, kernel_sp);
    OFFSET(V_EVENT_CALLBACK, struct pv_vcpu, event_callback);
    OFFSET(V_SYSCALL_CALLBACK, struct pv_vcpu, syscall_callback);
    OFFSET(V_SYSCALL_DISABLES_EVENTS, struct pv_vcpu, syscall_disables_events);
    OFFSET(V_VCPU_INFO, struct pv_vcpu, vcpu_info);
    OFFSET(V_FAST_SYSCALLS, struct pv_vcpu, fast_syscalls);
    OFFSET(V_FAST_IRETS, struct pv_vcpu, fast_irets);
    OFFSET(V_FAST_PAGE_FAULTS, struct pv_vcpu, fast_page_faults);
    OFFSET(V_PF_HANDLER, struct pv_vcpu, trap_ctxt[TRAP_page_fault].address);
    OFFSET(V_PF_FLAGS, struct pv_vcpu, trap_ctxt[TRAP_page_fault].flags);

    OFFSET(DOM_COMPAT, struct pv_domain, compat);
    OFFSET(DOM_VM_ASSIST, struct pv_domain, vm_assist);
    OFFSET(MM_STALE_TLB, struct pv_mm_state, stale_tlb);

    OFFSET(VI_PENDING, struct vcpu_info, evtchn_upcall_pending);
    OFFSET(VI_MASK, struct vcpu_info, evtchn_upcall_mask);
    OFFSET(VI_CR2, struct vcpu_info, arch.cr2);

    OFFSET(IRET_RAX, struct iret_context, rax);
    OFFSET(IRET_R11, struct iret_context, r11);
    OFFSET(IRET_RCX, struct iret_context, rcx);
    OFFSET(IRET_FLAGS, struct iret_context, flags);
    OFFSET(IRET_RIP, struct iret_context, rip);
    OFFSET(IRET_CS, struct iret_context, cs);
    OFFSET(IRET_RFLAGS, struct iret_context, rflags);
    OFFSET(IRET_RSP, struct iret_context, rsp);
    OFFSET(IRET_SS, struct iret_context, ss);
    DEFINE(IRET_SIZE, sizeof(struct iret_context));

    DEFINE(HYPERVISOR_IRET, __HYPERVISOR_iret);
    DEFINE(VGCF_IN_SYSCALL, VGCF_in_syscall);
    DEFINE(VMASST_ARCH_IOPL, 1ul << VMASST_TYPE_architectural_iopl);
    DEFINE(PV_KERNEL_CS, PV_KERNEL_CS);
    DEFINE(PV_KERNEL_SS, PV_KERNEL_SS);
    DEFINE(EFLAGS_IF, X86_EFLAGS_IF);
    DEFINE(EFLAGS_IOPL, X86_EFLAGS_IOPL);
    DEFINE(EFLAGS_VM, X86_EFLAGS_VM);
    DEFINE(PV_HANDLER_CLEARS, PV_HANDLER_CLEARS);
    DEFINE(PFEC_PRESENT, PFEC_PRESENT);
    DEFINE(PFEC_WRITE, PFEC_WRITE);
    DEFINE(PFEC_USER, PFEC_USER);
    DEFINE(PFEC_INSN, PFEC_INSN);
}
