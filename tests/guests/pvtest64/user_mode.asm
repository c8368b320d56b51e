; The code pvtest64 runs in user mode (user.c maps this page at
; USER_CODE_VA in a user L4 of its own), and the jump into user mode.

bits 64
default rel

extern hypercall_page

section .user_text progbits alloc exec nowrite align=4096
global user_code_start, user_after_syscall1, user_after_syscall2, user_int84, user_kernel_touch
user_code_start:
    mov eax, 1                  ; "echo rdi + 1"
    mov edi, 0x1234
    syscall
user_after_syscall1:
    mov rdi, rax
    mov rsi, [gs:0]             ; the user GS base (SEGBASE_GS_USER)
    mov eax, 2                  ; "report rdi, rsi"
    syscall
user_after_syscall2:
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
    jmp hypercall_page + 23 * 32
