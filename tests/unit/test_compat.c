/*
 * The compat layer (pvops-compat/compat_*.c) against a simulated 32-bit
 * guest: the pv32 hypercall table and its argument widths, the structure
 * translations, 32-bit bounce frames and iret, and the 2-level event ABI
 * on the 32-bit shared_info. Tables of {input, expected} where one fits.
 */
#include <string.h>
#include <stdlib.h>
#include "unit.h"
#include "fakes.h"
#include "compat.h"
#include "pv.h"
#include "hypercall.h"
#include "hypercalls.h"
#include "event_channel.h"
#include "services.h"
#include <pvshim/guest_entry.h>
#include <pvshim/guest_access.h>
#include <pvshim/layout.h>
#include <pvshim/soft_timer.h>

#define STACK_VA    0x100000u       /* guest kernel stack page */
#define KSTACK_VA   0x180000u       /* kernel_sp for entries from ring 3 */
#define ARG_VA      0x300000u       /* hypercall argument buffer */
#define USER_CS     COMPAT_FLAT_RING3_CS
#define USER_SS     COMPAT_FLAT_RING3_SS

static uint8_t *shpage, *stack, *kstack, *args, *xlat_mem;
static struct cpu_regs regs;

static void io_write(const char *s, size_t len) { (void)s; (void)len; }
static size_t io_read(char *buf, size_t len) { (void)buf; (void)len; return 0; }
static const struct xen_services test_services = {
    .name = "test", .console_io_write = io_write, .console_io_read = io_read,
};

static struct shared_info_x86_32 *sh32(void) { return (void *)shpage; }
static struct vcpu_info_x86_32 *vi32(void) { return &sh32()->vcpu_info[0]; }

static void setup(void)
{
    fake_guest_reset();
    fake_hw_reset();
    memset(&dom, 0, sizeof(dom));
    shpage = calloc(1, PAGE_SIZE);
    stack = calloc(1, PAGE_SIZE);
    kstack = calloc(1, PAGE_SIZE);
    args = calloc(1, PAGE_SIZE);
    xlat_mem = calloc(COMPAT_XLAT_PAGES, PAGE_SIZE);
    fake_guest_map(STACK_VA, stack, PAGE_SIZE);
    fake_guest_map(KSTACK_VA, kstack, PAGE_SIZE);
    fake_guest_map(ARG_VA, args, PAGE_SIZE);
    fake_guest_map(COMPAT_XLAT_VIRT_START, xlat_mem, COMPAT_XLAT_PAGES * PAGE_SIZE);
    compat_xlat_init(COMPAT_XLAT_VIRT_START);
    dom.compat = true;
    dom.domid = 1;
    dom.shared_info = (struct shared_info *)shpage;
    dom.nr_vcpus = 1;
    dom.vcpu[0].vcpu_info = (struct vcpu_info *)vi32();
    dom.vcpu[0].vcpu_info_mfn = INVALID_MFN;
    dom.vcpu[0].initialised = dom.vcpu[0].up = dom.vcpu[0].loaded = true;   /* booted, running */
    dom.vcpu[0].kernel_mode = true;
    dom.vcpu[0].guest_table = 0x1234;
    vi32()->evtchn_upcall_mask = 1;
    services = &test_services;
    evtchn_init();
    memset(&regs, 0, sizeof(regs));
    regs.rip = 0xc0001000u;
    regs.cs = FLAT_RING1_CS_X86_32;
    regs.ss = FLAT_RING1_SS_X86_32;
    regs.rsp = STACK_VA + 0x800;
    regs.rflags = 0x202;
    guest_regs = &regs;
    this_pcpu()->curr = &dom.vcpu[0];
    soft_timer_init();
}

static void teardown(void)
{
    free(shpage);
    free(stack);
    free(kstack);
    free(args);
    free(xlat_mem);
}

