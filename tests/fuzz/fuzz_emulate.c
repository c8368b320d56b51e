/*
 * The privileged-instruction emulator and its decoder. The input gives
 * the instruction bytes (placed anywhere in the code page, up to its end
 * so fetches can fall short), the registers, the mode, the virtual IOPL,
 * I/O bitmap and CR4 view, and which entry point runs (#GP or #UD path).
 * Half the runs use the recording fakes of the unit tests, half the real
 * PV MMU of mm_sim with a pinned kernel L4 (MOV CR3 through the MMU,
 * checked with the invariant checker afterwards). Checked: the decoder's
 * length stays within 1..15 and the bytes it had; a refusal leaves the
 * registers alone (REP INS/OUTS may keep their progress in RCX/RSI/RDI);
 * an emulation with no event moves RIP forward by at most 15 bytes and
 * never leaves the guest an IOPL or a ring other than 3.
 */
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <pvshim/status.h>
#include <string.h>
#include "mm_sim.h"
#include "emulate_mm_fixture.h"
#include "cpuid_policy.h"
#include "emulate.h"
#include "x86_decode.h"
#include "fake_emulate.h"
#include "fuzz_input.h"
#include <pvshim/phys.h>

#define DATA_VA 0x40000000ull

static uint8_t data_page[8192];
static bool real_mmu;
static jmp_buf guest_gone;

/* A bounce the guest's stack cannot take crashes the guest: its own doing. */
static void on_exit_request(enum pvshim_exit reason)
{
    FZ_CHECK(reason == EXIT_GUEST_CRASH, "pvshim ended with %s while emulating:\n%s",
             exit_reason_name(reason), fake_log_text());
    longjmp(guest_gone, 1);
}

static bool is_handler(uint64_t rip)
{
    return rip == FAKE_KCODE + 0x800 || rip == FAKE_KCODE + 0x900 ||
           rip == FAKE_KCODE + 0xa00 || rip == FAKE_KCODE + 0xb00;
}

static void setup_fakes(struct cpu_regs *r, bool amd)
{
    fake_emulate_guest_setup(r);
    if (amd) {
        fake_cpuid_load_amd();
        struct cpuid_policy_params p = { .xcr0_max = 0x7, .tsc_khz = 2000000, .max_mfn = 0xfffff };
        cpuid_policy_init(&p);
        pv_emul_vcpu_init();
    }
}

static void setup_mmu(struct cpu_regs *r)
{
    emulate_mm_fixture_setup();
    fake_desc_set(0xe028, FAKE_DESC_DATA);
    current->trap_ctxt[14].address = FAKE_KCODE + 0x900;
    current->trap_ctxt[1].address = FAKE_KCODE + 0xa00;
    current->trap_ctxt[6].address = FAKE_KCODE + 0xb00;
    pv_emul_vcpu_init();
    memset(r, 0, sizeof(*r));
    r->cs = 0xe033;
    r->ss = 0xe02b;
    r->rflags = 0x202;
    mm_sim_kernel_tables();
    for (int i = 0; i < 3; i++)
        pv_mm_pin(mm_sim_alloc(), 4);       /* more L4s for MOV CR3 to find */
}

static uint64_t pick_reg(struct fz *f)
{
    uint8_t s = fz_u8(f);
    switch (s & 7) {
    case 0: return s >> 3;
    case 1: return DATA_VA + fz_u16(f) % sizeof(data_page);
    case 2: return mfn_to_paddr(SIM_GUEST_FIRST + (s >> 3));     /* a CR3 value */
    case 3: return fz_u64(f);
    case 4: return 0x70 + (s >> 6);                                /* CMOS, PIT ports */
    case 5: return 0xcf8 + (s >> 5);                               /* PCI config ports */
    case 6: return ~0ull - (s >> 3);
    default: return (uint64_t)fz_u16(f);
    }
}

