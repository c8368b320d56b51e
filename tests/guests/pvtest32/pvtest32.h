/*
 * pvtest32: a small 32-bit PAE PV kernel that checks the compat PV ABI one
 * feature at a time, printing "PASS name" or "FAIL name: detail" per check
 * and "pvtest32: N passed, M failed" at the end (the format of pvtest64).
 *
 * Structure layouts are the 32-bit ones: built with -m32 against Xen's
 * public headers, so unsigned long and pointers are 4 bytes, as an i686
 * PV kernel sees them.
 */
#ifndef PVTEST32_H
#define PVTEST32_H

#include <stdint.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdarg.h>
#include <xen/xen.h>
#include <xen/errno.h>
#include <xen/version.h>
#include <xen/memory.h>
#include <xen/event_channel.h>
#include <xen/sched.h>
#include <xen/vcpu.h>
#include <xen/callback.h>
#include <xen/grant_table.h>
#include "guest_string.h"

#define VIRT_BASE       0xc0000000u
#define PG_SIZE         4096u
#define ARRAY_LEN(a)    (sizeof(a) / sizeof((a)[0]))

#define PTE_P   0x001ull
#define PTE_RW  0x002ull
#define PTE_US  0x004ull
#define PTE_A   0x020ull
#define PTE_D   0x040ull
#define PTE_PSE 0x080ull
#define PTE_ADDR 0x000ffffffffff000ull

/* The flat selectors of a 32-bit PV guest (public/arch-x86/xen-x86_32.h). */
#define RING1_CS 0xe019
#define RING1_DS 0xe021
#define RING3_CS 0xe02b
#define RING3_DS 0xe033

/* ---- boot state (main.c) */
struct entry_regs {
    uint32_t eax, ebx, ecx, edx, esi, edi, ebp, esp, eflags;
    uint32_t cs, ss, ds, es, fs, gs;
};
extern struct entry_regs entry_regs;
extern start_info_t *si;
extern shared_info_t *shinfo;
extern uint32_t *p2m;
extern uint32_t region_end;
extern char hypercall_page[4096];
extern char _user_text_start[], _user_text_end[];
extern char kernel_stack_top[];

/* ---- traps (head.asm, traps.c) */
struct tframe {
    uint32_t edi, esi, ebp, esp0, ebx, edx, ecx, eax;
    uint32_t vector, error;
    uint32_t eip, cs, eflags;
    uint32_t esp, ss;               /* only from ring 3 */
};
struct trap_record {
    unsigned count;
    uint32_t vector, error, eip, cs, eflags, cr2;
};
extern volatile struct trap_record last_trap;
extern volatile unsigned events_seen, failsafe_seen;
extern volatile uint32_t event_sel_seen, event_port_seen;
extern volatile uint32_t failsafe_cs_seen, failsafe_ds_seen;
int probe_bad_iret(void);
void trap_setup(void);
int probe_read32(const void *p, uint32_t *val);
int probe_write32(void *p, uint32_t val);
long probe_int82(long nr, long a1, long a2);
int probe_int40(void);
int probe_hlt(void);
/* Run user_entry in ring 3; returns what it had in EBX when it came home. */
uint32_t user_run(uint32_t user_stack_top);

/* ---- hypercalls: the page's stubs, arguments in EBX ECX EDX ESI EDI */
#define hypercall5(nr, a1, a2, a3, a4, a5) ({                               \
    long _v1 = (long)(a1), _v2 = (long)(a2), _v3 = (long)(a3);              \
    long _v4 = (long)(a4), _v5 = (long)(a5);                                \
    register long _a1 asm("ebx") = _v1;                                     \
    register long _a2 asm("ecx") = _v2;                                     \
    register long _a3 asm("edx") = _v3;                                     \
    register long _a4 asm("esi") = _v4;                                     \
    register long _a5 asm("edi") = _v5;                                     \
    long _ret;                                                              \
    asm volatile("call hypercall_page + %c[off]"                            \
                 : "=a"(_ret), "+r"(_a1), "+r"(_a2), "+r"(_a3), "+r"(_a4),  \
                   "+r"(_a5)                                                \
                 : [off] "i"((nr) * 32)                                     \
                 : "memory");                                               \
    _ret; })
#define hypercall1(nr, a)           hypercall5(nr, a, 0, 0, 0, 0)
#define hypercall2(nr, a, b)        hypercall5(nr, a, b, 0, 0, 0)
#define hypercall3(nr, a, b, c)     hypercall5(nr, a, b, c, 0, 0)
#define hypercall4(nr, a, b, c, d)  hypercall5(nr, a, b, c, d, 0)

/* ---- tiny libc (lib.c) */
int vsnprintf(char *buf, size_t size, const char *fmt, va_list ap);
void printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void console_flush(void);

/* ---- checks (check.c) */
typedef void (*check_fn)(void);
void run_check(const char *name, check_fn fn);
bool expect_fmt(bool ok, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void print_summary_and_exit(void) __attribute__((noreturn));
#define expect(cond, ...) expect_fmt(!!(cond), __VA_ARGS__)
#define expect_eq(got, want) ({                                             \
    uint64_t _g = (uint64_t)(got), _w = (uint64_t)(want);                   \
    expect_fmt(_g == _w, "%s = %#llx, want %#llx (line %d)", #got,          \
               (unsigned long long)_g, (unsigned long long)_w, __LINE__); })
#define expect_rc(got, want) ({                                             \
    long _g = (long)(got), _w = (long)(want);                               \
    expect_fmt(_g == _w, "%s returned %ld, want %ld (line %d)", #got,       \
               _g, _w, __LINE__); })

/* ---- page tables (mm.c): 3-level PAE, 8-byte entries */
uint64_t *pte_of(uint32_t va, int level);   /* NULL if not reachable */
uint32_t alloc_pfn(void);                    /* a frame not mapped at boot */
uint32_t scratch_va(unsigned slot);          /* pages in the region's slack */
static inline uint32_t virt_to_mfn(const void *va)
{ return p2m[((uint32_t)va - VIRT_BASE) >> 12]; }

/* ---- areas */
void boot_checks(void);
void hypercall_checks(void);
void trap_checks(void);
void event_checks(void);
void mm_checks(void);
void grant_checks(void);
void compat_checks(void);
void user_checks(void);
void smp_checks(void);
void xlat_checks(void);
void hostile_checks(void);

#endif
