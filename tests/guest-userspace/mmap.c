/* Memory management: large anonymous mappings touched page by page, many
 * small map/unmap cycles, mprotect with the faults it must cause, shared
 * mappings between processes (anonymous and file-backed), mremap, madvise
 * and brk. Under a PV kernel every one of these is page-table updates
 * validated by the hypervisor.
 */
#define _GNU_SOURCE
#include "gtest.h"

#include <fcntl.h>
#include <sched.h>
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#define MiB (1ul << 20)
#define PAGE 4096ul

static void *map_anon(size_t len, int prot, int flags)
{
    void *p = mmap(NULL, len, prot, flags | MAP_ANONYMOUS, -1, 0);
    return p == MAP_FAILED ? NULL : p;
}

/* Fill every page with its own index, then read them all back. */
static unsigned long fill_and_verify(unsigned char *p, size_t len, uint64_t salt)
{
    unsigned long bad = 0;
    for (size_t off = 0; off < len; off += PAGE)
        *(volatile uint64_t *)(p + off) = off ^ salt;
    for (size_t off = 0; off < len; off += PAGE)
        if (*(volatile uint64_t *)(p + off) != (off ^ salt))
            bad++;
    return bad;
}

static void big_anonymous(void)
{
    const size_t len = 96 * MiB;
    for (int round = 0; round < 4; round++) {
        unsigned char *p = map_anon(len, PROT_READ | PROT_WRITE, MAP_PRIVATE);
        CHECK(p != NULL, "mmap %zu MiB: %s", len / MiB, strerror(errno));
        if (!p)
            return;
        unsigned long bad = fill_and_verify(p, len, 0x5a5a0000u + round);
        CHECK(bad == 0, "round %d: %lu pages read back wrong", round, bad);
        CHECK_SYS(munmap(p, len));
    }
    gtest_note("4 x %zu MiB anonymous mapped, touched, unmapped", len / MiB);
}

static void many_small(void)
{
    unsigned long bad = 0;
    for (unsigned i = 0; i < 3000; i++) {
        size_t len = (1 + i % 16) * PAGE;
        unsigned char *p = map_anon(len, PROT_READ | PROT_WRITE, MAP_PRIVATE);
        if (!p) {
            bad++;
            continue;
        }
        bad += fill_and_verify(p, len, i);
        if (munmap(p, len) != 0)
            bad++;
    }
    CHECK(bad == 0, "%lu failures in small map/touch/unmap cycles", bad);
}

static sigjmp_buf fault_jmp;
static volatile void *fault_addr;
static volatile int fault_code;

static void on_segv(int sig, siginfo_t *si, void *uc)
{
    (void)sig; (void)uc;
    fault_addr = si->si_addr;
    fault_code = si->si_code;
    siglongjmp(fault_jmp, 1);
}

/* Runs an access; returns 1 if it faulted with SIGSEGV at addr. */
static int access_faults(volatile unsigned char *addr, int write)
{
    fault_addr = NULL;
    fault_code = 0;
    if (sigsetjmp(fault_jmp, 1) == 0) {
        if (write)
            *addr = 1;
        else
            (void)*addr;
        return 0;
    }
    return fault_addr == (void *)addr;
}

static void protections(void)
{
    struct sigaction sa = { .sa_sigaction = on_segv, .sa_flags = SA_SIGINFO };
    struct sigaction old;
    sigaction(SIGSEGV, &sa, &old);

    const size_t len = 16 * PAGE;
    unsigned char *p = map_anon(len, PROT_READ | PROT_WRITE, MAP_PRIVATE);
    CHECK(p != NULL, "mmap: %s", strerror(errno));
    if (!p)
        return;
    memset(p, 0xab, len);

    CHECK_SYS(mprotect(p + 4 * PAGE, 4 * PAGE, PROT_READ));
    CHECK(!access_faults(p + 3 * PAGE, 1), "write below the read-only range faulted");
    CHECK(access_faults(p + 5 * PAGE + 8, 1), "write to read-only page did not fault");
    CHECK(fault_code == SEGV_ACCERR, "si_code %d, want SEGV_ACCERR", fault_code);
    CHECK(!access_faults(p + 5 * PAGE + 8, 0), "read of read-only page faulted");
    CHECK(p[5 * PAGE + 8] == 0xab, "read-only page lost its contents");

    CHECK_SYS(mprotect(p + 4 * PAGE, 4 * PAGE, PROT_NONE));
    CHECK(access_faults(p + 6 * PAGE, 0), "read of PROT_NONE page did not fault");
    CHECK(fault_code == SEGV_ACCERR, "si_code %d, want SEGV_ACCERR", fault_code);

    CHECK_SYS(mprotect(p, len, PROT_READ | PROT_WRITE));
    CHECK(!access_faults(p + 6 * PAGE, 1), "write after restoring RW faulted");
    CHECK(p[7 * PAGE] == 0xab, "contents lost across PROT_NONE");

    CHECK_SYS(munmap(p + 8 * PAGE, 8 * PAGE));
    CHECK(access_faults(p + 9 * PAGE, 0), "read of unmapped page did not fault");
    CHECK(fault_code == SEGV_MAPERR, "si_code %d, want SEGV_MAPERR", fault_code);
    munmap(p, 8 * PAGE);

    /* Repeated faults on the same page: the hypervisor's fault path in a loop. */
    unsigned char *ro = map_anon(PAGE, PROT_READ, MAP_PRIVATE);
    int faults = 0;
    for (int i = 0; ro && i < 500; i++)
        faults += access_faults(ro + (i * 8) % PAGE, 1);
    CHECK(faults == 500, "%d of 500 writes to a read-only page faulted", faults);
    if (ro)
        munmap(ro, PAGE);
    sigaction(SIGSEGV, &old, NULL);
}

