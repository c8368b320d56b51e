/*
 * The #GP path: decode the faulting instruction at the guest's RIP and
 * carry out the privileged ones Xen's pv/emul-priv-op.c accepts for a PV
 * guest. Semantics (ring checks, CR0/CR4 rules, RIP/RF/TF handling) follow
 * Xen 4.17 and its x86_emulate; the code is pvshim's own.
 *
 * The guest kernel counts as ring 0 here, guest user as ring 3.
 */
#include <pvshim/hw.h>
#include <pvshim/log.h>
#include <pvshim/phys.h>
#include <pvshim/pv_build.h>
#include <pvshim/string.h>
#include <pvshim/xen_abi.h>
#include <xen/arch-x86/cpufeatureset.h>
#include "pv.h"
#include "mm.h"
#include "mm_glue.h"
#include "cpuid_policy.h"
#include "emulate.h"
#include "emulate_internal.h"
#include "abi_trace.h"


/* CR3 write: MMUEXT_NEW_BASEPTR's checks, then the load the hypercall does too. */
static int new_kernel_baseptr(mfn_t mfn)
{
    int rc = pv_mm_set_kernel_base(mfn);
    if (rc == 0) {
        paddr_t l4 = pv_mm_base_maddr(true);
        if (l4)
            hw_load_cr3(l4);
    }
    return rc;
}

static void inject_page_fault(struct cpu_regs *r, uint64_t error_code, vaddr_t cr2)
{
    /* As Xen: CR2 in vcpu_info, and the user bit says which guest mode faulted. */
    if (current->vcpu_info)
        pv_set_guest_cr2(cr2);
    error_code = (error_code & ~(uint64_t)PFEC_USER) | (current->kernel_mode ? 0 : PFEC_USER);
    pv_inject_exception(r, X86_EXC_PF, true, error_code);
}

/* Xen's guest_wrmsr_xen: the frame must be the guest's and able to be writable. */
static int install_hypercall_page(mfn_t mfn)
{
    int rc = pv_mm_get_writable_frame(mfn);
    if (rc)
        return rc;
    void *page = phys_access_frame(mfn);
    if (page)
        pv_write_hypercall_page(page);
    pv_mm_put_writable_frame(mfn);
    return page ? 0 : -XEN_EINVAL;
}

#define DEFAULT_OPS {                                   \
        .new_baseptr = new_kernel_baseptr,              \
        .inject_exception = pv_inject_exception,        \
        .inject_page_fault = inject_page_fault,         \
        .install_hypercall_page = install_hypercall_page, \
    }
const struct pv_emul_ops pv_emul_default_ops = DEFAULT_OPS;
struct pv_emul_ops pv_emul_ops = DEFAULT_OPS;

/* CR4 bits the guest chooses, and bits of pvshim's CR4 it may observe. */
#define PV_CR4_GUEST_MASK   (X86_CR4_TSD | X86_CR4_DE | X86_CR4_FSGSBASE | X86_CR4_OSXSAVE)
#define PV_CR4_VISIBLE_MASK (X86_CR4_PAE | X86_CR4_MCE | X86_CR4_OSFXSR | X86_CR4_OSXMMEXCPT)

#define XCR0_X87_SSE        3ull

/* Descriptor attribute bits (high dword of a segment descriptor). */
#define SEG_S   (1u << 12)
#define SEG_P   (1u << 15)
#define SEG_CODE (1u << 11)
#define SEG_L   (1u << 21)
#define SEG_DB  (1u << 22)
#define SEG_G   (1u << 23)

bool pv_emul_kernel_mode(void)
{
    return current->kernel_mode;
}

bool pv_emul_iopl_ok(void)
{
    /* The guest kernel is ring 1 to IOPL unless it asked for ring 0 semantics. */
    unsigned cpl = !current->kernel_mode ? 3 :
                   (dom.vm_assist & (1ul << VMASST_TYPE_architectural_iopl)) ? 0 : 1;
    return cpl <= current->iopl;
}