/* `int $0x82` with EAX = op and EBX, ECX, EDX, ESI, EDI = a..e. */
static long int82(uint32_t op, uint32_t a, uint32_t b, uint32_t c, uint32_t d, uint32_t e)
{
    regs.rax = op;
    regs.rbx = a;
    regs.rcx = b;
    regs.rdx = c;
    regs.rsi = d;
    regs.rdi = e;
    regs.rip += COMPAT_INT82_LEN;
    guest_int82(&regs);
    return (int32_t)regs.rax;
}

static uint32_t word_at(uint32_t va)
{
    uint32_t v;
    ck_assert_int_eq(copy_from_guest(&v, va, 4), 0);
    return v;
}

/* ------------------------------------------------------------ the table */

/* Calls whose answer depends on the table alone (no guest memory). */
static const struct { uint32_t op, a, b; long rc; } table_cases[] = {
    { __HYPERVISOR_set_segment_base, 0, 0, -XEN_ENOSYS },       /* 64-bit only */
    { 60, 0, 0, -XEN_ENOSYS },                                  /* none */
    { 0xffffffffu, 0, 0, -XEN_ENOSYS },
    { __HYPERVISOR_xen_version, XENVER_pagesize, 0, PAGE_SIZE },
    { __HYPERVISOR_vm_assist, VMASST_CMD_enable, VMASST_TYPE_m2p_strict, -XEN_EINVAL },
    { __HYPERVISOR_vm_assist, VMASST_CMD_enable, VMASST_TYPE_pae_extended_cr3, 0 },
    { __HYPERVISOR_vm_assist, VMASST_CMD_enable, VMASST_TYPE_4gb_segments, 0 },
    { __HYPERVISOR_vcpu_op, VCPUOP_is_up, 0, 1 },
    { __HYPERVISOR_vcpu_op, VCPUOP_is_up, 1, -XEN_ENOENT },
    { __HYPERVISOR_vcpu_op, VCPUOP_initialise, 1, -XEN_ENOENT },
    { __HYPERVISOR_vcpu_op, VCPUOP_up, 31, -XEN_ENOENT },
    { __HYPERVISOR_fpu_taskswitch, 0, 0, 0 },
};

START_TEST(table_results)
{
    ck_assert_int_eq(int82(table_cases[_i].op, table_cases[_i].a, table_cases[_i].b, 0, 0, 0),
                     table_cases[_i].rc);
}
END_TEST

/* Only 32 bits of each register count: the upper halves are noise. */
START_TEST(upper_halves_ignored)
{
    regs.rax = 0xdead000000000000ull | __HYPERVISOR_xen_version;
    regs.rbx = 0xffffffff00000000ull | XENVER_pagesize;
    regs.rip += 2;
    guest_int82(&regs);
    ck_assert_uint_eq(regs.rax, PAGE_SIZE);
}
END_TEST

/* A 64-bit guest (ring 3) has no business with int $0x82: #GP as from the DPL-1 gate. */
START_TEST(int82_from_ring3_is_gp)
{
    dom.vcpu[0].trap_ctxt[TRAP_gp_fault] = (struct trap_info){
        .vector = 13, .cs = FLAT_RING1_CS_X86_32,
        .address = COMPAT_ENTRY(FLAT_RING1_CS_X86_32, 0xc0002000u) };
    dom.vcpu[0].kernel_sp = KSTACK_VA + 0x800;
    dom.vcpu[0].kernel_ss = FLAT_RING1_SS_X86_32;
    regs.cs = USER_CS;
    regs.ss = USER_SS;
    regs.rip = 0x08048002u;
    regs.rax = __HYPERVISOR_xen_version;
    guest_int82(&regs);
    ck_assert_uint_eq(regs.rip, 0xc0002000u);
    /* error code, EIP back at the int, CS, EFLAGS, ESP, SS */
    uint32_t sp = (uint32_t)regs.rsp;
    ck_assert_uint_eq(word_at(sp), (0x82 << 3) | 2);
    ck_assert_uint_eq(word_at(sp + 4), 0x08048000u);
}
END_TEST

/* ------------------------------------------------------- translations */

