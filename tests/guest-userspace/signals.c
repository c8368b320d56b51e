/* Signals: handlers installed with sigaction, signals sent to ourselves and
 * to children, alarm, blocking and pending, and the hardware exceptions a
 * PV kernel must bounce back to user space (page fault, divide error,
 * invalid opcode, breakpoint), including delivery on an alternate stack
 * and vector registers surviving a handler.
 */
#define _GNU_SOURCE
#include "gtest.h"

#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static volatile sig_atomic_t got_signal, got_code, got_pid;
static volatile void *got_addr;
static sigjmp_buf jump_back;

static void on_info(int sig, siginfo_t *si, void *uc)
{
    (void)uc;
    got_signal = sig;
    got_code = si->si_code;
    got_pid = si->si_pid;
    got_addr = si->si_addr;
}

static void on_fault(int sig, siginfo_t *si, void *uc)
{
    on_info(sig, si, uc);
    siglongjmp(jump_back, 1);
}

static void install(int sig, void (*fn)(int, siginfo_t *, void *), int flags)
{
    struct sigaction sa = { .sa_sigaction = fn, .sa_flags = SA_SIGINFO | flags };
    sigemptyset(&sa.sa_mask);
    CHECK_SYS(sigaction(sig, &sa, NULL));
}

static void self_signals(void)
{
    install(SIGUSR1, on_info, 0);
    for (int i = 0; i < 200; i++) {
        got_signal = 0;
        CHECK_SYS(kill(getpid(), SIGUSR1));
        if (got_signal != SIGUSR1) {
            CHECK(0, "SIGUSR1 not delivered on round %d", i);
            break;
        }
    }
    CHECK(got_code == SI_USER, "si_code %d, want SI_USER", (int)got_code);
    CHECK(got_pid == getpid(), "si_pid %d, want %d", (int)got_pid, (int)getpid());

    /* Blocked signals stay pending until unblocked. */
    sigset_t set, pending;
    sigemptyset(&set);
    sigaddset(&set, SIGUSR1);
    CHECK_SYS(sigprocmask(SIG_BLOCK, &set, NULL));
    got_signal = 0;
    raise(SIGUSR1);
    CHECK(got_signal == 0, "blocked signal was delivered");
    sigpending(&pending);
    CHECK(sigismember(&pending, SIGUSR1), "blocked signal not pending");
    CHECK_SYS(sigprocmask(SIG_UNBLOCK, &set, NULL));
    CHECK(got_signal == SIGUSR1, "signal not delivered after unblocking");
}

static volatile sig_atomic_t child_flag;
static void child_handler(int sig) { (void)sig; child_flag = 1; }

static void signals_to_children(void)
{
    /* A child waits for SIGUSR2, then exits with a code the parent checks. */
    sigset_t block, old;
    sigemptyset(&block);
    sigaddset(&block, SIGUSR2);
    sigprocmask(SIG_BLOCK, &block, &old);
    pid_t pid = fork();
    CHECK_SYS(pid);
    if (pid == 0) {
        signal(SIGUSR2, child_handler);
        alarm(20); /* never hang the test */
        while (!child_flag)
            sigsuspend(&old);
        _exit(42);
    }
    sigprocmask(SIG_SETMASK, &old, NULL);
    CHECK_SYS(kill(pid, SIGUSR2));
    int status = 0;
    waitpid(pid, &status, 0);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 42,
          "child handling SIGUSR2 ended with status %#x", status);

    pid = fork();
    CHECK_SYS(pid);
    if (pid == 0) {
        for (;;)
            pause();
    }
    CHECK_SYS(kill(pid, SIGKILL));
    waitpid(pid, &status, 0);
    CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL,
          "killed child status %#x", status);

    /* SIGCHLD reaches the parent when a child exits. */
    install(SIGCHLD, on_info, 0);
    got_signal = 0;
    pid = fork();
    if (pid == 0)
        _exit(3);
    waitpid(pid, &status, 0);
    CHECK(got_signal == SIGCHLD, "no SIGCHLD (got %d)", (int)got_signal);
    CHECK(got_code == CLD_EXITED, "SIGCHLD si_code %d", (int)got_code);
    signal(SIGCHLD, SIG_DFL);
}

static void alarm_clock(void)
{
    install(SIGALRM, on_info, 0);
    got_signal = 0;
    double t0 = gtest_now(CLOCK_MONOTONIC);
    alarm(1);
    while (got_signal != SIGALRM && gtest_now(CLOCK_MONOTONIC) - t0 < 10)
        pause();
    double took = gtest_now(CLOCK_MONOTONIC) - t0;
    CHECK(got_signal == SIGALRM, "alarm(1) never fired");
    CHECK(took > 0.9 && took < 5, "alarm(1) fired after %.3f s", took);
}

/* Each fault kind, many times: the kernel's trap path into a handler and
 * out through siglongjmp. */
