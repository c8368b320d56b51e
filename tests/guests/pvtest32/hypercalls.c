/* Hypercalls with 32-bit layouts, and what only a 32-bit guest gets. */
#include "pvtest32.h"

#define COMPAT_M2P ((uint32_t *)0xf5800000u)

static long xen_version(void)
{
    return hypercall2(__HYPERVISOR_xen_version, XENVER_version, 0);
}

static void check_version(void)
{
    long v = xen_version();
    expect(v >> 16 >= 3, "version %#lx", v);
    /* The same call by `int $0x82` directly, as GRUB's i386-xen makes its calls. */
    expect_eq(probe_int82(__HYPERVISOR_xen_version, XENVER_version, 0), v);
}

static void check_platform_parameters(void)
{
    struct xen_platform_parameters p = { 0 };
    uint32_t guard[2] = { 0xaaaaaaaa, 0xaaaaaaaa };
    (void)guard;
    expect_rc(hypercall2(__HYPERVISOR_xen_version, XENVER_platform_parameters, &p), 0);
    expect_eq(p.virt_start, 0xf5800000u);
}

static void check_machphys_mapping(void)
{
    struct xen_machphys_mapping m = { 0 };
    expect_rc(hypercall2(__HYPERVISOR_memory_op, XENMEM_machphys_mapping, &m), 0);
    expect_eq(m.v_start, 0xf5800000u);
    expect_eq(m.v_end, 0xffe00000u);
    expect_eq(m.max_mfn, (0xffe00000u - 0xf5800000u) / 4 - 1);
}

/* The compat M2P: 4-byte entries at 0xf5800000, readable, not writable. */
static void check_compat_m2p(void)
{
    uint32_t pfn_si = ((uint32_t)si - VIRT_BASE) >> 12;
    expect_eq(COMPAT_M2P[p2m[0]], 0);
    expect_eq(COMPAT_M2P[p2m[pfn_si]], pfn_si);
    expect_eq(COMPAT_M2P[p2m[si->nr_pages - 1]], si->nr_pages - 1);
    expect_rc(probe_write32(&COMPAT_M2P[p2m[0]], 5), -1);
    expect_eq(last_trap.vector, 14);
}

static void check_memory_ops(void)
{
    domid_t self = DOMID_SELF;
    expect_rc(hypercall2(__HYPERVISOR_memory_op, XENMEM_current_reservation, &self),
              si->nr_pages);
    struct e820 { uint64_t addr, size; uint32_t type; } __attribute__((packed)) e[2];
    struct xen_memory_map map = { .nr_entries = 2 };
    set_xen_guest_handle(map.buffer, e);
    expect_rc(hypercall2(__HYPERVISOR_memory_op, XENMEM_memory_map, &map), 0);
    expect_eq(map.nr_entries, 1);
    expect_eq(e[0].size, (uint64_t)si->nr_pages << 12);
    expect_rc(hypercall2(__HYPERVISOR_memory_op, XENMEM_maximum_gpfn, &self),
              si->nr_pages - 1);
}

/*
 * A frame given back and a new one populated at the same pfn: 4-byte
 * extents both ways, and the compat M2P names the pfn for the new frame.
 */
static void check_balloon(void)
{
    uint32_t pfn = alloc_pfn(), mfn = p2m[pfn];
    struct xen_memory_reservation r = { .nr_extents = 1, .domid = DOMID_SELF };
    _Static_assert(sizeof(r) == 20, "i386 layout");
    set_xen_guest_handle(r.extent_start, (xen_pfn_t *)&mfn);
    expect_rc(hypercall2(__HYPERVISOR_memory_op, XENMEM_decrease_reservation, &r), 1);
    expect_eq(COMPAT_M2P[mfn], 0xffffffffu);
    uint32_t gpfn = pfn;
    set_xen_guest_handle(r.extent_start, (xen_pfn_t *)&gpfn);
    expect_rc(hypercall2(__HYPERVISOR_memory_op, XENMEM_populate_physmap, &r), 1);
    expect(gpfn != pfn || gpfn == mfn, "no frame back");
    expect_eq(COMPAT_M2P[gpfn], pfn);
    p2m[pfn] = gpfn;
}

