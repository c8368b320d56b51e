/* The little of ACPI pvshim needs: power-off (S5) and the PM timer. */
#ifndef PVSHIM_ACPI_H
#define PVSHIM_ACPI_H

#include <pvshim/types.h>

#define ACPI_MAX_CPUS 64

struct acpi_info {
    paddr_t rsdp;
    bool have_fadt;
    uint16_t pm1a_cnt, pm1b_cnt;    /* I/O ports, 0 if absent */
    uint16_t pm_tmr;                /* I/O port, 0 if absent */
    bool pm_tmr_32bit;
    bool have_s5;
    uint8_t slp_typa, slp_typb;     /* \_S5 sleep type values */
    uint8_t reset_space;            /* FADT reset register (if flags say so) */
    uint64_t reset_addr;
    uint8_t reset_value;
    bool have_reset;
    /*
     * Hardware-reduced ACPI (QEMU's microvm): no PM1 control block, power-off
     * through the FADT's SLEEP_CONTROL_REG (a GAS: space 0 memory, 1 I/O).
     */
    bool have_sleep_ctl;
    uint8_t sleep_ctl_space;
    uint64_t sleep_ctl_addr;
    /* From the MADT (else the MP table): the first I/O APIC and the ISA IRQ overrides. */
    uint32_t ioapic_addr;           /* 0 if none */
    uint32_t ioapic_gsi_base;
    struct {
        uint32_t gsi;
        uint16_t flags;             /* MPS INTI flags: polarity bits 0-1, trigger 2-3 */
    } isa_irq[16];
    /*
     * From the MADT: the usable processors' local APIC IDs, in table order
     * (the boot CPU is not necessarily first). Processor Local APIC (type 0)
     * and Local x2APIC (type 9) entries with the Enabled flag; entries past
     * ACPI_MAX_CPUS are counted in cpus_ignored.
     */
    unsigned nr_cpus;
    uint32_t cpu_apic_id[ACPI_MAX_CPUS];
    unsigned cpus_ignored;
};

extern struct acpi_info acpi;

/*
 * Find the RSDP (at hint if non-zero, else by scanning the EBDA and the BIOS
 * area), then the FADT and \_S5. Every table is checksummed and bounded.
 */
void acpi_parse(paddr_t rsdp_hint, struct acpi_info *out);

/* Fill the I/O APIC fields from a MADT (table with header). */
void acpi_parse_madt(const uint8_t *madt, size_t len, struct acpi_info *out);

/*
 * Without an I/O APIC from the MADT: the MP specification's table (found in
 * the EBDA, the last KiB of base memory or the BIOS ROM) gives the first
 * usable I/O APIC (GSI base 0) and the ISA IRQ assignments (shim/mptable.c).
 */
void mptable_parse(struct acpi_info *out);
/* The same from a configuration table ("PCMP") of len bytes; false if unusable. */
bool mptable_parse_config(const uint8_t *t, size_t len, struct acpi_info *out);

/* The SLP_TYP values of the \_S5 package in an AML blob; false if absent. */
bool acpi_find_s5(const uint8_t *aml, size_t len, uint8_t *typa, uint8_t *typb);

#endif
