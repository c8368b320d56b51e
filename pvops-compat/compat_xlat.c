/*
 * The hypercalls whose arguments a 32-bit guest lays out differently
 * (compat_abi.h), each translated once here. Two ways, as in Xen:
 *  - through the 64-bit handler: the 32-bit structure is read, rebuilt in
 *    the native layout in the vCPU's translation area (which the handler
 *    reads like any guest memory), the handler runs, and what it wrote
 *    back is narrowed into the guest's structure;
 *  - directly, where the 32-bit form is simpler than the round trip
 *    (trap table, callbacks: entries kept as COMPAT_ENTRY(cs, eip)).
 * Error codes are the 64-bit handlers' (Xen's compat wrappers add none of
 * their own except where noted).
 */
#include "compat.h"
#include "hypercalls.h"
#include "pv.h"
#include "time.h"
#include <pvshim/guest_access.h>
#include <pvshim/string.h>
#include <pvshim/layout.h>
#include "memory_exchange.h"

static vaddr_t xlat_base;

void compat_xlat_init(vaddr_t area)
{
    xlat_base = area;
}

vaddr_t compat_xlat_area(void)
{
    return xlat_base + (vaddr_t)current->vcpu_id * COMPAT_XLAT_PAGES * PAGE_SIZE;
}

/* Native argument at offset off of the area (the caller keeps it inside). */
static vaddr_t xlat(unsigned off)
{
    return compat_xlat_area() + off;
}

static int xlat_put(unsigned off, const void *p, size_t n)
{
    return copy_to_guest(xlat(off), p, n) ? -XEN_EFAULT : 0;
}

static int xlat_get(unsigned off, void *p, size_t n)
{
    return copy_from_guest(p, xlat(off), n) ? -XEN_EFAULT : 0;
}

/* ------------------------------------------------ traps and callbacks */

/*
 * set_trap_table: 8-byte entries until one with address 0; a null list
 * clears the table. Selectors get RPL 1 at least; entries before a bad one
 * stay installed (Xen's compat_set_trap_table).
 */
long compat_set_trap_table(uint32_t traps)
{
    struct trap_info *dst = current->trap_ctxt;
    if (traps == 0) {
        memset(dst, 0, sizeof(current->trap_ctxt));
        return 0;
    }
    for (unsigned i = 0; i < 256; i++) {
        struct trap_info_x86_32 cur;
        if (copy_from_guest(&cur, (vaddr_t)traps + i * sizeof(cur), sizeof(cur)))
            return -XEN_EFAULT;
        if (cur.address == 0)
            return 0;
        uint16_t cs = compat_fixup_selector(cur.cs);
        dst[cur.vector] = (struct trap_info){
            .vector = cur.vector, .flags = cur.flags, .cs = cs,
            .address = COMPAT_ENTRY(cs, cur.address),
        };
    }
    return 0;
}

long compat_set_callbacks(uint32_t ev_cs, uint32_t ev_eip, uint32_t fs_cs, uint32_t fs_eip)
{
    current->event_callback = COMPAT_ENTRY(compat_fixup_selector(ev_cs), ev_eip);
    current->failsafe_callback = COMPAT_ENTRY(compat_fixup_selector(fs_cs), fs_eip);
    return 0;
}

/*
 * CALLBACKOP_register: event, failsafe, syscall32, sysenter and nmi (whose
 * selector is always FLAT_RING1_CS). The 64-bit-only syscall callback and
 * the deprecated sysenter type 3 are -ENOSYS, as on Xen (which is why
 * RHEL5's kernel, asking for type 3, falls back to int $0x80).
 */
