/*
 * What the portable boot sequence (shim/main.c) asks of the architecture
 * layer, in the order it asks.
 */
#ifndef PVSHIM_ARCH_H
#define PVSHIM_ARCH_H

#include <pvshim/types.h>
#include <pvshim/memmap.h>

/* Consoles usable before anything else (serial, debugcon). */
void arch_early_console_init(void);
/* CPU features and the platform underneath. */
void arch_cpu_detect(void);
/* The page below 1 MiB the CPU start-up code is copied to (kept out of
 * the frame pool). */
extern const paddr_t arch_trampoline_paddr;
/* The memory map from CMOS when the loader gave none. */
void arch_fallback_memmap(struct memmap *m);
/* Page tables, descriptor tables, protections, timers. */
void arch_init(const struct memmap *m, paddr_t rsdp);
/*
 * The end of the RAM below 1 MiB that no firmware data occupies (the
 * EBDA and above stay untouched).
 */
paddr_t arch_low_ram_end(void);
/* Log the CPU features pvshim relies on. */
void arch_report(void);
/* What the CPU lets pvshim offer a guest. */
struct arch_guest_cpu {
    uint64_t xcr0_max;          /* XCR0 bits the guest may enable; 0 without XSAVE */
    bool cpuid_faulting;        /* guest CPUID traps to pvshim */
};
struct arch_guest_cpu arch_guest_cpu(void);

/*
 * The guest is a 32-bit PAE one (call once, before entering it): the
 * reserved GDT entries of a 32-bit guest on every CPU, its flat kernel
 * data selectors loaded, SMEP/SMAP off while it runs.
 */
void arch_set_compat_guest(void);

/* Run a named self-test of the arch layer (selftest= option). */
void arch_selftest(const char *name);

#endif
