/*
 * Which entries run without the PV lock (entry.c, hypercall_defs.h) and
 * what keeps that safe: the table's own column, user system calls and
 * plain exception bounces completing while another CPU holds the lock,
 * locked entries taking and releasing it, and the stale-TLB bit of a
 * lock-free base-pointer switch.
 */
#include <string.h>
#include <stdlib.h>
#include "unit.h"
#include "fakes.h"
#include "domain.h"
#include "pv.h"
#include "hypercall.h"
#include "hypercalls.h"
#include "pv_lock.h"
#include "event_channel.h"
#include "mm/mm_private.h"
#include <pvshim/guest_entry.h>
#include <pvshim/guest_access.h>
#include <pvshim/irq.h>
#include <pvshim/soft_timer.h>
#include "time.h"

#define STACK_VA    0x100000ull     /* guest kernel stack page */
#define USTACK_VA   0x200000ull
#define SYSCALL_CB  0xffffffff81000100ull
#define PF_HANDLER  0xffffffff81000200ull
#define OTHER_CPU   3u              /* spin owner value of CPU 2 */

static struct shared_info *shinfo;
static uint8_t *stack, *ustack;
static struct cpu_regs regs;

static void setup(void)
{
    fake_guest_reset();
    fake_hw_reset();
    memset(&dom, 0, sizeof(dom));
    memset(&pv_big_lock, 0, sizeof(pv_big_lock));
    memset(pv_lock_counts, 0, sizeof(pv_lock_counts));
    pv_lock_depth = 0;
    shinfo = calloc(1, PAGE_SIZE);
    stack = calloc(1, PAGE_SIZE);
    ustack = calloc(1, PAGE_SIZE);
    fake_guest_map(STACK_VA, stack, PAGE_SIZE);
    fake_guest_map(USTACK_VA, ustack, PAGE_SIZE);
    dom.shared_info = shinfo;
    dom.nr_vcpus = 2;
    for (unsigned i = 0; i < 2; i++) {
        struct pv_vcpu *v = &dom.vcpu[i];
        v->vcpu_id = i;
        v->initialised = v->up = v->loaded = true;
        v->vcpu_info = &shinfo->vcpu_info[i];
        v->guest_table = 0x1234;
        v->guest_table_user = 0x5678;
        v->kernel_sp = STACK_VA + 0x800;
        v->syscall_callback = SYSCALL_CB;
        v->trap_ctxt[TRAP_page_fault].address = PF_HANDLER;
    }
    fake_run_vcpu(0);
    /* Running guest user code. */
    dom.vcpu[0].kernel_mode = false;
    memset(&regs, 0, sizeof(regs));
    regs.rip = 0x401000;
    regs.cs = FLAT_USER_CS64;
    regs.ss = FLAT_USER_SS64;
    regs.rsp = USTACK_VA + 0x800;
    regs.rflags = 0x202;
}

static void teardown(void)
{
    free(shinfo);
    free(stack);
    free(ustack);
}

/* Another CPU holds the lock: anything here that tried to take it would spin forever. */
static void other_cpu_holds_lock(void)
{
    ck_assert(spin_trylock_as(&pv_big_lock, OTHER_CPU));
}

static evtchn_port_t bind_virq(unsigned virq, unsigned vcpu)
{
    struct evtchn_bind_virq b = { .virq = virq, .vcpu = vcpu };
    ck_assert_int_eq(copy_to_guest(STACK_VA + 0x100, &b, sizeof(b)), 0);
    ck_assert_int_eq(do_event_channel_op(EVTCHNOP_bind_virq, STACK_VA + 0x100), 0);
    ck_assert_int_eq(copy_from_guest(&b, STACK_VA + 0x100, sizeof(b)), 0);
    return b.port;
}

static evtchn_port_t bind_ipi(unsigned vcpu)
{
    struct evtchn_bind_ipi b = { .vcpu = vcpu };
    ck_assert_int_eq(copy_to_guest(STACK_VA + 0x100, &b, sizeof(b)), 0);
    ck_assert_int_eq(do_event_channel_op(EVTCHNOP_bind_ipi, STACK_VA + 0x100), 0);
    ck_assert_int_eq(copy_from_guest(&b, STACK_VA + 0x100, sizeof(b)), 0);
    return b.port;
}

