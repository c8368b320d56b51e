/*
 * The PV layer's core against a simulated guest: event channels, bounce
 * frames, iret, callbacks, the hypercall table, timers and blocking.
 */
#include <string.h>
#include <stdlib.h>
#include "unit.h"
#include "fakes.h"
#include "domain.h"
#include "pv.h"
#include "hypercall.h"
#include "hypercalls.h"
#include "event_channel.h"
#include "time.h"
#include "abi_trace.h"
#include "services.h"
#include <pvshim/guest_entry.h>
#include <pvshim/soft_timer.h>
#include <pvshim/guest_access.h>
#include <pvshim/time.h>

#define STACK_VA    0x100000ull     /* guest kernel stack page */
#define USTACK_VA   0x200000ull
#define ARG_VA      0x300000ull     /* hypercall argument buffer */
#define HANDLER     0xffffffff81000000ull

static struct shared_info *shinfo;
static uint8_t *stack, *ustack, *args;
static struct cpu_regs regs;
static char io_out[4096];
static size_t io_len;

static void io_write(const char *s, size_t len)
{
    size_t room = sizeof(io_out) - io_len;
    memcpy(io_out + io_len, s, len < room ? len : room);
    io_len += len < room ? len : room;
}
static size_t io_read(char *buf, size_t len) { (void)buf; (void)len; return 0; }
static const struct xen_services test_services = {
    .name = "test", .console_io_write = io_write, .console_io_read = io_read,
};

static void setup(void)
{
    fake_guest_reset();
    fake_hw_reset();
    memset(&dom, 0, sizeof(dom));
    memset(&fake_clock, 0, sizeof(fake_clock));
    shinfo = calloc(1, PAGE_SIZE);
    stack = calloc(1, PAGE_SIZE);
    ustack = calloc(1, PAGE_SIZE);
    args = calloc(1, PAGE_SIZE);
    fake_guest_map(STACK_VA, stack, PAGE_SIZE);
    fake_guest_map(USTACK_VA, ustack, PAGE_SIZE);
    fake_guest_map(ARG_VA, args, PAGE_SIZE);
    dom.domid = 1;
    dom.shared_info = shinfo;
    dom.nr_vcpus = 1;
    dom.vcpu[0].initialised = dom.vcpu[0].up = dom.vcpu[0].loaded = true;   /* booted, running */
    dom.vcpu[0].vcpu_info = &shinfo->vcpu_info[0];
    dom.vcpu[0].vcpu_info_mfn = INVALID_MFN;
    dom.vcpu[0].kernel_mode = true;
    dom.vcpu[0].guest_table = 0x1234;
    dom.vcpu[0].guest_table_user = 0x5678;
    dom.vcpu[0].vcpu_info->evtchn_upcall_mask = 1;
    services = &test_services;
    io_len = 0;
    evtchn_init();
    memset(&regs, 0, sizeof(regs));
    regs.rip = 0xffffffff80001000ull;
    regs.cs = FLAT_KERNEL_CS64;
    regs.ss = FLAT_KERNEL_SS64;
    regs.rsp = STACK_VA + 0x800;
    regs.rflags = 0x202;
    regs.rcx = 0x1111;
    regs.r11 = 0x2222;
    guest_regs = &regs;
    soft_timer_init();
}

static void teardown(void)
{
    free(shinfo);
    free(stack);
    free(ustack);
    free(args);
}

static long hc(uint64_t op, uint64_t a0, uint64_t a1, uint64_t a2)
{
    regs.rax = op;
    regs.rdi = a0;
    regs.rsi = a1;
    regs.rdx = a2;
    pv_lock();          /* as the arch layer's entry path holds it */
    guest_syscall(&regs);
    pv_unlock();
    return (long)regs.rax;
}

static uint64_t stack_word(uint64_t va)
{
    uint64_t v;
    ck_assert_int_eq(copy_from_guest(&v, va, 8), 0);
    return v;
}

/* ------------------------------------------------------------ events */

START_TEST(evtchn_virq_delivery)
{
    struct evtchn_bind_virq *b = (void *)args;
    b->virq = VIRQ_TIMER;
    b->vcpu = 0;
    ck_assert_int_eq(hc(__HYPERVISOR_event_channel_op, EVTCHNOP_bind_virq, ARG_VA, 0), 0);
    evtchn_port_t port = b->port;
    ck_assert_uint_ne(port, 0);
    /* Bound twice: -EEXIST; other vCPU: -ENOENT; bad virq: -EINVAL. */
    ck_assert_int_eq(hc(__HYPERVISOR_event_channel_op, EVTCHNOP_bind_virq, ARG_VA, 0), -XEN_EEXIST);
    b->virq = VIRQ_DEBUG;
    b->vcpu = 1;
    ck_assert_int_eq(hc(__HYPERVISOR_event_channel_op, EVTCHNOP_bind_virq, ARG_VA, 0), -XEN_ENOENT);
    b->virq = NR_VIRQS;
    b->vcpu = 0;
    ck_assert_int_eq(hc(__HYPERVISOR_event_channel_op, EVTCHNOP_bind_virq, ARG_VA, 0), -XEN_EINVAL);

    evtchn_send_virq(VIRQ_TIMER);
    ck_assert(shinfo->evtchn_pending[port / 64] & (1ull << (port % 64)));
    ck_assert(shinfo->vcpu_info[0].evtchn_pending_sel & (1ull << (port / 64)));
    ck_assert_int_eq(shinfo->vcpu_info[0].evtchn_upcall_pending, 1);
}
END_TEST

START_TEST(evtchn_mask_unmask)
{
    struct evtchn_bind_ipi *b = (void *)args;
    b->vcpu = 0;
    ck_assert_int_eq(hc(__HYPERVISOR_event_channel_op, EVTCHNOP_bind_ipi, ARG_VA, 0), 0);
    evtchn_port_t port = b->port;
    shinfo->evtchn_mask[0] |= 1ull << port;
    struct evtchn_send *s = (void *)args;
    s->port = port;
    ck_assert_int_eq(hc(__HYPERVISOR_event_channel_op, EVTCHNOP_send, ARG_VA, 0), 0);
    ck_assert(shinfo->evtchn_pending[0] & (1ull << port));
    ck_assert_int_eq(shinfo->vcpu_info[0].evtchn_upcall_pending, 0);   /* masked */
    struct evtchn_unmask *u = (void *)args;
    u->port = port;
    ck_assert_int_eq(hc(__HYPERVISOR_event_channel_op, EVTCHNOP_unmask, ARG_VA, 0), 0);
    ck_assert_int_eq(shinfo->vcpu_info[0].evtchn_upcall_pending, 1);
    ck_assert(!(shinfo->evtchn_mask[0] & (1ull << port)));
}
END_TEST