/* 44-byte vcpu_runstate_info: nothing past it is written. */
static void check_runstate(void)
{
    struct { struct vcpu_runstate_info rs; uint32_t guard; } b;
    _Static_assert(sizeof(struct vcpu_runstate_info) == 44, "i386 layout");
    memset(&b, 0xaa, sizeof(b));
    expect_rc(hypercall3(__HYPERVISOR_vcpu_op, VCPUOP_get_runstate_info, 0, &b.rs), 0);
    expect_eq(b.rs.state, RUNSTATE_running);
    expect(b.rs.state_entry_time != 0xaaaaaaaaaaaaaaaaull && b.rs.time[0] != 0xaaaaaaaaaaaaaaaaull,
           "runstate not written");
    expect_eq(b.guard, 0xaaaaaaaau);

    static struct { struct vcpu_runstate_info rs; uint32_t guard; } area;
    memset(&area, 0xaa, sizeof(area));
    struct vcpu_register_runstate_memory_area r;
    memset(&r, 0, sizeof(r));
    r.addr.v = &area.rs;
    expect_rc(hypercall3(__HYPERVISOR_vcpu_op, VCPUOP_register_runstate_memory_area, 0, &r), 0);
    expect_eq(area.rs.state, RUNSTATE_running);
    expect_eq(area.guard, 0xaaaaaaaau);
}

/* 32-byte multicall entries with 32-bit results. */
static void check_multicall(void)
{
    multicall_entry_t mc[3];
    _Static_assert(sizeof(multicall_entry_t) == 32, "i386 layout");
    memset(mc, 0, sizeof(mc));
    mc[0].op = __HYPERVISOR_xen_version;
    mc[0].args[0] = XENVER_version;
    mc[1].op = __HYPERVISOR_set_segment_base;      /* 64-bit only */
    mc[2].op = __HYPERVISOR_vm_assist;
    mc[2].args[0] = VMASST_CMD_enable;
    mc[2].args[1] = VMASST_TYPE_writable_pagetables;
    expect_rc(hypercall2(__HYPERVISOR_multicall, mc, 3), 0);
    expect_eq(mc[0].result, (unsigned long)xen_version());
    expect_eq(mc[1].result, (unsigned long)-XEN_ENOSYS);
    expect_eq(mc[2].result, 0);
}

void hypercall_checks(void)
{
    run_check("hypercall.version", check_version);
    run_check("hypercall.platform_parameters", check_platform_parameters);
    run_check("hypercall.machphys_mapping", check_machphys_mapping);
    run_check("hypercall.compat_m2p", check_compat_m2p);
    run_check("hypercall.memory_ops", check_memory_ops);
    run_check("hypercall.balloon", check_balloon);
    run_check("hypercall.runstate", check_runstate);
    run_check("hypercall.multicall", check_multicall);
}

/* ------------------------------------------------------------- compat only */

/* What a 64-bit guest has and a 32-bit one gets refused, as Xen refuses it. */
static void check_refusals(void)
{
    struct callback_register cb = { .type = CALLBACKTYPE_syscall, .address = { RING1_CS, 0x1234 } };
    expect_rc(hypercall2(__HYPERVISOR_set_segment_base, 0, 0), -XEN_ENOSYS);
    expect_rc(hypercall2(__HYPERVISOR_callback_op, CALLBACKOP_register, &cb), -XEN_ENOSYS);
    cb.type = 3;                                    /* the old sysenter number */
    expect_rc(hypercall2(__HYPERVISOR_callback_op, CALLBACKOP_register, &cb), -XEN_ENOSYS);
    expect_rc(hypercall2(__HYPERVISOR_vm_assist, VMASST_CMD_enable, VMASST_TYPE_m2p_strict),
              -XEN_EINVAL);
    struct mmuext_op op = { .cmd = MMUEXT_NEW_USER_BASEPTR };
    op.arg1.mfn = virt_to_mfn((void *)si->pt_base);
    expect_rc(hypercall4(__HYPERVISOR_mmuext_op, &op, 1, 0, DOMID_SELF), -XEN_EINVAL);
}

