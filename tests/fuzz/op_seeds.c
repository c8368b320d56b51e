/*
 * Seed programs for the sequence harnesses, in their encodings
 * (fuzz_seeds.h, fuzz_mmu.c, fuzz_hypercall.c, fuzz_xenstore.c): the
 * operations of the unit tests' common paths, so fuzzing starts from
 * built and pinned page tables, descriptor tables and open connections.
 */
#include <string.h>
#include <stdint.h>
#include <pvshim/xen_abi.h>
#include "fuzz_seeds.h"

#define P_RW_US_A 0x27
#define P_US_A    0x25

struct buf { uint8_t b[4096]; size_t n; };
static void put(struct buf *s, const uint8_t *p, size_t n) { memcpy(s->b + s->n, p, n); s->n += n; }
#define PUT(s, ...) do { const uint8_t x_[] = { __VA_ARGS__ }; put(s, x_, sizeof(x_)); } while (0)
static void put16(struct buf *s, uint16_t v) { PUT(s, v & 0xff, v >> 8); }
static void put32(struct buf *s, uint32_t v) { put16(s, v & 0xffff); put16(s, v >> 16); }
static void put64(struct buf *s, uint64_t v) { put32(s, (uint32_t)v); put32(s, v >> 32); }

/* L4 pool frame 0 -> L3 1 -> L2 2 -> L1 3 mapping va byte `va` to `target`. */
static void build(struct buf *s, uint8_t va, uint8_t target, uint8_t flags)
{
    PUT(s, MOP_BUILD, MMU_POOL(0), va, MMU_POOL(1), MMU_POOL(2), MMU_POOL(3), target, flags, 0);
}

static void pin_l4_and_base(struct buf *s)
{
    PUT(s, MOP_PIN, 3, MMU_POOL(0));
    PUT(s, MOP_BASEPTR, 0, MMU_POOL(0));
}

