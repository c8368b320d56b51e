/*
 * Port I/O from the guest: IN, OUT, INS, OUTS. Permission as Xen's
 * guest_io_okay (virtual IOPL, then the guest's I/O bitmap); the data as
 * Xen's guest_io_read/guest_io_write give a domU without I/O port access:
 * reads are all ones except the latched RTC index (0x70) and PCI
 * CONFIG_ADDRESS (0xcf8, dword), writes only latch those two. The guest
 * never reaches a hardware port from here.
 */
#include <pvshim/compiler.h>
#include <pvshim/guest_access.h>
#include <pvshim/hw.h>
#include <pvshim/xen_abi.h>
#include "domain.h"
#include "emulate.h"
#include "emulate_internal.h"

/* At most this many REP iterations per trap; the guest re-executes for more. */
#define REP_BATCH 1024

#define RTC_INDEX_PORT  0x70
#define RTC_DATA_PORT   0x71
#define PCI_CF8_PORT    0xcf8

/*
 * Read the guest's I/O bitmap byte at va. From guest user mode the bitmap
 * (a kernel address) is reached through the kernel page tables, as Xen's
 * toggle_guest_pt does. Unreadable bytes deny access.
 */
static uint8_t iobmp_byte(vaddr_t va)
{
    uint8_t b = 0xff;
    if (current->kernel_mode) {
        if (copy_from_guest(&b, va, 1))
            b = 0xff;
        return b;
    }
    if (current->guest_table == INVALID_MFN)
        return 0xff;
    paddr_t saved = hw_current_cr3();
    hw_load_cr3(mfn_to_paddr(current->guest_table));
    if (copy_from_guest(&b, va, 1))
        b = 0xff;
    hw_load_cr3(saved);
    return b;
}

static bool guest_io_okay(unsigned port, unsigned bytes)
{
    if (pv_emul_iopl_ok())
        return true;
    if (port + bytes > current->iobmp_limit)
        return false;
    uint16_t bits = iobmp_byte(current->iobmp + (port >> 3)) |
                    (uint16_t)iobmp_byte(current->iobmp + (port >> 3) + 1) << 8;
    return (bits & (((1u << bytes) - 1) << (port & 7))) == 0;
}

/* Emulated I/O breakpoints (DR7 R/W = 10 with CR4.DE), as Xen checks them. */
static unsigned io_breakpoints(unsigned port, unsigned len)
{
    uint64_t enables = current->debugreg[DR_IO_EMUL_SLOT];
    unsigned match = 0;

    if (!enables || !(pv_emul.cr4 & X86_CR4_DE))
        return 0;
    for (unsigned i = 0; i < 4; i++) {
        if (!(enables & (3u << (i * 2))))
            continue;
        unsigned width;
        switch ((current->debugreg[7] >> (16 + i * 4)) & 0xc) {
        case 0x0: width = 1; break;
        case 0x4: width = 2; break;
        case 0xc: width = 4; break;
        default:  width = 8; break;
        }
        uint64_t start = current->debugreg[i] & ~(uint64_t)(width - 1);
        if (start < port + len && start + width > port)
            match |= 1u << i;
    }
    return match;
}

static uint32_t guest_io_read(unsigned port, unsigned bytes)
{
    uint32_t data = 0;
    unsigned shift = 0;

    while (bytes) {
        unsigned size = 1;
        uint32_t sub = ~0u;

        if (port == RTC_INDEX_PORT) {
            sub = pv_emul.cmos_index;
        } else if (port == PCI_CF8_PORT && bytes == 4) {
            size = 4;
            sub = pv_emul.pci_cf8;
        } else if ((port & 0xfffc) == 0xcfc) {
            /* Config data: not a hardware domain, so no device answers. */
            size = MIN(bytes, 4 - (port & 3));
            if (size == 3)
                size = 2;
        }
        /* PIT 0x42/0x43/0x61 (no vPIT for a domU), RTC data and the rest: ~0. */
        if (size == 4)
            return sub;
        data |= (sub & ((1u << (size * 8)) - 1)) << shift;
        shift += size * 8;
        port += size;
        bytes -= size;
    }
    return data;
}

static void guest_io_write(unsigned port, unsigned bytes, uint32_t data)
{
    while (bytes) {
        unsigned size = 1;

        if (port == RTC_INDEX_PORT) {
            pv_emul.cmos_index = (uint8_t)data;
        } else if (port == PCI_CF8_PORT && bytes == 4) {
            pv_emul.pci_cf8 = data;
            return;
        } else if ((port & 0xfffc) == 0xcfc) {
            size = MIN(bytes, 4 - (port & 3));
            if (size == 3)
                size = 2;
        }
        if (size == 4)
            return;
        port += size;
        bytes -= size;
        data = size < 4 ? data >> (size * 8) : 0;
    }
}

/* Operand size of an I/O instruction: byte forms, else 2 or 4 (REX.W is 4). */
static unsigned io_size(const struct x86_insn *insn)
{
    if (!(insn->opcode & 1))
        return 1;
    return insn->op_size == 2 ? 2 : 4;
}

