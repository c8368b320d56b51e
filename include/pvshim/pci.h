/*
 * PCI configuration space, device memory and interrupt lines, the
 * hardware interface the device drivers (shim/virtio) use. The kernel implements it in
 * shim/arch/x86/pci.c with configuration mechanism #1 (ports 0xCF8/0xCFC).
 */
#ifndef PVSHIM_PCI_H
#define PVSHIM_PCI_H

#include <pvshim/types.h>

struct pci_addr {
    uint8_t bus, dev, fn;
};

#define PCI_VENDOR_ID       0x00
#define PCI_DEVICE_ID       0x02
#define PCI_COMMAND         0x04
#define PCI_STATUS          0x06
#define PCI_HEADER_TYPE     0x0e
#define PCI_BAR0            0x10
#define PCI_CAP_PTR         0x34
#define PCI_INTERRUPT_LINE  0x3c
#define PCI_INTERRUPT_PIN   0x3d

#define PCI_COMMAND_MEMORY      (1u << 1)
#define PCI_COMMAND_MASTER      (1u << 2)
#define PCI_COMMAND_INTX_OFF    (1u << 10)
#define PCI_STATUS_CAP_LIST     (1u << 4)
#define PCI_CAP_ID_MSIX         0x11

/* Aligned reads and writes of 1, 2 or 4 bytes at off (< 256). */
uint32_t pci_conf_read(struct pci_addr a, unsigned off, unsigned size);
void pci_conf_write(struct pci_addr a, unsigned off, unsigned size, uint32_t v);

/* The machine address a memory BAR (0-5) decodes, or 0 (I/O BAR, unassigned). */
paddr_t pci_bar_address(struct pci_addr a, unsigned bar);

/*
 * Map device memory [pa, pa + len) uncached into pvshim's device window;
 * NULL when the window is full.
 */
volatile void *pci_map_mmio(paddr_t pa, size_t len);

/*
 * Take the function's INTx interrupt (the line the firmware assigned, through
 * the I/O APIC): fn(arg) runs, interrupts off, whenever that line or another
 * PCI line pvshim took fires; it must make its device drop the line. false
 * if the line cannot be routed (the caller polls instead).
 */
bool pci_intx_enable(struct pci_addr a, void (*fn)(void *arg), void *arg);

/*
 * Take interrupt line gsi of a device outside PCI (virtio-mmio: level,
 * active high), sharing the INTx vector: fn(arg) runs as for INTx. false if
 * there is no I/O APIC for that line (the caller polls instead).
 */
bool irq_line_enable(unsigned gsi, void (*fn)(void *arg), void *arg);

/*
 * Program MSI-X table entry `entry` of the function to interrupt pvshim's
 * CPU, unmask it and enable MSI-X (INTx goes off): fn(arg) then runs,
 * interrupts off, when that entry or another MSI-X entry pvshim programmed
 * fires. false if the function has no MSI-X or no such entry.
 */
bool pci_msix_enable(struct pci_addr a, unsigned entry, void (*fn)(void *arg), void *arg);
/* Turn MSI-X off again (the device would not use it). */
void pci_msix_disable(struct pci_addr a);

/* Call fn for every function present on buses 0..PCI_MAX_BUS. */
#define PCI_MAX_BUS 7
void pci_for_each(void (*fn)(struct pci_addr a, void *arg), void *arg);

#endif
