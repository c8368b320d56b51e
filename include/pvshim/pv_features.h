/*
 * The XENFEAT_* bits of submap 0 pvshim deals in: what a PV domU sees
 * (XENVER_get_features, as xen/common/kernel.c gives them to a PV domU of
 * Xen 4.17), and what a kernel may require in its FEATURES note before
 * pvshim agrees to boot it. One home for both, shared by the shim and
 * the host tools that judge kernels for it (pvshim-inventory).
 */
#ifndef PVSHIM_PV_FEATURES_H
#define PVSHIM_PV_FEATURES_H

#include <xen/features.h>

/* Features a PV domU sees in submap 0. */
#define PV_FEATURES_SUBMAP0 ((1u << XENFEAT_memory_op_vnode_supported) |      \
                             (1u << XENFEAT_mmu_pt_update_preserve_ad) |      \
                             (1u << XENFEAT_highmem_assist) |                 \
                             (1u << XENFEAT_gnttab_map_avail_bits))

/*
 * What a kernel may require: the run-time features, plus
 * writable_page_tables (honoured by emulating trapped page-table writes;
 * Linux requires it) and pae_pgdir_above_4gb. Not dom0,
 * auto_translated_physmap, supervisor_mode_kernel or writable descriptor
 * tables.
 */
#define PV_FEATURES_KERNEL_MAY_REQUIRE (PV_FEATURES_SUBMAP0 |                   \
                                        (1u << XENFEAT_writable_page_tables) | \
                                        (1u << XENFEAT_pae_pgdir_above_4gb))

#endif
