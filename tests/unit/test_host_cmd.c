/*
 * The host's commands on console input (host_cmd.c): Ctrl-] lines are
 * taken out of the guest's input and become the xenstore writes xl makes,
 * ~/cpu/N/availability above all, which the guest's cpu watch sees.
 */
#include <string.h>
#include "unit.h"
#include "xenstore_sim.h"
#include "host_cmd.h"

#define OK(expr) ck_assert_int_eq((expr), 0)

static void expect_event(const char *path, const char *token)
{
    sim_collect_events();
    ck_assert_msg(sim_take_event(path, token), "no event %s %s (have %u)", path, token,
                  sim.nevents);
}

/* Feeds s through the filter; what reaches the guest lands in out. */
static void type(const char *s, char *out, size_t size)
{
    size_t n = 0;
    for (; *s; s++) {
        int c = host_cmd_filter((unsigned char)*s);
        if (c >= 0 && n + 1 < size)
            out[n++] = (char)c;
    }
    out[n] = '\0';
}

START_TEST(vcpu_availability_is_written_where_the_guest_watches)
{
    ck_assert_str_eq(sim_read(0, "cpu/1/availability"), "online");
    sim_watch("cpu", "cpu");
    expect_event("cpu", "cpu");
    OK(xenstore_set_vcpu_availability(1, false));
    expect_event("cpu/1/availability", "cpu");
    ck_assert_str_eq(sim_read(0, "cpu/1/availability"), "offline");
    OK(xenstore_set_vcpu_availability(1, true));
    expect_event("cpu/1/availability", "cpu");
    ck_assert_str_eq(sim_read(0, "cpu/1/availability"), "online");
    /* The domain has vCPUs 0 and 1 only. */
    ck_assert_int_eq(xenstore_set_vcpu_availability(2, false), -XEN_ENOENT);
    ck_assert_str_eq(sim_try1(XS_READ, 0, "cpu/2/availability"), "ENOENT");
}
END_TEST

START_TEST(escaped_lines_are_commands_and_never_reach_the_guest)
{
    char out[64];
    sim_watch("cpu", "cpu");
    expect_event("cpu", "cpu");
    type("ls\r\x1d" "cpu 1 offline\rpwd\r", out, sizeof(out));
    ck_assert_str_eq(out, "ls\rpwd\r");
    expect_event("cpu/1/availability", "cpu");
    ck_assert_str_eq(sim_read(0, "cpu/1/availability"), "offline");
    type("\x1d" "cpu  1   online\n", out, sizeof(out));
    ck_assert_str_eq(out, "");
    ck_assert_str_eq(sim_read(0, "cpu/1/availability"), "online");
    type("\x1d" "shutdown reboot\r", out, sizeof(out));
    ck_assert_str_eq(sim_read(0, "control/shutdown"), "reboot");
    type("\x1d" "sysrq s\r", out, sizeof(out));
    ck_assert_str_eq(sim_read(0, "control/sysrq"), "s");
    /* xl save's request: the guest's shutdown watch sees "suspend". */
    sim_watch("control/shutdown", "ctl");
    expect_event("control/shutdown", "ctl");
    type("\x1d" "save\r", out, sizeof(out));
    ck_assert_str_eq(out, "");
    expect_event("control/shutdown", "ctl");
    ck_assert_str_eq(sim_read(0, "control/shutdown"), "suspend");
    ck_assert_int_eq(host_cmd_run("save now"), -XEN_EINVAL);
}
END_TEST

START_TEST(malformed_commands_are_refused_and_change_nothing)
{
    char out[160];
    ck_assert_int_eq(host_cmd_run("cpu 1 sideways"), -XEN_EINVAL);
    ck_assert_int_eq(host_cmd_run("cpu x offline"), -XEN_EINVAL);
    ck_assert_int_eq(host_cmd_run("cpu 1"), -XEN_EINVAL);
    ck_assert_int_eq(host_cmd_run("cpu 1 offline now"), -XEN_EINVAL);
    ck_assert_int_eq(host_cmd_run("cpu 99999999 offline"), -XEN_EINVAL);
    ck_assert_int_eq(host_cmd_run("cpu 7 offline"), -XEN_ENOENT);
    ck_assert_int_eq(host_cmd_run("shutdown explode"), -XEN_EINVAL);
    ck_assert_int_eq(host_cmd_run("sysrq ab"), -XEN_EINVAL);
    ck_assert_int_eq(host_cmd_run("fly"), -XEN_EINVAL);
    /* Too long: refused whole, and the bytes still do not reach the guest. */
    char longcmd[100] = "\x1d" "cpu 1 offline";
    memset(longcmd + strlen(longcmd), ' ', 80);
    strcat(longcmd, "x\r");
    type(longcmd, out, sizeof(out));
    ck_assert_str_eq(out, "");
    ck_assert_str_eq(sim_read(0, "cpu/1/availability"), "online");
    ck_assert_str_eq(sim_read(0, "control/shutdown"), "");
}
END_TEST

START_TEST(without_a_store_commands_fail)
{
    sim_teardown();
    ck_assert_int_eq(host_cmd_run("cpu 1 offline"), -XEN_ENOSYS);
    sim_setup();
}
END_TEST

static Suite *host_cmd_suite(void)
{
    Suite *s = suite_create("host_cmd");
    TCase *tc = tcase_create("host_cmd");
    tcase_add_checked_fixture(tc, sim_setup, sim_teardown);
    tcase_add_test(tc, vcpu_availability_is_written_where_the_guest_watches);
    tcase_add_test(tc, escaped_lines_are_commands_and_never_reach_the_guest);
    tcase_add_test(tc, malformed_commands_are_refused_and_change_nothing);
    tcase_add_test(tc, without_a_store_commands_fail);
    suite_add_tcase(s, tc);
    return s;
}

UNIT_SUITE(host_cmd_suite)
