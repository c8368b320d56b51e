/* The PC's first 16550 UART (COM1): pvshim's serial console. */
#include <pvshim/console.h>
#include <pvshim/irq.h>
#include <pvshim/log.h>
#include "x86.h"
#include "arch.h"

#define COM1            0x3f8
#define UART_DATA       0
#define UART_IER        1
#define UART_FCR        2
#define UART_LCR        3
#define UART_MCR        4
#define UART_LSR        5
#define UART_SCRATCH    7
#define LSR_DATA_READY  0x01
#define LSR_THR_EMPTY   0x20
#define LCR_DLAB        0x80
#define LCR_8N1         0x03
#define IER_RX_DATA     0x01
#define MCR_OUT2        0x08    /* gates the UART's interrupt line on PCs */
#define COM1_IRQ        4

static void uart_putc(char c)
{
    /* Bounded wait: a wedged UART must not hang pvshim. */
    for (unsigned spins = 0; spins < 100000; spins++)
        if (inb(COM1 + UART_LSR) & LSR_THR_EMPTY)
            break;
    outb(COM1 + UART_DATA, (uint8_t)c);
}

static bool uart_present;

static void uart_write(const char *s, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        if (s[i] == '\n')
            uart_putc('\r');
        uart_putc(s[i]);
    }
}

static int uart_read(void)
{
    if (inb(COM1 + UART_LSR) & LSR_DATA_READY)
        return inb(COM1 + UART_DATA);
    return -1;
}

static const struct console_sink uart_sink = {
    .kind = CONSOLE_COM1,
    .name = "com1",
    .write = uart_write,
    .read = uart_read,
};

/* Program 115200 8N1 with FIFOs, if a UART answers at COM1. */
void uart16550_init(void)
{
    outb(COM1 + UART_SCRATCH, 0x5a);
    if (inb(COM1 + UART_SCRATCH) != 0x5a)
        return;
    outb(COM1 + UART_IER, 0x00);
    outb(COM1 + UART_LCR, LCR_DLAB);
    outb(COM1 + UART_DATA, 1);          /* divisor 1: 115200 baud */
    outb(COM1 + UART_IER, 0);
    outb(COM1 + UART_LCR, LCR_8N1);
    outb(COM1 + UART_FCR, 0x07);        /* enable and clear FIFOs */
    outb(COM1 + UART_MCR, 0x03);        /* DTR, RTS */
    console_register(&uart_sink);
    uart_present = true;
}

static void uart_irq(struct cpu_regs *r)
{
    (void)r;
    /* Reading happens in console_read(); here we only acknowledge and wake. */
    lapic_eoi();
    console_input_arrived();
}

/* Interrupt on received data, so an idle pvshim wakes for keystrokes. */
void uart16550_enable_input_irq(void)
{
    if (!uart_present || !ioapic_route_isa_irq(COM1_IRQ, VECTOR_SERIAL))
        return;
    irq_register(VECTOR_SERIAL, uart_irq);
    outb(COM1 + UART_MCR, 0x03 | MCR_OUT2);
    outb(COM1 + UART_IER, IER_RX_DATA);
}