static uint64_t fixup_guest_cr4(uint64_t cr4)
{
    if (!cpuid_policy_has(XEN_X86_FEATURE_TSC))
        cr4 &= ~X86_CR4_TSD;
    if (!cpuid_policy_has(XEN_X86_FEATURE_DE))
        cr4 &= ~X86_CR4_DE;
    if (!cpuid_policy_has(XEN_X86_FEATURE_FSGSBASE))
        cr4 &= ~X86_CR4_FSGSBASE;
    if (!cpuid_policy_has(XEN_X86_FEATURE_XSAVE))
        cr4 &= ~X86_CR4_OSXSAVE;
    return (cr4 & PV_CR4_GUEST_MASK) | (hw_read_cr4() & PV_CR4_VISIBLE_MASK);
}

void pv_emul_vcpu_init(void)
{
    memset(&pv_emul, 0, sizeof(pv_emul));
    pv_emul.cr4 = fixup_guest_cr4(0);
    pv_emul.xcr0 = XCR0_X87_SSE;
    if (cpuid_policy_has(XEN_X86_FEATURE_XSAVE))
        hw_set_xcr0(pv_emul.xcr0);
    current->debugreg[6] = DR6_RESERVED_ONE;
    current->debugreg[7] = DR7_RESERVED_ONE;
    current->debugreg[DR_IO_EMUL_SLOT] = 0;
}

uint64_t pv_emul_tsc(void)
{
    return hw_rdtsc();      /* no vTSC: the guest sees the TSC as it is */
}

/* ------------------------------------------------------------ code segment */

struct code_seg {
    enum x86_mode mode;
    uint64_t base;
    uint64_t limit;
};

/* Xen's pv_emul_read_descriptor for CS: present, non-system, code. */
static bool read_code_segment(uint16_t sel, struct code_seg *cs)
{
    uint64_t desc = 0;
    if (sel >= 4 && !((sel & 4) && (sel >> 3) >= current->ldt_ents)) {
        if (!hw_read_descriptor(sel, &desc))
            return false;
    }
    uint32_t lo = (uint32_t)desc, hi = (uint32_t)(desc >> 32);
    if (!(hi & SEG_S) || !(hi & SEG_P) || !(hi & SEG_CODE))
        return false;
    if (hi & SEG_L) {
        cs->mode = X86_MODE_64;
        cs->base = 0;
        cs->limit = ~0ull;
        return true;
    }
    if (!(hi & SEG_DB))
        return false;                   /* 16-bit code: not handled */
    cs->mode = X86_MODE_32;
    cs->base = (lo >> 16) | ((hi & 0xff) << 16) | (hi & 0xff000000u);
    cs->limit = (lo & 0xffff) | (hi & 0x000f0000u);
    if (hi & SEG_G)
        cs->limit = (cs->limit << 12) | 0xfff;
    return true;
}

/* ------------------------------------------------------------ helpers */

static enum emul_result inject_ud(struct cpu_regs *regs)
{
    pv_emul_ops.inject_exception(regs, X86_EXC_UD, false, 0);
    return EMUL_EXCEPTION;
}

/* CR0.TS as fpu_taskswitch sets it: the guest's view and the hardware. */
static void fpu_taskswitch(bool set)
{
    current->fpu_ts = set;
    hw_set_ts(set);
}

static uint64_t read_cr0_view(void)
{
    return (hw_read_cr0() & ~X86_CR0_TS) | (current->fpu_ts ? X86_CR0_TS : 0);
}

/* ------------------------------------------------------------ MOV CR, MOV DR */

/* MOV CR/DR always move a whole register: 64-bit in 64-bit code, else 32. */
static unsigned crdr_size(const struct x86_insn *insn)
{
    return insn->mode == X86_MODE_64 ? 8 : 4;
}

static enum emul_result mov_from_cr(const struct x86_insn *insn, struct cpu_regs *regs)
{
    uint64_t val;
    switch (insn->reg) {
    case 0:
        val = read_cr0_view();
        break;
    case 2:
        /* Xen's ctrlreg[2] is mirrored in vcpu_info; the bounce code writes both. */
        val = current->vcpu_info ? pv_guest_cr2() : 0;
        break;
    case 3:
        val = current->guest_table == INVALID_MFN ? 0 : pv_mfn_to_cr3(current->guest_table);
        break;
    case 4:
        val = pv_emul.cr4;
        break;
    default:
        return EMUL_GP;                 /* CR8 and the rest: as Xen, not for PV */
    }
    x86_gpr_write(regs, insn->rm, crdr_size(insn), true, val);
    return EMUL_ADVANCE;
}

