/*
 * Every hypercall through hypercall_call (the table multicall uses too)
 * with fuzzed arguments over fake guest memory: an argument buffer whose
 * contents the input writes (structures, multicall lists that nest or
 * point into themselves), a kernel stack holding forged iret frames, and
 * pointers into pvshim's range, unmapped or non-canonical memory, huge
 * counts, bad ports and frames. The machine is the PV MMU tests' (a
 * shared_info page, a free-frame pool for populate_physmap, an empty
 * pinned kernel L4); events and timers are live and time can advance.
 * After every call the MMU invariants must hold; a guest shutdown or
 * crash ends the input (it is a legal outcome), an internal error is a
 * finding.
 */
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pvshim/frame_alloc.h>
#include <pvshim/phys.h>
#include <pvshim/soft_timer.h>
#include <pvshim/status.h>
#include "mm_sim.h"
#include "hypercall.h"
#include <pvshim/guest_entry.h>
#include "mm/mm_private.h"
#include "event_channel.h"
#include "services.h"
#include "time.h"
#include "pv.h"
#include "fuzz_input.h"
#include "fuzz_machine.h"
#include "fuzz_seeds.h"

#define STACK_VA    ((uint64_t)FUZZ_STACK_VA)
#define STACK_SIZE  FUZZ_STACK_SIZE
#define MAX_STEPS   200

static struct cpu_regs regs;
static jmp_buf guest_gone;
static unsigned steps;
static uint64_t last_op, last_args[5];
static mfn_t noted_vcpu_info;

static void on_exit_request(enum pvshim_exit reason)
{
    FZ_CHECK(reason != EXIT_INTERNAL_ERROR && reason != EXIT_BAD_INPUT,
             "pvshim ended with %s in hypercall %llu (%#llx %#llx %#llx %#llx %#llx):\n%s",
             exit_reason_name(reason), (unsigned long long)last_op,
             (unsigned long long)last_args[0], (unsigned long long)last_args[1],
             (unsigned long long)last_args[2], (unsigned long long)last_args[3],
             (unsigned long long)last_args[4], fake_log_text());
    longjmp(guest_gone, 1);     /* shutdown, reboot, crash: the guest's own doing */
}

static void on_idle_forever(void)
{
    longjmp(guest_gone, 2);     /* blocked with nothing that can wake it: so would Xen */
}

static void setup(void)
{
    fuzz_machine_setup(false, on_exit_request, on_idle_forever);
    noted_vcpu_info = INVALID_MFN;
    memset(&regs, 0, sizeof(regs));
    regs.rip = 0xffffffff80001000ull;
    regs.cs = FLAT_KERNEL_CS64;
    regs.ss = FLAT_KERNEL_SS64;
    regs.rsp = STACK_VA + 0x1000;
    regs.rflags = 0x202;
    guest_regs = &regs;
}

static uint64_t pick_arg(struct fz *f)
{
    uint8_t s = fz_u8(f);
    switch (s % 13) {
    case 0: return fz_u8(f);
    case 1: return fz_u16(f);
    case 2: return fz_u32(f);
    case 3: return fz_u64(f);
    case 4: return SIM_ARGS_VA + fz_u16(f);
    case 5: return 0xffff800000000000ull + ((uint64_t)fz_u32(f) << 8);
    case 6: return 0x0000800000000000ull + fz_u8(f);
    case 7: return 0x1000 + fz_u16(f);
    case 8: return ~0ull - (s >> 4);
    case 9: return 0x7fffffffull + (s >> 4);
    case 10: return SIM_GUEST_FIRST + fz_u8(f) % (SIM_FRAMES - SIM_GUEST_FIRST + 8);
    case 11: return DOMID_SELF;
    default: return STACK_VA + (fz_u16(f) & 0x1ff8);
    }
}

