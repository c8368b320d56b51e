; pvtest32: ELF notes, the entry point, the hypercall page, the stacks and
; the entry stubs for traps, events and the failsafe callback.
;
; Xen (or pvshim) enters a 32-bit PAE PV kernel at _start in compatibility
; mode, ring 1, with ESI holding the virtual address of start_info. The
; entry registers are saved untouched before anything else.

bits 32

%include "xen_guest_head.inc"

%define VIRT_BASE   0xc0000000
%define STACK_SIZE  (32 * 1024)

XEN_GUEST_HEAD "pvtest32", VIRT_BASE, _start

section .text.entry progbits alloc exec nowrite align=16
global _start
extern pvtest_main
_start:
    ; struct entry_regs (pvtest32.h): eax ebx ecx edx esi edi ebp esp
    ; eflags cs ss ds es fs gs.
    mov [entry_regs + 0*4], eax
    mov [entry_regs + 1*4], ebx
    mov [entry_regs + 2*4], ecx
    mov [entry_regs + 3*4], edx
    mov [entry_regs + 4*4], esi
    mov [entry_regs + 5*4], edi
    mov [entry_regs + 6*4], ebp
    mov [entry_regs + 7*4], esp
    pushfd
    pop eax
    mov [entry_regs + 8*4], eax
    xor eax, eax
    mov ax, cs
    mov [entry_regs + 9*4], eax
    mov ax, ss
    mov [entry_regs + 10*4], eax
    mov ax, ds
    mov [entry_regs + 11*4], eax
    mov ax, es
    mov [entry_regs + 12*4], eax
    mov ax, fs
    mov [entry_regs + 13*4], eax
    mov ax, gs
    mov [entry_regs + 14*4], eax

    mov esp, boot_stack + STACK_SIZE
    xor ebp, ebp
    push esi
    call pvtest_main
.hang:
    ud2
    jmp .hang

; ---- traps: every stub leaves vector and error code below the CPU's frame
; (struct tframe), and trap_handler() may rewrite the frame.
%define HAS_ERROR(v) ((v) == 8 || ((v) >= 10 && (v) <= 14) || (v) == 17)

section .text
extern trap_handler, event_handler, failsafe_handler

%macro TRAP_STUB 1
global trap_stub_%1
trap_stub_%1:
%if HAS_ERROR(%1) == 0
    push 0
%endif
    push %1
    jmp trap_common
%endmacro

%assign v 0
%rep 32
    TRAP_STUB v
%assign v v + 1
%endrep
    TRAP_STUB 0x80

trap_common:
    pushad
    push esp
    call trap_handler
    add esp, 4
    popad
    add esp, 8
    iretd                       ; ring 1 to ring 1 or 3: the CPU's own iret

; The event upcall: events are masked on entry; HYPERVISOR_iret unmasks
; them again as the frame's EFLAGS.IF says.
global hypervisor_callback
hypervisor_callback:
    push 0
    push 0x100
    pushad
    push esp
    call event_handler
    add esp, 4
    popad
    add esp, 8
    jmp hypercall_page + HYPERCALL_IRET * 32

; The failsafe callback: DS, ES, FS, GS of the frame that failed to load
; lie below EIP, CS, EFLAGS (and ESP, SS).
global failsafe_callback
failsafe_callback:
    pushad
    push esp
    call failsafe_handler
    add esp, 4
    popad
    add esp, 16                 ; the four selectors
    iretd

; int probe_read32(const void *p, uint32_t *val): 0, or -1 on a fault.
; int probe_write32(void *p, uint32_t val): likewise. The trap handler
; resumes a faulting probe at its fixup (struct probe in pvtest32.h).
global probe_read32, probe_write32, probe_int82, probe_int40, probe_hlt
global probe_table, probe_table_end
probe_read32:
    mov ecx, [esp + 4]
    mov edx, [esp + 8]
.insn:
    mov eax, [ecx]
    mov [edx], eax
    xor eax, eax
    ret
.fix:
    mov eax, -1
    ret

probe_write32:
    mov ecx, [esp + 4]
    mov edx, [esp + 8]
.insn:
    mov [ecx], edx
    xor eax, eax
    ret
.fix:
    mov eax, -1
    ret

; long probe_int82(nr, a1, a2): a hypercall by `int $0x82`, no stub.
probe_int82:
    push ebx
    mov eax, [esp + 8]
    mov ebx, [esp + 12]
    mov ecx, [esp + 16]
    int 0x82
    pop ebx
    ret

; int probe_int40(void): `int $0x40`, which no gate lets ring 1 use: -1
; once the #GP has come back through the trap table.
probe_int40:
.insn:
    int 0x40
    xor eax, eax
    ret
