/*
 * Descriptor tables: set_gdt, update_descriptor (check_descriptor for a
 * 64-bit guest) and the lazily validated LDT.
 */
#include <string.h>
#include "unit.h"
#include "mm_sim.h"

#define RO (PTE_P | PTE_US | PTE_A)
#define RWF (PTE_P | PTE_RW | PTE_US | PTE_A)

/* Descriptors: a = low dword, b = high dword. */
static uint64_t desc(uint32_t a, uint32_t b)
{
    return ((uint64_t)b << 32) | a;
}
#define CODE64(dpl)  desc(0x0000ffff, 0x00af9a00u | ((dpl) << 13))
#define DATA(dpl)    desc(0x0000ffff, 0x00cf9200u | ((dpl) << 13))
#define GATE(sel, dpl) desc(((uint32_t)(sel) << 16) | 0x1234, 0x00008c00u | ((dpl) << 13))
#define TSS64        desc(0x00000067, 0x00008900u)

static long set_gdt(const mfn_t *frames, unsigned n, unsigned entries)
{
    uint64_t f[16];
    for (unsigned i = 0; i < n; i++)
        f[i] = frames[i];
    memcpy(mm_sim_args + 0x1000, f, n * 8);
    return do_set_gdt(SIM_ARGS_VA + 0x1000, entries);
}

START_TEST(gdt_install_and_replace)
{
    mfn_t g[3] = { mm_sim_alloc(), mm_sim_alloc(), mm_sim_alloc() };
    uint64_t *d = (uint64_t *)mm_sim_table(g[0]);
    d[1] = CODE64(0);
    d[2] = DATA(0);
    d[3] = CODE64(3);
    unsigned f = fake_hw.tlb_flushes;
    ck_assert_int_eq(set_gdt(g, 2, 513), 0);
    ck_assert_uint_eq(current->gdt_ents, 513);
    ck_assert_uint_eq(current->gdt_frames[1], g[1]);
    ck_assert_uint_eq(fake_hw.gdt_nr, 2);
    ck_assert_uint_eq(fake_hw.gdt_frames[0], g[0]);
    ck_assert_uint_eq(fake_hw.tlb_flushes, f + 1);
    /* Ring-0 descriptors are demoted to the guest kernel's ring 3. */
    ck_assert_uint_eq(d[1], CODE64(3));
    ck_assert_uint_eq(d[2], DATA(3));
    ck_assert_int_eq(mm_sim_info(g[0]).type, PV_TYPE_SEG_DESC);
    ck_mm_invariants();

    /* A GDT frame can't be mapped writable, nor become a table. */
    mfn_t l1 = mm_sim_alloc();
    ck_assert_int_eq(pv_mm_pin(l1, 1), 0);
    ck_assert_int_eq(mm_sim_mmu_update1(mm_sim_slot_maddr(l1, 0), mm_sim_pte(g[0], RWF)), -XEN_EBUSY);
    ck_assert_int_eq(mm_sim_mmu_update1(mm_sim_slot_maddr(l1, 0), mm_sim_pte(g[0], RO)), 0);
    ck_assert_int_eq(pv_mm_pin(g[1], 1), -XEN_EINVAL);

    /* Replacing releases the old frames (the new ones first checked). */
    ck_assert_int_eq(set_gdt(&g[1], 2, 1024), 0);
    ck_assert_uint_eq(mm_sim_info(g[0]).type_count, 0);
    ck_assert_uint_eq(mm_sim_info(g[1]).type_count, 1);
    ck_assert_uint_eq(current->gdt_frames[2], INVALID_MFN);
    ck_mm_invariants();
    ck_assert_int_eq(set_gdt(NULL, 0, 0), 0);
    ck_assert_uint_eq(fake_hw.gdt_nr, 0);
    ck_assert_uint_eq(current->gdt_ents, 0);
    ck_assert_int_eq(mm_sim_mmu_update1(mm_sim_slot_maddr(l1, 0), mm_sim_pte(g[0], RWF)), 0);
    ck_mm_invariants();
}
END_TEST

