/* Runs every registered suite; exit status 0 only if every test passed. */
#include <stdio.h>
#include <stdlib.h>
#include "unit.h"
#include "fakes.h"

#define MAX_SUITES 256

static unit_suite_fn suites[MAX_SUITES];
static int nr_suites;

void unit_register(unit_suite_fn fn)
{
    if (nr_suites == MAX_SUITES) {
        fprintf(stderr, "unit: too many suites\n");
        exit(2);
    }
    suites[nr_suites++] = fn;
}

int main(void)
{
    const char *echo = getenv("PVSHIM_TEST_LOG");
    fake_log_echo = echo && *echo == '1';
    /* Check's timeouts catch hangs, they are not measurements: on a
     * loaded machine (a CI runner, tests in parallel) the 4 s default
     * failed sanitizer-built cases that were only slow. The caller's
     * setting wins. */
    setenv("CK_TIMEOUT_MULTIPLIER", "5", 0);

    SRunner *sr = srunner_create(NULL);
    for (int i = 0; i < nr_suites; i++)
        srunner_add_suite(sr, suites[i]());
    srunner_run_all(sr, CK_NORMAL);
    int run = srunner_ntests_run(sr);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    printf("unit tests: %d passed, %d failed\n", run - failed, failed);
    return failed ? 1 : 0;
}
