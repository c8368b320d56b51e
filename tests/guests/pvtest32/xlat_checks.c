/*
 * Hypercalls whose 32-bit argument layouts differ from the 64-bit ones and
 * that pvshim's compat layer once refused with -ENOSYS: GNTTABOP_copy
 * (24-byte entries, 4-byte frame numbers, status at byte 20),
 * GNTTABOP_get_status_frames (the list handle at byte 8, 8-byte frames)
 * and XENMEM_machphys_mfn_list (the compat M2P's 2 MiB chunks as 4-byte
 * frame numbers), as Xen 4.17's compat layer answers them.
 */
#include "pvtest32.h"

#define RW_FLAGS (PTE_P | PTE_RW | PTE_A | PTE_D)

static long uvm(uint32_t va, uint64_t pte)
{
    return hypercall4(__HYPERVISOR_update_va_mapping, va, (uint32_t)pte,
                      (uint32_t)(pte >> 32), UVMF_INVLPG);
}

static long gnttab(unsigned cmd, void *op, unsigned count)
{
    return hypercall3(__HYPERVISOR_grant_table_op, cmd, op, count);
}

/* Two copies in one call between our own frames (DOMID_SELF, by frame number). */
static void check_grant_copy(void)
{
    _Static_assert(sizeof(struct gnttab_copy) == 24, "i386 gnttab_copy");
    uint32_t src_pfn = alloc_pfn(), dst_pfn = alloc_pfn();
    uint8_t *src = (uint8_t *)scratch_va(21), *dst = (uint8_t *)scratch_va(22);
    expect_rc(uvm((uint32_t)src, ((uint64_t)p2m[src_pfn] << 12) | RW_FLAGS), 0);
    expect_rc(uvm((uint32_t)dst, ((uint64_t)p2m[dst_pfn] << 12) | RW_FLAGS), 0);
    for (unsigned i = 0; i < PG_SIZE; i++) {
        src[i] = (uint8_t)i;
        dst[i] = 0;
    }
    struct gnttab_copy c[3] = {
        { .source = { .u.gmfn = p2m[src_pfn], .domid = DOMID_SELF, .offset = 16 },
          .dest = { .u.gmfn = p2m[dst_pfn], .domid = DOMID_SELF, .offset = 100 },
          .len = 32, .status = 99 },
        { .source = { .u.gmfn = p2m[src_pfn], .domid = DOMID_SELF, .offset = 200 },
          .dest = { .u.gmfn = p2m[dst_pfn], .domid = DOMID_SELF, .offset = 1000 },
          .len = 8, .status = 99 },
        /* Past the end of the page. */
        { .source = { .u.gmfn = p2m[src_pfn], .domid = DOMID_SELF, .offset = PG_SIZE - 4 },
          .dest = { .u.gmfn = p2m[dst_pfn], .domid = DOMID_SELF },
          .len = 8, .status = 99 },
    };
    expect_rc(gnttab(GNTTABOP_copy, c, 3), 0);
    expect_eq(c[0].status, GNTST_okay);
    expect_eq(c[1].status, GNTST_okay);
    expect_eq(c[2].status, GNTST_bad_copy_arg);
    expect_eq(dst[99], 0);
    expect_eq(dst[100], 16);
    expect_eq(dst[131], 47);
    expect_eq(dst[132], 0);
    expect_eq(dst[1000], 200);
    expect_eq(dst[1007], 207);
    expect_eq(dst[1008], 0);
    /* The entries' other fields are as we wrote them. */
    expect_eq(c[1].len, 8);
    expect_eq(c[1].dest.offset, 1000);
    expect_rc(uvm((uint32_t)src, 0), 0);
    expect_rc(uvm((uint32_t)dst, 0), 0);
}

/* Version 2's status frame, listed as an 8-byte frame number; none in version 1. */
static void check_status_frames(void)
{
    _Static_assert(sizeof(struct gnttab_get_status_frames) == 12, "i386 layout");
    struct gnttab_set_version sv = { .version = 2 };
    if (!expect_rc(gnttab(GNTTABOP_set_version, &sv, 1), 0))
        return;
    uint64_t frames[2] = { 0, 0x5555 };
    struct gnttab_get_status_frames gs = { .nr_frames = 1, .dom = DOMID_SELF, .status = 99 };
    set_xen_guest_handle(gs.frame_list, frames);
    expect_rc(gnttab(GNTTABOP_get_status_frames, &gs, 1), 0);
    expect_eq(gs.status, GNTST_okay);
    expect(frames[0] && frames[0] < (1ull << 32), "status frame %#llx",
           (unsigned long long)frames[0]);
    expect_eq(frames[1], 0x5555);
    sv.version = 1;
    expect_rc(gnttab(GNTTABOP_set_version, &sv, 1), 0);
    gs.status = 99;
    expect_rc(gnttab(GNTTABOP_get_status_frames, &gs, 1), 0);
    expect_eq(gs.status, GNTST_general_error);
}