START_TEST(gdt_refusals)
{
    mfn_t g = mm_sim_alloc(), l1 = mm_sim_alloc(), ok = mm_sim_alloc();
    ck_assert_int_eq(set_gdt(&g, 1, FIRST_RESERVED_GDT_ENTRY + 1), -XEN_EINVAL);
    ck_assert_int_eq(do_set_gdt(0x40000000, 10), -XEN_EFAULT);
    ck_assert_int_eq(do_set_gdt(0xffff800000000000ull, 10), -XEN_EFAULT);
    ck_assert_int_eq(do_set_gdt(0x40000000, 0), 0);                  /* nothing to read */

    /* Every frame checked; on failure nothing is kept, the old GDT stays. */
    ck_assert_int_eq(set_gdt(&ok, 1, 10), 0);
    mfn_t bad[3] = { g, SIM_SHIM_FIRST, mm_sim_alloc() };
    ck_assert_int_eq(set_gdt(bad, 3, 1500), -XEN_EINVAL);
    bad[1] = SIM_FRAMES + 3;
    ck_assert_int_eq(set_gdt(bad, 3, 1500), -XEN_EINVAL);
    ck_assert_uint_eq(mm_sim_info(g).type_count, 0);
    ck_assert_uint_eq(current->gdt_frames[0], ok);
    /* A frame mapped writable, or a table, can't be a GDT. */
    ck_assert_int_eq(pv_mm_pin(l1, 1), 0);
    ck_assert_int_eq(mm_sim_mmu_update1(mm_sim_slot_maddr(l1, 0), mm_sim_pte(g, RWF)), 0);
    ck_assert_int_eq(set_gdt(&g, 1, 10), -XEN_EINVAL);
    ck_assert_int_eq(set_gdt(&l1, 1, 10), -XEN_EINVAL);
    /* Descriptors that can't be made safe. */
    mfn_t h = mm_sim_alloc();
    ((uint64_t *)mm_sim_table(h))[7] = TSS64;
    ck_assert_int_eq(set_gdt(&h, 1, 10), -XEN_EINVAL);
    ((uint64_t *)mm_sim_table(h))[7] = GATE(0xe008, 3);             /* into Xen's code */
    ck_assert_int_eq(set_gdt(&h, 1, 10), -XEN_EINVAL);
    ck_assert_uint_eq(current->gdt_frames[0], ok);
    ck_mm_invariants();
    /* The full guest range. */
    mfn_t many[14];
    for (unsigned i = 0; i < 14; i++)
        many[i] = mm_sim_alloc();
    ck_assert_int_eq(set_gdt(many, 14, FIRST_RESERVED_GDT_ENTRY), 0);
    ck_assert_uint_eq(fake_hw.gdt_nr, 14);
    ck_mm_invariants();
}
END_TEST

START_TEST(descriptor_checks)
{
    mfn_t page = mm_sim_alloc();
    uint64_t *d = (uint64_t *)mm_sim_table(page);
    uint64_t m = mfn_to_paddr(page);

    ck_assert_int_eq(do_update_descriptor(m + 8, CODE64(3)), 0);
    ck_assert_uint_eq(d[1], CODE64(3));
    ck_assert_int_eq(do_update_descriptor(m + 16, DATA(0)), 0);
    ck_assert_uint_eq(d[2], DATA(3));
    /* Not present: anything, untouched. */
    ck_assert_int_eq(do_update_descriptor(m + 24, 0xffff7fffffffffffull), 0);
    ck_assert_uint_eq(d[3], 0xffff7fffffffffffull);
    /* System type 0 (upper half of a gate): allowed as is. */
    ck_assert_int_eq(do_update_descriptor(m + 32, desc(0x12345678, 0x0000e000)), 0);
    ck_assert_uint_eq(d[4], desc(0x12345678, 0x0000e000));
    /* Call gates: to guest selectors only, forced to DPL 0, DPL kept in RPL. */
    ck_assert_int_eq(do_update_descriptor(m + 40, GATE(0x0010, 3)), 0);
    ck_assert_uint_eq(d[5], GATE(0x0013, 0));
    ck_assert_int_eq(do_update_descriptor(m + 48, GATE(FLAT_KERNEL_CS, 0)), 0);
    ck_assert_uint_eq(d[6], GATE(FLAT_KERNEL_CS | 3, 0));
    ck_assert_int_eq(do_update_descriptor(m + 56, GATE(0xe00c, 3)), 0);       /* LDT selector */
    ck_assert_int_eq(do_update_descriptor(m + 64, GATE(0xe008, 3)), -XEN_EINVAL);
    ck_assert_int_eq(do_update_descriptor(m + 64, GATE(0x0010, 3) | (1ull << 32)), -XEN_EINVAL);
    ck_assert_int_eq(do_update_descriptor(m + 64, TSS64), -XEN_EINVAL);
    ck_assert_int_eq(do_update_descriptor(m + 64, desc(0, 0x00008200)), -XEN_EINVAL);  /* LDT */
    ck_assert_int_eq(do_update_descriptor(m + 64, desc(0, 0x00008e00)), -XEN_EINVAL);  /* intr gate */
    ck_assert_uint_eq(d[8], 0);
    /* Alignment and ownership. */
    ck_assert_int_eq(do_update_descriptor(m + 4, DATA(3)), -XEN_EINVAL);
    ck_assert_int_eq(do_update_descriptor(mfn_to_paddr(SIM_SHIM_FIRST), DATA(3)), -XEN_EINVAL);
    ck_assert_int_eq(do_update_descriptor(mfn_to_paddr(SIM_FRAMES), DATA(3)), -XEN_EINVAL);
    ck_assert_int_eq(do_update_descriptor(~7ull, DATA(3)), -XEN_EINVAL);
    ck_mm_invariants();
}
END_TEST

