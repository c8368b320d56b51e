/*
 * The frame half of a backend's grant check, on the simulated MMU: a
 * granted frame the device reads or writes must be an ordinary guest
 * frame; page tables, descriptor pages, pvshim's and I/O frames are
 * refused, and a frame held for the device can no longer become a table.
 */
#include <string.h>
#include "unit.h"
#include "mm_sim.h"

static long set_gdt1(mfn_t frame)
{
    uint64_t f = frame;
    memcpy(mm_sim_args + 0x1000, &f, 8);
    return do_set_gdt(SIM_ARGS_VA + 0x1000, 1);
}

START_TEST(ordinary_guest_frames_are_held_both_ways)
{
    mfn_t f = mm_sim_alloc();
    ck_assert_int_eq(pv_mm_get_writable_frame(f), 0);
    mm_sim_note_writable_hold(f, 1);
    ck_assert_int_eq(pv_mm_get_readable_frame(f), 0);
    /* Held for the device's write: it cannot become a page table meanwhile. */
    ck_assert_int_ne(mm_sim_mmuext(MMUEXT_PIN_L1_TABLE, f, 0), 0);
    pv_mm_put_readable_frame(f);
    pv_mm_put_writable_frame(f);
    mm_sim_note_writable_hold(f, -1);
    ck_assert_ptr_null(mm_sim_check());
    ck_assert_int_eq(mm_sim_mmuext(MMUEXT_PIN_L1_TABLE, f, 0), 0);
}
END_TEST

START_TEST(page_tables_are_refused)
{
    mfn_t l4 = mm_sim_kernel_tables();
    ck_assert_int_ne(pv_mm_get_writable_frame(l4), 0);
    ck_assert_int_ne(pv_mm_get_readable_frame(l4), 0);
    mfn_t l1 = mm_sim_alloc();
    ck_assert_int_eq(mm_sim_mmuext(MMUEXT_PIN_L1_TABLE, l1, 0), 0);
    ck_assert_int_ne(pv_mm_get_writable_frame(l1), 0);
    ck_assert_int_ne(pv_mm_get_readable_frame(l1), 0);
    ck_assert_ptr_null(mm_sim_check());
}
END_TEST

START_TEST(descriptor_pages_are_refused)
{
    mfn_t g = mm_sim_alloc();
    ck_assert_int_eq(set_gdt1(g), 0);
    ck_assert_int_ne(pv_mm_get_writable_frame(g), 0);
    ck_assert_int_ne(pv_mm_get_readable_frame(g), 0);
    ck_assert_ptr_null(mm_sim_check());
}
END_TEST

START_TEST(frames_not_the_guests_are_refused)
{
    const mfn_t others[] = { SIM_SHIM_FIRST + 1, SIM_IO_FIRST, SIM_FREE_FIRST, SIM_FRAMES + 5 };
    for (unsigned i = 0; i < sizeof(others) / sizeof(others[0]); i++) {
        ck_assert_int_ne(pv_mm_get_writable_frame(others[i]), 0);
        ck_assert_int_ne(pv_mm_get_readable_frame(others[i]), 0);
    }
    ck_assert_ptr_null(mm_sim_check());
}
END_TEST

static Suite *grant_frames_suite(void)
{
    Suite *s = suite_create("grant_frames");
    TCase *tc = tcase_create("frames");
    tcase_add_checked_fixture(tc, mm_sim_setup, mm_sim_teardown);
    tcase_add_test(tc, ordinary_guest_frames_are_held_both_ways);
    tcase_add_test(tc, page_tables_are_refused);
    tcase_add_test(tc, descriptor_pages_are_refused);
    tcase_add_test(tc, frames_not_the_guests_are_refused);
    suite_add_tcase(s, tc);
    return s;
}
UNIT_SUITE(grant_frames_suite)
