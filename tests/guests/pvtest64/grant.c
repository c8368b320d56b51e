/*
 * The grant table with our own grants: mapping, unmapping and copying
 * them (with the PV MMU's rules: a granted page table never becomes
 * writable), and version 2 with its status frames (XSA-255's rule: a
 * mapped status frame blocks the switch back to version 1).
 */
#include "pvtest.h"
#include "hypercall.h"

static grant_entry_v1_t *table;         /* frame 0 of the table, mapped writable */
static domid_t self_id;

/* Our domain id as a number (grant entries name it): an unbound port's status. */
static bool find_domid(void)
{
    struct evtchn_alloc_unbound a = { .dom = DOMID_SELF, .remote_dom = DOMID_SELF };
    if (!expect_rc(hc_event_channel_op(EVTCHNOP_alloc_unbound, &a), 0))
        return false;
    struct evtchn_status st = { .dom = DOMID_SELF, .port = a.port };
    long rc = hc_event_channel_op(EVTCHNOP_status, &st);
    struct evtchn_close c = { .port = a.port };
    hc_event_channel_op(EVTCHNOP_close, &c);
    if (!expect_rc(rc, 0))
        return false;
    self_id = st.u.unbound.dom;
    return true;
}

/* The table's first frame, mapped at a scratch address (once per check). */
static bool table_setup(void)
{
    xen_pfn_t f = 0;
    struct gnttab_setup_table op = { .dom = DOMID_SELF, .nr_frames = 1 };
    set_xen_guest_handle(op.frame_list, &f);
    if (!expect_rc(hc_grant_table_op(GNTTABOP_setup_table, &op, 1), 0) ||
        !expect_eq(op.status, GNTST_okay) || !find_domid())
        return false;
    table = map_pfn(alloc_pfn(), true);
    expect_rc(hc_update_va_mapping((unsigned long)table, (f << 12) | PTE_P | PTE_RW | PTE_US |
                                   PTE_A | PTE_D, UVMF_INVLPG), 0);
    return true;
}

static void grant(grant_ref_t ref, unsigned long mfn, uint16_t flags)
{
    table[ref].domid = self_id;
    table[ref].frame = (uint32_t)mfn;
    __asm__ volatile("" ::: "memory");
    table[ref].flags = flags;
}

static struct gnttab_map_grant_ref map(grant_ref_t ref, uint32_t flags, void *va, domid_t d)
{
    struct gnttab_map_grant_ref op = { .host_addr = (unsigned long)va, .flags = flags,
                                       .ref = ref, .dom = d };
    expect_rc(hc_grant_table_op(GNTTABOP_map_grant_ref, &op, 1), 0);
    return op;
}

static int16_t unmap(grant_handle_t h, void *va, uint64_t dev)
{
    struct gnttab_unmap_grant_ref op = { .host_addr = (unsigned long)va, .dev_bus_addr = dev,
                                         .handle = h, .status = 99 };
    expect_rc(hc_grant_table_op(GNTTABOP_unmap_grant_ref, &op, 1), 0);
    return op.status;
}

static long pin_l1(unsigned long mfn, bool pin)
{
    struct mmuext_op op = { .cmd = pin ? MMUEXT_PIN_L1_TABLE : MMUEXT_UNPIN_TABLE,
                            .arg1.mfn = mfn };
    return hc_mmuext_op(&op, 1, NULL, DOMID_SELF);
}

/* A fresh zeroed frame, mapped read-only at a scratch address. */
static unsigned long zeroed_frame(void **ro_va)
{
    unsigned long pfn = alloc_pfn();
    void *w = map_pfn(pfn, true);
    for (unsigned i = 0; i < PG_SIZE / 8; i++)
        ((volatile uint64_t *)w)[i] = 0;
    unmap_va(w);
    *ro_va = map_pfn(pfn, false);
    return p2m[pfn];
}