static long register_callback(const struct compat_callback_register *reg)
{
    struct pv_vcpu *v = current;
    bool mask = reg->flags & CALLBACKF_mask_events;
    uint64_t entry = COMPAT_ENTRY(compat_fixup_selector(reg->cs), reg->eip);

    switch (reg->type) {
    case CALLBACKTYPE_event:
        v->event_callback = entry;
        return 0;
    case CALLBACKTYPE_failsafe:
        v->failsafe_callback = entry;
        v->failsafe_disables_events = mask;
        return 0;
    case CALLBACKTYPE_syscall32:
        v->syscall32_callback = entry;
        v->syscall32_disables_events = mask;
        return 0;
    case CALLBACKTYPE_sysenter:
        v->sysenter_callback = entry;
        v->sysenter_disables_events = mask;
        return 0;
    case CALLBACKTYPE_nmi:
        v->nmi_callback = COMPAT_ENTRY(FLAT_RING1_CS_X86_32, reg->eip);
        return 0;
    default:
        return -XEN_ENOSYS;
    }
}

long compat_callback_op(int cmd, uint32_t arg)
{
    if (cmd != CALLBACKOP_register)
        return do_callback_op(cmd, arg);    /* unregister: same 4-byte layout */
    struct compat_callback_register reg;
    if (copy_from_guest(&reg, arg, sizeof(reg)))
        return -XEN_EFAULT;
    return register_callback(&reg);
}

long compat_nmi_op(unsigned cmd, uint32_t arg)
{
    if (cmd != XENNMI_register_callback)
        return do_nmi_op(cmd, arg);
    struct compat_xennmi_callback cb;
    if (copy_from_guest(&cb, arg, sizeof(cb)))
        return -XEN_EFAULT;
    current->nmi_callback = COMPAT_ENTRY(FLAT_RING1_CS_X86_32, cb.handler_address);
    return 0;
}

long compat_stack_switch(uint32_t ss, uint32_t esp)
{
    current->kernel_ss = compat_fixup_selector(ss);
    current->kernel_sp = esp;
    return 0;
}

/* ------------------------------------------------ the MMU */

/* A 32-bit vCPU bitmap (words of 32 bits) as the 64-bit one, at offset off. */
static int xlat_vcpumask(uint32_t ptr, unsigned off)
{
    uint32_t m32;
    if (copy_from_guest(&m32, ptr, sizeof(m32)))
        return -XEN_EFAULT;
    uint64_t m64 = m32;
    return xlat_put(off, &m64, sizeof(m64));
}

#define XLAT_OP     0
#define XLAT_MASK   64

static bool op_has_vcpumask(unsigned cmd)
{
    return cmd == MMUEXT_TLB_FLUSH_MULTI || cmd == MMUEXT_INVLPG_MULTI;
}

/*
 * mmuext_op: 12-byte ops, each run as a one-op native batch; a failing op
 * stops the batch and *pdone (32 bits) says how many were done.
 */
long compat_mmuext_op(uint32_t uops, unsigned count, uint32_t pdone, unsigned foreigndom)
{
    unsigned done = 0;
    long rc = 0;
    if (count == MMU_UPDATE_PREEMPTED && !uops)
        return do_mmuext_op(0, count, pdone, foreigndom);   /* Xen's oddity, as native */
    if (count & MMU_UPDATE_PREEMPTED) {
        count &= ~MMU_UPDATE_PREEMPTED;
        if (pdone)
            (void)copy_from_guest(&done, pdone, sizeof(done));
    }
    for (unsigned i = 0; i < count; i++) {
        struct compat_mmuext_op c;
        if (copy_from_guest(&c, (vaddr_t)uops + (vaddr_t)i * sizeof(c), sizeof(c))) {
            rc = -XEN_EFAULT;
            break;
        }
        struct mmuext_op n = { .cmd = c.cmd };
        n.arg1.mfn = c.arg1;
        n.arg2.src_mfn = c.arg2;
        if (op_has_vcpumask(c.cmd)) {
            if ((rc = xlat_vcpumask(c.arg2, XLAT_MASK)))
                break;
            n.arg2.vcpumask.p = (void *)(uintptr_t)xlat(XLAT_MASK);
        }
        if ((rc = xlat_put(XLAT_OP, &n, sizeof(n))))
            break;
        rc = do_mmuext_op(xlat(XLAT_OP), 1, 0, foreigndom);
        if (rc)
            break;
        done++;
    }
    if (pdone)
        (void)copy_to_guest(pdone, &done, sizeof(done));
    return rc;
}

