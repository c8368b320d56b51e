/* What Xen emulates for a PV kernel: forced-emulation CPUID, MSRs,
 * control registers, port I/O after set_iopl; and what it bounces. */
#include "pvtest.h"
#include "hypercall.h"
#include "traps.h"

#define MSR_FS_BASE 0xc0000100
#define MSR_GS_BASE 0xc0000101

static void check_xen_cpuid(void)
{
    uint32_t r[4];
    probe_xen_cpuid(0x40000000, 0, r);
    char sig[13];
    memcpy(sig, &r[1], 4);
    memcpy(sig + 4, &r[2], 4);
    memcpy(sig + 8, &r[3], 4);
    sig[12] = 0;
    expect(!strcmp(sig, "XenVMMXenVMM"), "leaf 0x40000000 signature \"%s\"", sig);
    expect(r[0] >= 0x40000002, "max leaf %#x", r[0]);
    probe_xen_cpuid(0x40000001, 0, r);
    expect_eq(r[0], hc_xen_version(XENVER_version, NULL));
    /* leaf 2: hypercall page MSR count; PV guests need none but it is there */
    probe_xen_cpuid(0x40000002, 0, r);
    expect(r[0] >= 1, "leaf 0x40000002 eax %u", r[0]);
}

static void check_msr_gs_base(void)
{
    static uint64_t data[2] = { 0x1122334455667788UL, 0 };
    unsigned before = last_trap.count;
    probe_wrmsr(MSR_GS_BASE, (uint64_t)data);
    if (!expect_no_trap(before))
        return;
    expect_eq(probe_read_gs(0), data[0]);
    expect_eq(probe_rdmsr(MSR_GS_BASE), (uint64_t)data);
    probe_wrmsr(MSR_FS_BASE, (uint64_t)&data[1]);
    expect_eq(probe_rdmsr(MSR_FS_BASE), (uint64_t)&data[1]);
    probe_wrmsr(MSR_GS_BASE, 0);
    probe_wrmsr(MSR_FS_BASE, 0);
    expect_no_trap(before);
}

/* An MSR Xen does not know: #GP(0) at the instruction. */
static void check_msr_unknown(void)
{
    unsigned before = last_trap.count;
    trap_resume_rip = (unsigned long)probe_rdmsr_after;
    probe_rdmsr(0x12345678);
    if (expect_trap(before, 13, probe_rdmsr_insn))
        expect_eq(last_trap.frame.error_code, 0);
    before = last_trap.count;
    trap_resume_rip = (unsigned long)probe_wrmsr_after;
    probe_wrmsr(0x12345678, 1);
    if (expect_trap(before, 13, probe_wrmsr_insn))
        expect_eq(last_trap.frame.error_code, 0);
}

static void check_control_registers(void)
{
    unsigned before = last_trap.count;
    uint64_t cr0 = probe_read_cr0(), cr4 = probe_read_cr4();
    expect_no_trap(before);
    expect_eq(cr0 & 0x80000001UL, 0x80000001UL);    /* PG, PE */
    expect_eq(cr4 & 0x20, 0x20);                    /* PAE */
}

#define CR4_FSGSBASE (1UL << 16)

/* RDFSBASE #UD at the instruction (CR4.FSGSBASE clear). */
static void expect_rdfsbase_ud(void)
{
    unsigned before = last_trap.count;
    trap_resume_rip = (unsigned long)probe_rdfsbase_after;
    probe_rdfsbase();
    expect_trap(before, 6, probe_rdfsbase_insn);
}

/*
 * FSGSBASE: Xen 4.17 offers the CPU's to a PV guest (CPUID 7.0 EBX bit 0
 * in the forced-emulation CPUID exactly when the plain one, the CPU's
 * without CPUID faulting, has it). CR4.FSGSBASE starts clear, so the
 * instructions #UD; the kernel may set it (pv_fixup_guest_cr4 keeps it
 * when offered, drops it otherwise), and then RD/WRFSBASE work on the
 * FS base MSR_FS_BASE shows; clearing it makes them #UD again.
 */