/* set_trap_table: 8-byte entries, selectors to RPL 1, kept as COMPAT_ENTRY. */
static const struct { uint16_t cs_in, cs_out; } selector_cases[] = {
    { 0x0060, 0x0061 },         /* RHEL5's __KERNEL_CS, RPL 0 */
    { 0xe019, 0xe019 },
    { 0xe018, 0xe019 },
    { 0x0063, 0x0063 },         /* RPL 3 stays */
};

START_TEST(trap_table_selectors)
{
    struct trap_info_x86_32 *t = (void *)args;
    t[0] = (struct trap_info_x86_32){ .vector = 14, .flags = 0,
                                      .cs = selector_cases[_i].cs_in, .address = 0xc0003000u };
    t[1] = (struct trap_info_x86_32){ .vector = 0x80, .flags = 3, .cs = 0xe019,
                                      .address = 0xc0003100u };
    t[2] = (struct trap_info_x86_32){ 0 };
    ck_assert_int_eq(int82(__HYPERVISOR_set_trap_table, ARG_VA, 0, 0, 0, 0), 0);
    const struct trap_info *pf = &dom.vcpu[0].trap_ctxt[14];
    ck_assert_uint_eq(pf->cs, selector_cases[_i].cs_out);
    ck_assert_uint_eq(pf->address, COMPAT_ENTRY(selector_cases[_i].cs_out, 0xc0003000u));
    ck_assert_uint_eq(dom.vcpu[0].trap_ctxt[0x80].flags, 3);
    /* A null list clears the table. */
    ck_assert_int_eq(int82(__HYPERVISOR_set_trap_table, 0, 0, 0, 0, 0), 0);
    ck_assert_uint_eq(dom.vcpu[0].trap_ctxt[14].address, 0);
}
END_TEST

/* callback_op register: 12-byte {type, flags, cs, eip}. */
static const struct { uint16_t type, flags; long rc; } callback_cases[] = {
    { CALLBACKTYPE_event, 0, 0 },
    { CALLBACKTYPE_failsafe, CALLBACKF_mask_events, 0 },
    { CALLBACKTYPE_syscall32, CALLBACKF_mask_events, 0 },
    { CALLBACKTYPE_sysenter, 0, 0 },
    { CALLBACKTYPE_nmi, 0, 0 },
    { CALLBACKTYPE_syscall, 0, -XEN_ENOSYS },       /* 64-bit only */
    { 3, 0, -XEN_ENOSYS },                          /* the deprecated sysenter */
    { 99, 0, -XEN_ENOSYS },
};

START_TEST(callback_register)
{
    struct compat_callback_register *c = (void *)args;
    *c = (struct compat_callback_register){ .type = callback_cases[_i].type,
                                            .flags = callback_cases[_i].flags,
                                            .cs = 0x60, .eip = 0xc0004000u };
    ck_assert_int_eq(int82(__HYPERVISOR_callback_op, CALLBACKOP_register, ARG_VA, 0, 0, 0),
                     callback_cases[_i].rc);
    struct pv_vcpu *v = &dom.vcpu[0];
    uint64_t want = COMPAT_ENTRY(0x61, 0xc0004000u);
    switch (callback_cases[_i].type) {
    case CALLBACKTYPE_event: ck_assert_uint_eq(v->event_callback, want); break;
    case CALLBACKTYPE_failsafe:
        ck_assert_uint_eq(v->failsafe_callback, want);
        ck_assert(v->failsafe_disables_events);
        break;
    case CALLBACKTYPE_syscall32:
        ck_assert_uint_eq(v->syscall32_callback, want);
        ck_assert(v->syscall32_disables_events);
        break;
    case CALLBACKTYPE_sysenter: ck_assert_uint_eq(v->sysenter_callback, want); break;
    case CALLBACKTYPE_nmi:
        ck_assert_uint_eq(v->nmi_callback, COMPAT_ENTRY(FLAT_RING1_CS_X86_32, 0xc0004000u));
        break;
    default:
        ck_assert_uint_eq(v->syscall_callback, 0);
    }
}
END_TEST

