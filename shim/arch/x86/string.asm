; memcpy, memmove and memset on the CPU's string instructions. Guest images
; and ramdisks are copied with these, and byte loops are slow under TCG,
; which runs every iteration of a REP as a step of its own: whole words
; first, then the tail.

BITS 64
section .text

; void *memcpy(void *dst, const void *src, size_t n)
global memcpy
memcpy:
    mov rax, rdi
    mov rcx, rdx
    shr rcx, 3
    rep movsq
    mov ecx, edx
    and ecx, 7
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
    jmp memcpy

; void *memset(void *dst, int c, size_t n)
global memset
memset:
    mov r8, rdi
    movzx eax, sil
    mov r9, 0x0101010101010101
    imul rax, r9                ; the byte in every byte of the word
    mov rcx, rdx
    shr rcx, 3
    rep stosq
    mov ecx, edx
    and ecx, 7
    rep stosb
    mov rax, r8
    ret