static void check_map_own_grant(void)
{
    if (!table_setup())
        return;
    void *ro;
    unsigned long mfn = zeroed_frame(&ro);
    grant(8, mfn, GTF_permit_access);
    void *at = map_pfn(alloc_pfn(), false);
    struct gnttab_map_grant_ref m = map(8, GNTMAP_host_map, at, self_id);
    if (!expect_eq(m.status, GNTST_okay))
        return;
    expect_eq(m.dev_bus_addr, mfn << 12);
    expect_eq(table[8].flags, GTF_permit_access | GTF_reading | GTF_writing);
    /* Writable through the grant... */
    *(volatile uint64_t *)at = 0x1234;
    expect_eq(*(volatile uint64_t *)ro, 0x1234);
    *(volatile uint64_t *)at = 0;
    /* ... so it can't be a page table now. */
    expect_rc(pin_l1(mfn, true), -XEN_EINVAL);
    expect_eq(unmap(m.handle, at, 0), GNTST_okay);
    expect_eq(table[8].flags, GTF_permit_access);
    expect_eq(unmap(m.handle, at, 0), GNTST_bad_handle);
    /* Unmapped: the grant's writable hold is gone with it. */
    if (expect_rc(pin_l1(mfn, true), 0))
        expect_rc(pin_l1(mfn, false), 0);
    table[8].flags = 0;
}

static void check_map_refusals(void)
{
    if (!table_setup())
        return;
    void *ro;
    unsigned long mfn = zeroed_frame(&ro);
    void *at = map_pfn(alloc_pfn(), false);
    grant(8, mfn, GTF_permit_access);
    expect_eq(map(8, 0, at, self_id).status, GNTST_bad_gntref);
    expect_eq(map(8, GNTMAP_host_map, at, DOMID_SELF).status, GNTST_bad_domain);
    expect_eq(map(1u << 30, GNTMAP_host_map, at, self_id).status, GNTST_bad_gntref);
    grant(9, mfn, GTF_permit_access | GTF_readonly);
    expect_eq(map(9, GNTMAP_host_map, at, self_id).status, GNTST_general_error);
    grant(9, mfn, GTF_accept_transfer);
    expect_eq(map(9, GNTMAP_host_map, at, self_id).status, GNTST_general_error);
    /* One of our page tables: never writable, read-only is fine. */
    uint64_t *pte = pte_of((unsigned long)at, 1);
    unsigned long l1_mfn = virt_to_mfn((void *)((unsigned long)pte & PG_MASK));
    grant(10, l1_mfn, GTF_permit_access);
    expect_eq(map(10, GNTMAP_host_map, at, self_id).status, GNTST_general_error);
    expect_eq(table[10].flags, GTF_permit_access);
    struct gnttab_map_grant_ref m = map(10, GNTMAP_host_map | GNTMAP_readonly, at, self_id);
    if (expect_eq(m.status, GNTST_okay))
        expect_eq(unmap(m.handle, at, 0), GNTST_okay);
    table[8].flags = table[9].flags = table[10].flags = 0;
}

/* XSA-224's sequence: a host and a device mapping taken down one at a time. */
static void check_host_and_device_map(void)
{
    if (!table_setup())
        return;
    void *ro;
    unsigned long mfn = zeroed_frame(&ro);
    void *at = map_pfn(alloc_pfn(), false);
    grant(8, mfn, GTF_permit_access);
    struct gnttab_map_grant_ref m = map(8, GNTMAP_host_map | GNTMAP_device_map, at, self_id);
    if (!expect_eq(m.status, GNTST_okay))
        return;
    expect_eq(unmap(m.handle, at, 0), GNTST_okay);
    expect_eq(unmap(m.handle, NULL, (mfn + 1) << 12), GNTST_bad_dev_addr);
    expect_eq(unmap(m.handle, NULL, mfn << 12), GNTST_okay);
    expect_eq(table[8].flags, GTF_permit_access);
    if (expect_rc(pin_l1(mfn, true), 0))
        expect_rc(pin_l1(mfn, false), 0);
    table[8].flags = 0;
}