/* UVMF flags: the flush type, and UVMF_LOCAL/UVMF_ALL or a 32-bit bitmap pointer. */
static long xlat_uvmf(uint32_t flags, uint64_t *out)
{
    uint32_t target = flags & ~UVMF_FLUSHTYPE_MASK;
    *out = flags;
    if (target == UVMF_LOCAL || target == UVMF_ALL)
        return 0;
    long rc = xlat_vcpumask(target, XLAT_MASK);
    *out = (flags & UVMF_FLUSHTYPE_MASK) | xlat(XLAT_MASK);
    return rc;
}

long compat_update_va_mapping(uint32_t va, uint32_t lo, uint32_t hi, uint32_t flags)
{
    uint64_t f;
    uint64_t val = lo | ((uint64_t)hi << 32);
    long rc = xlat_uvmf(flags, &f);
    return rc ? rc : do_update_va_mapping(va, val, f);
}

long compat_update_va_mapping_otherdomain(uint32_t va, uint32_t lo, uint32_t hi,
                                          uint32_t flags, unsigned domid)
{
    uint64_t f;
    uint64_t val = lo | ((uint64_t)hi << 32);
    long rc = xlat_uvmf(flags, &f);
    return rc ? rc : do_update_va_mapping_otherdomain(va, val, f, domid);
}

/* set_gdt: a list of 32-bit frame numbers. */
long compat_set_gdt(uint32_t frame_list, unsigned entries)
{
    uint32_t f32[PV_GDT_GUEST_FRAMES];
    uint64_t f64[PV_GDT_GUEST_FRAMES];
    if (entries > PV_GDT_GUEST_ENTRIES)
        return -XEN_EINVAL;
    unsigned nr = DIV_ROUND_UP(entries, 512);
    if (nr && copy_from_guest(f32, frame_list, nr * sizeof(f32[0])))
        return -XEN_EFAULT;
    for (unsigned i = 0; i < nr; i++)
        f64[i] = f32[i];
    long rc = nr ? xlat_put(0, f64, nr * sizeof(f64[0])) : 0;
    return rc ? rc : do_set_gdt(xlat(0), entries);
}

/* ------------------------------------------------ scheduling and vCPUs */

long compat_sched_op(int cmd, uint32_t arg)
{
    if (cmd != SCHEDOP_poll)
        return do_sched_op(cmd, arg);       /* the other arguments match */
    struct compat_sched_poll c;
    if (copy_from_guest(&c, arg, sizeof(c)))
        return -XEN_EFAULT;
    struct sched_poll n = { .nr_ports = c.nr_ports, .timeout = c.timeout };
    n.ports.p = (evtchn_port_t *)(uintptr_t)c.ports;
    long rc = xlat_put(0, &n, sizeof(n));
    return rc ? rc : do_sched_op(cmd, xlat(0));
}

/* register_vcpu_info: the native handler marks every selector word
 * pending at the 64-bit offset; the 32-bit word is at offset 4. */
static long register_vcpu_info(unsigned vcpuid, uint32_t arg)
{
    struct pv_vcpu *v = &dom.vcpu[vcpuid];
    struct vcpu_info_x86_32 *old = (struct vcpu_info_x86_32 *)v->vcpu_info;
    struct arch_vcpu_info_x86_32 arch = old->arch;
    long rc = do_vcpu_op(VCPUOP_register_vcpu_info, vcpuid, arg);
    if (rc)
        return rc;
    struct vcpu_info_x86_32 *nvi = (struct vcpu_info_x86_32 *)v->vcpu_info;
    nvi->arch = arch;
    nvi->evtchn_pending_sel = ~0u;
    return 0;
}

