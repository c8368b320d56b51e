#include "abi_trace.h"
#include "domain.h"
#include <pvshim/log.h>
#include <pvshim/string.h>
#include <pvshim/xen_abi.h>
#include <pvshim/compiler.h>
#include <pvshim/json.h>
#include <pvshim/spinlock.h>

#define OPS         64
#define SUBS        64      /* sub-operations above 62 share the last row */
#define SUB_NONE_ROW (SUBS - 1)
#define EVENTS      32

bool abi_trace_enabled;

/*
 * Hypercalls that touch only their own vCPU run without the PV lock
 * (hypercall_defs.h), so the call counts are atomic increments, and
 * abi_trace_lock protects: the refusal table and the events.
 * order: inside pv_big_lock; nothing is taken inside it.
 */
static spinlock_t abi_trace_lock;

struct counter {
    uint32_t calls, refused, unimplemented;
};
STATIC_ASSERT(sizeof(struct counter[OPS][SUBS]) == ABI_TRACE_COUNTER_BYTES, "abi_trace.h");

/* The counters, only with trace=abi (abi_trace_enable); NULL without. */
static struct counter (*table)[SUBS];
/* Rows whose -ENOSYS was warned about (bit row of op), with or without the table. */
static uint64_t warned_enosys[OPS];
STATIC_ASSERT(SUBS <= 64, "one bit per row");

/* Refusals by error code, for the rows that had any; a row's refusals
 * beyond these slots are reported as "other". */
#define REFUSALS    128
static struct refusal {
    uint8_t op, row;
    int16_t rc;
    uint32_t n;
} refusals[REFUSALS];
static unsigned nr_refusals;
static struct { const char *what; uint32_t n; } events[EVENTS];

static const char *const op_names[OPS] = {
    [__HYPERVISOR_set_trap_table] = "set_trap_table",
    [__HYPERVISOR_mmu_update] = "mmu_update",
    [__HYPERVISOR_set_gdt] = "set_gdt",
    [__HYPERVISOR_stack_switch] = "stack_switch",
    [__HYPERVISOR_set_callbacks] = "set_callbacks",
    [__HYPERVISOR_fpu_taskswitch] = "fpu_taskswitch",
    [__HYPERVISOR_sched_op_compat] = "sched_op_compat",
    [__HYPERVISOR_platform_op] = "platform_op",
    [__HYPERVISOR_set_debugreg] = "set_debugreg",
    [__HYPERVISOR_get_debugreg] = "get_debugreg",
    [__HYPERVISOR_update_descriptor] = "update_descriptor",
    [__HYPERVISOR_memory_op] = "memory_op",
    [__HYPERVISOR_multicall] = "multicall",
    [__HYPERVISOR_update_va_mapping] = "update_va_mapping",
    [__HYPERVISOR_set_timer_op] = "set_timer_op",
    [__HYPERVISOR_event_channel_op_compat] = "event_channel_op_compat",
    [__HYPERVISOR_xen_version] = "xen_version",
    [__HYPERVISOR_console_io] = "console_io",
    [__HYPERVISOR_physdev_op_compat] = "physdev_op_compat",
    [__HYPERVISOR_grant_table_op] = "grant_table_op",
    [__HYPERVISOR_vm_assist] = "vm_assist",
    [__HYPERVISOR_update_va_mapping_otherdomain] = "update_va_mapping_otherdomain",
    [__HYPERVISOR_iret] = "iret",
    [__HYPERVISOR_vcpu_op] = "vcpu_op",
    [__HYPERVISOR_set_segment_base] = "set_segment_base",
    [__HYPERVISOR_mmuext_op] = "mmuext_op",
    [__HYPERVISOR_xsm_op] = "xsm_op",
    [__HYPERVISOR_nmi_op] = "nmi_op",
    [__HYPERVISOR_sched_op] = "sched_op",
    [__HYPERVISOR_callback_op] = "callback_op",
    [__HYPERVISOR_xenoprof_op] = "xenoprof_op",
    [__HYPERVISOR_event_channel_op] = "event_channel_op",
    [__HYPERVISOR_physdev_op] = "physdev_op",
    [__HYPERVISOR_hvm_op] = "hvm_op",
    [__HYPERVISOR_sysctl] = "sysctl",
    [__HYPERVISOR_domctl] = "domctl",
    [__HYPERVISOR_kexec_op] = "kexec_op",
    [__HYPERVISOR_tmem_op] = "tmem_op",
    [__HYPERVISOR_argo_op] = "argo_op",
    [__HYPERVISOR_xenpmu_op] = "xenpmu_op",
    [__HYPERVISOR_dm_op] = "dm_op",
    [__HYPERVISOR_hypfs_op] = "hypfs_op",
};

