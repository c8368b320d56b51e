/* Segments and CPU state: set_gdt, update_descriptor, set_segment_base,
 * fpu_taskswitch. */
#include "pvtest.h"
#include "hypercall.h"
#include "traps.h"

/* Flat 4 GiB data segment, DPL 3, present, writable, accessed. */
#define DATA_DPL3   0x00cff3000000ffffUL
/* 64-bit code segment, DPL 0: Xen raises the DPL to 3. */
#define CODE64_DPL0 0x00af9b000000ffffUL
/* A 64-bit TSS descriptor: system descriptors other than call gates are
 * refused. */
#define TSS64       0x0000890000000067UL
#define SEL(i)      (((i) << 3) | 3)

static unsigned long gdt_pfn;

static void check_set_gdt(void)
{
    gdt_pfn = alloc_pfn();
    uint64_t *g = map_pfn(gdt_pfn, true);
    memset(g, 0, PG_SIZE);
    g[1] = DATA_DPL3;
    unsigned long frames[16] = { p2m[gdt_pfn] };
    /* still mapped writable: refused */
    expect_rc(hc_set_gdt(frames, 512), -XEN_EINVAL);
    unmap_va(g);
    /* too many entries (Xen's reserved entries start at 7168) */
    expect_rc(hc_set_gdt(frames, FIRST_RESERVED_GDT_ENTRY + 1), -XEN_EINVAL);
    if (!expect_rc(hc_set_gdt(frames, 512), 0))
        return;
    expect_eq(probe_load_ds(SEL(1)), SEL(1));
    /* entry 2 is empty: #GP(selector) */
    unsigned before = last_trap.count;
    trap_resume_rip = (unsigned long)probe_load_ds_after;
    probe_load_ds(SEL(2));
    if (expect_trap(before, 13, probe_load_ds_insn))
        expect_eq(last_trap.frame.error_code, 0x10);
}

static void check_set_gdt_bad_descriptor(void)
{
    unsigned long pfn = alloc_pfn();
    uint64_t *g = map_pfn(pfn, true);
    memset(g, 0, PG_SIZE);
    g[3] = TSS64;
    unmap_va(g);
    unsigned long frames[16] = { p2m[pfn] };
    expect_rc(hc_set_gdt(frames, 512), -XEN_EINVAL);
}

static void check_update_descriptor(void)
{
    if (!gdt_pfn)
        check_skip_current("segments.set_gdt did not install a GDT");
    uint64_t ma = (p2m[gdt_pfn] << 12) + 4 * 8;
    if (!expect_rc(hc_update_descriptor(ma, DATA_DPL3), 0))
        return;
    expect_eq(probe_load_ds(SEL(4)), SEL(4));
    /* accepted with the DPL raised to 3 */
    expect_rc(hc_update_descriptor(ma + 8, CODE64_DPL0), 0);
    const volatile uint64_t *g = map_pfn(gdt_pfn, false);
    expect_eq(g[5], CODE64_DPL0 | (3UL << 45));
    unmap_va((void *)g);
    expect_rc(hc_update_descriptor(ma + 8, TSS64), -XEN_EINVAL);
    expect_rc(hc_update_descriptor(ma + 1, DATA_DPL3), -XEN_EINVAL);
    /* not our frame (Xen's L3 behind L4 slot 256); note that any page of
     * ours with a writable type would be accepted, like a GDT page */
    uint64_t xen_l3 = ((uint64_t *)si->pt_base)[256] & PTE_ADDR;
    expect_rc(hc_update_descriptor(xen_l3 + 8, DATA_DPL3), -XEN_EINVAL);
    /* clearing it is fine */
    expect_rc(hc_update_descriptor(ma, 0), 0);
}

static uint64_t fs_data[2] = { 0x0123456789abcdefUL, 0xfedcba9876543210UL };

static void check_set_segment_base(void)
{
    if (!expect_rc(hc_set_segment_base(SEGBASE_FS, (unsigned long)fs_data), 0))
        return;
    expect_eq(probe_read_fs(8), fs_data[1]);
    expect_rc(hc_set_segment_base(SEGBASE_GS_KERNEL, (unsigned long)fs_data), 0);
    expect_eq(probe_read_gs(0), fs_data[0]);
    expect_rc(hc_set_segment_base(SEGBASE_GS_USER, 0x600000), 0);
    expect_rc(hc_set_segment_base(SEGBASE_FS, 0x0000800000000000UL), -XEN_EINVAL);
    expect_rc(hc_set_segment_base(99, 0), -XEN_EINVAL);
    hc_set_segment_base(SEGBASE_FS, 0);
    hc_set_segment_base(SEGBASE_GS_KERNEL, 0);
}

static void check_fpu_taskswitch(void)
{
    if (!expect_rc(hc_fpu_taskswitch(1), 0))
        return;
    expect_eq(probe_read_cr0() & 8, 8);             /* CR0.TS */
    unsigned before = last_trap.count;
    static volatile int landed;
    landed = 0;
    asm volatile("lea 1f(%%rip), %%rax\n\t"
                 "mov %%rax, trap_resume_rip(%%rip)\n\t"
                 "2: fnop\n\t"
                 "1:" ::: "rax", "memory");
    (void)landed;
    if (expect(last_trap.count == before + 1, "no #NM with CR0.TS set"))
        expect_eq(trap_vector((const struct trap_frame *)&last_trap.frame), 7);
    expect_rc(hc_fpu_taskswitch(0), 0);
    expect_eq(probe_read_cr0() & 8, 0);
    before = last_trap.count;
    asm volatile("fnop");
    expect_no_trap(before);
}

/*
 * With no LDT set, a selector with the TI bit refers to nothing: a far call
 * through one is #GP(selector) (XSA-298's check). The CPU must not find
 * descriptors anywhere, such as in guest memory at linear address 0.
 */
static void check_no_ldt_far_call(void)
{
    unsigned before = last_trap.count;
    trap_resume_rip = (unsigned long)probe_lcall_ldt_after;
    probe_lcall_ldt();
    if (!expect_trap(before, 13, probe_lcall_ldt_insn))
        return;
    expect_eq(last_trap.frame.error_code, 0x1004);
}

void segment_checks(void)
{
    run_check("segments.set_gdt", check_set_gdt);
    run_check("segments.set_gdt_bad_descriptor", check_set_gdt_bad_descriptor);
    run_check("segments.update_descriptor", check_update_descriptor);
    run_check("segments.set_segment_base", check_set_segment_base);
    run_check("segments.fpu_taskswitch", check_fpu_taskswitch);
    run_check("segments.no_ldt_far_call_gp", check_no_ldt_far_call);
}
