/*
 * pvtest64: a small 64-bit PV kernel that checks the PV ABI one feature at
 * a time and prints one line per check: "PASS name" or "FAIL name: detail"
 * (or "SKIP name: reason"), then "pvtest64: N passed, M failed".
 *
 * This header: the shared state, the tiny libc and the check framework.
 */
#ifndef PVTEST_H
#define PVTEST_H

#include <pvshim/xen_abi.h>

#define VIRT_BASE       0xffffffff80000000UL
#define PG_SIZE         4096UL
#define PG_MASK         (~(PG_SIZE - 1))
#define ARRAY_LEN(a)    (sizeof(a) / sizeof((a)[0]))

/* Page-table entry bits. */
#define PTE_P           0x001UL
#define PTE_RW          0x002UL
#define PTE_US          0x004UL
#define PTE_A           0x020UL
#define PTE_D           0x040UL
#define PTE_PSE         0x080UL
#define PTE_G           0x100UL
#define PTE_NX          (1UL << 63)
#define PTE_ADDR        0x000ffffffffff000UL

/* ---- state shared by the check files (main.c) */
extern start_info_t *si;
extern shared_info_t *shinfo;          /* mapped by boot.c ... */
extern char shared_info_page[4096];    /* ... over this page */
extern bool is_dom0;                   /* SIF_INITDOMAIN */
extern unsigned long *p2m;             /* si->mfn_list */
extern unsigned long region_start;     /* the initial mapping: */
extern unsigned long region_end;       /*  [start, end) */

static inline struct vcpu_info *vcpu0(void) { return &shinfo->vcpu_info[0]; }
static inline unsigned long pfn_to_mfn(unsigned long pfn) { return p2m[pfn]; }
static inline unsigned long virt_to_pfn(const void *va)
{ return ((unsigned long)va - region_start) >> 12; }
static inline unsigned long virt_to_mfn(const void *va)
{ return pfn_to_mfn(virt_to_pfn(va)); }
static inline uint64_t virt_to_maddr(const void *va)
{ return (virt_to_mfn(va) << 12) | ((unsigned long)va & 0xfff); }

/* ---- tiny libc (lib.c) */
#include "guest_string.h"
size_t strnlen(const char *s, size_t max);
int strcmp(const char *a, const char *b);
int strncmp(const char *a, const char *b, size_t n);
const char *strstr(const char *hay, const char *needle);
int vsnprintf(char *buf, size_t size, const char *fmt, va_list ap);
int snprintf(char *buf, size_t size, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Console output, line-buffered, through HYPERVISOR_console_io. */
void printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void console_flush(void);

/* ---- checks (check.c)
 * A check is a function run by run_check(); expect() records the first
 * failure (and returns whether the condition held); an unexpected
 * exception inside a check fails it and the run goes on with the next. */
typedef void (*check_fn)(void);
void run_check(const char *name, check_fn fn);
/* A check that does not apply here: prints "SKIP name: reason". */
void skip_check(const char *name, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Inside a check: it does not apply here after all (SKIP, with reason). */
void check_skip_current(const char *fmt, ...)
    __attribute__((format(printf, 1, 2), noreturn));
bool expect_fmt(bool ok, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void print_summary_and_exit(void) __attribute__((noreturn));
void check_abort(void) __attribute__((noreturn));

#define expect(cond, ...) expect_fmt(!!(cond), __VA_ARGS__)
#define expect_eq(got, want) ({                                             \
    uint64_t _g = (uint64_t)(got), _w = (uint64_t)(want);                   \
    expect_fmt(_g == _w, "%s = %#lx, want %#lx (line %d)", #got,            \
               (unsigned long)_g, (unsigned long)_w, __LINE__); })
/* A hypercall result, as a signed number. */
#define expect_rc(got, want) ({                                             \
    long _g = (long)(got), _w = (long)(want);                               \
    expect_fmt(_g == _w, "%s returned %ld, want %ld (line %d)", #got,       \
               _g, _w, __LINE__); })

/* ---- areas (one file each) */
void boot_record_initial_state(start_info_t *start);
void boot_checks(void);
void pagetable_checks(void);
void p2m_checks(void);
void trap_setup(void);
void trap_checks(void);
void pf_bounce_checks(void);
void mmu_checks(void);
void segment_checks(void);
void sysctl_checks(void);
void domctl_checks(void);
void multicall_checks(void);
void event_checks(void);
void time_checks(void);
void memory_checks(void);
void grant_checks(void);
void emul_checks(void);
void user_checks(void);
void smp_checks(void);                  /* before fifo: polls 2-level pending bits */
void fifo_checks(void);                 /* last: switches the domain to FIFO */
/* "pvtest64-migrate": a workload to save part-way and restore (migrate.c). */
void migrate_workload(void) __attribute__((noreturn));

/* ---- page helpers (mm.c): frames we own but that are not mapped at boot */
void mm_init(void);
void scratch_reset(void);                /* unmaps every scratch page */
unsigned long alloc_pfn(void);          /* a fresh, unmapped pfn */
void *map_pfn(unsigned long pfn, bool writable);   /* at a scratch VA */
void unmap_va(void *va);
unsigned long free_pfns_left(void);
uint64_t *pte_of(unsigned long va, int level);     /* NULL if unmapped */
uint64_t read_cr3_mfn(void);

#endif
