; The Xen ELF note that makes pvshim bootable through the PVH entry
; (XEN_ELFNOTE_PHYS32_ENTRY = 18). QEMU reads the descriptor as a native
; word, so it is 8 bytes here; Xen accepts 4 or 8.

extern pvh_entry

section .note.Xen note alloc noexec nowrite align=4
    dd 4                        ; name size ("Xen\0")
    dd 8                        ; descriptor size
    dd 18                       ; XEN_ELFNOTE_PHYS32_ENTRY
    db "Xen", 0
    dq pvh_entry
