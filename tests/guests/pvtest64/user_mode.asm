; The code pvtest64 runs in user mode (user.c maps this page at
; USER_CODE_VA in a user L4 of its own), and the jump into user mode.

bits 64
default rel

%include "xen_guest_head.inc"   ; HYPERCALL_IRET

extern hypercall_page

; user.c's USER_DATA_VA + 0x100 and + 0x200, and its REG_PATTERN.
%define USER_REGS 0x401100
%define USER_SYSRET_REGS 0x401200
%define REG_PATTERN(n) (0xc0de000000000000 + (n) * 0x0101010101)

section .user_text progbits alloc exec nowrite align=4096
global user_code_start, user_after_syscall1, user_after_syscall2, user_after_syscall3
global user_int84, user_kernel_touch
user_code_start:
    mov eax, 1                  ; "echo rdi + 1"
    mov edi, 0x1234
    syscall
user_after_syscall1:
    ; Back with VGCF_in_syscall, which Xen completes with SYSRET: RCX and
    ; R11 are the RIP and RFLAGS user mode resumed with (user.c checks).
    mov [abs USER_SYSRET_REGS + 0 * 8], rcx
    mov [abs USER_SYSRET_REGS + 1 * 8], r11
    mov rdi, rax
    mov rsi, [gs:0]             ; the user GS base (SEGBASE_GS_USER)
    mov eax, 2                  ; "report rdi, rsi"
    syscall
user_after_syscall2:
    ; Every register its own value across a system call and a plain iret
    ; back (user.c: syscall 3, which checks them and sets RAX, RCX, R11 and
    ; CF); what comes back is stored at USER_REGS for user.c to compare.
    mov rbx, REG_PATTERN(1)
    mov rdx, REG_PATTERN(2)
    mov rsi, REG_PATTERN(3)
    mov rdi, REG_PATTERN(4)
    mov rbp, REG_PATTERN(5)
    mov r8, REG_PATTERN(6)
    mov r9, REG_PATTERN(7)
    mov r10, REG_PATTERN(8)
    mov r12, REG_PATTERN(9)
    mov r13, REG_PATTERN(10)
    mov r14, REG_PATTERN(11)
    mov r15, REG_PATTERN(12)
    mov eax, 3
    syscall
user_after_syscall3:
    mov [abs USER_REGS + 0 * 8], rax
    mov [abs USER_REGS + 1 * 8], rbx
    mov [abs USER_REGS + 2 * 8], rcx
    mov [abs USER_REGS + 3 * 8], rdx
    mov [abs USER_REGS + 4 * 8], rsi
    mov [abs USER_REGS + 5 * 8], rdi
    mov [abs USER_REGS + 6 * 8], rbp
    mov [abs USER_REGS + 7 * 8], r8
    mov [abs USER_REGS + 8 * 8], r9
    mov [abs USER_REGS + 9 * 8], r10
    mov [abs USER_REGS + 10 * 8], r11
    mov [abs USER_REGS + 11 * 8], r12
    mov [abs USER_REGS + 12 * 8], r13
    mov [abs USER_REGS + 13 * 8], r14
    mov [abs USER_REGS + 14 * 8], r15
    pushfq
    pop rax
    mov [abs USER_REGS + 15 * 8], rax
user_int84:
    int 0x84                    ; DPL 1 in the trap table: #GP from user mode
    mov rcx, 0xffffffff80000000
user_kernel_touch:
    mov rax, [rcx]              ; the kernel is not mapped in the user L4: #PF
    ud2

section .text
; enter_user(rip, rsp): the iret hypercall to ring 3 user mode, events on.
global enter_user
enter_user:
    push qword 0xe02b           ; FLAT_USER_SS
    push rsi
    push qword 0x202            ; RFLAGS: IF
    push qword 0xe033           ; FLAT_USER_CS
    push rdi
    push qword 0                ; iret flags
    jmp hypercall_page + HYPERCALL_IRET * 32