static void note_pvshim_holds(void)
{
    /* A registered vcpu_info is held writable by pvshim for good. */
    if (current->vcpu_info_mfn != noted_vcpu_info && current->vcpu_info_mfn != INVALID_MFN) {
        FZ_CHECK(noted_vcpu_info == INVALID_MFN, "vcpu_info moved");
        noted_vcpu_info = current->vcpu_info_mfn;
        mm_sim_note_writable_hold(noted_vcpu_info, 1);
    }
}

static void hypercall(struct fz *f)
{
    uint8_t nr = fz_u8(f);
    last_op = nr < 0xf0 ? nr % 48 : nr == 0xff ? ~0ull : 64 + (nr & 15);
    for (unsigned i = 0; i < 5; i++)
        last_args[i] = pick_arg(f);
    regs.rax = last_op;
    /* Held as the arch entry path holds it (a shutdown's longjmp leaves it
     * held: it nests, and idle waits release it whatever the depth). */
    pv_lock();
    long rc = hypercall_call(last_op, last_args);
    pv_unlock();
    /*
     * An error is -1..-4095. Some calls return other values by design: iret
     * returns the guest's restored RAX, and so does a multicall that an iret
     * in it ended; mmu_update or mmuext_op with a null request list and count
     * MMU_UPDATE_PREEMPTED return their last argument as an int (Xen's
     * continuation hand-back, taken as is).
     */
    bool passes_value = last_op == __HYPERVISOR_iret || last_op == __HYPERVISOR_multicall ||
        ((last_op == __HYPERVISOR_mmu_update || last_op == __HYPERVISOR_mmuext_op) &&
         !last_args[0] && (unsigned int)last_args[1] == MMU_UPDATE_PREEMPTED);
    FZ_CHECK(rc >= -4095 || passes_value, "hypercall %llu returned %ld",
             (unsigned long long)last_op, rc);
}

static void step(struct fz *f)
{
    uint8_t kind = fz_u8(f) % 8;
    switch (kind) {
    case 5: {
        unsigned off = fz_u16(f) % SIM_ARGS_SIZE;
        unsigned len = fz_u8(f);
        if (off + len > SIM_ARGS_SIZE)
            len = SIM_ARGS_SIZE - off;
        fz_bytes(f, mm_sim_args + off, len);
        break;
    }
    case 6: {
        unsigned off = (fz_u8(f) * 8u) % STACK_SIZE;
        uint64_t v = pick_arg(f);
        memcpy(fuzz_stack + off, &v, sizeof(v));
        if (fz_u8(f) & 1)
            regs.rsp = STACK_VA + off;
        break;
    }
    case 7: {
        uint8_t s = fz_u8(f);
        if (s & 1)
            fake_clock_advance((uint64_t)fz_u16(f) * 1000);
        else
            evtchn_send_virq(s >> 1 & 31);
        break;
    }
    default:
        hypercall(f);
        break;
    }
    note_pvshim_holds();
    const char *why = mm_sim_check();
    FZ_CHECK(why == NULL, "MMU invariant after step %u (hypercall %llu): %s", steps,
             (unsigned long long)last_op, why);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct fz f = { data, size };
    setup();
    if (setjmp(guest_gone) == 0) {
        for (steps = 0; f.n && steps < MAX_STEPS; steps++)
            step(&f);
        /* Everything the guest still holds, dropped: no frame left typed. */
        mm_sim_release_all();
        const char *why = mm_sim_check();
        FZ_CHECK(why == NULL, "after releasing everything: %s", why);
        for (mfn_t m = SIM_GUEST_FIRST; m < SIM_FRAMES; m++) {
            struct pv_frame_info fi = mm_sim_info(m);
            if (fi.owner != PV_OWNER_GUEST || fi.shared)
                continue;
            FZ_CHECK(fi.refs == 1 && fi.type_count == 0 && !fi.pinned,
                     "mfn %#lx left with refs %u type %u count %u", (unsigned long)m, fi.refs,
                     fi.type, fi.type_count);
        }
    }
    fake_exit_hook = NULL;
    fake_idle_forever_hook = NULL;
    soft_timer_init();
    mm_sim_teardown();
    return 0;
}
