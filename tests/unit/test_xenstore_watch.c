/*
 * xenstore: watches as the guest sees them — the event on registration,
 * events for changes of the watched node and everything below it, after
 * removals, relative paths, special watches, permissions, duplicates,
 * queue limits and pvshim's own (dom0) watches.
 */
#include <stdio.h>
#include <string.h>
#include "unit.h"
#include "xenstore_sim.h"

#define OK(expr) ck_assert_int_eq((expr), 0)

static void expect_event(const char *path, const char *token)
{
    sim_collect_events();
    ck_assert_msg(sim_take_event(path, token), "no event %s %s (have %u)", path, token,
                  sim.nevents);
}

static void expect_no_events(void)
{
    sim_collect_events();
    ck_assert_msg(sim.nevents == 0, "unexpected event %s %s", sim.events[0].path,
                  sim.events[0].token);
}

START_TEST(registration_fires_once_after_the_reply)
{
    char buf[64];
    memcpy(buf, "control/shutdown\0tok", 21);
    sim_send(XS_WATCH, 0, buf, 21);
    struct sim_msg m;
    ck_assert(sim_get_msg(&m));
    ck_assert_uint_eq(m.hdr.type, XS_WATCH);
    ck_assert_str_eq(m.body, "OK");
    ck_assert(sim_get_msg(&m));
    ck_assert_uint_eq(m.hdr.type, XS_WATCH_EVENT);
    ck_assert_uint_eq(m.hdr.len, 21);
    ck_assert_mem_eq(m.body, "control/shutdown\0tok", 21);
    ck_assert_uint_eq(m.hdr.req_id, 0);
    ck_assert(!sim_get_msg(&m));
    /* Even for a node that does not exist (yet). */
    sim_watch("data/later", "t2");
    expect_event("data/later", "t2");
    expect_no_events();
}
END_TEST

START_TEST(changes_fire_for_the_node_and_below)
{
    sim_watch("data", "w");
    sim_clear_events();
    sim_write(0, "data/x", "1");
    expect_event("data/x", "w");
    sim_write(0, "data/x/y/z", "2");
    expect_event("data/x/y/z", "w");
    sim_write(0, "data", "self");
    expect_event("data", "w");
    expect_no_events();
    /* Not for siblings that merely share a prefix, nor for parents. */
    sim_watch("data/x", "wx");
    sim_clear_events();
    sim_write(0, "data/xy", "3");
    expect_event("data/xy", "w");
    expect_no_events();
    sim_write(0, "data", "again");
    expect_event("data", "w");
    expect_no_events();
    /* mkdir of something new fires, of something existing does not. */
    sim_mkdir(0, "data/newdir");
    expect_event("data/newdir", "w");
    sim_mkdir(0, "data/newdir");
    expect_no_events();
    /* A failed request fires nothing. */
    ck_assert_str_eq(sim_try(XS_WRITE, 0, "data//x\0v", 9), "EINVAL");
    expect_no_events();
}
END_TEST

START_TEST(absolute_and_relative_paths_come_back_as_registered)
{
    sim_watch("data", "rel");
    sim_watch(SIM_HOME "/data", "abs");
    sim_clear_events();
    sim_write(0, "data/q", "1");
    expect_event("data/q", "rel");
    expect_event(SIM_HOME "/data/q", "abs");
    expect_no_events();
    /* Same path, other token: both fire. Same pair again: EEXIST. */
    sim_watch("data", "rel2");
    ck_assert_str_eq(sim_try(XS_WATCH, 0, "data\0rel", 9), "EEXIST");
    ck_assert_str_eq(sim_try(XS_WATCH, 0, SIM_HOME "/data\0abs", sizeof(SIM_HOME "/data\0abs")),
                     "EEXIST");
    sim_clear_events();
    OK(xenstore_dom0_write_str(SIM_HOME "/data/q", "2"));
    expect_event("data/q", "rel");
    expect_event("data/q", "rel2");
    expect_event(SIM_HOME "/data/q", "abs");
    expect_no_events();
}
END_TEST