START_TEST(evtchn_close_status_and_errors)
{
    struct evtchn_alloc_unbound *a = (void *)args;
    a->dom = DOMID_SELF;
    a->remote_dom = 0;
    ck_assert_int_eq(hc(__HYPERVISOR_event_channel_op, EVTCHNOP_alloc_unbound, ARG_VA, 0), 0);
    evtchn_port_t port = a->port;
    struct evtchn_status *st = (void *)args;
    memset(st, 0, sizeof(*st));
    st->dom = DOMID_SELF;
    st->port = port;
    ck_assert_int_eq(hc(__HYPERVISOR_event_channel_op, EVTCHNOP_status, ARG_VA, 0), 0);
    ck_assert_int_eq(st->status, EVTCHNSTAT_unbound);
    /* Sending on an unbound port is dropped, not an error. */
    struct evtchn_send *s = (void *)args;
    s->port = port;
    ck_assert_int_eq(hc(__HYPERVISOR_event_channel_op, EVTCHNOP_send, ARG_VA, 0), 0);
    struct evtchn_close *c = (void *)args;
    c->port = port;
    ck_assert_int_eq(hc(__HYPERVISOR_event_channel_op, EVTCHNOP_close, ARG_VA, 0), 0);
    ck_assert_int_eq(hc(__HYPERVISOR_event_channel_op, EVTCHNOP_close, ARG_VA, 0), -XEN_EINVAL);
    c->port = 0;
    ck_assert_int_eq(hc(__HYPERVISOR_event_channel_op, EVTCHNOP_close, ARG_VA, 0), -XEN_EINVAL);
    c->port = 0x7fffffff;
    ck_assert_int_eq(hc(__HYPERVISOR_event_channel_op, EVTCHNOP_close, ARG_VA, 0), -XEN_EINVAL);
    s->port = 0xffffffff;
    ck_assert_int_eq(hc(__HYPERVISOR_event_channel_op, EVTCHNOP_send, ARG_VA, 0), -XEN_EINVAL);
    /* Bad argument pointers. */
    ck_assert_int_eq(hc(__HYPERVISOR_event_channel_op, EVTCHNOP_send, 0xdead000, 0), -XEN_EFAULT);
    ck_assert_int_eq(hc(__HYPERVISOR_event_channel_op, EVTCHNOP_send, 0xffff800000000000ull, 0),
                     -XEN_EFAULT);
    /* An unknown sub-op; set_priority on a 2-level domain (test_evtchn_fifo.c has FIFO). */
    ck_assert_int_eq(hc(__HYPERVISOR_event_channel_op, 99, ARG_VA, 0), -XEN_ENOSYS);
    struct evtchn_set_priority *sp = (void *)args;
    sp->port = 1;
    sp->priority = 0;
    ck_assert_int_eq(hc(__HYPERVISOR_event_channel_op, EVTCHNOP_set_priority, ARG_VA, 0),
                     -XEN_ENOSYS);
}
END_TEST

static int backend_calls;
static void backend(evtchn_port_t p) { (void)p; backend_calls++; }

START_TEST(evtchn_backend_and_exhaustion)
{
    evtchn_port_t p = evtchn_bind_backend(backend);
    ck_assert_uint_ne(p, 0);
    struct evtchn_send *s = (void *)args;
    s->port = p;
    ck_assert_int_eq(hc(__HYPERVISOR_event_channel_op, EVTCHNOP_send, ARG_VA, 0), 0);
    ck_assert_int_eq(backend_calls, 1);
    /* Reset keeps the backend channels; a guest cannot unplug its console. */
    struct evtchn_reset *r = (void *)args;
    r->dom = DOMID_SELF;
    ck_assert_int_eq(hc(__HYPERVISOR_event_channel_op, EVTCHNOP_reset, ARG_VA, 0), 0);
    s->port = p;
    ck_assert_int_eq(hc(__HYPERVISOR_event_channel_op, EVTCHNOP_send, ARG_VA, 0), 0);
    ck_assert_int_eq(backend_calls, 2);
    /* Fill every port: then -ENOSPC. */
    struct evtchn_bind_ipi *b = (void *)args;
    long rc = 0;
    int n = 0;
    while (n < EVTCHN_PORTS + 5) {
        b->vcpu = 0;
        rc = hc(__HYPERVISOR_event_channel_op, EVTCHNOP_bind_ipi, ARG_VA, 0);
        if (rc)
            break;
        n++;
    }
    ck_assert_int_eq(rc, -XEN_ENOSPC);
    ck_assert_int_eq(n, EVTCHN_PORTS - 2);      /* minus port 0 and the backend */
}
END_TEST

/* ------------------------------------------------------------ bounce, iret */

START_TEST(bounce_exception_from_kernel)
{
    current->trap_ctxt[TRAP_gp_fault].address = HANDLER;
    current->trap_ctxt[TRAP_gp_fault].flags = 0;
    shinfo->vcpu_info[0].evtchn_upcall_mask = 0;
    regs.vector = TRAP_gp_fault;
    regs.error_code = 0x18;
    uint64_t old_rsp = regs.rsp, old_rip = regs.rip;
    guest_exception(&regs);
    /* Frame: RCX, R11, error, RIP, CS|mask<<32, RFLAGS, RSP, SS. */
    uint64_t f = regs.rsp;
    ck_assert_uint_eq(f, ((old_rsp & ~15ull) - 8 * 8));
    ck_assert_uint_eq(stack_word(f), 0x1111);
    ck_assert_uint_eq(stack_word(f + 8), 0x2222);
    ck_assert_uint_eq(stack_word(f + 16), 0x18);
    ck_assert_uint_eq(stack_word(f + 24), old_rip);
    ck_assert_uint_eq(stack_word(f + 32), FLAT_KERNEL_CS64 & ~3u);  /* kernel context: RPL 0 */
    ck_assert_uint_eq(stack_word(f + 40) & X86_EFLAGS_IF, X86_EFLAGS_IF);
    ck_assert_uint_eq(stack_word(f + 48), old_rsp);
    ck_assert_uint_eq(stack_word(f + 56), FLAT_KERNEL_SS64);
    ck_assert_uint_eq(regs.rip, HANDLER);
    ck_assert_uint_eq(regs.cs, FLAT_KERNEL_CS64);
    ck_assert_int_eq(shinfo->vcpu_info[0].evtchn_upcall_mask, 0);   /* trap gate */
}
END_TEST

