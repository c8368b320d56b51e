/*
 * PCI configuration mechanism #1 and a bump allocator over pvshim's device
 * window for BAR mappings. Single CPU, so the address/data port pair needs
 * no lock; interrupts are off wherever pvshim runs drivers.
 */
#include <pvshim/pci.h>
#include <pvshim/layout.h>
#include <pvshim/paging.h>
#include <pvshim/log.h>
#include <pvshim/irq.h>
#include "x86.h"
#include "arch.h"

#define CONF_ADDR   0xcf8
#define CONF_DATA   0xcfc
#define WINDOW_BASE (MMIO_VIRT_START + MiB(1))      /* below: LAPIC, IOAPIC */
#define WINDOW_SIZE GiB(1)

static vaddr_t window_next = WINDOW_BASE;

static void select_reg(struct pci_addr a, unsigned off)
{
    outl(CONF_ADDR, 0x80000000u | (uint32_t)a.bus << 16 | (uint32_t)(a.dev & 31) << 11 |
                    (uint32_t)(a.fn & 7) << 8 | (off & 0xfc));
}

uint32_t pci_conf_read(struct pci_addr a, unsigned off, unsigned size)
{
    select_reg(a, off);
    switch (size) {
    case 1: return inb(CONF_DATA + (off & 3));
    case 2: return inw(CONF_DATA + (off & 2));
    default: return inl(CONF_DATA);
    }
}

void pci_conf_write(struct pci_addr a, unsigned off, unsigned size, uint32_t v)
{
    select_reg(a, off);
    switch (size) {
    case 1: outb(CONF_DATA + (off & 3), (uint8_t)v); break;
    case 2: outw(CONF_DATA + (off & 2), (uint16_t)v); break;
    default: outl(CONF_DATA, v); break;
    }
}

paddr_t pci_bar_address(struct pci_addr a, unsigned bar)
{
    if (bar > 5)
        return 0;
    uint32_t lo = pci_conf_read(a, PCI_BAR0 + 4 * bar, 4);
    if (lo & 1)
        return 0;                       /* I/O space */
    paddr_t pa = lo & ~0xfull;
    if (((lo >> 1) & 3) == 2 && bar < 5)
        pa |= (paddr_t)pci_conf_read(a, PCI_BAR0 + 4 * (bar + 1), 4) << 32;
    return pa;
}

volatile void *pci_map_mmio(paddr_t pa, size_t len)
{
    paddr_t start = pa & PAGE_MASK;
    uint64_t size = ((pa + len + PAGE_SIZE - 1) & PAGE_MASK) - start;
    if (window_next + size > WINDOW_BASE + WINDOW_SIZE)
        return NULL;
    vaddr_t va = window_next;
    window_next += size;
    paging_map(va, start, size, PTE_RW | PTE_PCD | PTE_PWT | PTE_NX);
    return (volatile void *)(uintptr_t)(va + (pa - start));
}

void pci_for_each(void (*visit)(struct pci_addr a, void *arg), void *arg)
{
    for (unsigned bus = 0; bus <= PCI_MAX_BUS; bus++)
        for (unsigned dev = 0; dev < 32; dev++) {
            struct pci_addr a = { (uint8_t)bus, (uint8_t)dev, 0 };
            if ((pci_conf_read(a, PCI_VENDOR_ID, 2) & 0xffff) == 0xffff)
                continue;
            bool multi = pci_conf_read(a, PCI_HEADER_TYPE, 1) & 0x80;
            for (unsigned fn = 0; fn < (multi ? 8u : 1u); fn++) {
                a.fn = (uint8_t)fn;
                if ((pci_conf_read(a, PCI_VENDOR_ID, 2) & 0xffff) != 0xffff)
                    visit(a, arg);
            }
        }
}

#define MAX_INTX_HANDLERS 8

static struct {
    void (*fn)(void *arg);
    void *arg;
} intx[MAX_INTX_HANDLERS];
static unsigned nr_intx;

/* Lines may be shared: every handler looks at its own device. */
static void intx_interrupt(struct cpu_regs *r)
{
    (void)r;
    for (unsigned i = 0; i < nr_intx; i++)
        intx[i].fn(intx[i].arg);
    lapic_eoi();
}

bool pci_intx_enable(struct pci_addr a, void (*fn)(void *arg), void *arg)
{
    unsigned pin = pci_conf_read(a, PCI_INTERRUPT_PIN, 1);
    unsigned line = pci_conf_read(a, PCI_INTERRUPT_LINE, 1);
    if (pin == 0 || line == 0 || line >= 16 || nr_intx == MAX_INTX_HANDLERS)
        return false;
    /* The firmware's line is an ISA IRQ; the MADT says how it reaches a GSI. */
    if (!ioapic_route_isa_irq(line, VECTOR_PCI_INTX))
        return false;
    intx[nr_intx].fn = fn;
    intx[nr_intx].arg = arg;
    nr_intx++;
    irq_register(VECTOR_PCI_INTX, intx_interrupt);
    uint32_t cmd = pci_conf_read(a, PCI_COMMAND, 2);
    pci_conf_write(a, PCI_COMMAND, 2, cmd & ~PCI_COMMAND_INTX_OFF);
    return true;
}
