/*
 * The 32-bit PAE ("compat") guest ABI: the structure layouts come from
 * Debian libxen-dev's generated xen/foreign/x86_32.h (suffix _x86_32);
 * what that header leaves out is stated here with its source. Include
 * this only where a guest's width matters (the builder, the compat seam).
 */
#ifndef PVSHIM_XEN_ABI32_H
#define PVSHIM_XEN_ABI32_H

#include <pvshim/xen_abi.h>
/* The generated header names the 32-bit wc_sec_hi field through the same
 * macro as xen.h does for the native one: keep the native meaning. */
#pragma push_macro("xen_wc_sec_hi")
#undef xen_wc_sec_hi
#include <xen/foreign/x86_32.h>
#undef xen_wc_sec_hi
#pragma pop_macro("xen_wc_sec_hi")

/*
 * public/arch-x86/xen-x86_32.h: HYPERVISOR_VIRT_START_PAE and
 * MACH2PHYS_VIRT_START_PAE. A 64-bit Xen gives every domU this hole start
 * (__HYPERVISOR_COMPAT_VIRT_START; HV_START_LOW only counts for dom0) and
 * maps the read-only compat M2P (4-byte entries) from it up to
 * MACH2PHYS_COMPAT_VIRT_END (Xen asm/config.h).
 */
#define COMPAT_HV_VIRT_START        0xf5800000u
#define COMPAT_M2P_VIRT_START       COMPAT_HV_VIRT_START
#define COMPAT_M2P_VIRT_END         0xffe00000u
#define COMPAT_M2P_MAX_ENTRIES      ((COMPAT_M2P_VIRT_END - COMPAT_M2P_VIRT_START) / 4)

/* The top L2 (PAE L3 slot 3) holds the hypervisor's slots 428-511 (Xen's
 * COMPAT_L2_PAGETABLE_FIRST_XEN_SLOT = l2_table_offset(the hole start)). */
#define COMPAT_L3_XEN_SLOT          3
#define COMPAT_L2_FIRST_XEN_SLOT    ((COMPAT_HV_VIRT_START >> 21) & 511)
#define COMPAT_L2_XEN_SLOTS         (512 - COMPAT_L2_FIRST_XEN_SLOT)

/* public/arch-x86/xen-x86_32.h's ring-3 flat selectors (the generated
 * header has only the ring-1 ones). Shared with the arch layer's GDT. */
#define COMPAT_FLAT_RING3_CS        0xe02b
#define COMPAT_FLAT_RING3_DS        0xe033
#define COMPAT_FLAT_RING3_SS        COMPAT_FLAT_RING3_DS

/* start_info.magic of a 32-bit PAE guest (public/xen.h). */
#define COMPAT_START_INFO_MAGIC     "xen-3.0-x86_32p"

/* A 32-bit PAE guest's memory stays below 128 GiB (Xen switch_compat's
 * physaddr_bitsize for the compat M2P size): frames below this. */
#define COMPAT_MAX_MFN              (1ull << (37 - 12))

#endif
