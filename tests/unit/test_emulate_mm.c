/*
 * The emulator with its real collaborators: MOV to CR3 switches the kernel
 * base pointer through the PV MMU, WRMSR 0x40000000 writes the hypercall
 * page only into a frame the MMU lets become writable.
 */
#include <string.h>
#include <pvshim/phys.h>
#include "mm_sim.h"
#include "cpuid_policy.h"
#include "emulate.h"
#include "unit.h"
#include "fake_emulate.h"
#include "emulate_mm_fixture.h"

static struct cpu_regs r;

static void setup(void)
{
    emulate_mm_fixture_setup();
    pv_emul_vcpu_init();
    memset(&r, 0, sizeof(r));
    r.cs = 0xe033;
    r.rflags = 0x202;
}

static void teardown(void)
{
    mm_sim_teardown();
}

START_TEST(cr3_write_switches_base)
{
    mfn_t first = mm_sim_kernel_tables();
    mfn_t next = mm_sim_alloc();
    ck_assert_int_eq(pv_mm_pin(next, 4), 0);
    unsigned loads = fake_hw.cr3_loads;

    r.rax = mfn_to_paddr(next);
    ck_assert(RUN(&r, 0x0f, 0x22, 0xd8));              /* mov cr3, rax */
    ck_assert_uint_eq(r.rip, FAKE_KCODE + 3);
    ck_assert_uint_eq(current->guest_table, next);
    ck_assert_uint_eq(fake_hw.cr3, mfn_to_paddr(next));
    ck_assert_uint_eq(fake_hw.cr3_loads, loads + 1);
    ck_mm_invariants();

    /* Reading it back gives the new base. */
    ck_assert(RUN(&r, 0x0f, 0x20, 0xd9));              /* mov rcx, cr3 */
    ck_assert_uint_eq(r.rcx, mfn_to_paddr(next));

    /* Back to the first, still pinned. */
    r.rax = mfn_to_paddr(first);
    ck_assert(RUN(&r, 0x0f, 0x22, 0xd8));
    ck_assert_uint_eq(current->guest_table, first);
    ck_mm_invariants();
}
END_TEST

START_TEST(cr3_write_refused_by_mmu)
{
    mfn_t base = mm_sim_kernel_tables();
    mfn_t l1 = mm_sim_alloc();
    ck_assert_int_eq(pv_mm_pin(l1, 1), 0);
    unsigned loads = fake_hw.cr3_loads;

    static const mfn_t bad[] = { 0, 3 /* pvshim's */, 0 /* set below */, 0x7ffff /* absent */ };
    mfn_t cases[4];
    memcpy(cases, bad, sizeof(cases));
    cases[2] = l1;                                      /* an L1, not an L4 */
    for (unsigned i = 0; i < 4; i++) {
        r.rip = FAKE_KCODE;
        r.rax = mfn_to_paddr(cases[i]);
        ck_assert_msg(!RUN(&r, 0x0f, 0x22, 0xd8), "mfn %#llx", (unsigned long long)cases[i]);
        ck_assert_uint_eq(r.rip, FAKE_KCODE);
        ck_assert_uint_eq(current->guest_table, base);
    }
    ck_assert_uint_eq(fake_hw.cr3_loads, loads);
    ck_mm_invariants();
}
END_TEST

START_TEST(hypercall_page_msr)
{
    mm_sim_kernel_tables();
    mfn_t page = mm_sim_alloc();
    r.rcx = 0x40000000;
    r.rax = (uint32_t)mfn_to_paddr(page);
    r.rdx = mfn_to_paddr(page) >> 32;
    ck_assert(RUN(&r, 0x0f, 0x30));
    ck_assert_uint_eq(r.rip, FAKE_KCODE + 2);
    const uint8_t *p = phys_access_frame(page);
    /* xen_version's stub: push %rcx; push %r11; mov $17,%eax; syscall */
    static const uint8_t stub17[] = { 0x51, 0x41, 0x53, 0xb8, 17, 0, 0, 0, 0x0f, 0x05 };
    ck_assert_int_eq(memcmp(p + 17 * 32, stub17, sizeof(stub17)), 0);
    ck_mm_invariants();                                 /* no writable hold left behind */

    /* A page-table frame never becomes a hypercall page. */
    mfn_t l1 = mm_sim_alloc();
    ck_assert_int_eq(pv_mm_pin(l1, 1), 0);
    uint8_t before[64];
    memcpy(before, phys_access_frame(l1), sizeof(before));
    r.rax = (uint32_t)mfn_to_paddr(l1);
    ck_assert(!RUN(&r, 0x0f, 0x30));
    ck_assert_int_eq(memcmp(before, phys_access_frame(l1), sizeof(before)), 0);
    /* Nor does pvshim's own memory. */
    r.rax = (uint32_t)mfn_to_paddr(2);
    ck_assert(!RUN(&r, 0x0f, 0x30));
    ck_mm_invariants();
}
END_TEST

static Suite *emulate_mm_suite(void)
{
    Suite *s = suite_create("emulate_mm");
    TCase *tc = tcase_create("with_mmu");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, cr3_write_switches_base);
    tcase_add_test(tc, cr3_write_refused_by_mmu);
    tcase_add_test(tc, hypercall_page_msr);
    suite_add_tcase(s, tc);
    return s;
}
UNIT_SUITE(emulate_mm_suite)