/* Names of sub-operations, for the report (from the public headers). */
struct sub_name {
    uint8_t op, sub;
    const char *name;
};

static const struct sub_name sub_names[] = {
    { __HYPERVISOR_mmu_update, MMU_NORMAL_PT_UPDATE, "normal_pt_update" },
    { __HYPERVISOR_mmu_update, MMU_MACHPHYS_UPDATE, "machphys_update" },
    { __HYPERVISOR_mmu_update, MMU_PT_UPDATE_PRESERVE_AD, "pt_update_preserve_ad" },
    { __HYPERVISOR_mmuext_op, MMUEXT_PIN_L1_TABLE, "pin_l1_table" },
    { __HYPERVISOR_mmuext_op, MMUEXT_PIN_L2_TABLE, "pin_l2_table" },
    { __HYPERVISOR_mmuext_op, MMUEXT_PIN_L3_TABLE, "pin_l3_table" },
    { __HYPERVISOR_mmuext_op, MMUEXT_PIN_L4_TABLE, "pin_l4_table" },
    { __HYPERVISOR_mmuext_op, MMUEXT_UNPIN_TABLE, "unpin_table" },
    { __HYPERVISOR_mmuext_op, MMUEXT_NEW_BASEPTR, "new_baseptr" },
    { __HYPERVISOR_mmuext_op, MMUEXT_TLB_FLUSH_LOCAL, "tlb_flush_local" },
    { __HYPERVISOR_mmuext_op, MMUEXT_INVLPG_LOCAL, "invlpg_local" },
    { __HYPERVISOR_mmuext_op, MMUEXT_TLB_FLUSH_MULTI, "tlb_flush_multi" },
    { __HYPERVISOR_mmuext_op, MMUEXT_INVLPG_MULTI, "invlpg_multi" },
    { __HYPERVISOR_mmuext_op, MMUEXT_TLB_FLUSH_ALL, "tlb_flush_all" },
    { __HYPERVISOR_mmuext_op, MMUEXT_INVLPG_ALL, "invlpg_all" },
    { __HYPERVISOR_mmuext_op, MMUEXT_FLUSH_CACHE, "flush_cache" },
    { __HYPERVISOR_mmuext_op, MMUEXT_SET_LDT, "set_ldt" },
    { __HYPERVISOR_mmuext_op, MMUEXT_NEW_USER_BASEPTR, "new_user_baseptr" },
    { __HYPERVISOR_memory_op, XENMEM_increase_reservation, "increase_reservation" },
    { __HYPERVISOR_memory_op, XENMEM_decrease_reservation, "decrease_reservation" },
    { __HYPERVISOR_memory_op, XENMEM_maximum_ram_page, "maximum_ram_page" },
    { __HYPERVISOR_memory_op, XENMEM_current_reservation, "current_reservation" },
    { __HYPERVISOR_memory_op, XENMEM_maximum_reservation, "maximum_reservation" },
    { __HYPERVISOR_memory_op, XENMEM_machphys_mfn_list, "machphys_mfn_list" },
    { __HYPERVISOR_memory_op, XENMEM_populate_physmap, "populate_physmap" },
    { __HYPERVISOR_memory_op, XENMEM_add_to_physmap, "add_to_physmap" },
    { __HYPERVISOR_memory_op, XENMEM_memory_map, "memory_map" },
    { __HYPERVISOR_memory_op, XENMEM_exchange, "exchange" },
    { __HYPERVISOR_memory_op, XENMEM_machphys_mapping, "machphys_mapping" },
    { __HYPERVISOR_memory_op, XENMEM_maximum_gpfn, "maximum_gpfn" },
    { __HYPERVISOR_xen_version, XENVER_version, "version" },
    { __HYPERVISOR_xen_version, XENVER_extraversion, "extraversion" },
    { __HYPERVISOR_xen_version, XENVER_compile_info, "compile_info" },
    { __HYPERVISOR_xen_version, XENVER_capabilities, "capabilities" },
    { __HYPERVISOR_xen_version, XENVER_changeset, "changeset" },
    { __HYPERVISOR_xen_version, XENVER_platform_parameters, "platform_parameters" },
    { __HYPERVISOR_xen_version, XENVER_get_features, "get_features" },
    { __HYPERVISOR_xen_version, XENVER_pagesize, "pagesize" },
    { __HYPERVISOR_xen_version, XENVER_guest_handle, "guest_handle" },
    { __HYPERVISOR_xen_version, XENVER_commandline, "commandline" },
    { __HYPERVISOR_xen_version, XENVER_build_id, "build_id" },
    { __HYPERVISOR_console_io, CONSOLEIO_write, "write" },
    { __HYPERVISOR_console_io, CONSOLEIO_read, "read" },
    { __HYPERVISOR_grant_table_op, GNTTABOP_setup_table, "setup_table" },
    { __HYPERVISOR_grant_table_op, GNTTABOP_query_size, "query_size" },
    { __HYPERVISOR_grant_table_op, GNTTABOP_set_version, "set_version" },
    { __HYPERVISOR_grant_table_op, GNTTABOP_get_version, "get_version" },
    { __HYPERVISOR_grant_table_op, GNTTABOP_get_status_frames, "get_status_frames" },
    { __HYPERVISOR_grant_table_op, GNTTABOP_map_grant_ref, "map_grant_ref" },
    { __HYPERVISOR_grant_table_op, GNTTABOP_unmap_grant_ref, "unmap_grant_ref" },
    { __HYPERVISOR_grant_table_op, GNTTABOP_unmap_and_replace, "unmap_and_replace" },
    { __HYPERVISOR_grant_table_op, GNTTABOP_copy, "copy" },
    { __HYPERVISOR_vm_assist, VMASST_CMD_enable, "enable" },
    { __HYPERVISOR_vm_assist, VMASST_CMD_disable, "disable" },
    { __HYPERVISOR_vcpu_op, VCPUOP_initialise, "initialise" },
    { __HYPERVISOR_vcpu_op, VCPUOP_up, "up" },
    { __HYPERVISOR_vcpu_op, VCPUOP_down, "down" },
    { __HYPERVISOR_vcpu_op, VCPUOP_is_up, "is_up" },
    { __HYPERVISOR_vcpu_op, VCPUOP_get_runstate_info, "get_runstate_info" },
    { __HYPERVISOR_vcpu_op, VCPUOP_register_runstate_memory_area, "register_runstate_area" },
    { __HYPERVISOR_vcpu_op, VCPUOP_set_periodic_timer, "set_periodic_timer" },
    { __HYPERVISOR_vcpu_op, VCPUOP_stop_periodic_timer, "stop_periodic_timer" },
    { __HYPERVISOR_vcpu_op, VCPUOP_set_singleshot_timer, "set_singleshot_timer" },
    { __HYPERVISOR_vcpu_op, VCPUOP_stop_singleshot_timer, "stop_singleshot_timer" },
    { __HYPERVISOR_vcpu_op, VCPUOP_register_vcpu_info, "register_vcpu_info" },
    { __HYPERVISOR_vcpu_op, VCPUOP_send_nmi, "send_nmi" },
    { __HYPERVISOR_vcpu_op, VCPUOP_get_physid, "get_physid" },
    { __HYPERVISOR_vcpu_op, VCPUOP_register_vcpu_time_memory_area, "register_time_area" },
    { __HYPERVISOR_set_segment_base, SEGBASE_FS, "fs" },
    { __HYPERVISOR_set_segment_base, SEGBASE_GS_USER, "gs_user" },
    { __HYPERVISOR_set_segment_base, SEGBASE_GS_KERNEL, "gs_kernel" },
    { __HYPERVISOR_set_segment_base, SEGBASE_GS_USER_SEL, "gs_user_sel" },
    { __HYPERVISOR_sched_op, SCHEDOP_yield, "yield" },
    { __HYPERVISOR_sched_op, SCHEDOP_block, "block" },
    { __HYPERVISOR_sched_op, SCHEDOP_shutdown, "shutdown" },
    { __HYPERVISOR_sched_op, SCHEDOP_poll, "poll" },
    { __HYPERVISOR_sched_op, SCHEDOP_shutdown_code, "shutdown_code" },
    { __HYPERVISOR_sched_op, SCHEDOP_watchdog, "watchdog" },
    { __HYPERVISOR_sched_op_compat, SCHEDOP_yield, "yield" },
    { __HYPERVISOR_sched_op_compat, SCHEDOP_block, "block" },
    { __HYPERVISOR_sched_op_compat, SCHEDOP_shutdown, "shutdown" },
    { __HYPERVISOR_callback_op, CALLBACKOP_register, "register" },
    { __HYPERVISOR_callback_op, CALLBACKOP_unregister, "unregister" },
    { __HYPERVISOR_event_channel_op, EVTCHNOP_bind_interdomain, "bind_interdomain" },
    { __HYPERVISOR_event_channel_op, EVTCHNOP_bind_virq, "bind_virq" },
    { __HYPERVISOR_event_channel_op, EVTCHNOP_bind_pirq, "bind_pirq" },
    { __HYPERVISOR_event_channel_op, EVTCHNOP_close, "close" },
    { __HYPERVISOR_event_channel_op, EVTCHNOP_send, "send" },
    { __HYPERVISOR_event_channel_op, EVTCHNOP_status, "status" },
    { __HYPERVISOR_event_channel_op, EVTCHNOP_alloc_unbound, "alloc_unbound" },
    { __HYPERVISOR_event_channel_op, EVTCHNOP_bind_ipi, "bind_ipi" },
    { __HYPERVISOR_event_channel_op, EVTCHNOP_bind_vcpu, "bind_vcpu" },
    { __HYPERVISOR_event_channel_op, EVTCHNOP_unmask, "unmask" },
    { __HYPERVISOR_event_channel_op, EVTCHNOP_reset, "reset" },
    { __HYPERVISOR_event_channel_op, EVTCHNOP_init_control, "init_control (FIFO)" },
    { __HYPERVISOR_event_channel_op, EVTCHNOP_expand_array, "expand_array (FIFO)" },
    { __HYPERVISOR_event_channel_op, EVTCHNOP_set_priority, "set_priority (FIFO)" },
    { __HYPERVISOR_physdev_op, PHYSDEVOP_set_iopl, "set_iopl" },
    { __HYPERVISOR_physdev_op, PHYSDEVOP_set_iobitmap, "set_iobitmap" },
    { __HYPERVISOR_physdev_op, PHYSDEVOP_irq_status_query, "irq_status_query" },
    { __HYPERVISOR_physdev_op, PHYSDEVOP_pirq_eoi_gmfn_v2, "pirq_eoi_gmfn_v2" },
};