START_TEST(bounce_interrupt_gate_masks_and_saves_mask)
{
    current->trap_ctxt[TRAP_int3].address = HANDLER;
    current->trap_ctxt[TRAP_int3].flags = 4 | 3;
    shinfo->vcpu_info[0].evtchn_upcall_mask = 1;
    regs.vector = TRAP_int3;
    guest_exception(&regs);
    uint64_t f = regs.rsp;
    ck_assert_uint_eq(stack_word(f + 24) >> 32, 1);     /* saved mask in CS bits 32-39 */
    ck_assert_uint_eq(stack_word(f + 32) & X86_EFLAGS_IF, 0);
    ck_assert_int_eq(shinfo->vcpu_info[0].evtchn_upcall_mask, 1);
}
END_TEST

START_TEST(bounce_from_user_switches_stack_and_tables)
{
    current->trap_ctxt[TRAP_page_fault].address = HANDLER;
    current->kernel_mode = false;
    current->kernel_sp = STACK_VA + 0x1000;
    regs.cs = 0x33;
    regs.ss = 0x2b;
    regs.rsp = USTACK_VA + 0x500;
    regs.vector = TRAP_page_fault;
    regs.error_code = 0x6;      /* user write, not present */
    fake_hw.cr2 = 0x4242;
    guest_exception(&regs);
    ck_assert(current->kernel_mode);
    ck_assert_uint_eq(fake_hw.cr3, 0x1234ull << 12);
    uint64_t f = regs.rsp;
    ck_assert_uint_eq(f, STACK_VA + 0x1000 - 8 * 8);
    ck_assert_uint_eq(stack_word(f + 16), 0x6);           /* user bit kept: user mode */
    ck_assert_uint_eq(stack_word(f + 32) & 0xffff, 0x33);   /* user CS unchanged */
    ck_assert_uint_eq(stack_word(f + 48), USTACK_VA + 0x500);
    ck_assert_uint_eq(shinfo->vcpu_info[0].arch.cr2, 0x4242);
}
END_TEST

START_TEST(page_fault_error_code_in_kernel_mode)
{
    current->trap_ctxt[TRAP_page_fault].address = HANDLER;
    regs.vector = TRAP_page_fault;
    regs.error_code = 0x7;      /* hardware always says user */
    guest_exception(&regs);
    ck_assert_uint_eq(stack_word(regs.rsp + 16), 0x3);
}
END_TEST

START_TEST(tcg_smap_iretq_emulated)
{
    /* The guest's iretq at ARG_VA+0x900 faults as a supervisor read (QEMU TCG, SMAP). */
    fake_hw.smap = true;
    args[0x900] = 0x48;
    args[0x901] = 0xcf;
    uint64_t frame[5] = { 0xffffffff80005000ull, 0xe033, 0x286 | (3 << 12), STACK_VA + 0x700, 0xe02b };
    regs.rsp = STACK_VA + 0x400;
    ck_assert_int_eq(copy_to_guest(regs.rsp, frame, sizeof(frame)), 0);
    regs.rip = ARG_VA + 0x900;
    regs.vector = TRAP_page_fault;
    regs.error_code = 1;            /* present, read, supervisor */
    regs.rflags = 0x202;
    fake_hw.cr2 = STACK_VA + 0x400;
    guest_exception(&regs);
    ck_assert_uint_eq(regs.rip, 0xffffffff80005000ull);
    ck_assert_uint_eq(regs.rsp, STACK_VA + 0x700);
    ck_assert_uint_eq(regs.rflags & X86_EFLAGS_IF, X86_EFLAGS_IF);   /* IF cannot change */
    ck_assert_uint_eq(regs.rflags & X86_EFLAGS_IOPL, 0);             /* nor IOPL */
    ck_assert_uint_eq(regs.rflags & 0x80, 0x80);                     /* SF from the frame */
    /* A frame to ring 0 is not emulated: the guest gets its fault. */
    frame[1] = 0xe008;
    copy_to_guest(STACK_VA + 0x400, frame, sizeof(frame));
    current->trap_ctxt[TRAP_page_fault].address = HANDLER;
    regs.rip = ARG_VA + 0x900;
    regs.rsp = STACK_VA + 0x400;
    guest_exception(&regs);
    ck_assert_uint_eq(regs.rip, HANDLER);
}
END_TEST

START_TEST(no_handler_crashes_guest)
{
    regs.vector = TRAP_divide_error;
    guest_exception(&regs);
}
END_TEST

START_TEST(unwritable_stack_crashes_guest)
{
    current->trap_ctxt[TRAP_divide_error].address = HANDLER;
    regs.rsp = 0x7000000;   /* not mapped */
    regs.vector = TRAP_divide_error;
    guest_exception(&regs);
}
END_TEST

