/* memory_op: reservations, the memory map, giving a frame back and
 * getting one again. */
#include "pvtest.h"
#include "hypercall.h"

static void check_reservation(void)
{
    domid_t self = DOMID_SELF;
    long cur = hc_memory_op(XENMEM_current_reservation, &self);
    long max = hc_memory_op(XENMEM_maximum_reservation, &self);
    printf("INFO memory: current %ld max %ld nr_pages %lu\n", cur, max, si->nr_pages);
    expect(cur > 0 && (unsigned long)cur >= si->nr_pages - 1024 &&
           (unsigned long)cur <= si->nr_pages + 16,
           "current_reservation %ld, nr_pages %lu", cur, si->nr_pages);
    expect(max >= cur, "maximum_reservation %ld < current %ld", max, cur);
    expect_rc(hc_memory_op(99, NULL), -XEN_ENOSYS);
}

static void check_memory_map(void)
{
    static struct e820entry { uint64_t addr, size; uint32_t type; } __attribute__((packed)) map[64];
    struct xen_memory_map mm = { .nr_entries = 64 };
    set_xen_guest_handle(mm.buffer, (void *)map);
    long rc = hc_memory_op(XENMEM_memory_map, &mm);
    /* Xen keeps no pseudo-physical map for a PV dom0 (it reads the
     * machine map); for a domU the toolstack may set one or not, and
     * Linux takes -ENOSYS as one RAM range of nr_pages. */
    if (rc == -XEN_ENOSYS) {
        printf("INFO memory_map: -ENOSYS (%s)\n",
               is_dom0 ? "as Xen 4.17 answers a PV dom0" : "no map set for this domU");
        return;
    }
    if (!expect_rc(rc, 0))
        return;
    uint64_t ram = 0;
    for (unsigned i = 0; i < mm.nr_entries && i < 64; i++)
        if (map[i].type == 1)
            ram += map[i].size;
    printf("INFO memory_map: %u entries, %lu MiB RAM\n", mm.nr_entries,
           (unsigned long)(ram >> 20));
    expect(mm.nr_entries > 0, "no entries");
    expect(ram >= si->nr_pages * PG_SIZE, "RAM %lu < nr_pages", (unsigned long)ram);
}

/* decrease_reservation gives a frame back (PV: by MFN); populate_physmap
 * gets one for the same pfn and sets its M2P entry. */
static void check_balloon(void)
{
    const volatile unsigned long *m2p = (const unsigned long *)MACH2PHYS_VIRT_START;
    domid_t self = DOMID_SELF;
    long cur = hc_memory_op(XENMEM_current_reservation, &self);
    unsigned long pfn = alloc_pfn();
    xen_pfn_t frame = p2m[pfn];
    struct xen_memory_reservation r = {
        .nr_extents = 1, .extent_order = 0, .domid = DOMID_SELF,
    };
    set_xen_guest_handle(r.extent_start, &frame);
    if (!expect_rc(hc_memory_op(XENMEM_decrease_reservation, &r), 1))
        return;
    expect_eq(hc_memory_op(XENMEM_current_reservation, &self), cur - 1);
    /* the same frame again: no longer ours, nothing done */
    expect_rc(hc_memory_op(XENMEM_decrease_reservation, &r), 0);
    frame = pfn;
    if (!expect_rc(hc_memory_op(XENMEM_populate_physmap, &r), 1))
        return;
    expect_eq(m2p[frame], pfn);
    p2m[pfn] = frame;
    expect_eq(hc_memory_op(XENMEM_current_reservation, &self), cur);
    /* and it is usable */
    volatile uint64_t *p = map_pfn(pfn, true);
    p[0] = 0x5a5a;
    expect_eq(p[0], 0x5a5a);
    unmap_va((void *)p);
    /* a bad list */
    set_xen_guest_handle(r.extent_start, (xen_pfn_t *)0x1000);
    expect_rc(hc_memory_op(XENMEM_decrease_reservation, &r), 0);
}

static long pin_table(unsigned cmd, xen_pfn_t mfn)
{
    struct mmuext_op op = { .cmd = cmd, .arg1.mfn = mfn };
    return hc_mmuext_op(&op, 1, NULL, DOMID_SELF);
}

/*
 * A frame given back while pinned as an L1 (GNU Mach does this): done at
 * once, as Xen 4.17 (no implicit unpin since XSA-252); it stays pinned and
 * counted in the reservation, and the unpin frees it.
 */
