/* Threads: a contended mutex, lock-free atomics, raw futex ping-pong, a
 * condition-variable queue, and per-thread state the kernel must switch
 * correctly (TLS through the FS base, vector registers) while threads are
 * preempted and yield.
 */
#define _GNU_SOURCE
#include "gtest.h"

#include <linux/futex.h>
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <sys/syscall.h>
#include <unistd.h>

#define THREADS 8

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static long locked_counter;
static long atomic_counter;
static __thread long tls_value;
static int tls_bad, vector_bad;

static void *hammer(void *arg)
{
    long id = (long)arg;
    tls_value = id * 1000;
    for (int i = 0; i < 20000; i++) {
        pthread_mutex_lock(&lock);
        locked_counter++;
        pthread_mutex_unlock(&lock);
        __atomic_fetch_add(&atomic_counter, 1, __ATOMIC_RELAXED);
        if (i % 1000 == 0) {
            sched_yield();
            if (tls_value != id * 1000)
                __atomic_fetch_add(&tls_bad, 1, __ATOMIC_RELAXED);
        }
    }
    /* Vector registers live across a yield (a syscall another thread's
     * values pass through). */
    for (uint64_t i = 0; i < 200; i++) {
        uint64_t in = (uint64_t)id << 32 | i, out;
        long ret;
        __asm__ volatile("movq %[in], %%xmm9\n\t"
                         "syscall\n\t"
                         "movq %%xmm9, %[out]"
                         : "=a"(ret), [out] "=r"(out)
                         : "0"((long)SYS_sched_yield), [in] "r"(in)
                         : "rcx", "r11", "memory", "xmm9");
        if (ret != 0 || out != in)
            __atomic_fetch_add(&vector_bad, 1, __ATOMIC_RELAXED);
    }
    return (void *)(id + 100);
}

static void contention(void)
{
    pthread_t t[THREADS];
    for (long i = 0; i < THREADS; i++)
        CHECK(pthread_create(&t[i], NULL, hammer, (void *)i) == 0, "pthread_create");
    for (long i = 0; i < THREADS; i++) {
        void *ret = NULL;
        pthread_join(t[i], &ret);
        CHECK(ret == (void *)(i + 100), "thread %ld returned %p", i, ret);
    }
    CHECK(locked_counter == THREADS * 20000l, "mutex counter %ld, want %ld",
          locked_counter, THREADS * 20000l);
    CHECK(atomic_counter == THREADS * 20000l, "atomic counter %ld, want %ld",
          atomic_counter, THREADS * 20000l);
    CHECK(tls_bad == 0, "%d thread-local values seen changed", tls_bad);
    CHECK(vector_bad == 0, "%d vector registers corrupted across a yield", vector_bad);
}

/* Two threads hand a token back and forth with FUTEX_WAIT/FUTEX_WAKE. */
static uint32_t token;
#define ROUNDS 2000

static long futex(uint32_t *addr, int op, uint32_t val)
{
    struct timespec limit = { .tv_sec = 10 };
    return syscall(SYS_futex, addr, op, val, op == FUTEX_WAIT ? &limit : NULL, NULL, 0);
}

static int wait_for(uint32_t want)
{
    uint32_t v;
    while ((v = __atomic_load_n(&token, __ATOMIC_ACQUIRE)) != want) {
        if (futex(&token, FUTEX_WAIT, v) == -1 && errno == ETIMEDOUT)
            return -1;
    }
    return 0;
}

static void pass_to(uint32_t next)
{
    __atomic_store_n(&token, next, __ATOMIC_RELEASE);
    futex(&token, FUTEX_WAKE, 1);
}

static void *pong(void *arg)
{
    (void)arg;
    for (uint32_t i = 0; i < ROUNDS; i++) {
        if (wait_for(2 * i + 1) != 0)
            return (void *)1;
        pass_to(2 * i + 2);
    }
    return NULL;
}

static void futex_ping_pong(void)
{
    pthread_t t;
    token = 0;
    CHECK(pthread_create(&t, NULL, pong, NULL) == 0, "pthread_create");
    int timeouts = 0;
    double t0 = gtest_now(CLOCK_MONOTONIC);
    for (uint32_t i = 0; i < ROUNDS; i++) {
        pass_to(2 * i + 1);
        if (wait_for(2 * i + 2) != 0) {
            timeouts++;
            break;
        }
    }
    void *ret = NULL;
    pthread_join(t, &ret);
    CHECK(timeouts == 0 && ret == NULL, "futex hand-off timed out");
    gtest_note("%d futex hand-offs in %.2f s", ROUNDS, gtest_now(CLOCK_MONOTONIC) - t0);
}

/* A bounded queue with producers and consumers on condition variables. */
#define QSIZE 16
#define ITEMS 5000
static pthread_mutex_t qlock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t not_empty = PTHREAD_COND_INITIALIZER;
static pthread_cond_t not_full = PTHREAD_COND_INITIALIZER;
static long queue[QSIZE];
static int qhead, qcount;
static long consumed_sum;

static void *producer(void *arg)
{
    long base = (long)arg * ITEMS;
    for (long i = 1; i <= ITEMS; i++) {
        pthread_mutex_lock(&qlock);
        while (qcount == QSIZE)
            pthread_cond_wait(&not_full, &qlock);
        queue[(qhead + qcount++) % QSIZE] = base + i;
        pthread_cond_signal(&not_empty);
        pthread_mutex_unlock(&qlock);
    }
    return NULL;
}

static void *consumer(void *arg)
{
    long n = (long)arg, sum = 0;
    for (long i = 0; i < n; i++) {
        pthread_mutex_lock(&qlock);
        while (qcount == 0)
            pthread_cond_wait(&not_empty, &qlock);
        sum += queue[qhead];
        qhead = (qhead + 1) % QSIZE;
        qcount--;
        pthread_cond_signal(&not_full);
        pthread_mutex_unlock(&qlock);
    }
    __atomic_fetch_add(&consumed_sum, sum, __ATOMIC_RELAXED);
    return NULL;
}

static void condition_queue(void)
{
    pthread_t p[2], c[2];
    for (long i = 0; i < 2; i++)
        pthread_create(&p[i], NULL, producer, (void *)i);
    for (long i = 0; i < 2; i++)
        pthread_create(&c[i], NULL, consumer, (void *)(long)ITEMS);
    for (int i = 0; i < 2; i++) {
        pthread_join(p[i], NULL);
        pthread_join(c[i], NULL);
    }
    long want = 0;
    for (long t = 0; t < 2; t++)
        for (long i = 1; i <= ITEMS; i++)
            want += t * ITEMS + i;
    CHECK(consumed_sum == want, "consumed sum %ld, want %ld", consumed_sum, want);
}

int main(void)
{
    gtest_begin("threads");
    double t0 = gtest_now(CLOCK_MONOTONIC);
    contention();
    futex_ping_pong();
    condition_queue();
    gtest_note("done in %.2f s", gtest_now(CLOCK_MONOTONIC) - t0);
    return gtest_end();
}
