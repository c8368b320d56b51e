; pvshim's first instructions. Both loaders start us in 32-bit protected
; mode with paging off: PVH with EBX = hvm_start_info, Multiboot1 with
; EAX = magic and EBX = multiboot info. We build boot page tables that map
; the first 4 GiB twice (identity, and at IMAGE_VIRT_OFFSET where the image
; is linked), enter long mode and call boot_main(kind, info, magic).
;
; This file runs from its load address, so it lives in the low .boot
; sections; symbols in the high image are reached through their *_phys
; aliases from the linker script.

%include "layout.inc"

%define BOOT_KIND_PVH       1
%define BOOT_KIND_MULTIBOOT 2

%define CR0_PE              (1 << 0)
%define CR0_PG              (1 << 31)
%define CR4_PAE             (1 << 5)
%define MSR_EFER            0xc0000080
%define EFER_LME            (1 << 8)
%define EFER_NXE            (1 << 11)
%define PTE_P_RW            0x003
%define PDE_P_RW_PS         0x083

%define SEL_CODE64          0x08
%define SEL_DATA            0x10
%define SEL_CODE32          0x18

extern boot_tables_phys     ; 6 pages: PML4, PDPT, 4 x PD
extern boot_main

section .boot.text progbits alloc exec nowrite align=16
BITS 32

global pvh_entry
pvh_entry:
    cli
    cld
    mov dword [boot_kind], BOOT_KIND_PVH
    mov [boot_info], ebx
    jmp common32

global multiboot_entry
multiboot_entry:
    cli
    cld
    mov dword [boot_kind], BOOT_KIND_MULTIBOOT
    mov [boot_info], ebx
    mov [boot_magic], eax
    jmp common32

common32:
    lgdt [boot_gdt_desc]
    jmp SEL_CODE32:.flat
.flat:
    mov ax, SEL_DATA
    mov ds, ax
    mov es, ax
    mov ss, ax
    mov fs, ax
    mov gs, ax
    mov esp, boot_stack32_top

    ; Long mode is the one CPU feature we cannot run without.
    mov eax, 0x80000000
    cpuid
    cmp eax, 0x80000001
    jb no_long_mode
    mov eax, 0x80000001
    cpuid
    test edx, (1 << 29)
    jz no_long_mode
    mov [ext_features_edx], edx

    ; Boot page tables: PML4[0] and PML4[slot of IMAGE_VIRT_OFFSET] both
    ; point at one PDPT whose four PDs map 0-4 GiB with 2 MiB pages.
    mov edi, boot_tables_phys
    mov ecx, 6 * 4096 / 4
    xor eax, eax
    rep stosd

    mov edi, boot_tables_phys
    lea eax, [edi + 0x1000 + PTE_P_RW]
    mov [edi], eax
    mov [edi + ((IMAGE_VIRT_OFFSET >> 39) & 511) * 8], eax

    lea ebx, [edi + 0x1000]         ; PDPT
    lea eax, [edi + 0x2000 + PTE_P_RW]
    mov ecx, 4
.pdpt:
    mov [ebx], eax
    add ebx, 8
    add eax, 0x1000
    loop .pdpt

    lea ebx, [edi + 0x2000]         ; PD entries 0..2047
    mov eax, PDE_P_RW_PS
    mov ecx, 2048
.pd:
    mov [ebx], eax
    add ebx, 8
    add eax, 0x200000
    loop .pd

    mov eax, cr4
    or eax, CR4_PAE
    mov cr4, eax
    mov cr3, edi

    mov ecx, MSR_EFER
    rdmsr
    or eax, EFER_LME
    test dword [ext_features_edx], (1 << 20)
    jz .no_nx
    or eax, EFER_NXE
.no_nx:
    wrmsr

    mov eax, cr0
    or eax, CR0_PG | CR0_PE
    mov cr0, eax
    jmp SEL_CODE64:long_mode_low

; Without long mode nothing else can run: say so on both consoles and stop
; with the internal-error status.
no_long_mode:
    mov esi, msg_no_long_mode
.next:
    lodsb
    test al, al
    jz .done
    out 0xe9, al
    mov dx, 0x3fd
    mov ah, al
.wait:
    in al, dx
    test al, 0x20
    jz .wait
    mov al, ah
    mov dx, 0x3f8
    out dx, al
    jmp .next
.done:
    mov al, 4                       ; EXIT_INTERNAL_ERROR
    out 0xf4, al
.halt:
    hlt
    jmp .halt

BITS 64
long_mode_low:
    mov ax, SEL_DATA
    mov ds, ax
    mov es, ax
    mov ss, ax
    xor eax, eax
    mov fs, ax
    mov gs, ax
    mov rax, long_mode_high
    jmp rax

section .boot.data progbits alloc noexec write align=16
boot_gdt:
    dq 0
    dq 0x00af9a000000ffff           ; 0x08: 64-bit code, DPL 0
    dq 0x00cf92000000ffff           ; 0x10: flat data, DPL 0
    dq 0x00cf9a000000ffff           ; 0x18: 32-bit code, DPL 0
boot_gdt_end:
boot_gdt_desc:
    dw boot_gdt_end - boot_gdt - 1
    dq boot_gdt

boot_kind:          dd 0
boot_info:          dd 0
boot_magic:         dd 0
ext_features_edx:   dd 0
msg_no_long_mode:   db "pvshim: this CPU has no long mode; pvshim needs x86-64", 13, 10, 0

align 16
boot_stack32:       times 256 db 0
boot_stack32_top:

section .text
BITS 64
long_mode_high:
    lea rsp, [rel boot_stack_top]
    xor ebp, ebp
    mov eax, boot_kind
    mov edi, [rax]
    mov eax, boot_info
    mov esi, [rax]
    mov eax, boot_magic
    mov edx, [rax]
    call boot_main
.hang:
    cli
    hlt
    jmp .hang

section .bss
align 4096
global boot_tables
boot_tables:        resb 6 * 4096
global boot_stack, boot_stack_top
boot_stack:         resb BOOT_STACK_SIZE
boot_stack_top:
