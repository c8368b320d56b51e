/* Shared between the emulate_*.c files; not an interface for other layers. */
#ifndef PVSHIM_EMULATE_INTERNAL_H
#define PVSHIM_EMULATE_INTERNAL_H

#include <pvshim/types.h>
#include <pvshim/cpu_regs.h>
#include "x86_decode.h"
#include "pv.h"                 /* X86_EFLAGS_*, pv_inject_exception */

/* How an emulated instruction ended. */
enum emul_result {
    EMUL_ADVANCE,       /* done: RIP past it; single-step/breakpoint #DB due */
    EMUL_STAY,          /* part done (REP): RIP stays; #DB still due */
    EMUL_RETRY,         /* nothing done, run it again (preempted) */
    EMUL_EXCEPTION,     /* an exception was queued; RIP stays */
    EMUL_GP,            /* not emulated: the caller bounces #GP(0) */
};

/* Architectural bits the emulator uses. */
#define X86_CR0_TS          (1ull << 3)
#define X86_CR4_TSD         (1ull << 2)
#define X86_CR4_DE          (1ull << 3)
#define X86_CR4_PAE         (1ull << 5)
#define X86_CR4_MCE         (1ull << 6)
#define X86_CR4_OSFXSR      (1ull << 9)
#define X86_CR4_OSXMMEXCPT  (1ull << 10)
#define X86_CR4_FSGSBASE    (1ull << 16)
#define X86_CR4_OSXSAVE     (1ull << 18)
#define X86_EFLAGS_DF       0x00000400ul

#define X86_EXC_DB  1
#define X86_EXC_UD  6
#define X86_EXC_GP  13
#define X86_EXC_PF  14

#define PFEC_WRITE  (1 << 1)
#define PFEC_USER   (1 << 2)

/* DR6/DR7 facts (Xen asm/debugreg.h). */
#define DR_STEP                 0x4000ull
#define DR6_RESERVED_ONE        0xffff0ff0ull
#define DR6_KNOWN_MASK          0xffffefffull   /* bit 12 and bits 63:32 read 0 */
#define DR7_RESERVED_ONE        0x400ull
#define DR7_KNOWN_MASK          0xffff27ffull   /* bits 11, 12, 14, 15, 63:32 read 0 */
#define DR7_GENERAL_DETECT      0x2000ull
#define DR7_ACTIVE_MASK         0xffull
#define DR7_RW_IO               2
#define DR_IO_EMUL_SLOT         5               /* debugreg[5]: emulated I/O enables */

/* Is the vCPU in guest kernel mode (the "ring 0" of a 64-bit PV guest)? */
bool pv_emul_kernel_mode(void);
/* Does the virtual IOPL allow port I/O and CLI/STI in the current mode? */
bool pv_emul_iopl_ok(void);

/* RDMSR / WRMSR by Xen's PV rules: 0, or -1 for #GP. */
int pv_emul_rdmsr(uint32_t msr, uint64_t *val);
int pv_emul_wrmsr(uint32_t msr, uint64_t val);

/* IN, OUT, INS, OUTS; bpmatch gets the DR6 bits of matching I/O breakpoints. */
enum emul_result pv_emul_io(const struct x86_insn *insn, struct cpu_regs *regs,
                            unsigned *bpmatch);

/* The guest's CPUID answer, honouring its own CPUID faulting. */
enum emul_result pv_emul_cpuid(struct cpu_regs *regs, bool enlightened);

/* The TSC as the guest reads it. */
uint64_t pv_emul_tsc(void);

#endif
