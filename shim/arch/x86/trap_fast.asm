; The page fault's fast path for a 64-bit guest: a fault that is certainly
; the guest's own, from guest user or kernel mode, bounced to the #PF entry
; of its trap table without C and without the PV lock (the C path:
; traps.c trap_entry -> entry.c guest_exception, page_fault ->
; bounce.c pv_inject_exception, then guest_resume).
;
; The C path is the reference: what the guest sees (vcpu_info's arch.cr2,
; the bounce frame with the error code, whose user bit says the guest's
; mode, RFLAGS, CS/SS, the event mask the trap-table entry asks for,
; kernel mode with the GS base swap and the CR3 switch to its kernel L4)
; is the same bit for bit.
;
; Certainly the guest's, so taken here: a fault the guest raised in its
; own accesses (the error code's user bit set; nothing but the present,
; write, user and fetch bits), at an address outside pvshim's L4 slots,
; and, from guest kernel mode, not a write to a present page (a write to
; one of its page tables, which pvshim may emulate: ptwr). Everything else
; goes to the C path untouched (trap_slow, entry.asm): a fault in pvshim
; itself, selftest=c-entry, a 32-bit guest, architectural IOPL, a TLB
; flush owed (tlb_flush_due; from user mode, whose bounce loads CR3, also
; the vCPU's stale-TLB bit, as entry_fast.asm), a vCPU taken down, a
; supervisor access (descriptor tables; QEMU's TCG SMAP iretq quirk), the
; LDT window and the rest of pvshim's mappings, reserved-bit, protection-
; key and shadow-stack faults, no #PF handler, events the return would
; deliver, and a bounce frame outside the guest's range or faulting (the
; C path then crashes the guest as it always did).
;
; No PV lock, for the reasons entry_fast.asm gives: only this vCPU's own
; state, its CPU's GS base and CR3, and the guest's stack are written. From
; guest kernel mode nothing is loaded into CR3, and the C path bounces the
; fault whatever the stale-TLB bit says (pvshim looks for no spurious
; faults: one through a stale, stricter translation is the guest's to
; retry); the frame is written through the translations the guest itself
; is using, which stay its own until this CPU takes the flush IPI, after
; the iretq.
;
; Entered from trap_stub_14 with the hardware frame, its error code and
; the vector pushed. CR2 holds the faulting address until a fault of
; pvshim's own: a bounce-frame write that faults puts it back before the
; C path, which reads it again.

BITS 64
%include "layout.inc"
%include "asm_offsets.inc"
%include "entry_fast.inc"

section .text

extern dom, pv_mm, smap_active, entry_fast_enabled
extern trap_common, trap_slow, fast_exit

; pvshim's L4 slots, [SHIM_START, SHIM_END): none of the guest's faults.
%define SHIM_START (0xffff000000000000 | (HYPERVISOR_FIRST_L4_SLOT << 39))
%define SHIM_END   (0xffff000000000000 | ((HYPERVISOR_LAST_L4_SLOT + 1) << 39))

%define PF_BOUNCE_BYTES (BOUNCE_BYTES + 8)      ; with the error code

global page_fault_fast
page_fault_fast:
    test byte [rsp + 24], 3             ; CS (vector, error code, RIP below)
    jz trap_common                      ; pvshim's own fault
    push rdi
    push rsi
    push rdx
    push rcx
    push rax
    SMAP_CLOSE                          ; the guest may have left AC set
    mov rsi, rsp
    or rsi, PCPU_STACK_SIZE - 1
    mov rsi, [rsi - 7]                  ; this_pcpu() (percpu.h)
    mov rdi, [rsi + PCPU_CURR]          ; its vCPU, for the whole path
    COMMON_CHECKS trap_slow
    ; The guest's own access, nothing unusual about it.
    mov rax, [rsp + F_ERROR]
    test rax, ~(PFEC_PRESENT | PFEC_WRITE | PFEC_USER | PFEC_INSN)
    jnz trap_slow
    test eax, PFEC_USER
    jz trap_slow
    cmp byte [rdi + V_KERNEL_MODE], 0
    je .not_ptwr
    and eax, PFEC_PRESENT | PFEC_WRITE
    cmp eax, PFEC_PRESENT | PFEC_WRITE
    je trap_slow
.not_ptwr:
    mov rax, cr2
    mov rcx, SHIM_START
    cmp rax, rcx
    jb .guest_address
    mov rcx, SHIM_END
    cmp rax, rcx
    jb trap_slow
.guest_address:
    cmp qword [rdi + V_PF_HANDLER], 0
    je trap_slow
    mov rdx, [rdi + V_VCPU_INFO]
    movzx ecx, byte [rdx + VI_MASK]     ; the mask the frame saves
    ; guest_resume after the bounce delivers nothing: masked, or none pending.
    test byte [rdi + V_PF_FLAGS], 4     ; an interrupt gate: masks events
    jnz .events_ok
    test ecx, ecx
    jnz .events_ok
    cmp qword [rdi + V_EVENT_CALLBACK], 0
    je .events_ok
    cmp byte [rdx + VI_PENDING], 0
    jne trap_slow
.events_ok:
    mov [rdx + VI_CR2], rax             ; set again by the C path if it runs
    cmp byte [rdi + V_KERNEL_MODE], 0
    je .from_user
    mov rsi, [rsp + F_RSP]              ; the kernel's own stack
    and rsi, -16
    sub rsi, PF_BOUNCE_BYTES
    GUEST_RANGE rsi, PF_BOUNCE_BYTES, trap_slow
    jmp .frame
.from_user:
    ; A TLB flush owed: the C path clears the bit with its CR3 load.
    mov eax, [rdi + V_VCPU_ID]
    bt [rel pv_mm + MM_STALE_TLB], rax
    jc trap_slow
    mov rsi, [rdi + V_KERNEL_SP]
    and rsi, -16
    sub rsi, PF_BOUNCE_BYTES
    GUEST_RANGE rsi, PF_BOUNCE_BYTES, trap_slow
    ; The kernel's L4 first: its stack is not in the user's.
    mov rax, [rdi + V_GUEST_TABLE]
    shl rax, 12
    mov cr3, rax
.frame:
    SMAP_OPEN
    mov rax, [rsp + F_RCX]
    GUEST .bounce_fault, mov [rsi], rax
    GUEST .bounce_fault, mov [rsi + 8], r11
    ; The hardware saw ring 3 either way: the user bit says the guest's mode.
    mov rax, [rsp + F_ERROR]
    cmp byte [rdi + V_KERNEL_MODE], 0
    je .user_ec
    and eax, ~PFEC_USER
.user_ec:
    GUEST .bounce_fault, mov [rsi + 16], rax
    mov rax, [rsp + F_RIP]
    GUEST .bounce_fault, mov [rsi + 24], rax
    mov rax, rcx
    shl rax, 32
    mov ax, [rsp + F_CS]                ; (cs & 0xffff) | mask << 32
    cmp byte [rdi + V_KERNEL_MODE], 0
    je .user_cs
    and al, ~3                          ; it interrupted its own kernel
.user_cs:
    GUEST .bounce_fault, mov [rsi + 32], rax
    mov rax, [rsp + F_RFLAGS]
    and rax, ~(EFLAGS_IF | EFLAGS_IOPL)
    test ecx, ecx
    jnz .frame_masked
    or rax, EFLAGS_IF
.frame_masked:
    GUEST .bounce_fault, mov [rsi + 40], rax
    mov rax, [rsp + F_RSP]
    GUEST .bounce_fault, mov [rsi + 48], rax
    mov rax, [rsp + F_SS]
    GUEST .bounce_fault, mov [rsi + 56], rax
    SMAP_CLOSE
    ; Done: the guest is in kernel mode at its handler.
    cmp byte [rdi + V_KERNEL_MODE], 0
    jne .in_kernel
    swapgs
    mov byte [rdi + V_KERNEL_MODE], 1
.in_kernel:
    test byte [rdi + V_PF_FLAGS], 4
    jz .mask_kept
    mov byte [rdx + VI_MASK], 1
.mask_kept:
    ENTER_GUEST_HANDLER V_PF_HANDLER
    inc qword [rdi + V_FAST_PAGE_FAULTS]
    jmp fast_exit
.bounce_fault:
    SMAP_CLOSE
    mov rax, [rdx + VI_CR2]             ; the guest's fault, not this one
    mov cr2, rax
    cmp byte [rdi + V_KERNEL_MODE], 0
    jne trap_slow
    mov rax, [rdi + V_GUEST_TABLE_USER]  ; back as the guest entered
    shl rax, 12
    mov cr3, rax
    jmp trap_slow
