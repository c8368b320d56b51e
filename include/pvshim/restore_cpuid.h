/*
 * A saved guest patched its code for the CPU features it saw (Linux's
 * alternatives: RDFSBASE, XSAVEOPT, AVX2 memcpy, ...), so it may only resume
 * where each of them is offered again. restore_check_cpuid compares the
 * feature words of the stream's X86_CPUID_POLICY with what pvshim offers
 * and refuses, naming every missing feature.
 *
 * Words compared: 1.ecx, 1.edx, 7/0.ebx, 7/0.ecx, 7/0.edx, 7/1.eax, 0xd/1.eax,
 * 0x80000001.ecx, 0x80000001.edx. Ignored: bits that follow a control
 * register (1.ecx OSXSAVE, 7/0.ecx OSPKE) and the hypervisor bit.
 */
#ifndef PVSHIM_RESTORE_CPUID_H
#define PVSHIM_RESTORE_CPUID_H

#include <pvshim/types.h>

/* What pvshim offers for leaf/subleaf: eax, ebx, ecx, edx. */
typedef void (*restore_cpuid_fn)(uint32_t leaf, uint32_t subleaf, uint32_t out[4]);

/*
 * policy: the record body (24-byte entries: leaf, subleaf, eax, ebx, ecx,
 * edx). 0 if every feature the guest saw is offered; else -1 with
 * "the saved guest saw CPU features pvshim does not offer here: NAME ..."
 * in err.
 */
int restore_check_cpuid(const uint8_t *policy, uint32_t len, restore_cpuid_fn offered,
                        char *err, size_t errlen);

#endif