/* Parent and child share an anonymous mapping and hand data back and forth. */
static void shared_anonymous(void)
{
    const size_t len = 8 * MiB;
    volatile uint32_t *p = map_anon(len, PROT_READ | PROT_WRITE, MAP_SHARED);
    CHECK(p != NULL, "mmap shared: %s", strerror(errno));
    if (!p)
        return;
    const size_t words = len / sizeof(uint32_t);
    volatile uint32_t *flag = p; /* word 0: handshake */
    pid_t pid = fork();
    CHECK_SYS(pid);
    if (pid == 0) {
        for (size_t i = 1; i < words; i += 1024)
            p[i] = (uint32_t)i * 3;
        __atomic_store_n(flag, 1, __ATOMIC_RELEASE);
        /* Wait (bounded) for the parent's reply, then check it. */
        for (long spins = 0; __atomic_load_n(flag, __ATOMIC_ACQUIRE) != 2; spins++) {
            if (spins > 20000000)
                _exit(2);
            sched_yield();
        }
        for (size_t i = 2; i < words; i += 1024)
            if (p[i] != (uint32_t)i * 5)
                _exit(3);
        _exit(0);
    }
    long spins = 0;
    while (__atomic_load_n(flag, __ATOMIC_ACQUIRE) != 1 && spins++ < 20000000)
        sched_yield();
    CHECK(*flag == 1, "child never signalled");
    unsigned long bad = 0;
    for (size_t i = 1; i < words; i += 1024)
        if (p[i] != (uint32_t)i * 3)
            bad++;
    CHECK(bad == 0, "%lu words from the child read back wrong", bad);
    for (size_t i = 2; i < words; i += 1024)
        p[i] = (uint32_t)i * 5;
    __atomic_store_n(flag, 2, __ATOMIC_RELEASE);
    int status = 0;
    waitpid(pid, &status, 0);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0,
          "child failed with status %#x", status);
    munmap((void *)p, len);
}

/* A file on tmpfs written through a shared mapping and read back with read(). */
static void shared_file(void)
{
    const char *path = "/tmp/gtest-mmap-file";
    const size_t len = 4 * MiB;
    int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
    CHECK(fd >= 0, "open %s: %s", path, strerror(errno));
    if (fd < 0)
        return;
    CHECK_SYS(ftruncate(fd, len));
    unsigned char *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    CHECK(p != MAP_FAILED, "mmap file: %s", strerror(errno));
    if (p != MAP_FAILED) {
        for (size_t i = 0; i < len; i++)
            p[i] = (unsigned char)(i % 251);
        CHECK_SYS(msync(p, len, MS_SYNC));
        CHECK_SYS(munmap(p, len));
        unsigned char buf[4096];
        unsigned long bad = 0;
        lseek(fd, 0, SEEK_SET);
        for (size_t off = 0; off < len;) {
            ssize_t n = read(fd, buf, sizeof(buf));
            if (n <= 0) {
                bad++;
                break;
            }
            for (ssize_t j = 0; j < n; j++)
                if (buf[j] != (unsigned char)((off + j) % 251))
                    bad++;
            off += n;
        }
        CHECK(bad == 0, "%lu bytes of the file read back wrong", bad);
    }
    close(fd);
    unlink(path);
}

static void remap_and_advise(void)
{
    size_t small = 1 * MiB, big = 32 * MiB;
    unsigned char *p = map_anon(small, PROT_READ | PROT_WRITE, MAP_PRIVATE);
    CHECK(p != NULL, "mmap: %s", strerror(errno));
    if (!p)
        return;
    fill_and_verify(p, small, 77);
    unsigned char *q = mremap(p, small, big, MREMAP_MAYMOVE);
    CHECK(q != MAP_FAILED, "mremap: %s", strerror(errno));
    if (q == MAP_FAILED)
        return;
    unsigned long bad = 0;
    for (size_t off = 0; off < small; off += PAGE)
        if (*(uint64_t *)(q + off) != (off ^ 77))
            bad++;
    CHECK(bad == 0, "%lu pages lost in mremap", bad);
    CHECK(fill_and_verify(q, big, 99) == 0, "grown mapping reads back wrong");
    CHECK_SYS(madvise(q, big, MADV_DONTNEED));
    bad = 0;
    for (size_t off = 0; off < big; off += PAGE)
        if (*(uint64_t *)(q + off) != 0)
            bad++;
    CHECK(bad == 0, "%lu pages not zero after MADV_DONTNEED", bad);
    munmap(q, big);
}

static void heap_break(void)
{
    void *start = sbrk(0);
    const size_t len = 16 * MiB;
    CHECK(sbrk(len) != (void *)-1, "sbrk grow: %s", strerror(errno));
    CHECK(fill_and_verify(start, len, 5) == 0, "brk area reads back wrong");
    CHECK(sbrk(-(intptr_t)len) != (void *)-1, "sbrk shrink: %s", strerror(errno));
    CHECK(sbrk(0) == start, "brk did not return to its start");
}

int main(void)
{
    gtest_begin("mmap");
    double t0 = gtest_now(CLOCK_MONOTONIC);
    big_anonymous();
    many_small();
    protections();
    shared_anonymous();
    shared_file();
    remap_and_advise();
    heap_break();
    gtest_note("done in %.2f s", gtest_now(CLOCK_MONOTONIC) - t0);
    return gtest_end();
}