START_TEST(removal_fires_for_every_removed_watched_node)
{
    sim_write(0, "data/a/b/c", "1");
    sim_write(0, "data/a/d", "2");
    sim_watch("data", "top");
    sim_watch("data/a/b", "mid");
    sim_watch("data/a/b/c", "leaf");
    sim_watch("data/a/zz", "absent");
    sim_clear_events();
    sim_rm(0, "data/a");
    /* The removed subtree's nodes fire exactly; the root of the removal fires upwards. */
    expect_event("data/a/b/c", "leaf");
    expect_event("data/a/b", "mid");
    expect_event("data/a", "top");
    expect_no_events();
    /* Removing something absent changes nothing. */
    sim_rm(0, "data/a");
    expect_no_events();
    /* After the removal, re-creating fires again. */
    sim_write(0, "data/a/b", "new");
    expect_event("data/a/b", "mid");
    expect_event("data/a/b", "top");
    expect_no_events();
}
END_TEST

START_TEST(unwatch_stops_events)
{
    sim_watch("data", "w");
    sim_watch("data", "v");
    sim_clear_events();
    sim_unwatch("data", "w");
    sim_write(0, "data/x", "1");
    expect_event("data/x", "v");
    expect_no_events();
    ck_assert_str_eq(sim_try(XS_UNWATCH, 0, "data\0w", 7), "ENOENT");
    ck_assert_str_eq(sim_try(XS_UNWATCH, 0, "other\0v", 8), "ENOENT");
    /* The path matches in canonical form: absolute spelling of a relative watch. */
    ck_assert_str_eq(sim_try(XS_UNWATCH, 0, SIM_HOME "/data\0v", sizeof(SIM_HOME "/data\0v")),
                     "OK");
    sim_write(0, "data/x", "2");
    expect_no_events();
}
END_TEST

START_TEST(special_watches_are_accepted)
{
    sim_watch("@releaseDomain", "rel");
    expect_event("@releaseDomain", "rel");
    sim_watch("@introduceDomain", "intro");
    expect_event("@introduceDomain", "intro");
    sim_watch("@anything", "x");
    expect_event("@anything", "x");
    sim_unwatch("@releaseDomain", "rel");
    ck_assert_str_eq(sim_try(XS_WATCH, 0, "@bad.char\0t", 11), "EINVAL");
    sim_write(0, "data/x", "1");
    expect_no_events();
}
END_TEST

START_TEST(events_respect_read_permission)
{
    sim_watch("/", "root");
    sim_watch("/local/domain/0", "dom0");
    sim_clear_events();
    /* Nodes the guest cannot read (nor their parent): no event. */
    OK(xenstore_dom0_write_str("/local/domain/0/secret", "s"));
    OK(xenstore_dom0_write_str("/tool/other", "t"));
    expect_no_events();
    /* Readable: the event carries the full path for an absolute watch. */
    OK(xenstore_dom0_write_str(SIM_HOME "/memory/target", "1024"));
    expect_event(SIM_HOME "/memory/target", "root");
    expect_no_events();
    /* An unreadable node under a readable parent still tells the guest something changed. */
    struct xenstore_perm none[1] = { { 0, 'n' } };
    OK(xenstore_dom0_write_str(SIM_HOME "/hidden", "h"));
    sim_clear_events();
    OK(xenstore_dom0_set_perms(SIM_HOME "/hidden", none, 1));
    /* The old permissions allowed reading: the change is reported. */
    expect_event(SIM_HOME "/hidden", "root");
    OK(xenstore_dom0_write_str(SIM_HOME "/hidden", "h2"));
    expect_event(SIM_HOME "/hidden", "root");
    OK(xenstore_dom0_write_str(SIM_HOME "/hidden/deeper", "d"));
    expect_no_events();
}
END_TEST