START_TEST(iret_to_user)
{
    /* iret_context at RSP: rax r11 rcx flags rip cs rflags rsp ss */
    uint64_t ctx[9] = { 0xaa, 0x3346, 0x77, 0, 0x400000, 0x33, 0x3246, USTACK_VA + 0x100, 0x2b };
    regs.rsp = STACK_VA + 0x200;
    ck_assert_int_eq(copy_to_guest(regs.rsp, ctx, sizeof(ctx)), 0);
    hc(__HYPERVISOR_iret, 0, 0, 0);
    ck_assert_uint_eq(regs.rax, 0xaa);
    ck_assert_uint_eq(regs.rip, 0x400000);
    ck_assert_uint_eq(regs.cs, 0x33);
    ck_assert_uint_eq(regs.rsp, USTACK_VA + 0x100);
    ck_assert_uint_eq(regs.rcx, 0x77);
    ck_assert_uint_eq(regs.r11, 0x3346);
    ck_assert_uint_eq(regs.rflags & X86_EFLAGS_IOPL, 0);    /* never real IOPL */
    ck_assert_uint_eq(regs.rflags & X86_EFLAGS_IF, X86_EFLAGS_IF);
    ck_assert(!current->kernel_mode);
    ck_assert_uint_eq(fake_hw.cr3, 0x5678ull << 12);
    ck_assert_int_eq(shinfo->vcpu_info[0].evtchn_upcall_mask, 0);
}
END_TEST

START_TEST(iret_in_syscall_and_forced_rpl)
{
    uint64_t ctx[9] = { 1, 2, 3, VGCF_in_syscall, 0xffffffff80002000ull, 0xe030, 0x046,
                        STACK_VA + 0x300, 0xe028 };
    regs.rsp = STACK_VA + 0x200;
    ck_assert_int_eq(copy_to_guest(regs.rsp, ctx, sizeof(ctx)), 0);
    regs.rcx = 0x5555;
    hc(__HYPERVISOR_iret, 0, 0, 0);
    ck_assert_uint_eq(regs.cs, 0xe033);
    ck_assert_uint_eq(regs.ss, 0xe02b);
    ck_assert(current->kernel_mode);
    /* in_syscall: not from the frame, but as Xen's SYSRET leaves them:
     * RCX = RIP, R11 = RFLAGS. */
    ck_assert_uint_eq(regs.rcx, 0xffffffff80002000ull);
    ck_assert_uint_eq(regs.r11, regs.rflags);
    ck_assert_uint_eq(regs.r11, 0x046 | X86_EFLAGS_IF);
    /* IF clear in the frame: events masked. */
    ck_assert_int_eq(shinfo->vcpu_info[0].evtchn_upcall_mask, 1);
}
END_TEST

START_TEST(iret_to_user_without_user_tables_crashes)
{
    current->guest_table_user = INVALID_MFN;
    uint64_t ctx[9] = { 0, 0, 0, 0, 0x400000, 0x33, 0x202, USTACK_VA, 0x2b };
    regs.rsp = STACK_VA + 0x200;
    copy_to_guest(regs.rsp, ctx, sizeof(ctx));
    hc(__HYPERVISOR_iret, 0, 0, 0);
}
END_TEST

START_TEST(event_upcall_on_resume)
{
    current->event_callback = HANDLER + 0x100;
    shinfo->vcpu_info[0].evtchn_upcall_pending = 1;
    shinfo->vcpu_info[0].evtchn_upcall_mask = 1;
    uint64_t rip = regs.rip;
    guest_resume(&regs);
    ck_assert_uint_eq(regs.rip, rip);       /* masked: nothing */
    shinfo->vcpu_info[0].evtchn_upcall_mask = 0;
    guest_resume(&regs);
    ck_assert_uint_eq(regs.rip, HANDLER + 0x100);
    ck_assert_int_eq(shinfo->vcpu_info[0].evtchn_upcall_mask, 1);
    ck_assert_uint_eq(stack_word(regs.rsp + 16), rip);     /* no error code slot */
}
END_TEST

START_TEST(user_syscall_goes_to_callback)
{
    current->syscall_callback = HANDLER + 0x200;
    current->syscall_disables_events = true;
    current->kernel_mode = false;
    current->kernel_sp = STACK_VA + 0x1000;
    shinfo->vcpu_info[0].evtchn_upcall_mask = 0;
    regs.cs = 0xe033;
    regs.rsp = USTACK_VA + 0x80;
    regs.rip = 0x401000;
    regs.rcx = 0x401000;
    regs.vector = ENTRY_SYSCALL;
    regs.rax = 39;      /* a system call number, not a hypercall */
    guest_syscall(&regs);
    ck_assert_uint_eq(regs.rip, HANDLER + 0x200);
    ck_assert_uint_eq(regs.rax, 39);
    ck_assert_int_eq(shinfo->vcpu_info[0].evtchn_upcall_mask, 1);
    ck_assert_uint_eq(stack_word(regs.rsp), 0x401000);     /* RCX */
}
END_TEST

START_TEST(callbacks_register)
{
    struct callback_register *cb = (void *)args;
    cb->type = CALLBACKTYPE_event;
    cb->flags = 0;
    cb->address = HANDLER;
    ck_assert_int_eq(hc(__HYPERVISOR_callback_op, CALLBACKOP_register, ARG_VA, 0), 0);
    ck_assert_uint_eq(current->event_callback, HANDLER);
    cb->type = CALLBACKTYPE_failsafe;
    cb->flags = CALLBACKF_mask_events;
    ck_assert_int_eq(hc(__HYPERVISOR_callback_op, CALLBACKOP_register, ARG_VA, 0), 0);
    ck_assert(current->failsafe_disables_events);
    cb->address = 0x0000800000000000ull;    /* non-canonical */
    ck_assert_int_eq(hc(__HYPERVISOR_callback_op, CALLBACKOP_register, ARG_VA, 0), -XEN_EINVAL);
    cb->address = HANDLER;
    cb->type = 99;
    ck_assert_int_eq(hc(__HYPERVISOR_callback_op, CALLBACKOP_register, ARG_VA, 0), -XEN_ENOSYS);
    struct callback_unregister *un = (void *)args;
    un->type = CALLBACKTYPE_event;
    ck_assert_int_eq(hc(__HYPERVISOR_callback_op, CALLBACKOP_unregister, ARG_VA, 0), -XEN_EINVAL);
}
END_TEST

/* ------------------------------------------------------------ hypercalls */

