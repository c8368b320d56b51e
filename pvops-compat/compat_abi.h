/*
 * The 32-bit layouts of the hypercall arguments that Debian's generated
 * xen/foreign/x86_32.h leaves out (it covers start_info, trap_info,
 * cpu_user_regs, vcpu_guest_context, vcpu_info and shared_info; those are
 * used from there, through <pvshim/xen_abi32.h>). Each struct here is the
 * public header's struct with unsigned long, xen_pfn_t and guest handles
 * 4 bytes wide and uint64_t 4-byte aligned, as an i386 compiler lays it
 * out; the sizes are checked below against Xen's compat headers.
 * Structures whose layout is the same for both widths (mmu_update,
 * evtchn_*, gnttab map/unmap/query_size/set_version, vcpu_register_vcpu_info,
 * vcpu_set_periodic_timer, sched_shutdown, physdev_set_iopl,
 * xen_feature_info) are not repeated: the native handlers read them as
 * they are.
 */
#ifndef PVSHIM_COMPAT_ABI_H
#define PVSHIM_COMPAT_ABI_H

#include <pvshim/xen_abi32.h>
#include <pvshim/compiler.h>

typedef uint32_t compat_ptr_t;      /* a guest handle or pointer */
typedef uint32_t compat_ulong_t;

#pragma pack(push, 4)

/* public/xen.h */
struct compat_multicall_entry {
    compat_ulong_t op, result;
    compat_ulong_t args[6];
};

struct compat_mmuext_op {
    uint32_t cmd;
    compat_ulong_t arg1;            /* mfn or linear_addr */
    compat_ulong_t arg2;            /* nr_ents, vcpumask pointer or src_mfn */
};

/* public/callback.h */
struct compat_callback_register {
    uint16_t type;
    uint16_t flags;
    uint32_t cs;
    uint32_t eip;
};

/* public/nmi.h */
struct compat_xennmi_callback {
    compat_ulong_t handler_address;
    compat_ulong_t pad;
};

/* public/sched.h */
struct compat_sched_poll {
    compat_ptr_t ports;
    uint32_t nr_ports;
    uint64_t timeout;
};

/* public/vcpu.h */
struct compat_vcpu_runstate_info {
    int32_t state;
    uint64_t state_entry_time;
    uint64_t time[4];
};

struct compat_vcpu_register_runstate_memory_area {
    compat_ptr_t addr;              /* the compat union's handle; its other 4 bytes unread */
    uint32_t pad;
};

struct compat_vcpu_set_singleshot_timer {
    uint64_t timeout_abs_ns;
    uint32_t flags;
};

/* public/memory.h */
struct compat_memory_reservation {
    compat_ptr_t extent_start;      /* compat_pfn_t[] (4 bytes each) */
    compat_ulong_t nr_extents;
    uint32_t extent_order;
    uint32_t mem_flags;
    domid_t domid;
};

struct compat_memory_exchange {
    struct compat_memory_reservation in, out;
    compat_ulong_t nr_exchanged;
};

struct compat_memory_map {
    uint32_t nr_entries;
    compat_ptr_t buffer;
};

struct compat_machphys_mapping {
    compat_ulong_t v_start, v_end, max_mfn;
};

struct compat_machphys_mfn_list {
    uint32_t max_extents;
    compat_ptr_t extent_start;      /* compat_pfn_t[] */
    uint32_t nr_extents;
};

struct compat_add_to_physmap {
    domid_t domid;
    uint16_t size;
    uint32_t space;
    compat_ulong_t idx;
    compat_ulong_t gpfn;            /* compat_pfn_t */
};

/* public/grant_table.h */
struct compat_gnttab_setup_table {
    domid_t dom;
    uint32_t nr_frames;
    int16_t status;
    compat_ptr_t frame_list;        /* compat_pfn_t[] */
};

struct compat_gnttab_copy_ptr {
    uint32_t u;                     /* grant_ref_t ref or compat_pfn_t gmfn */
    domid_t domid;
    uint16_t offset;
};

struct compat_gnttab_copy {
    struct compat_gnttab_copy_ptr source, dest;
    uint16_t len;
    uint16_t flags;
    int16_t status;
};

struct compat_gnttab_get_status_frames {
    uint32_t nr_frames;
    domid_t dom;
    int16_t status;
    compat_ptr_t frame_list;        /* uint64_t[], as for 64-bit guests */
};

/* public/version.h */
struct compat_platform_parameters {
    compat_ulong_t virt_start;
};

/* public/physdev.h: the legacy physdev_op_compat argument. */
struct compat_physdev_op {
    uint32_t cmd;
    uint32_t u[3];                  /* the union, 4-byte aligned */
};

#pragma pack(pop)

/* Sizes of Xen's compat_* structures (xen/include/compat, x86_32). */
STATIC_ASSERT(sizeof(struct compat_multicall_entry) == 32, "compat layout");
STATIC_ASSERT(sizeof(struct compat_mmuext_op) == 12, "compat layout");
STATIC_ASSERT(sizeof(struct compat_callback_register) == 12, "compat layout");
STATIC_ASSERT(sizeof(struct compat_sched_poll) == 16, "compat layout");
STATIC_ASSERT(sizeof(struct compat_vcpu_runstate_info) == 44, "compat layout");
STATIC_ASSERT(sizeof(struct compat_vcpu_register_runstate_memory_area) == 8, "compat layout");
STATIC_ASSERT(sizeof(struct compat_vcpu_set_singleshot_timer) == 12, "compat layout");
STATIC_ASSERT(sizeof(struct compat_memory_reservation) == 20, "compat layout");
STATIC_ASSERT(sizeof(struct compat_memory_exchange) == 44, "compat layout");
STATIC_ASSERT(offsetof(struct compat_memory_exchange, nr_exchanged) == 40, "compat layout");
STATIC_ASSERT(sizeof(struct compat_memory_map) == 8, "compat layout");
STATIC_ASSERT(sizeof(struct compat_machphys_mapping) == 12, "compat layout");
STATIC_ASSERT(sizeof(struct compat_add_to_physmap) == 16, "compat layout");
STATIC_ASSERT(sizeof(struct compat_machphys_mfn_list) == 12, "compat layout");
STATIC_ASSERT(sizeof(struct compat_gnttab_copy) == 24, "compat layout");
STATIC_ASSERT(offsetof(struct compat_gnttab_copy, status) == 20, "compat layout");
STATIC_ASSERT(sizeof(struct compat_gnttab_get_status_frames) == 12, "compat layout");
STATIC_ASSERT(sizeof(struct compat_gnttab_setup_table) == 16, "compat layout");
STATIC_ASSERT(sizeof(struct compat_physdev_op) == 16, "compat layout");
STATIC_ASSERT(sizeof(struct trap_info_x86_32) == 8, "compat layout");
STATIC_ASSERT(sizeof(struct vcpu_info_x86_32) == 64, "compat layout");
STATIC_ASSERT(sizeof(struct shared_info_x86_32) == 2344, "compat layout");

#endif
