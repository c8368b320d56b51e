/*
 * The assertions the simulation helpers (mm_sim.c, xenstore_sim.c) use.
 * In the unit tests they are Check's; in the fuzzers (PVSHIM_FUZZ), where
 * no Check test is running, a failed one prints its reason and aborts, which
 * libFuzzer reports as a crash with the input that caused it.
 */
#ifndef PVSHIM_TEST_SIM_ASSERT_H
#define PVSHIM_TEST_SIM_ASSERT_H

#ifndef PVSHIM_FUZZ
#include <check.h>
#else
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define sim_fail_(...) do {                                                  \
        fprintf(stderr, "%s:%d: ", __FILE__, __LINE__);                       \
        fprintf(stderr, __VA_ARGS__);                                         \
        fputc('\n', stderr);                                                  \
        abort();                                                              \
    } while (0)

#define ck_assert_msg(c, ...) do { if (!(c)) sim_fail_(__VA_ARGS__); } while (0)
#define ck_assert(c) ck_assert_msg(c, "assertion failed: %s", #c)
#define ck_abort_msg(...) sim_fail_(__VA_ARGS__)
#define sim_cmp_(T, F, a, op, b) do {                                        \
        T a_ = (a), b_ = (b);                                                 \
        if (!(a_ op b_))                                                      \
            sim_fail_("%s %s %s (" F " vs " F ")", #a, #op, #b, a_, b_);     \
    } while (0)
#define ck_assert_int_eq(a, b) sim_cmp_(long long, "%lld", a, ==, b)
#define ck_assert_int_lt(a, b) sim_cmp_(long long, "%lld", a, <, b)
#define ck_assert_uint_eq(a, b) sim_cmp_(unsigned long long, "%llu", a, ==, b)
#define ck_assert_uint_lt(a, b) sim_cmp_(unsigned long long, "%llu", a, <, b)
#define ck_assert_uint_le(a, b) sim_cmp_(unsigned long long, "%llu", a, <=, b)
#define ck_assert_uint_ge(a, b) sim_cmp_(unsigned long long, "%llu", a, >=, b)
#define ck_assert_ptr_nonnull(p) ck_assert_msg((p) != NULL, "%s is NULL", #p)
#define ck_assert_str_eq(a, b) ck_assert_msg(strcmp((a), (b)) == 0, "%s == %s (\"%s\" vs \"%s\")", \
                                             #a, #b, (a), (b))
#endif

#endif