static void mmu_seeds(void)
{
    struct buf s = { .n = 0 };
    PUT(&s, 1);
    build(&s, 0, MMU_POOL(4), P_RW_US_A);
    build(&s, 0x80, MMU_POOL(3), P_US_A);           /* the L1 itself, read-only */
    pin_l4_and_base(&s);
    PUT(&s, MOP_UVA, 0, MMU_POOL(5), P_RW_US_A, 0, 0);
    PUT(&s, MOP_UPDATE, MMU_POOL(3)); put16(&s, 1); PUT(&s, 0, MMU_POOL(6), P_RW_US_A, 0);
    /* mov %rax,(%rdi) at the read-only L1's va, rax a new entry */
    PUT(&s, MOP_PTWR, 0x80, 2, 0, 0x48, 0x89, 0x07, 0x90, 0x90, 0x90, 0x90, 0x90,
        0x90, 0x90, 0x90, 0x90, 0x90, 0x90, 0x90, 0x90, 0);
    for (int i = 0; i < 16; i++)
        PUT(&s, i == 7 ? 2 : 0x80);
    PUT(&s, 0, 0x80, 0x80);
    PUT(&s, MOP_UNPIN, MMU_POOL(0));
    seed_write("mmu", "tree-pin-ptwr", s.b, s.n);

    s.n = 0;
    PUT(&s, 0);
    PUT(&s, MOP_SET_GDT, 1); put16(&s, 16); PUT(&s, MMU_POOL(10));
    PUT(&s, MOP_UPDATE_DESC, MMU_POOL(10)); put16(&s, 0x20); PUT(&s, 1);
    PUT(&s, MOP_UPDATE_DESC, MMU_POOL(11)); put16(&s, 0x28); PUT(&s, 5);
    PUT(&s, MOP_SET_GDT, 2); put16(&s, 1000); PUT(&s, MMU_POOL(11), MMU_POOL(12));
    PUT(&s, MOP_SET_GDT, 0); put16(&s, 0);
    seed_write("mmu", "gdt", s.b, s.n);

    s.n = 0;
    PUT(&s, 1);
    build(&s, 1, MMU_POOL(20), P_US_A);
    pin_l4_and_base(&s);
    PUT(&s, MOP_UPDATE_DESC, MMU_POOL(20)); put16(&s, 8); PUT(&s, 3);
    PUT(&s, MOP_SET_LDT_MAP, 0, 1); put16(&s, 512);
    PUT(&s, MOP_SET_LDT_MAP, 1); put16(&s, 1);
    PUT(&s, MOP_SET_LDT_MAP, 0, 1); put16(&s, 0);
    seed_write("mmu", "ldt", s.b, s.n);

    s.n = 0;
    PUT(&s, 1);
    pin_l4_and_base(&s);
    PUT(&s, MOP_UPDATE_BATCH, 3, 0);
    for (int i = 0; i < 3; i++) {
        PUT(&s, MMU_POOL(i)); put16(&s, (uint16_t)i); PUT(&s, 0, MMU_POOL(i + 1), P_RW_US_A, 0);
    }
    PUT(&s, MOP_HOLD, 0, MMU_POOL(30), MOP_BALLOON, 0, MMU_POOL(31), MOP_BALLOON, 1, MMU_POOL(31));
    PUT(&s, MOP_MMUEXT, MMUEXT_COPY_PAGE, MMU_POOL(7), 0, MMU_POOL(8), 0);
    PUT(&s, MOP_MMUEXT, MMUEXT_INVLPG_MULTI, 0x80, 0, 0, 1, 1);
    seed_write("mmu", "batch-hold-balloon", s.b, s.n);

    /* Linear page tables: an L4 self map, one L2 naming another read-only,
     * then a nested one, a writable one and an in-place upgrade (refused). */
    s.n = 0;
    PUT(&s, 1);
    build(&s, 0, MMU_POOL(4), P_RW_US_A);
    pin_l4_and_base(&s);
    PUT(&s, MOP_UPDATE, MMU_POOL(0)); put16(&s, 5); PUT(&s, 0, MMU_POOL(0), P_US_A, 0);
    PUT(&s, MOP_PIN, 1, MMU_POOL(8), MOP_PIN, 1, MMU_POOL(9), MOP_PIN, 1, MMU_POOL(10));
    PUT(&s, MOP_UPDATE, MMU_POOL(8)); put16(&s, 3); PUT(&s, 0, MMU_POOL(9), P_US_A, 0);
    PUT(&s, MOP_UPDATE, MMU_POOL(9)); put16(&s, 4); PUT(&s, 0, MMU_POOL(10), P_US_A, 0);
    PUT(&s, MOP_UPDATE, MMU_POOL(10)); put16(&s, 4); PUT(&s, 0, MMU_POOL(8), P_US_A, 0);
    PUT(&s, MOP_UPDATE, MMU_POOL(8)); put16(&s, 6); PUT(&s, 0, MMU_POOL(10), P_RW_US_A, 0);
    PUT(&s, MOP_UPDATE, MMU_POOL(8)); put16(&s, 3); PUT(&s, 0, MMU_POOL(9), P_RW_US_A, 0);
    PUT(&s, MOP_UNPIN, MMU_POOL(9), MOP_UNPIN, MMU_POOL(8));
    seed_write("mmu", "linear", s.b, s.n);
}

/* fuzz_hypercall: kind byte (0 hypercall, 5 write args, 6 stack word, 7 events/time). */
static void hc_arg_small(struct buf *s, uint8_t v) { PUT(s, 0, v); }
static void hc_arg_args(struct buf *s, uint16_t off) { PUT(s, 4); put16(s, off); }