static const char *sub_name(unsigned op, unsigned sub)
{
    for (size_t i = 0; i < ARRAY_SIZE(sub_names); i++)
        if (sub_names[i].op == op && sub_names[i].sub == sub)
            return sub_names[i].name;
    return "";
}

static void count_refusal(unsigned op, unsigned row, long rc)
{
    static unsigned last;       /* refusals come in runs of one kind */
    int16_t e = (int16_t)MAX(rc, -32768L);
    struct refusal *f = &refusals[last];
    if (last < nr_refusals && f->op == op && f->row == row && f->rc == e) {
        f->n++;
        return;
    }
    for (unsigned i = 0; i < nr_refusals; i++) {
        f = &refusals[i];
        if (f->op == op && f->row == row && f->rc == e) {
            f->n++;
            last = i;
            return;
        }
    }
    if (nr_refusals == REFUSALS)
        return;
    last = nr_refusals++;
    refusals[last] = (struct refusal){ .op = (uint8_t)op, .row = (uint8_t)row, .rc = e, .n = 1 };
}

const char *abi_trace_op_name(unsigned op)
{
    return op < OPS && op_names[op] ? op_names[op] : "unknown";
}

/* The refusal part of abi_trace_call: kept out of line, off the path of
 * every successful hypercall. */