static bool pending(evtchn_port_t p)
{
    return (shinfo->evtchn_pending[p / 64] >> (p % 64)) & 1;
}

static bool own(uint64_t op, uint64_t a0, uint64_t a1)
{
    struct cpu_regs r = { .rax = op, .rdi = a0, .rsi = a1 };
    return hypercall_is_own(&r);
}

START_TEST(own_column)
{
    /* Only the caller's own state. */
    ck_assert(own(__HYPERVISOR_iret, 0, 0));
    ck_assert(own(__HYPERVISOR_set_segment_base, SEGBASE_FS, 0));
    ck_assert(own(__HYPERVISOR_stack_switch, 0, 0));
    ck_assert(own(__HYPERVISOR_fpu_taskswitch, 1, 0));
    ck_assert(own(__HYPERVISOR_set_callbacks, 0, 0));
    ck_assert(own(__HYPERVISOR_set_trap_table, 0, 0));
    ck_assert(own(__HYPERVISOR_set_timer_op, 0, 0));
    ck_assert(own(__HYPERVISOR_sched_op, SCHEDOP_yield, 0));
    ck_assert(own(__HYPERVISOR_vcpu_op, VCPUOP_stop_singleshot_timer, 0));
    ck_assert(own(__HYPERVISOR_vcpu_op, VCPUOP_set_periodic_timer, 0));
    ck_assert(own(__HYPERVISOR_vcpu_op, VCPUOP_set_singleshot_timer, 0));
    /* Read-only, or one port's lock. */
    ck_assert(own(__HYPERVISOR_xen_version, XENVER_version, 0));
    ck_assert(own(__HYPERVISOR_xen_version, XENVER_get_features, 0));
    ck_assert(own(__HYPERVISOR_vcpu_op, VCPUOP_is_up, 1));
    ck_assert(own(__HYPERVISOR_event_channel_op, EVTCHNOP_send, 0));
    ck_assert(own(__HYPERVISOR_event_channel_op, EVTCHNOP_unmask, 0));
    /* Shared state, another vCPU, or a sub-op that can send an event. */
    ck_assert(!own(__HYPERVISOR_mmu_update, 0, 0));
    ck_assert(!own(__HYPERVISOR_mmuext_op, 0, 0));
    ck_assert(!own(__HYPERVISOR_multicall, 0, 0));
    ck_assert(!own(__HYPERVISOR_update_va_mapping, 0, 0));
    ck_assert(!own(__HYPERVISOR_event_channel_op, EVTCHNOP_bind_ipi, 0));
    ck_assert(!own(__HYPERVISOR_event_channel_op, EVTCHNOP_close, 0));
    ck_assert(!own(__HYPERVISOR_event_channel_op, EVTCHNOP_bind_vcpu, 0));
    ck_assert(!own(__HYPERVISOR_vcpu_op, VCPUOP_get_runstate_info, 1));
    ck_assert(!own(__HYPERVISOR_sched_op, SCHEDOP_block, 0));
    ck_assert(!own(__HYPERVISOR_vcpu_op, VCPUOP_stop_singleshot_timer, 1));
    ck_assert(!own(__HYPERVISOR_vcpu_op, VCPUOP_set_periodic_timer, 1));
    ck_assert(!own(__HYPERVISOR_vcpu_op, VCPUOP_set_singleshot_timer, 1));
    ck_assert(!own(__HYPERVISOR_vcpu_op, VCPUOP_up, 0));
    ck_assert(!own(NR_HYPERCALLS - 1, 0, 0));
    ck_assert(!own(1000, 0, 0));
    /* The vCPU id is the caller's own as the handler reads it (32 bits). */
    ck_assert(own(__HYPERVISOR_vcpu_op, VCPUOP_stop_periodic_timer, 1ull << 32));
}
END_TEST

