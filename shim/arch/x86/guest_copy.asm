; Copies to and from guest virtual memory. The guest's page tables are
; live whenever pvshim handles a guest entry, so a guest address is used
; directly; a fault inside the copy is caught by the exception table and
; turned into a short count. SMAP is opened only around the copy.
; Whole words first, then the tail: the frames and arguments copied on every
; trap are a few words, and a byte loop costs one emulated step per byte.

BITS 64
section .text

extern smap_active

; size_t guest_copy_bytes(void *dst, const void *src, size_t len)
; Returns the number of bytes NOT copied (0 on success).
global guest_copy_bytes
guest_copy_bytes:
    mov rcx, rdx
    shr rcx, 3
    and edx, 7
    cmp byte [rel smap_active], 0
    je .words
    stac
.words:
    rep movsq
    mov ecx, edx
.bytes:
    rep movsb
    xor eax, eax
    jmp .done
.words_fault:
    lea rax, [rcx * 8 + rdx]
    jmp .done
.bytes_fault:
    mov rax, rcx
.done:
    cmp byte [rel smap_active], 0
    je .ret
    clac
.ret:
    ret

section .extable
    dq .words, .words_fault
    dq .bytes, .bytes_fault

section .text
; unsigned hw_load_data_selectors(const uint16_t sel[4]): DS, ES, FS, GS
; from sel[0..3]; a load that faults leaves that register null and sets
; its bit in the result.
%macro LOAD_SEL 2
    mov ax, [rdi + %2 * 2]
.load_%1:                       ; the load that may fault (its fixup below)
    mov %1, ax
    jmp .next_%1
.fault_%1:
    xor eax, eax
    mov %1, ax
    or edx, 1 << %2
.next_%1:
section .extable
    dq .load_%1, .fault_%1
section .text
%endmacro
global hw_load_data_selectors
hw_load_data_selectors:
    xor edx, edx
    LOAD_SEL ds, 0
    LOAD_SEL es, 1
    LOAD_SEL fs, 2
    LOAD_SEL gs, 3
    mov eax, edx
    ret

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

; Instructions that may fault on input pvshim does not fully control.
; Each returns 0, or -1 when the instruction faulted.

section .text
; int arch_rdmsr_safe(uint32_t msr, uint64_t *val)
global arch_rdmsr_safe
arch_rdmsr_safe:
    mov ecx, edi
.rd:
    rdmsr
    shl rdx, 32
    or rax, rdx
    mov [rsi], rax
    xor eax, eax
    ret
.rd_fault:
    mov qword [rsi], 0
    mov eax, -1
    ret

; int arch_xsetbv_safe(uint64_t xcr0)
global arch_xsetbv_safe
arch_xsetbv_safe:
    mov rax, rdi
    mov rdx, rdi
    shr rdx, 32
    xor ecx, ecx
.xs:
    xsetbv
    xor eax, eax
    ret
.xs_fault:
    mov eax, -1
    ret

; int arch_read_qword_safe(const uint64_t *p, uint64_t *out)
global arch_read_qword_safe
arch_read_qword_safe:
.rq:
    mov rax, [rdi]
    mov [rsi], rax
    xor eax, eax
    ret
.rq_fault:
    mov eax, -1
    ret

section .extable
    dq arch_rdmsr_safe.rd, arch_rdmsr_safe.rd_fault
    dq arch_xsetbv_safe.xs, arch_xsetbv_safe.xs_fault
    dq arch_read_qword_safe.rq, arch_read_qword_safe.rq_fault