START_TEST(hypercall_table_edges)
{
    ck_assert_int_eq(hc(11, 0, 0, 0), -XEN_ENOSYS);
    ck_assert_int_eq(hc(1000, 0, 0, 0), -XEN_ENOSYS);
    ck_assert_int_eq(hc(~0ull, 0, 0, 0), -XEN_ENOSYS);
    ck_assert_int_eq(hc(__HYPERVISOR_xen_version, XENVER_version, 0, 0), 0x40011);
    ck_assert_int_eq(hc(__HYPERVISOR_xen_version, 9999, 0, 0), -XEN_ENOSYS);
    ck_assert_int_eq(hc(__HYPERVISOR_xen_version, XENVER_extraversion, 0x1000, 0), -XEN_EFAULT);
    /* 32-bit counts are truncated as Xen's prototypes do: vm_assist type 2 + 2^32. */
    ck_assert_int_eq(hc(__HYPERVISOR_vm_assist, VMASST_CMD_enable,
                        (1ull << 32) | VMASST_TYPE_writable_pagetables, 0), 0);
    ck_assert(dom.vm_assist & (1ul << VMASST_TYPE_writable_pagetables));
    ck_assert_int_eq(hc(__HYPERVISOR_vm_assist, VMASST_CMD_enable, 17, 0), -XEN_EINVAL);
    ck_assert_int_eq(hc(__HYPERVISOR_vm_assist, 7, VMASST_TYPE_writable_pagetables, 0), -XEN_ENOSYS);
}
END_TEST

/* fuzz hypercall, vcpu-info-misaligned: a vcpu_info at an odd offset would
 * have pvshim update its words misaligned; refused before any frame is taken. */
START_TEST(register_vcpu_info_alignment)
{
    struct vcpu_register_vcpu_info *info = (void *)args;
    info->mfn = 0x42;
    info->offset = 0xe6;
    ck_assert_int_eq(hc(__HYPERVISOR_vcpu_op, VCPUOP_register_vcpu_info, 0, ARG_VA), -XEN_ENXIO);
    info->offset = PAGE_SIZE - sizeof(struct vcpu_info) + 8;
    ck_assert_int_eq(hc(__HYPERVISOR_vcpu_op, VCPUOP_register_vcpu_info, 0, ARG_VA), -XEN_EINVAL);
    ck_assert_uint_eq(current->vcpu_info_mfn, INVALID_MFN);
}
END_TEST

START_TEST(console_io_write_and_errors)
{
    memcpy(args, "hello from the guest\n", 21);
    ck_assert_int_eq(hc(__HYPERVISOR_console_io, CONSOLEIO_write, 21, ARG_VA), 0);
    ck_assert_int_eq(io_len, 21);
    ck_assert(!memcmp(io_out, "hello from the guest\n", 21));
    /* Running off the mapped buffer. */
    ck_assert_int_eq(hc(__HYPERVISOR_console_io, CONSOLEIO_write, PAGE_SIZE + 1, ARG_VA),
                     -XEN_EFAULT);
    ck_assert_int_eq(hc(__HYPERVISOR_console_io, 77, 1, ARG_VA), -XEN_ENOSYS);
}
END_TEST

START_TEST(multicall_results_and_nesting)
{
    struct multicall_entry *mc = (void *)args;
    mc[0].op = __HYPERVISOR_xen_version;
    mc[0].args[0] = XENVER_version;
    mc[1].op = __HYPERVISOR_multicall;          /* nested */
    mc[1].args[0] = ARG_VA;
    mc[1].args[1] = 1;
    mc[2].op = 55;                              /* no such hypercall */
    ck_assert_int_eq(hc(__HYPERVISOR_multicall, ARG_VA, 3, 0), 0);
    ck_assert_int_eq((long)mc[0].result, 0x40011);
    ck_assert_int_eq((long)mc[1].result, -XEN_EINVAL);
    ck_assert_int_eq((long)mc[2].result, -XEN_ENOSYS);
    ck_assert_int_eq(hc(__HYPERVISOR_multicall, ARG_VA + PAGE_SIZE - 32, 2, 0), -XEN_EFAULT);
}
END_TEST

/* An iret in a batch is performed and ends it: the multicall returns the
 * frame's RAX, which is also the iret entry's result; the rest is not run. */
START_TEST(multicall_iret_ends_batch)
{
    uint64_t ctx[9] = { 0x1e7, 2, 3, 0, 0x400000, 0x33, 0x3246, USTACK_VA + 0x100, 0x2b };
    regs.rsp = STACK_VA + 0x200;
    ck_assert_int_eq(copy_to_guest(regs.rsp, ctx, sizeof(ctx)), 0);
    struct multicall_entry *mc = (void *)args;
    mc[0].op = __HYPERVISOR_xen_version;
    mc[0].args[0] = XENVER_pagesize;
    mc[1].op = __HYPERVISOR_iret;
    mc[2].op = __HYPERVISOR_xen_version;
    mc[2].args[0] = XENVER_version;
    mc[2].result = 0x5555;
    ck_assert_int_eq(hc(__HYPERVISOR_multicall, ARG_VA, 3, 0), 0x1e7);
    ck_assert_int_eq((long)mc[0].result, 4096);
    ck_assert_int_eq((long)mc[1].result, 0x1e7);
    ck_assert_int_eq((long)mc[2].result, 0x5555);
    /* In user mode at the frame; a new multicall is not a nested one. */
    ck_assert(!current->kernel_mode);
    ck_assert_uint_eq(regs.rip, 0x400000);
    ck_assert_uint_eq(regs.rsp, USTACK_VA + 0x100);
    current->kernel_mode = true;
    ck_assert_int_eq(hc(__HYPERVISOR_multicall, ARG_VA, 1, 0), 0);
}
END_TEST