START_TEST(user_syscall_runs_while_another_cpu_holds_lock)
{
    other_cpu_holds_lock();
    regs.vector = ENTRY_SYSCALL;
    guest_syscall_enter(&regs);
    ck_assert_uint_eq(regs.rip, SYSCALL_CB);
    ck_assert(dom.vcpu[0].kernel_mode);
    ck_assert(spin_is_mine_as(&pv_big_lock, OTHER_CPU));
    ck_assert_uint_eq(pv_lock_counts[0][PV_SITE_SYSCALL].lock_free, 1);
    ck_assert_uint_eq(pv_lock_counts[0][PV_SITE_SYSCALL].taken, 0);
    /* The kernel's iret back to user mode: lock-free too. */
    /* RAX R11 RCX flags RIP CS RFLAGS RSP SS */
    const uint64_t frame[] = { 0, 0, 0, VGCF_in_syscall, 0x401002, FLAT_USER_CS64, 0x202,
                               USTACK_VA + 0x800, FLAT_USER_SS64 };
    uint64_t sp = regs.rsp - sizeof(frame);
    ck_assert_int_eq(copy_to_guest(sp, frame, sizeof(frame)), 0);
    regs.rsp = sp;
    regs.rax = __HYPERVISOR_iret;
    guest_syscall_enter(&regs);
    ck_assert(!dom.vcpu[0].kernel_mode);
    ck_assert_uint_eq(regs.rip, 0x401002);
    ck_assert_uint_eq(pv_lock_counts[0][PV_SITE_HYPERCALL + __HYPERVISOR_iret].lock_free, 1);
}
END_TEST

START_TEST(plain_page_fault_bounces_while_another_cpu_holds_lock)
{
    other_cpu_holds_lock();
    regs.vector = TRAP_page_fault;
    regs.error_code = 4 | 2;     /* user write, not present */
    fake_hw.cr2 = 0x500000;
    ck_assert(pv_trap_lock(&regs));
    guest_exception(&regs);
    pv_trap_unlock(&regs, true);
    ck_assert_uint_eq(regs.rip, PF_HANDLER);
    ck_assert_uint_eq(dom.vcpu[0].vcpu_info->arch.cr2, 0x500000);
    ck_assert_uint_eq(pv_lock_counts[0][PV_SITE_EXCEPTION + TRAP_page_fault].lock_free, 1);
    ck_assert(spin_is_mine_as(&pv_big_lock, OTHER_CPU));
}
END_TEST

START_TEST(locked_entries_take_and_release_lock)
{
    /* A hypercall on shared state: taken for the entry, released after. */
    dom.vcpu[0].kernel_mode = true;
    regs.cs = FLAT_KERNEL_CS64;
    regs.vector = ENTRY_SYSCALL;
    regs.rax = __HYPERVISOR_mmu_update;     /* no updates: nothing to do */
    guest_syscall_enter(&regs);
    ck_assert_uint_eq(pv_lock_counts[0][PV_SITE_HYPERCALL + __HYPERVISOR_mmu_update].taken, 1);
    ck_assert(!spin_is_mine(&pv_big_lock));
    ck_assert(spin_trylock(&pv_big_lock));
    spin_unlock(&pv_big_lock);
    /* A guest #GP emulates: it takes the lock itself, the exit releases it. */
    regs.vector = TRAP_gp_fault;
    regs.error_code = 0;
    regs.rip = STACK_VA;        /* no privileged instruction there: bounced */
    dom.vcpu[0].trap_ctxt[TRAP_gp_fault].address = PF_HANDLER;
    ck_assert(pv_trap_lock(&regs));
    guest_exception(&regs);
    ck_assert(spin_is_mine(&pv_big_lock));
    pv_trap_unlock(&regs, true);
    ck_assert(!spin_is_mine(&pv_big_lock));
    ck_assert_uint_eq(pv_lock_counts[0][PV_SITE_EXCEPTION + TRAP_gp_fault].taken, 1);
    /* An interrupt always runs under it. */
    regs.vector = 0x40;
    ck_assert(!pv_trap_lock(&regs));
    ck_assert(spin_is_mine(&pv_big_lock));
    pv_trap_unlock(&regs, false);
    ck_assert(!spin_is_mine(&pv_big_lock));
    ck_assert_uint_eq(pv_lock_counts[0][PV_SITE_INTERRUPT].taken, 1);
}
END_TEST