long compat_vcpu_op(int cmd, unsigned vcpuid, uint32_t arg)
{
    long rc;
    if (vcpuid >= dom.nr_vcpus)
        return -XEN_ENOENT;
    switch (cmd) {
    case VCPUOP_get_runstate_info: {
        struct vcpu_runstate_info n;
        if ((rc = do_vcpu_op(cmd, vcpuid, xlat(0))) || (rc = xlat_get(0, &n, sizeof(n))))
            return rc;
        struct compat_vcpu_runstate_info c = { .state = n.state,
                                               .state_entry_time = n.state_entry_time };
        memcpy(c.time, n.time, sizeof(c.time));
        return copy_to_guest(arg, &c, sizeof(c)) ? -XEN_EFAULT : 0;
    }
    case VCPUOP_register_runstate_memory_area:
    case VCPUOP_register_vcpu_time_memory_area: {
        struct compat_vcpu_register_runstate_memory_area c;
        if (copy_from_guest(&c, arg, sizeof(c)))
            return -XEN_EFAULT;
        uint64_t addr = c.addr;
        if ((rc = xlat_put(0, &addr, sizeof(addr))))
            return rc;
        return do_vcpu_op(cmd, vcpuid, xlat(0));
    }
    case VCPUOP_set_singleshot_timer: {
        struct compat_vcpu_set_singleshot_timer c;
        if (copy_from_guest(&c, arg, sizeof(c)))
            return -XEN_EFAULT;
        struct vcpu_set_singleshot_timer n = { .timeout_abs_ns = c.timeout_abs_ns,
                                               .flags = c.flags };
        if ((rc = xlat_put(0, &n, sizeof(n))))
            return rc;
        return do_vcpu_op(cmd, vcpuid, xlat(0));
    }
    case VCPUOP_register_vcpu_info:
        return register_vcpu_info(vcpuid, arg);
    case VCPUOP_initialise:
        return compat_vcpu_initialise(&dom.vcpu[vcpuid], arg);
    default:
        /* is_up, up, down, periodic timer, nmi: the same arguments */
        return do_vcpu_op(cmd, vcpuid, arg);
    }
}

/* ------------------------------------------------ memory */

#define EXTENTS_PER_CHUNK (PAGE_SIZE / sizeof(xen_pfn_t))

/*
 * increase/decrease_reservation and populate_physmap: the 32-bit extent
 * list is widened a page at a time into the area's second page, the native
 * handler runs on it, and what it wrote (frame numbers) is narrowed back.
 * Returns the extents done, as the native call does.
 */
static long reservation(unsigned op, unsigned long start, uint32_t arg)
{
    struct compat_memory_reservation c;
    if (copy_from_guest(&c, arg, sizeof(c)))
        return -XEN_EFAULT;
    unsigned long done = start;
    while (done < c.nr_extents) {
        unsigned n = (unsigned)MIN(EXTENTS_PER_CHUNK, c.nr_extents - done);
        xen_pfn_t wide[EXTENTS_PER_CHUNK];
        uint32_t narrow[EXTENTS_PER_CHUNK];
        vaddr_t list = (vaddr_t)c.extent_start + done * sizeof(uint32_t);
        if (c.extent_start && copy_from_guest(narrow, list, n * sizeof(narrow[0])))
            return done ? (long)done : -XEN_EFAULT;
        for (unsigned i = 0; i < n; i++)
            wide[i] = c.extent_start ? narrow[i] : 0;
        struct xen_memory_reservation r = {
            .nr_extents = n, .extent_order = c.extent_order,
            .mem_flags = c.mem_flags, .domid = c.domid,
        };
        r.extent_start.p = c.extent_start ? (xen_pfn_t *)(uintptr_t)xlat(PAGE_SIZE) : NULL;
        long rc = xlat_put(0, &r, sizeof(r));
        if (!rc && c.extent_start)
            rc = xlat_put(PAGE_SIZE, wide, n * sizeof(wide[0]));
        if (!rc)
            rc = do_memory_op(op, xlat(0));
        if (rc < 0)
            return done ? (long)done : rc;
        if (rc > 0 && c.extent_start && op != XENMEM_decrease_reservation) {
            if (xlat_get(PAGE_SIZE, wide, (size_t)rc * sizeof(wide[0])))
                return -XEN_EFAULT;
            for (long i = 0; i < rc; i++)
                narrow[i] = (uint32_t)wide[i];
            if (copy_to_guest(list, narrow, (size_t)rc * sizeof(narrow[0])))
                return -XEN_EFAULT;
        }
        done += (unsigned long)rc;
        if ((unsigned)rc < n)
            break;
    }
    return (long)done;
}