/* XENFEAT_pae_pgdir_above_4gb follows VMASST pae_extended_cr3. */
static void check_extended_cr3(void)
{
    xen_feature_info_t fi = { .submap_idx = 0 };
    expect_rc(hypercall2(__HYPERVISOR_vm_assist, VMASST_CMD_disable,
                         VMASST_TYPE_pae_extended_cr3), 0);
    expect_rc(hypercall2(__HYPERVISOR_xen_version, XENVER_get_features, &fi), 0);
    expect(!(fi.submap & (1u << XENFEAT_pae_pgdir_above_4gb)), "feature without the assist");
    expect_rc(hypercall2(__HYPERVISOR_vm_assist, VMASST_CMD_enable,
                         VMASST_TYPE_pae_extended_cr3), 0);
    expect_rc(hypercall2(__HYPERVISOR_xen_version, XENVER_get_features, &fi), 0);
    expect(fi.submap & (1u << XENFEAT_pae_pgdir_above_4gb), "no feature with the assist");
}

/* Emulated `mov %cr3`: the L3's frame rotated as xen_pfn_to_cr3 does for i386. */
static void check_mov_cr3(void)
{
    uint32_t cr3, mfn = virt_to_mfn((void *)si->pt_base);
    __asm__ volatile("mov %%cr3, %0" : "=r"(cr3));
    expect_eq(cr3, (mfn << 12) | (mfn >> 20));
}

/*
 * A GDT of the guest's own with RHEL5-style selectors (__KERNEL_CS 0x60,
 * __KERNEL_DS 0x68, written with DPL 0): pvshim raises them to DPL 1 and
 * the ring-1 kernel can load and run on them; 64-bit code is refused.
 */
static void check_own_gdt(void)
{
    uint32_t pfn = alloc_pfn(), va = scratch_va(8);
    uint64_t pte = ((uint64_t)p2m[pfn] << 12) | PTE_P | PTE_RW | PTE_A | PTE_D;
    expect_rc(hypercall4(__HYPERVISOR_update_va_mapping, va, (uint32_t)pte,
                         (uint32_t)(pte >> 32), UVMF_INVLPG), 0);
    uint64_t *gdt = (uint64_t *)va;
    memset(gdt, 0, PG_SIZE);
    gdt[12] = 0x00cf9a000000ffffull;        /* flat 32-bit code, DPL 0 */
    gdt[13] = 0x00cf92000000ffffull;        /* flat data, DPL 0 */
    /* Read-only, then it can become a descriptor page. */
    pte &= ~PTE_RW;
    expect_rc(hypercall4(__HYPERVISOR_update_va_mapping, va, (uint32_t)pte,
                         (uint32_t)(pte >> 32), UVMF_INVLPG), 0);
    unsigned long frame = p2m[pfn];
    expect_rc(hypercall2(__HYPERVISOR_set_gdt, &frame, 14), 0);
    expect_eq((gdt[12] >> 45) & 3, 1);
    expect_eq((gdt[13] >> 45) & 3, 1);
    uint32_t cs = 0, ds = 0;
    __asm__ volatile("mov $0x69, %%eax\n\tmov %%eax, %%ds\n\t"
                     "ljmp $0x61, $1f\n1:\n\t"
                     "mov %%cs, %0\n\tmov %%ds, %1\n\t"
                     "ljmp $0xe019, $2f\n2:\n\t"
                     "mov $0xe021, %%eax\n\tmov %%eax, %%ds"
                     : "=&r"(cs), "=&r"(ds) : : "eax", "memory");
    expect_eq(cs & 0xffff, 0x61);
    expect_eq(ds & 0xffff, 0x69);
    uint64_t maddr = ((uint64_t)p2m[pfn] << 12) + 14 * 8;
    expect_rc(hypercall4(__HYPERVISOR_update_descriptor, (uint32_t)maddr,
                         (uint32_t)(maddr >> 32), 0x0000ffff, 0x00af9a00), -XEN_EINVAL);
    expect_rc(hypercall4(__HYPERVISOR_update_descriptor, (uint32_t)maddr,
                         (uint32_t)(maddr >> 32), 0x0000ffff, 0x00cf9a00), 0);
    expect_eq((gdt[14] >> 45) & 3, 1);
}

void compat_checks(void)
{
    run_check("compat.mov_cr3", check_mov_cr3);
    run_check("compat.own_gdt", check_own_gdt);
    run_check("compat.refusals", check_refusals);
    run_check("compat.extended_cr3", check_extended_cr3);
}