/* XSA-234's sequence: unmap_and_replace moves the other grant's PTE over. */
static void check_unmap_and_replace(void)
{
    if (!table_setup())
        return;
    void *ro1, *ro2;
    unsigned long f1 = zeroed_frame(&ro1), f2 = zeroed_frame(&ro2);
    void *va1 = map_pfn(alloc_pfn(), false), *va2 = map_pfn(alloc_pfn(), false);
    grant(8, f1, GTF_permit_access);
    grant(9, f2, GTF_permit_access);
    struct gnttab_map_grant_ref m1 = map(8, GNTMAP_host_map, va1, self_id);
    struct gnttab_map_grant_ref m2 = map(9, GNTMAP_host_map | GNTMAP_readonly, va2, self_id);
    if (!expect_eq(m1.status, GNTST_okay) || !expect_eq(m2.status, GNTST_okay))
        return;
    struct gnttab_unmap_and_replace r = { .host_addr = (unsigned long)va2,
                                          .new_addr = (unsigned long)va1, .handle = m2.handle };
    expect_rc(hc_grant_table_op(GNTTABOP_unmap_and_replace, &r, 1), 0);
    expect_eq(r.status, GNTST_okay);
    expect_eq(table[9].flags, GTF_permit_access);
    /* va2 now maps f1 writable through grant 8; va1 is empty. */
    *(volatile uint64_t *)va2 = 0x77;
    expect_eq(*(volatile uint64_t *)ro1, 0x77);
    *(volatile uint64_t *)va2 = 0;
    expect_eq(unmap(m1.handle, va1, 0), GNTST_general_error);
    expect_rc(pin_l1(f1, true), -XEN_EINVAL);
    expect_eq(unmap(m1.handle, va2, 0), GNTST_okay);
    expect_eq(table[8].flags, GTF_permit_access);
    if (expect_rc(pin_l1(f1, true), 0))
        expect_rc(pin_l1(f1, false), 0);
    table[8].flags = table[9].flags = 0;
}

static void check_copy(void)
{
    if (!table_setup())
        return;
    void *src_ro, *dst_ro;
    unsigned long src = zeroed_frame(&src_ro), dst = zeroed_frame(&dst_ro);
    unsigned long pfn = alloc_pfn();
    volatile uint8_t *w = map_pfn(pfn, true);
    for (unsigned i = 0; i < 64; i++)
        w[i] = (uint8_t)(i + 1);
    unsigned long wmfn = p2m[pfn];
    grant(8, wmfn, GTF_permit_access | GTF_readonly);
    grant(9, dst, GTF_permit_access);
    struct gnttab_copy c = { .flags = GNTCOPY_source_gref | GNTCOPY_dest_gref,
                             .source = { .u.ref = 8, .domid = self_id, .offset = 0 },
                             .dest = { .u.ref = 9, .domid = DOMID_SELF, .offset = 100 },
                             .len = 64 };
    expect_rc(hc_grant_table_op(GNTTABOP_copy, &c, 1), 0);
    expect_eq(c.status, GNTST_okay);
    expect_eq(((volatile uint8_t *)dst_ro)[100], 1);
    expect_eq(((volatile uint8_t *)dst_ro)[163], 64);
    expect_eq(table[9].flags, GTF_permit_access);
    /* Frames by number: only DOMID_SELF's; within the page; not into a read-only grant. */
    c = (struct gnttab_copy){ .source = { .u.gmfn = wmfn, .domid = DOMID_SELF },
                              .dest = { .u.gmfn = dst, .domid = DOMID_SELF }, .len = 8 };
    expect_rc(hc_grant_table_op(GNTTABOP_copy, &c, 1), 0);
    expect_eq(c.status, GNTST_okay);
    c.dest.domid = self_id;
    expect_rc(hc_grant_table_op(GNTTABOP_copy, &c, 1), 0);
    expect_eq(c.status, GNTST_permission_denied);
    c.dest.domid = DOMID_SELF;
    c.dest.offset = PG_SIZE - 4;
    expect_rc(hc_grant_table_op(GNTTABOP_copy, &c, 1), 0);
    expect_eq(c.status, GNTST_bad_copy_arg);
    c = (struct gnttab_copy){ .flags = GNTCOPY_dest_gref,
                              .source = { .u.gmfn = wmfn, .domid = DOMID_SELF },
                              .dest = { .u.ref = 8, .domid = self_id }, .len = 8 };
    expect_rc(hc_grant_table_op(GNTTABOP_copy, &c, 1), 0);
    expect_eq(c.status, GNTST_general_error);
    (void)src;
    table[8].flags = table[9].flags = 0;
}

