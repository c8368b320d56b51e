/*
 * multicall: a batch of hypercalls in one entry, for either guest width
 * (struct pv_abi): each entry is op, result and six arguments, words of
 * the ABI's width (64 bytes for a 64-bit guest, 32 for a 32-bit one, as
 * Xen's compat_multicall), each run through the ABI's own table. Each
 * entry's result is written back (as the ABI's word); a failing entry
 * does not stop the batch. A multicall inside a multicall is refused
 * (-EINVAL). An iret ends the batch, as on Xen: it is performed (the
 * guest resumes at its iret frame, perhaps in user mode), its result is
 * written back if the list can still be reached, later entries are left
 * untouched, and the multicall returns the iret's result, the RAX of the
 * frame.
 */
#include "hypercall.h"
#include "hypercalls.h"
#include "domain.h"
#include <pvshim/guest_access.h>
#include <pvshim/compiler.h>

#define MC_WORDS 8      /* op, result, args[6] */

STATIC_ASSERT(sizeof(struct multicall_entry) == MC_WORDS * sizeof(xen_ulong_t),
              "multicall entry: eight words");

/* The entry at `at` as words of the ABI's width, zero-extended; false if it cannot be read. */
static bool read_entry(const struct pv_abi *abi, uint64_t w[MC_WORDS], vaddr_t at)
{
    if (abi->word == sizeof(uint64_t))
        return copy_from_guest(w, at, MC_WORDS * sizeof(uint64_t)) == 0;
    uint32_t n[MC_WORDS];
    if (copy_from_guest(n, at, sizeof(n)))
        return false;
    for (unsigned i = 0; i < MC_WORDS; i++)
        w[i] = n[i];
    return true;
}

long multicall_run(const struct pv_abi *abi, vaddr_t call_list, uint32_t nr_calls)
{
    struct pv_vcpu *v = current;
    if (v->in_multicall)
        return -XEN_EINVAL;
    v->in_multicall = true;
    const size_t entry_size = MC_WORDS * abi->word;
    long rc = 0;
    for (uint32_t i = 0; i < nr_calls; i++) {
        uint64_t e[MC_WORDS];       /* op, result, args[6] */
        vaddr_t at = call_list + (vaddr_t)i * entry_size;
        if (!read_entry(abi, e, at)) {
            rc = -XEN_EFAULT;
            break;
        }
        uint64_t op = e[0];
        long result = hypercall_invoke(abi, op, &e[2]);
        uint64_t word = hypercall_result_word(abi, result);
        vaddr_t result_at = at + abi->word;
        if (op == __HYPERVISOR_iret) {
            /* Best effort: the list may not be mapped in user mode. */
            (void)copy_to_guest(result_at, &word, abi->word);
            rc = abi->word == sizeof(uint32_t) ? (int32_t)word : (long)word;
            break;
        }
        if (copy_to_guest(result_at, &word, abi->word)) {
            rc = -XEN_EFAULT;
            break;
        }
    }
    v->in_multicall = false;
    return rc;
}

long do_multicall(vaddr_t call_list, uint32_t nr_calls)
{
    return multicall_run(&pv64_abi, call_list, nr_calls);
}
