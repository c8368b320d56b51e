/*
 * trace=boot: the TSC at each of pvshim's boot phases, recorded from the
 * first C instruction on (before the option is even read) and printed just
 * before entering the guest. Under QEMU -icount the TSC counts virtual
 * nanoseconds since power-on, so these are absolute boot times.
 */
#ifndef PVSHIM_BOOT_TRACE_H
#define PVSHIM_BOOT_TRACE_H

/* Record that the phase ending here is done; name must be a literal. */
void boot_phase(const char *name);

/* Print the phases (the caller checks trace=boot). */
void boot_phase_report(void);

#endif