static void check_fsgsbase(void)
{
    uint32_t cpu[4] = { 0 }, offer[4] = { 0 };
    probe_cpuid(0, 0, cpu);
    bool has = false;
    if (cpu[0] >= 7) {
        probe_cpuid(7, 0, cpu);
        probe_xen_cpuid(7, 0, offer);
        has = cpu[1] & 1;
    }
    expect_eq(offer[1] & 1, has);
    uint64_t cr4 = probe_read_cr4();
    expect_eq(cr4 & CR4_FSGSBASE, 0);
    expect_rdfsbase_ud();

    unsigned before = last_trap.count;
    probe_write_cr4(cr4 | CR4_FSGSBASE);
    expect_no_trap(before);
    expect_eq(probe_read_cr4(), has ? cr4 | CR4_FSGSBASE : cr4);
    if (has) {
        static uint64_t data[2];
        uint64_t saved = probe_rdmsr(MSR_FS_BASE);
        before = last_trap.count;
        probe_wrmsr(MSR_FS_BASE, (uint64_t)&data[0]);
        expect_eq(probe_rdfsbase(), (uint64_t)&data[0]);
        probe_wrfsbase((uint64_t)&data[1]);
        expect_eq(probe_rdmsr(MSR_FS_BASE), (uint64_t)&data[1]);
        probe_wrmsr(MSR_FS_BASE, saved);
        expect_no_trap(before);
    } else {
        expect_rdfsbase_ud();
    }
    before = last_trap.count;
    probe_write_cr4(cr4);
    expect_no_trap(before);
    expect_eq(probe_read_cr4(), cr4);
    expect_rdfsbase_ud();
}

/* HLT is not emulated for a PV kernel: #GP(0) bounced at the hlt. */
static void check_hlt(void)
{
    unsigned before = last_trap.count;
    trap_resume_rip = (unsigned long)probe_hlt_after;
    probe_hlt();
    if (expect_trap(before, 13, probe_hlt_insn))
        expect_eq(last_trap.frame.error_code, 0);
}

/* Port I/O: without IOPL a #GP(0); after PHYSDEVOP_set_iopl emulated.
 * 0x3ff is the scratch register of Xen's own COM1: denied to every
 * guest, so a read gives all ones. */
static void check_port_io(void)
{
    unsigned before = last_trap.count;
    trap_resume_rip = (unsigned long)probe_inb_after;
    probe_inb(0x3ff);
    if (expect_trap(before, 13, probe_inb_insn))
        expect_eq(last_trap.frame.error_code, 0);
    struct physdev_set_iopl io = { .iopl = 3 };
    if (!expect_rc(hc_physdev_op(PHYSDEVOP_set_iopl, &io), 0))
        return;
    before = last_trap.count;
    uint64_t v = probe_inb(0x3ff);
    expect_no_trap(before);
    expect_eq(v & 0xff, 0xff);
    io.iopl = 4;
    expect_rc(hc_physdev_op(PHYSDEVOP_set_iopl, &io), -XEN_EINVAL);
    io.iopl = 0;
    expect_rc(hc_physdev_op(PHYSDEVOP_set_iopl, &io), 0);
    expect_rc(hc_physdev_op(999, &io), -XEN_ENOSYS);
}

static void check_rdtsc(void)
{
    unsigned before = last_trap.count;
    uint32_t lo1, hi1, lo2, hi2;
    asm volatile("rdtsc" : "=a"(lo1), "=d"(hi1));
    asm volatile("rdtsc" : "=a"(lo2), "=d"(hi2));
    expect_no_trap(before);
    expect((((uint64_t)hi2 << 32) | lo2) > (((uint64_t)hi1 << 32) | lo1), "TSC did not advance");
}

void emul_checks(void)
{
    run_check("emul.xen_cpuid", check_xen_cpuid);
    run_check("emul.msr_gs_fs_base", check_msr_gs_base);
    run_check("emul.msr_unknown_gp", check_msr_unknown);
    run_check("emul.control_registers", check_control_registers);
    run_check("emul.fsgsbase", check_fsgsbase);
    run_check("emul.hlt_gp", check_hlt);
    run_check("emul.port_io_iopl", check_port_io);
    run_check("emul.rdtsc", check_rdtsc);
}
