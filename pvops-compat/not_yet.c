/*
 * Weak fallbacks for parts being written elsewhere; their real definitions
 * replace these. Remove each once its implementation has landed.
 */
#include "emulate.h"
#include "hypercalls.h"
#include <pvshim/xen_abi.h>

__attribute__((weak)) bool pv_emulate_privileged_op(struct cpu_regs *regs) { (void)regs; return false; }
__attribute__((weak)) bool pv_emulate_invalid_op(struct cpu_regs *regs) { (void)regs; return false; }
__attribute__((weak)) long do_set_debugreg(int a, uint64_t b) { (void)a; (void)b; return -XEN_ENOSYS; }
__attribute__((weak)) long do_get_debugreg(int a) { (void)a; return -XEN_ENOSYS; }
