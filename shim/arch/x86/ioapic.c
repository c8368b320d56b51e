/*
 * The I/O APIC, for the device interrupts pvshim takes: serial input, PCI
 * INTx lines and the lines VMMs announce for virtio-mmio devices. Routed to
 * the boot CPU's local APIC; everything else stays masked.
 */
#include <pvshim/acpi.h>
#include <pvshim/layout.h>
#include <pvshim/paging.h>
#include <pvshim/log.h>
#include "x86.h"
#include "arch.h"

#define IOAPIC_VIRT     (MMIO_VIRT_START + PAGE_SIZE)
#define IOREGSEL        0x00
#define IOWIN           0x10
#define REG_VER         0x01
#define REG_REDIR(n)    (0x10 + 2 * (n))
#define REDIR_MASKED    (1u << 16)
#define REDIR_LEVEL     (1u << 15)
#define REDIR_LOW       (1u << 13)

static bool present;
static unsigned nr_pins;

static uint32_t ioapic_read(uint32_t reg)
{
    *(volatile uint32_t *)(IOAPIC_VIRT + IOREGSEL) = reg;
    return *(volatile uint32_t *)(IOAPIC_VIRT + IOWIN);
}

static void ioapic_write(uint32_t reg, uint32_t v)
{
    *(volatile uint32_t *)(IOAPIC_VIRT + IOREGSEL) = reg;
    *(volatile uint32_t *)(IOAPIC_VIRT + IOWIN) = v;
}

void ioapic_init(void)
{
    if (!acpi.ioapic_addr)
        return;
    paging_map(IOAPIC_VIRT, acpi.ioapic_addr, PAGE_SIZE, PTE_RW | PTE_PCD | PTE_PWT | PTE_NX);
    uint32_t ver = ioapic_read(REG_VER);
    nr_pins = ((ver >> 16) & 0xff) + 1;
    if (nr_pins < 2 || nr_pins > 240)
        return;
    present = true;
    for (unsigned i = 0; i < nr_pins; i++) {
        ioapic_write(REG_REDIR(i) + 1, 0);
        ioapic_write(REG_REDIR(i), REDIR_MASKED);
    }
}

bool ioapic_route_gsi(unsigned gsi, uint8_t vector, bool level, bool active_low)
{
    if (!present || gsi < acpi.ioapic_gsi_base || gsi - acpi.ioapic_gsi_base >= nr_pins)
        return false;
    unsigned pin = gsi - acpi.ioapic_gsi_base;
    uint32_t lo = vector | (level ? REDIR_LEVEL : 0) | (active_low ? REDIR_LOW : 0);
    ioapic_write(REG_REDIR(pin) + 1, 0);    /* destination: APIC id 0 */
    ioapic_write(REG_REDIR(pin), lo);
    return true;
}

bool ioapic_route_isa_irq(unsigned irq, uint8_t vector)
{
    if (irq >= 16)
        return false;
    uint16_t f = acpi.isa_irq[irq].flags;
    /* ISA defaults: edge, active high; the MADT's override flags say otherwise. */
    return ioapic_route_gsi(acpi.isa_irq[irq].gsi, vector, ((f >> 2) & 3) == 3, (f & 3) == 3);
}
