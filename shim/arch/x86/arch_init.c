/* The arch layer's part of the boot sequence. */
#include <pvshim/arch.h>
#include <pvshim/acpi.h>
#include <pvshim/paging.h>
#include <pvshim/phys.h>
#include <pvshim/platform.h>
#include <pvshim/l0.h>
#include <pvshim/time.h>
#include <pvshim/log.h>
#include <pvshim/status.h>
#include <pvshim/string.h>
#include "x86.h"
#include "arch.h"

void arch_early_console_init(void)
{
    debugcon_init();
    uart16550_init();
}

void arch_cpu_detect(void)
{
    cpu_detect();
    platform_detect();
    xen_l0_attach();
}

/* CMOS registers QEMU and most firmware fill: RAM below 16M, above 16M, above 4G. */
static uint8_t cmos_read(uint8_t reg)
{
    outb(0x70, reg);
    return inb(0x71);
}

void arch_fallback_memmap(struct memmap *m)
{
    uint64_t ext_kib = cmos_read(0x30) | ((uint64_t)cmos_read(0x31) << 8);
    uint64_t above16m = (cmos_read(0x34) | ((uint64_t)cmos_read(0x35) << 8)) << 16;
    uint64_t above4g = ((uint64_t)cmos_read(0x5b) | ((uint64_t)cmos_read(0x5c) << 8) |
                        ((uint64_t)cmos_read(0x5d) << 16)) << 16;
    memmap_add(m, 0, KiB(640), MEM_RAM);
    if (above16m)
        memmap_add(m, MiB(1), MiB(15) + above16m, MEM_RAM);
    else
        memmap_add(m, MiB(1), KiB(ext_kib), MEM_RAM);
    if (above4g)
        memmap_add(m, GiB(4), above4g, MEM_RAM);
}

/*
 * Where firmware's own data below 1 MiB begins: the EBDA, or the end of
 * base memory as the BIOS data area gives them. Without a BIOS data area
 * (a PVH domain of Xen has no BIOS) the memory map alone says.
 */
paddr_t arch_low_ram_end(void)
{
    const uint16_t *bda = phys_access(0x400, 0x20);
    if (!bda)
        return 0;
    paddr_t end = MiB(1);
    uint64_t base_kib = bda[0x13 / 2];      /* 0x413: base memory in KiB */
    paddr_t ebda = (paddr_t)bda[0x0e / 2] << 4;
    if (base_kib >= 64 && base_kib <= 640)
        end = KiB(base_kib);
    if (ebda >= KiB(64) && ebda < end)
        end = ebda;
    return end;
}

void arch_init(const struct memmap *m, paddr_t rsdp)
{
    acpi_parse(rsdp, &acpi);        /* before the boot window closes */
    if (!acpi.ioapic_addr)
        mptable_parse(&acpi);
    paging_init(m);
    descriptors_init();
    cpu_enable_protections();
    tsc_calibrate();
    lapic_init();
    ioapic_init();
    power_init();
    uart16550_enable_input_irq();
    if (l0_active()) {
        l0_console_init();
        /* No RTC in a PVH domain: the wall clock is L0's, its shared_info
         * mapped just above RAM and 4 GiB. */
        uint64_t top = GiB(4);
        for (unsigned i = 0; i < m->nr; i++)
            if (m->e[i].start + m->e[i].size > top)
                top = m->e[i].start + m->e[i].size;
        uint64_t wc = l0_wallclock_ns((top + PAGE_SIZE - 1) >> PAGE_SHIFT);
        if (wc)
            wallclock_at_boot_ns = wc;
        if (!l0_events_init())
            log_warn("l0: event channels and grant frames stay pvshim's own");
    }
    smp_boot(m);
}

void arch_report(void)
{
    if (acpi.have_fadt) {
        log_info("acpi: rsdp %#llx, pm1a_cnt %#x, pm timer %#x, S5 %s",
                 (unsigned long long)acpi.rsdp, acpi.pm1a_cnt, acpi.pm_tmr,
                 acpi.have_s5 ? "found" : "missing");
        if (!acpi.pm1a_cnt && acpi.have_sleep_ctl)
            log_info("acpi: hardware-reduced, sleep control register at %s %#llx",
                     acpi.sleep_ctl_space ? "port" : "address",
                     (unsigned long long)acpi.sleep_ctl_addr);
    } else
        log_info("acpi: no usable tables; power-off needs isa-debug-exit");
}

static volatile unsigned selftest_ticks;

static void selftest_tick(uint64_t now)
{
    selftest_ticks++;
    timer_set_deadline(now + 1000000);
}

void arch_selftest(const char *name)
{
    if (!strcmp(name, "ud")) {
        __asm__ volatile("ud2");
    } else if (!strcmp(name, "pf")) {
        *(volatile uint64_t *)0xffff8700deadb000ull = 1;
    } else if (!strcmp(name, "gp")) {
        __asm__ volatile("movl $0xfff8, %%eax; movl %%eax, %%ds" ::: "rax");
    } else if (!strcmp(name, "panic")) {
        panic("self-test panic");
    } else if (!strcmp(name, "poweroff")) {
        machine_exit(EXIT_POWEROFF);
    } else if (!strcmp(name, "reboot")) {
        machine_exit(EXIT_REBOOT);
    } else if (!strcmp(name, "c-entry")) {
        entry_fast_enabled = false;
        log_info("selftest c-entry: the entry fast paths are off");
    } else if (!strcmp(name, "smp")) {
        smp_selftest();
    } else if (!strcmp(name, "timer")) {
        timer_set_callback(selftest_tick);
        uint64_t start = now_ns();
        timer_set_deadline(start + 1000000);
        while (selftest_ticks < 100)
            cpu_idle_wait();
        timer_set_deadline(0);
        uint64_t took = now_ns() - start;
        log_info("selftest timer: 100 ticks of 1 ms in %llu us",
                 (unsigned long long)(took / 1000));
    }
}
