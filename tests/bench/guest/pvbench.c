/* pvbench: the in-guest microbenchmarks of `make bench`.
 *
 * The same static binary runs in all three configurations (native, Xen
 * dom0, pvshim guest). Each benchmark runs a warm-up pass, then a fixed
 * number of iterations timed with clock_gettime(CLOCK_MONOTONIC), and
 * prints one marker line to /dev/kmsg and to stdout:
 *
 *   PVSHIM-BENCH: result NAME iters=N ns=T
 *   PVSHIM-BENCH: stamp NAME tsc=C mono_ns=M
 *   PVSHIM-BENCH: memtotal_kb=K
 *
 * The counts are fixed (never time-based), so that under QEMU's -icount a
 * run repeats exactly. Under -icount shift=0 the TSC counts virtual
 * nanoseconds since the VM's power-on, which makes a stamp's tsc the
 * absolute boot time as the host would see it; without -icount it is
 * host TSC ticks and the harness ignores it.
 *
 *   pvbench stamp NAME            one stamp line
 *   pvbench suite quick|full      memtotal, every benchmark, then "stamp done"
 *   pvbench run NAME ITERS        one benchmark
 *   pvbench run parN ITERS        the parallel mix in N processes (bench_parallel)
 *   pvbench memtotal              the memtotal line alone
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MMAP_BYTES  (4u << 20)
#define PAGE        4096u
#define TINY_PATH   "/bench/tiny"

static int kmsg_fd = -1;

/* One marker line, to the kernel log (the console wherever it is) and stdout. */
__attribute__((format(printf, 1, 2)))
static void marker(const char *fmt, ...)
{
    char line[256];
    int n = snprintf(line, sizeof(line), "PVSHIM-BENCH: ");
    va_list ap;
    va_start(ap, fmt);
    n += vsnprintf(line + n, sizeof(line) - (size_t)n - 1, fmt, ap);
    va_end(ap);
    if (n > (int)sizeof(line) - 2)
        n = (int)sizeof(line) - 2;
    line[n++] = '\n';
    if (kmsg_fd < 0)
        kmsg_fd = open("/dev/kmsg", O_WRONLY | O_CLOEXEC);
    if (kmsg_fd >= 0 && write(kmsg_fd, line, (size_t)n) < 0) {
        /* the stdout copy below still goes out */
    }
    if (write(STDOUT_FILENO, line, (size_t)n) < 0) {
        /* no console (Xen dom0 without hvc0): /dev/kmsg carries it */
    }
}

static uint64_t mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static uint64_t rdtsc(void)
{
    uint32_t lo, hi;
    __asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
    return ((uint64_t)hi << 32) | lo;
}

static void die(const char *what)
{
    marker("error %s: %s", what, strerror(errno));
    exit(1);
}

/* ------------------------------------------------------------ benchmarks */

static void bench_getpid(long n)
{
    for (long i = 0; i < n; i++)
        syscall(SYS_getpid);
}

static void wait_ok(pid_t pid)
{
    int status;
    if (pid < 0)
        die("fork");
    if (waitpid(pid, &status, 0) != pid)
        die("waitpid");
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        errno = ECHILD;
        die("child status");
    }
}

static void bench_fork(long n)
{
    for (long i = 0; i < n; i++) {
        pid_t pid = fork();
        if (pid == 0)
            _exit(0);
        wait_ok(pid);
    }
}

static void bench_forkexec(long n)
{
    char *const argv[] = { TINY_PATH, NULL };
    char *const envp[] = { NULL };
    for (long i = 0; i < n; i++) {
        pid_t pid = fork();
        if (pid == 0) {
            execve(TINY_PATH, argv, envp);
            _exit(127);
        }
        wait_ok(pid);
    }
}

