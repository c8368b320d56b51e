; pvhostile32: ELF notes, the entry point, the hypercall page, the trap,
; event and failsafe entries, a recovery point (setjmp/longjmp), `int $0x82`
; with any number and a HYPERVISOR_iret of a forged frame.

bits 32

%include "xen_guest_head.inc"

%define VIRT_BASE   0xc0000000
%define STACK_SIZE  (32 * 1024)
%define RING1_DS    0xe021

XEN_GUEST_HEAD "pvhostile32", VIRT_BASE, _start

section .text.entry progbits alloc exec nowrite align=16
global _start
extern hostile_main
_start:
    mov esp, boot_stack + STACK_SIZE
    xor ebp, ebp
    push esi
    call hostile_main
.hang:
    ud2
    jmp .hang

; ---- traps: vectors 0-19, 16 bytes apart from trap_stubs; each leaves
; vector and error code below the CPU's frame (struct tframe).
%define HAS_ERROR(v) ((v) == 8 || ((v) >= 10 && (v) <= 14) || (v) == 17)

section .text
extern hostile_trap, hostile_event, hostile_failsafe, hostile_landed
global trap_stubs
align 16
trap_stubs:
%assign v 0
%rep 20
    align 16
%if HAS_ERROR(v) == 0
    push 0
%endif
    push v
    jmp trap_common
%assign v v + 1
%endrep

; Our data segments first: a trap from ring 3 (or a forged frame) may
; have left others loaded. hostile_trap() recovers or returns.
trap_common:
    pushad
    mov ax, RING1_DS
    mov ds, ax
    mov es, ax
    push esp
    call hostile_trap
    add esp, 4
    popad
    add esp, 8
    iretd

; The event upcall (events masked on entry): HYPERVISOR_iret unmasks them
; again as the frame's EFLAGS.IF says.
global hypervisor_callback
hypervisor_callback:
    push 0
    push 0x100
    pushad
    mov ax, RING1_DS
    mov ds, ax
    mov es, ax
    push esp
    call hostile_event
    add esp, 4
    popad
    add esp, 8
    jmp hypercall_page + HYPERCALL_IRET * 32

; The failsafe callback: DS, ES, FS, GS below EIP, CS, EFLAGS (ESP, SS).
; Only reached by an attack: hostile_failsafe() recovers.
global failsafe_callback
failsafe_callback:
    pushad
    mov ax, RING1_DS
    mov ds, ax
    mov es, ax
    xor eax, eax
    mov fs, ax
    mov gs, ax
    push esp
    call hostile_failsafe
.hang:
    ud2
    jmp .hang

; int hj_setjmp(struct hj_ctx *c): 0, then 1 when hj_longjmp(c) comes back.
global hj_setjmp, hj_longjmp
hj_setjmp:
    mov ecx, [esp + 4]
    mov [ecx], ebx
    mov [ecx + 4], esi
    mov [ecx + 8], edi
    mov [ecx + 12], ebp
    lea edx, [esp + 4]
    mov [ecx + 16], edx
    mov edx, [esp]
    mov [ecx + 20], edx
    xor eax, eax
    ret
hj_longjmp:
    mov ecx, [esp + 4]
    mov ax, RING1_DS
    mov ds, ax
    mov es, ax
    mov ebx, [ecx]
    mov esi, [ecx + 4]
    mov edi, [ecx + 8]
    mov ebp, [ecx + 12]
    mov esp, [ecx + 16]
    mov eax, 1
    jmp [ecx + 20]

; long hc_int82(nr, a1, a2, a3, a4, a5)
global hc_int82
hc_int82:
    push ebx
    push esi
    push edi
    mov eax, [esp + 16]
    mov ebx, [esp + 20]
    mov ecx, [esp + 24]
    mov edx, [esp + 28]
    mov esi, [esp + 32]
    mov edi, [esp + 36]
    int 0x82
    pop edi
    pop esi
    pop ebx
    ret

; void forge_iret(eax, eip, cs, eflags, esp, ss): the frame on our stack,
; EAX as the guest asks, then the iret stub (which pushes EAX).
global forge_iret
forge_iret:
    push dword [esp + 24]       ; ss
    push dword [esp + 24]       ; esp
    push dword [esp + 24]       ; eflags
    push dword [esp + 24]       ; cs
    push dword [esp + 24]       ; eip
    mov eax, [esp + 24]
    jmp hypercall_page + HYPERCALL_IRET * 32

; Where a forged frame that pvshim accepted lands (ring 1 or 3).
global iret_landing
iret_landing:
    push eax
    mov ax, RING1_DS
    mov ds, ax
    mov es, ax
    call hostile_landed
.hang:
    ud2
    jmp .hang

section .bss
global boot_stack
alignb 4096
boot_stack:
    resb STACK_SIZE
