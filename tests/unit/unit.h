/*
 * The unit-test harness: each tests/unit/test_*.c file defines Check
 * suites and registers them with UNIT_SUITE(fn); main.c runs them all.
 * Check forks per test, so a crash or an exit fails only that test.
 */
#ifndef PVSHIM_UNIT_H
#define PVSHIM_UNIT_H

#include <check.h>

typedef Suite *(*unit_suite_fn)(void);
void unit_register(unit_suite_fn fn);

#define UNIT_SUITE(fn) \
    __attribute__((constructor)) static void unit_register_##fn(void) { unit_register(fn); }

#endif
