/* Time: the wallclock is set (not 1970), `sleep 1` takes about a second by
 * both the wallclock and the monotonic clock, the clocks agree with each
 * other and with gettimeofday, and the monotonic clock (the vDSO fast path
 * when the clocksource allows it) never goes backwards.
 */
#define _GNU_SOURCE
#include "gtest.h"

#include <stdlib.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

static int run_sleep_1(void)
{
    pid_t pid = fork();
    if (pid == 0) {
        execl("/bin/sleep", "sleep", "1", (char *)NULL);
        _exit(127);
    }
    int status = -1;
    if (pid < 0 || waitpid(pid, &status, 0) != pid)
        return -1;
    return status;
}

int main(void)
{
    gtest_begin("timing");

    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    char stamp[64];
    strftime(stamp, sizeof(stamp), "%Y-%m-%d %H:%M:%S UTC", &tm);
    gtest_note("wallclock %s", stamp);
    CHECK(tm.tm_year + 1900 >= 2020, "wallclock year %d: the clock was never set",
          tm.tm_year + 1900);

    double r0 = gtest_now(CLOCK_REALTIME), m0 = gtest_now(CLOCK_MONOTONIC);
    int status = run_sleep_1();
    double r1 = gtest_now(CLOCK_REALTIME), m1 = gtest_now(CLOCK_MONOTONIC);
    CHECK(status == 0, "sleep 1 exited with status %#x", status);
    double wall = r1 - r0, mono = m1 - m0;
    gtest_note("sleep 1: %.3f s wallclock, %.3f s monotonic", wall, mono);
    CHECK(wall >= 0.99 && wall < 5.0, "sleep 1 took %.3f s by the wallclock", wall);
    CHECK(mono >= 0.99 && mono < 5.0, "sleep 1 took %.3f s by the monotonic clock", mono);
    CHECK(wall - mono < 0.25 && mono - wall < 0.25,
          "wallclock and monotonic clock disagree: %.3f vs %.3f s", wall, mono);

    struct timespec req = { .tv_nsec = 200 * 1000 * 1000 };
    m0 = gtest_now(CLOCK_MONOTONIC);
    CHECK_SYS(nanosleep(&req, NULL));
    double slept = gtest_now(CLOCK_MONOTONIC) - m0;
    CHECK(slept >= 0.199 && slept < 3.0, "nanosleep 200 ms took %.3f s", slept);

    struct timeval tv;
    gettimeofday(&tv, NULL);
    double rt = gtest_now(CLOCK_REALTIME);
    double gt = (double)tv.tv_sec + (double)tv.tv_usec / 1e6;
    CHECK(rt - gt >= 0 && rt - gt < 0.5,
          "gettimeofday %.6f and CLOCK_REALTIME %.6f disagree", gt, rt);

    struct timespec prev, cur;
    clock_gettime(CLOCK_MONOTONIC, &prev);
    long backwards = 0;
    for (int i = 0; i < 200000; i++) {
        clock_gettime(CLOCK_MONOTONIC, &cur);
        if (cur.tv_sec < prev.tv_sec ||
            (cur.tv_sec == prev.tv_sec && cur.tv_nsec < prev.tv_nsec))
            backwards++;
        prev = cur;
    }
    CHECK(backwards == 0, "CLOCK_MONOTONIC went backwards %ld times", backwards);
    return gtest_end();
}