/* The singleshot timer: lock-free, a deadline already past sending VIRQ_TIMER too. */
START_TEST(singleshot_in_the_past_sends_virq_without_lock)
{
    evtchn_init();
    evtchn_port_t p = bind_virq(VIRQ_TIMER, 0);
    other_cpu_holds_lock();
    fake_clock.now = 5000;
    dom.vcpu[0].kernel_mode = true;
    regs.cs = FLAT_KERNEL_CS64;
    regs.vector = ENTRY_SYSCALL;
    struct vcpu_set_singleshot_timer set = { .timeout_abs_ns = 1000000 };
    ck_assert_int_eq(copy_to_guest(STACK_VA, &set, sizeof(set)), 0);
    regs.rax = __HYPERVISOR_vcpu_op;
    regs.rdi = VCPUOP_set_singleshot_timer;
    regs.rsi = 0;
    regs.rdx = STACK_VA;
    guest_syscall_enter(&regs);
    ck_assert_int_eq((long)regs.rax, 0);
    ck_assert_uint_eq(dom.vcpu[0].singleshot_deadline, 1000000);
    ck_assert_uint_eq(pv_lock_counts[0][PV_SITE_HYPERCALL + __HYPERVISOR_vcpu_op].lock_free, 1);
    set.timeout_abs_ns = 1;
    ck_assert_int_eq(copy_to_guest(STACK_VA, &set, sizeof(set)), 0);
    regs.rax = __HYPERVISOR_vcpu_op;
    guest_syscall_enter(&regs);
    ck_assert_int_eq((long)regs.rax, 0);
    ck_assert_uint_eq(pv_lock_counts[0][PV_SITE_HYPERCALL + __HYPERVISOR_vcpu_op].taken, 0);
    ck_assert_uint_eq(pv_lock_counts[0][PV_SITE_HYPERCALL + __HYPERVISOR_vcpu_op].lock_free, 2);
    ck_assert(pending(p));
    ck_assert(shinfo->vcpu_info[0].evtchn_upcall_pending);
    ck_assert(spin_is_mine_as(&pv_big_lock, OTHER_CPU));
}
END_TEST

/* A kernel-mode hypercall entry with up to two arguments (STACK_VA: a buffer). */
static void hypercall2(uint64_t op, uint64_t a0, uint64_t a1)
{
    dom.vcpu[0].kernel_mode = true;
    regs.cs = FLAT_KERNEL_CS64;
    regs.vector = ENTRY_SYSCALL;
    regs.rax = op;
    regs.rdi = a0;
    regs.rsi = a1;
    guest_syscall_enter(&regs);
}

/* EVTCHNOP_send on an IPI port for vCPU 1 while another CPU holds the PV
 * lock: pending, selector and upcall set for vCPU 1, its CPU kicked. */