START_TEST(pvshim_writes_reach_the_guest_with_a_notification)
{
    sim_watch("control/shutdown", "sd");
    sim_clear_events();
    unsigned before = sim.notifies;
    OK(xenstore_request_shutdown("poweroff"));
    ck_assert_uint_gt(sim.notifies, before);
    ck_assert_uint_gt(sim_rsp_pending(), 0);
    expect_event("control/shutdown", "sd");
    ck_assert_str_eq(sim_read(0, "control/shutdown"), "poweroff");
    OK(xenstore_request_shutdown("reboot"));
    expect_event("control/shutdown", "sd");
    ck_assert_str_eq(sim_read(0, "control/shutdown"), "reboot");
    ck_assert_int_eq(xenstore_request_shutdown("explode"), -XEN_EINVAL);
    ck_assert_int_eq(xenstore_request_shutdown(NULL), -XEN_EINVAL);
    sim_watch("control/sysrq", "rq");
    sim_clear_events();
    OK(xenstore_send_sysrq('s'));
    expect_event("control/sysrq", "rq");
    ck_assert_str_eq(sim_read(0, "control/sysrq"), "s");
    ck_assert_int_eq(xenstore_send_sysrq('\n'), -XEN_EINVAL);
    expect_no_events();
}
END_TEST

START_TEST(identical_pending_events_are_merged)
{
    sim_watch("data", "w");
    sim_clear_events();
    /* Fill the rsp ring so later events wait in pvshim's queue. */
    char path[64];
    int i = 0;
    while (sim_rsp_pending() < XENSTORE_RING_SIZE) {
        snprintf(path, sizeof(path), SIM_HOME "/data/fill%d", i++);
        OK(xenstore_dom0_write_str(path, "x"));
    }
    OK(xenstore_dom0_write_str(SIM_HOME "/data/same", "1"));
    OK(xenstore_dom0_write_str(SIM_HOME "/data/same", "2"));
    OK(xenstore_dom0_write_str(SIM_HOME "/data/same", "3"));
    sim_collect_events();
    ck_assert_uint_eq(sim.nevents, (unsigned)i + 1);
    ck_assert(sim_take_event("data/same", "w"));
    ck_assert(!sim_take_event("data/same", "w"));
}
END_TEST

START_TEST(a_guest_that_never_reads_loses_events_not_replies)
{
    sim_watch("data", "w");
    sim_clear_events();
    char path[64];
    for (int i = 0; i < 3000; i++) {
        snprintf(path, sizeof(path), SIM_HOME "/data/e%d", i);
        OK(xenstore_dom0_write_str(path, "x"));
    }
    /* Bounded: what waits is at most the ring plus pvshim's queue. */
    sim_collect_events();
    ck_assert_uint_lt(sim.nevents, 3000);
    ck_assert_uint_gt(sim.nevents, 100);
    sim_clear_events();
    /* And the guest is still answered. */
    ck_assert_str_eq(sim_read(0, "name"), "guest");
}
END_TEST

START_TEST(transaction_changes_fire_at_commit)
{
    sim_watch("data", "w");
    sim_clear_events();
    uint32_t tx = sim_tx_start();
    sim_write(tx, "data/t", "1");
    sim_write(tx, "data/t", "2");
    sim_write(tx, "data/u/v", "3");
    expect_no_events();
    ck_assert_str_eq(sim_try1(XS_TRANSACTION_END, tx, "T"), "OK");
    expect_event("data/t", "w");
    expect_event("data/u/v", "w");
    expect_no_events();
    tx = sim_tx_start();
    sim_write(tx, "data/t", "aborted");
    sim_rm(tx, "data/u");
    ck_assert_str_eq(sim_try1(XS_TRANSACTION_END, tx, "F"), "OK");
    expect_no_events();
    tx = sim_tx_start();
    sim_rm(tx, "data/u");
    ck_assert_str_eq(sim_try1(XS_TRANSACTION_END, tx, "T"), "OK");
    /* As outside a transaction: "data" hears of the removal's root only. */
    expect_event("data/u", "w");
    expect_no_events();
}
END_TEST

