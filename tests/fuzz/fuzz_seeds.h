/*
 * The input encodings of the sequence harnesses (fuzz_mmu.c,
 * fuzz_hypercall.c), shared with the seed generator (make_seeds.c,
 * op_seeds.c), which writes short meaningful programs in them.
 *
 * fuzz_mmu: one flags byte (bit 0: writable page tables assist), then
 * operations, each an opcode byte (MOP_*, modulo MOP_COUNT) and its
 * operands. Frames are one byte (see fuzz_mmu.c pick_mfn: 0-47 the guest
 * pool, others pvshim, I/O, free and out-of-range frames), entries a frame
 * byte and two flag bytes, virtual addresses one byte (pick_va).
 */
#ifndef PVSHIM_FUZZ_SEEDS_H
#define PVSHIM_FUZZ_SEEDS_H

#include <stddef.h>

enum mmu_fuzz_op {
    MOP_PIN,            /* level byte, frame */
    MOP_UNPIN,          /* frame */
    MOP_UPDATE,         /* table frame, index u16, cmd byte, entry */
    MOP_UPDATE_BATCH,   /* n byte, pdone byte, n x (table, index, cmd, entry) */
    MOP_MMUEXT,         /* cmd byte, arg1 selector byte + operand, arg2 u32 */
    MOP_UVA,            /* va byte, entry, flags byte */
    MOP_SET_GDT,        /* n byte, entries u16, n frames */
    MOP_UPDATE_DESC,    /* frame, offset u16, descriptor selector byte (+ u64) */
    MOP_SET_LDT_MAP,    /* va byte, entries u16, page offset u16 */
    MOP_PTWR,           /* va byte, offset byte, error code byte, 16 insn bytes, regs */
    MOP_POKE,           /* frame, index u16, entry (a guest store to its own memory) */
    MOP_BASEPTR,        /* user? byte, frame */
    MOP_MODE,           /* toggles guest kernel/user mode */
    MOP_HOLD,           /* get/put byte, frame */
    MOP_BALLOON,        /* out/in byte, frame */
    MOP_BUILD,          /* frame, va byte, target frame: tree built with pokes */
    MOP_COUNT
};

/* A byte of fuzz_mmu's frame encoding for guest pool frame i (0-47). */
#define MMU_POOL(i) ((unsigned char)(i))

void seed_write(const char *harness, const char *name, const void *data, size_t len);
void op_seeds(void);

#endif