static void check_decoder(const uint8_t *code, size_t n, enum x86_mode mode)
{
    struct x86_insn a, b;
    int rc = x86_decode(&a, code, n, mode);
    FZ_CHECK(rc <= 0 && rc >= X86_DECODE_FAULT, "x86_decode status %d", rc);
    if (rc != X86_DECODE_OK)
        return;
    FZ_CHECK(a.len >= 1 && a.len <= X86_MAX_INSN_LEN && a.len <= n,
             "decoded length %u from %zu bytes", a.len, n);
    FZ_CHECK(memcmp(a.bytes, code, a.len) == 0, "decoded bytes differ from the input");
    FZ_CHECK(x86_decode(&b, code, a.len, mode) == X86_DECODE_OK && b.len == a.len,
             "the same instruction does not decode from exactly its %u bytes", a.len);
    FZ_CHECK(a.op_size == 1 || a.op_size == 2 || a.op_size == 4 || a.op_size == 8,
             "operand size %u", a.op_size);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct fz f = { data, size };
    struct cpu_regs r;
    uint8_t mode = fz_u8(&f);
    real_mmu = mode & 1;
    if (real_mmu)
        setup_mmu(&r);
    else
        setup_fakes(&r, mode & 2);
    /* Bounces write the event mask into vcpu_info, as in a running guest. */
    static struct shared_info shinfo;
    memset(&shinfo, 0, sizeof(shinfo));
    if (real_mmu && pv_mm_share_with_guest(SIM_FREE_FIRST) == 0)
        dom.shared_info = phys_access(mfn_to_paddr(SIM_FREE_FIRST), PAGE_SIZE);
    else
        dom.shared_info = &shinfo;
    dom.nr_vcpus = 1;
    dom.vcpu[0].initialised = dom.vcpu[0].up = dom.vcpu[0].loaded = true;   /* booted, running */
    dom.vcpu[0].vcpu_info = &dom.shared_info->vcpu_info[0];
    dom.vcpu[0].vcpu_info_mfn = INVALID_MFN;
    memset(data_page, 0x5a, sizeof(data_page));
    fake_guest_map(DATA_VA, data_page, sizeof(data_page));

    uint8_t code[16];
    fz_bytes(&f, code, sizeof(code));
    uint8_t where = fz_u8(&f);
    unsigned at = where & 0x80 ? sizeof(fake_code) - 1 - (where & 15) : (where & 0x3f);
    size_t n = at + sizeof(code) <= sizeof(fake_code) ? sizeof(code) : sizeof(fake_code) - at;
    memcpy(fake_code + at, code, n);

    uint64_t *gpr[16] = { &r.rax, &r.rcx, &r.rdx, &r.rbx, &r.rsp, &r.rbp, &r.rsi, &r.rdi,
                          &r.r8, &r.r9, &r.r10, &r.r11, &r.r12, &r.r13, &r.r14, &r.r15 };
    for (unsigned i = 0; i < 16; i++)
        *gpr[i] = pick_reg(&f);
    uint8_t fl = fz_u8(&f);
    r.rflags = 0x202 | (fl & 1 ? 0x100 : 0) | (fl & 2 ? 0x400 : 0) | (fl & 4 ? 0x40000 : 0) |
               (fl & 8 ? 0x10000 : 0);
    r.rip = FAKE_KCODE + at;
    if (fl & 0x10)
        r.cs = 0xe023;                      /* 32-bit user code */
    if (real_mmu && !(mode & 4))
        r.rsp = DATA_VA + 0x1000;           /* room for a bounce frame */
    current->kernel_mode = !(fl & 0x20);
    current->iopl = fz_u8(&f) & 3;
    if (fl & 0x40) {
        current->iobmp = DATA_VA;
        current->iobmp_limit = fz_u16(&f);
    }
    if (fl & 0x80)
        pv_emul.cr4 |= 4;                   /* TSD: RDTSC faults */
    for (unsigned i = 0; i < 4; i++)
        current->debugreg[i] = i & 1 ? 0x70 + i : pick_reg(&f);
    current->debugreg[7] = fz_u8(&f) & 1 ? 0x400 | (fz_u32(&f) & 0xffff00ff) : 0x400;
    current->debugreg[5] = current->debugreg[7] & 0xff;

    check_decoder(code, n, r.cs == 0xe023 ? X86_MODE_32 : X86_MODE_64);

    struct cpu_regs before = r;
    unsigned events_before = fake_emu.nr_events;
    bool invop = fz_u8(&f) & 1;
    fake_exit_hook = on_exit_request;
    if (setjmp(guest_gone)) {
        fake_exit_hook = NULL;
        if (real_mmu)
            mm_sim_teardown();
        return 0;
    }
    bool ok = invop ? pv_emulate_invalid_op(&r) : pv_emulate_privileged_op(&r);
    fake_exit_hook = NULL;
    bool injected = fake_emu.nr_events != events_before || (real_mmu && is_handler(r.rip));

    if (!ok) {
        struct cpu_regs cmp = r;
        cmp.rcx = before.rcx;
        cmp.rsi = before.rsi;
        cmp.rdi = before.rdi;
        FZ_CHECK(memcmp(&cmp, &before, sizeof(cmp)) == 0, "a refused instruction changed registers");
    } else if (!injected && r.rip == before.rip) {
        /* A long REP string I/O stops after a batch and runs again: only with progress. */
        FZ_CHECK(r.rcx != before.rcx, "RIP stayed at %#llx with no REP progress",
                 (unsigned long long)r.rip);
    } else if (!injected) {
        FZ_CHECK(r.rip > before.rip && r.rip - before.rip <= X86_MAX_INSN_LEN,
                 "RIP moved from %#llx to %#llx", (unsigned long long)before.rip,
                 (unsigned long long)r.rip);
        FZ_CHECK(!(r.rflags & 0x10000), "RF left set");
    }
    FZ_CHECK((r.rflags & 0x3000) == (before.rflags & 0x3000), "IOPL changed to %llu",
             (unsigned long long)(r.rflags >> 12 & 3));
    FZ_CHECK((r.cs & 3) == 3 && (r.ss & 3) == 3, "the guest would run at ring %llu",
             (unsigned long long)(r.cs & 3));
    if (real_mmu) {
        const char *why = mm_sim_check();
        FZ_CHECK(why == NULL, "MMU invariant after emulation: %s", why);
        mm_sim_teardown();
    }
    return 0;
}