START_TEST(set_callbacks_four_registers)
{
    ck_assert_int_eq(int82(__HYPERVISOR_set_callbacks, 0xe019, 0xc0005000u, 0x60,
                           0xc0006000u, 0), 0);
    ck_assert_uint_eq(dom.vcpu[0].event_callback, COMPAT_ENTRY(0xe019, 0xc0005000u));
    ck_assert_uint_eq(dom.vcpu[0].failsafe_callback, COMPAT_ENTRY(0x61, 0xc0006000u));
}
END_TEST

START_TEST(platform_parameters_and_machphys)
{
    uint32_t *w = (void *)args;
    memset(args, 0xaa, 16);
    ck_assert_int_eq(int82(__HYPERVISOR_xen_version, XENVER_platform_parameters, ARG_VA, 0, 0,
                           0), 0);
    ck_assert_uint_eq(w[0], COMPAT_HV_VIRT_START);
    ck_assert_uint_eq(w[1], 0xaaaaaaaau);           /* 4 bytes, no more */
    memset(args, 0xaa, 16);
    ck_assert_int_eq(int82(__HYPERVISOR_memory_op, XENMEM_machphys_mapping, ARG_VA, 0, 0, 0), 0);
    ck_assert_uint_eq(w[0], 0xf5800000u);
    ck_assert_uint_eq(w[1], 0xffe00000u);
    ck_assert_uint_eq(w[2], 0x297ffffu);
    ck_assert_uint_eq(w[3], 0xaaaaaaaau);
}
END_TEST

/* XENFEAT_pae_pgdir_above_4gb only with VMASST pae_extended_cr3. */
START_TEST(features_follow_extended_cr3)
{
    uint32_t *fi = (void *)args;
    fi[0] = 0;
    ck_assert_int_eq(int82(__HYPERVISOR_xen_version, XENVER_get_features, ARG_VA, 0, 0, 0), 0);
    ck_assert(!(fi[1] & (1u << XENFEAT_pae_pgdir_above_4gb)));
    dom.vm_assist |= 1ul << VMASST_TYPE_pae_extended_cr3;
    ck_assert_int_eq(int82(__HYPERVISOR_xen_version, XENVER_get_features, ARG_VA, 0, 0, 0), 0);
    ck_assert(fi[1] & (1u << XENFEAT_pae_pgdir_above_4gb));
}
END_TEST

/* get_runstate_info: 44 bytes, nothing written past them. */
START_TEST(runstate_44_bytes)
{
    memset(args, 0xaa, 64);
    dom.vcpu[0].runstate.state = RUNSTATE_running;
    dom.vcpu[0].runstate.time[1] = 0x1122334455667788ull;
    ck_assert_int_eq(int82(__HYPERVISOR_vcpu_op, VCPUOP_get_runstate_info, 0, ARG_VA, 0, 0), 0);
    struct compat_vcpu_runstate_info *rs = (void *)args;
    ck_assert_int_eq(rs->state, RUNSTATE_running);
    ck_assert_uint_eq(rs->time[1], 0x1122334455667788ull);
    ck_assert_uint_eq(*(uint32_t *)(args + 44), 0xaaaaaaaau);
    /* The registered area gets the same layout. */
    uint32_t *reg = (void *)args;
    reg[0] = ARG_VA + 256;
    reg[1] = 0xdeadbeef;        /* the compat union's other half: not read */
    memset(args + 256, 0xaa, 64);
    ck_assert_int_eq(int82(__HYPERVISOR_vcpu_op, VCPUOP_register_runstate_memory_area, 0,
                           ARG_VA, 0, 0), 0);
    ck_assert_uint_eq(dom.vcpu[0].runstate_area, ARG_VA + 256);
    ck_assert_int_eq(((struct compat_vcpu_runstate_info *)(args + 256))->state, RUNSTATE_running);
    ck_assert_uint_eq(*(uint32_t *)(args + 256 + 44), 0xaaaaaaaau);
}
END_TEST

