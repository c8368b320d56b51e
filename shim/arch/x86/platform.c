/*
 * Platform detection. A Xen host announces itself with "XenVMMXenVMM" at
 * CPUID 0x40000000, or 0x100 further up when it also emulates Hyper-V.
 */
#include <pvshim/platform.h>
#include <pvshim/string.h>
#include <pvshim/log.h>
#include "x86.h"
#include "arch.h"

struct platform platform;

static void signature_at(uint32_t leaf, char out[13])
{
    struct cpuid_result r = cpuid(leaf, 0);
    memcpy(out, &r.ebx, 4);
    memcpy(out + 4, &r.ecx, 4);
    memcpy(out + 8, &r.edx, 4);
    out[12] = '\0';
    for (int i = 0; i < 12; i++)
        if (out[i] && (out[i] < 0x20 || out[i] > 0x7e))
            out[i] = '?';
}

void platform_detect(void)
{
    platform.kind = PLATFORM_BARE;
    if (!cpu.hypervisor)
        return;
    signature_at(0x40000000, platform.hv_signature);
    for (uint32_t base = 0x40000000; base < 0x40010000; base += 0x100) {
        char sig[13];
        signature_at(base, sig);
        if (memcmp(sig, "XenVMMXenVMM", 12) == 0) {
            platform.kind = PLATFORM_XEN;
            platform.xen_cpuid_base = base;
            memcpy(platform.hv_signature, sig, sizeof(sig));
            uint32_t v = cpuid(base + 1, 0).eax;
            platform.xen_major = (uint16_t)(v >> 16);
            platform.xen_minor = (uint16_t)v;
            return;
        }
    }
}

const char *platform_name(void)
{
    return platform.kind == PLATFORM_XEN ? "Xen" : "no Xen";
}
