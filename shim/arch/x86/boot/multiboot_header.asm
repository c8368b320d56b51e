; Multiboot1 header. Linked only into build/pvshim: QEMU prefers Multiboot
; over PVH when both are present, so build/pvshim-pvh leaves this out.
;
; pvshim is an ELF64 image, which QEMU's Multiboot loader refuses to parse,
; so the header carries explicit load addresses (flag bit 16). The linker
; script lays the file out flat: file offset 0 is physical IMAGE_LOAD_PADDR.

%define MB_MAGIC        0x1BADB002
%define MB_PAGE_ALIGN   (1 << 0)
%define MB_MEMORY_INFO  (1 << 1)
%define MB_LOAD_ADDRS   (1 << 16)
%define MB_FLAGS        (MB_PAGE_ALIGN | MB_MEMORY_INFO | MB_LOAD_ADDRS)

extern multiboot_entry
extern __image_start_phys, __load_end_phys, __bss_end_phys

section .multiboot progbits alloc noexec nowrite align=4
multiboot_header:
    dd MB_MAGIC
    dd MB_FLAGS
    dd -(MB_MAGIC + MB_FLAGS)
    dd multiboot_header         ; header_addr (physical: this section is low)
    dd __image_start_phys       ; load_addr: file offset 0
    dd __load_end_phys          ; load_end_addr
    dd __bss_end_phys           ; bss_end_addr
    dd multiboot_entry          ; entry_addr
