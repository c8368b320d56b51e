; Every way into pvshim once it runs in long mode: exception and interrupt
; stubs for all 256 vectors, and SYSCALL from the guest (64-bit and compat
; mode; the 64-bit one's fast path is entry_fast.asm, a page fault's
; trap_fast.asm). Each builds a struct cpu_regs (include/pvshim/cpu_regs.h) and calls
; C; returning from it resumes whatever the frame now describes, through
; one iretq (return_via_frame).

BITS 64
section .text

extern trap_entry
extern guest_syscall_entry
extern guest_hypercall
extern syscall64_fast
extern page_fault_fast
extern pcpus

; struct pcpu (include/pvshim/percpu.h; percpu.c checks these): its size,
; and the offsets of entry_stack_top and syscall_scratch.
%define MAX_PCPUS               32
%define PCPU_SIZE               64
%define PCPU_ENTRY_STACK_TOP    16
%define PCPU_SYSCALL_SCRATCH    40

%define ENTRY_SYSCALL       0x100
%define ENTRY_SYSCALL32     0x101
%define ENTRY_SYSENTER      0x102
%define SEL_RING3_CS32      0xe023
%define SEL_RING3_DS        0xe02b
%define SEL_RING3_CS64      0xe033

; Vectors for which the CPU pushes an error code.
%define HAS_ERROR(v) ((v) == 8 || ((v) >= 10 && (v) <= 14) || (v) == 17 || (v) == 21 || (v) == 29 || (v) == 30)

%assign v 0
%rep 256
align 16
trap_stub_ %+ v:
%if HAS_ERROR(v) == 0
    push 0
%endif
    push v
%if v == 14
    jmp page_fault_fast
%else
    jmp trap_common
%endif
%assign v v + 1
%endrep

; struct cpu_regs' general registers, in two parts: the SYSCALL fast path
; (entry_fast.asm) saves only the first.
%macro PUSH_GPRS 0
    PUSH_GPRS_SCRATCH
    PUSH_GPRS_REST
%endmacro

%macro PUSH_GPRS_SCRATCH 0
    push rdi
    push rsi
    push rdx
    push rcx
    push rax
%endmacro

%macro PUSH_GPRS_REST 0
    push r8
    push r9
    push r10
    push r11
    push rbx
    push rbp
    push r12
    push r13
    push r14
    push r15
%endmacro

; With the hardware part of the frame pushed: the rest of struct cpu_regs
; (no error code, the entry kind as vector), then C, then back to the guest.
; SYSCALL has already cleared what pvshim needs clear in RFLAGS (IF, DF, AC,
; TF, NT, IOPL: MSR_FMASK, descriptors.c); SYSENTER has not.
%macro GUEST_SYSCALL_TO_C 2     ; entry kind, 1: RFLAGS still to clean
    push 0                      ; error code
    push %1                     ; vector
    PUSH_GPRS
%if %2
    push 2
    popfq
%endif
    mov rdi, rsp
    call guest_syscall_entry
    jmp return_via_frame
%endmacro

; SYSCALL arrives with the guest's stack still loaded and interrupts off
; (FMASK), and nothing tells which CPU this is: each CPU has its own pair of
; stubs (its MSR_LSTAR/CSTAR point at them, descriptors.c), which park the
; guest RSP in that CPU's struct pcpu while moving to its entry stack.
%macro SYSCALL_STUB 3           ; cpu, name, common tail
%2_cpu%1:
    mov [rel pcpus + %1 * PCPU_SIZE + PCPU_SYSCALL_SCRATCH], rsp
    mov rsp, [rel pcpus + %1 * PCPU_SIZE + PCPU_ENTRY_STACK_TOP]
    push SEL_RING3_DS           ; ss
    push qword [rel pcpus + %1 * PCPU_SIZE + PCPU_SYSCALL_SCRATCH]
    jmp %3
%endmacro

%assign c 0
%rep MAX_PCPUS
    SYSCALL_STUB c, syscall64, syscall64_common
    SYSCALL_STUB c, syscall32, syscall32_common
%assign c c + 1
%endrep

; A 64-bit SYSCALL tries the fast path first (entry_fast.asm), which
; comes back to syscall64_slow for everything it does not do itself.
syscall64_common:
    push r11                    ; rflags
    push SEL_RING3_CS64         ; cs
    push rcx                    ; rip
    push 0                      ; error code
    push ENTRY_SYSCALL          ; vector
    PUSH_GPRS_SCRATCH
    jmp syscall64_fast
global syscall64_slow
syscall64_slow:
    PUSH_GPRS_REST
    mov rdi, rsp
    call guest_syscall_entry
    jmp return_via_frame

; A 64-bit guest's hypercall other than iret, from syscall64_fast with
; this CPU's struct pcpu in RSI: the C path without guest_syscall_enter.
global syscall64_hypercall
syscall64_hypercall:
    PUSH_GPRS_REST
    mov rdi, rsp
    call guest_hypercall
    jmp return_via_frame

syscall32_common:
    push r11
    push SEL_RING3_CS32
    push rcx
    GUEST_SYSCALL_TO_C ENTRY_SYSCALL32, 0

; SYSENTER (from 32-bit guest processes) lands on the entry stack with IF
; off and nothing saved: the caller's RIP and RSP are its own business, as
; on Xen (the frame says RIP 0, RSP 0, CS 3).
global sysenter_entry
sysenter_entry:
    push SEL_RING3_DS           ; ss
    push 0                      ; rsp
    pushfq
    push 3                      ; cs: a ring-3 null selector
    push 0                      ; rip
    GUEST_SYSCALL_TO_C ENTRY_SYSENTER, 1

; void arch_enter_guest_on(const struct cpu_regs *r, uint64_t stack_top):
; never returns. The first entry into the guest: the frame goes to the top
; of the CPU's entry stack and leaves through the common exit.
global arch_enter_guest_on
arch_enter_guest_on:
    mov rax, rsi
    mov rsi, rdi
    mov rsp, rax
    sub rsp, 22 * 8
    mov rdi, rsp
    mov ecx, 22
    rep movsq
    jmp return_via_frame

; A page fault tries its fast path first (trap_fast.asm), which comes
; back to trap_slow for everything it does not do itself.
global trap_common
trap_common:
    PUSH_GPRS_SCRATCH
global trap_slow
trap_slow:
    PUSH_GPRS_REST
    ; A clean RFLAGS for pvshim: interrupts off, DF and AC clear (SMAP on).
    push 2
    popfq
    mov rdi, rsp
    call trap_entry
    ; fall through to the common exit

global return_via_frame
return_via_frame:
    pop r15
    pop r14
    pop r13
    pop r12
    pop rbp
    pop rbx
    pop r11
    pop r10
    pop r9
    pop r8
    pop rax
    pop rcx
    pop rdx
    pop rsi
    pop rdi
    add rsp, 16             ; vector, error code
global return_iretq
return_iretq:
    iretq

section .rodata
align 8
global trap_stub_table
trap_stub_table:
%assign v 0
%rep 256
    dq trap_stub_ %+ v
%assign v v + 1
%endrep

; Each CPU's SYSCALL entry points, by CPU number.
global syscall64_stub_table, syscall32_stub_table
syscall64_stub_table:
%assign c 0
%rep MAX_PCPUS
    dq syscall64_cpu %+ c
%assign c c + 1
%endrep
syscall32_stub_table:
%assign c 0
%rep MAX_PCPUS
    dq syscall32_cpu %+ c
%assign c c + 1
%endrep
