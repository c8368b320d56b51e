/*
 * Host stand-ins for the kernel's hardware-facing interfaces, so portable
 * code runs unchanged in unit tests and fuzzers.
 */
#ifndef PVSHIM_FAKES_H
#define PVSHIM_FAKES_H

#include <pvshim/types.h>

/* Simulated machine memory: regions of "physical" addresses backed by host memory. */
void fake_phys_reset(void);
/* Back [pa, pa + len) with zeroed host memory and return it. */
void *fake_phys_add(paddr_t pa, size_t len);

/* The log lines portable code produced since the last reset, '\n'-separated. */
const char *fake_log_text(void);
void fake_log_reset(void);
/* Echo log lines to stderr as well (default off; PVSHIM_TEST_LOG=1 turns it on). */
extern int fake_log_echo;

/* machine_exit() in tests ends the process with this base plus the reason. */
#define FAKE_EXIT_BASE 100

#endif