/*
 * VCPUOP_initialise reads the 2800-byte 32-bit context: refusals that come
 * before any reference is taken, in Xen's order (-EFAULT, -EEXIST, then
 * the context's own checks), vCPU 1 left uninitialised by each.
 */
static const struct { const char *what; unsigned vcpu; uint32_t eflags, ldt_base, ldt_ents,
                      gdt_ents; uint32_t at; long rc; } initialise_cases[] = {
    { "unreadable context", 1, 0x202, 0, 0, 0, ARG_VA + PAGE_SIZE - 2000, -XEN_EFAULT },
    { "vCPU 0 has one", 0, 0x202, 0, 0, 0, ARG_VA, -XEN_EEXIST },
    { "EFLAGS.VM", 1, 0x20202, 0, 0, 0, ARG_VA, -XEN_EINVAL },
    { "LDT base not page aligned", 1, 0x202, 0xc0000800u, 1, 0, ARG_VA, -XEN_EINVAL },
    { "LDT of 8193 entries", 1, 0x202, 0xc0000000u, 8193, 0, ARG_VA, -XEN_EINVAL },
    { "GDT past 14 frames", 1, 0x202, 0, 0, 14 * 512 + 1, ARG_VA, -XEN_EINVAL },
};

START_TEST(initialise_refusals)
{
    STATIC_ASSERT(sizeof(struct vcpu_guest_context_x86_32) <= PAGE_SIZE, "fits args");
    dom.nr_vcpus = 2;
    pv_vcpu_init(&dom.vcpu[1], 1);
    struct vcpu_guest_context_x86_32 *c = (void *)args;
    memset(c, 0, sizeof(*c));
    c->user_regs.cs = FLAT_RING1_CS_X86_32;
    c->user_regs.ss = c->kernel_ss = FLAT_RING1_SS_X86_32;
    c->user_regs.eflags = initialise_cases[_i].eflags;
    c->ldt_base = initialise_cases[_i].ldt_base;
    c->ldt_ents = initialise_cases[_i].ldt_ents;
    c->gdt_ents = initialise_cases[_i].gdt_ents;
    ck_assert_msg(int82(__HYPERVISOR_vcpu_op, VCPUOP_initialise, initialise_cases[_i].vcpu,
                        initialise_cases[_i].at, 0, 0) == initialise_cases[_i].rc,
                  "%s", initialise_cases[_i].what);
    ck_assert(!dom.vcpu[1].initialised);
}
END_TEST

/* A 12-byte {timeout, flags}: the deadline arrives whole. */
START_TEST(singleshot_12_bytes)
{
    struct compat_vcpu_set_singleshot_timer *t = (void *)args;
    t->timeout_abs_ns = 0x123456789abcull;
    t->flags = 0;
    ck_assert_int_eq(int82(__HYPERVISOR_vcpu_op, VCPUOP_set_singleshot_timer, 0, ARG_VA, 0, 0),
                     0);
    ck_assert_uint_eq(dom.vcpu[0].singleshot_deadline, 0x123456789abcull);
    /* set_timer_op: the deadline in two registers, low word first. */
    ck_assert_int_eq(int82(__HYPERVISOR_set_timer_op, 0x9abc0000u, 0x1234, 0, 0, 0), 0);
    ck_assert_uint_eq(dom.vcpu[0].singleshot_deadline, 0x12349abc0000ull);
}
END_TEST

/* multicall: 32-byte entries, 32-bit results, the pv32 table for each. */
START_TEST(multicall_entries)
{
    struct compat_multicall_entry *mc = (void *)args;
    memset(mc, 0, 3 * sizeof(*mc));
    mc[0].op = __HYPERVISOR_xen_version;
    mc[0].args[0] = XENVER_pagesize;
    mc[1].op = __HYPERVISOR_set_segment_base;
    mc[2].op = __HYPERVISOR_multicall;              /* nested: refused */
    ck_assert_int_eq(int82(__HYPERVISOR_multicall, ARG_VA, 3, 0, 0, 0), 0);
    ck_assert_uint_eq(mc[0].result, PAGE_SIZE);
    ck_assert_uint_eq(mc[1].result, (uint32_t)-XEN_ENOSYS);
    ck_assert_uint_eq(mc[2].result, (uint32_t)-XEN_EINVAL);
    ck_assert_int_eq(int82(__HYPERVISOR_multicall, 0xfff00000u, 1, 0, 0, 0), -XEN_EFAULT);
}
END_TEST

