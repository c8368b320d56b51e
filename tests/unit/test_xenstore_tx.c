/*
 * xenstore: transactions — isolation until commit, abort, conflicts
 * (EAGAIN when something read or written changed meanwhile, by the guest,
 * by pvshim or by another transaction), ids, limits and misuse.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "unit.h"
#include "xenstore_sim.h"

#define OK(expr) ck_assert_int_eq((expr), 0)

static const char *end_tx(uint32_t tx, bool commit)
{
    return sim_try1(XS_TRANSACTION_END, tx, commit ? "T" : "F");
}

START_TEST(changes_are_private_until_commit)
{
    uint32_t tx = sim_tx_start();
    ck_assert_uint_ne(tx, 0);
    sim_write(tx, "data/a", "1");
    sim_write(tx, "data/b/c", "2");
    ck_assert_str_eq(sim_read(tx, "data/a"), "1");
    ck_assert_str_eq(sim_dir(tx, "data"), "a,b");
    ck_assert_str_eq(sim_try1(XS_READ, 0, "data/a"), "ENOENT");
    ck_assert_str_eq(sim_dir(0, "data"), "");
    ck_assert_str_eq(end_tx(tx, true), "OK");
    ck_assert_str_eq(sim_read(0, "data/a"), "1");
    ck_assert_str_eq(sim_read(0, "data/b/c"), "2");
    ck_assert_str_eq(sim_perms(0, "data/b"), "n5");
    ck_assert_str_eq(dom0_control("check"), "OK");
    /* The id is gone after the end. */
    ck_assert_str_eq(sim_try1(XS_READ, tx, "data/a"), "ENOENT");
    ck_assert_str_eq(end_tx(tx, true), "ENOENT");
}
END_TEST

START_TEST(abort_discards)
{
    sim_write(0, "data/keep", "k");
    uint32_t tx = sim_tx_start();
    sim_write(tx, "data/a", "1");
    sim_rm(tx, "data/keep");
    ck_assert_str_eq(sim_try1(XS_READ, tx, "data/keep"), "ENOENT");
    sim_mkdir(tx, "data/m");
    ck_assert_str_eq(sim_set_perms(tx, "data/m", "n5,r0"), "OK");
    ck_assert_str_eq(end_tx(tx, false), "OK");
    ck_assert_str_eq(sim_try1(XS_READ, 0, "data/a"), "ENOENT");
    ck_assert_str_eq(sim_read(0, "data/keep"), "k");
    ck_assert_str_eq(sim_dir(0, "data"), "keep");
    ck_assert_str_eq(dom0_control("check"), "OK");
}
END_TEST

START_TEST(removal_inside_a_transaction)
{
    sim_write(0, "data/t/x/y", "1");
    sim_write(0, "data/t/z", "2");
    uint32_t tx = sim_tx_start();
    sim_rm(tx, "data/t");
    ck_assert_str_eq(sim_dir(tx, "data"), "");
    ck_assert_str_eq(sim_read(0, "data/t/x/y"), "1");
    sim_write(tx, "data/t/new", "3");
    ck_assert_str_eq(sim_dir(tx, "data/t"), "new");
    ck_assert_str_eq(end_tx(tx, true), "OK");
    ck_assert_str_eq(sim_dir(0, "data/t"), "new");
    ck_assert_str_eq(sim_try1(XS_READ, 0, "data/t/x"), "ENOENT");
    ck_assert_str_eq(dom0_control("check"), "OK");
}
END_TEST

START_TEST(conflict_on_something_read)
{
    sim_write(0, "data/a", "1");
    uint32_t tx = sim_tx_start();
    ck_assert_str_eq(sim_read(tx, "data/a"), "1");
    sim_write(0, "data/a", "2");
    sim_write(tx, "data/b", "x");
    ck_assert_str_eq(end_tx(tx, true), "EAGAIN");
    ck_assert_str_eq(sim_try1(XS_READ, 0, "data/b"), "ENOENT");
    /* EAGAIN ends the transaction too. */
    ck_assert_str_eq(end_tx(tx, true), "ENOENT");
}
END_TEST

START_TEST(conflict_on_something_written)
{
    sim_write(0, "data/a", "1");
    uint32_t tx = sim_tx_start();
    sim_write(tx, "data/a", "tx");
    sim_write(0, "data/a", "outside");
    ck_assert_str_eq(end_tx(tx, true), "EAGAIN");
    ck_assert_str_eq(sim_read(0, "data/a"), "outside");
}
END_TEST

