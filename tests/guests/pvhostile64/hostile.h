/*
 * pvhostile64: a PV guest that attacks pvshim. A seeded PRNG picks
 * hypercalls and arguments meant to break it (pointers into pvshim and
 * unmapped memory, non-canonical ones, huge counts, bad ports and frames,
 * self-referencing multicalls, forged iret frames, page-table writes by
 * hypercall and by direct stores, broken trap handlers). The guest keeps
 * itself alive by never aiming at what it runs on (its image, stack, live
 * page tables above the sacrificial range, trap table) and by restoring
 * what an attack replaced. At the end it checks pvshim still answers as
 * before and prints "pvhostile64: N operations, pvshim healthy".
 */
#ifndef PVHOSTILE_H
#define PVHOSTILE_H

#include <pvshim/xen_abi.h>

#define VIRT_BASE   0xffffffff80000000UL
#define PG          4096UL
#define PTE_P       0x001UL
#define PTE_RW      0x002UL
#define PTE_US      0x004UL
#define PTE_A       0x020UL
#define PTE_D       0x040UL
#define PTE_ADDR    0x000ffffffffff000UL

#include "hypercall_page.h"
#define HC(nr, ...) hc_any(nr, __VA_ARGS__)

/* Any hypercall number at run time (the page's stubs are 32 bytes apart). */
long hc_any(unsigned nr, uint64_t a1, uint64_t a2, uint64_t a3, uint64_t a4, uint64_t a5);

/* ---- head.asm */
int hostile_setjmp(uint64_t ctx[8]);
void hostile_longjmp(uint64_t ctx[8]) __attribute__((noreturn));
uint64_t forge_iret(uint64_t rflags, uint64_t cs, uint64_t ss, uint64_t flags);
void pt_store_mov(uint64_t *p, uint64_t v);
uint64_t pt_store_xchg(uint64_t *p, uint64_t v);
uint64_t pt_store_cmpxchg(uint64_t *p, uint64_t old, uint64_t new_val);
void pt_store_or(uint64_t *p, uint64_t v);
void pt_store_and(uint64_t *p, uint64_t v);
void pt_store_32(uint64_t *p, uint32_t v);
void pt_store_btr(uint64_t *p, uint64_t bit);
uint64_t probe_write(volatile uint64_t *p);
uint64_t probe_read(volatile uint64_t *p);
void raise_bp(void), raise_ud(void), raise_de(void);
void load_fs_selector(uint16_t sel);
void port_out8(uint16_t port, uint8_t v), port_out16(uint16_t port, uint16_t v);
void port_out32(uint16_t port, uint32_t v);
uint8_t port_in8(uint16_t port);
uint32_t port_in32(uint16_t port);
void port_outsb(uint16_t port, const void *p, uint64_t n);
void port_insb(uint16_t port, void *p, uint64_t n);
/* What port writes would print if they reached the real serial port. */
#define PORT_LEAK_MARKER "PVHOSTILE-PORT-LEAK"

extern char trap_de[], trap_db[], trap_nmi[], trap_bp[], trap_of[], trap_br[], trap_ud[],
    trap_nm[], trap_df[], trap_ts[], trap_np[], trap_ss[], trap_gp[], trap_pf[], trap_mf[],
    trap_ac[], trap_mc[], trap_xm[], event_entry[], failsafe_entry[], syscall_entry[];

/* ---- lib.c */
#include "guest_string.h"
void print(const char *s);
void print_u(uint64_t v);
void print_x(uint64_t v);
void fail(const char *what, uint64_t a, uint64_t b);   /* "FAIL what a b" */
extern unsigned failures;
uint64_t parse_arg(const char *cmdline, const char *key, uint64_t dflt);

/* ---- the world the attacks run in (main.c) */
extern start_info_t *si;
extern struct shared_info *shinfo;
extern unsigned long *p2m;
extern unsigned long nr_pages, region_pages;
extern unsigned long sac_va, sac_pages;     /* sacrificial mapped range */
extern uint64_t *sac_l1;                    /* its L1, through its read-only mapping */
extern unsigned long sac_l1_first;          /* index in sac_l1 of sac_va */
extern unsigned long l4_mfn;
extern unsigned long scratch_pfn, scratch_count;   /* unmapped frames of ours */
struct arg_arena {
    uint8_t buf[65536];                     /* the argument buffer the attacks fill */
    uint8_t guard[4096];                    /* unmapped */
};
extern struct arg_arena arg_arena;
#define arg_buf (arg_arena.buf)
extern bool recovering;
extern uint64_t recover_ctx[8];
extern unsigned long traps_taken, events_taken;

uint64_t rnd(void);
static inline uint64_t rnd_below(uint64_t n) { return n ? rnd() % n : 0; }
bool is_pt_mfn(unsigned long mfn);
bool is_our_mfn(unsigned long mfn);      /* a frame of the initial region */
void restore_state(void);
void set_trap_table_ours(void);

/* ---- front.c: what the frontends share (xenstore, grant table, kicks) */
#define FE_WAIT_LOOPS   2000000ul       /* yields before an answer counts as missing */
extern grant_entry_v1_t *fe_gtab;
bool fe_init(void);                     /* the store ring and the grant table: false on failure */
unsigned long fe_mfn_of(const void *va);
void fe_barrier(void);
void fe_yield(void);
void fe_kick(evtchn_port_t p);
/* Send type with payload a (NUL included) then b; the answer in out: 0 or -1. */
int fe_xs_call(uint32_t type, const char *a, const char *b, char *out, uint32_t outlen);
void fe_cat(char *dst, const char *a, const char *b);     /* dst = a/b */
bool fe_xs_read_u(const char *dir, const char *key, uint64_t *v);
bool fe_xs_write_u(const char *dir, const char *key, uint64_t v);
bool fe_wait_state(const char *dir, uint64_t want);
void fe_grant(grant_ref_t ref, unsigned long mfn, domid_t d, uint16_t flags);
bool fe_in_use(grant_ref_t ref);

/* ---- blkfront.c: a hostile frontend for xvda (blk=1) */
void blkfront_attacks(void);

/* ---- netfront.c: a hostile frontend for vif 0 (net=1) */
void netfront_attacks(void);

/* ---- smp.c: racers on the other vCPUs (smp=0: vCPU 0 alone) */
#define MAX_CPUS    32
#define RACE_FRAMES 16                  /* the pool the vCPUs race on */
#define RACE_VAS    16                  /* sacrificial pages given over to racing */
#define RACE_PACE   8                   /* racer operations per attack of vCPU 0 */
extern volatile unsigned long attacks_run;   /* vCPU 0's progress (main.c) */
extern unsigned nr_cpus;                /* vCPUs running: 1 without racers */
extern unsigned long race_pfn0;         /* the pool: pfns race_pfn0 .. + RACE_FRAMES */
extern const struct trap_info hostile_traps[];
void smp_setup(bool want);              /* count vCPUs, set the pool aside */
void smp_start(void);                   /* bring the racers up */
void smp_finish(void);                  /* stop them, check the pool */
void race_op(unsigned cpu);
unsigned cpu_of_stack(const void *sp);  /* which vCPU's stack sp is on */
bool racer_trap(unsigned cpu);          /* recovers (no return) or false */

/* ---- attacks.c */
void attack(void);
extern unsigned long op_counts[32];
extern unsigned long ldt_loads;
extern unsigned long linear_made;       /* read-only same-level entries accepted */
extern const char *const op_names[32];

#endif
