/*
 * Link-time stand-ins for the arch side of the hw.h hooks the emulator
 * added, until shim/arch implements them. Every one is weak: the real
 * definition replaces it, and on the host the unit-test fakes do. Each
 * declines (no descriptor, no MSR...), so emulation answers "not emulated"
 * and the guest gets its fault; the first use logs what is missing.
 *
 * Delete an entry when the arch layer lands the real one.
 */
#include <pvshim/hw.h>
#include <pvshim/log.h>
#include <pvshim/xen_abi.h>

#define WEAK __attribute__((weak))

static void missing(const char *what, bool *said)
{
    if (!*said) {
        *said = true;
        log_err("emulate: %s is not implemented yet", what);
    }
}
#define MISSING() do { static bool said; missing(__func__, &said); } while (0)

WEAK uint64_t hw_read_cr0(void) { MISSING(); return 0; }
WEAK uint64_t hw_read_cr4(void) { MISSING(); return 0; }
WEAK void hw_apply_guest_cr4(uint64_t cr4) { (void)cr4; MISSING(); }
WEAK bool hw_rdmsr_safe(uint32_t msr, uint64_t *val) { (void)msr; *val = 0; MISSING(); return false; }
WEAK uint64_t hw_rdtsc(void) { MISSING(); return 0; }
WEAK bool hw_set_xcr0(uint64_t x) { (void)x; MISSING(); return false; }
WEAK void hw_set_debugreg(unsigned int reg, uint64_t v) { (void)reg; (void)v; MISSING(); }
WEAK void hw_set_tsc_aux(uint32_t v) { (void)v; MISSING(); }
WEAK bool hw_read_descriptor(uint16_t sel, uint64_t *desc) { (void)sel; *desc = 0; MISSING(); return false; }

WEAK void hw_cpuid(uint32_t leaf, uint32_t subleaf, uint32_t *eax, uint32_t *ebx,
                   uint32_t *ecx, uint32_t *edx)
{
    (void)leaf; (void)subleaf;
    *eax = *ebx = *ecx = *edx = 0;
    MISSING();
}
