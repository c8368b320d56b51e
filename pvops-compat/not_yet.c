/*
 * Weak fallbacks for parts being written elsewhere; their real definitions
 * replace these. Remove each once its implementation has landed.
 */
#include "emulate.h"
#include "hypercalls.h"
#include <pvshim/xen_abi.h>

__attribute__((weak)) bool pv_emulate_privileged_op(struct cpu_regs *regs) { (void)regs; return false; }
__attribute__((weak)) bool pv_emulate_invalid_op(struct cpu_regs *regs) { (void)regs; return false; }
__attribute__((weak)) bool pv_ptwr_fault(struct cpu_regs *regs, uint64_t cr2, uint64_t ec)
{
    (void)regs; (void)cr2; (void)ec;
    return false;
}
__attribute__((weak)) long do_mmu_update(vaddr_t a, unsigned int b, vaddr_t c, unsigned int d)
{ (void)a; (void)b; (void)c; (void)d; return -XEN_ENOSYS; }
__attribute__((weak)) long do_mmuext_op(vaddr_t a, unsigned int b, vaddr_t c, unsigned int d)
{ (void)a; (void)b; (void)c; (void)d; return -XEN_ENOSYS; }
__attribute__((weak)) long do_update_va_mapping(vaddr_t a, uint64_t b, uint64_t c)
{ (void)a; (void)b; (void)c; return -XEN_ENOSYS; }
__attribute__((weak)) long do_update_va_mapping_otherdomain(vaddr_t a, uint64_t b, uint64_t c, unsigned int d)
{ (void)a; (void)b; (void)c; (void)d; return -XEN_ENOSYS; }
__attribute__((weak)) long do_set_gdt(vaddr_t a, unsigned int b) { (void)a; (void)b; return -XEN_ENOSYS; }
__attribute__((weak)) long do_update_descriptor(uint64_t a, uint64_t b) { (void)a; (void)b; return -XEN_ENOSYS; }
__attribute__((weak)) long do_set_debugreg(int a, uint64_t b) { (void)a; (void)b; return -XEN_ENOSYS; }
__attribute__((weak)) long do_get_debugreg(int a) { (void)a; return -XEN_ENOSYS; }

#include "mm_glue.h"
__attribute__((weak)) int pv_mm_get_writable_frame(mfn_t mfn) { (void)mfn; return -XEN_EINVAL; }
__attribute__((weak)) void pv_mm_put_writable_frame(mfn_t mfn) { (void)mfn; }
__attribute__((weak)) int pv_mm_release_frame(mfn_t mfn) { (void)mfn; return -XEN_EINVAL; }
__attribute__((weak)) void pv_mm_assign_frame(mfn_t mfn) { (void)mfn; }
__attribute__((weak)) size_t pv_mm_frame_table_bytes(mfn_t max_mfn) { (void)max_mfn; return 0; }
__attribute__((weak)) void pv_mm_init(void *t, mfn_t m, uint64_t *m2p, const uint64_t *h)
{ (void)t; (void)m; (void)m2p; (void)h; }
__attribute__((weak)) int pv_mm_start_guest(mfn_t l4) { (void)l4; return 0; }