/*
 * XENMEM_exchange from a 32-bit guest (44-byte header, 4-byte extents),
 * with Xen's compat checks first (answered without writing anything
 * back): nr_exchanged past the list or not on an output extent, sizes
 * that overflow 32 bits or differ: -EINVAL; lists the guest cannot
 * address: -EFAULT. Then the exchange itself (memory_exchange.c).
 */
static long compat_memory_exchange(uint32_t arg)
{
    struct compat_memory_exchange c;
    if (copy_from_guest(&c, arg, sizeof(c)))
        return -XEN_EFAULT;
    int delta = (int)c.out.extent_order - (int)c.in.extent_order;
    if (c.nr_exchanged > c.in.nr_extents ||
        (delta > 0 && delta < 32 && (c.nr_exchanged & ((1u << delta) - 1))) ||
        c.in.extent_order >= 32 || c.out.extent_order >= 32 ||
        (~0u >> c.in.extent_order) < c.in.nr_extents ||
        (~0u >> c.out.extent_order) < c.out.nr_extents ||
        (c.in.nr_extents << c.in.extent_order) != (c.out.nr_extents << c.out.extent_order))
        return -XEN_EINVAL;
    if (!guest_range_ok(c.in.extent_start, (size_t)c.in.nr_extents * 4) ||
        !guest_range_ok(c.out.extent_start, (size_t)c.out.nr_extents * 4))
        return -XEN_EFAULT;
    struct exchange_args x = {
        .in = { c.in.extent_start, c.in.nr_extents, 4 },
        .out = { c.out.extent_start, c.out.nr_extents, 4 },
        .in_order = c.in.extent_order, .out_order = c.out.extent_order,
        .out_mem_flags = c.out.mem_flags,
        .in_domid = c.in.domid, .out_domid = c.out.domid,
        .nr_exchanged = c.nr_exchanged,
    };
    long rc = memory_exchange_run(&x);
    if (x.complete)
        return rc;
    c.nr_exchanged = (uint32_t)x.nr_exchanged;
    if (copy_to_guest(arg + offsetof(struct compat_memory_exchange, nr_exchanged),
                      &c.nr_exchanged, sizeof(c.nr_exchanged)))
        rc = -XEN_EFAULT;
    return rc;
}

/*
 * machphys_mfn_list: the frames of the compat M2P (the 4-byte one the
 * guest reads at COMPAT_M2P_VIRT_START), one per 2 MiB chunk, as 4-byte
 * frame numbers; as many as the guest has room for (Xen's
 * XENMEM_machphys_compat_mfn_list, which 64-bit Xen gives a 32-bit guest
 * for both numbers).
 */
#define M2P_CHUNK_BYTES (2ull << 20)

static long machphys_mfn_list(uint32_t arg)
{
    struct compat_machphys_mfn_list c;
    if (copy_from_guest(&c, arg, sizeof(c)))
        return -XEN_EFAULT;
    unsigned chunks = (unsigned)DIV_ROUND_UP(dom.compat_m2p_bytes, M2P_CHUNK_BYTES);
    unsigned n = MIN(c.max_extents, chunks);
    for (unsigned i = 0; i < n; i++) {
        uint32_t mfn = (uint32_t)(dom.compat_m2p_first_mfn +
                                  (mfn_t)i * (M2P_CHUNK_BYTES >> PAGE_SHIFT));
        if (copy_to_guest((vaddr_t)c.extent_start + i * sizeof(mfn), &mfn, sizeof(mfn)))
            return -XEN_EFAULT;
    }
    c.nr_extents = n;
    return copy_to_guest(arg, &c, sizeof(c)) ? -XEN_EFAULT : 0;
}