static long set_version(uint32_t v)
{
    struct gnttab_set_version op = { .version = v };
    return hc_grant_table_op(GNTTABOP_set_version, &op, 1);
}

static void check_version_2(void)
{
    if (!table_setup())
        return;
    long rc = set_version(2);
    /* A shim whose grant frames are a Xen host's (pvshim's L0 mode, Xen's
     * own pv-shim) offers version 1 only and says so; Xen itself and
     * pvshim's local provider must switch. */
    if (rc == -XEN_EOPNOTSUPP)
        check_skip_current("set_version(2): -EOPNOTSUPP (a shim on a Xen host: v1 only)");
    if (!expect_rc(rc, 0))
        return;
    struct gnttab_get_version gv = { .dom = DOMID_SELF };
    expect_rc(hc_grant_table_op(GNTTABOP_get_version, &gv, 1), 0);
    expect_eq(gv.version, 2);
    uint64_t sf = 0;
    struct gnttab_get_status_frames gs = { .nr_frames = 1, .dom = DOMID_SELF };
    set_xen_guest_handle(gs.frame_list, &sf);
    expect_rc(hc_grant_table_op(GNTTABOP_get_status_frames, &gs, 1), 0);
    if (!expect_eq(gs.status, GNTST_okay))
        goto out;
    /* XSA-255: while we map a status frame, version 1 can't take it back. */
    void *at = map_pfn(alloc_pfn(), false);
    expect_rc(hc_update_va_mapping((unsigned long)at, (sf << 12) | PTE_P | PTE_US | PTE_A,
                                   UVMF_INVLPG), 0);
    expect_rc(set_version(1), -XEN_EBUSY);
    expect_rc(hc_update_va_mapping((unsigned long)at, 0, UVMF_INVLPG), 0);
out:
    expect_rc(set_version(1), 0);
    gs.nr_frames = 1;
    expect_rc(hc_grant_table_op(GNTTABOP_get_status_frames, &gs, 1), 0);
    expect_eq(gs.status, GNTST_general_error);
    expect_rc(set_version(3), -XEN_EINVAL);
}

/* Grant and status frames by XENMEM_add_to_physmap: for translated guests only. */
static void check_add_to_physmap_refused(void)
{
    struct xen_add_to_physmap x = { .domid = DOMID_SELF, .space = XENMAPSPACE_grant_table,
                                    .idx = 0, .gpfn = 0x12345 };
    expect_rc(hc_memory_op(XENMEM_add_to_physmap, &x), -XEN_EACCES);
    x.idx = 0 | XENMAPIDX_grant_table_status;
    expect_rc(hc_memory_op(XENMEM_add_to_physmap, &x), -XEN_EACCES);
    x.domid = 0x7001;
    expect_rc(hc_memory_op(XENMEM_add_to_physmap, &x), -XEN_ESRCH);
}

void grant_checks(void)
{
    run_check("grant.map_own_grant", check_map_own_grant);
    run_check("grant.map_refusals", check_map_refusals);
    run_check("grant.host_and_device_map", check_host_and_device_map);
    run_check("grant.unmap_and_replace", check_unmap_and_replace);
    run_check("grant.copy", check_copy);
    run_check("grant.version_2", check_version_2);
    run_check("grant.add_to_physmap_refused", check_add_to_physmap_refused);
}
