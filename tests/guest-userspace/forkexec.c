/* Process creation: many fork+exec and vfork+exec round trips, exit
 * statuses carried back through wait, and copy-on-write after fork.
 *
 *   forkexec [ITERATIONS]     (default 200)
 *   forkexec child CODE       internal: the exec'd child, exits with CODE
 */
#include "gtest.h"

#include <stdlib.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#define COW_BYTES (4u << 20)
#define PAGE 4096u

static int exec_and_wait(const char *self, int code, int use_vfork)
{
    char arg[16];
    snprintf(arg, sizeof(arg), "%d", code);
    pid_t pid = use_vfork ? vfork() : fork();
    if (pid < 0)
        return -1;
    if (pid == 0) {
        execl(self, self, "child", arg, (char *)NULL);
        _exit(127);
    }
    int status;
    if (waitpid(pid, &status, 0) != pid)
        return -1;
    if (!WIFEXITED(status))
        return -1;
    return WEXITSTATUS(status);
}

/* The child rewrites every page of a private buffer; the parent's copy
 * must not change, and the child must see its own writes. */
static void copy_on_write(void)
{
    unsigned char *buf = malloc(COW_BYTES);
    CHECK(buf != NULL, "malloc");
    if (!buf)
        return;
    for (unsigned i = 0; i < COW_BYTES; i++)
        buf[i] = (unsigned char)(i * 7);
    pid_t pid = fork();
    CHECK_SYS(pid);
    if (pid == 0) {
        for (unsigned i = 0; i < COW_BYTES; i += PAGE)
            buf[i] ^= 0xff;
        for (unsigned i = 0; i < COW_BYTES; i += PAGE)
            if (buf[i] != (unsigned char)((i * 7) ^ 0xff))
                _exit(1);
        _exit(0);
    }
    int status = 0;
    waitpid(pid, &status, 0);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0,
          "child saw wrong data after its own writes (status %#x)", status);
    unsigned bad = 0;
    for (unsigned i = 0; i < COW_BYTES; i++)
        if (buf[i] != (unsigned char)(i * 7))
            bad++;
    CHECK(bad == 0, "parent's copy changed in %u bytes", bad);
    free(buf);
}

int main(int argc, char **argv)
{
    if (argc == 3 && strcmp(argv[1], "child") == 0)
        return atoi(argv[2]) & 0x7f;

    gtest_begin("forkexec");
    int iterations = argc > 1 ? atoi(argv[1]) : 200;
    const char *self = "/proc/self/exe";
    char path[256];
    ssize_t n = readlink(self, path, sizeof(path) - 1);
    CHECK(n > 0, "readlink /proc/self/exe: %s", strerror(errno));
    if (n <= 0)
        return gtest_end();
    path[n] = 0;

    double t0 = gtest_now(CLOCK_MONOTONIC);
    int wrong = 0;
    for (int i = 0; i < iterations; i++) {
        int got = exec_and_wait(path, i, i % 4 == 3);
        if (got != (i & 0x7f)) {
            if (wrong++ < 5)
                fprintf(stderr, "forkexec: iteration %d: child status %d\n", i, got);
        }
    }
    CHECK(wrong == 0, "%d of %d children returned the wrong status", wrong, iterations);
    double t1 = gtest_now(CLOCK_MONOTONIC);
    gtest_note("%d fork/vfork+exec in %.2f s", iterations, t1 - t0);

    /* A shell pipeline: several processes at once through busybox. */
    int rc = system("echo forkexec | /bin/cat | /bin/grep -q forkexec");
    CHECK(rc == 0, "shell pipeline returned %#x", rc);

    copy_on_write();
    return gtest_end();
}
