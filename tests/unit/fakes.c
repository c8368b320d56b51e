#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pvshim/phys.h>
#include <pvshim/log.h>
#include <pvshim/console.h>
#include <pvshim/status.h>
#include <pvshim/string.h>
#include "fakes.h"

/* ------------------------------------------------------------- memory */

#define FAKE_REGIONS 64

static struct { paddr_t pa; size_t len; uint8_t *mem; } regions[FAKE_REGIONS];
static unsigned nr_regions;

void fake_phys_reset(void)
{
    for (unsigned i = 0; i < nr_regions; i++)
        free(regions[i].mem);
    nr_regions = 0;
}

void *fake_phys_add(paddr_t pa, size_t len)
{
    if (nr_regions == FAKE_REGIONS)
        abort();
    uint8_t *mem = calloc(1, len ? len : 1);
    regions[nr_regions++] = (typeof(regions[0])){ pa, len, mem };
    return mem;
}

/* Empty: every frame is looked up in the regions. */
struct phys_window phys_window;

void *phys_access(paddr_t pa, size_t len)
{
    if (pa + len < pa)
        return NULL;
    for (unsigned i = 0; i < nr_regions; i++)
        if (regions[i].pa <= pa && pa + len <= regions[i].pa + regions[i].len)
            return regions[i].mem + (pa - regions[i].pa);
    return NULL;
}

paddr_t phys_of(const void *p)
{
    const uint8_t *b = p;
    for (unsigned i = 0; i < nr_regions; i++)
        if (regions[i].mem <= b && b < regions[i].mem + regions[i].len)
            return regions[i].pa + (paddr_t)(b - regions[i].mem);
    abort();
}

/* ------------------------------------------------------------- log */

/* The real console.c runs; this sink captures what reaches it. */
int fake_log_echo;
static char log_buf[1 << 16];
static size_t log_len;

const char *fake_log_text(void)
{
    return log_buf;
}

void fake_log_reset(void)
{
    log_len = 0;
    log_buf[0] = '\0';
}

static void capture_write(const char *s, size_t len)
{
    if (fake_log_echo)
        fwrite(s, 1, len, stderr);
    size_t room = sizeof(log_buf) - 1 - log_len;
    if (len > room)
        len = room;
    memcpy(log_buf + log_len, s, len);
    log_len += len;
    log_buf[log_len] = '\0';
}

static const struct console_sink capture_sink = {
    .kind = CONSOLE_COM1,
    .name = "capture",
    .write = capture_write,
};

__attribute__((constructor)) static void fake_console_init(void)
{
    console_register(&capture_sink);
    log_threshold = LOG_DEBUG;
}

/* ------------------------------------------------------------- exit */

void (*fake_exit_hook)(enum pvshim_exit reason);

void machine_exit(enum pvshim_exit reason)
{
    if (fake_exit_hook)
        fake_exit_hook(reason);
    fflush(stderr);
    exit(FAKE_EXIT_BASE + (int)reason);
}

void (*fake_idle_forever_hook)(void);

void abort_idle_forever(void)
{
    if (fake_idle_forever_hook)
        fake_idle_forever_hook();
    fprintf(stderr, "fake: idle wait with no timer armed would hang forever\n");
    abort();
}

/* ------------------------------------------------------------- CPUs */

#include "domain.h"

/* One physical CPU running vCPU 0, as pvshim on a uniprocessor VM; tests
 * of several vCPUs move it to another vCPU (fake_run_vcpu). */
static struct pcpu fake_pcpu = { .curr = &dom.vcpu[0] };

struct pcpu *this_pcpu(void)
{
    return &fake_pcpu;
}

void fake_run_vcpu(unsigned id)
{
    fake_pcpu.curr = &dom.vcpu[id];
    fake_pcpu.id = id;
}

/* One CPU: no other CPU to call; kicks of others are recorded. */
void smp_serve_calls(void)
{
}

void smp_kick(unsigned n)
{
    if (n != fake_pcpu.id && n < 64)
        fake_hw.kick_mask |= 1ull << n;
}

/* Other CPUs' flushes are recorded: their vCPUs' TLBs are not simulated. */
void smp_flush_tlb(uint64_t cpumask)
{
    fake_hw.remote_flush_mask |= cpumask;
    fake_hw.remote_flushes++;
}

void smp_invlpg(uint64_t cpumask, vaddr_t va)
{
    fake_hw.remote_invlpg_mask |= cpumask;
    fake_hw.remote_invlpgs++;
    fake_hw.last_remote_invlpg = va;
}