START_TEST(ipi_send_runs_while_another_cpu_holds_lock)
{
    evtchn_init();
    evtchn_port_t p = bind_ipi(1);
    other_cpu_holds_lock();
    struct evtchn_send s = { .port = p };
    ck_assert_int_eq(copy_to_guest(STACK_VA, &s, sizeof(s)), 0);
    hypercall2(__HYPERVISOR_event_channel_op, EVTCHNOP_send, STACK_VA);
    ck_assert_int_eq((long)regs.rax, 0);
    ck_assert(pending(p));
    ck_assert_uint_eq(shinfo->vcpu_info[1].evtchn_pending_sel, 1ull << (p / 64));
    ck_assert(shinfo->vcpu_info[1].evtchn_upcall_pending);
    ck_assert(!shinfo->vcpu_info[0].evtchn_upcall_pending);
    ck_assert_uint_eq(fake_hw.kick_mask, 1u << 1);
    ck_assert_uint_eq(pv_lock_counts[0][PV_SITE_HYPERCALL + __HYPERVISOR_event_channel_op]
                          .lock_free, 1);
    ck_assert(spin_is_mine_as(&pv_big_lock, OTHER_CPU));
    /* Masked: pending only; the unmask (lock-free too) raises the upcall. */
    shinfo->vcpu_info[1].evtchn_upcall_pending = 0;
    shinfo->vcpu_info[1].evtchn_pending_sel = 0;
    shinfo->evtchn_pending[0] = 0;
    shinfo->evtchn_mask[0] = 1ull << p;
    hypercall2(__HYPERVISOR_event_channel_op, EVTCHNOP_send, STACK_VA);
    ck_assert(pending(p));
    ck_assert(!shinfo->vcpu_info[1].evtchn_upcall_pending);
    struct evtchn_unmask u = { .port = p };
    ck_assert_int_eq(copy_to_guest(STACK_VA, &u, sizeof(u)), 0);
    hypercall2(__HYPERVISOR_event_channel_op, EVTCHNOP_unmask, STACK_VA);
    ck_assert(shinfo->vcpu_info[1].evtchn_upcall_pending);
    ck_assert(spin_is_mine_as(&pv_big_lock, OTHER_CPU));
}
END_TEST

/* A send to a backend's port needs the PV lock: taken for the rest of the
 * entry, released on the way out. */
static unsigned backend_calls;
static void backend(evtchn_port_t port)
{
    (void)port;
    ck_assert(spin_is_mine(&pv_big_lock));
    backend_calls++;
}

START_TEST(send_to_backend_takes_lock)
{
    evtchn_init();
    backend_calls = 0;
    evtchn_port_t p = evtchn_bind_backend(backend);
    struct evtchn_send s = { .port = p };
    ck_assert_int_eq(copy_to_guest(STACK_VA, &s, sizeof(s)), 0);
    hypercall2(__HYPERVISOR_event_channel_op, EVTCHNOP_send, STACK_VA);
    ck_assert_int_eq((long)regs.rax, 0);
    ck_assert_uint_eq(backend_calls, 1);
    ck_assert_uint_eq(pv_lock_counts[0][PV_SITE_HYPERCALL + __HYPERVISOR_event_channel_op]
                          .taken, 1);
    ck_assert(!spin_is_mine(&pv_big_lock));
}
END_TEST

/* A VIRQ port closed and its number bound again as an IPI: the VIRQ no
 * longer reaches it (the binding is checked again under the port's lock). */
START_TEST(virq_does_not_reach_a_rebound_port)
{
    evtchn_init();
    evtchn_port_t p = bind_virq(VIRQ_TIMER, 0);
    struct evtchn_close c = { .port = p };
    ck_assert_int_eq(copy_to_guest(STACK_VA, &c, sizeof(c)), 0);
    ck_assert_int_eq(do_event_channel_op(EVTCHNOP_close, STACK_VA), 0);
    ck_assert_uint_eq(bind_ipi(1), p);
    evtchn_send_virq(VIRQ_TIMER);
    ck_assert(!pending(p));
    ck_assert_uint_eq(fake_hw.kick_mask, 0);
}
END_TEST

/* xen_version: constants only, no lock. */
START_TEST(xen_version_runs_while_another_cpu_holds_lock)
{
    other_cpu_holds_lock();
    hypercall2(__HYPERVISOR_xen_version, XENVER_version, 0);
    ck_assert_uint_eq(regs.rax, (4 << 16) | 17);
    ck_assert_uint_eq(pv_lock_counts[0][PV_SITE_HYPERCALL + __HYPERVISOR_xen_version].lock_free, 1);
    ck_assert(spin_is_mine_as(&pv_big_lock, OTHER_CPU));
}
END_TEST

/* The timer interrupt while the guest ran: the vCPU's own timers fire
 * without the PV lock (VIRQ_TIMER delivered); any other timer takes it. */
static unsigned shared_fired;
static void shared_timer_fired(struct soft_timer *t, uint64_t now)
{
    (void)t;
    (void)now;
    ck_assert(spin_is_mine(&pv_big_lock));
    shared_fired++;
}

