/*
 * The M2P and frame table without memory behind ranges of machine
 * addresses that hold no RAM (m2p.h, pv_mm_init_prepared): the pages
 * standing in for them are read-only here, so any write into them fails
 * the test (a fault), as it would crash pvshim.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <pvshim/compiler.h>
#include <pvshim/m2p.h>
#include "unit.h"
#include "mm_sim.h"

/* n bytes of page-aligned zeroed memory whose pages can be made read-only. */
static void *pages(size_t n)
{
    void *p = mmap(NULL, n, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    ck_assert_ptr_ne(p, MAP_FAILED);
    return p;
}

static void read_only(void *p, size_t n)
{
    ck_assert_int_eq(mprotect(p, n, PROT_READ), 0);
}

/* Entries of a missing chunk are never written; the others all become invalid. */
START_TEST(m2p_fill_skips_missing_chunks)
{
    size_t bytes = 3 * M2P_CHUNK_BYTES;
    uint64_t *m2p = pages(bytes);
    read_only(m2p + M2P_CHUNK_ENTRIES, M2P_CHUNK_BYTES);
    const mfn_t chunks[3] = { 0x1000, INVALID_MFN, 0x1400 };
    mfn_t from = 5, to = 2 * M2P_CHUNK_ENTRIES + 7;
    m2p_fill_invalid(m2p, chunks, from, to);
    for (mfn_t m = 0; m < 3 * M2P_CHUNK_ENTRIES; m++) {
        bool invalid = m >= from && m < to && m / M2P_CHUNK_ENTRIES != 1;
        ck_assert_msg(m2p[m] == (invalid ? ~0ull : 0), "entry %#llx: %#llx",
                      (unsigned long long)m, (unsigned long long)m2p[m]);
    }
    munmap(m2p, bytes);
}
END_TEST

/* Without a chunk list every entry in range is written. */
START_TEST(m2p_fill_without_chunks)
{
    static uint64_t m2p[64];
    m2p_fill_invalid(m2p, NULL, 3, 60);
    for (unsigned i = 0; i < 64; i++)
        ck_assert_uint_eq(m2p[i], i >= 3 && i < 60 ? ~0ull : 0);
}
END_TEST

/*
 * 4096 frames: RAM in the first 2048 (8 MiB), none above. The frame
 * entries of frames 2048-4095 (pages 4-7) are one shared page of I/O
 * entries, read-only.
 */
START_TEST(frame_table_shared_io_pages)
{
    enum { N = 4096 };
    size_t bytes = pv_mm_frame_table_bytes(N);
    ck_assert_uint_eq(bytes, N * 8);
    uint8_t *ft = pages(bytes);
    for (unsigned p = 4; p < 8; p++)
        pv_mm_frame_table_io_page(ft + p * PAGE_SIZE);
    read_only(ft + 4 * PAGE_SIZE, 4 * PAGE_SIZE);
    static uint64_t m2p[N];
    static struct memmap map;
    map.nr = 0;
    ck_assert(memmap_add(&map, 0, MiB(8), MEM_RAM));
    memmap_sanitize(&map);

    pv_mm_init_prepared(ft, N, m2p, mm_sim_hyp_slots);
    ck_assert_int_eq(pv_mm_mark_io(&map, 0x100), 0);
    for (mfn_t m = 0; m < N; m++) {
        struct pv_frame_info fi;
        ck_assert(pv_mm_frame_info(m, &fi));
        ck_assert_msg(fi.owner == (m < 0x100 || m >= 2048 ? PV_OWNER_IO : PV_OWNER_NONE),
                      "frame %#llx: owner %u", (unsigned long long)m, fi.owner);
        ck_assert_int_eq(fi.refs, 0);
        ck_assert_int_eq(fi.linear, 0);
    }
    /* A hole frame is no one's and stays so: every request is refused, nothing written. */
    ck_assert_int_eq(pv_mm_assign(3000, 1, PV_OWNER_GUEST), -XEN_EINVAL);
    ck_assert_int_eq(pv_mm_assign(2040, 16, PV_OWNER_GUEST), -XEN_EINVAL);
    ck_assert_int_eq(pv_mm_share_with_guest(3000), -XEN_EINVAL);
    ck_assert_int_eq(pv_mm_release_frame(3000), -XEN_EINVAL);
    ck_assert(!pv_mm_guest_owns(3000));
    ck_assert_int_eq(pv_mm_get_writable_frame(3000), -XEN_EINVAL);
    ck_assert_int_eq(pv_mm_get_readable_frame(3000), -XEN_EINVAL);
    /* RAM below works as ever. */
    ck_assert_int_eq(pv_mm_assign(0x100, 0x700, PV_OWNER_GUEST), 0);
    ck_assert(pv_mm_guest_owns(0x7ff));
    ck_assert_int_eq(pv_mm_get_writable_frame(0x7ff), 0);
    pv_mm_put_writable_frame(0x7ff);
    pv_mm_init(NULL, N, m2p, mm_sim_hyp_slots);
    munmap(ft, bytes);
}
END_TEST

static Suite *mm_sparse_suite(void)
{
    Suite *s = suite_create("mm_sparse");
    TCase *tc = tcase_create("sparse");
    tcase_add_checked_fixture(tc, mm_sim_setup, mm_sim_teardown);
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, m2p_fill_skips_missing_chunks);
    tcase_add_test(tc, m2p_fill_without_chunks);
    tcase_add_test(tc, frame_table_shared_io_pages);
    suite_add_tcase(s, tc);
    return s;
}
UNIT_SUITE(mm_sparse_suite)
