; Byte copies to and from guest virtual memory. The guest's page tables are
; live whenever pvshim handles a guest entry, so a guest address is used
; directly; a fault inside the copy is caught by the exception table and
; turned into a short count. SMAP is opened only around the copy.

BITS 64
section .text

extern smap_active

; size_t guest_copy_bytes(void *dst, const void *src, size_t len)
; Returns the number of bytes NOT copied (0 on success).
global guest_copy_bytes
guest_copy_bytes:
    mov rcx, rdx
    cmp byte [rel smap_active], 0
    je .copy
    stac
.copy:
    rep movsb
    xor eax, eax
    jmp .done
.fault:
    mov rax, rcx
.done:
    cmp byte [rel smap_active], 0
    je .ret
    clac
.ret:
    ret

section .extable
    dq .copy, .fault

section .text
; int hw_load_gs_selector_checked(uint16_t sel): 0, or -1 if loading faulted
; (in which case GS is left null).
global hw_load_gs_selector_checked
hw_load_gs_selector_checked:
.load:
    mov gs, di
    xor eax, eax
    ret
.fault:
    xor eax, eax
    mov gs, ax
    mov eax, -1
    ret

section .extable
    dq .load, .fault
