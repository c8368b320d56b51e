/*
 * Emulation of what a 64-bit PV guest kernel cannot execute itself. It runs
 * in ring 3, so privileged instructions raise #GP (or #UD); pvshim carries
 * them out on its behalf as Xen's pv/emul-priv-op.c and emul-inv-op.c do:
 * RDMSR/WRMSR against Xen's PV MSR policy, MOV to/from CR0/2/3/4 and DR0-7,
 * CLTS, WBINVD, IN/OUT/INS/OUTS against the virtual IOPL and I/O bitmap,
 * CLI/STI with sufficient IOPL, RDTSC/RDTSCP when CR4.TSD makes them fault,
 * XSETBV, CPUID (faulting or the forced-emulation prefix).
 *
 * Not emulated, as in Xen 4.17 (the guest gets its #GP): HLT, LMSW, SMSW,
 * RDPMC, INVD, MOV CR8, anything else. No instruction ever reaches a real
 * I/O port: pvshim's guest is a domU without I/O port permissions, so reads
 * return all ones (or the latched CMOS index / PCI CONFIG_ADDRESS) and
 * writes are dropped.
 */
#ifndef PVSHIM_EMULATE_H
#define PVSHIM_EMULATE_H

#include <pvshim/types.h>
#include <pvshim/cpu_regs.h>

/*
 * A #GP from the guest (kernel or user mode); only error code 0 can be an
 * instruction to emulate, others are refused. true: done; regs now hold
 * the result (RIP past the instruction, RF clear), or the bounce to the
 * guest's handler of an event it raised (#DB for single-step or an I/O
 * breakpoint, #UD, #PF; through pv_emul_ops). false: not emulated; the caller bounces
 * #GP(0) to the guest with regs untouched, except that a REP INS/OUTS
 * stopped by a bad address keeps its progress in RCX/RSI/RDI.
 */
bool pv_emulate_privileged_op(struct cpu_regs *regs);

/*
 * A #UD from the guest. true: it was the forced-emulation prefix
 * (ud2; .ascii "xen" = 0f 0b 78 65 6e) followed by CPUID, answered from the
 * PV CPUID policy, RIP past both. false: bounce #UD.
 */
bool pv_emulate_invalid_op(struct cpu_regs *regs);

/* #PF on a write to a read-only mapped page-table page (writable page tables). */
bool pv_ptwr_fault(struct cpu_regs *regs, uint64_t cr2, uint64_t error_code);

/* Per-vCPU state the emulated instructions keep beyond pvops-compat/domain.h. */
struct pv_emul_vcpu {
    uint64_t cr4;                   /* the guest's view of CR4 */
    uint64_t xcr0;                  /* the guest's XCR0 */
    uint32_t tsc_aux;               /* MSR_TSC_AUX */
    uint64_t misc_features;         /* MSR_INTEL_MISC_FEATURES_ENABLES */
    uint64_t mcg_status;            /* virtual machine check: MCG_STATUS */
    uint64_t mci_ctl2[2];           /* and MCi_CTL2 of the two virtual banks */
    uint8_t cmos_index;             /* latched RTC/CMOS index (port 0x70) */
    uint32_t pci_cf8;               /* latched PCI CONFIG_ADDRESS (port 0xcf8) */
};
/* The calling vCPU's (struct pv_vcpu in domain.h holds it). */
#include "domain.h"
#define pv_emul (current->emul)

/*
 * Give the vCPU the state Xen gives a new PV vCPU: CR4 view from pvshim's
 * own CR4 (PAE, MCE, OSFXSR, OSXMMEXCPT), XCR0 = x87|SSE (loaded when the
 * policy offers XSAVE), DR6/DR7 at their reset values. Call after
 * cpuid_policy_init (cpuid_policy.h) and before the guest first runs;
 * until the policy exists both entry points above refuse everything.
 */
void pv_emul_vcpu_init(void);
/*
 * After pv_emul_vcpu_init, for a restored vCPU: its CR4 view and XCR0 as
 * saved (0: leave the default). false if this CPU cannot give that XCR0.
 */
bool pv_emul_restore_state(uint64_t cr4, uint64_t xcr0);

/*
 * What the emulator needs from the other PV layers: pv_emul_default_ops
 * (the MMU's base-pointer switch, pv_inject_exception, the builder's
 * hypercall page); tests substitute their own.
 */
struct pv_emul_ops {
    /* CR3 write: make mfn the guest kernel's L4 and load it (Xen's new_guest_cr3). */
    int (*new_baseptr)(mfn_t mfn);
    /* Deliver an exception to the guest now (rewrites r to the handler). */
    void (*inject_exception)(struct cpu_regs *r, unsigned vector, bool has_error,
                             uint64_t error_code);
    /* Deliver a page fault at cr2 (the user bit follows the guest's mode). */
    void (*inject_page_fault)(struct cpu_regs *r, uint64_t error_code, vaddr_t cr2);
    /* WRMSR 0x40000000: write Xen's hypercall page into guest frame mfn; 0 or -errno. */
    int (*install_hypercall_page)(mfn_t mfn);
};
extern struct pv_emul_ops pv_emul_ops;
extern const struct pv_emul_ops pv_emul_default_ops;

/* Xen's internal ERESTART (public errno.h hides it from guests): "run it again". */
#ifndef PV_ERESTART
#define PV_ERESTART 85
#endif

/*
 * Debug registers as Xen's set_debugreg / x86emul_read_dr keep them for a
 * PV vCPU (current->debugreg[0-3, 6, 7]; [5] holds the DR7 enables of I/O
 * breakpoints, which pvshim emulates instead of loading).
 * set: 0, -XEN_ENODEV (#UD), -XEN_EINVAL (bad bit) or -XEN_EPERM (not allowed).
 * get: false for a register that does not exist (#UD).
 */
long pv_set_debugreg(unsigned int reg, uint64_t value);
bool pv_get_debugreg(unsigned int reg, uint64_t *value);

#endif