.fix:
    mov eax, -1
    ret

; int probe_hlt(void): `hlt` in ring 1.
probe_hlt:
.insn:
    hlt
    xor eax, eax
    ret
.fix:
    mov eax, -1
    ret

section .rodata
align 4
probe_table:
    dd probe_read32.insn, probe_read32.fix
    dd probe_write32.insn, probe_write32.fix
    dd probe_int40.insn, probe_int40.fix
    dd probe_hlt.insn, probe_hlt.fix
probe_table_end:

; ---- ring 3: code on a user page, entered by iret from a check.
section .user_text progbits alloc exec nowrite align=4096
global user_entry
; Runs in ring 3: `int $0x80` with EAX = 0x1234, expecting EAX + 1 back,
; then `int $0x80` with EAX = 0 to go home.
user_entry:
    mov eax, 0x1234
    int 0x80
    mov ebx, eax
    xor eax, eax
    int 0x80
.spin:
    jmp .spin

section .data
global entry_regs
align 4
entry_regs:
    times 15 dd 0

section .bss
global boot_stack, kernel_stack_top
alignb 4096
boot_stack:
    resb STACK_SIZE
kernel_stack:
    resb STACK_SIZE
kernel_stack_top:

section .text
; uint32_t user_run(uint32_t user_stack_top): iret to user_entry in ring 3;
; comes back at user_home (trap handler) with the user's EBX.
global user_run, user_home
user_run:
    push ebp
    push ebx
    push esi
    push edi
    mov [user_saved_esp], esp
    mov eax, [esp + 20]
    push dword 0xe033           ; ss: FLAT_RING3_SS
    push eax                    ; esp
    push dword 0x202            ; eflags
    push dword 0xe02b           ; cs: FLAT_RING3_CS
    push dword user_entry
    mov ax, 0xe033
    mov ds, ax
    mov es, ax
    iretd
user_home:
    mov esp, [user_saved_esp]
    mov ax, 0xe021
    mov ds, ax
    mov es, ax
    mov eax, ebx
    pop edi
    pop esi
    pop ebx
    pop ebp
    ret

; int check_call(void (*fn)(void), struct check_jmp *j): 0 once fn has
; returned, 1 when check_abort_jump(j) ended it early.
global check_call, check_abort_jump
check_call:
    mov ecx, [esp + 8]
    mov [ecx], ebx
    mov [ecx + 4], esi
    mov [ecx + 8], edi
    mov [ecx + 12], ebp
    mov [ecx + 16], esp
    call [esp + 4]
    xor eax, eax
    ret
check_abort_jump:
    mov ecx, [esp + 4]
    mov ebx, [ecx]
    mov esi, [ecx + 4]
    mov edi, [ecx + 8]
    mov ebp, [ecx + 12]
    mov esp, [ecx + 16]
    mov eax, 1
    ret

section .bss
user_saved_esp:
    resd 1

section .text
; int probe_bad_iret(void): HYPERVISOR_iret to ring 3 with a code selector
; that cannot load (GDT index 0x1ff). pvshim's iretq faults, the failsafe
; callback runs (failsafe_handler() sends it to failsafe_resume) and this
; returns 1.
global probe_bad_iret, failsafe_resume
probe_bad_iret:
    push ebp
    push ebx
    push esi
    push edi
    mov [failsafe_saved_esp], esp
    mov eax, esp
    push dword 0xe033           ; ss
    push eax                    ; esp
    push dword 0x202            ; eflags
    push dword 0x0ffb           ; cs: nothing there
    push dword failsafe_resume  ; eip (never reached this way)
    xor eax, eax
    jmp hypercall_page + HYPERCALL_IRET * 32
failsafe_resume:
    mov esp, [failsafe_saved_esp]
    mov ax, 0xe021
    mov ds, ax
    mov es, ax
    pop edi
    pop esi
    pop ebx
    pop ebp
    mov eax, 1
    ret

section .bss
failsafe_saved_esp:
    resd 1

section .text
; vCPU 1's failsafe callback (smp.c): the DS its first context asked for
; did not load. Good selectors first (DS is null now), then the frame's DS
; and CS are recorded, and vCPU 1 goes on to ap_main off the frame.
global ap_failsafe
extern ap_main, ap_failsafe_ds, ap_failsafe_cs
ap_failsafe:
    mov ax, 0xe021
    mov ds, ax
    mov es, ax
    mov eax, [esp]
    mov [ap_failsafe_ds], eax
    mov eax, [esp + 20]
    mov [ap_failsafe_cs], eax
    add esp, 28                 ; DS ES FS GS EIP CS EFLAGS
    jmp ap_main
