; The domain build's per-frame tables (the p2m list, the M2P, the frame
; table) in 16-byte stores: under TCG every instruction counts, and these
; loops run once per frame of the VM. SSE2, which every x86-64 CPU has.
; Callers: shim/lib/fill.c only, and only while the vector registers are
; pvshim's (before the guest's first instruction). Each routine leaves the
; registers it used zero, as the CPU's reset left them for the guest.

BITS 64

section .rodata
align 16
step2:  dq 2, 2
step16: dq 16, 16

section .text

; void vector_fill_words(uint64_t *dst, uint64_t word, size_t blocks)
; dst[0 .. 32 * blocks) = word.
global vector_fill_words
vector_fill_words:
    test rdx, rdx
    jz .done
    movq xmm0, rsi
    punpcklqdq xmm0, xmm0
.loop:
%assign i 0
%rep 16
    movdqu [rdi + i], xmm0
%assign i i + 16
%endrep
    add rdi, 256
    dec rdx
    jnz .loop
    pxor xmm0, xmm0
.done:
    ret

; void vector_fill_counts2(uint64_t *a, uint64_t va, uint64_t *b, uint64_t vb, size_t blocks)
; a[i] = va + i and b[i] = vb + i for i in [0, 16 * blocks).
global vector_fill_counts2
vector_fill_counts2:
    test r8, r8
    jz .done
    ; xmm0..xmm7: a's next 16 values in pairs; xmm8..xmm15: b's.
    movq xmm0, rsi
    lea rax, [rsi + 1]
    movq xmm1, rax
    punpcklqdq xmm0, xmm1
    movq xmm8, rcx
    lea rax, [rcx + 1]
    movq xmm9, rax
    punpcklqdq xmm8, xmm9
%assign r 1
%rep 7
    movdqa xmm %+ r, xmm %+ %eval(r - 1)
    paddq xmm %+ r, [rel step2]
    movdqa xmm %+ %eval(r + 8), xmm %+ %eval(r + 7)
    paddq xmm %+ %eval(r + 8), [rel step2]
%assign r r + 1
%endrep
.loop:
%assign r 0
%rep 8
    movdqu [rdi + 16 * r], xmm %+ r
    paddq xmm %+ r, [rel step16]
    movdqu [rdx + 16 * r], xmm %+ %eval(r + 8)
    paddq xmm %+ %eval(r + 8), [rel step16]
%assign r r + 1
%endrep
    add rdi, 128
    add rdx, 128
    dec r8
    jnz .loop
%assign r 0
%rep 16
    pxor xmm %+ r, xmm %+ r
%assign r r + 1
%endrep
.done:
    ret
