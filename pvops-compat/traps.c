/*
 * The guest's trap table and the small per-vCPU CPU state it sets by
 * hypercall: the kernel stack for entries from user mode, segment bases,
 * and the FPU's task-switched flag.
 */
#include "pv.h"
#include <pvshim/guest_access.h>
#include <pvshim/hw.h>
#include <pvshim/string.h>

static bool canonical(uint64_t va)
{
    return (uint64_t)((int64_t)(va << 16) >> 16) == va;
}

/*
 * set_trap_table: entries until one with address 0; a null list clears the
 * table. Entries before a bad one stay installed, as on Xen.
 */
long do_set_trap_table(vaddr_t traps)
{
    struct trap_info *dst = current->trap_ctxt;
    if (traps == 0) {
        memset(dst, 0, sizeof(current->trap_ctxt));
        return 0;
    }
    for (unsigned i = 0; i < 256; i++) {
        struct trap_info cur;
        if (copy_from_guest(&cur, traps + i * sizeof(cur), sizeof(cur)))
            return -XEN_EFAULT;
        if (cur.address == 0)
            return 0;
        if (!canonical(cur.address))
            return -XEN_EINVAL;
        cur.cs = PV_KERNEL_CS;
        dst[cur.vector] = cur;
    }
    return 0;
}

long do_stack_switch(uint64_t ss, uint64_t sp)
{
    /* The selector gets guest privilege; the stack is checked when used. */
    current->kernel_ss = ss | 3;
    current->kernel_sp = sp;
    return 0;
}

long do_fpu_taskswitch(int set)
{
    current->fpu_ts = set != 0;
    hw_set_ts(set != 0);
    return 0;
}

long do_set_segment_base(unsigned int which, uint64_t base)
{
    switch (which) {
    case SEGBASE_FS:
        if (!canonical(base))
            return -XEN_EINVAL;
        hw_set_fs_base(base);
        return 0;
    case SEGBASE_GS_USER:
        if (!canonical(base))
            return -XEN_EINVAL;
        hw_set_inactive_gs_base(base);
        return 0;
    case SEGBASE_GS_KERNEL:
        if (!canonical(base))
            return -XEN_EINVAL;
        hw_set_gs_base(base);
        return 0;
    case SEGBASE_GS_USER_SEL: {
        uint16_t sel = (uint16_t)base;
        if (sel > 3)
            sel |= 3;       /* non-null selectors get guest privilege */
        /* A bad selector leaves a null GS, as Xen's fixup does. */
        hw_load_user_gs_selector(sel);
        return 0;
    }
    default:
        return -XEN_EINVAL;
    }
}
