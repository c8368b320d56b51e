/* The one domain pvshim hosts. */
#include "domain.h"
#include "time.h"
#include <pvshim/assert.h>
#include <pvshim/string.h>

struct pv_domain dom;

void pv_vcpu_init(struct pv_vcpu *v, unsigned id)
{
    ASSERT(id < PV_MAX_VCPUS && v == &dom.vcpu[id]);
    ASSERT(dom.shared_info);
    memset(v, 0, sizeof(*v));
    v->vcpu_id = id;
    v->kernel_mode = true;
    v->guest_table = INVALID_MFN;
    v->guest_table_user = INVALID_MFN;
    v->vcpu_info = &dom.shared_info->vcpu_info[id];
    v->vcpu_info_mfn = INVALID_MFN;
    pv_time_vcpu_init(v);
}
