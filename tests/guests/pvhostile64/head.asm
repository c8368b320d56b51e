; pvhostile64: ELF notes, entry, hypercall page, stacks, exception and
; callback entry points, recovery (hostile_setjmp / hostile_longjmp), the
; forged iret and the raw stores the attacks need.

bits 64
default rel

%include "xen_guest_head.inc"

%define VIRT_BASE 0xffffffff80000000
%define STACK_SIZE (64 * 1024)

XEN_GUEST_HEAD "pvhostile64", VIRT_BASE, _start

section .text
extern hostile_main
extern hostile_trap
global _start
_start:
    lea rsp, [stack + STACK_SIZE]
    xor ebp, ebp
    mov rdi, rsi                    ; start_info
    call hostile_main
    ud2

; Every entry pushes its kind and joins trap_common, which hands C a
; pointer to the kind word; Xen's bounce frame (RCX, R11, [error], RIP,
; CS, RFLAGS, RSP, SS) lies above it. hostile_trap() returns only for
; events, which have no error code.
%macro ENTRY 2
global %1
%1:
    push qword %2
    jmp trap_common
%endmacro

ENTRY trap_de, 0
ENTRY trap_db, 1
ENTRY trap_nmi, 2
ENTRY trap_bp, 3
ENTRY trap_of, 4
ENTRY trap_br, 5
ENTRY trap_ud, 6
ENTRY trap_nm, 7
ENTRY trap_df, 0x108
ENTRY trap_ts, 0x10a
ENTRY trap_np, 0x10b
ENTRY trap_ss, 0x10c
ENTRY trap_gp, 0x10d
ENTRY trap_pf, 0x10e
ENTRY trap_mf, 16
ENTRY trap_ac, 0x111
ENTRY trap_mc, 18
ENTRY trap_xm, 19
ENTRY event_entry, 0x200
ENTRY failsafe_entry, 0x201
ENTRY syscall_entry, 0x202

trap_common:
    push rax
    push rdx
    push rsi
    push rdi
    push r8
    push r9
    push r10
    lea rdi, [rsp + 7*8]            ; the kind word
    cld
    call hostile_trap
    pop r10
    pop r9
    pop r8
    pop rdi
    pop rsi
    pop rdx
    pop rax
    add rsp, 8                      ; kind
    pop rcx
    pop r11
    push qword 0                    ; iret flags, over the old R11 slot
    jmp hypercall_page + HYPERCALL_IRET * 32

; int hostile_setjmp(uint64_t ctx[8]); void hostile_longjmp(uint64_t ctx[8])
global hostile_setjmp
hostile_setjmp:
    mov [rdi + 0*8], rbx
    mov [rdi + 1*8], rbp
    mov [rdi + 2*8], r12
    mov [rdi + 3*8], r13
    mov [rdi + 4*8], r14
    mov [rdi + 5*8], r15
    lea rax, [rsp + 8]
    mov [rdi + 6*8], rax
    mov rax, [rsp]
    mov [rdi + 7*8], rax
    xor eax, eax
    ret

global hostile_longjmp
hostile_longjmp:
    mov rbx, [rdi + 0*8]
    mov rbp, [rdi + 1*8]
    mov r12, [rdi + 2*8]
    mov r13, [rdi + 3*8]
    mov r14, [rdi + 4*8]
    mov r15, [rdi + 5*8]
    mov rsp, [rdi + 6*8]
    mov eax, 1
    jmp [rdi + 7*8]

; uint64_t forge_iret(uint64_t rflags, uint64_t cs, uint64_t ss, uint64_t flags):
; returns through HYPERVISOR_iret with a frame we made; gives the RFLAGS
; the CPU really has afterwards, RAX must come back as 0x5a5a (checked in C).
global forge_iret
forge_iret:
    push rbx
    mov rax, rsp
    push rdx                        ; ss
    push rax                        ; rsp: back to here
    push rdi                        ; rflags
    push rsi                        ; cs
    lea r8, [.back]
    push r8                         ; rip
    push rcx                        ; flags
    mov eax, 0x5a5a
    jmp hypercall_page + HYPERCALL_IRET * 32
