/* multicall: batches, per-entry results, what may not be batched. */
#include "pvtest.h"
#include "hypercall.h"
#include "traps.h"

static void check_multicall(void)
{
    static const char msg[] = "INFO multicall: console_io from a batch\n";
    multicall_entry_t mc[4] = {
        { .op = __HYPERVISOR_xen_version, .args = { XENVER_version, 0 } },
        { .op = __HYPERVISOR_console_io,
          .args = { CONSOLEIO_write, sizeof(msg) - 1, (unsigned long)msg } },
        { .op = __HYPERVISOR_console_io, .args = { 99, 0, 0 } },
        { .op = __HYPERVISOR_xen_version, .args = { XENVER_pagesize, 0 } },
    };
    for (unsigned i = 0; i < 4; i++)
        mc[i].result = 0x5555;
    if (!expect_rc(hc_multicall(mc, 4), 0))
        return;
    expect_eq(mc[0].result, hc_xen_version(XENVER_version, NULL));
    expect_eq(mc[1].result, 0);
    expect_rc(mc[2].result, -XEN_ENOSYS);      /* a failure does not stop it */
    expect_eq(mc[3].result, 4096);
}

static void check_multicall_mmu(void)
{
    unsigned long pfn = alloc_pfn(), other = alloc_pfn();
    volatile uint64_t *p = map_pfn(pfn, true), *q = map_pfn(other, true);
    p[0] = 1;
    q[0] = 2;
    multicall_entry_t mc[1] = {
        { .op = __HYPERVISOR_update_va_mapping,
          .args = { (unsigned long)p,
                    (p2m[other] << 12) | PTE_P | PTE_RW | PTE_US | PTE_A | PTE_D,
                    UVMF_INVLPG } },
    };
    expect_rc(hc_multicall(mc, 1), 0);
    expect_eq(mc[0].result, 0);
    expect_eq(p[0], 2);
    unmap_va((void *)p);
    unmap_va((void *)q);
}

static void check_multicall_nested(void)
{
    multicall_entry_t inner[1] = {
        { .op = __HYPERVISOR_xen_version, .args = { XENVER_version, 0 } },
    };
    multicall_entry_t mc[2] = {
        { .op = __HYPERVISOR_multicall, .args = { (unsigned long)inner, 1 } },
        { .op = __HYPERVISOR_xen_version, .args = { XENVER_pagesize, 0 } },
    };
    inner[0].result = 0x5555;
    expect_rc(hc_multicall(mc, 2), 0);
    expect_rc(mc[0].result, -XEN_EINVAL);     /* re-entry is refused */
    expect_eq(inner[0].result, 0x5555);
    expect_eq(mc[1].result, 4096);
}

static void check_multicall_errors(void)
{
    expect_rc(hc_multicall((void *)0x1000, 1), -XEN_EFAULT);
    expect_rc(hc_multicall(NULL, 0), 0);
    multicall_entry_t mc[1] = { { .op = 200 } };
    expect_rc(hc_multicall(mc, 1), 0);
    expect_rc(mc[0].result, -XEN_ENOSYS);
}

/*
 * An iret in a batch is performed and ends it (XSA-213): the guest resumes
 * at the iret frame (here, in its kernel, just after the multicall) with
 * the frame's RAX, which is also the iret entry's result; the entries after
 * it are not run.
 */
static void check_multicall_iret(void)
{
    multicall_entry_t mc[3] = {
        { .op = __HYPERVISOR_xen_version, .args = { XENVER_pagesize, 0 } },
        { .op = __HYPERVISOR_iret },
        { .op = __HYPERVISOR_xen_version, .args = { XENVER_version, 0 } },
    };
    for (unsigned i = 0; i < 3; i++)
        mc[i].result = 0x5555;
    /* The frame's IF restores the event mask: keep it as it is. */
    unsigned long rflags = 0x2 | (vcpu0()->evtchn_upcall_mask ? 0 : 0x200);
    long rc = probe_multicall_iret(mc, 3, rflags);
    expect_eq(mc[0].result, 4096);
    expect_fmt(mc[2].result == 0x5555, "the entry after the iret ran (result %#lx)",
               (unsigned long)mc[2].result);
    expect_fmt(rc == 0x1e7, "multicall returned %ld, not the iret frame's RAX 0x1e7", rc);
    expect_eq(mc[1].result, 0x1e7);
}

void multicall_checks(void)
{
    run_check("multicall.batch", check_multicall);
    run_check("multicall.update_va_mapping", check_multicall_mmu);
    run_check("multicall.nested_refused", check_multicall_nested);
    run_check("multicall.errors", check_multicall_errors);
    run_check("multicall.iret_ends_batch", check_multicall_iret);
}