static void hardware_faults(void)
{
    install(SIGSEGV, on_fault, 0);
    install(SIGFPE, on_fault, 0);
    install(SIGILL, on_fault, 0);
    int segv = 0, fpe = 0, ill = 0;
    for (int i = 0; i < 100; i++) {
        if (sigsetjmp(jump_back, 1) == 0)
            *(volatile int *)(uintptr_t)(16 + i * 8) = i;
        else if (got_signal == SIGSEGV && got_addr == (void *)(uintptr_t)(16 + i * 8) &&
                 got_code == SEGV_MAPERR)
            segv++;

        volatile int zero = 0;
        if (sigsetjmp(jump_back, 1) == 0)
            zero = 10 / zero;
        else if (got_signal == SIGFPE && got_code == FPE_INTDIV)
            fpe++;

        if (sigsetjmp(jump_back, 1) == 0)
            __builtin_trap();
        else if (got_signal == SIGILL && got_code == ILL_ILLOPN)
            ill++;
    }
    CHECK(segv == 100, "%d of 100 NULL-page writes gave SIGSEGV/MAPERR at the address", segv);
    CHECK(fpe == 100, "%d of 100 divisions by zero gave SIGFPE/INTDIV", fpe);
    CHECK(ill == 100, "%d of 100 ud2 gave SIGILL/ILLOPN", ill);

    /* A breakpoint: the handler returns and execution continues after int3. */
    install(SIGTRAP, on_info, 0);
    int traps = 0;
    for (int i = 0; i < 50; i++) {
        got_signal = 0;
        __asm__ volatile("int3");
        traps += got_signal == SIGTRAP;
    }
    CHECK(traps == 50, "%d of 50 int3 gave SIGTRAP", traps);
    signal(SIGSEGV, SIG_DFL);
    signal(SIGFPE, SIG_DFL);
    signal(SIGILL, SIG_DFL);
    signal(SIGTRAP, SIG_DFL);
}

static char *alt_stack;
static volatile int on_alt_stack;

static void on_overflow(int sig, siginfo_t *si, void *uc)
{
    char here;
    (void)sig; (void)si; (void)uc;
    on_alt_stack = &here >= alt_stack && &here < alt_stack + SIGSTKSZ * 4;
    siglongjmp(jump_back, 1);
}

/* Bounded only by a depth no stack can reach. */
static int recurse(volatile char *prev, long depth)
{
    volatile char big[4096];
    big[0] = prev ? prev[0] + 1 : 0;
    if (depth > (1l << 40))
        return big[0];
    return recurse(big, depth + 1) + big[100];
}

/* Run off the end of the stack: only an alternate stack can take the signal. */
static void stack_overflow(void)
{
    alt_stack = malloc(SIGSTKSZ * 4);
    stack_t ss = { .ss_sp = alt_stack, .ss_size = SIGSTKSZ * 4 };
    CHECK_SYS(sigaltstack(&ss, NULL));
    pid_t pid = fork();
    CHECK_SYS(pid);
    if (pid == 0) {
        install(SIGSEGV, on_overflow, SA_ONSTACK);
        if (sigsetjmp(jump_back, 1) == 0)
            recurse(NULL, 0);
        _exit(on_alt_stack ? 0 : 1);
    }
    int status = 0;
    waitpid(pid, &status, 0);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0,
          "stack overflow not handled on the alternate stack (status %#x)", status);
}

/* The handler clobbers vector registers the interrupted code holds live. */
static void clobber_vectors(int sig)
{
    (void)sig;
    __asm__ volatile("pcmpeqd %%xmm8, %%xmm8\n\t"
                     "pxor %%xmm15, %%xmm15\n\t"
                     "pcmpeqd %%xmm3, %%xmm3" ::: "xmm3", "xmm8", "xmm15");
}

/* A signal delivered on return from kill() must give the interrupted code
 * back its vector registers exactly. */
static void vectors_across_signals(void)
{
    signal(SIGUSR1, clobber_vectors);
    int bad = 0;
    for (uint64_t i = 0; i < 200; i++) {
        uint64_t in = 0x0123456789abcdefull * (i + 1), out8, out15;
        long ret;
        __asm__ volatile("movq %[in], %%xmm8\n\t"
                         "movq %[in], %%xmm15\n\t"
                         "syscall\n\t"
                         "movq %%xmm8, %[o8]\n\t"
                         "movq %%xmm15, %[o15]"
                         : "=a"(ret), [o8] "=r"(out8), [o15] "=r"(out15)
                         : "0"((long)SYS_kill), "D"((long)getpid()),
                           "S"((long)SIGUSR1), [in] "r"(in)
                         : "rcx", "r11", "memory", "xmm8", "xmm15");
        if (ret != 0 || out8 != in || out15 != in)
            bad++;
    }
    CHECK(bad == 0, "%d of 200 signal deliveries corrupted xmm8/xmm15", bad);
    signal(SIGUSR1, SIG_DFL);
}

int main(void)
{
    gtest_begin("signals");
    self_signals();
    signals_to_children();
    alarm_clock();
    hardware_faults();
    stack_overflow();
    vectors_across_signals();
    return gtest_end();
}
