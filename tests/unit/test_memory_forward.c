/*
 * The guest's balloon on a Xen host (services.h, struct mem_forward): a
 * whole extent the guest gives back goes on to L0 and not into pvshim's
 * pool; memory asked for again comes back from L0 first, else from
 * pvshim's pool; the guest's page count stays true either way.
 */
#include <string.h>
#include "unit.h"
#include "mm_sim.h"
#include "services.h"
#include <pvshim/frame_alloc.h>

static struct {
    bool take;                  /* L0 takes what is released */
    mfn_t released[8];
    unsigned nr_released;
    mfn_t give;                 /* what reclaim returns */
    unsigned reclaims;
} f;

static bool f_release(mfn_t mfn, uint64_t n)
{
    ck_assert_uint_eq(n, 1);
    if (!f.take)
        return false;
    f.released[f.nr_released++] = mfn;
    return true;
}

static mfn_t f_reclaim(uint64_t n)
{
    ck_assert_uint_eq(n, 1);
    f.reclaims++;
    mfn_t m = f.give;
    f.give = INVALID_MFN;
    return m;
}

static const struct mem_forward fake_mem = { .release = f_release, .reclaim = f_reclaim };
static void io_write(const char *s, size_t len) { (void)s; (void)len; }
static size_t io_read(char *buf, size_t len) { (void)buf; (void)len; return 0; }
static const struct xen_services mem_services = {
    .name = "fake-l0", .console_io_write = io_write, .console_io_read = io_read,
    .mem = &fake_mem,
};

static void setup(void)
{
    mm_sim_setup();
    memset(&f, 0, sizeof(f));
    f.give = INVALID_MFN;
    frame_pool_init(&machine_frames);
    ck_assert(frame_pool_free(&machine_frames, SIM_FREE_FIRST, 4));
    services = &mem_services;
}

static void teardown(void)
{
    services = NULL;
    mm_sim_teardown();
}

/* One extent of order 0 at the argument buffer's start; the list after it. */
static long reservation(unsigned op, xen_pfn_t frame)
{
    struct xen_memory_reservation *r = (void *)mm_sim_args;
    xen_pfn_t *list = (void *)(mm_sim_args + 64);
    *list = frame;
    *r = (struct xen_memory_reservation){ .nr_extents = 1, .domid = DOMID_SELF };
    set_xen_guest_handle(r->extent_start, (xen_pfn_t *)(uintptr_t)(SIM_ARGS_VA + 64));
    return do_memory_op(op, SIM_ARGS_VA);
}

static xen_pfn_t listed(void)
{
    return *(xen_pfn_t *)(mm_sim_args + 64);
}

START_TEST(released_frame_goes_to_l0)
{
    mfn_t m = mm_sim_alloc();
    uint64_t pages = dom.tot_pages, pool = machine_frames.free_frames;
    f.take = true;
    ck_assert_int_eq(reservation(XENMEM_decrease_reservation, m), 1);
    ck_assert_uint_eq(f.nr_released, 1);
    ck_assert_uint_eq(f.released[0], m);
    ck_assert_uint_eq(dom.tot_pages, pages - 1);
    /* L0 has it: not pvshim's to hand out. */
    ck_assert_uint_eq(machine_frames.free_frames, pool);
    ck_assert(!frame_pool_is_free(&machine_frames, m));
}
END_TEST

START_TEST(refused_release_stays_pvshims)
{
    mfn_t m = mm_sim_alloc();
    uint64_t pool = machine_frames.free_frames;
    ck_assert_int_eq(reservation(XENMEM_decrease_reservation, m), 1);
    ck_assert(frame_pool_is_free(&machine_frames, m));
    ck_assert_uint_eq(machine_frames.free_frames, pool + 1);
}
END_TEST

START_TEST(populate_takes_from_l0_first)
{
    mfn_t m = mm_sim_alloc();
    f.take = true;
    ck_assert_int_eq(reservation(XENMEM_decrease_reservation, m), 1);
    uint64_t pages = dom.tot_pages, pool = machine_frames.free_frames;
    dom.max_pages = pages + 2;
    f.give = m;
    ck_assert_int_eq(reservation(XENMEM_populate_physmap, 0x40), 1);
    ck_assert_uint_eq(listed(), m);
    ck_assert(pv_mm_guest_owns(m));
    ck_assert_uint_eq(machine_frames.free_frames, pool);
    ck_assert_uint_eq(dom.tot_pages, pages + 1);
    /* Nothing more at L0: pvshim's own pool. */
    ck_assert_int_eq(reservation(XENMEM_increase_reservation, 0), 1);
    ck_assert_uint_eq(f.reclaims, 2);
    ck_assert_uint_eq(listed(), SIM_FREE_FIRST);
    ck_assert_uint_eq(machine_frames.free_frames, pool - 1);
    ck_assert_uint_eq(dom.tot_pages, pages + 2);
    /* At the limit: nothing, from either. */
    ck_assert_int_eq(reservation(XENMEM_increase_reservation, 0), 0);
}
END_TEST

static Suite *memory_forward_suite(void)
{
    Suite *s = suite_create("memory_forward");
    TCase *tc = tcase_create("l0");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, released_frame_goes_to_l0);
    tcase_add_test(tc, refused_release_stays_pvshims);
    tcase_add_test(tc, populate_takes_from_l0_first);
    suite_add_tcase(s, tc);
    return s;
}
UNIT_SUITE(memory_forward_suite)
