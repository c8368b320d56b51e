/*
 * pvhostile32: pvhostile64's idea for the 32-bit PAE ABI. A seeded PRNG
 * throws at pvshim's compat seam what a hostile i686 PV kernel could:
 * `int $0x82` with any number and 32-bit arguments, mmu_update and mmuext
 * on 8-byte PAE entries, PTEs stored in halves through the read-only
 * mapping of an L1 (ptwr), 32-bit descriptors and GDT frame lists,
 * 32-byte multicall entries, grant, vcpu and event operations in their
 * 32-bit layouts, callbacks and trap tables, forged HYPERVISOR_iret
 * frames; on every vCPU at once with smp=N. It survives by never aiming
 * at what it runs on (its image, stacks and live tables outside the
 * sacrificial range) and by restoring what an attack replaced. At the end
 * it checks pvshim still answers as at the start and prints
 * "pvhostile32: N operations, pvshim healthy".
 *
 * It reuses pvtest32's console, page-table walker and hypercall macros
 * (tests/guests/pvtest32: lib.c, mm.c, pvtest32.h).
 */
#ifndef HOSTILE32_H
#define HOSTILE32_H

#include "../pvtest32/pvtest32.h"

#define PG              PG_SIZE
#define M2P_VA          0xf5800000u     /* the compat M2P: read-only to us */
#define HOLE_VA         0xf6800000u     /* the rest of the hypervisor hole */
#define SAC_PAGES       48              /* the last pages of the region, ours to remap */
#define RACE_VAS        16              /* the top of them given over to racing */
#define MAX_CPUS        8
#define RACE_FRAMES     16              /* the pool the vCPUs race on */

/* ---- head.asm */
struct hj_ctx { uint32_t ebx, esi, edi, ebp, esp, eip; };
int hj_setjmp(struct hj_ctx *c) __attribute__((returns_twice));
void hj_longjmp(struct hj_ctx *c) __attribute__((noreturn));
/* `int $0x82` with any number: no stub of the page needed. */
long hc_int82(uint32_t nr, uint32_t a1, uint32_t a2, uint32_t a3, uint32_t a4, uint32_t a5);
/* HYPERVISOR_iret of the frame [eax eip cs eflags esp ss]: never returns. */
void forge_iret(uint32_t eax, uint32_t eip, uint32_t cs, uint32_t eflags, uint32_t esp,
                uint32_t ss) __attribute__((noreturn));
extern char iret_landing[], hypervisor_callback[], failsafe_callback[];
extern char trap_stubs[];               /* 20 stubs, 16 bytes apart */
#define TRAP_STUB(v)    ((uint32_t)trap_stubs + 16 * (v))

/* ---- main.c: the world the attacks run in */
extern uint32_t sac_va;                 /* SAC_PAGES pages, the last RACE_VAS for racers */
extern uint64_t *sac_l1;                /* their L1, through its read-only mapping */
extern unsigned sac_l1_first;
extern uint32_t l3_mfn, l2_mfn;       /* our L3 and its slot-3 L2 */
extern uint32_t scratch_pfn0, scratch_count;    /* frames of ours mapped nowhere */
extern uint32_t pool_mfn[RACE_FRAMES];
#define ARG_BUF_SIZE    32768
extern uint8_t *const arg_buf_p;        /* ARG_BUF_SIZE bytes, then an unmapped guard page */
#define arg_buf arg_buf_p
extern uint32_t guard_va;
extern volatile unsigned failures;
void fail(const char *what, uint64_t a, uint64_t b);
bool is_pt_mfn(uint32_t mfn);           /* one of our live tables */
bool is_our_mfn(uint32_t mfn);          /* a frame of the initial region */
bool is_pool_mfn(uint32_t mfn);
void restore_state(unsigned cpu);
void poweroff(unsigned reason) __attribute__((noreturn));
extern const struct trap_info hostile_traps[];

/* Per-vCPU: the random stream, the recovery point, what was taken. */
struct cpu_state {
    uint64_t rng;
    struct hj_ctx recover;
    volatile bool recovering;
    unsigned long traps, events, ops;
};
extern struct cpu_state cpus[MAX_CPUS];
uint64_t rnd(unsigned cpu);
/* Below n (at most 2^32) by scaling the high word: no 64-bit division on i686. */
static inline uint64_t rnd_below(unsigned cpu, uint64_t n)
{
    return ((rnd(cpu) >> 32) * n) >> 32;
}
unsigned cpu_of_stack(const void *sp);

/* ---- attacks.c */
#define NR_OPS 16
extern unsigned long op_counts[NR_OPS];
extern const char *const op_names[NR_OPS];
void attack(void);
void scan_sacrificial(void);

/* ---- smp.c */
extern unsigned nr_cpus;
extern volatile bool race_stop;
void smp_start(unsigned want);
void smp_finish(void);
void race_op(unsigned cpu);

#endif