/* The compat M2P's 2 MiB chunks, each the frame its superpage maps. */
static void check_machphys_mfn_list(void)
{
    _Static_assert(sizeof(struct xen_machphys_mfn_list) == 12, "i386 layout");
    static xen_pfn_t list[64];     /* unsigned long: 4 bytes */
    memset(list, 0xff, sizeof(list));
    struct xen_machphys_mfn_list l = { .max_extents = 63 };
    set_xen_guest_handle(l.extent_start, list);
    expect_rc(hypercall2(__HYPERVISOR_memory_op, XENMEM_machphys_mfn_list, &l), 0);
    /* 4 bytes for each machine frame: a 256 MiB VM's M2P fits in one chunk. */
    expect(l.nr_extents >= 1 && l.nr_extents <= 63, "nr_extents %u", l.nr_extents);
    for (unsigned i = 0; i < l.nr_extents; i++) {
        uint64_t *e = pte_of(0xf5800000u + (i << 21), 2);
        if (!expect(e && (*e & PTE_P), "no M2P superpage %u", i))
            break;
        expect(list[i] == (uint32_t)((*e & PTE_ADDR) >> 12), "chunk %u: %#x, L2 entry %#llx",
               i, (unsigned)list[i], (unsigned long long)*e);
    }
    expect_eq(list[l.nr_extents], 0xffffffffu);  /* nothing past nr_extents */
    /* No more than asked for. */
    l.max_extents = 0;
    expect_rc(hypercall2(__HYPERVISOR_memory_op, XENMEM_machphys_mfn_list, &l), 0);
    expect_eq(l.nr_extents, 0);
}

/*
 * XENMEM_exchange in the 32-bit layout (44-byte header, 4-byte extents):
 * Xen's compat check first (nr_exchanged not on an output extent: -EINVAL,
 * nothing written back), a mapped frame refused, then two single frames
 * for an aligned pair below 4 GiB at the gpfns asked for, the 4-byte out
 * list written one entry wide.
 */
static void check_memory_exchange(void)
{
    const volatile uint32_t *m2p = (const volatile uint32_t *)0xf5800000u;
    uint32_t a = alloc_pfn(), b = alloc_pfn();
    if (!expect(a == b + 1 || b == a + 1, "pfns %u %u not adjacent", a, b))
        return;
    uint32_t g = a < b ? a : b;
    _Static_assert(sizeof(struct xen_memory_exchange) == 44, "i386 memory_exchange");
    xen_pfn_t in[2] = { p2m[g], p2m[g + 1] }, out[2] = { g, 0x5a5a5a5a };
    struct xen_memory_exchange x = {
        .in = { .nr_extents = 2, .extent_order = 0, .domid = DOMID_SELF },
        .out = { .nr_extents = 1, .extent_order = 1, .mem_flags = XENMEMF_address_bits(32),
                 .domid = DOMID_SELF },
        .nr_exchanged = 1,
    };
    set_xen_guest_handle(x.in.extent_start, in);
    set_xen_guest_handle(x.out.extent_start, out);
    expect_rc(hypercall2(__HYPERVISOR_memory_op, XENMEM_exchange, &x), -XEN_EINVAL);
    expect_eq(x.nr_exchanged, 1);
    x.nr_exchanged = 0;
    uint32_t va = scratch_va(28);
    expect_rc(uvm(va, ((uint64_t)p2m[g + 1] << 12) | RW_FLAGS), 0);
    expect_rc(hypercall2(__HYPERVISOR_memory_op, XENMEM_exchange, &x), -XEN_EINVAL);
    expect_eq(x.nr_exchanged, 0);
    expect_rc(uvm(va, 0), 0);
    if (!expect_rc(hypercall2(__HYPERVISOR_memory_op, XENMEM_exchange, &x), 0))
        return;
    expect_eq(x.nr_exchanged, 2);
    uint32_t m = out[0];
    expect(m % 2 == 0 && m < (1u << 20), "out mfn %#x: not an aligned pair below 4 GiB", m);
    expect_eq(out[1], 0x5a5a5a5a);
    expect_eq(m2p[m], g);
    expect_eq(m2p[m + 1], g + 1);
    p2m[g] = m;
    p2m[g + 1] = m + 1;
    expect_rc(uvm(va, ((uint64_t)(m + 1) << 12) | RW_FLAGS), 0);
    *(volatile uint32_t *)va = 0x5a5a;
    expect_eq(*(volatile uint32_t *)va, 0x5a5a);
    expect_rc(uvm(va, 0), 0);
}

void xlat_checks(void)
{
    run_check("xlat.grant_copy", check_grant_copy);
    run_check("xlat.grant_status_frames", check_status_frames);
    run_check("xlat.machphys_mfn_list", check_machphys_mfn_list);
    run_check("xlat.memory_exchange", check_memory_exchange);
}
