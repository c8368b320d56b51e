/*
 * Guest entry points pvshim calls back: the event upcall, the failsafe
 * callback (a return to the guest that faulted), system calls from guest
 * user space, and NMIs. Registered with callback_op (or set_callbacks).
 */
#include "pv.h"
#include <pvshim/guest_access.h>

static bool canonical(uint64_t va)
{
    return (uint64_t)((int64_t)(va << 16) >> 16) == va;
}

static long register_callback(const struct callback_register *reg)
{
    struct pv_vcpu *v = current;
    bool mask = reg->flags & CALLBACKF_mask_events;

    if (!canonical(reg->address))
        return -XEN_EINVAL;
    switch (reg->type) {
    case CALLBACKTYPE_event:
        v->event_callback = reg->address;
        return 0;
    case CALLBACKTYPE_failsafe:
        v->failsafe_callback = reg->address;
        v->failsafe_disables_events = mask;
        return 0;
    case CALLBACKTYPE_syscall:
        v->syscall_callback = reg->address;
        v->syscall_disables_events = mask;
        return 0;
    case CALLBACKTYPE_syscall32:
        v->syscall32_callback = reg->address;
        v->syscall32_disables_events = mask;
        return 0;
    case CALLBACKTYPE_sysenter:
        v->sysenter_callback = reg->address;
        v->sysenter_disables_events = mask;
        return 0;
    case CALLBACKTYPE_nmi:
        v->nmi_callback = reg->address;
        return 0;
    default:
        return -XEN_ENOSYS;
    }
}

static long unregister_callback(const struct callback_unregister *unreg)
{
    switch (unreg->type) {
    case CALLBACKTYPE_event:
    case CALLBACKTYPE_failsafe:
    case CALLBACKTYPE_syscall:
    case CALLBACKTYPE_syscall32:
    case CALLBACKTYPE_sysenter:
        return -XEN_EINVAL;     /* these cannot be taken away */
    case CALLBACKTYPE_nmi:
        current->nmi_callback = 0;
        return 0;
    default:
        return -XEN_ENOSYS;
    }
}

long do_callback_op(int cmd, vaddr_t arg)
{
    switch (cmd) {
    case CALLBACKOP_register: {
        struct callback_register reg;
        if (copy_from_guest(&reg, arg, sizeof(reg)))
            return -XEN_EFAULT;
        return register_callback(&reg);
    }
    case CALLBACKOP_unregister: {
        struct callback_unregister unreg;
        if (copy_from_guest(&unreg, arg, sizeof(unreg)))
            return -XEN_EFAULT;
        return unregister_callback(&unreg);
    }
    default:
        return -XEN_ENOSYS;
    }
}

long do_set_callbacks(uint64_t event, uint64_t failsafe, uint64_t syscall)
{
    const struct callback_register regs[3] = {
        { .type = CALLBACKTYPE_event, .address = event },
        { .type = CALLBACKTYPE_failsafe, .address = failsafe },
        { .type = CALLBACKTYPE_syscall, .address = syscall },
    };
    for (unsigned i = 0; i < 3; i++) {
        long rc = register_callback(&regs[i]);
        if (rc)
            return rc;
    }
    return 0;
}

long do_nmi_op(unsigned int cmd, vaddr_t arg)
{
    switch (cmd) {
    case XENNMI_register_callback: {
        struct xennmi_callback cb;
        if (copy_from_guest(&cb, arg, sizeof(cb)))
            return -XEN_EFAULT;
        if (!canonical(cb.handler_address))
            return -XEN_EINVAL;
        current->nmi_callback = cb.handler_address;
        return 0;
    }
    case XENNMI_unregister_callback:
        current->nmi_callback = 0;
        return 0;
    default:
        return -XEN_ENOSYS;
    }
}