START_TEST(segment_bases_and_stack_switch)
{
    ck_assert_int_eq(hc(__HYPERVISOR_set_segment_base, SEGBASE_FS, 0x7000, 0), 0);
    ck_assert_uint_eq(fake_hw.fs_base, 0x7000);
    ck_assert_int_eq(hc(__HYPERVISOR_set_segment_base, SEGBASE_GS_USER, 0x8000, 0), 0);
    ck_assert_uint_eq(fake_hw.gs_inactive, 0x8000);
    ck_assert_int_eq(hc(__HYPERVISOR_set_segment_base, SEGBASE_GS_KERNEL, 0x9000, 0), 0);
    ck_assert_uint_eq(fake_hw.gs_base, 0x9000);
    ck_assert_int_eq(hc(__HYPERVISOR_set_segment_base, SEGBASE_FS, 0x0000900000000000ull, 0),
                     -XEN_EINVAL);
    ck_assert_int_eq(hc(__HYPERVISOR_set_segment_base, 9, 0, 0), -XEN_EINVAL);
    ck_assert_int_eq(hc(__HYPERVISOR_stack_switch, 0xe028, 0xabcd0, 0), 0);
    ck_assert_uint_eq(current->kernel_ss, 0xe02b);
    ck_assert_uint_eq(current->kernel_sp, 0xabcd0);
    ck_assert_int_eq(hc(__HYPERVISOR_fpu_taskswitch, 1, 0, 0), 0);
    ck_assert(fake_hw.ts && current->fpu_ts);
    /* The guest touching the FPU with TS set gets #NM once. */
    current->trap_ctxt[TRAP_no_device].address = HANDLER;
    regs.vector = TRAP_no_device;
    guest_exception(&regs);
    ck_assert_uint_eq(regs.rip, HANDLER);
    ck_assert(!fake_hw.ts && !current->fpu_ts);
}
END_TEST

START_TEST(set_trap_table_semantics)
{
    struct trap_info *t = (void *)args;
    t[0] = (struct trap_info){ .vector = 14, .flags = 4, .cs = 0, .address = HANDLER };
    t[1] = (struct trap_info){ .vector = 0x80, .flags = 3, .cs = 0, .address = HANDLER + 8 };
    t[2] = (struct trap_info){ .address = 0 };
    ck_assert_int_eq(hc(__HYPERVISOR_set_trap_table, ARG_VA, 0, 0), 0);
    ck_assert_uint_eq(current->trap_ctxt[14].address, HANDLER);
    ck_assert_uint_eq(current->trap_ctxt[0x80].flags, 3);
    /* `int $0x81` through a DPL-0 gate raises #GP; with a DPL-3 entry it becomes trap 0x81. */
    t[0] = (struct trap_info){ .vector = 0x81, .flags = 3, .address = HANDLER + 16 };
    t[1] = (struct trap_info){ .address = 0 };
    ck_assert_int_eq(hc(__HYPERVISOR_set_trap_table, ARG_VA, 0, 0), 0);
    args[0x800] = 0xcd;
    args[0x801] = 0x81;
    regs.rip = ARG_VA + 0x800;
    regs.vector = TRAP_gp_fault;
    regs.error_code = (0x81 << 4) | 2;      /* as QEMU reports it; the vector comes from the code */
    uint64_t rip = regs.rip;
    guest_exception(&regs);
    ck_assert_uint_eq(regs.rip, HANDLER + 16);
    ck_assert_uint_eq(stack_word(regs.rsp + 16), rip + 2);
    /* `int $0x80` arrives through its own gate and goes to the 0x80 entry. */
    regs.rsp = STACK_VA + 0x800;
    regs.rip = 0xffffffff80003002ull;
    guest_int80(&regs);
    ck_assert_uint_eq(regs.rip, HANDLER + 8);
    /* Non-canonical entry: -EINVAL, earlier entries kept. */
    t[0] = (struct trap_info){ .vector = 3, .address = HANDLER };
    t[1] = (struct trap_info){ .vector = 4, .address = 0x0000900000000000ull };
    ck_assert_int_eq(hc(__HYPERVISOR_set_trap_table, ARG_VA, 0, 0), -XEN_EINVAL);
    ck_assert_uint_eq(current->trap_ctxt[3].address, HANDLER);
    ck_assert_int_eq(hc(__HYPERVISOR_set_trap_table, 0x1000, 0, 0), -XEN_EFAULT);
    ck_assert_int_eq(hc(__HYPERVISOR_set_trap_table, 0, 0, 0), 0);    /* null clears */
    ck_assert_uint_eq(current->trap_ctxt[14].address, 0);
}
END_TEST

/* ------------------------------------------------------------ time */

START_TEST(singleshot_timer_fires_virq)
{
    fake_clock.now = 1000000;
    pv_time_init();
    ck_assert_uint_ne(shinfo->wc_version % 2, 1);
    ck_assert_uint_eq(shinfo->wc_sec, 1700000000u);
    struct evtchn_bind_virq *b = (void *)args;
    b->virq = VIRQ_TIMER;
    ck_assert_int_eq(hc(__HYPERVISOR_event_channel_op, EVTCHNOP_bind_virq, ARG_VA, 0), 0);
    ck_assert_int_eq(hc(__HYPERVISOR_vcpu_op, VCPUOP_stop_periodic_timer, 0, 0), 0);
    struct vcpu_set_singleshot_timer *t = (void *)args;
    t->timeout_abs_ns = now_ns() + 5000000;
    t->flags = VCPU_SSHOTTMR_future;
    ck_assert_int_eq(hc(__HYPERVISOR_vcpu_op, VCPUOP_set_singleshot_timer, 0, ARG_VA), 0);
    fake_clock_advance(4000000);
    ck_assert_int_eq(shinfo->vcpu_info[0].evtchn_upcall_pending, 0);
    fake_clock_advance(1000000);
    ck_assert_int_eq(shinfo->vcpu_info[0].evtchn_upcall_pending, 1);
    /* In the past, even with VCPU_SSHOTTMR_future: fires at once (Xen 4.17). */
    shinfo->vcpu_info[0].evtchn_upcall_pending = 0;
    shinfo->vcpu_info[0].evtchn_pending_sel = 0;
    shinfo->evtchn_pending[0] = 0;
    t->timeout_abs_ns = now_ns() - 1;
    ck_assert_int_eq(hc(__HYPERVISOR_vcpu_op, VCPUOP_set_singleshot_timer, 0, ARG_VA), 0);
    ck_assert_int_eq(shinfo->vcpu_info[0].evtchn_upcall_pending, 1);
    ck_assert_int_eq(hc(__HYPERVISOR_vcpu_op, VCPUOP_is_up, 0, 0), 1);
    ck_assert_int_eq(hc(__HYPERVISOR_vcpu_op, VCPUOP_is_up, 1, 0), -XEN_ENOENT);
    struct vcpu_set_periodic_timer *p = (void *)args;
    p->period_ns = 999999;
    ck_assert_int_eq(hc(__HYPERVISOR_vcpu_op, VCPUOP_set_periodic_timer, 0, ARG_VA), -XEN_EINVAL);
}
END_TEST

