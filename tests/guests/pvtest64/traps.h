/* The uniform frame built by entry.asm, and how checks expect exceptions. */
#ifndef PVTEST_TRAPS_H
#define PVTEST_TRAPS_H

#include "pvtest.h"

#define FRAME_HAS_ERROR 0x10000
#define KIND_EVENT      0x100
#define KIND_SYSCALL    0x101
#define KIND_MASK       0xffff

struct trap_frame {
    uint64_t r15, r14, r13, r12, r10, r9, r8, rbp, rdi, rsi, rdx, rbx, rax;
    uint64_t kind;                  /* vector or KIND_*, | FRAME_HAS_ERROR */
    /* Xen's bounce frame (the error slot is 0 when there is none; on
     * return it holds the flags for the iret hypercall). */
    uint64_t rcx, r11, error_code, rip, cs, rflags, rsp, ss;
};

/* The last exception taken (events and syscalls are not recorded here). */
struct trap_record {
    unsigned count;
    struct trap_frame frame;
    uint64_t cr2;                   /* vcpu_info.arch.cr2 on #PF */
    uint64_t frame_top;             /* the address just above SS */
};
extern volatile struct trap_record last_trap;

/* If set, the next exception resumes here (and this is cleared). */
extern volatile unsigned long trap_resume_rip;

/* A check may take over exceptions, events or syscalls: return true when
 * handled. The check framework clears these after every check. */
extern bool (*trap_hook)(struct trap_frame *f);
extern void (*event_hook)(struct trap_frame *f);
extern void (*syscall_hook)(struct trap_frame *f);
extern void (*failsafe_hook)(uint64_t *frame);

static inline unsigned trap_vector(const struct trap_frame *f)
{ return f->kind & KIND_MASK; }

/* Entry stubs (entry.asm) */
extern char trap_de[], trap_db[], trap_nmi[], trap_bp[], trap_of[], trap_br[],
    trap_ud[], trap_nm[], trap_df[], trap_cso[], trap_ts[], trap_np[],
    trap_ss[], trap_gp[], trap_pf[], trap_spurious[], trap_mf[], trap_ac[],
    trap_mc[], trap_xm[], trap_soft80[], trap_soft81[], trap_soft83[], trap_soft84[],
    event_entry[],
    syscall_entry[], failsafe_entry[], trap_return[];

struct jump_ctx { uint64_t regs[7]; };
int check_call(void (*fn)(void), struct jump_ctx *ctx);
void check_longjmp(struct jump_ctx *ctx) __attribute__((noreturn));

/* probes.asm */
#define PROBE(name) extern char name##_insn[], name##_after[]
PROBE(probe_int3); PROBE(probe_ud2); PROBE(probe_div0); PROBE(probe_read);
PROBE(probe_write); PROBE(probe_exec); PROBE(probe_load_ds);
PROBE(probe_load_fs); PROBE(probe_int80); PROBE(probe_int81); PROBE(probe_int83); PROBE(probe_int84); PROBE(probe_lcall_ldt);
PROBE(probe_write_regs); PROBE(probe_hlt); PROBE(probe_rdmsr); PROBE(probe_wrmsr);
PROBE(probe_read_cr0); PROBE(probe_read_cr4); PROBE(probe_read_cr3);
PROBE(probe_inb); PROBE(probe_cli);
PROBE(probe_write_cr4); PROBE(probe_rdfsbase); PROBE(probe_wrfsbase);
long probe_int3(uint64_t rcx, uint64_t r11);
long probe_ud2(uint64_t rcx, uint64_t r11);
long probe_div0(void);
uint64_t probe_read(const volatile void *addr);
long probe_write(volatile void *addr, uint64_t value);
long probe_write_regs(volatile void *addr, uint64_t rcx, uint64_t r11);
long probe_exec(const void *addr);
long probe_load_ds(unsigned sel);
long probe_load_fs(unsigned sel);
uint64_t probe_read_fs(unsigned long off);
uint64_t probe_read_gs(unsigned long off);
long probe_int80(void);
long probe_int81(void);
long probe_int83(void);
long probe_int84(void);
long probe_lcall_ldt(void);
long probe_multicall_iret(multicall_entry_t *list, unsigned long count,
                          unsigned long rflags);
long probe_hlt(void);
uint64_t probe_rdmsr(uint32_t msr);
long probe_wrmsr(uint32_t msr, uint64_t value);
uint64_t probe_read_cr0(void);
uint64_t probe_read_cr4(void);
uint64_t probe_read_cr3(void);
long probe_write_cr4(uint64_t value);
uint64_t probe_rdfsbase(void);
long probe_wrfsbase(uint64_t value);
uint64_t probe_inb(unsigned port);
uint64_t probe_cli(void);
void probe_xen_cpuid(uint32_t leaf, uint32_t sub, uint32_t out[4]);
void probe_cpuid(uint32_t leaf, uint32_t sub, uint32_t out[4]);

/* After a probe: exactly one exception since last_trap.count was
 * `before`, with this vector at this RIP (records a failure if not). */
bool expect_trap(unsigned before, unsigned vector, const void *rip);
/* ... and none at all. */
bool expect_no_trap(unsigned before);

#endif
