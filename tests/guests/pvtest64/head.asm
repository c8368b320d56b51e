; pvtest64: ELF notes, the entry point, the hypercall page and the stacks.
;
; Xen (or pvshim) enters at _start in 64-bit mode, ring 3, with RSI holding
; the virtual address of start_info. The entry registers are saved untouched
; before anything else so that boot.c can check them.

bits 64
default rel

%include "xen_guest_head.inc"

%define VIRT_BASE 0xffffffff80000000
%define STACK_SIZE (64 * 1024)

XEN_GUEST_HEAD "pvtest64", VIRT_BASE, _start

section .text.entry progbits alloc exec nowrite align=16
global _start
extern pvtest_main
_start:
    ; struct entry_regs in boot.h: GPRs in this order, then RFLAGS and
    ; the six selectors.
    mov [entry_regs + 0*8], rax
    mov [entry_regs + 1*8], rbx
    mov [entry_regs + 2*8], rcx
    mov [entry_regs + 3*8], rdx
    mov [entry_regs + 4*8], rsi
    mov [entry_regs + 5*8], rdi
    mov [entry_regs + 6*8], rbp
    mov [entry_regs + 7*8], rsp
    mov [entry_regs + 8*8], r8
    mov [entry_regs + 9*8], r9
    mov [entry_regs + 10*8], r10
    mov [entry_regs + 11*8], r11
    mov [entry_regs + 12*8], r12
    mov [entry_regs + 13*8], r13
    mov [entry_regs + 14*8], r14
    mov [entry_regs + 15*8], r15
    pushfq                          ; the boot stack is valid: one word
    pop rax
    mov [entry_regs + 16*8], rax
    xor eax, eax
    mov ax, cs
    mov [entry_regs + 17*8], rax
    mov ax, ss
    mov [entry_regs + 18*8], rax
    mov ax, ds
    mov [entry_regs + 19*8], rax
    mov ax, es
    mov [entry_regs + 20*8], rax
    mov ax, fs
    mov [entry_regs + 21*8], rax
    mov ax, gs
    mov [entry_regs + 22*8], rax

    lea rsp, [boot_stack + STACK_SIZE]
    xor ebp, ebp
    mov rdi, rsi
    call pvtest_main
.hang:                              ; pvtest_main never returns
    ud2
    jmp .hang

section .data
global entry_regs
align 8
entry_regs:
    times 23 dq 0

section .bss
global boot_stack, kernel_stack, kernel_stack_top
alignb 4096
boot_stack:
    resb STACK_SIZE
; A separate stack for kernel entries from user mode (stack_switch).
kernel_stack:
    resb STACK_SIZE
kernel_stack_top:
