/*
 * grant_table_op on the simulated machine: table set-up and versions,
 * mapping, unmapping and copying the domain's own grants, with Xen 4.17's
 * status codes, and the MMU's invariants checked after each step (grant
 * PTEs hold nothing; the mapping handles hold the frames).
 */
#include <string.h>
#include "unit.h"
#include "mm_sim.h"
#include "grant_table.h"
#include <pvshim/frame_alloc.h>

#define RO  (PTE_P | PTE_US | PTE_A)
#define RWF (PTE_P | PTE_RW | PTE_US | PTE_A)
#define VA  0x400000ull                 /* maps `data` RW; VA + 4K.. empty */
#define OWN 1                           /* dom.domid in mm_sim */
#define LIST_VA (SIM_ARGS_VA + 0x8000)

static mfn_t l4, l1, data, data2, gframe;

static long gnt(unsigned cmd, void *op, size_t size, unsigned count)
{
    memcpy(mm_sim_args, op, size * count);
    long rc = do_grant_table_op(cmd, SIM_ARGS_VA, count);
    memcpy(op, mm_sim_args, size * count);
    return rc;
}

static int16_t setup(unsigned n, domid_t d)
{
    struct gnttab_setup_table op = { .dom = d, .nr_frames = n };
    set_xen_guest_handle(op.frame_list, (xen_pfn_t *)(uintptr_t)LIST_VA);
    ck_assert_int_eq(gnt(GNTTABOP_setup_table, &op, sizeof(op), 1), 0);
    return op.status;
}

static xen_pfn_t listed(unsigned i)
{
    xen_pfn_t f;
    memcpy(&f, mm_sim_args + (LIST_VA - SIM_ARGS_VA) + i * sizeof(f), sizeof(f));
    return f;
}

static grant_entry_v1_t *v1(grant_ref_t ref)
{
    return &((grant_entry_v1_t *)mm_sim_table(gframe))[ref];
}

static grant_entry_v2_t *v2(grant_ref_t ref)
{
    return &((grant_entry_v2_t *)mm_sim_table(gframe))[ref];
}

static void grant(grant_ref_t ref, mfn_t frame, uint16_t flags)
{
    *v1(ref) = (grant_entry_v1_t){ .flags = flags, .domid = OWN, .frame = (uint32_t)frame };
}

static struct gnttab_map_grant_ref map(grant_ref_t ref, uint32_t flags, uint64_t addr, domid_t d)
{
    struct gnttab_map_grant_ref op = { .host_addr = addr, .flags = flags, .ref = ref, .dom = d };
    ck_assert_int_eq(gnt(GNTTABOP_map_grant_ref, &op, sizeof(op), 1), 0);
    return op;
}

static int16_t unmap(grant_handle_t h, uint64_t addr, uint64_t dev)
{
    struct gnttab_unmap_grant_ref op = { .host_addr = addr, .dev_bus_addr = dev, .handle = h,
                                         .status = 99 };
    ck_assert_int_eq(gnt(GNTTABOP_unmap_grant_ref, &op, sizeof(op), 1), 0);
    return op.status;
}

static pte_t pte_at(vaddr_t va)
{
    return mm_sim_table(l1)[pt_index(va, L1_SHIFT)];
}

static void gt_setup(void)
{
    mm_sim_setup();
    frame_pool_init(&machine_frames);
    frame_pool_free(&machine_frames, SIM_FREE_FIRST, SIM_FRAMES - SIM_FREE_FIRST);
    data = mm_sim_alloc();
    data2 = mm_sim_alloc();
    l4 = mm_sim_alloc();
    l1 = mm_sim_map_raw(l4, VA, data, RWF);
    ck_assert_int_eq(pv_mm_pin(l4, 4), 0);
    ck_assert_int_eq(pv_mm_set_kernel_base(l4), 0);
    ck_assert_int_eq(setup(1, DOMID_SELF), GNTST_okay);
    gframe = listed(0);
}

/* ---------------------------------------------------------- table */

START_TEST(table_setup_and_query)
{
    struct pv_frame_info fi = mm_sim_info(gframe);
    ck_assert(fi.shared);
    /* The guest can never make a table frame a page table. */
    ck_assert_int_eq(pv_mm_pin(gframe, 1), -XEN_EINVAL);

    struct gnttab_query_size q = { .dom = DOMID_SELF };
    ck_assert_int_eq(gnt(GNTTABOP_query_size, &q, sizeof(q), 1), 0);
    ck_assert_int_eq(q.status, GNTST_okay);
    ck_assert_uint_eq(q.nr_frames, 1);
    ck_assert_uint_eq(q.max_nr_frames, GNTTAB_MAX_FRAMES);
    q = (struct gnttab_query_size){ .dom = 0 };
    ck_assert_int_eq(gnt(GNTTABOP_query_size, &q, sizeof(q), 1), 0);
    ck_assert_int_eq(q.status, GNTST_permission_denied);
    q = (struct gnttab_query_size){ .dom = 7 };
    ck_assert_int_eq(gnt(GNTTABOP_query_size, &q, sizeof(q), 1), 0);
    ck_assert_int_eq(q.status, GNTST_bad_domain);
    ck_assert_int_eq(do_grant_table_op(GNTTABOP_query_size, SIM_ARGS_VA, 2), -XEN_EINVAL);

    ck_assert_int_eq(setup(3, OWN), GNTST_okay);
    ck_assert_uint_eq(listed(0), gframe);
    ck_assert_int_eq(setup(GNTTAB_MAX_FRAMES + 1, DOMID_SELF), GNTST_general_error);
    ck_assert_int_eq(setup(1, 0), GNTST_permission_denied);
    ck_assert_int_eq(setup(1, 9), GNTST_bad_domain);

    struct gnttab_get_version v = { .dom = DOMID_SELF };
    ck_assert_int_eq(gnt(GNTTABOP_get_version, &v, sizeof(v), 1), 0);
    ck_assert_uint_eq(v.version, 1);
    v.dom = 0;
    ck_assert_int_eq(gnt(GNTTABOP_get_version, &v, sizeof(v), 1), -XEN_EPERM);
    v.dom = 9;
    ck_assert_int_eq(gnt(GNTTABOP_get_version, &v, sizeof(v), 1), -XEN_ESRCH);
    /* Bits above the operation number: only cache_flush takes them. */
    ck_assert_int_eq(do_grant_table_op(GNTTABOP_query_size | 0x1000, SIM_ARGS_VA, 1),
                     -XEN_EINVAL);
    ck_assert_int_eq(do_grant_table_op(GNTTABOP_swap_grant_ref, SIM_ARGS_VA, 1), -XEN_ENOSYS);
    ck_mm_invariants();
}
END_TEST

/* ---------------------------------------------------------- map / unmap */

START_TEST(map_host_writable_then_unmap)
{
    grant(8, data2, GTF_permit_access);
    struct gnttab_map_grant_ref m = map(8, GNTMAP_host_map, VA + 0x1000, OWN);
    ck_assert_int_eq(m.status, GNTST_okay);
    ck_assert_uint_eq(m.dev_bus_addr, mfn_to_paddr(data2));
    pte_t e = pte_at(VA + 0x1000);
    ck_assert_uint_eq(e & PTE_ADDR_MASK, mfn_to_paddr(data2));
    ck_assert(e & (1ull << 62));
    ck_assert(e & PTE_RW);
    ck_assert(e & PTE_NX);
    ck_assert_uint_eq(v1(8)->flags, GTF_permit_access | GTF_reading | GTF_writing);
    ck_mm_invariants();
    /* Mapped writable by the grant: it can't become a page table. */
    ck_assert_int_eq(pv_mm_pin(data2, 1), -XEN_EINVAL);

    /* Overwriting the grant PTE by hand does not drop the grant's hold. */
    ck_assert_int_eq(mm_sim_mmu_update1(mm_sim_slot_maddr(l1, pt_index(VA + 0x2000, L1_SHIFT)),
                                        mm_sim_pte(data2, RO)), 0);
    ck_mm_invariants();

    unsigned flushes = fake_hw.tlb_flushes;
    ck_assert_int_eq(unmap(m.handle, VA + 0x1000, 0), GNTST_okay);
    ck_assert_uint_eq(pte_at(VA + 0x1000), 0);
    ck_assert_uint_gt(fake_hw.tlb_flushes, flushes);
    ck_assert_uint_eq(v1(8)->flags, GTF_permit_access);
    ck_mm_invariants();
    /* The handle is gone. */
    ck_assert_int_eq(unmap(m.handle, VA + 0x1000, 0), GNTST_bad_handle);
    ck_assert_int_eq(unmap(GNTTAB_MAX_HANDLES + 5, VA + 0x1000, 0), GNTST_bad_handle);
    ck_assert_int_eq(mm_sim_mmu_update1(mm_sim_slot_maddr(l1, pt_index(VA + 0x2000, L1_SHIFT)),
                                        0), 0);
    ck_assert_int_eq(pv_mm_pin(data2, 1), 0);
    ck_mm_invariants();
}
END_TEST

START_TEST(map_refusals)
{
    grant(8, data2, GTF_permit_access);
    ck_assert_int_eq(map(8, 0, VA + 0x1000, OWN).status, GNTST_bad_gntref);
    ck_assert_int_eq(map(8, GNTMAP_host_map, VA + 0x1000, DOMID_SELF).status,
                     GNTST_bad_domain);
    ck_assert_int_eq(map(8, GNTMAP_host_map, VA + 0x1000, 9).status, GNTST_bad_domain);
    /* The backends' domain grants nothing. */
    ck_assert_int_eq(map(8, GNTMAP_host_map, VA + 0x1000, 0).status, GNTST_general_error);
    ck_assert_int_eq(map(1u << 20, GNTMAP_host_map, VA + 0x1000, 0).status, GNTST_bad_gntref);
    ck_assert_int_eq(map(512, GNTMAP_host_map, VA + 0x1000, OWN).status, GNTST_bad_gntref);

    /* Entry checks: type, domid, read-only, sub-page. */
    grant(9, data2, GTF_accept_transfer);
    ck_assert_int_eq(map(9, GNTMAP_host_map, VA + 0x1000, OWN).status, GNTST_general_error);
    grant(9, data2, GTF_permit_access);
    v1(9)->domid = 4;
    ck_assert_int_eq(map(9, GNTMAP_host_map, VA + 0x1000, OWN).status, GNTST_general_error);
    grant(9, data2, GTF_permit_access | GTF_readonly);
    ck_assert_int_eq(map(9, GNTMAP_host_map, VA + 0x1000, OWN).status, GNTST_general_error);
    grant(9, data2, GTF_permit_access | GTF_sub_page);
    ck_assert_int_eq(map(9, GNTMAP_host_map, VA + 0x1000, OWN).status, GNTST_general_error);
    ck_assert_uint_eq(v1(9)->flags & (GTF_reading | GTF_writing), 0);

    /* Frames: not the guest's -> bad_page; a page table never writable. */
    grant(10, SIM_SHIM_FIRST + 2, GTF_permit_access);
    ck_assert_int_eq(map(10, GNTMAP_host_map, VA + 0x1000, OWN).status, GNTST_bad_page);
    ck_assert_uint_eq(v1(10)->flags, GTF_permit_access);
    grant(11, l1, GTF_permit_access);
    ck_assert_int_eq(map(11, GNTMAP_host_map, VA + 0x1000, OWN).status, GNTST_general_error);
    ck_assert_int_eq(map(11, GNTMAP_device_map, 0, OWN).status, GNTST_general_error);
    ck_assert_uint_eq(v1(11)->flags, GTF_permit_access);
    ck_assert_uint_eq(pte_at(VA + 0x1000), 0);
    ck_mm_invariants();
    /* ... but read-only is fine, as any read-only mapping of a table. */
    struct gnttab_map_grant_ref m = map(11, GNTMAP_host_map | GNTMAP_readonly, VA + 0x1000, OWN);
    ck_assert_int_eq(m.status, GNTST_okay);
    ck_assert(!(pte_at(VA + 0x1000) & PTE_RW));
    ck_assert_uint_eq(v1(11)->flags, GTF_permit_access | GTF_reading);
    ck_mm_invariants();
    ck_assert_int_eq(unmap(m.handle, VA + 0x1000, 0), GNTST_okay);

    /* pvshim's own grant-table frame: writable like any shared frame. */
    grant(12, gframe, GTF_permit_access);
    m = map(12, GNTMAP_host_map, VA + 0x1000, OWN);
    ck_assert_int_eq(m.status, GNTST_okay);
    ck_mm_invariants();
    ck_assert_int_eq(unmap(m.handle, VA + 0x1000, 0), GNTST_okay);

    /* Addresses: no L1 there, a misaligned PTE address, a non-table frame. */
    ck_assert_int_eq(map(8, GNTMAP_host_map, 0x7f0000000000ull, OWN).status,
                     GNTST_general_error);
    ck_assert_int_eq(map(8, GNTMAP_host_map, 0xffff800000000000ull, OWN).status,
                     GNTST_general_error);
    ck_assert_int_eq(map(8, GNTMAP_host_map | GNTMAP_contains_pte,
                         mm_sim_slot_maddr(l1, 1) + 4, OWN).status, GNTST_general_error);
    ck_assert_int_eq(map(8, GNTMAP_host_map | GNTMAP_contains_pte,
                         mm_sim_slot_maddr(data, 1), OWN).status, GNTST_general_error);
    ck_assert_uint_eq(v1(8)->flags, GTF_permit_access);
    ck_mm_invariants();
}
END_TEST

START_TEST(map_by_pte_address)
{
    grant(8, data2, GTF_permit_access);
    uint64_t slot = mm_sim_slot_maddr(l1, 5);
    struct gnttab_map_grant_ref m = map(8, GNTMAP_host_map | GNTMAP_contains_pte, slot, OWN);
    ck_assert_int_eq(m.status, GNTST_okay);
    ck_assert_uint_eq(mm_sim_table(l1)[5] & PTE_ADDR_MASK, mfn_to_paddr(data2));
    ck_mm_invariants();
    /* unmap_and_replace is not for PTE-address mappings. */
    struct gnttab_unmap_and_replace r = { .host_addr = slot, .new_addr = VA, .handle = m.handle };
    ck_assert_int_eq(gnt(GNTTABOP_unmap_and_replace, &r, sizeof(r), 1), 0);
    ck_assert_int_eq(r.status, GNTST_general_error);
    ck_assert_int_eq(unmap(m.handle, slot, 0), GNTST_okay);
    ck_assert_uint_eq(mm_sim_table(l1)[5], 0);
    ck_mm_invariants();
}
END_TEST

/* XSA-224: a host and a device mapping unmapped one at a time. */
START_TEST(host_and_device_unmapped_apart)
{
    grant(8, data2, GTF_permit_access);
    struct gnttab_map_grant_ref m = map(8, GNTMAP_host_map | GNTMAP_device_map, VA + 0x1000, OWN);
    ck_assert_int_eq(m.status, GNTST_okay);
    ck_assert_uint_eq(mm_sim_info(data2).type_count, 2);
    ck_mm_invariants();
    ck_assert_int_eq(unmap(m.handle, VA + 0x1000, 0), GNTST_okay);
    ck_assert_uint_eq(mm_sim_info(data2).type_count, 1);
    ck_mm_invariants();
    ck_assert_int_eq(unmap(m.handle, 0, mfn_to_paddr(data)), GNTST_bad_dev_addr);
    ck_assert_int_eq(unmap(m.handle, 0, 0), GNTST_okay);      /* nothing to do */
    ck_assert_int_eq(unmap(m.handle, 0, mfn_to_paddr(data2)), GNTST_okay);
    ck_assert_uint_eq(mm_sim_info(data2).type_count, 0);
    ck_assert_uint_eq(v1(8)->flags, GTF_permit_access);
    ck_mm_invariants();
    ck_assert_int_eq(unmap(m.handle, 0, mfn_to_paddr(data2)), GNTST_bad_handle);
}
END_TEST

/* XSA-234: unmap_and_replace may not leave a writable hold unaccounted. */
START_TEST(unmap_and_replace_steals)
{
    grant(8, data, GTF_permit_access);
    grant(9, data2, GTF_permit_access);
    ck_assert_int_eq(do_update_va_mapping(VA, mm_sim_pte(data, RO), UVMF_INVLPG), 0);
    struct gnttab_map_grant_ref f1 = map(8, GNTMAP_host_map, VA + 0x1000, OWN);
    struct gnttab_map_grant_ref f2 = map(9, GNTMAP_host_map | GNTMAP_readonly, VA + 0x2000, OWN);
    ck_assert_int_eq(f1.status, GNTST_okay);
    ck_assert_int_eq(f2.status, GNTST_okay);
    struct gnttab_unmap_and_replace r = { .host_addr = VA + 0x2000, .new_addr = VA + 0x1000,
                                          .handle = f2.handle };
    ck_assert_int_eq(gnt(GNTTABOP_unmap_and_replace, &r, sizeof(r), 1), 0);
    ck_assert_int_eq(r.status, GNTST_okay);
    ck_assert_uint_eq(pte_at(VA + 0x1000), 0);
    ck_assert_uint_eq(pte_at(VA + 0x2000) & PTE_ADDR_MASK, mfn_to_paddr(data));
    ck_mm_invariants();
    /* The guest re-points VA + 4K at data read-only: the grant unmap fails there. */
    ck_assert_int_eq(do_update_va_mapping(VA + 0x1000, mm_sim_pte(data, RO), UVMF_INVLPG), 0);
    ck_assert_int_eq(unmap(f1.handle, VA + 0x1000, 0), GNTST_general_error);
    /* data is still held writable by f1. */
    ck_assert_int_eq(pv_mm_pin(data, 1), -XEN_EINVAL);
    ck_mm_invariants();
    /* An ordinary writable entry matching the grant is not taken for it. */
    ck_assert_int_eq(do_update_va_mapping(VA + 0x1000, mm_sim_pte(data, RWF), UVMF_INVLPG), 0);
    ck_assert_int_eq(unmap(f1.handle, VA + 0x1000, 0), GNTST_general_error);
    ck_mm_invariants();
    /* Where the grant PTE went, the unmap works. */
    ck_assert_int_eq(unmap(f1.handle, VA + 0x2000, 0), GNTST_okay);
    ck_assert_int_eq(do_update_va_mapping(VA + 0x1000, 0, UVMF_INVLPG), 0);
    ck_mm_invariants();
    ck_assert_int_eq(pv_mm_pin(data, 1), 0);
}
END_TEST

START_TEST(pins_and_status_flags)
{
    grant(8, data2, GTF_permit_access);
    struct gnttab_map_grant_ref a = map(8, GNTMAP_host_map | GNTMAP_readonly, VA + 0x1000, OWN);
    ck_assert_uint_eq(v1(8)->flags, GTF_permit_access | GTF_reading);
    /* Once pinned, a changed domid doesn't matter; a read-only flag does for writers. */
    v1(8)->domid = 5;
    struct gnttab_map_grant_ref b = map(8, GNTMAP_device_map, 0, OWN);
    ck_assert_int_eq(b.status, GNTST_okay);
    ck_assert_uint_eq(v1(8)->flags & ~GTF_type_mask, GTF_reading | GTF_writing);
    v1(8)->flags |= GTF_readonly;
    struct gnttab_map_grant_ref c = map(8, GNTMAP_host_map, VA + 0x2000, OWN);
    ck_assert_int_eq(c.status, GNTST_okay);
    ck_mm_invariants();
    ck_assert_int_eq(unmap(b.handle, 0, mfn_to_paddr(data2)), GNTST_okay);
    ck_assert(v1(8)->flags & GTF_writing);     /* the host mapping still writes */
    ck_assert_int_eq(unmap(c.handle, VA + 0x2000, 0), GNTST_okay);
    ck_assert_uint_eq(v1(8)->flags & (GTF_reading | GTF_writing), GTF_reading);
    ck_assert_int_eq(unmap(a.handle, VA + 0x1000, 0), GNTST_okay);
    ck_assert_uint_eq(v1(8)->flags & (GTF_reading | GTF_writing), 0);
    ck_mm_invariants();
}
END_TEST

/* More than one unmap batch in a call; a fault stops it where it is. */
START_TEST(unmap_batches)
{
    grant(8, data2, GTF_permit_access);
    enum { N = 40 };
    struct gnttab_map_grant_ref m[N];
    for (unsigned i = 0; i < N; i++)
        m[i] = (struct gnttab_map_grant_ref){ .flags = GNTMAP_device_map | GNTMAP_readonly,
                                              .ref = 8, .dom = OWN };
    ck_assert_int_eq(gnt(GNTTABOP_map_grant_ref, m, sizeof(m[0]), N), 0);
    for (unsigned i = 0; i < N; i++)
        ck_assert_int_eq(m[i].status, GNTST_okay);
    ck_assert_uint_eq(mm_sim_info(data2).refs, 1 + N);
    ck_mm_invariants();

    struct gnttab_unmap_grant_ref u[N];
    for (unsigned i = 0; i < N; i++)
        u[i] = (struct gnttab_unmap_grant_ref){ .dev_bus_addr = mfn_to_paddr(data2),
                                                .handle = m[i].handle, .status = 99 };
    /* The request list runs off the argument buffer after 3: -EFAULT there. */
    vaddr_t last = SIM_ARGS_VA + SIM_ARGS_SIZE - 3 * sizeof(u[0]);
    memcpy(mm_sim_args + (last - SIM_ARGS_VA), u, 3 * sizeof(u[0]));
    ck_assert_int_eq(do_grant_table_op(GNTTABOP_unmap_grant_ref, last, 5), -XEN_EFAULT);
    ck_assert_uint_eq(mm_sim_info(data2).refs, 1 + N - 3);
    ck_mm_invariants();
    ck_assert_int_eq(gnt(GNTTABOP_unmap_grant_ref, &u[3], sizeof(u[0]), N - 3), 0);
    for (unsigned i = 3; i < N; i++)
        ck_assert_int_eq(u[i].status, GNTST_okay);
    ck_assert_uint_eq(mm_sim_info(data2).refs, 1);
    ck_assert_uint_eq(v1(8)->flags, GTF_permit_access);
    ck_mm_invariants();
    /* Map and unmap lists outside the guest's range: -EFAULT before anything. */
    ck_assert_int_eq(do_grant_table_op(GNTTABOP_map_grant_ref, 0xffff800000000000ull, 1),
                     -XEN_EFAULT);
    ck_assert_int_eq(do_grant_table_op(GNTTABOP_copy, 0x0000800000000000ull - 8, 1),
                     -XEN_EFAULT);
}
END_TEST

/* ---------------------------------------------------------- copy */

static int16_t copy1(struct gnttab_copy *c)
{
    c->status = 99;
    ck_assert_int_eq(gnt(GNTTABOP_copy, c, sizeof(*c), 1), 0);
    return c->status;
}

START_TEST(copy_frames_and_grants)
{
    uint8_t *src = (uint8_t *)mm_sim_table(data), *dst = (uint8_t *)mm_sim_table(data2);
    memset(src, 0xab, PAGE_SIZE);
    struct gnttab_copy c = { .source = { .u.gmfn = data, .domid = DOMID_SELF, .offset = 16 },
                             .dest = { .u.gmfn = data2, .domid = DOMID_SELF, .offset = 32 },
                             .len = 100 };
    ck_assert_int_eq(copy1(&c), GNTST_okay);
    ck_assert_uint_eq(dst[32], 0xab);
    ck_assert_uint_eq(dst[131], 0xab);
    ck_assert_uint_eq(dst[132], 0);
    ck_assert_uint_eq(dst[31], 0);

    /* Frames only of DOMID_SELF, not even of ourselves by number. */
    c.source.domid = OWN;
    ck_assert_int_eq(copy1(&c), GNTST_permission_denied);
    c.source.domid = DOMID_SELF;
    c.len = PAGE_SIZE;
    ck_assert_int_eq(copy1(&c), GNTST_bad_copy_arg);
    c.len = 8;
    c.dest.u.gmfn = l1;                         /* a page table: never written */
    ck_assert_int_eq(copy1(&c), GNTST_general_error);
    c.dest.u.gmfn = SIM_SHIM_FIRST + 1;
    ck_assert_int_eq(copy1(&c), GNTST_bad_page);
    c.dest.u.gmfn = data2;

    /* By grant reference. */
    grant(8, data, GTF_permit_access | GTF_readonly);
    grant(9, data2, GTF_permit_access);
    c.flags = GNTCOPY_source_gref | GNTCOPY_dest_gref;
    c.source = (struct gnttab_copy_ptr){ .u.ref = 8, .domid = OWN, .offset = 0 };
    c.dest = (struct gnttab_copy_ptr){ .u.ref = 9, .domid = DOMID_SELF, .offset = 4000 };
    c.len = 96;
    ck_assert_int_eq(copy1(&c), GNTST_okay);
    ck_assert_uint_eq(dst[4095], 0xab);
    ck_assert_uint_eq(v1(8)->flags, GTF_permit_access | GTF_readonly);
    ck_assert_uint_eq(v1(9)->flags, GTF_permit_access);
    /* A read-only grant can't be a destination. */
    c.dest.u.ref = 8;
    ck_assert_int_eq(copy1(&c), GNTST_general_error);
    c.dest.u.ref = 600;
    ck_assert_int_eq(copy1(&c), GNTST_bad_gntref);
    c.dest.domid = 0;
    c.dest.u.ref = 9;
    ck_assert_int_eq(copy1(&c), GNTST_general_error);
    c.dest.domid = 44;
    ck_assert_int_eq(copy1(&c), GNTST_bad_domain);
    ck_assert_uint_eq(v1(8)->flags, GTF_permit_access | GTF_readonly);

    /* Several at once: each its own status. */
    struct gnttab_copy two[2] = { c, c };
    two[0].dest.domid = DOMID_SELF;
    ck_assert_int_eq(gnt(GNTTABOP_copy, two, sizeof(c), 2), 0);
    ck_assert_int_eq(two[0].status, GNTST_okay);
    ck_assert_int_eq(two[1].status, GNTST_bad_domain);
    ck_mm_invariants();
}
END_TEST

/* ---------------------------------------------------------- version 2 */

static long set_version(unsigned v, unsigned *now)
{
    struct gnttab_set_version op = { .version = v };
    long rc = gnt(GNTTABOP_set_version, &op, sizeof(op), 1);
    *now = op.version;
    return rc;
}

static int16_t status_frames(unsigned n, uint64_t *first)
{
    struct gnttab_get_status_frames op = { .nr_frames = n, .dom = DOMID_SELF };
    set_xen_guest_handle(op.frame_list, (uint64_t *)(uintptr_t)LIST_VA);
    ck_assert_int_eq(gnt(GNTTABOP_get_status_frames, &op, sizeof(op), 1), 0);
    memcpy(first, mm_sim_args + (LIST_VA - SIM_ARGS_VA), sizeof(*first));
    return op.status;
}

START_TEST(version_switches)
{
    unsigned now;
    uint64_t sf;
    ck_assert_int_eq(set_version(3, &now), -XEN_EINVAL);
    ck_assert_uint_eq(now, 1);
    ck_assert_int_eq(status_frames(1, &sf), GNTST_general_error);
    ck_assert_int_eq(status_frames(0, &sf), GNTST_okay);

    grant(2, data2, GTF_permit_access | GTF_reading);   /* reserved: kept */
    grant(20, data2, GTF_permit_access);                /* cleared */
    ck_assert_int_eq(set_version(2, &now), 0);
    ck_assert_uint_eq(now, 2);
    ck_assert_int_eq(status_frames(2, &sf), GNTST_general_error);
    ck_assert_int_eq(status_frames(1, &sf), GNTST_okay);
    struct pv_frame_info fi = mm_sim_info(sf);
    ck_assert(fi.shared);
    grant_status_t *st = (grant_status_t *)mm_sim_table(sf);
    ck_assert_uint_eq(v2(2)->hdr.flags, GTF_permit_access);
    ck_assert_uint_eq(v2(2)->hdr.domid, OWN);
    ck_assert_uint_eq(v2(2)->full_page.frame, data2);
    ck_assert_uint_eq(st[2], GTF_reading);
    ck_assert_uint_eq(v2(10)->hdr.flags, 0);

    /* Maps in v2: the status frame carries reading/writing. */
    *v2(12) = (grant_entry_v2_t){ .full_page = { .hdr = { GTF_permit_access, OWN },
                                                 .frame = data2 } };
    struct gnttab_map_grant_ref m = map(12, GNTMAP_host_map, VA + 0x1000, OWN);
    ck_assert_int_eq(m.status, GNTST_okay);
    ck_assert_uint_eq(st[12], GTF_reading | GTF_writing);
    ck_assert_uint_eq(v2(12)->hdr.flags, GTF_permit_access);
    /* In use beyond the reserved entries: no switch. */
    ck_assert_int_eq(set_version(1, &now), -XEN_EBUSY);
    ck_assert_uint_eq(now, 2);
    ck_assert_int_eq(unmap(m.handle, VA + 0x1000, 0), GNTST_okay);
    ck_assert_uint_eq(st[12], 0);
    ck_mm_invariants();

    /* XSA-255: a status frame the guest maps is not given back. */
    ck_assert_int_eq(do_update_va_mapping(VA + 0x3000, mm_sim_pte(sf, RO), UVMF_INVLPG), 0);
    ck_assert_int_eq(set_version(1, &now), -XEN_EBUSY);
    ck_assert_uint_eq(now, 2);
    ck_mm_invariants();
    ck_assert_int_eq(do_update_va_mapping(VA + 0x3000, 0, UVMF_INVLPG), 0);

    /* Reserved entries v1 cannot represent. */
    v2(3)->full_page.frame = 1ull << 32;
    v2(3)->hdr.flags = GTF_permit_access;
    ck_assert_int_eq(set_version(1, &now), -XEN_ERANGE);
    v2(3)->hdr.flags = GTF_transitive;
    ck_assert_int_eq(set_version(1, &now), -XEN_ERANGE);
    v2(3)->hdr.flags = 0;

    ck_assert_int_eq(set_version(1, &now), 0);
    ck_assert_uint_eq(now, 1);
    ck_assert_uint_eq(v1(2)->flags, GTF_permit_access | GTF_reading);
    ck_assert_uint_eq(v1(2)->frame, data2);
    ck_assert_int_eq(status_frames(1, &sf), GNTST_general_error);
    fi = mm_sim_info(sf);
    ck_assert_uint_eq(fi.owner, PV_OWNER_NONE);
    ck_mm_invariants();
    /* Growing a v2 table grows its status too. */
    ck_assert_int_eq(set_version(2, &now), 0);
    ck_assert_int_eq(setup(4, DOMID_SELF), GNTST_okay);
    ck_assert_int_eq(status_frames(1, &sf), GNTST_okay);
    ck_mm_invariants();
}
END_TEST