START_TEST(descriptor_targets)
{
    mfn_t g = mm_sim_alloc(), l1 = mm_sim_alloc(), w = mm_sim_alloc();
    ck_assert_int_eq(set_gdt(&g, 1, 100), 0);
    ck_assert_int_eq(do_update_descriptor(mfn_to_paddr(g) + 8, DATA(1)), 0);
    ck_assert_uint_eq(((uint64_t *)mm_sim_table(g))[1], DATA(3));
    ck_assert_uint_eq(mm_sim_info(g).type_count, 1);
    /* Page tables: never. */
    ck_assert_int_eq(pv_mm_pin(l1, 1), 0);
    ck_assert_int_eq(do_update_descriptor(mfn_to_paddr(l1), DATA(3)), -XEN_EINVAL);
    ck_assert_uint_eq(mm_sim_table(l1)[0], 0);
    /* A page mapped writable: fine (it is just data then). */
    ck_assert_int_eq(mm_sim_mmu_update1(mm_sim_slot_maddr(l1, 1), mm_sim_pte(w, RWF)), 0);
    ck_assert_int_eq(do_update_descriptor(mfn_to_paddr(w) + 0xff8, CODE64(0)), 0);
    ck_assert_uint_eq(((uint64_t *)mm_sim_table(w))[511], CODE64(3));
    /* A descriptor page no longer in use stays one and can be updated. */
    ck_assert_int_eq(set_gdt(NULL, 0, 0), 0);
    ck_assert_int_eq(do_update_descriptor(mfn_to_paddr(g) + 16, GATE(0x10, 0)), 0);
    ck_assert_int_eq(mm_sim_info(g).type, PV_TYPE_SEG_DESC);
    ck_mm_invariants();
}
END_TEST

START_TEST(ldt_set)
{
    ck_assert_int_eq(mm_sim_mmuext(MMUEXT_SET_LDT, 0x600000, 8193ull), -XEN_EINVAL);
    ck_assert_int_eq(mm_sim_mmuext(MMUEXT_SET_LDT, 0x600008, 1), -XEN_EINVAL);
    ck_assert_int_eq(mm_sim_mmuext(MMUEXT_SET_LDT, 0xffff800000000000ull, 1), -XEN_EINVAL);
    ck_assert_int_eq(mm_sim_mmuext(MMUEXT_SET_LDT, 0x0000800000000000ull, 1), -XEN_EINVAL);
    ck_assert_int_eq(mm_sim_mmuext(MMUEXT_SET_LDT, 0x600000, 8192), 0);
    ck_assert_uint_eq(current->ldt_base, 0x600000);
    ck_assert_uint_eq(fake_hw.ldt_ents, 8192);
    ck_assert_uint_eq(current->ldt_ents, 8192);
    /* Zero entries: any base, recorded as none. */
    ck_assert_int_eq(mm_sim_mmuext(MMUEXT_SET_LDT, 0x600008, 0), 0);
    ck_assert_uint_eq(current->ldt_base, 0);
    ck_assert_uint_eq(fake_hw.ldt_ents, 0);
}
END_TEST