/* ------------------------------------------------------- bounce and iret */

/*
 * Exceptions into the kernel from ring 1 and ring 3, with and without an
 * error code and events masked or not: the 32-bit frame word by word.
 */
static const struct {
    bool from_user, has_error;
    uint8_t mask;
    unsigned words;
} bounce_cases[] = {
    { false, false, 1, 3 },
    { false, true, 0, 4 },
    { true, false, 0, 5 },
    { true, true, 1, 6 },
};

START_TEST(bounce_frames)
{
    struct pv_vcpu *v = &dom.vcpu[0];
    v->kernel_sp = KSTACK_VA + 0x800;
    v->kernel_ss = FLAT_RING1_SS_X86_32;
    vi32()->evtchn_upcall_mask = bounce_cases[_i].mask;
    if (bounce_cases[_i].from_user) {
        regs.cs = USER_CS;
        regs.ss = USER_SS;
        regs.rsp = 0xbffff000u;
        v->kernel_mode = false;
    }
    uint64_t entry = COMPAT_ENTRY(0xe019, 0xc0007000u);
    ck_assert_ptr_null(compat_bounce(&regs, entry, bounce_cases[_i].has_error, 0x5,
                                     true, NULL));
    uint32_t base = bounce_cases[_i].from_user ? KSTACK_VA + 0x800 : STACK_VA + 0x800;
    uint32_t sp = (uint32_t)regs.rsp;
    ck_assert_uint_eq(sp, base - 4 * bounce_cases[_i].words);
    unsigned i = 0;
    if (bounce_cases[_i].has_error)
        ck_assert_uint_eq(word_at(sp + 4 * i++), 5);
    ck_assert_uint_eq(word_at(sp + 4 * i++), 0xc0001000u);
    uint32_t cs = bounce_cases[_i].from_user ? USER_CS : FLAT_RING1_CS_X86_32;
    ck_assert_uint_eq(word_at(sp + 4 * i++), cs | ((uint32_t)bounce_cases[_i].mask << 16));
    ck_assert_uint_eq(word_at(sp + 4 * i++) & 0x200, bounce_cases[_i].mask ? 0 : 0x200);
    if (bounce_cases[_i].from_user) {
        ck_assert_uint_eq(word_at(sp + 4 * i++), 0xbffff000u);
        ck_assert_uint_eq(word_at(sp + 4 * i++), USER_SS);
    }
    ck_assert_uint_eq(regs.rip, 0xc0007000u);
    ck_assert_uint_eq(regs.cs, 0xe019);
    ck_assert_uint_eq(regs.ss, FLAT_RING1_SS_X86_32);
    ck_assert_int_eq(vi32()->evtchn_upcall_mask, 1);
    ck_assert(v->kernel_mode);
}
END_TEST

/* HYPERVISOR_iret: [EAX, EIP, CS, EFLAGS, (ESP, SS)] at ESP. */
static const struct { uint32_t cs, eflags; uint32_t esp_after; uint8_t mask; } iret_cases[] = {
    { 0xe019, 0x202, STACK_VA + 0x800 + 16, 0 },
    { 0xe019, 0x002, STACK_VA + 0x800 + 16, 1 },
    { USER_CS, 0x3202, 0xbfff0000u, 0 },            /* IOPL dropped */
};

