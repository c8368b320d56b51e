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

#define MAX_HANDLERS 8

struct handlers {
    struct {
        void (*fn)(void *arg);
        void *arg;
    } h[MAX_HANDLERS];
    unsigned n;
};
static struct handlers intx, msix;

static bool add_handler(struct handlers *hs, void (*fn)(void *arg), void *arg)
{
    if (hs->n == MAX_HANDLERS)
        return false;
    hs->h[hs->n].fn = fn;
    hs->h[hs->n].arg = arg;
    hs->n++;
    return true;
}

/* Lines and vectors are shared: every handler looks at its own device. */
static void run_handlers(const struct handlers *hs)
{
    for (unsigned i = 0; i < hs->n; i++)
        hs->h[i].fn(hs->h[i].arg);
    lapic_eoi();
}

static void intx_interrupt(struct cpu_regs *r)
{
    (void)r;
    run_handlers(&intx);
}

static void msix_interrupt(struct cpu_regs *r)
{
    (void)r;
    run_handlers(&msix);
}

static unsigned find_cap(struct pci_addr a, unsigned id)
{
    if (!(pci_conf_read(a, PCI_STATUS, 2) & PCI_STATUS_CAP_LIST))
        return 0;
    unsigned cap = pci_conf_read(a, PCI_CAP_PTR, 1) & 0xfc;
    for (unsigned guard = 0; cap && guard < 48; guard++) {
        if (pci_conf_read(a, cap, 1) == id)
            return cap;
        cap = pci_conf_read(a, cap + 1, 1) & 0xfc;
    }
    return 0;
}

#define MSIX_CTRL_ENABLE    (1u << 15)
#define MSIX_CTRL_MASKALL   (1u << 14)
#define MSI_ADDRESS_BASE    0xfee00000u     /* destination APIC 0, physical, fixed */

bool pci_msix_enable(struct pci_addr a, unsigned entry, void (*fn)(void *arg), void *arg)
{
    unsigned cap = find_cap(a, PCI_CAP_ID_MSIX);
    if (!cap)
        return false;
    uint32_t ctrl = pci_conf_read(a, cap + 2, 2);
    unsigned size = (ctrl & 0x7ff) + 1;
    uint32_t table = pci_conf_read(a, cap + 4, 4);
    paddr_t bar = pci_bar_address(a, table & 7);
    if (entry >= size || !bar)
        return false;
    volatile uint32_t *e = pci_map_mmio(bar + (table & ~7u) + 16 * entry, 16);
    if (!e || !add_handler(&msix, fn, arg))
        return false;
    e[0] = MSI_ADDRESS_BASE;
    e[1] = 0;
    e[2] = VECTOR_PCI_MSI;          /* edge, fixed delivery */
    e[3] = 0;                       /* unmasked */
    irq_register(VECTOR_PCI_MSI, msix_interrupt);
    uint32_t cmd = pci_conf_read(a, PCI_COMMAND, 2);
    pci_conf_write(a, PCI_COMMAND, 2, cmd | PCI_COMMAND_INTX_OFF);
    pci_conf_write(a, cap + 2, 2, (ctrl | MSIX_CTRL_ENABLE) & ~MSIX_CTRL_MASKALL);
    return true;
}

void pci_msix_disable(struct pci_addr a)
{
    unsigned cap = find_cap(a, PCI_CAP_ID_MSIX);
    if (cap)
        pci_conf_write(a, cap + 2, 2, pci_conf_read(a, cap + 2, 2) & ~MSIX_CTRL_ENABLE);
}

bool irq_line_enable(unsigned gsi, void (*fn)(void *arg), void *arg)
{
    if (intx.n == MAX_HANDLERS || !ioapic_route_gsi(gsi, VECTOR_PCI_INTX, true, false) ||
        !add_handler(&intx, fn, arg))
        return false;
    irq_register(VECTOR_PCI_INTX, intx_interrupt);
    return true;
}

bool pci_intx_enable(struct pci_addr a, void (*fn)(void *arg), void *arg)
{
    unsigned pin = pci_conf_read(a, PCI_INTERRUPT_PIN, 1);
    unsigned line = pci_conf_read(a, PCI_INTERRUPT_LINE, 1);
    if (pin == 0 || line == 0 || line >= 16 || intx.n == MAX_HANDLERS)
        return false;
    /* The firmware's line is an ISA IRQ; the MADT says how it reaches a GSI. */
    if (!ioapic_route_isa_irq(line, VECTOR_PCI_INTX) || !add_handler(&intx, fn, arg))
        return false;
    irq_register(VECTOR_PCI_INTX, intx_interrupt);
    uint32_t cmd = pci_conf_read(a, PCI_COMMAND, 2);
    pci_conf_write(a, PCI_COMMAND, 2, cmd & ~PCI_COMMAND_INTX_OFF);
    return true;
}