.back:
    mov rbx, rax
    pushfq
    pop rax
    shl rbx, 32                     ; high half: the RAX iret restored
    or rax, rbx
    pop rbx
    ret

; Stores to a page-table entry through its read-only mapping: the CPU
; faults and pvshim emulates them (writable page tables) or delivers #PF.
; void pt_store_mov(uint64_t *p, uint64_t v)
global pt_store_mov
pt_store_mov:
    mov [rdi], rsi
    ret
; uint64_t pt_store_xchg(uint64_t *p, uint64_t v)
global pt_store_xchg
pt_store_xchg:
    mov rax, rsi
    xchg [rdi], rax
    ret
; uint64_t pt_store_cmpxchg(uint64_t *p, uint64_t old, uint64_t new)
global pt_store_cmpxchg
pt_store_cmpxchg:
    mov rax, rsi
    lock cmpxchg [rdi], rdx
    ret
; void pt_store_or(uint64_t *p, uint64_t v) / pt_store_and / pt_store_32 / pt_store_btr
global pt_store_or
pt_store_or:
    lock or [rdi], rsi
    ret
global pt_store_and
pt_store_and:
    lock and [rdi], rsi
    ret
global pt_store_32
pt_store_32:
    mov [rdi], esi
    ret
global pt_store_btr
pt_store_btr:
    lock btr qword [rdi], rsi
    ret

; uint64_t probe_write(volatile uint64_t *p): reads the word and writes the
; same value back (lock cmpxchg): faults unless the page is writable.
global probe_write
probe_write:
    mov rax, [rdi]
    mov rdx, rax
    lock cmpxchg [rdi], rdx
    ret
; uint64_t probe_read(volatile uint64_t *p)
global probe_read
probe_read:
    mov rax, [rdi]
    ret

; The instructions that raise the exceptions whose handlers we break.
global raise_bp, raise_ud, raise_de
raise_bp:
    int3
    ret
raise_ud:
    ud2
    ret
raise_de:
    xor edx, edx
    xor eax, eax
    xor ecx, ecx
    div rcx
    ret

section .bss
global stack
alignb 4096
stack:
    resb STACK_SIZE

; void load_fs_selector(uint16_t sel): load FS (an LDT selector makes the
; CPU read the guest's LDT through pvshim's lazy LDT window), then null it.
section .text
global load_fs_selector
load_fs_selector:
    mov eax, edi
    mov fs, ax
    xor eax, eax
    mov fs, ax
    ret

; Port I/O from the guest kernel (ring 3): pvshim emulates it against the
; virtual IOPL and I/O bitmap and must never let it reach a real port.
; void port_out8(uint16_t port, uint8_t v); uint8_t port_in8(uint16_t port);
; void port_out16/32 likewise; void port_outsb(uint16_t port, const void *p, uint64_t n)
; void port_insb(uint16_t port, void *p, uint64_t n)
global port_out8, port_in8, port_out16, port_out32, port_in32, port_outsb, port_insb
port_out8:
    mov edx, edi
    mov eax, esi
    out dx, al
    ret
port_out16:
    mov edx, edi
    mov eax, esi
    out dx, ax
    ret
port_out32:
    mov edx, edi
    mov eax, esi
    out dx, eax
    ret
port_in8:
    mov edx, edi
    xor eax, eax
    in al, dx
    ret
port_in32:
    mov edx, edi
    in eax, dx
    ret
port_outsb:
    mov rcx, rdx
    mov edx, edi
    cld
    rep outsb
    ret
port_insb:
    mov rcx, rdx
    mov edx, edi
    mov rdi, rsi
    cld
    rep insb
    ret
