/*
 * Hypercalls through the hypercall page Xen filled in (XEN_ELFNOTE_
 * HYPERCALL_PAGE), shared by our PV test guests: stub N is at
 * hypercall_page + 32 * N. Arguments go in RDI, RSI, RDX, R10, R8; the
 * result comes back in RAX. The argument registers are treated as
 * clobbered, the stubs keep RCX and R11.
 */
#ifndef GUEST_HYPERCALL_PAGE_H
#define GUEST_HYPERCALL_PAGE_H

extern char hypercall_page[4096];

/* The arguments are evaluated before any register variable is set: a
 * function call among them would clobber the registers already loaded. */
#define hypercall5(nr, a1, a2, a3, a4, a5) ({                               \
    long _v1 = (long)(a1), _v2 = (long)(a2), _v3 = (long)(a3);              \
    long _v4 = (long)(a4), _v5 = (long)(a5);                                \
    register long _a1 asm("rdi") = _v1;                                     \
    register long _a2 asm("rsi") = _v2;                                     \
    register long _a3 asm("rdx") = _v3;                                     \
    register long _a4 asm("r10") = _v4;                                     \
    register long _a5 asm("r8") = _v5;                                      \
    long _ret;                                                              \
    asm volatile("call hypercall_page + %c[off]"                            \
                 : "=a"(_ret), "+r"(_a1), "+r"(_a2), "+r"(_a3), "+r"(_a4),  \
                   "+r"(_a5)                                                \
                 : [off] "i"((nr) * 32)                                     \
                 : "memory", "r9");                                         \
    _ret; })

#define hypercall0(nr)                 hypercall5(nr, 0, 0, 0, 0, 0)
#define hypercall1(nr, a)              hypercall5(nr, a, 0, 0, 0, 0)
#define hypercall2(nr, a, b)           hypercall5(nr, a, b, 0, 0, 0)
#define hypercall3(nr, a, b, c)        hypercall5(nr, a, b, c, 0, 0)
#define hypercall4(nr, a, b, c, d)     hypercall5(nr, a, b, c, d, 0)

#endif