START_TEST(block_waits_for_timer_event)
{
    fake_clock.now = 1000;
    pv_time_init();
    struct evtchn_bind_virq *b = (void *)args;
    b->virq = VIRQ_TIMER;
    ck_assert_int_eq(hc(__HYPERVISOR_event_channel_op, EVTCHNOP_bind_virq, ARG_VA, 0), 0);
    ck_assert_int_eq(hc(__HYPERVISOR_vcpu_op, VCPUOP_stop_periodic_timer, 0, 0), 0);
    ck_assert_int_eq(hc(__HYPERVISOR_set_timer_op, now_ns() + 3000000, 0, 0), 0);
    uint64_t before = now_ns();
    ck_assert_int_eq(hc(__HYPERVISOR_sched_op, SCHEDOP_block, 0, 0), 0);
    ck_assert_uint_ge(now_ns() - before, 3000000);
    ck_assert_int_eq(shinfo->vcpu_info[0].evtchn_upcall_mask, 0);   /* block unmasks */
    ck_assert_int_eq(shinfo->vcpu_info[0].evtchn_upcall_pending, 1);
    /* The runstate saw a blocked stretch. */
    ck_assert_uint_ge(current->runstate.time[RUNSTATE_blocked], 3000000);
    /* Absurd set_timer_op timeouts become 100 ms. */
    ck_assert_int_eq(hc(__HYPERVISOR_set_timer_op, 1ull << 62, 0, 0), 0);
    ck_assert_uint_eq(current->singleshot_deadline, now_ns() + 100000000);
}
END_TEST

START_TEST(poll_times_out_and_sees_ports)
{
    fake_clock.now = 1000;
    pv_time_init();
    ck_assert_int_eq(hc(__HYPERVISOR_vcpu_op, VCPUOP_stop_periodic_timer, 0, 0), 0);
    struct evtchn_bind_ipi *b = (void *)args;
    b->vcpu = 0;
    ck_assert_int_eq(hc(__HYPERVISOR_event_channel_op, EVTCHNOP_bind_ipi, ARG_VA, 0), 0);
    evtchn_port_t port = b->port;
    evtchn_port_t *ports = (void *)(args + 0x100);
    ports[0] = port;
    struct sched_poll *sp = (void *)args;
    memset(sp, 0, sizeof(*sp));
    sp->ports.p = (void *)(uintptr_t)(ARG_VA + 0x100);
    sp->nr_ports = 1;
    sp->timeout = now_ns() + 2000000;
    uint64_t before = now_ns();
    ck_assert_int_eq(hc(__HYPERVISOR_sched_op, SCHEDOP_poll, ARG_VA, 0), 0);
    ck_assert_uint_ge(now_ns() - before, 2000000);
    evtchn_set_pending(port);
    sp->timeout = 0;
    ck_assert_int_eq(hc(__HYPERVISOR_sched_op, SCHEDOP_poll, ARG_VA, 0), 0);
    sp->nr_ports = 129;
    ck_assert_int_eq(hc(__HYPERVISOR_sched_op, SCHEDOP_poll, ARG_VA, 0), -XEN_EINVAL);
    sp->nr_ports = 1;
    ports[0] = 0x7fffffff;
    ck_assert_int_eq(hc(__HYPERVISOR_sched_op, SCHEDOP_poll, ARG_VA, 0), -XEN_EINVAL);
}
END_TEST

/* Xen refuses a period past STIME_DELTA_MAX (2^62 - 1 ns); pvshim took one,
 * and now plus ~0 wrapped to a deadline always past (pvhostile32 seed 7
 * read such a period from its M2P window). */
START_TEST(periodic_period_past_xen_limit_refused)
{
    fake_clock.now = 1000;
    pv_time_init();
    struct vcpu_set_periodic_timer *p = (void *)args;
    p->period_ns = ~0ull;
    ck_assert_int_eq(hc(__HYPERVISOR_vcpu_op, VCPUOP_set_periodic_timer, 0, ARG_VA), -XEN_EINVAL);
    p->period_ns = 1ull << 62;
    ck_assert_int_eq(hc(__HYPERVISOR_vcpu_op, VCPUOP_set_periodic_timer, 0, ARG_VA), -XEN_EINVAL);
    ck_assert_uint_eq(current->periodic_period, PV_DEFAULT_PERIOD_NS);
    p->period_ns = (1ull << 62) - 1;
    ck_assert_int_eq(hc(__HYPERVISOR_vcpu_op, VCPUOP_set_periodic_timer, 0, ARG_VA), 0);
    ck_assert_uint_eq(current->periodic_period, (1ull << 62) - 1);
}
END_TEST

/* A timer whose callback re-arms it in the past (here a periodic timer
 * whose next tick wraps) fires on every run, but the timers listed after
 * it still fire: SCHEDOP_poll's timeout ends the poll. (The fake clock
 * moves only to a deadline ahead, so the timeout here is already past.) */
START_TEST(poll_times_out_beside_a_timer_always_due)
{
    fake_clock.now = 1000;
    pv_time_init();
    /* Listed before the poll timeout, which is armed first by the poll. */
    pv_set_periodic(current, ~0ull);
    struct evtchn_bind_ipi *b = (void *)args;
    b->vcpu = 0;
    ck_assert_int_eq(hc(__HYPERVISOR_event_channel_op, EVTCHNOP_bind_ipi, ARG_VA, 0), 0);
    evtchn_port_t *ports = (void *)(args + 0x100);
    ports[0] = b->port;
    struct sched_poll *sp = (void *)args;
    memset(sp, 0, sizeof(*sp));
    sp->ports.p = (void *)(uintptr_t)(ARG_VA + 0x100);
    sp->nr_ports = 1;
    sp->timeout = 2;                    /* long past, as pvhostile32 asks */
    ck_assert_int_eq(hc(__HYPERVISOR_sched_op, SCHEDOP_poll, ARG_VA, 0), 0);
    ck_assert(current->periodic_timer.deadline != 0);  /* still due */
    pv_set_periodic(current, 0);
}
END_TEST