static void hypercall_seeds(void)
{
    struct buf s = { .n = 0 };
    /* bind_virq(TIMER) then send on its port, then a console write */
    PUT(&s, 5); put16(&s, 0); PUT(&s, 12, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0);
    PUT(&s, 0, __HYPERVISOR_event_channel_op); hc_arg_small(&s, 1); hc_arg_args(&s, 0);
    hc_arg_small(&s, 0); hc_arg_small(&s, 0); hc_arg_small(&s, 0);
    PUT(&s, 7, 0);
    PUT(&s, 7, 1); put16(&s, 5000);
    PUT(&s, 5); put16(&s, 0x100); PUT(&s, 5, 'h', 'e', 'l', 'l', 'o');
    PUT(&s, 0, __HYPERVISOR_console_io); hc_arg_small(&s, 0); hc_arg_small(&s, 5);
    hc_arg_args(&s, 0x100); hc_arg_small(&s, 0); hc_arg_small(&s, 0);
    seed_write("hypercall", "evtchn-console", s.b, s.n);

    /* a multicall of two xen_version calls, one a multicall pointing at itself */
    s.n = 0;
    struct multicall_entry mc[2];
    memset(mc, 0, sizeof(mc));
    mc[0].op = __HYPERVISOR_xen_version;
    mc[1].op = __HYPERVISOR_multicall;
    mc[1].args[0] = 0x10000000;
    mc[1].args[1] = 2;
    PUT(&s, 5); put16(&s, 0); PUT(&s, sizeof(mc)); put(&s, (const uint8_t *)mc, sizeof(mc));
    PUT(&s, 0, __HYPERVISOR_multicall); hc_arg_args(&s, 0); hc_arg_small(&s, 2);
    hc_arg_small(&s, 0); hc_arg_small(&s, 0); hc_arg_small(&s, 0);
    seed_write("hypercall", "multicall-nested", s.b, s.n);

    /* a forged iret frame on the stack */
    s.n = 0;
    uint64_t frame[8] = { 0, 0, 0, 0xffffffff80001000ull, 0xe033, 0x202, 0x20001800, 0xe02b };
    for (int i = 0; i < 8; i++) {
        PUT(&s, 6, (uint8_t)(0x100 + i));
        PUT(&s, 3); put64(&s, frame[i]); PUT(&s, i == 0);
    }
    PUT(&s, 0, __HYPERVISOR_iret, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0);
    seed_write("hypercall", "iret", s.b, s.n);

    /* memory_op(XENMEM_populate_physmap) and vcpu_op register_vcpu_info */
    s.n = 0;
    struct xen_memory_reservation r;
    memset(&r, 0, sizeof(r));
    r.extent_start.p = (void *)0x10000800;
    r.nr_extents = 2;
    r.domid = DOMID_SELF;
    PUT(&s, 5); put16(&s, 0); PUT(&s, sizeof(r)); put(&s, (const uint8_t *)&r, sizeof(r));
    PUT(&s, 0, __HYPERVISOR_memory_op); hc_arg_small(&s, 6); hc_arg_args(&s, 0);
    hc_arg_small(&s, 0); hc_arg_small(&s, 0); hc_arg_small(&s, 0);
    PUT(&s, 5); put16(&s, 0x40); PUT(&s, 16, 20, 0, 0, 0, 0, 0, 0, 0, 0x40, 0, 0, 0, 0, 0, 0, 0);
    PUT(&s, 0, __HYPERVISOR_vcpu_op); hc_arg_small(&s, 10); hc_arg_small(&s, 0);
    hc_arg_args(&s, 0x40); hc_arg_small(&s, 0); hc_arg_small(&s, 0);
    seed_write("hypercall", "memory-vcpu", s.b, s.n);

    /* One structure in the buffer, then hypercall nr(sub, buffer). */
    static const struct {
        const char *name;
        unsigned nr, sub;
        uint8_t arg[40];
        size_t len;
    } one[] = {
        { "grant-setup", __HYPERVISOR_grant_table_op, GNTTABOP_setup_table,
          { 0xf0, 0x7f, 0, 0, 4, 0, 0, 0, 0x00, 0x08, 0, 0x10, 0, 0, 0, 0 }, 24 },
        { "grant-query", __HYPERVISOR_grant_table_op, GNTTABOP_query_size, { 0xf0, 0x7f }, 16 },
        { "grant-v2", __HYPERVISOR_grant_table_op, GNTTABOP_set_version, { 2 }, 4 },
        { "grant-status", __HYPERVISOR_grant_table_op, GNTTABOP_get_status_frames,
          { 1, 0, 0, 0, 0xf0, 0x7f, 0, 0, 0x00, 0x08, 0, 0x10 }, 16 },
        { "grant-map", __HYPERVISOR_grant_table_op, GNTTABOP_map_grant_ref,
          { 0, 0x10, 0, 0, 0, 0, 0, 0, 2, 0, 0, 0, 8, 0, 0, 0, 1 }, 32 },
        { "grant-unmap", __HYPERVISOR_grant_table_op, GNTTABOP_unmap_grant_ref,
          { 0, 0x10, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0 }, 24 },
        { "grant-copy", __HYPERVISOR_grant_table_op, GNTTABOP_copy,
          { 16, 0, 0, 0, 0, 0, 0, 0, 0xf0, 0x7f, 0, 0, 0, 0, 0, 0,
            17, 0, 0, 0, 0, 0, 0, 0, 0xf0, 0x7f, 0x10, 0, 0, 0, 0, 0, 16 }, 40 },
        { "callback-event", __HYPERVISOR_callback_op, CALLBACKOP_register,
          { 0, 0, 1, 0, 0, 0, 0, 0, 0x00, 0x10, 0, 0x80, 0xff, 0xff, 0xff, 0xff }, 16 },
        { "poll", __HYPERVISOR_sched_op, SCHEDOP_poll,
          { 0x00, 0x02, 0, 0x10, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0x40, 0x42, 0x0f }, 24 },
        { "singleshot", __HYPERVISOR_vcpu_op, VCPUOP_set_singleshot_timer,
          { 0x40, 0x42, 0x0f, 0, 0, 0, 0, 0, 0 }, 16 },
        { "iopl", __HYPERVISOR_physdev_op, PHYSDEVOP_set_iopl, { 3 }, 4 },
        { "alloc-unbound", __HYPERVISOR_event_channel_op, EVTCHNOP_alloc_unbound,
          { 0xf0, 0x7f, 0xf0, 0x7f }, 8 },
        { "watchdog", __HYPERVISOR_sched_op, SCHEDOP_watchdog, { 0, 0, 0, 0, 10 }, 8 },
        { "add-to-physmap", __HYPERVISOR_memory_op, XENMEM_add_to_physmap,
          { 0xf0, 0x7f, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x20 }, 24 },
    };
    for (unsigned i = 0; i < sizeof(one) / sizeof(one[0]); i++) {
        s.n = 0;
        PUT(&s, 5); put16(&s, 0); PUT(&s, (uint8_t)one[i].len);
        put(&s, one[i].arg, one[i].len);
        PUT(&s, 0, (uint8_t)one[i].nr); hc_arg_small(&s, (uint8_t)one[i].sub);
        hc_arg_args(&s, 0); hc_arg_small(&s, 1); hc_arg_small(&s, 0); hc_arg_small(&s, 0);
        PUT(&s, 7, 1); put16(&s, 60000);
        seed_write("hypercall", one[i].name, s.b, s.n);
    }

    /* set_trap_table with two entries, then an mmu_update through the table. */
    s.n = 0;
    struct trap_info t[3];
    memset(t, 0, sizeof(t));
    t[0].vector = 14; t[0].cs = 0xe033; t[0].address = 0xffffffff80002000ull;
    t[1].vector = 3; t[1].flags = 3; t[1].cs = 0xe033; t[1].address = 0xffffffff80003000ull;
    PUT(&s, 5); put16(&s, 0); PUT(&s, sizeof(t)); put(&s, (const uint8_t *)t, sizeof(t));
    PUT(&s, 0, __HYPERVISOR_set_trap_table); hc_arg_args(&s, 0);
    hc_arg_small(&s, 0); hc_arg_small(&s, 0); hc_arg_small(&s, 0); hc_arg_small(&s, 0);
    struct mmu_update u = { .ptr = (16ull << 12) | 0, .val = (17ull << 12) | 0x27 };
    PUT(&s, 5); put16(&s, 0x200); PUT(&s, sizeof(u)); put(&s, (const uint8_t *)&u, sizeof(u));
    PUT(&s, 0, __HYPERVISOR_mmu_update); hc_arg_args(&s, 0x200); hc_arg_small(&s, 1);
    hc_arg_args(&s, 0x300); PUT(&s, 11); hc_arg_small(&s, 0);
    seed_write("hypercall", "traps-mmu", s.b, s.n);
}