long compat_memory_op(unsigned cmd, uint32_t arg)
{
    unsigned op = cmd & MEMOP_CMD_MASK;
    long rc;
    switch (op) {
    case XENMEM_increase_reservation:
    case XENMEM_decrease_reservation:
    case XENMEM_populate_physmap:
        return reservation(op, cmd >> MEMOP_EXTENT_SHIFT, arg);
    case XENMEM_maximum_gpfn: {
        domid_t d;
        if (copy_from_guest(&d, arg, sizeof(d)))
            return -XEN_EFAULT;
        if (d != DOMID_SELF && d != dom.domid)
            return -XEN_ESRCH;
        return (long)compat_max_pfn() - 1;
    }
    case XENMEM_machphys_mapping: {
        /* The whole compat window, as 64-bit Xen reports it to every PV32 domU. */
        struct compat_machphys_mapping m = {
            .v_start = COMPAT_M2P_VIRT_START,
            .v_end = COMPAT_M2P_VIRT_END,
            .max_mfn = COMPAT_M2P_MAX_ENTRIES - 1,
        };
        return copy_to_guest(arg, &m, sizeof(m)) ? -XEN_EFAULT : 0;
    }
    case XENMEM_memory_map: {
        struct compat_memory_map c;
        if (copy_from_guest(&c, arg, sizeof(c)))
            return -XEN_EFAULT;
        struct xen_memory_map n = { .nr_entries = c.nr_entries };
        n.buffer.p = (void *)(uintptr_t)c.buffer;       /* e820 entries: same layout */
        if ((rc = xlat_put(0, &n, sizeof(n))) || (rc = do_memory_op(op, xlat(0))) ||
            (rc = xlat_get(0, &n, sizeof(n))))
            return rc;
        c.nr_entries = n.nr_entries;
        return copy_to_guest(arg, &c, sizeof(c)) ? -XEN_EFAULT : 0;
    }
    case XENMEM_add_to_physmap: {
        struct compat_add_to_physmap c;
        if (copy_from_guest(&c, arg, sizeof(c)))
            return -XEN_EFAULT;
        struct xen_add_to_physmap n = { .domid = c.domid, .size = c.size, .space = c.space,
                                        .idx = c.idx, .gpfn = c.gpfn };
        if ((rc = xlat_put(0, &n, sizeof(n))))
            return rc;
        return do_memory_op(cmd, xlat(0));
    }
    case XENMEM_machphys_mfn_list:
        return machphys_mfn_list(arg);
    case XENMEM_maximum_ram_page:
    case XENMEM_current_reservation:
    case XENMEM_maximum_reservation:
        return do_memory_op(op, arg);       /* a domid or nothing */
    case XENMEM_exchange:
        return compat_memory_exchange(arg);
    default:
        /* The rest: -ENOSYS, as the 64-bit handler answers them. */
        return -XEN_ENOSYS;
    }
}

/* ------------------------------------------------ grant tables */

