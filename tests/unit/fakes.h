/*
 * Host stand-ins for the kernel's hardware-facing interfaces, so portable
 * code runs unchanged in unit tests and fuzzers.
 */
#ifndef PVSHIM_FAKES_H
#define PVSHIM_FAKES_H

#include <pvshim/types.h>

/* Simulated machine memory: regions of "physical" addresses backed by host memory. */
void fake_phys_reset(void);
/* Back [pa, pa + len) with zeroed host memory and return it. */
void *fake_phys_add(paddr_t pa, size_t len);

/* The log lines portable code produced since the last reset, '\n'-separated. */
const char *fake_log_text(void);
void fake_log_reset(void);
/* Echo log lines to stderr as well (default off; PVSHIM_TEST_LOG=1 turns it on). */
extern int fake_log_echo;

/* machine_exit() in tests ends the process with this base plus the reason. */
#define FAKE_EXIT_BASE 100
/*
 * If set, machine_exit() calls it first (a fuzzer longjmps out of a guest
 * shutdown or crash; it aborts on an internal error). If it returns, the
 * process exits as above.
 */
enum pvshim_exit;
extern void (*fake_exit_hook)(enum pvshim_exit reason);

#endif

/* ---- simulated guest virtual memory (copy_from_guest / copy_to_guest) */
void fake_guest_reset(void);
/* Make [va, va + len) guest-accessible, backed by host memory at host. */
void fake_guest_map(vaddr_t va, void *host, size_t len);
/*
 * Optional override: translate one guest byte address to host memory, or
 * NULL if unmapped (tests with simulated page tables install a walker).
 */
extern void *(*fake_guest_translate)(vaddr_t va, bool write);

/* ---- recorded hardware operations (include/pvshim/hw.h) */
struct fake_hw {
    paddr_t cr3;
    unsigned cr3_loads, tlb_flushes, invlpgs, cache_flushes;
    vaddr_t last_invlpg;
    mfn_t gdt_frames[16];
    unsigned gdt_nr;
    unsigned ldt_ents, ldt_loads;
    mfn_t ldt_pages[16];
    uint64_t fs_base, gs_base, gs_inactive;
    uint16_t user_gs_sel;
    uint16_t data_sels[4];      /* hw_load_data_selectors */
    bool ts, smap;
    vaddr_t cr2;
    uint64_t remote_flush_mask;     /* CPUs named by smp_flush_tlb, accumulated */
    unsigned remote_flushes;
    uint64_t remote_invlpg_mask;    /* CPUs named by smp_invlpg, accumulated */
    unsigned remote_invlpgs;
    vaddr_t last_remote_invlpg;
    uint64_t kick_mask;             /* CPUs named by smp_kick, accumulated */
    void (*cr3_load_hook)(void);    /* called by hw_load_cr3 before the load, if set */
};
extern struct fake_hw fake_hw;
/* The fake CPU runs vCPU id from now on (`current`, this_pcpu()->id). */
void fake_run_vcpu(unsigned id);
void fake_hw_reset(void);

/* ---- simulated time (fake_time.c) */
struct fake_clock {
    uint64_t now;               /* TSC == ns */
    uint64_t deadline;          /* armed one-shot, 0 if none */
    void (*callback)(uint64_t now);
    unsigned idle_waits;
};
extern struct fake_clock fake_clock;
/* Move time forward, firing the timer if its deadline passes. */
void fake_clock_advance(uint64_t ns);
/* An idle wait with nothing to wake it: a test bug or a pvshim hang. */
void abort_idle_forever(void) __attribute__((noreturn));
/* If set, abort_idle_forever() calls it first (a fuzzer longjmps out). */
extern void (*fake_idle_forever_hook)(void);