START_TEST(conflict_on_something_removed_or_created)
{
    sim_write(0, "data/a", "1");
    uint32_t tx = sim_tx_start();
    ck_assert_str_eq(sim_read(tx, "data/a"), "1");
    sim_rm(0, "data/a");
    ck_assert_str_eq(end_tx(tx, true), "EAGAIN");

    /* Seen absent, then created by someone else. */
    tx = sim_tx_start();
    ck_assert_str_eq(sim_try1(XS_READ, tx, "data/n"), "ENOENT");
    sim_write(0, "data/n", "appeared");
    ck_assert_str_eq(end_tx(tx, true), "EAGAIN");

    /* A sibling created below a directory the transaction changed. */
    tx = sim_tx_start();
    sim_write(tx, "data/mine", "1");
    sim_write(0, "data/theirs", "2");
    ck_assert_str_eq(end_tx(tx, true), "EAGAIN");
    ck_assert_str_eq(sim_try1(XS_READ, 0, "data/mine"), "ENOENT");
}
END_TEST

START_TEST(no_conflict_on_unrelated_changes)
{
    sim_write(0, "data/a", "1");
    sim_write(0, "data/b", "1");
    uint32_t tx = sim_tx_start();
    ck_assert_str_eq(sim_read(tx, "data/a"), "1");
    sim_write(tx, "data/a", "2");
    sim_write(0, "data/b", "changed");
    OK(xenstore_dom0_write_str(SIM_HOME "/memory/target", "1000"));
    ck_assert_str_eq(end_tx(tx, true), "OK");
    ck_assert_str_eq(sim_read(0, "data/a"), "2");
    ck_assert_str_eq(sim_read(0, "data/b"), "changed");
}
END_TEST

START_TEST(pvshim_write_during_the_shutdown_handshake)
{
    /* Linux's shutdown handler: read control/shutdown, clear it, commit; retry on EAGAIN. */
    OK(xenstore_request_shutdown("poweroff"));
    uint32_t tx = sim_tx_start();
    ck_assert_str_eq(sim_read(tx, "control/shutdown"), "poweroff");
    sim_write(tx, "control/shutdown", "");
    OK(xenstore_request_shutdown("reboot"));
    ck_assert_str_eq(end_tx(tx, true), "EAGAIN");
    tx = sim_tx_start();
    ck_assert_str_eq(sim_read(tx, "control/shutdown"), "reboot");
    sim_write(tx, "control/shutdown", "");
    ck_assert_str_eq(end_tx(tx, true), "OK");
    ck_assert_str_eq(dom0_read(SIM_HOME "/control/shutdown"), "");
}
END_TEST

START_TEST(two_transactions_interfering)
{
    /* xenstored's example: T1 reads A, T2 reads B, T1 writes B, T2 writes A. */
    sim_write(0, "data/A", "a");
    sim_write(0, "data/B", "b");
    uint32_t t1 = sim_tx_start(), t2 = sim_tx_start();
    ck_assert_uint_ne(t1, t2);
    ck_assert_str_eq(sim_read(t1, "data/A"), "a");
    ck_assert_str_eq(sim_read(t2, "data/B"), "b");
    sim_write(t1, "data/B", "from1");
    sim_write(t2, "data/A", "from2");
    ck_assert_str_eq(end_tx(t1, true), "OK");
    ck_assert_str_eq(end_tx(t2, true), "EAGAIN");
    ck_assert_str_eq(sim_read(0, "data/A"), "a");
    ck_assert_str_eq(sim_read(0, "data/B"), "from1");
}
END_TEST

START_TEST(misuse)
{
    uint32_t tx = sim_tx_start();
    /* No nesting; unknown ids; bad end arguments. */
    ck_assert_str_eq(sim_try(XS_TRANSACTION_START, tx, "", 1), "EBUSY");
    ck_assert_str_eq(sim_try(XS_TRANSACTION_START, tx + 100, "", 1), "ENOENT");
    ck_assert_str_eq(end_tx(0, true), "ENOENT");
    ck_assert_str_eq(end_tx(tx + 100, true), "ENOENT");
    ck_assert_str_eq(sim_try1(XS_TRANSACTION_END, tx, "X"), "EINVAL");
    ck_assert_str_eq(sim_try1(XS_TRANSACTION_END, tx, "TT"), "EINVAL");
    ck_assert_str_eq(sim_try(XS_TRANSACTION_END, tx, "T", 1), "EINVAL");
    /* Still usable after those. */
    sim_write(tx, "data/x", "1");
    ck_assert_str_eq(end_tx(tx, true), "OK");
    /* Watches ignore the transaction id, whatever it is. */
    ck_assert_str_eq(sim_try(XS_WATCH, 12345, "data\0t", 7), "OK");
}
END_TEST

