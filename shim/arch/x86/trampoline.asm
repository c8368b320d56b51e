; Application processor start-up. The boot CPU copies the code between
; ap_trampoline and ap_trampoline_end to physical TRAMPOLINE_PADDR (below
; 1 MiB, page aligned) and fills struct ap_boot_args at its end; a
; STARTUP IPI with vector TRAMPOLINE_PADDR >> 12 starts the AP there in
; real mode, CS = TRAMPOLINE_PADDR >> 4, IP = 0. It goes through 32-bit
; protected mode to long mode on the start-up page tables (which map this
; page 1:1 and pvshim's own slots), jumps to ap_entry64 in pvshim's image
; and there switches to pvshim's page tables and the CPU's own stack.

BITS 16
section .rodata
align 16

%define TRAMPOLINE_PADDR    0x8000
%define T(x)                (TRAMPOLINE_PADDR + ((x) - ap_trampoline))

global ap_trampoline, ap_trampoline_end, ap_boot_args
ap_trampoline:
    cli
    cld
    mov ax, cs
    mov ds, ax
    o32 lgdt [tr_gdtr - ap_trampoline]
    mov eax, cr0
    or eax, 1                       ; PE
    mov cr0, eax
    jmp dword 0x08:T(.pm32)

BITS 32
.pm32:
    mov ax, 0x10
    mov ds, ax
    mov es, ax
    mov ss, ax
    mov eax, cr4
    or eax, 1 << 5                  ; PAE
    mov cr4, eax
    mov eax, [T(ap_boot_args.start_cr3)]
    mov cr3, eax
    mov ecx, 0xc0000080             ; EFER
    rdmsr
    or eax, [T(ap_boot_args.efer)]  ; LME, and NXE when the boot CPU has it
    wrmsr
    mov eax, cr0
    or eax, 0x80000001              ; PG | PE
    mov cr0, eax
    jmp 0x18:T(.lm64)

BITS 64
.lm64:
    mov rsp, [T(ap_boot_args.stack)]
    mov rdi, [T(ap_boot_args.pcpu)]
    mov rax, [T(ap_boot_args.cr3)]
    mov rbx, [T(ap_boot_args.entry)]
    jmp rbx

align 8
tr_gdt:
    dq 0
    dq 0x00cf9a000000ffff           ; 0x08: 32-bit code
    dq 0x00cf92000000ffff           ; 0x10: data
    dq 0x00af9a000000ffff           ; 0x18: 64-bit code
tr_gdtr:
    dw 4 * 8 - 1
    dd T(tr_gdt)

align 8
; struct ap_boot_args (smp.c): filled by the boot CPU for each AP.
ap_boot_args:
.start_cr3: dq 0                    ; start-up L4, below 4 GiB
.efer:      dq 0                    ; EFER bits to set
.cr3:       dq 0                    ; pvshim's L4
.stack:     dq 0                    ; the AP's stack top
.entry:     dq 0                    ; ap_entry64
.pcpu:      dq 0                    ; its struct pcpu
ap_trampoline_end:

section .text
extern ap_main
; Long mode, on the start-up page tables: rax = pvshim's CR3, rdi = pcpu.
global ap_entry64
ap_entry64:
    mov cr3, rax
    xor ebp, ebp                    ; the end of backtraces
    call ap_main
.hang:
    cli
    hlt
    jmp .hang
