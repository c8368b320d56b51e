; The SYSCALL entry's fast path for a 64-bit guest: the two halves of every
; guest system call, done here without C when nothing unusual is asked:
;
;  - a system call from guest user mode, bounced to the registered syscall
;    callback (entry.c syscall_on -> bounce.c pv_bounce);
;  - HYPERVISOR_iret from the guest kernel, to user or kernel mode
;    (entry.c guest_hypercall -> iret.c do_iret).
;
; The C path is the reference: what the guest sees (its registers, the
; bounce frame, RFLAGS, CS/SS, its event mask, kernel/user mode with the GS
; base swap and the CR3 switch between its two L4s, VGCF_in_syscall) is
; the same bit for bit. Anything else goes to the C path untouched
; (syscall64_slow, entry.asm): selftest=c-entry, a 32-bit guest,
; architectural IOPL, no syscall callback, events the return would deliver, a TLB flush
; owed (the vCPU's tlb_flush_due or its pv_mm.stale_tlb bit, which a CR3
; load clears in C), a vCPU taken down, no user L4, any other hypercall
; (a 64-bit guest's past guest_syscall_enter, to syscall64_hypercall),
; an iret frame or bounce frame outside the guest's range or faulting
; (the C path then crashes the guest as it always did). A bad RIP, CS or
; SS the guest iret to faults at the shared iretq (return_iretq), which
; traps.c turns into the failsafe callback as for the C path.
;
; No PV lock: everything written is the calling vCPU's own (its mode, its
; vcpu_info's mask, its counters, its CPU's GS base and CR3) or the guest's
; own stack; the C path's writes elsewhere are skipped, not raced (the
; stale-TLB bit is never cleared here: the path is not taken while it is
; set, and a bit another CPU sets meanwhile stays set). What another CPU
; may change under the lock is read once, unlocked: an event sent after
; the check kicks this CPU with an IPI, which it takes (interrupts are off
; from SYSCALL to the iretq) as soon as the guest runs again, and delivers
; then. Remote TLB flushes are IPIs too, so a CPU that changed a page
; table waits for this one's flush until after the guest stack accesses
; below, which see guest memory as the guest itself would at that moment:
; the frames its page tables named when it entered stay its own until
; every CPU has flushed.
;
; Entered from syscall64_common with the hardware part of struct cpu_regs,
; the vector and error code, and RDI RSI RDX RCX RAX pushed: those five
; are the only registers used until the frame is final (R11 too, for an
; iret that restores it); the rest are the guest's throughout.

BITS 64
%include "asm_offsets.inc"
%include "entry_fast.inc"

section .text

extern dom, pv_mm, smap_active, pv_progress_count, entry_fast_enabled
extern syscall64_slow, syscall64_hypercall, return_iretq

global syscall64_fast
syscall64_fast:
    mov rsi, rsp
    or rsi, PCPU_STACK_SIZE - 1
    mov rsi, [rsi - 7]                  ; this_pcpu() (percpu.h)
    mov rdi, [rsi + PCPU_CURR]          ; its vCPU, for the whole path
    cmp byte [rdi + V_KERNEL_MODE], 0
    je .user
    ; Any hypercall but iret leaves here, first: a 64-bit guest's straight
    ; to its C handler (entry.c guest_hypercall), with this CPU in RSI.
    cmp rax, HYPERVISOR_IRET
    je iret_fast
    cmp byte [rel entry_fast_enabled], 0
    je syscall64_slow
    cmp byte [rel dom + DOM_COMPAT], 0
    jne syscall64_slow
    jmp syscall64_hypercall

.user:
    ; A system call from guest user mode, to the syscall callback.
    COMMON_CHECKS syscall64_slow
    cmp qword [rdi + V_SYSCALL_CALLBACK], 0
    je syscall64_slow
    mov ecx, [rdi + V_VCPU_ID]
    bt [rel pv_mm + MM_STALE_TLB], rcx
    jc syscall64_slow
    mov rdx, [rdi + V_VCPU_INFO]
    movzx ecx, byte [rdx + VI_MASK]     ; the mask the frame saves
    ; guest_resume after the bounce delivers nothing: masked, or none pending.
    cmp byte [rdi + V_SYSCALL_DISABLES_EVENTS], 0
    jne .events_ok
    test ecx, ecx
    jnz .events_ok
    cmp qword [rdi + V_EVENT_CALLBACK], 0
    je .events_ok
    cmp byte [rdx + VI_PENDING], 0
    jne syscall64_slow
.events_ok:
    mov rsi, [rdi + V_KERNEL_SP]
    and rsi, -16
    sub rsi, BOUNCE_BYTES
    GUEST_RANGE rsi, BOUNCE_BYTES, syscall64_slow
    ; The kernel's L4 first: its stack is not in the user's.
    mov rax, [rdi + V_GUEST_TABLE]
    shl rax, 12
    mov cr3, rax
    SMAP_OPEN
    mov rax, [rsp + F_RCX]
    GUEST .bounce_fault, mov [rsi], rax
    GUEST .bounce_fault, mov [rsi + 8], r11
    mov rax, [rsp + F_RIP]
    GUEST .bounce_fault, mov [rsi + 16], rax
    mov rax, rcx
    shl rax, 32
    mov ax, [rsp + F_CS]                ; (cs & 0xffff) | mask << 32
    GUEST .bounce_fault, mov [rsi + 24], rax
    mov rax, [rsp + F_RFLAGS]
    and rax, ~(EFLAGS_IF | EFLAGS_IOPL)
    test ecx, ecx
    jnz .frame_masked
    or rax, EFLAGS_IF
