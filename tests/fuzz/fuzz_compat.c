/*
 * The compat layer (pvops-compat/compat_*.c) as a 32-bit guest reaches it:
 * `int $0x82` with fuzzed EAX/EBX..EDI over fake guest memory whose
 * contents the input writes (32-bit structures, multicall lists, forged
 * iret frames on the ring-1 stack), bounces of exceptions from ring 1 and
 * ring 3 with fuzzed stacks and selectors, and events. The machine is the
 * PV MMU tests' in PAE mode with a pinned L3 as the root and the vCPU's
 * translation area mapped. After every step the MMU invariants must hold
 * and the frame must still say ring 1 or ring 3 (never ring 0) with a
 * 32-bit EIP and ESP; a guest shutdown or crash ends the input (a legal
 * outcome), an internal error is a finding.
 */
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pvshim/frame_alloc.h>
#include <pvshim/phys.h>
#include <pvshim/soft_timer.h>
#include <pvshim/status.h>
#include <pvshim/layout.h>
#include <pvshim/guest_entry.h>
#include "mm_sim.h"
#include "compat.h"
#include "hypercall.h"
#include "mm/mm_private.h"
#include "event_channel.h"
#include "services.h"
#include "time.h"
#include "pv.h"
#include "fuzz_input.h"
#include "fuzz_machine.h"

#define STACK_VA    FUZZ_STACK_VA
#define STACK_SIZE  FUZZ_STACK_SIZE
#define MAX_STEPS   200

static struct cpu_regs regs;
static jmp_buf guest_gone;
static unsigned steps;
static uint32_t last_op, last_args[6];

static void on_exit_request(enum pvshim_exit reason)
{
    FZ_CHECK(reason != EXIT_INTERNAL_ERROR && reason != EXIT_BAD_INPUT,
             "pvshim ended with %s in compat hypercall %u (%#x %#x %#x %#x %#x):\n%s",
             exit_reason_name(reason), last_op, last_args[0], last_args[1], last_args[2],
             last_args[3], last_args[4], fake_log_text());
    longjmp(guest_gone, 1);
}

static void on_idle_forever(void)
{
    longjmp(guest_gone, 2);
}

static void setup(void)
{
    fuzz_machine_setup(true, on_exit_request, on_idle_forever);
    memset(&regs, 0, sizeof(regs));
    regs.rip = 0xc0001000u;
    regs.cs = FLAT_RING1_CS_X86_32;
    regs.ss = FLAT_RING1_SS_X86_32;
    regs.rsp = STACK_VA + 0x1000;
    regs.rflags = 0x202;
    guest_regs = &regs;
}

static uint32_t pick_arg(struct fz *f)
{
    uint8_t s = fz_u8(f);
    switch (s % 11) {
    case 0: return fz_u8(f);
    case 1: return fz_u16(f);
    case 2: return fz_u32(f);
    case 3: return (uint32_t)SIM_ARGS_VA + fz_u16(f);
    case 4: return 0xf5800000u + fz_u16(f);            /* the compat M2P's window */
    case 5: return 0xffffffffu - (s >> 4);
    case 6: return 0x1000 + fz_u16(f);
    case 7: return SIM_GUEST_FIRST + fz_u8(f) % (SIM_FRAMES - SIM_GUEST_FIRST + 8);
    case 8: return DOMID_SELF;
    case 9: return 0x80000000u | (s >> 4);             /* MMU_UPDATE_PREEMPTED and friends */
    default: return STACK_VA + (fz_u16(f) & 0x1ffc);
    }
}

static uint16_t pick_selector(struct fz *f)
{
    static const uint16_t sels[] = {
        FLAT_RING1_CS_X86_32, FLAT_RING1_DS_X86_32, COMPAT_FLAT_RING3_CS,
        COMPAT_FLAT_RING3_DS, 0, 3, 0x60, 0x63, 0xe008, 0xffff,
    };
    uint8_t s = fz_u8(f);
    return s < 200 ? sels[s % (sizeof(sels) / sizeof(sels[0]))] : fz_u16(f);
}

