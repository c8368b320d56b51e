/*
 * multicall: a batch of hypercalls in one entry. Each entry's result is
 * written back; a failing entry does not stop the batch. A multicall
 * inside a multicall is refused (-EINVAL). An iret ends the batch, as on
 * Xen: it is performed (the guest resumes at its iret frame, perhaps in
 * user mode), its result is written back if the list can still be
 * reached, later entries are left untouched, and the multicall returns
 * the iret's result, the RAX of the frame.
 */
#include "hypercall.h"
#include "hypercalls.h"
#include "domain.h"
#include <pvshim/guest_access.h>

long do_multicall(vaddr_t call_list, uint32_t nr_calls)
{
    struct pv_vcpu *v = current;
    if (v->in_multicall)
        return -XEN_EINVAL;
    v->in_multicall = true;
    long rc = 0;
    for (uint32_t i = 0; i < nr_calls; i++) {
        struct multicall_entry mc;
        vaddr_t at = call_list + (vaddr_t)i * sizeof(mc);
        if (copy_from_guest(&mc, at, sizeof(mc))) {
            rc = -XEN_EFAULT;
            break;
        }
        const uint64_t args[5] = { mc.args[0], mc.args[1], mc.args[2], mc.args[3],
                                   mc.args[4] };
        mc.result = (xen_ulong_t)hypercall_call(mc.op, args);
        vaddr_t result_at = at + offsetof(struct multicall_entry, result);
        if (mc.op == __HYPERVISOR_iret) {
            /* Best effort: the list may not be mapped in user mode. */
            (void)copy_to_guest(result_at, &mc.result, sizeof(mc.result));
            rc = (long)mc.result;
            break;
        }
        if (copy_to_guest(result_at, &mc.result, sizeof(mc.result))) {
            rc = -XEN_EFAULT;
            break;
        }
    }
    v->in_multicall = false;
    return rc;
}