static NOINLINE void call_refused(struct counter *c, unsigned op, unsigned row, unsigned sub,
                                  long rc)
{
    spin_lock(&abi_trace_lock);
    bool first = rc == -XEN_ENOSYS && !(warned_enosys[op] & (1ull << row));
    if (rc == -XEN_ENOSYS)
        warned_enosys[op] |= 1ull << row;
    if (c) {
        c->refused++;
        c->unimplemented += rc == -XEN_ENOSYS;
        count_refusal(op, row, rc);
    }
    spin_unlock(&abi_trace_lock);
    if (first) {
        const char *name = abi_trace_op_name(op);
        if (sub == ABI_SUB_NONE)
            log_warn("guest used hypercall %u (%s), which pvshim does not implement",
                     op, name);
        else
            log_warn("guest used hypercall %u (%s) sub-op %u, which pvshim does "
                     "not implement", op, name, sub);
    }
}

void abi_trace_count(unsigned op, unsigned sub, long rc)
{
    unsigned row = sub == ABI_SUB_NONE ? SUB_NONE_ROW : MIN(sub, SUBS - 2);
    op = MIN(op, OPS - 1);
    struct counter *c = table ? &table[op][row] : NULL;
    if (c)
        __atomic_fetch_add(&c->calls, 1, __ATOMIC_RELAXED);
    if (unlikely(rc < 0))
        call_refused(c, op, row, sub, rc);
}

