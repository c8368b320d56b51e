/* Inter-process data paths: a bulk pipe transfer checked end to end,
 * poll on pipes, and many small round trips over a socketpair (each one a
 * pair of context switches and event deliveries).
 */
#define _GNU_SOURCE
#include "gtest.h"

#include <poll.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#define BULK_BYTES (32u << 20)

static uint32_t mix(uint32_t h, const unsigned char *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        h = (h ^ p[i]) * 16777619u;
    return h;
}

static int write_all(int fd, const void *buf, size_t n)
{
    const unsigned char *p = buf;
    while (n) {
        ssize_t w = write(fd, p, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return -1;
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

/* The parent streams data in chunks of varying size; the child hashes what
 * arrives and sends back the hash and the byte count. */
static void bulk_transfer(void)
{
    int down[2], up[2];
    CHECK_SYS(pipe(down));
    CHECK_SYS(pipe(up));
    pid_t pid = fork();
    CHECK_SYS(pid);
    if (pid == 0) {
        close(down[1]);
        close(up[0]);
        static unsigned char buf[65536];
        uint32_t h = 2166136261u;
        uint64_t total = 0;
        ssize_t n;
        while ((n = read(down[0], buf, sizeof(buf))) > 0) {
            h = mix(h, buf, (size_t)n);
            total += (uint64_t)n;
        }
        uint64_t reply[2] = { h, total };
        _exit(write_all(up[1], reply, sizeof(reply)) == 0 ? 0 : 1);
    }
    close(down[0]);
    close(up[1]);
    static unsigned char chunk[70000];
    uint32_t h = 2166136261u;
    uint64_t sent = 0;
    unsigned size = 1;
    double t0 = gtest_now(CLOCK_MONOTONIC);
    while (sent < BULK_BYTES) {
        size = (size * 7 + 13) % sizeof(chunk) + 1;
        if (sent + size > BULK_BYTES)
            size = (unsigned)(BULK_BYTES - sent);
        for (unsigned i = 0; i < size; i++)
            chunk[i] = (unsigned char)(sent + i + (sent + i) / 253);
        if (write_all(down[1], chunk, size) != 0) {
            CHECK(0, "write to pipe: %s", strerror(errno));
            break;
        }
        h = mix(h, chunk, size);
        sent += size;
    }
    close(down[1]);
    uint64_t reply[2] = { 0, 0 };
    ssize_t n = read(up[0], reply, sizeof(reply));
    CHECK(n == sizeof(reply), "short reply from child (%zd)", n);
    CHECK(reply[1] == sent, "child received %llu of %llu bytes",
          (unsigned long long)reply[1], (unsigned long long)sent);
    CHECK(reply[0] == h, "hash mismatch: child %#llx, parent %#x",
          (unsigned long long)reply[0], h);
    int status = 0;
    waitpid(pid, &status, 0);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0, "child status %#x", status);
    close(up[0]);
    gtest_note("%u MiB through a pipe in %.2f s", BULK_BYTES >> 20,
               gtest_now(CLOCK_MONOTONIC) - t0);
}

static void polling(void)
{
    int fds[2];
    CHECK_SYS(pipe(fds));
    struct pollfd pfd = { .fd = fds[0], .events = POLLIN };
    double t0 = gtest_now(CLOCK_MONOTONIC);
    int r = poll(&pfd, 1, 200);
    double waited = gtest_now(CLOCK_MONOTONIC) - t0;
    CHECK(r == 0, "poll on an empty pipe returned %d", r);
    CHECK(waited >= 0.19 && waited < 5.0, "200 ms poll timeout took %.3f s", waited);
    CHECK(write(fds[1], "x", 1) == 1, "write");
    r = poll(&pfd, 1, 1000);
    CHECK(r == 1 && (pfd.revents & POLLIN), "poll after write: %d, revents %#x",
          r, pfd.revents);
    close(fds[1]);
    char c;
    CHECK(read(fds[0], &c, 1) == 1 && c == 'x', "read back");
    pfd.revents = 0;
    r = poll(&pfd, 1, 1000);
    CHECK(r == 1 && (pfd.revents & POLLHUP), "no POLLHUP after close: revents %#x",
          pfd.revents);
    close(fds[0]);
}

static void ping_pong(void)
{
    const int rounds = 2000;
    int sv[2];
    CHECK_SYS(socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
    pid_t pid = fork();
    CHECK_SYS(pid);
    if (pid == 0) {
        close(sv[0]);
        uint32_t v;
        while (read(sv[1], &v, sizeof(v)) == sizeof(v)) {
            v = v * 2 + 1;
            if (write(sv[1], &v, sizeof(v)) != sizeof(v))
                _exit(1);
        }
        _exit(0);
    }
    close(sv[1]);
    int bad = 0;
    double t0 = gtest_now(CLOCK_MONOTONIC);
    for (int i = 0; i < rounds; i++) {
        uint32_t v = (uint32_t)i, back = 0;
        if (write(sv[0], &v, sizeof(v)) != sizeof(v) ||
            read(sv[0], &back, sizeof(back)) != sizeof(back) || back != v * 2 + 1)
            bad++;
    }
    close(sv[0]);
    int status = 0;
    waitpid(pid, &status, 0);
    CHECK(bad == 0, "%d of %d round trips went wrong", bad, rounds);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0, "child status %#x", status);
    gtest_note("%d socketpair round trips in %.2f s", rounds,
               gtest_now(CLOCK_MONOTONIC) - t0);
}

int main(void)
{
    gtest_begin("pipes");
    bulk_transfer();
    polling();
    ping_pong();
    return gtest_end();
}