static void hypercall(struct fz *f)
{
    uint8_t nr = fz_u8(f);
    last_op = nr < 0xf0 ? nr % 48 : nr == 0xff ? ~0u : 64 + (nr & 15);
    for (unsigned i = 0; i < 6; i++)
        last_args[i] = pick_arg(f);
    if (fz_u8(f) & 1) {
        /* Through the int $0x82 entry, registers and all. */
        regs.rax = last_op;
        regs.rbx = last_args[0];
        regs.rcx = last_args[1];
        regs.rdx = last_args[2];
        regs.rsi = last_args[3];
        regs.rdi = last_args[4];
        regs.rbp = last_args[5];
        regs.rip += COMPAT_INT82_LEN;
        guest_int82(&regs);
    } else {
        long rc = compat_hypercall_call(last_op, last_args);
        bool passes_value = last_op == __HYPERVISOR_iret || last_op == __HYPERVISOR_multicall ||
            ((last_op == __HYPERVISOR_mmu_update || last_op == __HYPERVISOR_mmuext_op) &&
             !last_args[0] && last_args[1] == MMU_UPDATE_PREEMPTED);
        FZ_CHECK(rc >= -4095 || passes_value, "compat hypercall %u returned %ld", last_op, rc);
    }
}

/* An exception or an event upcall arriving from ring 1 or ring 3. */
static void bounce(struct fz *f)
{
    struct pv_vcpu *v = current;
    uint8_t s = fz_u8(f);
    if (s & 1) {
        regs.cs = COMPAT_FLAT_RING3_CS;
        regs.ss = COMPAT_FLAT_RING3_SS;
        regs.rsp = pick_arg(f);
    }
    if (s & 2)
        v->kernel_sp = pick_arg(f);
    if (s & 4)
        v->kernel_ss = pick_selector(f);
    if (s & 8) {
        unsigned vec = fz_u8(f) % 32;
        v->trap_ctxt[vec] = (struct trap_info){ .vector = (uint8_t)vec, .flags = fz_u8(f) & 7,
            .cs = pick_selector(f) };
        v->trap_ctxt[vec].address = COMPAT_ENTRY(v->trap_ctxt[vec].cs, pick_arg(f));
    }
    regs.vector = fz_u8(f) % 32;
    regs.error_code = fz_u16(f);
    if (s & 16) {
        v->event_callback = COMPAT_ENTRY(pick_selector(f), pick_arg(f));
        evtchn_send_virq(VIRQ_TIMER);
        guest_resume(&regs);
    } else if (s & 32) {
        guest_return_failed(&regs);
    } else {
        guest_exception(&regs);
    }
}

static void step(struct fz *f)
{
    uint8_t kind = fz_u8(f) % 8;
    switch (kind) {
    case 4:
        bounce(f);
        break;
    case 5: {
        unsigned off = fz_u16(f) % SIM_ARGS_SIZE;
        unsigned len = fz_u8(f);
        if (off + len > SIM_ARGS_SIZE)
            len = SIM_ARGS_SIZE - off;
        fz_bytes(f, mm_sim_args + off, len);
        break;
    }
    case 6: {
        unsigned off = (fz_u8(f) * 4u) % STACK_SIZE;
        uint32_t v = fz_u8(f) & 1 ? pick_selector(f) : pick_arg(f);
        memcpy(fuzz_stack + off, &v, sizeof(v));
        if (fz_u8(f) & 1)
            regs.rsp = STACK_VA + off;
        break;
    }
    case 7:
        if (fz_u8(f) & 1)
            fake_clock_advance((uint64_t)fz_u16(f) * 1000);
        else
            evtchn_send_virq(fz_u8(f) & 31);
        break;
    default:
        hypercall(f);
        break;
    }
    const char *why = mm_sim_check();
    FZ_CHECK(why == NULL, "MMU invariant after step %u (compat hypercall %u): %s", steps,
             last_op, why);
    /* Whatever happened, the guest resumes in ring 1 or 3 with 32-bit EIP and ESP. */
    FZ_CHECK((regs.cs & 3) != 0, "step %u leaves the guest in ring 0 (cs %#llx)", steps,
             (unsigned long long)regs.cs);
    FZ_CHECK(regs.rip >> 32 == 0 && regs.rsp >> 32 == 0,
             "step %u leaves a 64-bit EIP %#llx or ESP %#llx", steps,
             (unsigned long long)regs.rip, (unsigned long long)regs.rsp);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct fz f = { data, size };
    setup();
    if (setjmp(guest_gone) == 0) {
        /* Each step under the PV lock, as the arch entry path holds it (a
         * shutdown's longjmp leaves it held: it nests, and idle waits
         * release it whatever the depth). */
        for (steps = 0; f.n && steps < MAX_STEPS; steps++) {
            pv_lock();
            step(&f);
            pv_unlock();
        }
        mm_sim_release_all();
        const char *why = mm_sim_check();
        FZ_CHECK(why == NULL, "after releasing everything: %s", why);
    }
    fake_exit_hook = NULL;
    fake_idle_forever_hook = NULL;
    soft_timer_init();
    mm_sim_teardown();
    dom.compat = false;
    return 0;
}