void abi_trace_enable(void *counters)
{
    table = counters;
    abi_trace_enabled = true;
}

/* Callers pass literals: the pointer finds the slot; text only joins the
 * same name passed from two places. -1 when the table is full. */
static int event_slot(const char *what)
{
    for (unsigned i = 0; i < EVENTS && events[i].what; i++)
        if (events[i].what == what)
            return (int)i;
    for (unsigned i = 0; i < EVENTS; i++)
        if (!events[i].what || !strcmp(events[i].what, what))
            return (int)i;
    return -1;
}

/*
 * Events come in runs of one kind: the slot of the last one is tried first,
 * without the lock. A slot's text never changes once set (its pointer may
 * become another copy of the same text, under the lock), so a slot whose
 * pointer matches counts the right event; the counts are atomic.
 */
void abi_trace_event(const char *what)
{
    static unsigned last;
    if (!abi_trace_enabled)
        return;
    unsigned i = __atomic_load_n(&last, __ATOMIC_RELAXED);
    if (__atomic_load_n(&events[i].what, __ATOMIC_ACQUIRE) != what) {
        spin_lock(&abi_trace_lock);
        int slot = event_slot(what);
        if (slot >= 0) {
            i = (unsigned)slot;
            __atomic_store_n(&events[i].what, what, __ATOMIC_RELEASE);
            __atomic_store_n(&last, i, __ATOMIC_RELAXED);
        }
        spin_unlock(&abi_trace_lock);
        if (slot < 0)
            return;
    }
    __atomic_fetch_add(&events[i].n, 1, __ATOMIC_RELAXED);
}

/* Xen's name for an error code ("ENOENT"), or "" for one it does not have. */
static const char *xen_errno_name(long rc)
{
    /* From Xen's own list; aliases (EWOULDBLOCK) come after their first name. */
    static const struct { int value; const char *name; } names[] = {
#define XEN_ERRNO(name, value) { value, #name },
#include <xen/errno.h>
    };
    for (size_t i = 0; i < ARRAY_SIZE(names); i++)
        if (names[i].value == -rc)
            return names[i].name;
    return "";
}

static const char *op_name(unsigned op)
{
    return op_names[op] ? op_names[op] : "unknown";
}

/* A row's refusals by error code: in text one line each, in JSON an object. */
static void report_refusals(unsigned op, unsigned row, const struct counter *c,
                            struct json_rec *r)
{
    uint32_t listed = 0;
    char num[16];
    if (r)
        json_obj_begin(r, "errors");
    for (unsigned i = 0; i < nr_refusals; i++) {
        const struct refusal *f = &refusals[i];
        if (f->op != op || f->row != row)
            continue;
        const char *name = xen_errno_name(f->rc);
        if (!*name) {
            snprintf(num, sizeof(num), "%d", f->rc);
            name = num;
        }
        listed += f->n;
        if (r)
            json_uint(r, name, f->n);
        else
            log_info("      refused with %s%s: %u", f->rc < 0 && name != num ? "-" : "",
                     name, f->n);
    }
    if (listed < c->refused) {
        if (r)
            json_uint(r, "other", c->refused - listed);
        else
            log_info("      refused, error not recorded: %u", c->refused - listed);
    }
    if (r)
        json_obj_end(r);
}