static long setup_table(uint32_t uop, unsigned count)
{
    for (unsigned i = 0; i < count; i++) {
        struct compat_gnttab_setup_table c;
        vaddr_t at = (vaddr_t)uop + (vaddr_t)i * sizeof(c);
        if (copy_from_guest(&c, at, sizeof(c)))
            return -XEN_EFAULT;
        struct gnttab_setup_table n = { .dom = c.dom, .nr_frames = c.nr_frames };
        n.frame_list.p = (xen_pfn_t *)(uintptr_t)xlat(PAGE_SIZE);
        long rc = xlat_put(0, &n, sizeof(n));
        if (!rc)
            rc = do_grant_table_op(GNTTABOP_setup_table, xlat(0), 1);
        if (!rc)
            rc = xlat_get(0, &n, sizeof(n));
        if (rc)
            return rc;
        c.status = n.status;
        if (n.status == GNTST_okay) {
            unsigned nr = (unsigned)MIN(n.nr_frames, PAGE_SIZE / sizeof(xen_pfn_t));
            for (unsigned f = 0; f < nr; f++) {
                xen_pfn_t w;
                if (xlat_get(PAGE_SIZE + f * sizeof(w), &w, sizeof(w)))
                    return -XEN_EFAULT;
                uint32_t narrow = (uint32_t)w;
                if (copy_to_guest((vaddr_t)c.frame_list + f * sizeof(narrow), &narrow,
                                  sizeof(narrow)))
                    return -XEN_EFAULT;
            }
        }
        if (copy_to_guest(at, &c, sizeof(c)))
            return -XEN_EFAULT;
    }
    return 0;
}

/*
 * copy: 24-byte entries, each widened and run as a one-entry native batch;
 * its status goes back to byte 20. A list the guest cannot reach is
 * -EFAULT before any copy, as natively.
 */
static long grant_copy(uint32_t uop, unsigned count)
{
    if ((int)count < 0)
        return -XEN_EINVAL;
    if (!guest_range_ok(uop, (size_t)count * sizeof(struct compat_gnttab_copy)))
        return -XEN_EFAULT;
    for (unsigned i = 0; i < count; i++) {
        struct compat_gnttab_copy c;
        vaddr_t at = (vaddr_t)uop + (vaddr_t)i * sizeof(c);
        if (copy_from_guest(&c, at, sizeof(c)))
            return -XEN_EFAULT;
        struct gnttab_copy n = {
            .source = { .domid = c.source.domid, .offset = c.source.offset },
            .dest = { .domid = c.dest.domid, .offset = c.dest.offset },
            .len = c.len, .flags = c.flags,
        };
        /* A grant reference or a frame number, by the flags: either fits. */
        n.source.u.gmfn = c.source.u;
        n.dest.u.gmfn = c.dest.u;
        long rc = xlat_put(0, &n, sizeof(n));
        if (!rc)
            rc = do_grant_table_op(GNTTABOP_copy, xlat(0), 1);
        if (!rc)
            rc = xlat_get(0, &n, sizeof(n));
        if (rc)
            return rc;
        if (copy_to_guest(at + offsetof(struct compat_gnttab_copy, status), &n.status,
                          sizeof(n.status)))
            return -XEN_EFAULT;
    }
    return 0;
}

/* get_status_frames: the handle at byte 8; the frames are 8 bytes for both widths. */
static long get_status_frames(uint32_t uop, unsigned count)
{
    struct compat_gnttab_get_status_frames c;
    if (count != 1)
        return -XEN_EINVAL;
    if (copy_from_guest(&c, uop, sizeof(c)))
        return -XEN_EFAULT;
    struct gnttab_get_status_frames n = { .nr_frames = c.nr_frames, .dom = c.dom };
    n.frame_list.p = (uint64_t *)(uintptr_t)c.frame_list;
    long rc = xlat_put(0, &n, sizeof(n));
    if (!rc)
        rc = do_grant_table_op(GNTTABOP_get_status_frames, xlat(0), 1);
    if (!rc)
        rc = xlat_get(0, &n, sizeof(n));
    if (rc)
        return rc;
    return copy_to_guest(uop + offsetof(struct compat_gnttab_get_status_frames, status),
                         &n.status, sizeof(n.status)) ? -XEN_EFAULT : 0;
}