static void check_balloon_pinned_l1(void)
{
    domid_t self = DOMID_SELF;
    long cur = hc_memory_op(XENMEM_current_reservation, &self);
    unsigned long pfn = alloc_pfn();
    volatile uint64_t *p = map_pfn(pfn, true);
    for (unsigned i = 0; i < 512; i++)
        p[i] = 0;
    unmap_va((void *)p);
    xen_pfn_t frame = p2m[pfn];
    if (!expect_rc(pin_table(MMUEXT_PIN_L1_TABLE, frame), 0))
        return;
    struct xen_memory_reservation r = {
        .nr_extents = 1, .extent_order = 0, .domid = DOMID_SELF,
    };
    set_xen_guest_handle(r.extent_start, &frame);
    if (!expect_rc(hc_memory_op(XENMEM_decrease_reservation, &r), 1)) {
        pin_table(MMUEXT_UNPIN_TABLE, frame);
        return;
    }
    expect_eq(hc_memory_op(XENMEM_current_reservation, &self), cur);
    expect_rc(pin_table(MMUEXT_UNPIN_TABLE, frame), 0);
    expect_eq(hc_memory_op(XENMEM_current_reservation, &self), cur - 1);
    /* freed now: no longer ours */
    expect_rc(hc_memory_op(XENMEM_decrease_reservation, &r), 0);
    frame = pfn;
    if (expect_rc(hc_memory_op(XENMEM_populate_physmap, &r), 1))
        p2m[pfn] = frame;
}

/*
 * XENMEM_exchange, as Linux's xen_create_contiguous_region uses it: two
 * single frames for one aligned pair, at the gpfns asked for
 * (M2P set, the MFN written over the gpfn, the old frames gone); a frame
 * still mapped is refused with nothing exchanged; sizes that differ and
 * an order above the domain's limit (9 for a domU, 12 for Xen's dom0) are
 * refused before any work.
 */
static void check_exchange(void)
{
    const volatile unsigned long *m2p = (const unsigned long *)MACH2PHYS_VIRT_START;
    domid_t self = DOMID_SELF;
    long cur = hc_memory_op(XENMEM_current_reservation, &self);
    unsigned long a = alloc_pfn(), b = alloc_pfn();
    if (!expect(a == b + 1 || b == a + 1, "pfns %lu %lu not adjacent", a, b))
        return;
    unsigned long g = a < b ? a : b;
    xen_pfn_t in[2] = { p2m[g], p2m[g + 1] }, out[1] = { g };
    struct xen_memory_exchange x = {
        .in = { .nr_extents = 2, .extent_order = 0, .domid = DOMID_SELF },
        .out = { .nr_extents = 1, .extent_order = 1, .domid = DOMID_SELF },
    };
    set_xen_guest_handle(x.in.extent_start, in);
    set_xen_guest_handle(x.out.extent_start, out);

    /* Refused before any work: sizes differ; an order above any domain's
     * limit (Xen caps every one at its MAX_ORDER, 20). */
    x.out.nr_extents = 2;
    expect_rc(hc_memory_op(XENMEM_exchange, &x), -XEN_EINVAL);
    x.out.nr_extents = 1;
    x.in.nr_extents = 1;
    x.in.extent_order = x.out.extent_order = 21;
    expect_rc(hc_memory_op(XENMEM_exchange, &x), -XEN_EPERM);
    expect_eq(x.nr_exchanged, 0);
    x.in.extent_order = 0;
    x.out.extent_order = 1;
    x.in.nr_extents = 2;

    /* A frame still mapped cannot be taken: nothing exchanged. */
    volatile uint64_t *p = map_pfn(g + 1, true);
    expect_rc(hc_memory_op(XENMEM_exchange, &x), -XEN_EINVAL);
    expect_eq(x.nr_exchanged, 0);
    expect_eq(out[0], g);
    unmap_va((void *)p);

    if (!expect_rc(hc_memory_op(XENMEM_exchange, &x), 0))
        return;
    expect_eq(x.nr_exchanged, 2);
    xen_pfn_t m = out[0];
    expect(m % 2 == 0, "out mfn %#lx: not an aligned pair", (unsigned long)m);
    expect_eq(m2p[m], g);
    expect_eq(m2p[m + 1], g + 1);
    expect_eq(hc_memory_op(XENMEM_current_reservation, &self), cur);
    /* The old frames are no longer ours. */
    struct xen_memory_reservation r = { .nr_extents = 1, .domid = DOMID_SELF };
    set_xen_guest_handle(r.extent_start, &in[0]);
    expect_rc(hc_memory_op(XENMEM_decrease_reservation, &r), 0);
    p2m[g] = m;
    p2m[g + 1] = m + 1;
    p = map_pfn(g + 1, true);
    p[0] = 0x5a5a;
    expect_eq(p[0], 0x5a5a);
    unmap_va((void *)p);
    /* Already complete: 0 again, nothing more done. */
    expect_rc(hc_memory_op(XENMEM_exchange, &x), 0);
    expect_eq(out[0], m);
}

void memory_checks(void)
{
    run_check("memory.reservation", check_reservation);
    run_check("memory.memory_map", check_memory_map);
    run_check("memory.decrease_populate", check_balloon);
    run_check("memory.decrease_pinned_l1", check_balloon_pinned_l1);
    run_check("memory.exchange", check_exchange);
}
