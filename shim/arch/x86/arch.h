/* Declarations shared inside shim/arch/x86 only. */
#ifndef PVSHIM_ARCH_ARCH_H
#define PVSHIM_ARCH_ARCH_H

#include <pvshim/types.h>
#include <pvshim/cpu_regs.h>
#include <pvshim/compiler.h>

/* CPU features pvshim found and uses. */
struct cpu_features {
    char vendor[13];
    char brand[49];
    unsigned family, model, stepping;
    bool nx, smep, smap, pge, pdpe1gb, fsgsbase, xsave, x2apic, tsc_deadline, rdtscp;
    bool cpuid_faulting;
    uint64_t xcr0_max;          /* XCR0 bits the guest may enable; 0 without XSAVE */
    bool invariant_tsc, hypervisor;
    unsigned phys_addr_bits, virt_addr_bits;
};
extern struct cpu_features cpu;

void uart16550_init(void);
void debugcon_init(void);
/* On a Xen host (platform_detect): hand xen/l0 the hypercall instruction. */
void xen_l0_attach(void);
/* Copy the boot log to port 0xe9 (L0's log). */
void xen_l0_dump_early_log(void);
void cpu_detect(void);
void cpu_enable_protections(void);
void descriptors_init(void);
void arch_map_devices(void);
void lapic_init(void);
void tsc_calibrate(void);
void acpi_init(paddr_t rsdp_hint);
void ioapic_init(void);
/* Map what power-off needs (the hardware-reduced sleep control register). */
void power_init(void);
void lapic_eoi(void);
bool ioapic_route_isa_irq(unsigned irq, uint8_t vector);
void uart16550_enable_input_irq(void);

/* The IST stacks: 1 NMI, 2 double fault, 3 machine check. */
#define IST_NMI 1
#define IST_DF  2
#define IST_MC  3

paddr_t arch_zero_page(void);
void arch_set_ldt_descriptor(uint64_t base, uint32_t limit);
/* Translate a guest virtual address through the live page tables. */
bool arch_guest_walk(vaddr_t va, paddr_t *pa);
extern bool smap_active;

/* Fatal: report an unexpected exception in pvshim and exit. */
NORETURN void fatal_exception(const struct cpu_regs *r);

#endif