long compat_grant_table_op(unsigned cmd, uint32_t uop, unsigned count)
{
    switch (cmd) {
    case GNTTABOP_setup_table:
        return setup_table(uop, count);
    case GNTTABOP_copy:
        return grant_copy(uop, count);
    case GNTTABOP_get_status_frames:
        return get_status_frames(uop, count);
    case GNTTABOP_map_grant_ref:
    case GNTTABOP_unmap_grant_ref:
    case GNTTABOP_unmap_and_replace:
    case GNTTABOP_query_size:
    case GNTTABOP_set_version:
    case GNTTABOP_get_version:
        return do_grant_table_op(cmd, uop, count);  /* the same layouts */
    default:
        return -XEN_ENOSYS;
    }
}

/* ------------------------------------------------ the rest */

long compat_xen_version(int cmd, uint32_t arg)
{
    switch (cmd) {
    case XENVER_platform_parameters: {
        struct compat_platform_parameters p = { .virt_start = COMPAT_HV_VIRT_START };
        return copy_to_guest(arg, &p, sizeof(p)) ? -XEN_EFAULT : 0;
    }
    case XENVER_get_features: {
        long rc = do_xen_version(cmd, arg);
        struct xen_feature_info fi;
        if (rc || copy_from_guest(&fi, arg, sizeof(fi)))
            return rc ? rc : -XEN_EFAULT;
        /* A PV32 guest's L3s may sit above 4 GiB only with pae_extended_cr3. */
        fi.submap &= ~(1u << XENFEAT_pae_pgdir_above_4gb);
        if (fi.submap_idx == 0 && (dom.vm_assist & (1ul << VMASST_TYPE_pae_extended_cr3)))
            fi.submap |= 1u << XENFEAT_pae_pgdir_above_4gb;
        return copy_to_guest(arg, &fi, sizeof(fi)) ? -XEN_EFAULT : 0;
    }
    default:
        return do_xen_version(cmd, arg);    /* strings, numbers: same layouts */
    }
}

/* m2p_strict is for 64-bit guests only (Xen's PV32_VM_ASSIST_MASK). */
long compat_vm_assist(unsigned cmd, unsigned type)
{
    if (type == VMASST_TYPE_m2p_strict)
        return -XEN_EINVAL;
    return do_vm_assist(cmd, type);
}

/* physdev_op: set_iobitmap carries a handle; the rest match. */
long compat_physdev_op(int cmd, uint32_t arg)
{
    if (cmd != PHYSDEVOP_set_iobitmap)
        return do_physdev_op(cmd, arg);
    uint32_t c[2];      /* bitmap handle, nr_ports */
    if (copy_from_guest(c, arg, sizeof(c)))
        return -XEN_EFAULT;
    struct physdev_set_iobitmap n = { .nr_ports = c[1] };
    n.bitmap.p = (uint8_t *)(uintptr_t)c[0];
    long rc = xlat_put(0, &n, sizeof(n));
    return rc ? rc : do_physdev_op(cmd, xlat(0));
}

/* The legacy physdev_op: its union starts at offset 4, not 8. */
long compat_physdev_op_compat(uint32_t uop)
{
    struct compat_physdev_op c;
    struct physdev_op n;
    long rc;
    if (copy_from_guest(&c, uop, sizeof(c)))
        return -XEN_EFAULT;
    memset(&n, 0, sizeof(n));
    n.cmd = c.cmd;
    if (c.cmd == PHYSDEVOP_set_iobitmap) {
        n.u.set_iobitmap.bitmap.p = (uint8_t *)(uintptr_t)c.u[0];
        n.u.set_iobitmap.nr_ports = c.u[1];
    } else {
        memcpy(&n.u, c.u, sizeof(c.u));
    }
    if ((rc = xlat_put(0, &n, sizeof(n))))
        return rc;
    rc = do_physdev_op_compat(xlat(0));
    if (xlat_get(0, &n, sizeof(n)))
        return -XEN_EFAULT;
    memcpy(c.u, &n.u, sizeof(c.u));
    if (copy_to_guest(uop, &c, sizeof(c)))
        return -XEN_EFAULT;
    return rc;
}
