/*
 * Debug registers for the PV guest: the set_debugreg/get_debugreg
 * hypercalls and MOV to/from DRn, with Xen's validation (pv/misc-
 * hypercalls.c set_debugreg, x86_emulate.c x86emul_read_dr).
 *
 * Storage in current->debugreg: [0-3] breakpoint addresses, [6] DR6,
 * [7] DR7 as loaded into hardware, [5] the DR7 enable bits of I/O
 * breakpoints, which pvshim keeps out of hardware and checks itself when
 * it emulates port I/O (emulate_io.c).
 */
#include <pvshim/hw.h>
#include <pvshim/xen_abi.h>
#include "domain.h"
#include "hypercalls.h"
#include "emulate.h"
#include "emulate_internal.h"

/* A breakpoint may not point into pvshim's range (Xen's breakpoint_addr_ok). */
static bool breakpoint_addr_ok(uint64_t a)
{
    return a < (1ull << 47) || a >= 0xffff880000000000ull;
}

static long set_dr6(uint64_t value)
{
    if (value != (uint32_t)value)
        return -XEN_EINVAL;
    value = (value & DR6_KNOWN_MASK) | DR6_RESERVED_ONE;
    current->debugreg[6] = value;
    hw_set_debugreg(6, value);
    return 0;
}

static long set_dr7(uint64_t value)
{
    if (value != (uint32_t)value)
        return -XEN_EINVAL;
    value = (value & DR7_KNOWN_MASK) | DR7_RESERVED_ONE;
    if (value & DR7_GENERAL_DETECT)
        return -XEN_EPERM;

    uint64_t io_enable = 0;
    if (value & DR7_ACTIVE_MASK) {
        for (unsigned i = 0; i < 4; i++) {
            if (((value >> (16 + i * 4)) & 3) != DR7_RW_IO)
                continue;
            /* I/O breakpoints exist only with CR4.DE. */
            if (!(pv_emul.cr4 & X86_CR4_DE))
                return -XEN_EPERM;
            io_enable |= value & (3ull << (i * 2));
        }
    }
    current->debugreg[DR_IO_EMUL_SLOT] = io_enable;
    value &= ~io_enable;
    current->debugreg[7] = value;
    hw_set_debugreg(7, value);
    return 0;
}

long pv_set_debugreg(unsigned int reg, uint64_t value)
{
    switch (reg) {
    case 0: case 1: case 2: case 3:
        if (!breakpoint_addr_ok(value))
            return -XEN_EPERM;
        current->debugreg[reg] = value;
        hw_set_debugreg(reg, value);
        return 0;
    case 4:
        if (pv_emul.cr4 & X86_CR4_DE)
            return -XEN_ENODEV;
        return set_dr6(value);          /* DR4 aliases DR6 without CR4.DE */
    case 6:
        return set_dr6(value);
    case 5:
        if (pv_emul.cr4 & X86_CR4_DE)
            return -XEN_ENODEV;
        return set_dr7(value);          /* DR5 aliases DR7 without CR4.DE */
    case 7:
        return set_dr7(value);
    default:
        return -XEN_ENODEV;
    }
}

bool pv_get_debugreg(unsigned int reg, uint64_t *value)
{
    switch (reg) {
    case 0: case 1: case 2: case 3:
        *value = current->debugreg[reg];
        return true;
    case 4:
        if (pv_emul.cr4 & X86_CR4_DE)
            return false;
        /* fall through */
    case 6:
        *value = current->debugreg[6] | DR6_RESERVED_ONE;
        return true;
    case 5:
        if (pv_emul.cr4 & X86_CR4_DE)
            return false;
        /* fall through */
    case 7:
        *value = current->debugreg[7] | current->debugreg[DR_IO_EMUL_SLOT] |
                 DR7_RESERVED_ONE;
        return true;
    default:
        return false;
    }
}

long do_set_debugreg(int reg, uint64_t value)
{
    return pv_set_debugreg((unsigned int)reg, value);
}

long do_get_debugreg(int reg)
{
    uint64_t v;
    if (!pv_get_debugreg((unsigned int)reg, &v))
        return -XEN_ENODEV;
    return (long)v;
}