START_TEST(timer_interrupt_from_guest_is_lock_free)
{
    evtchn_init();
    pv_time_vcpu_init(&dom.vcpu[0]);
    soft_timer_set_lock(pv_timer_lock);
    evtchn_port_t p = bind_virq(VIRQ_TIMER, 0);
    fake_clock.now = 1000;
    pv_set_singleshot(2000);
    other_cpu_holds_lock();
    regs.vector = VECTOR_LAPIC_TIMER;
    ck_assert(pv_trap_lock(&regs));
    soft_timer_run(3000);
    guest_resume(&regs);
    pv_trap_unlock(&regs, true);
    ck_assert(pending(p));
    ck_assert_uint_eq(pv_lock_counts[0][PV_SITE_INTERRUPT].lock_free, 1);
    ck_assert_uint_eq(pv_lock_counts[0][PV_SITE_INTERRUPT].taken, 0);
    spin_unlock_as(&pv_big_lock, OTHER_CPU);

    /* A shared timer (a backend's) on this CPU: under the lock. */
    static struct soft_timer shared;
    shared_fired = 0;
    shared.fire = shared_timer_fired;
    soft_timer_arm(&shared, 4000);
    ck_assert(pv_trap_lock(&regs));
    soft_timer_run(5000);
    pv_trap_unlock(&regs, true);
    ck_assert_uint_eq(shared_fired, 1);
    ck_assert_uint_eq(pv_lock_counts[0][PV_SITE_INTERRUPT].taken, 1);
    ck_assert(!spin_is_mine(&pv_big_lock));
    soft_timer_set_lock(NULL);
}
END_TEST

/* Another CPU drops a reference (mm_mark_stale) just before this one's CR3 load. */
static void remote_mark_before_load(void)
{
    __atomic_fetch_or(&pv_mm.stale_tlb, 1ull << 0 | 1ull << 1, __ATOMIC_SEQ_CST);
}

START_TEST(mode_switch_keeps_a_stale_mark_made_before_its_load)
{
    other_cpu_holds_lock();
    pv_mm.stale_tlb = 1ull << 0;            /* stale before the switch */
    fake_hw.cr3_load_hook = remote_mark_before_load;
    regs.vector = ENTRY_SYSCALL;
    guest_syscall_enter(&regs);
    ck_assert_uint_eq(fake_hw.cr3_loads, 1);
    /* The mark after the bit was cleared survives: the next type change flushes this CPU. */
    ck_assert_uint_eq(pv_mm.stale_tlb & 1, 1);
    /* Without a mark in between, the load clears it. */
    fake_hw.cr3_load_hook = NULL;
    dom.vcpu[0].kernel_mode = false;
    guest_syscall_enter(&regs);
    ck_assert_uint_eq(pv_mm.stale_tlb, 1ull << 1);
}
END_TEST

static Suite *pv_lock_suite(void)
{
    Suite *s = suite_create("pv_lock");
    TCase *tc = tcase_create("lock-free");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, own_column);
    tcase_add_test(tc, user_syscall_runs_while_another_cpu_holds_lock);
    tcase_add_test(tc, plain_page_fault_bounces_while_another_cpu_holds_lock);
    tcase_add_test(tc, locked_entries_take_and_release_lock);
    tcase_add_test(tc, mode_switch_keeps_a_stale_mark_made_before_its_load);
    tcase_add_test(tc, singleshot_in_the_past_sends_virq_without_lock);
    tcase_add_test(tc, ipi_send_runs_while_another_cpu_holds_lock);
    tcase_add_test(tc, send_to_backend_takes_lock);
    tcase_add_test(tc, virq_does_not_reach_a_rebound_port);
    tcase_add_test(tc, xen_version_runs_while_another_cpu_holds_lock);
    tcase_add_test(tc, timer_interrupt_from_guest_is_lock_free);
    suite_add_tcase(s, tc);
    return s;
}
UNIT_SUITE(pv_lock_suite)