START_TEST(shutdown_poweroff_exits)
{
    struct sched_shutdown *sd = (void *)args;
    sd->reason = SHUTDOWN_poweroff;
    hc(__HYPERVISOR_sched_op, SCHEDOP_shutdown, ARG_VA, 0);
}
END_TEST

START_TEST(shutdown_crash_exits)
{
    hc(__HYPERVISOR_sched_op_compat, SCHEDOP_shutdown, SHUTDOWN_crash, 0);
}
END_TEST

/* Xen takes the reason as a byte, for both calls: 0x100 | poweroff is a poweroff. */
START_TEST(shutdown_compat_reason_is_a_byte)
{
    hc(__HYPERVISOR_sched_op_compat, SCHEDOP_shutdown, 0xdead0100 | SHUTDOWN_poweroff, 0);
}
END_TEST

START_TEST(shutdown_reason_is_a_byte)
{
    struct sched_shutdown *sd = (void *)args;
    sd->reason = 0x300 | SHUTDOWN_reboot;
    hc(__HYPERVISOR_sched_op, SCHEDOP_shutdown, ARG_VA, 0);
}
END_TEST

START_TEST(shutdown_reboot_exits)
{
    struct sched_shutdown *sd = (void *)args;
    sd->reason = SHUTDOWN_reboot;
    hc(__HYPERVISOR_sched_op, SCHEDOP_shutdown, ARG_VA, 0);
}
END_TEST

START_TEST(guest_watchdog_expires)
{
    fake_clock.now = 1000;
    pv_time_init();
    hc(__HYPERVISOR_vcpu_op, VCPUOP_stop_periodic_timer, 0, 0);
    struct sched_watchdog *wd = (void *)args;
    wd->id = 0;
    wd->timeout = 2;
    ck_assert_int_eq(hc(__HYPERVISOR_sched_op, SCHEDOP_watchdog, ARG_VA, 0), 1);
    wd->id = 0;
    ck_assert_int_eq(hc(__HYPERVISOR_sched_op, SCHEDOP_watchdog, ARG_VA, 0), 2);
    wd->id = 0;
    ck_assert_int_eq(hc(__HYPERVISOR_sched_op, SCHEDOP_watchdog, ARG_VA, 0), -XEN_ENOSPC);
    wd->id = 2;
    wd->timeout = 0;
    ck_assert_int_eq(hc(__HYPERVISOR_sched_op, SCHEDOP_watchdog, ARG_VA, 0), 0);
    wd->id = 3;
    ck_assert_int_eq(hc(__HYPERVISOR_sched_op, SCHEDOP_watchdog, ARG_VA, 0), -XEN_EINVAL);
    fake_clock_advance(3000000000ull);      /* watchdog 1 fires: the exit ends the test */
}
END_TEST

static Suite *pv_core_suite(void)
{
    Suite *s = suite_create("pv_core");
    TCase *tc = tcase_create("events");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, evtchn_virq_delivery);
    tcase_add_test(tc, evtchn_mask_unmask);
    tcase_add_test(tc, evtchn_close_status_and_errors);
    tcase_add_test(tc, evtchn_backend_and_exhaustion);
    suite_add_tcase(s, tc);

    tc = tcase_create("bounce");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, bounce_exception_from_kernel);
    tcase_add_test(tc, bounce_interrupt_gate_masks_and_saves_mask);
    tcase_add_test(tc, bounce_from_user_switches_stack_and_tables);
    tcase_add_test(tc, page_fault_error_code_in_kernel_mode);
    tcase_add_test(tc, tcg_smap_iretq_emulated);
    tcase_add_exit_test(tc, no_handler_crashes_guest, FAKE_EXIT_BASE + 2);
    tcase_add_exit_test(tc, unwritable_stack_crashes_guest, FAKE_EXIT_BASE + 2);
    tcase_add_test(tc, iret_to_user);
    tcase_add_test(tc, iret_in_syscall_and_forced_rpl);
    tcase_add_exit_test(tc, iret_to_user_without_user_tables_crashes, FAKE_EXIT_BASE + 2);
    tcase_add_test(tc, event_upcall_on_resume);
    tcase_add_test(tc, user_syscall_goes_to_callback);
    tcase_add_test(tc, callbacks_register);
    suite_add_tcase(s, tc);

    tc = tcase_create("hypercalls");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, hypercall_table_edges);
    tcase_add_test(tc, register_vcpu_info_alignment);
    tcase_add_test(tc, console_io_write_and_errors);
    tcase_add_test(tc, multicall_results_and_nesting);
    tcase_add_test(tc, multicall_iret_ends_batch);
    tcase_add_test(tc, segment_bases_and_stack_switch);
    tcase_add_test(tc, set_trap_table_semantics);
    suite_add_tcase(s, tc);

    tc = tcase_create("time-sched");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, singleshot_timer_fires_virq);
    tcase_add_test(tc, block_waits_for_timer_event);
    tcase_add_test(tc, poll_times_out_and_sees_ports);
    tcase_add_test(tc, periodic_period_past_xen_limit_refused);
    tcase_add_test(tc, poll_times_out_beside_a_timer_always_due);
    tcase_add_exit_test(tc, shutdown_poweroff_exits, FAKE_EXIT_BASE + 0);
    tcase_add_exit_test(tc, shutdown_crash_exits, FAKE_EXIT_BASE + 2);
    tcase_add_exit_test(tc, shutdown_reboot_exits, FAKE_EXIT_BASE + 1);
    tcase_add_exit_test(tc, shutdown_compat_reason_is_a_byte, FAKE_EXIT_BASE + 0);
    tcase_add_exit_test(tc, shutdown_reason_is_a_byte, FAKE_EXIT_BASE + 1);
    tcase_add_exit_test(tc, guest_watchdog_expires, FAKE_EXIT_BASE + 5);
    suite_add_tcase(s, tc);
    return s;
}
UNIT_SUITE(pv_core_suite)
