/*
 * The frame half of a backend's grant check, on the simulated MMU: a
 * granted frame the device reads or writes must be an ordinary guest
 * frame; page tables, descriptor pages, pvshim's and I/O frames are
 * refused, and a frame held for the device can no longer become a table.
 */
#include <string.h>
#include "unit.h"
#include "mm_sim.h"
#include "grant_access.h"
#include "grant_table.h"
#include <pvshim/frame_alloc.h>

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

/* ---- grant_acquire on the guest's real grant table (one frame of it) */
static grant_entry_v1_t *gt;

static void grants_setup(void)
{
    mm_sim_setup();
    frame_pool_init(&machine_frames);
    ck_assert(frame_pool_free(&machine_frames, SIM_FREE_FIRST, 8));
    struct gnttab_setup_table op = { .dom = DOMID_SELF, .nr_frames = 1 };
    set_xen_guest_handle(op.frame_list, (xen_pfn_t *)(uintptr_t)(SIM_ARGS_VA + 0x800));
    memcpy(mm_sim_args, &op, sizeof(op));
    ck_assert_int_eq(do_grant_table_op(GNTTABOP_setup_table, SIM_ARGS_VA, 1), 0);
    memcpy(&op, mm_sim_args, sizeof(op));
    ck_assert_int_eq(op.status, GNTST_okay);
    gt = (grant_entry_v1_t *)gnttab_entry(0);
    ck_assert_ptr_nonnull(gt);
}

static void grant(grant_ref_t ref, uint16_t flags, domid_t d, mfn_t frame)
{
    gt[ref] = (grant_entry_v1_t){ flags, d, (uint32_t)frame };
}

START_TEST(acquire_holds_frame_and_bits_until_the_last_release)
{
    mfn_t f = mm_sim_alloc(), got;
    grant(10, GTF_permit_access, 0, f);
    ck_assert_int_eq(grant_acquire(10, 0, false, &got), 0);
    ck_assert_uint_eq(got, f);
    ck_assert_int_eq(grant_acquire(10, 0, true, &got), 0);
    ck_assert_uint_eq(gt[10].flags, GTF_permit_access | GTF_reading | GTF_writing);
    ck_assert_int_ne(mm_sim_mmuext(MMUEXT_PIN_L1_TABLE, f, 0), 0);
    /* The write ends first: writing goes, reading stays for the read. */
    grant_release(10, true, f);
    ck_assert_uint_eq(gt[10].flags, GTF_permit_access | GTF_reading);
    ck_assert_uint_eq(grant_active_count(10), 1);
    grant_release(10, false, f);
    ck_assert_uint_eq(gt[10].flags, GTF_permit_access);
    ck_assert_uint_eq(grant_active_count(10), 0);
    ck_assert_ptr_null(mm_sim_check());
}
END_TEST

START_TEST(acquire_refuses_what_xen_refuses)
{
    mfn_t data = mm_sim_alloc(), got;
    mfn_t l1 = mm_sim_alloc();
    ck_assert_int_eq(mm_sim_mmuext(MMUEXT_PIN_L1_TABLE, l1, 0), 0);
    grant(10, GTF_permit_access | GTF_readonly, 0, data);
    grant(11, GTF_permit_access, 3, data);                  /* for another domain */
    grant(12, GTF_permit_access, 0, l1);                    /* a page table */
    grant(13, GTF_permit_access, 0, SIM_SHIM_FIRST + 2);    /* pvshim's */
    grant(14, GTF_permit_access, 0, SIM_IO_FIRST);          /* not RAM */
    grant(15, GTF_permit_access | GTF_sub_page, 0, data);
    ck_assert_int_eq(grant_acquire(10, 0, true, &got), -XEN_EINVAL);
    ck_assert_int_eq(grant_acquire(11, 0, false, &got), -XEN_EINVAL);
    ck_assert_int_eq(grant_acquire(12, 0, true, &got), -XEN_EPERM);
    ck_assert_int_eq(grant_acquire(12, 0, false, &got), -XEN_EPERM);
    ck_assert_int_eq(grant_acquire(13, 0, false, &got), -XEN_EPERM);
    ck_assert_int_eq(grant_acquire(14, 0, true, &got), -XEN_EPERM);
    ck_assert_int_eq(grant_acquire(15, 0, false, &got), -XEN_EINVAL);
    ck_assert_int_eq(grant_acquire(512, 0, false, &got), -XEN_EINVAL);   /* beyond the table */
    for (unsigned r = 10; r <= 15; r++) {
        ck_assert(!(gt[r].flags & (GTF_reading | GTF_writing)));
        ck_assert_uint_eq(grant_active_count(r), 0);
    }
    /* A read-only grant is fine for the device to read. */
    ck_assert_int_eq(grant_acquire(10, 0, false, &got), 0);
    grant_release(10, false, got);
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
    tc = tcase_create("acquire");
    tcase_add_checked_fixture(tc, grants_setup, mm_sim_teardown);
    tcase_add_test(tc, acquire_holds_frame_and_bits_until_the_last_release);
    tcase_add_test(tc, acquire_refuses_what_xen_refuses);
    suite_add_tcase(s, tc);
    return s;
}
UNIT_SUITE(grant_frames_suite)
