/*
 * Ending the VM. QEMU's isa-debug-exit turns a byte written to port 0xf4
 * into exit status (byte << 1) | 1; ACPI S5 gives status 0. Without those
 * devices a reboot falls back to the reset register or the keyboard
 * controller, anything else to power-off, and as a last resort pvshim
 * halts with interrupts off.
 */
#include <pvshim/status.h>
#include <pvshim/l0.h>
#include <pvshim/console.h>
#include <pvshim/acpi.h>
#include <pvshim/log.h>
#include <pvshim/string.h>
#include <pvshim/time.h>
#include "x86.h"
#include "arch.h"
#include <pvshim/layout.h>
#include <pvshim/paging.h>

#define DEBUG_EXIT_PORT 0xf4
#define SLP_EN          (1u << 13)

static NORETURN void halt_forever(void)
{
    for (;;) {
        irq_disable();
        __asm__ volatile("hlt");
    }
}

/* The sleep control register's page, mapped at boot: exits may come from anywhere. */
#define SLEEP_CTL_VIRT  (MMIO_VIRT_START + 2 * PAGE_SIZE)
#define SLEEP_CTL_SLP_EN    (1u << 5)
static volatile uint8_t *sleep_ctl_mmio;

void power_init(void)
{
    if (acpi.pm1a_cnt || !acpi.have_sleep_ctl || acpi.sleep_ctl_space != 0)
        return;
    paging_map(SLEEP_CTL_VIRT, acpi.sleep_ctl_addr & PAGE_MASK, PAGE_SIZE,
               PTE_RW | PTE_PCD | PTE_PWT | PTE_NX);
    sleep_ctl_mmio = (volatile uint8_t *)(SLEEP_CTL_VIRT + (acpi.sleep_ctl_addr & ~PAGE_MASK));
}

#define ACPI_POWEROFF_WAIT_US 5000000ull

static void acpi_poweroff(void)
{
    if (!acpi.have_s5)
        return;
    if (!acpi.pm1a_cnt) {
        /* Hardware-reduced ACPI: SLP_TYP in bits 2-4 of the sleep control register. */
        uint8_t v = (uint8_t)(((acpi.slp_typa & 7) << 2) | SLEEP_CTL_SLP_EN);
        if (sleep_ctl_mmio)
            *sleep_ctl_mmio = v;
        else if (acpi.have_sleep_ctl && acpi.sleep_ctl_space == 1)
            outb((uint16_t)acpi.sleep_ctl_addr, v);
        else
            return;
        udelay(100000);
        return;
    }
    outw(acpi.pm1a_cnt, (uint16_t)((acpi.slp_typa << 10) | SLP_EN));
    if (acpi.pm1b_cnt)
        outw(acpi.pm1b_cnt, (uint16_t)((acpi.slp_typb << 10) | SLP_EN));
    /*
     * QEMU acts on the write in its main loop, after this CPU goes on: on
     * a loaded host that took longer than 100 ms (tests then saw status
     * 1). With S5 found the wait ends in power-off; only a broken one waits.
     */
    udelay(ACPI_POWEROFF_WAIT_US);
}

static void hardware_reset(void)
{
    if (acpi.have_reset && acpi.reset_space == 1)   /* system I/O space */
        outb((uint16_t)acpi.reset_addr, acpi.reset_value);
    udelay(10000);
    outb(0xcf9, 0x06);                              /* PCI reset control */
    udelay(10000);
    for (int i = 0; i < 1000 && (inb(0x64) & 2); i++)
        udelay(10);
    outb(0x64, 0xfe);                               /* keyboard controller pulse */
    udelay(10000);
}

void machine_exit(enum pvshim_exit reason)
{
    irq_disable();
    log_exit(reason);
    if (l0_active()) {
        /* On a Xen: the reason goes to it; the log to its own if xl cannot show it. */
        if (!l0_console_up())
            xen_l0_dump_early_log();
        l0_shutdown(reason);
    }
    if (reason == EXIT_POWEROFF) {
        acpi_poweroff();
        /* No ACPI power-off (microvm with acpi=off): isa-debug-exit's status 1. */
        log_warn("no ACPI power-off; ending through isa-debug-exit (QEMU status 1)");
        outb(DEBUG_EXIT_PORT, (uint8_t)reason);
        log_err("no way to power off; halting");
        halt_forever();
    }
    outb(DEBUG_EXIT_PORT, (uint8_t)reason);
    /* Still here: no isa-debug-exit device. */
    if (reason == EXIT_REBOOT)
        hardware_reset();
    log_warn("no isa-debug-exit device; powering off instead");
    acpi_poweroff();
    log_err("power-off did not take effect; halting");
    halt_forever();
}