static void bench_mmap(long n)
{
    for (long i = 0; i < n; i++) {
        volatile unsigned char *p = mmap(NULL, MMAP_BYTES, PROT_READ | PROT_WRITE,
                                         MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (p == MAP_FAILED)
            die("mmap");
        for (unsigned off = 0; off < MMAP_BYTES; off += PAGE)
            p[off] = (unsigned char)off;
        if (munmap((void *)p, MMAP_BYTES))
            die("munmap");
    }
}

/* One iteration is one round trip: a byte to the child and back. */
static void bench_pipe(long n)
{
    int to_child[2], to_parent[2];
    char c = 'x';
    if (pipe(to_child) || pipe(to_parent))
        die("pipe");
    pid_t pid = fork();
    if (pid == 0) {
        close(to_child[1]);
        close(to_parent[0]);
        while (read(to_child[0], &c, 1) == 1)
            if (write(to_parent[1], &c, 1) != 1)
                _exit(1);
        _exit(0);
    }
    if (pid < 0)
        die("fork");
    close(to_child[0]);
    close(to_parent[1]);
    for (long i = 0; i < n; i++) {
        if (write(to_child[1], &c, 1) != 1 || read(to_parent[0], &c, 1) != 1)
            die("pipe round trip");
    }
    close(to_child[1]);
    close(to_parent[0]);
    wait_ok(pid);
}

/* The control: arithmetic only, no system calls, no new memory. */
static volatile uint64_t compute_sink;
static void bench_compute(long n)
{
    uint64_t x = 0x9e3779b97f4a7c15ull;
    for (long i = 0; i < n; i++) {
        for (int j = 0; j < 1000; j++) {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
        }
        compute_sink = x;
    }
}

/*
 * The parallel row: the same total work, ITERS rounds of a mix that enters
 * the hypervisor in every way the suite measures (a fork and wait, a
 * 256 KiB mapping touched and unmapped, 200 getpids, a little arithmetic),
 * split over NPROC processes, one per vCPU. The result is the wall time
 * until the last of them is done ("result parNPROC"): with N vCPUs each
 * process does 1/N of the rounds, so the ratio of par1 on one vCPU to parN
 * on N vCPUs is the scaling (N at best).
 */
#define MIX_BYTES   (256u << 10)
static void mix_round(void)
{
    bench_fork(1);
    volatile unsigned char *p = mmap(NULL, MIX_BYTES, PROT_READ | PROT_WRITE,
                                     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED)
        die("mmap");
    for (unsigned off = 0; off < MIX_BYTES; off += PAGE)
        p[off] = (unsigned char)off;
    if (munmap((void *)p, MIX_BYTES))
        die("munmap");
    bench_getpid(200);
    bench_compute(20);
}

static void run_parallel(int nproc, long n)
{
    pid_t pids[64];
    for (int k = 0; k < nproc; k++) {
        pids[k] = fork();
        if (pids[k] == 0) {
            for (long i = n * k / nproc; i < n * (k + 1) / nproc; i++)
                mix_round();
            _exit(0);
        }
    }
    for (int k = 0; k < nproc; k++)
        wait_ok(pids[k]);
}

static void bench_parallel(int nproc, long n)
{
    run_parallel(nproc, n / 10 > 0 ? n / 10 : 1);       /* warm-up */
    uint64_t t0 = mono_ns();
    run_parallel(nproc, n);
    uint64_t t1 = mono_ns();
    marker("result par%d iters=%ld ns=%llu", nproc, n, (unsigned long long)(t1 - t0));
}

struct bench {
    const char *name;
    void (*fn)(long n);
    long quick, full;       /* iterations */
};

/* Counts sized for QEMU TCG: the full suite takes tens of seconds natively. */
static const struct bench benches[] = {
    { "getpid",   bench_getpid,  100000, 1000000 },
    { "fork",     bench_fork,        100,   1000 },
    { "forkexec", bench_forkexec,    100,   1000 },
    { "mmap",     bench_mmap,         20,    200 },
    { "pipe",     bench_pipe,       2000,  20000 },
    { "compute",  bench_compute,    5000,  50000 },
};

static const struct bench *find(const char *name)
{
    for (size_t i = 0; i < sizeof(benches) / sizeof(benches[0]); i++)
        if (strcmp(benches[i].name, name) == 0)
            return &benches[i];
    return NULL;
}

static void run(const struct bench *b, long n)
{
    b->fn(n / 10 > 0 ? n / 10 : 1);     /* warm-up: page cache, page tables */
    uint64_t t0 = mono_ns();
    b->fn(n);
    uint64_t t1 = mono_ns();
    marker("result %s iters=%ld ns=%llu", b->name, n, (unsigned long long)(t1 - t0));
}

static void stamp(const char *name)
{
    uint64_t tsc = rdtsc();
    marker("stamp %s tsc=%llu mono_ns=%llu", name, (unsigned long long)tsc,
           (unsigned long long)mono_ns());
}

static void memtotal(void)
{
    FILE *f = fopen("/proc/meminfo", "r");
    char line[128];
    long kb = -1;
    if (!f)
        die("/proc/meminfo");
    while (fgets(line, sizeof(line), f))
        if (sscanf(line, "MemTotal: %ld kB", &kb) == 1)
            break;
    fclose(f);
    marker("memtotal_kb=%ld", kb);
}

static int usage(void)
{
    fprintf(stderr, "usage: pvbench stamp NAME | suite quick|full | run NAME ITERS | memtotal\n");
    return 2;
}

int main(int argc, char **argv)
{
    if (argc == 2 && strcmp(argv[1], "memtotal") == 0) {
        memtotal();
        return 0;
    }
    if (argc == 3 && strcmp(argv[1], "stamp") == 0) {
        stamp(argv[2]);
        return 0;
    }
    if (argc == 3 && strcmp(argv[1], "suite") == 0) {
        int quick = strcmp(argv[2], "quick") == 0;
        if (!quick && strcmp(argv[2], "full") != 0)
            return usage();
        memtotal();
        for (size_t i = 0; i < sizeof(benches) / sizeof(benches[0]); i++)
            run(&benches[i], quick ? benches[i].quick : benches[i].full);
        stamp("done");
        return 0;
    }
    if (argc == 4 && strcmp(argv[1], "run") == 0) {
        const struct bench *b = find(argv[2]);
        long n = strtol(argv[3], NULL, 0);
        int nproc = strncmp(argv[2], "par", 3) == 0 ? atoi(argv[2] + 3) : 0;
        if (nproc > 0 && nproc <= 64 && n > 0) {
            bench_parallel(nproc, n);
            return 0;
        }
        if (!b || n <= 0)
            return usage();
        run(b, n);
        return 0;
    }
    return usage();
}
