; Small functions that execute one faulting or privileged instruction at a
; known address, for the exception and emulation checks. For each probe P,
; P_insn labels the instruction and P_after the one after it; a handler
; that must skip a faulting instruction resumes at P_after.
;
; All probes return RAX (so a probe skipped by the handler returns what
; the handler or the probe put there).

bits 64
default rel

section .text

%macro PROBE_LABELS 1
global %1_insn, %1_after
%endmacro

; probe_int3(rcx_value, r11_value): int3 with known RCX and R11, to check
; that the bounce frame carries them.
global probe_int3
PROBE_LABELS probe_int3
probe_int3:
    push rbx
    mov rcx, rdi
    mov r11, rsi
    mov rbx, rsp
probe_int3_insn:
    int3
probe_int3_after:
    mov rax, rsp                    ; the stack must be where it was
    sub rax, rbx
    pop rbx
    ret

; probe_write_regs(addr, rcx_value, r11_value): *addr = 0 with known RCX
; and R11, to check that a page fault's bounce frame carries them.
global probe_write_regs
PROBE_LABELS probe_write_regs
probe_write_regs:
    mov rcx, rsi
    mov r11, rdx
    xor eax, eax
probe_write_regs_insn:
    mov [rdi], rax
probe_write_regs_after:
    ret

; probe_ud2(rcx_value, r11_value)
global probe_ud2
PROBE_LABELS probe_ud2
probe_ud2:
    mov rcx, rdi
    mov r11, rsi
    xor eax, eax
probe_ud2_insn:
    ud2
probe_ud2_after:
    ret

; probe_div0(): divide by zero
global probe_div0
PROBE_LABELS probe_div0
probe_div0:
    xor ecx, ecx
    mov eax, 1
    xor edx, edx
probe_div0_insn:
    div ecx
probe_div0_after:
    ret

; probe_read(addr): rax = *addr
global probe_read
PROBE_LABELS probe_read
probe_read:
    xor eax, eax
probe_read_insn:
    mov rax, [rdi]
probe_read_after:
    ret

; probe_write(addr, value): *addr = value
global probe_write
PROBE_LABELS probe_write
probe_write:
    xor eax, eax
probe_write_insn:
    mov [rdi], rsi
probe_write_after:
    ret

; probe_exec(addr): call addr (a page fault on the fetch)
global probe_exec
PROBE_LABELS probe_exec
probe_exec:
    xor eax, eax
probe_exec_insn:
    call rdi
probe_exec_after:
    ret

; probe_load_ds(selector): mov ds, selector; then back to the null selector
global probe_load_ds
PROBE_LABELS probe_load_ds
probe_load_ds:
    xor eax, eax
probe_load_ds_insn:
    mov ds, di
probe_load_ds_after:
    mov ax, ds
    xor ecx, ecx
    mov ds, cx
    ret

; probe_load_fs(selector): mov fs, selector; returns what fs then holds
global probe_load_fs
PROBE_LABELS probe_load_fs
probe_load_fs:
    xor eax, eax
probe_load_fs_insn:
    mov fs, di
probe_load_fs_after:
    mov ax, fs
    ret

; probe_read_fs(offset): rax = fs:[offset]
global probe_read_fs
probe_read_fs:
    mov rax, [fs:rdi]
    ret

; probe_read_gs(offset): rax = gs:[offset]
global probe_read_gs
probe_read_gs:
    mov rax, [gs:rdi]
    ret

; probe_int80(), probe_int81(), probe_int83(), probe_int84(): software interrupts
; through the trap table
global probe_int80
PROBE_LABELS probe_int80
probe_int80:
    xor eax, eax
probe_int80_insn:
    int 0x80
probe_int80_after:
    ret

global probe_int81
PROBE_LABELS probe_int81
probe_int81:
    xor eax, eax
probe_int81_insn:
    int 0x81
probe_int81_after:
    ret

global probe_int83
PROBE_LABELS probe_int83
probe_int83:
    xor eax, eax
probe_int83_insn:
    int 0x83
probe_int83_after:
    ret

global probe_int84
PROBE_LABELS probe_int84
probe_int84:
    xor eax, eax
probe_int84_insn:
    int 0x84
probe_int84_after:
    ret

; probe_hlt()
global probe_hlt
PROBE_LABELS probe_hlt
probe_hlt:
    xor eax, eax
probe_hlt_insn:
    hlt
probe_hlt_after:
    ret

; probe_rdmsr(msr): rax = value (edx:eax), the handler may skip it
global probe_rdmsr
PROBE_LABELS probe_rdmsr
probe_rdmsr:
    mov ecx, edi
    xor eax, eax
    xor edx, edx
probe_rdmsr_insn:
    rdmsr
probe_rdmsr_after:
    shl rdx, 32
    or rax, rdx
    ret

; probe_wrmsr(msr, value)
global probe_wrmsr
PROBE_LABELS probe_wrmsr
probe_wrmsr:
    mov ecx, edi
    mov eax, esi
    mov rdx, rsi
    shr rdx, 32
probe_wrmsr_insn:
    wrmsr
