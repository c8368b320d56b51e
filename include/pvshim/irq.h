/* Hardware interrupts pvshim handles itself (timer, console input). */
#ifndef PVSHIM_IRQ_H
#define PVSHIM_IRQ_H

#include <pvshim/cpu_regs.h>

#define VECTOR_LAPIC_TIMER  0xf0
#define VECTOR_SERIAL       0xf1
#define VECTOR_PCI_INTX     0xf2    /* every PCI INTx line pvshim takes, shared */
#define VECTOR_PCI_MSI      0xf3    /* every MSI-X entry pvshim programs, shared */
#define VECTOR_CALL_IPI     0xf4    /* smp_call: run a function on other CPUs */
#define VECTOR_L0_UPCALL    0xf5    /* events from a Xen underneath (xen/l0) */
#define VECTOR_KICK_IPI     0xf6    /* smp_kick: look again at what the CPU waits for */
#define VECTOR_SPURIOUS     0xff

typedef void (*irq_handler_t)(struct cpu_regs *r);

void irq_register(unsigned vector, irq_handler_t h);

#endif