.frame_masked:
    GUEST .bounce_fault, mov [rsi + 32], rax
    mov rax, [rsp + F_RSP]
    GUEST .bounce_fault, mov [rsi + 40], rax
    mov rax, [rsp + F_SS]
    GUEST .bounce_fault, mov [rsi + 48], rax
    SMAP_CLOSE
    ; Done: the guest is in kernel mode at its callback.
    swapgs
    mov byte [rdi + V_KERNEL_MODE], 1
    cmp byte [rdi + V_SYSCALL_DISABLES_EVENTS], 0
    je .mask_kept
    mov byte [rdx + VI_MASK], 1
.mask_kept:
    ENTER_GUEST_HANDLER V_SYSCALL_CALLBACK
    inc qword [rdi + V_FAST_SYSCALLS]
    jmp fast_exit
.bounce_fault:
    SMAP_CLOSE
    mov rax, [rdi + V_GUEST_TABLE_USER]  ; back as the guest entered
    shl rax, 12
    mov cr3, rax
    jmp syscall64_slow

; HYPERVISOR_iret from the guest kernel: the iret_context at its RSP is
; copied below the frame first, so that nothing changes before all of it
; has been read.
iret_fast:
    COMMON_CHECKS syscall64_slow
    mov rsi, [rsp + F_RSP]
    GUEST_RANGE rsi, IRET_SIZE, syscall64_slow
    sub rsp, IRET_SIZE
    SMAP_OPEN
%assign k 0
%rep IRET_SIZE / 8
    GUEST .iret_fault, mov rax, [rsi + k]
    mov [rsp + k], rax
%assign k k + 8
%endrep
    SMAP_CLOSE
%define G IRET_SIZE                     ; the frame is this much higher now
    ; guest_resume after the iret delivers nothing: masked, or none pending.
    mov rdx, [rdi + V_VCPU_INFO]
    test qword [rsp + IRET_RFLAGS], EFLAGS_IF
    jz .events_ok
    cmp qword [rdi + V_EVENT_CALLBACK], 0
    je .events_ok
    cmp byte [rdx + VI_PENDING], 0
    jne .slow
.events_ok:
    mov eax, [rsp + IRET_CS]
    and eax, 3
    cmp eax, 3
    jne .regs                           ; to kernel mode: no switch
    mov rax, [rdi + V_GUEST_TABLE_USER]
    test rax, rax
    jz .slow
    cmp rax, -1                         ; INVALID_MFN
    je .slow
    mov ecx, [rdi + V_VCPU_ID]
    bt [rel pv_mm + MM_STALE_TLB], rcx
    jc .slow
    ; Done: to user mode.
    shl rax, 12
    swapgs
    mov byte [rdi + V_KERNEL_MODE], 0
    mov cr3, rax
.regs:
    mov rax, [rsp + IRET_RIP]
    mov [rsp + G + F_RIP], rax
    mov rax, [rsp + IRET_CS]
    or rax, 3
    mov [rsp + G + F_CS], rax
    mov rax, [rsp + IRET_RFLAGS]
    and rax, ~(EFLAGS_IOPL | EFLAGS_VM)
    or rax, EFLAGS_IF
    mov [rsp + G + F_RFLAGS], rax
    mov rax, [rsp + IRET_RSP]
    mov [rsp + G + F_RSP], rax
    mov rax, [rsp + IRET_SS]
    or rax, 3
    mov [rsp + G + F_SS], rax
    test qword [rsp + IRET_FLAGS], VGCF_IN_SYSCALL
    jnz .as_sysret
    mov r11, [rsp + IRET_R11]
    mov rax, [rsp + IRET_RCX]
    mov [rsp + G + F_RCX], rax
    jmp .rcx_r11_set
.as_sysret:
    ; As Xen's SYSRET leaves them (iret.c): RCX = RIP, R11 = RFLAGS.
    mov r11, [rsp + G + F_RFLAGS]
    mov rax, [rsp + G + F_RIP]
    mov [rsp + G + F_RCX], rax
.rcx_r11_set:
    test qword [rsp + IRET_RFLAGS], EFLAGS_IF
    setz byte [rdx + VI_MASK]           ; masked unless IF
    mov rax, [rsp + IRET_RAX]
    mov [rsp + G + F_RAX], rax
    ; As guest_hypercall: progress for the watchdog (a lost count
    ; against another CPU's is harmless: it only looks for a change).
    inc qword [rel pv_progress_count]
    inc qword [rdi + V_FAST_IRETS]      ; trace=abi's iret row too (abi_trace.c)
    add rsp, IRET_SIZE
    jmp fast_exit
.iret_fault:
    SMAP_CLOSE
.slow:
    add rsp, IRET_SIZE
    jmp syscall64_slow

global fast_exit
fast_exit:
    pop rax
    pop rcx
    pop rdx
    pop rsi
    pop rdi
    add rsp, 16                         ; vector, error code
    jmp return_iretq