static enum emul_result mov_to_cr(const struct x86_insn *insn, struct cpu_regs *regs)
{
    uint64_t val = x86_gpr_read(regs, insn->rm, crdr_size(insn), true);
    switch (insn->reg) {
    case 0:
        if ((val ^ hw_read_cr0()) & ~X86_CR0_TS) {
            log_debug("emulate: guest tried to change CR0 %#llx -> %#llx",
                      (unsigned long long)hw_read_cr0(), (unsigned long long)val);
            return EMUL_GP;
        }
        fpu_taskswitch(val & X86_CR0_TS);
        return EMUL_ADVANCE;
    case 2:
        if (current->vcpu_info)
            pv_set_guest_cr2(val);
        return EMUL_ADVANCE;
    case 3: {
        int rc = pv_emul_ops.new_baseptr(pv_cr3_to_mfn(val));
        if (rc == 0)
            return EMUL_ADVANCE;
        return rc == -PV_ERESTART ? EMUL_RETRY : EMUL_GP;
    }
    case 4:
        pv_emul.cr4 = fixup_guest_cr4(val);
        hw_apply_guest_cr4(pv_emul.cr4);
        return EMUL_ADVANCE;
    default:
        return EMUL_GP;
    }
}

static enum emul_result mov_dr(const struct x86_insn *insn, struct cpu_regs *regs, bool to_dr)
{
    if (to_dr) {
        uint64_t val = x86_gpr_read(regs, insn->rm, crdr_size(insn), true);
        long rc = pv_set_debugreg(insn->reg, val);
        if (rc == 0)
            return EMUL_ADVANCE;
        return rc == -XEN_ENODEV ? inject_ud(regs) : EMUL_GP;
    }
    uint64_t val;
    if (!pv_get_debugreg(insn->reg, &val))
        return inject_ud(regs);
    x86_gpr_write(regs, insn->rm, crdr_size(insn), true, val);
    return EMUL_ADVANCE;
}

/* ------------------------------------------------------------ the rest */

static void set_edx_eax(struct cpu_regs *regs, uint64_t v)
{
    regs->rax = (uint32_t)v;
    regs->rdx = v >> 32;
}

static enum emul_result rdtsc(struct cpu_regs *regs, bool rdtscp)
{
    if (rdtscp) {
        uint64_t aux;
        if (pv_emul_rdmsr(0xc0000103u /* MSR_TSC_AUX */, &aux))
            return EMUL_GP;
        regs->rcx = (uint32_t)aux;
    }
    if (!pv_emul_kernel_mode() && (pv_emul.cr4 & X86_CR4_TSD))
        return EMUL_GP;
    set_edx_eax(regs, pv_emul_tsc());
    return EMUL_ADVANCE;
}

/* XCR0 rules of Xen's handle_xsetbv / valid_xcr0. */
static bool xcr0_valid(uint64_t x)
{
    if (!(x & 1))                               /* x87 always */
        return false;
    if ((x & (1ull << 2)) && !(x & (1ull << 1)))  /* YMM needs SSE */
        return false;
    uint64_t avx512 = 7ull << 5;
    if (x & avx512) {
        if (!(x & (1ull << 2)) || (x & avx512) != avx512)
            return false;
    }
    if (!(x & (1ull << 3)) != !(x & (1ull << 4)))   /* BNDREGS with BNDCSR */
        return false;
    return true;
}

static enum emul_result xsetbv(const struct x86_insn *insn, struct cpu_regs *regs)
{
    if (insn->opsize_prefix || insn->rep || insn->repne)
        return inject_ud(regs);
    if (!(pv_emul.cr4 & X86_CR4_OSXSAVE))
        return inject_ud(regs);
    if (!pv_emul_kernel_mode())
        return EMUL_GP;
    uint64_t val = (uint32_t)regs->rax | (regs->rdx << 32);
    if ((uint32_t)regs->rcx != 0)
        return EMUL_GP;
    if ((val & ~cpuid_policy_xcr0_max()) || !xcr0_valid(val))
        return EMUL_GP;
    if (!hw_set_xcr0(val)) {
        log_err("emulate: hardware refused XCR0 %#llx", (unsigned long long)val);
        return EMUL_GP;
    }
    pv_emul.xcr0 = val;
    return EMUL_ADVANCE;
}