START_TEST(watch_quota)
{
    char buf[64];
    for (int i = 0; i < 128; i++) {
        int n = snprintf(buf, sizeof(buf), "data/w%d%ct", i, '\0');
        ck_assert_str_eq(sim_try(XS_WATCH, 0, buf, (size_t)n + 1), "OK");
    }
    ck_assert_str_eq(sim_try(XS_WATCH, 0, "data/more\0t", 12), "ENOSPC");
    sim_unwatch("data/w0", "t");
    ck_assert_str_eq(sim_try(XS_WATCH, 0, "data/more\0t", 12), "OK");
}
END_TEST

struct dom0_probe {
    unsigned calls;
    bool write_back;
};
static struct dom0_probe probe;

static void dom0_backend(const char *path, const char *token, void *arg)
{
    (void)arg;
    probe.calls++;
    snprintf(sim.dom0_last_path, sizeof(sim.dom0_last_path), "%s", path);
    snprintf(sim.dom0_last_token, sizeof(sim.dom0_last_token), "%s", token);
    /* A backend answering a frontend's change from inside its handler. */
    if (probe.write_back && strcmp(path, SIM_HOME "/data/state") == 0) {
        char v[8];
        if (xenstore_dom0_read(path, v, sizeof(v), NULL) == 0 && strcmp(v, "3") == 0)
            OK(xenstore_dom0_write_str(SIM_HOME "/data/backend-state", "4"));
    }
}

START_TEST(pvshim_watches)
{
    memset(&probe, 0, sizeof(probe));
    OK(xenstore_dom0_watch(SIM_HOME "/data", "be", dom0_backend, NULL));
    ck_assert_uint_eq(probe.calls, 1);
    ck_assert_str_eq(sim.dom0_last_path, SIM_HOME "/data");
    ck_assert_str_eq(sim.dom0_last_token, "be");
    ck_assert_int_eq(xenstore_dom0_watch(SIM_HOME "/data", "be", dom0_backend, NULL),
                     -XEN_EEXIST);

    /* The guest's change reaches pvshim once the guest's request is done. */
    probe.write_back = true;
    sim_watch("data/backend-state", "fe");
    sim_clear_events();
    sim_write(0, "data/state", "3");
    ck_assert_str_eq(sim.dom0_last_path, SIM_HOME "/data/backend-state");
    ck_assert_str_eq(dom0_read(SIM_HOME "/data/backend-state"), "4");
    expect_event("data/backend-state", "fe");
    /* Relative paths are the dom0 connection's own home. */
    OK(xenstore_dom0_watch("backend", "mine", dom0_backend, NULL));
    ck_assert_str_eq(sim.dom0_last_path, "backend");
    OK(xenstore_dom0_unwatch(SIM_HOME "/data", "be"));
    ck_assert_int_eq(xenstore_dom0_unwatch(SIM_HOME "/data", "be"), -XEN_ENOENT);
    unsigned calls = probe.calls;
    sim_write(0, "data/state", "5");
    ck_assert_uint_eq(probe.calls, calls);
}
END_TEST

