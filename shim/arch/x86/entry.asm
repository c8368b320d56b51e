; Every way into pvshim once it runs in long mode: exception and interrupt
; stubs for all 256 vectors. Each builds a struct cpu_regs
; (include/pvshim/cpu_regs.h) and calls trap_entry(regs); returning from it
; resumes whatever the frame now describes.

BITS 64
section .text

extern trap_entry

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
    jmp trap_common
%assign v v + 1
%endrep

global trap_common
trap_common:
    push rdi
    push rsi
    push rdx
    push rcx
    push rax
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
    ; A clean RFLAGS for pvshim: interrupts off, DF and AC clear (SMAP on).
    push 2
    popfq
    mov rdi, rsp
    call trap_entry

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
