/*
 * pvshim's virtual memory layout. It lives in the hypervisor part of the
 * 64-bit PV address space, L4 slots 256-271 (0xffff800000000000 -
 * 0xffff87ffffffffff), which is installed in every L4 the guest pins.
 * Shared by C and NASM (only #define lines of plain numbers here).
 */
#ifndef PVSHIM_LAYOUT_H
#define PVSHIM_LAYOUT_H

/* L4 slots reserved for the hypervisor in every 64-bit PV address space. */
#define HYPERVISOR_FIRST_L4_SLOT   256
#define HYPERVISOR_LAST_L4_SLOT    271

/* Slot 256: read-only machine-to-phys table, readable by the guest (ABI). */
#define RO_M2P_VIRT_START          0xffff800000000000
#define RO_M2P_VIRT_END            0xffff804000000000

/* Slot 257: per-vCPU descriptor tables (GDT and LDT windows, 64 KiB each). */
#define PERVCPU_VIRT_START         0xffff808000000000
#define GDT_WINDOW_VIRT            PERVCPU_VIRT_START
#define LDT_WINDOW_VIRT            0xffff808000010000
#define LDT_WINDOW_PAGES           16
/* Physical CPU n > 0 has its GDT window n strides above the boot CPU's. */
#define PCPU_WINDOW_STRIDE         0x100000

/* Slot 258: pvshim's image, linked at its load address plus this offset. */
#define IMAGE_VIRT_OFFSET          0xffff810000000000

/* Slot 259: device MMIO windows (local APIC, ...). */
#define MMIO_VIRT_START            0xffff818000000000

/*
 * Slot 260: pvshim's writable view of the M2P (supervisor-only, NX): the
 * same frames as slot 256, the same missing chunks (m2p.h).
 */
#define RW_M2P_VIRT_START          0xffff820000000000

/*
 * Slot 261: the frame table (pvops-compat/mm), supervisor-only, NX. Pages
 * describing no RAM frame at all share one read-only page.
 */
#define FRAME_TABLE_VIRT_START     0xffff828000000000
#define FRAME_TABLE_VIRT_END       0xffff830000000000

/* Slots 262-263: direct map of all machine memory, supervisor-only, NX. */
#define DIRECTMAP_VIRT_START       0xffff830000000000
#define DIRECTMAP_VIRT_END         0xffff840000000000

/*
 * 32-bit PAE guests only: slot 1 of pvshim's L4 (whose slot 0 is the
 * guest's L3) holds the compat translation area, supervisor-only and out
 * of a 32-bit guest's reach: per vCPU, COMPAT_XLAT_PAGES pages where a
 * 32-bit hypercall's arguments are rebuilt in the native layout for the
 * 64-bit handlers (Xen's COMPAT_ARG_XLAT area).
 */
#define COMPAT_XLAT_VIRT_START     0x0000008000000000
#define COMPAT_XLAT_PAGES          2

/* Where the multiboot/PVH loaders place pvshim's first byte. */
#define IMAGE_LOAD_PADDR           0x100000

/* The boot CPU's stack until it first enters the guest (boot/entry.asm). */
#define BOOT_STACK_SIZE            0x4000

#endif
