/*
 * The privileged-instruction emulator over the simulated PV MMU (mm_sim),
 * as the unit tests and the emulate fuzzer both drive it.
 */
#ifndef EMULATE_MM_FIXTURE_H
#define EMULATE_MM_FIXTURE_H

/* A fresh mm_sim, the default emulator hooks, an Intel CPUID policy with
 * XCR0 up to 7, flat 64-bit kernel code at FAKE_KCODE full of NOPs and the
 * guest's #GP handler at FAKE_KCODE + 0x800. */
void emulate_mm_fixture_setup(void);

#endif
