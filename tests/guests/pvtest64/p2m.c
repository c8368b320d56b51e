/* Stage 1: the p2m list we were given and Xen's read-only M2P agree. */
#include "pvtest.h"
#include "hypercall.h"
#include "traps.h"

static const unsigned long *const m2p = (const unsigned long *)MACH2PHYS_VIRT_START;

static void check_m2p_consistent(void)
{
    unsigned bad = 0;
    for (unsigned long pfn = 0; pfn < si->nr_pages; pfn++) {
        unsigned long mfn = p2m[pfn];
        if (m2p[mfn] != pfn && bad++ == 0)
            expect(false, "m2p[p2m[%#lx] = %#lx] = %#lx", pfn, mfn, m2p[mfn]);
    }
    expect(bad == 0, "%u pfns disagree", bad);
}

static void check_m2p_read_only(void)
{
    unsigned before = last_trap.count;
    volatile unsigned long *slot = (volatile unsigned long *)&m2p[p2m[0]];
    trap_resume_rip = (unsigned long)probe_write_after;
    probe_write(slot, 0x1234);
    if (!expect_trap(before, 14, probe_write_insn))
        return;
    expect_eq(last_trap.cr2, (unsigned long)slot);
    /* present, write; no U bit: the fault came from guest kernel mode */
    expect_eq(last_trap.frame.error_code, 0x3);
    expect_eq(m2p[p2m[0]], 0);
}

static void check_machphys_mapping(void)
{
    struct xen_machphys_mapping mm;
    if (!expect_rc(hc_memory_op(XENMEM_machphys_mapping, &mm), 0))
        return;
    /* The whole window, as Xen gives every 64-bit PV domain; max_mfn is the
     * host's RAM on Xen without memory hotplug, the whole window with it
     * (and on pvshim, whose guest may move to a bigger VM). */
    expect_eq(mm.v_start, MACH2PHYS_VIRT_START);
    expect_eq(mm.v_end, MACH2PHYS_VIRT_END);
    expect(mm.max_mfn <= MACH2PHYS_NR_ENTRIES - 1, "max_mfn %#lx", mm.max_mfn);
    unsigned long max_mfn = 0;
    for (unsigned long pfn = 0; pfn < si->nr_pages; pfn++)
        if (p2m[pfn] > max_mfn)
            max_mfn = p2m[pfn];
    expect(mm.max_mfn >= max_mfn, "max_mfn %#lx < our mfn %#lx", mm.max_mfn,
           max_mfn);
    expect(mm.v_start + (mm.max_mfn + 1) * 8 <= mm.v_end,
           "max_mfn beyond v_end");
}

/* The window's last entry, far past any RAM: a read faults (Linux reads it fault-safe). */
static void check_m2p_past_ram_faults(void)
{
    unsigned before = last_trap.count;
    const volatile unsigned long *slot = &m2p[MACH2PHYS_NR_ENTRIES - 1];
    trap_resume_rip = (unsigned long)probe_read_after;
    probe_read(slot);
    if (!expect_trap(before, 14, probe_read_insn))
        return;
    expect_eq(last_trap.cr2, (unsigned long)slot);
}

void p2m_checks(void)
{
    run_check("p2m.m2p_consistent", check_m2p_consistent);
    run_check("p2m.m2p_read_only", check_m2p_read_only);
    run_check("p2m.machphys_mapping", check_machphys_mapping);
    run_check("p2m.m2p_past_ram_faults", check_m2p_past_ram_faults);
}
