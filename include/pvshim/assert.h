/*
 * ASSERT(cond): a debug check of an invariant the code relies on. A failed
 * one is a pvshim bug: it ends the VM as an internal error (status 9) with
 * the condition and where it was checked. Compiled out with -DNDEBUG.
 */
#ifndef PVSHIM_ASSERT_H
#define PVSHIM_ASSERT_H

#include <pvshim/compiler.h>
#include <pvshim/status.h>

#ifdef NDEBUG
#define ASSERT(cond) ((void)sizeof(!(cond)))
#else
#define ASSERT(cond)                                                        \
    do {                                                                    \
        if (unlikely(!(cond)))                                              \
            panic("assertion '%s' failed at %s:%d", #cond, __FILE__,        \
                  __LINE__);                                                \
    } while (0)
#endif

#endif