/* The guest's width, as Xen's capabilities string names it. */
static const char *guest_abi(void)
{
    return dom.compat ? "xen-3.0-x86_32p (32-bit PAE, compat)" : "xen-3.0-x86_64";
}

static void report_json(void)
{
    struct json_rec r;
    unsigned long long calls = 0, refused = 0;
    for (unsigned op = 0; op < OPS; op++) {
        for (unsigned row = 0; row < SUBS; row++) {
            const struct counter *c = &table[op][row];
            if (!c->calls)
                continue;
            calls += c->calls;
            refused += c->refused;
            json_begin(&r, "abi");
            json_uint(&r, "op", op);
            json_str(&r, "hypercall", op_name(op));
            if (row != SUB_NONE_ROW) {
                json_uint(&r, "sub", row);
                json_str(&r, "subop", sub_name(op, row));
                if (row == SUBS - 2)
                    json_bool(&r, "sub_or_above", true);
            }
            json_uint(&r, "calls", c->calls);
            json_uint(&r, "refused", c->refused);
            json_uint(&r, "enosys", c->unimplemented);
            if (c->refused)
                report_refusals(op, row, c, &r);
            log_record(LOG_INFO, &r);
        }
    }
    unsigned long long events_n = 0;
    for (unsigned i = 0; i < EVENTS && events[i].what; i++) {
        events_n += events[i].n;
        json_begin(&r, "abi-event");
        json_str(&r, "what", events[i].what);
        json_uint(&r, "count", events[i].n);
        log_record(LOG_INFO, &r);
    }
    json_begin(&r, "abi-end");
    json_str(&r, "guest", guest_abi());
    json_uint(&r, "calls", calls);
    json_uint(&r, "refused", refused);
    json_uint(&r, "events", events_n);
    log_record(LOG_INFO, &r);
}

/*
 * HYPERVISOR_iret done by the SYSCALL fast path (shim/arch/x86/entry_fast.asm)
 * is counted in each vCPU, lock-free, instead of here: added to the table's
 * iret row when the table is read (what was added already is not again).
 */
static void count_fast_irets(void)
{
    static uint64_t counted;
    uint64_t n = 0;
    for (unsigned i = 0; i < dom.nr_vcpus; i++)
        n += dom.vcpu[i].fast_irets;
    table[__HYPERVISOR_iret][SUB_NONE_ROW].calls += (uint32_t)(n - counted);
    counted = n;
}

void abi_trace_report(void)
{
    if (!abi_trace_enabled)
        return;
    count_fast_irets();
    if (log_json) {
        report_json();
        return;
    }
    log_info("trace=abi: hypercalls used by the guest");
    log_info("  guest ABI: %s", guest_abi());
    log_info("  %-3s %-26s %-4s %-24s %10s %8s %6s", "op", "hypercall", "sub", "sub-operation",
             "calls", "refused", "enosys");
    for (unsigned op = 0; op < OPS; op++) {
        for (unsigned sub = 0; sub < SUBS; sub++) {
            const struct counter *c = &table[op][sub];
            if (!c->calls)
                continue;
            char subs[8];
            if (sub == SUB_NONE_ROW)
                strlcpy_s(subs, "-", sizeof(subs));
            else if (sub == SUBS - 2)
                strlcpy_s(subs, ">=62", sizeof(subs));
            else
                snprintf(subs, sizeof(subs), "%u", sub);
            log_info("  %-3u %-26s %-4s %-24s %10u %8u %6u", op, op_name(op), subs,
                     sub == SUB_NONE_ROW ? "" : sub_name(op, sub),
                     c->calls, c->refused, c->unimplemented);
            if (c->refused)
                report_refusals(op, sub, c, NULL);
        }
    }
    for (unsigned i = 0; i < EVENTS && events[i].what; i++)
        log_info("  emulated/trapped: %-40s %10u", events[i].what, events[i].n);
    log_info("trace=abi: end");
}