START_TEST(ldt_lazy_frames)
{
    mfn_t l4 = mm_sim_alloc(), p0 = mm_sim_alloc(), p1 = mm_sim_alloc(), other = mm_sim_alloc();
    vaddr_t base = 0xffffc90000000000ull;
    ((uint64_t *)mm_sim_table(p0))[2] = DATA(0);
    mfn_t l1 = mm_sim_map_raw(l4, base, p0, RO);
    mm_sim_map_raw(l4, base + PAGE_SIZE, p1, RWF);
    ck_assert_int_eq(mm_sim_mmuext(MMUEXT_NEW_BASEPTR, l4, 0), 0);
    ck_assert_int_eq(mm_sim_mmuext(MMUEXT_SET_LDT, base, 1024), 0);

    mfn_t m;
    ck_assert_int_eq(pv_mm_map_ldt_page(8192, &m), -XEN_EINVAL);  /* beyond 1024 entries */
    ck_assert_int_eq(pv_mm_map_ldt_page(16, &m), 0);
    ck_assert_uint_eq(m, p0);
    ck_assert_uint_eq(((uint64_t *)mm_sim_table(p0))[2], DATA(3));   /* checked on first use */
    ck_assert_uint_eq(pv_mm_ldt_frame(0), p0);
    ck_assert_int_eq(pv_mm_map_ldt_page(4000, &m), 0);            /* same page: held once */
    ck_assert_uint_eq(mm_sim_info(p0).type_count, 1);
    /* The second page is mapped writable by the guest: not usable as an LDT. */
    ck_assert_int_eq(pv_mm_map_ldt_page(4096, &m), -XEN_EINVAL);
    ck_assert_uint_eq(pv_mm_ldt_frame(1), INVALID_MFN);
    ck_mm_invariants();
    /* While in the LDT, the page can't be remapped writable. */
    ck_assert_int_eq(do_update_va_mapping(base, mm_sim_pte(p0, RWF), 0), -XEN_EBUSY);
    /* Remapping the VA elsewhere doesn't change the held frame until the LDT reloads. */
    ck_assert_int_eq(do_update_va_mapping(base, mm_sim_pte(other, RO), 0), 0);
    ck_assert_uint_eq(pv_mm_ldt_frame(0), p0);
    /* A new LDT drops the frames and tells the hardware layer again. */
    unsigned f = fake_hw.tlb_flushes;
    ck_assert_int_eq(mm_sim_mmuext(MMUEXT_SET_LDT, base, 512), 0);
    ck_assert_uint_eq(pv_mm_ldt_frame(0), INVALID_MFN);
    ck_assert_uint_eq(mm_sim_info(p0).type_count, 0);
    ck_assert_uint_eq(fake_hw.tlb_flushes, f + 1);
    ck_assert_int_eq(pv_mm_map_ldt_page(0, &m), 0);
    ck_assert_uint_eq(m, other);
    ck_mm_invariants();
    /* So does a new base pointer. */
    mfn_t k2 = mm_sim_alloc();
    fake_hw.ldt_ents = 0;
    ck_assert_int_eq(mm_sim_mmuext(MMUEXT_NEW_BASEPTR, k2, 0), 0);
    ck_assert_uint_eq(pv_mm_ldt_frame(0), INVALID_MFN);
    ck_assert_uint_eq(fake_hw.ldt_ents, 512);
    /* Not mapped in the new tables: -EFAULT. */
    ck_assert_int_eq(pv_mm_map_ldt_page(0, &m), -XEN_EFAULT);
    (void)l1;
    ck_mm_invariants();
    mm_sim_release_all();
    ck_mm_baseline();
}
END_TEST

START_TEST(ldt_bad_descriptors)
{
    mfn_t l4 = mm_sim_alloc(), p = mm_sim_alloc();
    vaddr_t base = 0x7f0000000000ull;
    ((uint64_t *)mm_sim_table(p))[100] = TSS64;
    mm_sim_map_raw(l4, base, p, RO);
    ck_assert_int_eq(mm_sim_mmuext(MMUEXT_NEW_BASEPTR, l4, 0), 0);
    ck_assert_int_eq(mm_sim_mmuext(MMUEXT_SET_LDT, base, 16), 0);
    mfn_t m;
    ck_assert_int_eq(pv_mm_map_ldt_page(0, &m), -XEN_EINVAL);
    ck_assert_uint_eq(mm_sim_info(p).type_count, 0);
    ck_assert_int_eq(mm_sim_info(p).type, PV_TYPE_NONE);
    ck_mm_invariants();
}
END_TEST

static Suite *mm_desc_suite(void)
{
    Suite *s = suite_create("mm_desc");
    TCase *tc = tcase_create("desc");
    tcase_add_checked_fixture(tc, mm_sim_setup, mm_sim_teardown);
    tcase_add_test(tc, gdt_install_and_replace);
    tcase_add_test(tc, gdt_refusals);
    tcase_add_test(tc, descriptor_checks);
    tcase_add_test(tc, descriptor_targets);
    tcase_add_test(tc, ldt_set);
    tcase_add_test(tc, ldt_lazy_frames);
    tcase_add_test(tc, ldt_bad_descriptors);
    suite_add_tcase(s, tc);
    return s;
}
UNIT_SUITE(mm_desc_suite)
