; Entry stubs for everything Xen bounces to the guest kernel: exceptions
; (via set_trap_table), the event upcall and the syscall callback (via
; callback_op), and the failsafe callback. They build one uniform frame,
; struct trap_frame in traps.h, call trap_dispatch() and return with the
; iret hypercall.
;
; Xen's 64-bit bounce frame, from the lowest address: RCX, R11,
; [error code], RIP, CS, RFLAGS, RSP, SS. Stubs for vectors without an
; error code move RCX and R11 down one slot and put 0 in the gap, so the
; layout is the same for all.

bits 64
default rel

%include "xen_guest_head.inc"   ; HYPERCALL_IRET

%define FRAME_HAS_ERROR 0x10000     ; in trap_frame.kind

extern hypercall_page
extern trap_dispatch
extern failsafe_dispatch

section .text

%macro STUB_NOERR 2                 ; label, kind
global %1
%1:
    sub rsp, 8
    push rax
    mov rax, [rsp + 16]             ; rcx
    mov [rsp + 8], rax
    mov rax, [rsp + 24]             ; r11
    mov [rsp + 16], rax
    mov qword [rsp + 24], 0         ; the error code slot
    pop rax
    push qword %2
    jmp trap_common
%endmacro

%macro STUB_ERR 2
global %1
%1:
    push qword (%2 | FRAME_HAS_ERROR)
    jmp trap_common
%endmacro

STUB_NOERR trap_de, 0
STUB_NOERR trap_db, 1
STUB_NOERR trap_nmi, 2
STUB_NOERR trap_bp, 3
STUB_NOERR trap_of, 4
STUB_NOERR trap_br, 5
STUB_NOERR trap_ud, 6
STUB_NOERR trap_nm, 7
STUB_ERR   trap_df, 8
STUB_NOERR trap_cso, 9
STUB_ERR   trap_ts, 10
STUB_ERR   trap_np, 11
STUB_ERR   trap_ss, 12
STUB_ERR   trap_gp, 13
STUB_ERR   trap_pf, 14
STUB_NOERR trap_spurious, 15
STUB_NOERR trap_mf, 16
STUB_ERR   trap_ac, 17
STUB_NOERR trap_mc, 18
STUB_NOERR trap_xm, 19
STUB_NOERR trap_soft80, 0x80        ; int $0x80, DPL 3
STUB_NOERR trap_soft81, 0x81        ; software interrupt, DPL 3
STUB_NOERR trap_soft83, 0x83        ; software interrupt, DPL 0
STUB_NOERR trap_soft84, 0x84        ; software interrupt, DPL 1
STUB_NOERR event_entry, 0x100       ; event upcall
STUB_NOERR syscall_entry, 0x101     ; syscall from user mode

trap_common:
    push rax
    push rbx
    push rdx
    push rsi
    push rdi
    push rbp
    push r8
    push r9
    push r10
    push r12
    push r13
    push r14
    push r15
    mov rdi, rsp
    cld
    call trap_dispatch
global trap_return
trap_return:
    pop r15
    pop r14
    pop r13
    pop r12
    pop r10
    pop r9
    pop r8
    pop rbp
    pop rdi
    pop rsi
    pop rdx
    pop rbx
    pop rax
    mov rcx, [rsp + 8]
    mov r11, [rsp + 16]
    add rsp, 24                     ; now at the error slot: the iret flags
    jmp hypercall_page + HYPERCALL_IRET * 32

; The failsafe callback frame has DS, ES, FS, GS between R11 and RIP.
; failsafe_dispatch() records it and does not return here.
global failsafe_entry
failsafe_entry:
    push rax
    push rbx
    push rdx
    push rsi
    push rdi
    push rbp
    push r8
    push r9
    push r10
    push r12
    push r13
    push r14
    push r15
    mov rdi, rsp
    and rsp, -16
    cld
    call failsafe_dispatch
    ud2

; int check_call(void (*fn)(void), struct jump_ctx *ctx): calls fn and
; returns 0, or returns 1 when check_longjmp(ctx) was called from inside.
global check_call
check_call:
    mov [rsi + 0*8], rbx
    mov [rsi + 1*8], rbp
    mov [rsi + 2*8], r12
    mov [rsi + 3*8], r13
    mov [rsi + 4*8], r14
    mov [rsi + 5*8], r15
    mov [rsi + 6*8], rsp
    call rdi
    xor eax, eax
    ret

global check_longjmp
check_longjmp:
    mov rbx, [rdi + 0*8]
    mov rbp, [rdi + 1*8]
    mov r12, [rdi + 2*8]
    mov r13, [rdi + 3*8]
    mov r14, [rdi + 4*8]
    mov r15, [rdi + 5*8]
    mov rsp, [rdi + 6*8]
    mov eax, 1
    ret
