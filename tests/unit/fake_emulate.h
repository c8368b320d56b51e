/*
 * Host fakes for the hardware hooks the instruction emulator adds to hw.h,
 * and recording stand-ins for the PV layers it calls (pv_emul_ops).
 */
#ifndef PVSHIM_FAKE_EMULATE_H
#define PVSHIM_FAKE_EMULATE_H

#include <pvshim/types.h>
#include "emulate.h"

#define FAKE_CPUID_MAX  96
#define FAKE_MSR_MAX    32
#define FAKE_DESC_MAX   16
#define FAKE_EVENT_MAX  8
#define FAKE_SUBLEAF_ANY 0xffffffffu

struct fake_event {
    unsigned vector;        /* 14 for page faults */
    int error_code;         /* -1: none */
    vaddr_t cr2;            /* page faults */
};

struct fake_emu_hw {
    uint64_t cr0, cr4;
    uint64_t guest_cr4;             /* last hw_apply_guest_cr4 */
    unsigned guest_cr4_applies;
    uint64_t xcr0;
    unsigned xcr0_loads;
    bool refuse_xcr0;
    uint64_t dr[8];
    unsigned dr_writes;
    uint32_t tsc_aux;
    uint64_t tsc;
    struct { uint32_t leaf, subleaf, a, b, c, d; } cpuid[FAKE_CPUID_MAX];
    unsigned nr_cpuid;
    struct { uint32_t msr; uint64_t val; } msr[FAKE_MSR_MAX];
    unsigned nr_msr;
    struct { uint16_t sel; uint64_t desc; } desc[FAKE_DESC_MAX];
    unsigned nr_desc;

    /* what the emulator asked of the other layers */
    struct fake_event events[FAKE_EVENT_MAX];
    unsigned nr_events;
    mfn_t baseptr_mfn;
    unsigned baseptr_calls;
    int baseptr_rc;
    mfn_t hypercall_page_mfn;
    unsigned hypercall_page_calls;
    int hypercall_page_rc;
};
extern struct fake_emu_hw fake_emu;

/* Reset the fakes, the simulated guest memory, dom and pv_emul_ops. */
void fake_emulate_reset(void);
/* Only this file's fakes, pv_emul and pv_emul_ops (for tests on another simulator). */
void fake_emulate_hw_reset(void);

void fake_cpuid_set(uint32_t leaf, uint32_t subleaf, uint32_t a, uint32_t b,
                    uint32_t c, uint32_t d);
void fake_msr_set(uint32_t msr, uint64_t val);
void fake_desc_set(uint16_t sel, uint64_t desc);

/* Plausible hosts: a Skylake-server-like Intel, a Zen2-like AMD. */
void fake_cpuid_load_intel(void);
void fake_cpuid_load_amd(void);

/* Descriptors for the flat selectors a 64-bit PV guest uses. */
#define FAKE_DESC_CODE64 0x00affb000000ffffull  /* DPL3, L */
#define FAKE_DESC_CODE32 0x00cffb000000ffffull  /* DPL3, D, 4 GiB */
#define FAKE_DESC_CODE16 0x008ffb000000ffffull  /* DPL3, 16-bit */
#define FAKE_DESC_DATA   0x00cff3000000ffffull  /* DPL3 data */

/*
 * A ready guest: Intel host policy (XCR0 up to AVX, 2 GHz TSC), 64-bit PV
 * kernel mode with a #GP handler registered, vCPU state initialised, code
 * page mapped at FAKE_KCODE, regs at its start with CS = FLAT_RING3_CS64.
 */
#define FAKE_KCODE  0xffffffff81000000ull
#define FAKE_CR0    0x80050033ull       /* PG WP NE ET MP PE */
#define FAKE_CR4    0x003506e0ull       /* SMAP OSXSAVE FSGSBASE OSXMMEXCPT OSFXSR PGE MCE PAE */
extern uint8_t fake_code[4096];
void fake_emulate_guest_setup(struct cpu_regs *regs);
/* Put bytes at the start of the code page, RIP there, and emulate (#GP path). */
bool fake_emulate_run(struct cpu_regs *regs, const uint8_t *bytes, size_t n);
#define RUN(regs, ...) fake_emulate_run(regs, (const uint8_t[]){ __VA_ARGS__ }, \
                                        sizeof((const uint8_t[]){ __VA_ARGS__ }))

#endif
