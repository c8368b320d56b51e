/*
 * XENMEM_exchange (memory_exchange.c) as Xen 4.17's memory_exchange:
 * frames of the guest's traded for contiguous, aligned, address-limited
 * ones, chunk by chunk, nr_exchanged the progress; the refusals before any
 * work; and the 32-bit guest's 44-byte header with 4-byte extents.
 */
#include <string.h>
#include "unit.h"
#include "mm_sim.h"
#include "compat.h"
#include "compat_abi.h"
#include <pvshim/compiler.h>
#include <pvshim/frame_alloc.h>

#define RO          (PTE_P | PTE_US | PTE_A)
#define IN_VA       (SIM_ARGS_VA + 0x1000)
#define OUT_VA      (SIM_ARGS_VA + 0x2000)
#define IN_LIST     ((xen_pfn_t *)(mm_sim_args + 0x1000))
#define OUT_LIST    ((xen_pfn_t *)(mm_sim_args + 0x2000))
#define XCHG_VA     (SIM_ARGS_VA + 0x3000)      /* mm_sim's own calls use the start */

static struct xen_memory_exchange *xchg(void) { return (void *)(mm_sim_args + 0x3000); }

/* The header: n_in extents of order io in, n_out of order oo out. */
static void header(unsigned long n_in, unsigned io, unsigned long n_out, unsigned oo,
                   unsigned address_bits)
{
    struct xen_memory_exchange *e = xchg();
    memset(e, 0, sizeof(*e));
    set_xen_guest_handle(e->in.extent_start, (xen_pfn_t *)(uintptr_t)IN_VA);
    set_xen_guest_handle(e->out.extent_start, (xen_pfn_t *)(uintptr_t)OUT_VA);
    e->in.nr_extents = n_in;
    e->in.extent_order = io;
    e->out.nr_extents = n_out;
    e->out.extent_order = oo;
    e->out.mem_flags = XENMEMF_address_bits(address_bits);
    e->in.domid = e->out.domid = DOMID_SELF;
}

static long exchange(void) { return do_memory_op(XENMEM_exchange, XCHG_VA); }

static void setup(void)
{
    mm_sim_setup();
    dom.tot_pages = SIM_GUEST_END - SIM_GUEST_FIRST;
    /* pvshim's free frames: 248-251 */
    ck_assert(frame_pool_free(&machine_frames, SIM_FREE_FIRST, 4));
}

/* Two single frames for one aligned pair, at the gpfns asked for. */
START_TEST(two_for_a_pair)
{
    mfn_t a = mm_sim_alloc(), b = mm_sim_alloc();
    uint64_t pages = dom.tot_pages;
    header(2, 0, 1, 1, 0);
    IN_LIST[0] = a;
    IN_LIST[1] = b;
    OUT_LIST[0] = 0x300;
    ck_assert_int_eq(exchange(), 0);
    ck_assert_uint_eq(xchg()->nr_exchanged, 2);
    mfn_t m = OUT_LIST[0];
    ck_assert_uint_eq(m % 2, 0);
    for (unsigned k = 0; k < 2; k++) {
        ck_assert_uint_eq(mm_sim_info(m + k).owner, PV_OWNER_GUEST);
        ck_assert_uint_eq(mm_sim_m2p(m + k), 0x300 + k);
    }
    ck_assert_uint_eq(mm_sim_info(a).owner, PV_OWNER_NONE);
    ck_assert_uint_eq(mm_sim_info(b).owner, PV_OWNER_NONE);
    ck_assert_uint_eq(mm_sim_m2p(a), ~0ull);
    ck_assert(frame_pool_is_free(&machine_frames, a));
    ck_assert_uint_eq(dom.tot_pages, pages);
    ck_mm_invariants();
}
END_TEST

/* A frame still mapped cannot be taken: the chunks before it are done,
 * its own is not, and it stays the guest's. */