static uint64_t addr_reg_read(const struct cpu_regs *regs, unsigned reg, unsigned asize)
{
    return x86_gpr_read(regs, reg, asize, true);
}

static uint64_t seg_base(enum x86_seg seg)
{
    switch (seg) {
    case X86_SEG_FS: return hw_get_fs_base();
    case X86_SEG_GS: return hw_get_gs_base();   /* the active one: this mode's */
    default:         return 0;                  /* flat in 64-bit mode */
    }
}

/*
 * The first byte of [va, va + len) that cannot be accessed: the #PF
 * address. Writability is probed by writing back the byte just read, which
 * changes nothing (the guest's only vCPU is stopped while pvshim runs).
 */
static vaddr_t fault_address(vaddr_t va, unsigned len, bool write)
{
    for (unsigned i = 0; i < len; i++) {
        uint8_t b = 0;
        int rc = copy_from_guest(&b, va + i, 1);
        if (!rc && write)
            rc = copy_to_guest(va + i, &b, 1);
        if (rc)
            return va + i;
    }
    return va;
}

static enum emul_result string_io(const struct x86_insn *insn, struct cpu_regs *regs,
                                  unsigned port, unsigned size, unsigned *bpmatch)
{
    bool ins = insn->opcode <= 0x6d;
    unsigned asize = insn->addr_size;
    bool rep = insn->rep || insn->repne;

    /* Non-flat segments in compatibility mode are not modelled. */
    if (insn->mode != X86_MODE_64)
        return EMUL_GP;

    uint64_t count = rep ? addr_reg_read(regs, X86_RCX, asize) : 1;
    if (count == 0) {
        /* Nothing to do, but 32-bit addressing still zero-extends. */
        if (asize == 4) {
            regs->rcx = (uint32_t)regs->rcx;
            if (ins)
                regs->rdi = (uint32_t)regs->rdi;
            else
                regs->rsi = (uint32_t)regs->rsi;
        }
        return EMUL_ADVANCE;
    }
    if (!guest_io_okay(port, size))
        return EMUL_GP;
    *bpmatch = io_breakpoints(port, size);

    uint64_t todo = count;
    if (todo > REP_BATCH)
        todo = REP_BATCH;
    if (regs->rflags & X86_EFLAGS_TF || *bpmatch)
        todo = 1;                       /* one iteration per #DB */

    unsigned areg = ins ? X86_RDI : X86_RSI;
    enum x86_seg seg = ins ? X86_SEG_ES : x86_insn_mem_seg(insn);
    uint64_t base = ins ? 0 : seg_base(seg);
    int64_t step = (regs->rflags & X86_EFLAGS_DF) ? -(int64_t)size : (int64_t)size;

    for (uint64_t done = 0; done < todo; done++) {
        uint64_t off = addr_reg_read(regs, areg, asize);
        vaddr_t va = base + off;
        if (!guest_range_ok(va, size))
            return EMUL_GP;             /* non-canonical or pvshim's: #GP(0) */

        uint32_t data = 0;
        if (ins) {
            data = guest_io_read(port, size);
            if (copy_to_guest(va, &data, size)) {
                pv_emul_ops.inject_page_fault(regs, PFEC_WRITE, fault_address(va, size, true));
                return EMUL_EXCEPTION;
            }
        } else {
            if (copy_from_guest(&data, va, size)) {
                pv_emul_ops.inject_page_fault(regs, 0, fault_address(va, size, false));
                return EMUL_EXCEPTION;
            }
            guest_io_write(port, size, data);
        }
        x86_gpr_write(regs, areg, asize, true, off + (uint64_t)step);
        if (rep)
            x86_gpr_write(regs, X86_RCX, asize, true,
                          addr_reg_read(regs, X86_RCX, asize) - 1);
    }

    if (rep && addr_reg_read(regs, X86_RCX, asize) != 0)
        return EMUL_STAY;               /* more to do: the guest runs it again */
    return EMUL_ADVANCE;
}

enum emul_result pv_emul_io(const struct x86_insn *insn, struct cpu_regs *regs,
                            unsigned *bpmatch)
{
    unsigned size = io_size(insn);
    uint8_t op = insn->opcode;

    if (op >= 0x6c && op <= 0x6f)
        return string_io(insn, regs, (uint16_t)regs->rdx, size, bpmatch);

    unsigned port = op < 0xe8 ? (uint8_t)insn->imm : (uint16_t)regs->rdx;
    if (!guest_io_okay(port, size))
        return EMUL_GP;
    *bpmatch = io_breakpoints(port, size);

    if (op & 2) {
        guest_io_write(port, size, (uint32_t)regs->rax);
    } else {
        uint32_t v = guest_io_read(port, size);
        x86_gpr_write(regs, X86_RAX, size, true, v);
    }
    return EMUL_ADVANCE;
}
