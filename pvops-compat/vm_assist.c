/* vm_assist: the optional behaviours a PV guest can switch on (public/xen.h VMASST_*). */
#include "domain.h"
#include "hypercalls.h"

/* What Xen accepts from a 64-bit PV guest (NATIVE_VM_ASSIST_VALID). */
#define VALID_ASSISTS ((1ul << VMASST_TYPE_4gb_segments) |          \
                       (1ul << VMASST_TYPE_4gb_segments_notify) |   \
                       (1ul << VMASST_TYPE_writable_pagetables) |   \
                       (1ul << VMASST_TYPE_pae_extended_cr3) |      \
                       (1ul << VMASST_TYPE_architectural_iopl) |    \
                       (1ul << VMASST_TYPE_runstate_update_flag) |  \
                       (1ul << VMASST_TYPE_m2p_strict))

long do_vm_assist(unsigned int cmd, unsigned int type)
{
    if (type >= 64 || !(VALID_ASSISTS & (1ul << type)))
        return -XEN_EINVAL;
    switch (cmd) {
    case VMASST_CMD_enable:
        dom.vm_assist |= 1ul << type;
        return 0;
    case VMASST_CMD_disable:
        dom.vm_assist &= ~(1ul << type);
        return 0;
    default:
        return -XEN_ENOSYS;
    }
}