START_TEST(iret_frames)
{
    uint32_t *f = (uint32_t *)(stack + 0x800);
    f[0] = 0x11111111;
    f[1] = 0xc0008000u;
    f[2] = iret_cases[_i].cs;
    f[3] = iret_cases[_i].eflags;
    f[4] = 0xbfff0000u;
    f[5] = USER_SS;
    ck_assert_int_eq((uint32_t)int82(__HYPERVISOR_iret, 0, 0, 0, 0, 0), 0x11111111u);
    ck_assert_uint_eq(regs.rip, 0xc0008000u);
    ck_assert_uint_eq(regs.cs, iret_cases[_i].cs);
    ck_assert_uint_eq(regs.rsp, iret_cases[_i].esp_after);
    ck_assert_uint_eq(regs.rflags & 0x3200, 0x200);
    ck_assert_int_eq(vi32()->evtchn_upcall_mask, iret_cases[_i].mask);
    ck_assert(dom.vcpu[0].kernel_mode == ((iret_cases[_i].cs & 3) == 1));
}
END_TEST

START_TEST(iret_to_ring0_crashes)
{
    uint32_t *f = (uint32_t *)(stack + 0x800);
    f[0] = 0;
    f[1] = 0xc0008000u;
    f[2] = 0xe018;
    f[3] = 0x202;
    int82(__HYPERVISOR_iret, 0, 0, 0, 0, 0);
}
END_TEST

/*
 * An iret to virtual-8086 mode: as on Xen, the #GP handler at kernel_sp -
 * 40 with error code 0 and the nine words after EAX (EIP CS EFLAGS ESP SS
 * ES DS FS GS) moved there; events masked when the handler's gate says so.
 */
START_TEST(iret_to_vm86_is_gp)
{
    struct pv_vcpu *v = &dom.vcpu[0];
    v->kernel_sp = KSTACK_VA + 0x800;
    v->kernel_ss = FLAT_RING1_SS_X86_32;
    v->trap_ctxt[TRAP_gp_fault] = (struct trap_info){ 13, 4, 0xe019, 0xc0009000u };
    v->kernel_mode = true;
    uint32_t *f = (uint32_t *)(stack + 0x800);
    static const uint32_t words[10] = { 0x33333333, 0x1234, 0x5678, 0x23202, 0x100,
                                        0x9abc, 1, 2, 3, 4 };
    memcpy(f, words, sizeof(words));
    vi32()->evtchn_upcall_mask = 0;
    ck_assert_int_eq((uint32_t)int82(__HYPERVISOR_iret, 0, 0, 0, 0, 0), 0x33333333u);
    ck_assert_uint_eq(regs.rip, 0xc0009000u);
    ck_assert_uint_eq(regs.cs, 0xe019);
    ck_assert_uint_eq(regs.ss, FLAT_RING1_SS_X86_32);
    ck_assert_uint_eq(regs.rsp, KSTACK_VA + 0x800 - 40);
    ck_assert_uint_eq(word_at(KSTACK_VA + 0x800 - 40), 0);
    for (unsigned i = 1; i < 10; i++)
        ck_assert_uint_eq(word_at(KSTACK_VA + 0x800 - 40 + 4 * i), words[i]);
    ck_assert_uint_eq(regs.rflags & (0x20000 | 0x3000 | 0x200), 0x200);
    ck_assert_int_eq(vi32()->evtchn_upcall_mask, 1);
    ck_assert(v->kernel_mode);
}
END_TEST

/* The frame cannot move (kernel_sp names nothing mapped): the guest is crashed. */
START_TEST(iret_to_vm86_unmapped_crashes)
{
    dom.vcpu[0].kernel_sp = 0x40000000u;
    uint32_t *f = (uint32_t *)(stack + 0x800);
    f[1] = 0x1234;
    f[2] = 0x5678;
    f[3] = 0x20202;
    int82(__HYPERVISOR_iret, 0, 0, 0, 0, 0);
}
END_TEST

/* ------------------------------------------------------- events */