START_TEST(mapped_input_stops)
{
    mfn_t l1 = mm_sim_alloc(), a = mm_sim_alloc(), b = mm_sim_alloc();
    ck_assert_int_eq(pv_mm_pin(l1, 1), 0);
    ck_assert_int_eq(mm_sim_mmu_update1(mm_sim_slot_maddr(l1, 0), mm_sim_pte(b, RO)), 0);
    header(2, 0, 2, 0, 0);
    IN_LIST[0] = a;
    IN_LIST[1] = b;
    OUT_LIST[0] = 0x10;
    OUT_LIST[1] = 0x11;
    ck_assert_int_eq(exchange(), -XEN_EINVAL);
    ck_assert_uint_eq(xchg()->nr_exchanged, 1);
    ck_assert_uint_eq(mm_sim_info(a).owner, PV_OWNER_NONE);
    ck_assert_uint_eq(mm_sim_info(b).owner, PV_OWNER_GUEST);
    ck_assert_uint_eq(mm_sim_m2p(OUT_LIST[0]), 0x10);
    ck_assert_uint_eq(OUT_LIST[1], 0x11);                 /* untouched */
    /* Resumed from nr_exchanged once b is unmapped. */
    ck_assert_int_eq(mm_sim_mmu_update1(mm_sim_slot_maddr(l1, 0), 0), 0);
    ck_assert_int_eq(exchange(), 0);
    ck_assert_uint_eq(xchg()->nr_exchanged, 2);
    ck_assert_uint_eq(mm_sim_m2p(OUT_LIST[1]), 0x11);
    ck_mm_invariants();
}
END_TEST

/* address_bits: nothing that low is free, the input stays the guest's. */
START_TEST(address_bits_no_memory)
{
    mfn_t a = mm_sim_alloc();
    header(1, 0, 1, 0, PAGE_SHIFT + 8);             /* below frame 256: all of 248-251 fit */
    IN_LIST[0] = a;
    ck_assert_int_eq(exchange(), 0);
    ck_assert_uint_lt(OUT_LIST[0], 256);
    mfn_t b = mm_sim_alloc();
    header(1, 0, 1, 0, PAGE_SHIFT + 4);             /* below frame 16 (a, freed, is above): none */
    IN_LIST[0] = b;
    ck_assert_int_eq(exchange(), -XEN_ENOMEM);
    ck_assert_uint_eq(xchg()->nr_exchanged, 0);
    ck_assert_uint_eq(mm_sim_info(b).owner, PV_OWNER_GUEST);
    ck_assert_uint_ne(mm_sim_m2p(b), ~0ull);
}
END_TEST

/* pvshim has nothing free: the chunk's own input frames serve as its output. */
START_TEST(inputs_serve_as_output)
{
    ck_assert(frame_pool_reserve(&machine_frames, mfn_to_paddr(SIM_FREE_FIRST),
                                 mfn_to_paddr(SIM_FREE_FIRST + 4)));
    mfn_t a = mm_sim_alloc();
    if (a % 2)
        a = mm_sim_alloc();
    mfn_t b = mm_sim_alloc(), c = mm_sim_alloc();
    ck_assert_uint_eq(b, a + 1);
    header(2, 0, 1, 1, 0);
    IN_LIST[0] = a;
    IN_LIST[1] = b;
    OUT_LIST[0] = 0x50;
    ck_assert_int_eq(exchange(), 0);
    ck_assert_uint_eq(OUT_LIST[0], a);
    ck_assert_uint_eq(mm_sim_m2p(a + 1), 0x51);
    ck_assert_uint_eq(mm_sim_info(a).owner, PV_OWNER_GUEST);
    ck_assert(!frame_pool_is_free(&machine_frames, a));
    /* Two frames that are no pair, nothing else free: -ENOMEM, and neither
     * is left in the pool. */
    mfn_t d = mm_sim_alloc(), e = mm_sim_alloc();
    ck_assert_uint_eq(e, d + 1);
    header(2, 0, 1, 1, 0);
    IN_LIST[0] = c;
    IN_LIST[1] = e;
    ck_assert_int_eq(exchange(), -XEN_ENOMEM);
    ck_assert(!frame_pool_is_free(&machine_frames, c) && !frame_pool_is_free(&machine_frames, e));
    ck_assert_uint_eq(mm_sim_info(c).owner, PV_OWNER_GUEST);
    ck_assert_uint_eq(mm_sim_info(e).owner, PV_OWNER_GUEST);
    ck_mm_invariants();
}
END_TEST

/* Refused before any work, nr_exchanged written back unchanged. */
static const struct { const char *name; unsigned long n_in, io, n_out, oo, done; domid_t od;
                      uint32_t flags; long rc; } early[] = {
    { "order above 9",          1, 10, 1, 10, 0, DOMID_SELF, 0, -XEN_EPERM },
    { "sizes differ",           2, 0, 1, 0, 0, DOMID_SELF, 0, -XEN_EINVAL },
    { "domains differ",         1, 0, 1, 0, 0, 0, 0, -XEN_EINVAL },
    { "done past the list",     1, 0, 1, 0, 2, DOMID_SELF, 0, -XEN_EINVAL },
    { "exact node",             1, 0, 1, 0, 0, DOMID_SELF,
      XENMEMF_node(1) | XENMEMF_exact_node_request, -XEN_EINVAL },
    { "another domain",         1, 0, 1, 0, 0, 7, 0, -XEN_ESRCH },
};

