/* Tiny helpers shared by the guest userspace tests.
 *
 * Each test is a static program run by the initramfs /init. It prints what
 * it checks on stdout, reasons for failure on stderr, and exits 0 only when
 * every check held: /init turns the exit status into a PASS or FAIL marker.
 */
#ifndef GTEST_H
#define GTEST_H

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

static const char *gtest_name = "?";
static int gtest_failures;

static inline void gtest_begin(const char *name)
{
    gtest_name = name;
    setvbuf(stdout, NULL, _IOLBF, 0);
}

#define CHECK(cond, ...)                                                     \
    do {                                                                     \
        if (!(cond)) {                                                       \
            gtest_failures++;                                                \
            fprintf(stderr, "%s: check failed at line %d: %s: ", gtest_name, \
                    __LINE__, #cond);                                        \
            fprintf(stderr, __VA_ARGS__);                                    \
            fputc('\n', stderr);                                             \
        }                                                                    \
    } while (0)

/* For calls that return -1 and set errno on failure. */
#define CHECK_SYS(call)                                                      \
    CHECK((call) != -1, "%s", strerror(errno))

__attribute__((format(printf, 1, 2)))
static inline void gtest_note(const char *fmt, ...)
{
    va_list ap;
    printf("  %s: ", gtest_name);
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    putchar('\n');
}

static inline double gtest_now(clockid_t clock)
{
    struct timespec ts;
    clock_gettime(clock, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static inline int gtest_end(void)
{
    if (gtest_failures)
        fprintf(stderr, "%s: %d check(s) failed\n", gtest_name, gtest_failures);
    return gtest_failures ? 1 : 0;
}

#endif
