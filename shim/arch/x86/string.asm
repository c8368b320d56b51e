; memcpy, memmove and memset on the CPU's string instructions. Guest images
; and ramdisks are copied with these, and byte loops are slow under TCG.

BITS 64
section .text

; void *memcpy(void *dst, const void *src, size_t n)
global memcpy
memcpy:
    mov rax, rdi
    mov rcx, rdx
    rep movsb
    ret

; void *memmove(void *dst, const void *src, size_t n)
global memmove
memmove:
    mov rax, rdi
    mov rcx, rdx
    cmp rdi, rsi
    jbe .forward
    lea r8, [rsi + rdx]
    cmp rdi, r8
    jae .forward
    ; Overlap with dst above src: copy backwards.
    lea rsi, [rsi + rdx - 1]
    lea rdi, [rdi + rdx - 1]
    std
    rep movsb
    cld
    ret
.forward:
    rep movsb
    ret

; void *memset(void *dst, int c, size_t n)
global memset
memset:
    mov r8, rdi
    mov eax, esi
    mov rcx, rdx
    rep stosb
    mov rax, r8
    ret