START_TEST(early_refusals)
{
    mfn_t a = mm_sim_alloc();
    header(early[_i].n_in, (unsigned)early[_i].io, early[_i].n_out, (unsigned)early[_i].oo, 0);
    xchg()->out.domid = early[_i].od;
    if (early[_i].od == 7)
        xchg()->in.domid = 7;
    xchg()->out.mem_flags = early[_i].flags;
    xchg()->nr_exchanged = early[_i].done;
    IN_LIST[0] = IN_LIST[1] = a;
    ck_assert_msg(exchange() == early[_i].rc, "%s", early[_i].name);
    ck_assert_uint_eq(xchg()->nr_exchanged, early[_i].done);
    ck_assert_uint_eq(mm_sim_info(a).owner, PV_OWNER_GUEST);
}
END_TEST

/* Already complete: 0 and nothing else; the same frame twice in a chunk: -EINVAL. */
START_TEST(complete_and_duplicates)
{
    mfn_t a = mm_sim_alloc();
    header(1, 0, 1, 0, 0);
    xchg()->nr_exchanged = 1;
    ck_assert_int_eq(exchange(), 0);
    header(2, 0, 1, 1, 0);
    IN_LIST[0] = IN_LIST[1] = a;
    ck_assert_int_eq(exchange(), -XEN_EINVAL);
    ck_assert_uint_eq(mm_sim_info(a).owner, PV_OWNER_GUEST);
    /* pvshim's own frames and frames past the table are not the guest's. */
    IN_LIST[0] = SIM_SHIM_FIRST;
    IN_LIST[1] = SIM_FRAMES + 10;
    header(1, 0, 1, 0, 0);
    ck_assert_int_eq(exchange(), -XEN_EINVAL);
    IN_LIST[0] = SIM_FRAMES + 10;
    ck_assert_int_eq(exchange(), -XEN_EINVAL);
}
END_TEST

/* A 32-bit guest: 44 bytes, 4-byte extents; its own checks first. */
START_TEST(compat_layout)
{
    mfn_t a = mm_sim_alloc(), b = mm_sim_alloc();
    struct compat_memory_exchange *c = (void *)mm_sim_args;
    uint32_t *in = (uint32_t *)(mm_sim_args + 0x1000), *out = (uint32_t *)(mm_sim_args + 0x2000);
    memset(c, 0, sizeof(*c));
    c->in = (struct compat_memory_reservation){ (uint32_t)IN_VA, 2, 0, 0, DOMID_SELF };
    c->out = (struct compat_memory_reservation){ (uint32_t)OUT_VA, 1, 1, 0, DOMID_SELF };
    in[0] = (uint32_t)a;
    in[1] = (uint32_t)b;
    out[0] = 0x400;
    out[1] = 0xdeadbeef;
    /* nr_exchanged not on an output extent: refused, nothing written. */
    c->nr_exchanged = 1;
    ck_assert_int_eq(compat_memory_op(XENMEM_exchange, (uint32_t)SIM_ARGS_VA), -XEN_EINVAL);
    ck_assert_uint_eq(c->nr_exchanged, 1);
    c->nr_exchanged = 0;
    ck_assert_int_eq(compat_memory_op(XENMEM_exchange, (uint32_t)SIM_ARGS_VA), 0);
    ck_assert_uint_eq(c->nr_exchanged, 2);
    ck_assert_uint_eq(out[0] % 2, 0);
    ck_assert_uint_eq(out[1], 0xdeadbeef);          /* 4-byte entries: the next one untouched */
    ck_assert_uint_eq(mm_sim_m2p(out[0] + 1), 0x401);
    ck_assert_uint_eq(mm_sim_info(a).owner, PV_OWNER_NONE);
}
END_TEST

static Suite *memory_exchange_suite(void)
{
    Suite *s = suite_create("memory_exchange");
    TCase *tc = tcase_create("exchange");
    tcase_add_checked_fixture(tc, setup, mm_sim_teardown);
    tcase_add_test(tc, two_for_a_pair);
    tcase_add_test(tc, mapped_input_stops);
    tcase_add_test(tc, address_bits_no_memory);
    tcase_add_test(tc, inputs_serve_as_output);
    tcase_add_loop_test(tc, early_refusals, 0, ARRAY_SIZE(early));
    tcase_add_test(tc, complete_and_duplicates);
    tcase_add_test(tc, compat_layout);
    suite_add_tcase(s, tc);
    return s;
}
UNIT_SUITE(memory_exchange_suite)