static void xs_request(struct buf *s, uint8_t type, const char *payload, size_t len)
{
    PUT(s, 0, type, 1, 0, (uint8_t)len);
    put(s, (const uint8_t *)payload, len);
    PUT(s, 0);
}

static void xenstore_seeds(void)
{
    struct buf s = { .n = 0 };
    xs_request(&s, XS_READ, "name", 5);
    xs_request(&s, XS_WRITE, "data/x\0hello", 12);
    xs_request(&s, XS_DIRECTORY, "/local/domain/5", 16);
    xs_request(&s, XS_WATCH, "data\0tok", 9);
    xs_request(&s, XS_RM, "data/x", 7);
    PUT(&s, 7, 3 | 8);
    seed_write("xenstore", "read-write-watch", s.b, s.n);

    s.n = 0;
    xs_request(&s, XS_TRANSACTION_START, "", 1);
    PUT(&s, 0, XS_WRITE, 2, 200, 9); put(&s, (const uint8_t *)"d/a\0vals", 9); PUT(&s, 0);
    PUT(&s, 0, XS_TRANSACTION_END, 3, 200, 2); put(&s, (const uint8_t *)"T", 2); PUT(&s, 0);
    xs_request(&s, XS_GET_PERMS, "data", 5);
    xs_request(&s, XS_SET_PERMS, "data\0b5\0r0", 11);
    PUT(&s, 6, 0x10, 0, 0, 0, 0);
    xs_request(&s, XS_RESET_WATCHES, "", 0);
    seed_write("xenstore", "transaction-reconnect", s.b, s.n);
}

