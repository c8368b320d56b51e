/*
 * The register frame every entry into pvshim builds on its stack, from an
 * exception, an interrupt or a SYSCALL: general registers pushed by the
 * entry stub, then the vector and error code, then the hardware iret frame.
 * The exit path pops the same layout, so handlers change a guest's state by
 * editing this frame.
 */
#ifndef PVSHIM_CPU_REGS_H
#define PVSHIM_CPU_REGS_H

#include <pvshim/types.h>

struct cpu_regs {
    uint64_t r15, r14, r13, r12, rbp, rbx;
    uint64_t r11, r10, r9, r8, rax, rcx, rdx, rsi, rdi;
    uint64_t vector;        /* exception/interrupt vector, or ENTRY_SYSCALL */
    uint64_t error_code;    /* CPU error code, 0 where there is none */
    uint64_t rip, cs, rflags, rsp, ss;
};

/* Vector values above the hardware range, for entries that are not vectors. */
#define ENTRY_SYSCALL   0x100       /* 64-bit SYSCALL */
#define ENTRY_SYSCALL32 0x101       /* SYSCALL from compatibility mode */
#define ENTRY_SYSENTER  0x102

#define CPU_REGS_SIZE   (22 * 8)

#endif