enum emul_result pv_emul_cpuid(struct cpu_regs *regs, bool enlightened)
{
    /* The guest's own CPUID faulting applies to its user space only. */
    if (!pv_emul_kernel_mode() && (pv_emul.misc_features & 1))
        return EMUL_GP;
    struct cpuid_leaf l;
    pv_guest_cpuid((uint32_t)regs->rax, (uint32_t)regs->rcx, enlightened,
                   pv_emul.cr4, &l);
    regs->rax = l.a;
    regs->rbx = l.b;
    regs->rcx = l.c;
    regs->rdx = l.d;
    return EMUL_ADVANCE;
}

static enum emul_result emulate_0f(const struct x86_insn *insn, struct cpu_regs *regs)
{
    bool ring0 = pv_emul_kernel_mode();

    switch (insn->opcode) {
    case 0x01:
        /* Only the register forms with rm = 1: XSETBV (/2) and RDTSCP (/7). */
        if (insn->mod != 3 || (insn->rm & 7) != 1)
            return EMUL_GP;
        if ((insn->reg & 7) == 2)
            return xsetbv(insn, regs);
        if ((insn->reg & 7) == 7)
            return rdtsc(regs, true);
        return EMUL_GP;
    case 0x06:                          /* CLTS */
        if (!ring0)
            return EMUL_GP;
        fpu_taskswitch(false);
        return EMUL_ADVANCE;
    case 0x09:                          /* WBINVD, WBNOINVD */
        /* A domU may not flush caches; Xen ignores it (Linux uses it early). */
        return ring0 ? EMUL_ADVANCE : EMUL_GP;
    case 0x20: case 0x21: case 0x22: case 0x23:
        if (!ring0)
            return EMUL_GP;
        if (insn->lock)
            return inject_ud(regs);         /* no CR8 alias: CR8_LEGACY is not offered */
        if (insn->opcode & 1)
            return mov_dr(insn, regs, insn->opcode & 2);
        return (insn->opcode & 2) ? mov_to_cr(insn, regs) : mov_from_cr(insn, regs);
    case 0x30: {                        /* WRMSR */
        if (!ring0)
            return EMUL_GP;
        uint64_t v = (uint32_t)regs->rax | (regs->rdx << 32);
        return pv_emul_wrmsr((uint32_t)regs->rcx, v) ? EMUL_GP : EMUL_ADVANCE;
    }
    case 0x31:                          /* RDTSC */
        return rdtsc(regs, false);
    case 0x32: {                        /* RDMSR */
        if (!ring0)
            return EMUL_GP;
        uint64_t v;
        if (pv_emul_rdmsr((uint32_t)regs->rcx, &v))
            return EMUL_GP;
        set_edx_eax(regs, v);
        return EMUL_ADVANCE;
    }
    case 0xa2:                          /* CPUID, when pvshim makes it fault */
        return pv_emul_cpuid(regs, false);
    default:
        return EMUL_GP;
    }
}

static enum emul_result emulate(const struct x86_insn *insn, struct cpu_regs *regs,
                                unsigned *bpmatch)
{
    if (insn->map == X86_MAP_0F) {
        if (insn->lock && !(insn->opcode >= 0x20 && insn->opcode <= 0x23)) {
            switch (insn->opcode) {
            case 0x01: case 0x06: case 0x09: case 0x30: case 0x31: case 0x32: case 0xa2:
                return inject_ud(regs);
            }
        }
        return emulate_0f(insn, regs);
    }
    if (insn->map != X86_MAP_1BYTE)
        return EMUL_GP;

    switch (insn->opcode) {
    case 0x6c: case 0x6d: case 0x6e: case 0x6f:
    case 0xe4: case 0xe5: case 0xe6: case 0xe7:
    case 0xec: case 0xed: case 0xee: case 0xef:
        if (insn->lock)
            return inject_ud(regs);
        return pv_emul_io(insn, regs, bpmatch);
    case 0xfa: case 0xfb:
        /*
         * CLI/STI with enough virtual IOPL: Xen skips them. Letting them
         * mask events would leave POPF unable to undo it.
         */
        if (insn->lock)
            return inject_ud(regs);
        return pv_emul_iopl_ok() ? EMUL_ADVANCE : EMUL_GP;
    default:
        return EMUL_GP;
    }
}