/* fuzz_emulate: mode, 16 code bytes, where, 16 register choices, flags,
 * IOPL, 4 debug-register choices (two), DR7 choice, entry point. */
static void emulate_seed(const char *name, uint8_t mode, const uint8_t *code, size_t n,
                         uint8_t iopl, bool invop)
{
    struct buf s = { .n = 0 };
    uint8_t c[16];
    memset(c, 0x90, sizeof(c));
    memcpy(c, code, n);
    PUT(&s, mode);
    put(&s, c, sizeof(c));
    PUT(&s, 0);
    for (int i = 0; i < 16; i++)
        PUT(&s, (uint8_t)(i == 0 ? 2 + (3 << 3) : i == 2 ? 4 : 0));  /* rax a CR3, rdx port 0x70 */
    PUT(&s, 0, iopl, 0, 0, 0, invop);
    seed_write("emulate", name, s.b, s.n);
}

static void emulate_seeds(void)
{
    static const struct { const char *name; uint8_t code[8]; size_t n; bool invop; } e[] = {
        { "mov-rax-cr0", { 0x0f, 0x20, 0xc0 }, 3, false },
        { "mov-cr3-rax", { 0x0f, 0x22, 0xd8 }, 3, false },
        { "mov-cr4-rax", { 0x0f, 0x22, 0xe0 }, 3, false },
        { "clts", { 0x0f, 0x06 }, 2, false },
        { "wbinvd", { 0x0f, 0x09 }, 2, false },
        { "rdmsr", { 0x0f, 0x32 }, 2, false },
        { "wrmsr", { 0x0f, 0x30 }, 2, false },
        { "rdtsc", { 0x0f, 0x31 }, 2, false },
        { "rdtscp", { 0x0f, 0x01, 0xf9 }, 3, false },
        { "xsetbv", { 0x0f, 0x01, 0xd1 }, 3, false },
        { "in-al-dx", { 0xec }, 1, false },
        { "out-imm-al", { 0xe6, 0x70 }, 2, false },
        { "rep-outsb", { 0xf3, 0x6e }, 2, false },
        { "rep-insw", { 0x66, 0xf3, 0x6d }, 3, false },
        { "mov-dr7-rax", { 0x0f, 0x23, 0xf8 }, 3, false },
        { "cli", { 0xfa }, 1, false },
        { "forced-cpuid", { 0x0f, 0x0b, 0x78, 0x65, 0x6e, 0x0f, 0xa2 }, 7, true },
    };
    for (unsigned i = 0; i < sizeof(e) / sizeof(e[0]); i++)
        emulate_seed(e[i].name, (uint8_t)(i & 1), e[i].code, e[i].n, (uint8_t)(i % 4), e[i].invop);
}

void op_seeds(void)
{
    emulate_seeds();
    mmu_seeds();
    hypercall_seeds();
    xenstore_seeds();
}
