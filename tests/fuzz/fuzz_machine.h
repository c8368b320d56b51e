/*
 * The fuzzed domain the hypercall harnesses run on (tests/fuzz/machine.c):
 * the PV MMU tests' machine, a shared_info page, a free-frame pool for
 * populate_physmap, events, timers and time live, watchdogs of a previous
 * input freed, a kernel stack at FUZZ_STACK_VA. 64-bit (fuzz_hypercall.c):
 * one vCPU, an empty pinned kernel L4. 32-bit PAE (fuzz_compat.c): two
 * vCPUs (vCPU 1 not initialised), a pinned L3 as the root and the
 * translation area mapped. The harness sets its own registers.
 */
#ifndef FUZZ_MACHINE_H
#define FUZZ_MACHINE_H

#include <stdbool.h>
#include <stdint.h>
#include <pvshim/status.h>
#include "mm_sim.h"

#define FUZZ_STACK_VA   0x20000000u
#define FUZZ_STACK_SIZE 0x2000
#define FUZZ_SHINFO_MFN SIM_FREE_FIRST

extern uint8_t fuzz_stack[FUZZ_STACK_SIZE];    /* host view of FUZZ_STACK_VA */

/* A fresh machine; on_exit and on_idle_forever become the fakes' hooks. */
void fuzz_machine_setup(bool compat, void (*on_exit)(enum pvshim_exit reason),
                        void (*on_idle_forever)(void));

#endif