/* What an emulated instruction is called in the ABI trace. */
static const char *insn_name(const struct x86_insn *insn)
{
    if (insn->map == X86_MAP_0F) {
        switch (insn->opcode) {
        case 0x01: return (insn->reg & 7) == 2 ? "xsetbv" : "rdtscp";
        case 0x06: return "clts";
        case 0x09: return "wbinvd";
        case 0x20: return "mov from cr";
        case 0x21: return "mov from dr";
        case 0x22: return "mov to cr";
        case 0x23: return "mov to dr";
        case 0x30: return "wrmsr";
        case 0x31: return "rdtsc";
        case 0x32: return "rdmsr";
        case 0xa2: return "cpuid (faulting)";
        default:   return "other 0f instruction";
        }
    }
    switch (insn->opcode) {
    case 0x6c: case 0x6d: return "ins";
    case 0x6e: case 0x6f: return "outs";
    case 0xe4: case 0xe5: case 0xec: case 0xed: return "in";
    case 0xe6: case 0xe7: case 0xee: case 0xef: return "out";
    case 0xfa: case 0xfb: return "cli/sti";
    default: return "other instruction";
    }
}

/* Report single-step and I/O breakpoint hits as one #DB, as the CPU would. */
static void raise_debug(struct cpu_regs *regs, unsigned dr6_bits)
{
    current->debugreg[6] |= dr6_bits | DR6_RESERVED_ONE;
    pv_emul_ops.inject_exception(regs, X86_EXC_DB, false, 0);
}

bool pv_emulate_privileged_op(struct cpu_regs *regs)
{
    /* A selector in the error code: an IDT/segment fault, not an instruction to emulate. */
    if (regs->error_code != 0 || !cpuid_policy_ready())
        return false;

    /* The flat 64-bit selector is pvshim's own GDT entry, which no guest
     * can change: no need to read it (the common case, all of a 64-bit guest). */
    struct code_seg cs = { X86_MODE_64, 0, ~0ull };
    if ((uint16_t)regs->cs != FLAT_RING3_CS64 && !read_code_segment((uint16_t)regs->cs, &cs))
        return false;

    uint64_t rip = cs.mode == X86_MODE_64 ? regs->rip : (uint32_t)regs->rip;
    if (rip > cs.limit)
        return false;
    size_t max_len = (size_t)MIN(cs.limit - rip + 1, (uint64_t)X86_MAX_INSN_LEN);

    struct x86_insn insn;
    if (x86_fetch_decode(&insn, cs.base + rip, max_len, cs.mode) != X86_DECODE_OK)
        return false;

    bool single_step = regs->rflags & X86_EFLAGS_TF;
    unsigned bpmatch = 0;
    enum emul_result r = emulate(&insn, regs, &bpmatch);
    if (r != EMUL_GP)
        abi_trace_event(insn_name(&insn));

    switch (r) {
    case EMUL_GP:
        return false;
    case EMUL_RETRY:
    case EMUL_EXCEPTION:
        return true;
    case EMUL_ADVANCE:
        rip += insn.len;
        regs->rip = cs.mode == X86_MODE_64 ? rip : (uint32_t)rip;
        /* fall through */
    case EMUL_STAY:
        regs->rflags &= ~X86_EFLAGS_RF;
        if (single_step)
            bpmatch |= DR_STEP;
        if (bpmatch)
            raise_debug(regs, bpmatch);
        return true;
    }
    return false;
}

bool pv_emul_restore_state(uint64_t cr4, uint64_t xcr0)
{
    pv_emul.cr4 = fixup_guest_cr4(cr4);
    hw_apply_guest_cr4(pv_emul.cr4);
    if (!xcr0 || xcr0 == pv_emul.xcr0)
        return true;
    if ((xcr0 & ~cpuid_policy_xcr0_max()) || !xcr0_valid(xcr0) || !hw_set_xcr0(xcr0))
        return false;
    pv_emul.xcr0 = xcr0;
    return true;
}