START_TEST(ids_are_fresh_and_limited)
{
    uint32_t ids[10];
    for (int i = 0; i < 10; i++) {
        ids[i] = sim_tx_start();
        ck_assert_uint_ne(ids[i], 0);
        for (int j = 0; j < i; j++)
            ck_assert_uint_ne(ids[i], ids[j]);
    }
    ck_assert_str_eq(sim_try(XS_TRANSACTION_START, 0, "", 1), "ENOSPC");
    ck_assert_str_eq(end_tx(ids[3], false), "OK");
    uint32_t again = sim_tx_start();
    for (int j = 0; j < 10; j++)
        if (j != 3)
            ck_assert_uint_ne(again, ids[j]);
    /* dom0's own transactions are not the guest's. */
    char buf[32];
    uint32_t type;
    size_t len;
    OK(xenstore_dom0_request(XS_TRANSACTION_START, 0, "", 1, &type, buf, sizeof(buf), &len));
    uint32_t d = (uint32_t)strtoul(buf, NULL, 10);
    OK(xenstore_dom0_request(XS_WRITE, d, "/local/domain/5/data/d0\0v", 26, &type, buf,
                             sizeof(buf), &len));
    ck_assert_ptr_null(dom0_read(SIM_HOME "/data/d0"));
    OK(xenstore_dom0_request(XS_TRANSACTION_END, d, "T", 2, &type, buf, sizeof(buf), &len));
    ck_assert_str_eq(dom0_read(SIM_HOME "/data/d0"), "v");
}
END_TEST

START_TEST(transaction_node_limit_poisons_the_transaction)
{
    sim_teardown();
    struct xenstore_guest_params p;
    sim_default_params(&p);
    struct xenstore_quota q = { .tx_nodes = 6 };
    sim_setup_with(&p, &q);
    uint32_t tx = sim_tx_start();
    char path[32];
    const char *r = "OK";
    int i;
    for (i = 0; i < 10 && strcmp(r, "OK") == 0; i++) {
        snprintf(path, sizeof(path), "data/n%d", i);
        r = sim_try(XS_WRITE, tx, path, strlen(path) + 1);
    }
    ck_assert_str_eq(r, "ENOSPC");
    ck_assert_int_lt(i, 10);
    /* xenstored refuses to commit a transaction that lost track: ENOMEM. */
    ck_assert_str_eq(end_tx(tx, true), "ENOMEM");
    ck_assert_str_eq(sim_dir(0, "data"), "");
}
END_TEST

START_TEST(node_quota_is_checked_at_commit)
{
    sim_teardown();
    struct xenstore_guest_params p;
    sim_default_params(&p);
    struct xenstore_quota q = { .nodes = 16 };
    sim_setup_with(&p, &q);
    /* 12 nodes at start; two transactions each add 3: only one of them fits. */
    uint32_t t1 = sim_tx_start(), t2 = sim_tx_start();
    sim_write(t1, "data/a1", "");
    sim_write(t1, "data/a2", "");
    sim_write(t1, "data/a3", "");
    sim_write(t2, "drivers/b1", "");
    sim_write(t2, "drivers/b2", "");
    ck_assert_str_eq(end_tx(t1, true), "OK");
    ck_assert_str_eq(end_tx(t2, true), "ENOSPC");
    ck_assert_str_eq(sim_dir(0, "drivers"), "");
    uint32_t t3 = sim_tx_start();
    sim_write(t3, "data/c1", "");
    ck_assert_str_eq(sim_try(XS_WRITE, t3, "data/c2", 8), "ENOSPC");
    ck_assert_str_eq(end_tx(t3, true), "OK");
    ck_assert_str_eq(sim_dir(0, "data"), "a1,a2,a3,c1");
    ck_assert_str_eq(dom0_control("check"), "OK");
}
END_TEST

static Suite *xenstore_tx_suite(void)
{
    Suite *s = suite_create("xenstore_tx");
    TCase *tc = tcase_create("tx");
    tcase_add_checked_fixture(tc, sim_setup, sim_teardown);
    tcase_add_test(tc, changes_are_private_until_commit);
    tcase_add_test(tc, abort_discards);
    tcase_add_test(tc, removal_inside_a_transaction);
    tcase_add_test(tc, conflict_on_something_read);
    tcase_add_test(tc, conflict_on_something_written);
    tcase_add_test(tc, conflict_on_something_removed_or_created);
    tcase_add_test(tc, no_conflict_on_unrelated_changes);
    tcase_add_test(tc, pvshim_write_during_the_shutdown_handshake);
    tcase_add_test(tc, two_transactions_interfering);
    tcase_add_test(tc, misuse);
    tcase_add_test(tc, ids_are_fresh_and_limited);
    tcase_add_test(tc, transaction_node_limit_poisons_the_transaction);
    tcase_add_test(tc, node_quota_is_checked_at_commit);
    suite_add_tcase(s, tc);
    return s;
}

UNIT_SUITE(xenstore_tx_suite)