/* Each watch's events go to the handler its token names, and only there. */
START_TEST(pvshim_watch_dispatch)
{
    memset(&probe, 0, sizeof(probe));
    sim.dom0_events = 0;
    OK(xenstore_dom0_watch(SIM_HOME "/data/a", "vbd0", dom0_backend, NULL));
    OK(xenstore_dom0_watch(SIM_HOME "/data/b", "vif0", sim_dom0_handler, NULL));
    ck_assert_uint_eq(probe.calls, 1);
    ck_assert_uint_eq(sim.dom0_events, 1);
    /* A token names one handler: another one for it is refused. */
    ck_assert_int_eq(xenstore_dom0_watch(SIM_HOME "/data/c", "vbd0", sim_dom0_handler, NULL),
                     -XEN_EEXIST);
    ck_assert_int_eq(xenstore_dom0_watch(SIM_HOME "/data/c", "vbd0", dom0_backend, &probe),
                     -XEN_EEXIST);
    /* Shared by two watches with the same handler. */
    OK(xenstore_dom0_watch(SIM_HOME "/data/c", "vbd0", dom0_backend, NULL));
    ck_assert_uint_eq(probe.calls, 2);
    sim_write(0, "data/b", "x");
    ck_assert_uint_eq(probe.calls, 2);
    ck_assert_uint_eq(sim.dom0_events, 2);
    ck_assert_str_eq(sim.dom0_last_token, "vif0");
    sim_write(0, "data/a", "x");
    sim_write(0, "data/c", "x");
    ck_assert_uint_eq(probe.calls, 4);
    ck_assert_uint_eq(sim.dom0_events, 2);
    /* The token's handler stays until its last watch goes. */
    OK(xenstore_dom0_unwatch(SIM_HOME "/data/a", "vbd0"));
    sim_write(0, "data/c", "y");
    ck_assert_uint_eq(probe.calls, 5);
    OK(xenstore_dom0_unwatch(SIM_HOME "/data/c", "vbd0"));
    OK(xenstore_dom0_watch(SIM_HOME "/data/a", "vbd0", sim_dom0_handler, NULL));
    ck_assert_uint_eq(sim.dom0_events, 3);
    ck_assert_str_eq(sim.dom0_last_token, "vbd0");
    /* Tokens the table cannot hold. */
    ck_assert_int_eq(xenstore_dom0_watch(SIM_HOME "/data/a", "", dom0_backend, NULL),
                     -XEN_EINVAL);
    ck_assert_int_eq(xenstore_dom0_watch(SIM_HOME "/data/a", "0123456789abcdef0123456789abcdef",
                                         dom0_backend, NULL), -XEN_E2BIG);
    ck_assert_int_eq(xenstore_dom0_watch(SIM_HOME "/data/a", "t", NULL, NULL), -XEN_EINVAL);
    char tok[8];
    int rc = 0;
    unsigned n;
    for (n = 0; n < 64 && rc == 0; n++) {
        snprintf(tok, sizeof(tok), "t%u", n);
        rc = xenstore_dom0_watch(SIM_HOME "/data/a", tok, dom0_backend, NULL);
    }
    ck_assert_int_eq(rc, -XEN_ENOSPC);
    ck_assert_uint_eq(n, 32 - 2 + 1);
}
END_TEST

static Suite *xenstore_watch_suite(void)
{
    Suite *s = suite_create("xenstore_watch");
    TCase *tc = tcase_create("watch");
    tcase_add_checked_fixture(tc, sim_setup, sim_teardown);
    tcase_add_test(tc, registration_fires_once_after_the_reply);
    tcase_add_test(tc, changes_fire_for_the_node_and_below);
    tcase_add_test(tc, absolute_and_relative_paths_come_back_as_registered);
    tcase_add_test(tc, removal_fires_for_every_removed_watched_node);
    tcase_add_test(tc, unwatch_stops_events);
    tcase_add_test(tc, special_watches_are_accepted);
    tcase_add_test(tc, events_respect_read_permission);
    tcase_add_test(tc, pvshim_writes_reach_the_guest_with_a_notification);
    tcase_add_test(tc, identical_pending_events_are_merged);
    tcase_add_test(tc, a_guest_that_never_reads_loses_events_not_replies);
    tcase_add_test(tc, transaction_changes_fire_at_commit);
    tcase_add_test(tc, watch_quota);
    tcase_add_test(tc, pvshim_watches);
    tcase_add_test(tc, pvshim_watch_dispatch);
    suite_add_tcase(s, tc);
    return s;
}

UNIT_SUITE(xenstore_watch_suite)
