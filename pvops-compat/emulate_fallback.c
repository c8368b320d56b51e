/*
 * Link-time stand-ins for what the emulator needs from layers that are not
 * in the tree yet (the arch side of the hw.h hooks, guest memory access,
 * the domain itself, the MMU and trap-bounce layers, the builder). Every
 * one is weak: the real definition replaces it as soon as it exists, and
 * on the host the unit-test fakes do. Each declines (no descriptor, no
 * MSR, no guest memory...), so emulation answers "not emulated" and the
 * guest gets its fault; the first use logs what is missing.
 *
 * Delete an entry when its owner lands the real one.
 */
#include <pvshim/guest_access.h>
#include <pvshim/hw.h>
#include <pvshim/log.h>
#include <pvshim/xen_abi.h>
#include "domain.h"
#include "emulate.h"

#define WEAK __attribute__((weak))

static void missing(const char *what, bool *said)
{
    if (!*said) {
        *said = true;
        log_err("emulate: %s is not implemented yet", what);
    }
}
#define MISSING() do { static bool said; missing(__func__, &said); } while (0)

WEAK struct pv_domain dom;

WEAK int copy_from_guest(void *dst, vaddr_t src, size_t len)
{
    (void)dst; (void)src; (void)len;
    MISSING();
    return -XEN_EFAULT;
}

WEAK int copy_to_guest(vaddr_t dst, const void *src, size_t len)
{
    (void)dst; (void)src; (void)len;
    MISSING();
    return -XEN_EFAULT;
}

WEAK void hw_load_cr3(paddr_t l4) { (void)l4; MISSING(); }
WEAK paddr_t hw_current_cr3(void) { MISSING(); return 0; }
WEAK void hw_set_fs_base(uint64_t b) { (void)b; MISSING(); }
WEAK void hw_set_gs_base(uint64_t b) { (void)b; MISSING(); }
WEAK void hw_set_ts(bool set) { (void)set; MISSING(); }
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

WEAK int pv_mm_new_baseptr(mfn_t mfn) { (void)mfn; MISSING(); return -XEN_ENOSYS; }
WEAK int pv_install_hypercall_page(mfn_t mfn) { (void)mfn; MISSING(); return -XEN_ENOSYS; }
WEAK void pv_inject_hw_exception(unsigned int vector, int error_code)
{
    (void)vector; (void)error_code;
    MISSING();
}
WEAK void pv_inject_page_fault(int error_code, vaddr_t cr2)
{
    (void)error_code; (void)cr2;
    MISSING();
}