START_TEST(v2_sub_page_and_transitive_copies)
{
    unsigned now;
    ck_assert_int_eq(set_version(2, &now), 0);
    uint8_t *src = (uint8_t *)mm_sim_table(data);
    memset(src, 0x5a, PAGE_SIZE);
    *v2(9) = (grant_entry_v2_t){ .sub_page = { .hdr = { GTF_permit_access | GTF_sub_page, OWN },
                                               .page_off = 100, .length = 50, .frame = data } };
    struct gnttab_copy c = { .flags = GNTCOPY_source_gref,
                             .source = { .u.ref = 9, .domid = DOMID_SELF, .offset = 100 },
                             .dest = { .u.gmfn = data2, .domid = DOMID_SELF },
                             .len = 50 };
    ck_assert_int_eq(copy1(&c), GNTST_okay);
    c.len = 51;
    ck_assert_int_eq(copy1(&c), GNTST_general_error);
    c.len = 10;
    c.source.offset = 99;
    ck_assert_int_eq(copy1(&c), GNTST_general_error);
    /* A sub-page grant can't be mapped. */
    ck_assert_int_eq(map(9, GNTMAP_host_map, VA + 0x1000, OWN).status, GNTST_general_error);
    /* Transitive grants lead to another domain: none grants to us. */
    *v2(10) = (grant_entry_v2_t){ .transitive = { .hdr = { GTF_transitive, OWN },
                                                  .trans_domid = OWN, .gref = 9 } };
    c.source = (struct gnttab_copy_ptr){ .u.ref = 10, .domid = DOMID_SELF };
    ck_assert_int_eq(copy1(&c), GNTST_general_error);
    uint64_t sf;
    ck_assert_int_eq(status_frames(1, &sf), GNTST_okay);
    ck_assert_uint_eq(((grant_status_t *)mm_sim_table(sf))[10], 0);
    ck_assert_uint_eq(((grant_status_t *)mm_sim_table(sf))[9], 0);
    ck_assert_int_eq(map(10, GNTMAP_host_map, VA + 0x1000, OWN).status, GNTST_general_error);
    ck_mm_invariants();
}
END_TEST

static Suite *grant_table_suite(void)
{
    Suite *s = suite_create("grant_table");
    TCase *tc = tcase_create("ops");
    tcase_add_checked_fixture(tc, gt_setup, mm_sim_teardown);
    tcase_add_test(tc, table_setup_and_query);
    tcase_add_test(tc, map_host_writable_then_unmap);
    tcase_add_test(tc, map_refusals);
    tcase_add_test(tc, map_by_pte_address);
    tcase_add_test(tc, host_and_device_unmapped_apart);
    tcase_add_test(tc, unmap_and_replace_steals);
    tcase_add_test(tc, pins_and_status_flags);
    tcase_add_test(tc, unmap_batches);
    tcase_add_test(tc, copy_frames_and_grants);
    tcase_add_test(tc, version_switches);
    tcase_add_test(tc, v2_sub_page_and_transitive_copies);
    suite_add_tcase(s, tc);
    return s;
}
UNIT_SUITE(grant_table_suite)
