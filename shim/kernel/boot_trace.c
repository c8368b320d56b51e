#include <pvshim/boot_trace.h>
#include <pvshim/log.h>
#include <pvshim/time.h>

#define BOOT_PHASES_MAX 12

static struct boot_phase {
    const char *name;
    uint64_t tsc;
} boot_phases[BOOT_PHASES_MAX];
static unsigned nr_boot_phases;

void boot_phase(const char *name)
{
    if (nr_boot_phases < BOOT_PHASES_MAX)
        boot_phases[nr_boot_phases++] = (struct boot_phase){ name, read_tsc() };
}

void boot_phase_report(void)
{
    log_info("trace=boot: tsc %llu kHz", (unsigned long long)tsc_khz);
    for (unsigned i = 0; i < nr_boot_phases; i++)
        log_info("trace=boot: phase %s tsc=%llu ns=%llu", boot_phases[i].name,
                 (unsigned long long)boot_phases[i].tsc,
                 (unsigned long long)tsc_to_ns(boot_phases[i].tsc));
}
