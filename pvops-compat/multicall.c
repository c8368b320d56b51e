/*
 * multicall: a batch of hypercalls in one entry. Each entry's result is
 * written back; a failing entry does not stop the batch. A multicall
 * inside a multicall is refused (-EINVAL), and iret cannot be batched.
 */
#include "hypercall.h"
#include "hypercalls.h"
#include "domain.h"
#include <pvshim/guest_access.h>

static bool in_multicall;

long do_multicall(vaddr_t call_list, uint32_t nr_calls)
{
    if (in_multicall)
        return -XEN_EINVAL;
    in_multicall = true;
    long rc = 0;
    for (uint32_t i = 0; i < nr_calls; i++) {
        struct multicall_entry mc;
        vaddr_t at = call_list + (vaddr_t)i * sizeof(mc);
        if (copy_from_guest(&mc, at, sizeof(mc))) {
            rc = -XEN_EFAULT;
            break;
        }
        if (mc.op == __HYPERVISOR_iret) {
            mc.result = (xen_ulong_t)-XEN_ENOSYS;
        } else {
            const uint64_t args[5] = { mc.args[0], mc.args[1], mc.args[2], mc.args[3],
                                       mc.args[4] };
            mc.result = (xen_ulong_t)hypercall_call(mc.op, args);
        }
        if (copy_to_guest(at + offsetof(struct multicall_entry, result), &mc.result,
                          sizeof(mc.result))) {
            rc = -XEN_EFAULT;
            break;
        }
    }
    in_multicall = false;
    return rc;
}