probe_wrmsr_after:
    xor eax, eax
    ret

; probe_mov_from_cr0(), probe_mov_from_cr4(), probe_mov_from_cr3()
global probe_read_cr0
PROBE_LABELS probe_read_cr0
probe_read_cr0:
    xor eax, eax
probe_read_cr0_insn:
    mov rax, cr0
probe_read_cr0_after:
    ret

global probe_read_cr4
PROBE_LABELS probe_read_cr4
probe_read_cr4:
    xor eax, eax
probe_read_cr4_insn:
    mov rax, cr4
probe_read_cr4_after:
    ret

global probe_read_cr3
PROBE_LABELS probe_read_cr3
probe_read_cr3:
    xor eax, eax
probe_read_cr3_insn:
    mov rax, cr3
probe_read_cr3_after:
    ret

; probe_write_cr4(value)
global probe_write_cr4
PROBE_LABELS probe_write_cr4
probe_write_cr4:
    xor eax, eax
probe_write_cr4_insn:
    mov cr4, rdi
probe_write_cr4_after:
    ret

; probe_rdfsbase(): rax = the FS base, read with RDFSBASE (0 if skipped)
global probe_rdfsbase
PROBE_LABELS probe_rdfsbase
probe_rdfsbase:
    xor eax, eax
probe_rdfsbase_insn:
    rdfsbase rax
probe_rdfsbase_after:
    ret

; probe_wrfsbase(value): FS base = value, written with WRFSBASE
global probe_wrfsbase
PROBE_LABELS probe_wrfsbase
probe_wrfsbase:
    xor eax, eax
probe_wrfsbase_insn:
    wrfsbase rdi
probe_wrfsbase_after:
    ret

; probe_inb(port)
global probe_inb
PROBE_LABELS probe_inb
probe_inb:
    mov edx, edi
    mov eax, 0x5a5a5a5a
probe_inb_insn:
    in al, dx
probe_inb_after:
    ret

; probe_cli(): rax = rflags afterwards
global probe_cli
PROBE_LABELS probe_cli
probe_cli:
    xor eax, eax
probe_cli_insn:
    cli
probe_cli_after:
    pushfq
    pop rax
    ret

; probe_xen_cpuid(leaf, subleaf, out[4]): the forced-emulation CPUID
global probe_xen_cpuid
probe_xen_cpuid:
    push rbx
    mov r8, rdx
    mov eax, edi
    mov ecx, esi
    ud2
    db 'xen'
    cpuid
    mov [r8 + 0], eax
    mov [r8 + 4], ebx
    mov [r8 + 8], ecx
    mov [r8 + 12], edx
    pop rbx
    ret

; probe_cpuid(leaf, subleaf, out[4]): the plain instruction
global probe_cpuid
probe_cpuid:
    push rbx
    mov r8, rdx
    mov eax, edi
    mov ecx, esi
    cpuid
    mov [r8 + 0], eax
    mov [r8 + 4], ebx
    mov [r8 + 8], ecx
    mov [r8 + 12], edx
    pop rbx
    ret

; probe_syscall_hypercall(nr, a1, a2): a hypercall issued with an inline
; SYSCALL, as current Linux does, without the hypercall page.
global probe_syscall_hypercall
probe_syscall_hypercall:
    mov eax, edi
    mov rdi, rsi
    mov rsi, rdx
    push rcx
    push r11
    syscall
    pop r11
    pop rcx
    ret

; probe_lcall_ldt(): a far call through selector 0x1007 (LDT entry 0x200,
; RPL 3), as XTF's xsa-298 makes one.
global probe_lcall_ldt
PROBE_LABELS probe_lcall_ldt
probe_lcall_ldt:
    xor eax, eax
probe_lcall_ldt_insn:
    call far dword [lcall_ldt_target]
probe_lcall_ldt_after:
    ret

section .data
lcall_ldt_target:
    dd 0                        ; offset
    dw 0x1007                   ; selector
section .text

; probe_multicall_iret(list, count, rflags): a multicall made with SYSCALL
; while an iret frame (struct iret_context) for the guest kernel sits on
; the stack, as HYPERVISOR_iret expects it: RAX 0x1e7, RIP after the
; SYSCALL, this stack, the given RFLAGS. Whether the iret in the list is
; performed (RAX from the frame) or the multicall returns (its own RAX),
; execution goes on after the SYSCALL; returns RAX.
global probe_multicall_iret
probe_multicall_iret:
    push rbx
    mov rbx, rsp
    push qword 0xe028           ; SS: FLAT_KERNEL_SS with RPL 0, kernel mode
    push rbx                    ; RSP
    push rdx                    ; RFLAGS
    push qword 0xe030           ; CS: FLAT_KERNEL_CS with RPL 0
    lea rax, [.resume]
    push rax                    ; RIP
    push qword 0                ; flags
    push qword 0                ; RCX
    push qword 0                ; R11
    push qword 0x1e7            ; RAX
    mov eax, 13                 ; __HYPERVISOR_multicall
    syscall
.resume:
    mov rsp, rbx
    pop rbx
    ret