/* Port 33: pending word 1 of 32 bits, selector bit 1 at byte 4 of vcpu_info. */
START_TEST(events_32bit_words)
{
    evtchn_port_t port = 0;
    for (unsigned i = 0; i < 40 && port < 33; i++) {
        struct evtchn_alloc_unbound *a = (void *)args;
        a->dom = DOMID_SELF;
        a->remote_dom = 0;
        ck_assert_int_eq(int82(__HYPERVISOR_event_channel_op, EVTCHNOP_alloc_unbound, ARG_VA,
                               0, 0, 0), 0);
        port = a->port;
    }
    ck_assert_uint_eq(port, 33);
    sh32()->evtchn_mask[1] = 1u << 1;
    evtchn_set_pending(port);
    ck_assert_uint_eq(sh32()->evtchn_pending[1], 1u << 1);
    ck_assert_uint_eq(vi32()->evtchn_pending_sel, 0);
    ck_assert_int_eq(vi32()->evtchn_upcall_pending, 0);
    struct evtchn_unmask *u = (void *)args;
    u->port = port;
    ck_assert_int_eq(int82(__HYPERVISOR_event_channel_op, EVTCHNOP_unmask, ARG_VA, 0, 0, 0), 0);
    ck_assert_uint_eq(vi32()->evtchn_pending_sel, 1u << 1);
    ck_assert_int_eq(vi32()->evtchn_upcall_pending, 1);
    /* Nothing landed where a 64-bit guest's words would be. */
    ck_assert_uint_eq(((struct shared_info *)shpage)->evtchn_mask[0] & ~0xffffffffull, 0);
}
END_TEST

START_TEST(cr2_and_wallclock_offsets)
{
    pv_set_guest_cr2(0x12345678u);
    ck_assert_uint_eq(vi32()->arch.cr2, 0x12345678u);
    compat_publish_wallclock(5000000000ull * 1000000000ull + 7);
    ck_assert_uint_eq(sh32()->wc_sec, (uint32_t)5000000000ull);
    ck_assert_uint_eq(sh32()->arch.wc_sec_hi, 1);
    ck_assert_uint_eq(sh32()->wc_nsec, 7);
    ck_assert_uint_eq(sh32()->wc_version, 2);
    compat_set_max_pfn(0x4000);
    ck_assert_uint_eq(sh32()->arch.max_pfn, 0x4000);
}
END_TEST

static Suite *compat_suite(void)
{
    Suite *s = suite_create("compat");
    TCase *tc = tcase_create("pv32");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_loop_test(tc, table_results, 0, (int)(sizeof(table_cases) / sizeof(table_cases[0])));
    tcase_add_test(tc, upper_halves_ignored);
    tcase_add_test(tc, int82_from_ring3_is_gp);
    tcase_add_loop_test(tc, trap_table_selectors, 0,
                        (int)(sizeof(selector_cases) / sizeof(selector_cases[0])));
    tcase_add_loop_test(tc, callback_register, 0,
                        (int)(sizeof(callback_cases) / sizeof(callback_cases[0])));
    tcase_add_test(tc, set_callbacks_four_registers);
    tcase_add_test(tc, platform_parameters_and_machphys);
    tcase_add_test(tc, features_follow_extended_cr3);
    tcase_add_test(tc, runstate_44_bytes);
    tcase_add_test(tc, singleshot_12_bytes);
    tcase_add_loop_test(tc, initialise_refusals, 0,
                        (int)(sizeof(initialise_cases) / sizeof(initialise_cases[0])));
    tcase_add_test(tc, multicall_entries);
    tcase_add_loop_test(tc, bounce_frames, 0, (int)(sizeof(bounce_cases) / sizeof(bounce_cases[0])));
    tcase_add_loop_test(tc, iret_frames, 0, (int)(sizeof(iret_cases) / sizeof(iret_cases[0])));
    tcase_add_exit_test(tc, iret_to_ring0_crashes, FAKE_EXIT_BASE + 2);
    tcase_add_test(tc, iret_to_vm86_is_gp);
    tcase_add_exit_test(tc, iret_to_vm86_unmapped_crashes, FAKE_EXIT_BASE + 2);
    tcase_add_test(tc, events_32bit_words);
    tcase_add_test(tc, cr2_and_wallclock_offsets);
    suite_add_tcase(s, tc);
    return s;
}

UNIT_SUITE(compat_suite)
