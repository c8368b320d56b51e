#include <string.h>
#include "emulate_mm_fixture.h"
#include "mm_sim.h"
#include "cpuid_policy.h"
#include "emulate.h"
#include "fake_emulate.h"

void emulate_mm_fixture_setup(void)
{
    mm_sim_setup();
    fake_emulate_hw_reset();
    pv_emul_ops = pv_emul_default_ops;
    fake_cpuid_load_intel();
    struct cpuid_policy_params p = { .xcr0_max = 7 };
    cpuid_policy_init(&p);
    fake_desc_set(0xe030, FAKE_DESC_CODE64);
    memset(fake_code, 0x90, sizeof(fake_code));
    fake_guest_map(FAKE_KCODE, fake_code, sizeof(fake_code));
    current->trap_ctxt[13].address = FAKE_KCODE + 0x800;
}
