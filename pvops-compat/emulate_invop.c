/*
 * The #UD path: Xen's forced-emulation prefix. A PV kernel that wants the
 * hypervisor's view of CPUID (Linux's xen_cpuid always does) writes
 * "ud2; .ascii \"xen\"; cpuid" (0f 0b 78 65 6e 0f a2). Facts from Xen's
 * pv/emul-inv-op.c and public/arch-x86/xen.h (XEN_EMULATE_PREFIX).
 */
#include <pvshim/guest_access.h>
#include <pvshim/string.h>
#include "domain.h"
#include "cpuid_policy.h"
#include "emulate.h"
#include "emulate_internal.h"
#include "abi_trace.h"

static const uint8_t forced_prefix[5] = { 0x0f, 0x0b, 'x', 'e', 'n' };
static const uint8_t cpuid_insn[2] = { 0x0f, 0xa2 };

bool pv_emulate_invalid_op(struct cpu_regs *regs)
{
    uint8_t sig[sizeof(forced_prefix)], insn[sizeof(cpuid_insn)];
    vaddr_t rip = regs->rip;

    if (!cpuid_policy_ready())
        return false;               /* no policy to answer from yet */

    /* Unreadable bytes cannot be the prefix: the guest gets its #UD. */
    if (copy_from_guest(sig, rip, sizeof(sig)) ||
        memcmp(sig, forced_prefix, sizeof(sig)))
        return false;
    rip += sizeof(sig);
    if (copy_from_guest(insn, rip, sizeof(insn)) ||
        memcmp(insn, cpuid_insn, sizeof(insn)))
        return false;

    /* The guest's own CPUID faulting covers its user space: #GP after the prefix. */
    if (!pv_emul_kernel_mode() && (pv_emul.misc_features & 1)) {
        regs->rip = rip;
        pv_emul_ops.inject_exception(regs, X86_EXC_GP, true, regs->error_code);
        return true;
    }

    pv_emul_cpuid(regs, pv_emul_kernel_mode());
    abi_trace_event("cpuid (forced-emulation prefix)");
    regs->rip = rip + sizeof(insn);
    regs->rflags &= ~X86_EFLAGS_RF;
    if (regs->rflags & X86_EFLAGS_TF) {
        current->debugreg[6] |= DR_STEP | DR6_RESERVED_ONE;
        pv_emul_ops.inject_exception(regs, X86_EXC_DB, false, 0);
    }
    return true;
}
