/*
 * A vCPU of a guest restored from a save file: its saved context (the
 * stream's X86_PV_VCPU_BASIC, frames already machine frames) goes through
 * the one checker and applier of vCPU contexts, pv_vcpu_set_context
 * (vcpu_context.c), as VCPUOP_initialise's do; what only a save carries
 * is added here:
 *   - the domain-wide vm_assist bitmap (Xen's arch_set_info_guest takes it
 *     from every vCPU's context): a type pvshim does not offer is refused;
 *   - the EXTENDED record's compat entry points (SYSCALL32, SYSENTER) and
 *     their event masking;
 *   - data selectors other than null are refused for now (a 64-bit kernel
 *     suspends with null ones; the registers entered with carry none).
 * Not here: the FPU/XSAVE image, CR4 and XCR0 (loaded on the vCPU's own CPU
 * just before it first runs, v->first_run), runstate/time areas and
 * vcpu_info placement (the guest registers them again after a resume).
 *
 * The X86_PV_VCPU_MSRS record (pv_vcpu_restore_msrs), on the vCPU's own CPU
 * after its CR4/XCR0: each MSR goes through WRMSR's own rules, so what
 * pvshim emulates (TSC_AUX, MISC_FEATURES_ENABLES, ...) takes its value. One
 * refused whose value the guest would read back anyway (or 0, a new vCPU's
 * value, for one pvshim does not offer) is logged and left, as a restore
 * that does not change what the guest sees; any other is refused, naming
 * the MSR: the guest would find a different value there (a SPEC_CTRL
 * mitigation it set, say).
 */
#include "domain.h"
#include "hypercalls.h"
#include "vcpu.h"
#include "emulate_internal.h"
#include <pvshim/error.h>
#include <pvshim/save_stream.h>
#include <pvshim/log.h>

#define CTX_ERR(...) error_set(err, errlen, -1, "vcpu context: " __VA_ARGS__)


static uint64_t le(const uint8_t *p, unsigned n)
{
    uint64_t v = 0;
    for (unsigned i = n; i-- > 0;)
        v = v << 8 | p[i];
    return v;
}

static uint64_t le64(const uint8_t *p)
{
    return le(p, 8);
}

int pv_vcpu_restore(struct pv_vcpu *v, const struct vcpu_guest_context *c, const uint8_t *ext,
                    uint32_t ext_len, char *err, size_t errlen)
{
    const struct cpu_user_regs *u = &c->user_regs;

    if ((u->ds & ~3) || (u->es & ~3) || (u->fs & ~3) || (u->gs & ~3))
        return CTX_ERR("data selectors %#x %#x %#x %#x: only null ones are restored", u->ds,
                       u->es, u->fs, u->gs);
    for (unsigned t = 0; t < 64; t++)
        if ((c->vm_assist >> t) & 1 && do_vm_assist(VMASST_CMD_enable, t))
            return CTX_ERR("vm_assist %#lx: type %u is not offered",
                           (unsigned long)c->vm_assist, t);
    const char *why;
    long rc = pv_vcpu_set_context(v, c, &why);
    if (rc)
        return CTX_ERR("%s (error %ld)", why, rc);
    pv_vcpu_up(v);      /* a saved vCPU was up (Xen's restore sets VGCF_online too) */
    if (ext_len > SAVE_EXT_SYSENTER_DISABLES) {
        v->syscall32_callback = le64(ext + SAVE_EXT_SYSCALL32_EIP);
        v->sysenter_callback = le64(ext + SAVE_EXT_SYSENTER_EIP);
        v->syscall32_disables_events = ext[SAVE_EXT_SYSCALL32_DISABLES];
        v->sysenter_disables_events = ext[SAVE_EXT_SYSENTER_DISABLES];
    }
    return 0;
}

int pv_vcpu_restore_msrs(const uint8_t *rec, uint32_t len, char *err, size_t errlen)
{
    for (uint32_t off = 0; off + SAVE_MSR_ENTRY_LEN <= len; off += SAVE_MSR_ENTRY_LEN) {
        uint32_t msr = (uint32_t)le(rec + off, 4);
        uint64_t val = le64(rec + off + 8);
        if (pv_emul_wrmsr(msr, val) == 0)
            continue;
        uint64_t have;
        bool readable = pv_emul_rdmsr(msr, &have) == 0;
        if (readable ? have != val : val != 0)
            return error_set(err, errlen, -1, "MSR %#x = %#llx: pvshim %s", msr,
                             (unsigned long long)val,
                             readable ? "keeps another value there" : "does not offer it");
        log_info("restore: vcpu %u: MSR %#x = %#llx left as it is (the guest reads the same)",
                 current->vcpu_id, msr, (unsigned long long)val);
    }
    return 0;
}
