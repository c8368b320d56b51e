/* Declarations shared inside shim/arch/x86 only. */
#ifndef PVSHIM_ARCH_ARCH_H
#define PVSHIM_ARCH_ARCH_H

#include <pvshim/types.h>
#include <pvshim/cpu_regs.h>
#include <pvshim/compiler.h>
#include <pvshim/percpu.h>
#include "x86.h"

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
/* The timer's final rate, against the TSC's final one (time_calibrate_finish). */
void lapic_calibrate_finish(void);
uint64_t lapic_timer_hz(void);
void acpi_init(paddr_t rsdp_hint);
void ioapic_init(void);
/* Map what power-off needs (the hardware-reduced sleep control register). */
void power_init(void);
void lapic_eoi(void);
/* Route ISA IRQ irq to vector on LAPIC 0; false if there is no I/O APIC for it. */
bool ioapic_route_isa_irq(unsigned irq, uint8_t vector);
/* Route global system interrupt gsi the same way, with the trigger mode given. */
bool ioapic_route_gsi(unsigned gsi, uint8_t vector, bool level, bool active_low);
void uart16550_enable_input_irq(void);

/* The IST stacks: 1 NMI, 2 double fault, 3 machine check. */
#define IST_NMI 1
#define IST_DF  2
#define IST_MC  3

/* A 64-bit TSS. */
struct tss64 {
    uint32_t reserved0;
    uint64_t rsp[3];
    uint64_t reserved1;
    uint64_t ist[7];
    uint64_t reserved2;
    uint16_t reserved3;
    uint16_t iomap_base;
} PACKED;

/*
 * Every stack a CPU runs pvshim on, after boot, lies in one naturally
 * aligned block of PCPU_STACK_SIZE whose last word points at the CPU's
 * struct pcpu (as Xen's struct cpu_info): this_pcpu() rounds RSP up
 * (PCPU_STACK_SIZE: pvshim/percpu.h).
 * The boot CPU runs on boot_stack until it first enters the guest.
 */
#define IST_STACK_SIZE  4096
struct pcpu;
struct pcpu_stacks {
    uint8_t ist[3][IST_STACK_SIZE];         /* IST_NMI, IST_DF, IST_MC */
    struct tss64 tss;
    uint8_t entry[PCPU_STACK_SIZE - 3 * IST_STACK_SIZE - sizeof(struct tss64) - 16];
    uint64_t pad;                           /* the entry stack's top is here */
    struct pcpu *self;
} PACKED;
STATIC_ASSERT(sizeof(struct pcpu_stacks) == PCPU_STACK_SIZE, "pcpu_stacks");

/* Allocate and fill CPU pc->id's GDT window, TSS and stacks (any CPU). */
void descriptors_alloc(struct pcpu *pc);
/* Load them on the calling CPU, with the IDT and the SYSCALL MSRs. */
void descriptors_load(struct pcpu *pc);

/* Per-CPU part of the local APIC set-up (after lapic_init on the boot CPU). */
void lapic_init_secondary(void);
uint32_t lapic_id(void);
/* A fixed interrupt with vector to one APIC. */
void lapic_send_ipi(uint32_t apic_id, uint8_t vector);
/* Send INIT, then two STARTUPs for the page at vector << 12, to one APIC. */
void lapic_send_init_sipi(uint32_t apic_id, uint8_t vector);
/* Bring up the other CPUs the MADT lists and park them (smp.c). */
struct memmap;
void smp_boot(const struct memmap *m);
/* selftest=smp: cross-calls and TLB flushes on every CPU, timed. */
void smp_selftest(void);
/* Per-CPU control register and MSR set-up of an AP, as the boot CPU's. */
void cpu_init_secondary(void);

paddr_t arch_zero_page(void);
void arch_set_ldt_descriptor(uint64_t base, uint32_t limit);
/* Translate a guest virtual address through the live page tables. */
bool arch_guest_walk(vaddr_t va, paddr_t *pa);
extern bool smap_active;
/* The 64-bit SYSCALL entry's assembly fast path is used (traps.c). */
extern bool entry_fast_enabled;
/* compat_cpu.c: a 32-bit guest's reserved GDT entries (no-op for 64-bit
 * guests), and CR4's SMEP/SMAP on entry to pvshim and off on return
 * (inline: on every entry; nothing to do for a 64-bit guest). */
void arch_compat_gdt(uint64_t *reserved_gdt);
/* The CR4 bits pvshim keeps while it runs and drops while a 32-bit guest runs. */
extern uint64_t pv32_cr4_bits;
static inline void arch_compat_enter_shim(void)
{
    if (unlikely(pv32_cr4_bits))
        write_cr4(read_cr4() | pv32_cr4_bits);
}
static inline void arch_compat_leave_shim(void)
{
    if (unlikely(pv32_cr4_bits))
        write_cr4(read_cr4() & ~pv32_cr4_bits);
}

/* Fatal: report an unexpected exception in pvshim and exit. */
NORETURN void fatal_exception(const struct cpu_regs *r);

#endif
