/*
 * xenstore: what a Linux domU does with its store at boot, replayed
 * request by request (drivers/xen/manage.c, xenbus_probe_frontend.c,
 * xen-balloon.c, cpu_hotplug.c, xen sysfs), then a toolstack-style
 * poweroff handshake; and pvshim's dom0 calls.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "unit.h"
#include "xenstore_sim.h"

#define OK(expr) ck_assert_int_eq((expr), 0)

/* Linux names each watch by its struct's address, printed "%lX". */
#define TOK_SHUTDOWN "FFFFFFFF82A4C0E0"
#define TOK_SYSRQ    "FFFFFFFF82A4C100"
#define TOK_DEVICE   "FFFFFFFF82A4C9A0"
#define TOK_BALLOON  "FFFFFFFF82A51260"
#define TOK_CPU      "FFFFFFFF82A4B7C0"

static unsigned errors_seen;

/* A request as xenbus sends it; returns the reply body, counting unexpected errors. */
static const char *xb(uint32_t type, uint32_t tx, const void *payload, size_t len,
                      const char *expected_error)
{
    struct sim_msg m;
    static char body[XENSTORE_PAYLOAD_MAX + 1];
    sim_request(type, tx, payload, len, &m);
    if (m.hdr.type == XS_ERROR) {
        if (!expected_error || strcmp(m.body, expected_error) != 0) {
            fprintf(stderr, "unexpected %s for type %u %s\n", m.body, type, (const char *)payload);
            errors_seen++;
        }
    } else {
        ck_assert_msg(!expected_error, "expected %s for %s", expected_error,
                      (const char *)payload);
    }
    memcpy(body, m.body, m.hdr.len + 1);
    return body;
}

static const char *xb_read(uint32_t tx, const char *path)
{
    return xb(XS_READ, tx, path, strlen(path) + 1, NULL);
}

static void xb_write(uint32_t tx, const char *path, const char *value)
{
    char buf[256];
    size_t pl = strlen(path) + 1, vl = strlen(value);
    memcpy(buf, path, pl);
    memcpy(buf + pl, value, vl);
    xb(XS_WRITE, tx, buf, pl + vl, NULL);
}

static void xb_watch(const char *path, const char *token)
{
    char buf[256];
    size_t pl = strlen(path) + 1, tl = strlen(token) + 1;
    memcpy(buf, path, pl);
    memcpy(buf + pl, token, tl);
    xb(XS_WATCH, 0, buf, pl + tl, NULL);
}

static uint32_t xb_tx_start(void)
{
    return (uint32_t)strtoul(xb(XS_TRANSACTION_START, 0, "", 1, NULL), NULL, 0);
}

static const char *xb_tx_end(uint32_t tx, bool abort)
{
    return xb(XS_TRANSACTION_END, tx, abort ? "F" : "T", 2, NULL);
}

/* manage.c's shutdown_handler(): returns the command it acted on. */
static const char *shutdown_handler(void)
{
    static char cmd[32];
    for (int tries = 0; tries < 5; tries++) {
        uint32_t tx = xb_tx_start();
        snprintf(cmd, sizeof(cmd), "%s", xb_read(tx, "control/shutdown"));
        if (cmd[0] == '\0') {
            xb_tx_end(tx, true);
            return cmd;
        }
        xb_write(tx, "control/shutdown", "");
        struct sim_msg m;
        sim_request(XS_TRANSACTION_END, tx, "T", 2, &m);
        if (m.hdr.type == XS_ERROR && strcmp(m.body, "EAGAIN") == 0)
            continue;
        ck_assert_uint_eq(m.hdr.type, XS_TRANSACTION_END);
        return cmd;
    }
    ck_abort_msg("shutdown handler kept conflicting");
    return NULL;
}

/* Dispatch the watch events xenbus has received, as the xenwatch thread would. */
static unsigned run_xenwatch(void)
{
    char path[512], token[256];
    unsigned n = 0;
    sim_collect_events();
    while (sim_pop_event(path, token)) {
        n++;
        if (strcmp(token, TOK_SHUTDOWN) == 0) {
            ck_assert_str_eq(path, "control/shutdown");
            shutdown_handler();
        } else if (strcmp(token, TOK_SYSRQ) == 0) {
            uint32_t tx = xb_tx_start();
            const char *key = xb_read(tx, "control/sysrq");
            if (key[0]) {
                xb_write(tx, "control/sysrq", "");
                xb_tx_end(tx, false);
            } else {
                xb_tx_end(tx, true);
            }
        } else if (strcmp(token, TOK_DEVICE) == 0) {
            /* frontend_changed(): only paths below device/<type>/<id> matter. */
            ck_assert(strncmp(path, "device", 6) == 0);
        } else if (strcmp(token, TOK_BALLOON) == 0) {
            ck_assert_str_eq(path, "memory/target");
            ck_assert_str_eq(xb_read(0, "memory/target"), "262144");
            ck_assert_str_eq(xb_read(0, "memory/static-max"), "262144");
        } else if (strcmp(token, TOK_CPU) == 0) {
            ck_assert(strncmp(path, "cpu", 3) == 0);
        } else {
            ck_abort_msg("event with unknown token %s for %s", token, path);
        }
        sim_collect_events();
    }
    return n;
}

START_TEST(linux_domu_boot)
{
    errors_seen = 0;
    /* xb_init_comms(): the rings must be quiescent. */
    ck_assert_uint_eq(sim.ring->req_prod, sim.ring->req_cons);
    ck_assert_uint_eq(sim.ring->rsp_prod, sim.ring->rsp_cons);
    /* Features offered before any byte moved; Linux ignores them but may read them. */
    ck_assert_uint_ne(sim.ring->server_features, 0);

    /* xenstore notifier chain, in initcall order. */
    xb_watch("cpu", TOK_CPU);                               /* setup_cpu_watcher */
    ck_assert_str_eq(xb_read(0, "cpu/0/availability"), "online");
    ck_assert_str_eq(xb_read(0, "cpu/1/availability"), "online");
    xb_watch("control/shutdown", TOK_SHUTDOWN);             /* setup_shutdown_watcher */
    xb_watch("control/sysrq", TOK_SYSRQ);
    xb_write(0, "control/feature-poweroff", "1");
    xb_write(0, "control/feature-reboot", "1");
    xb_write(0, "control/feature-suspend", "1");
    /* frontend_probe_and_watch: enumerate device/<type>/<id>, then watch "device". */
    const char *types = xb(XS_DIRECTORY, 0, "device", 7, NULL);
    ck_assert_str_eq(types, "suspend");
    ck_assert_str_eq(xb(XS_DIRECTORY, 0, "device/suspend", 15, NULL), "event-channel");
    /* xenbus_probe_node() reads the state first; absent means "not a device". */
    xb(XS_READ, 0, "device/suspend/event-channel/state",
       sizeof("device/suspend/event-channel/state"), "ENOENT");
    xb_watch("device", TOK_DEVICE);
    xb_watch("memory/target", TOK_BALLOON);                 /* balloon_init_watcher */

    /* The xenwatch thread handles the registration events. */
    ck_assert_uint_eq(run_xenwatch(), 5);

    /* Later: /sys/hypervisor/uuid, userspace reading its name and id. */
    const char *vm = xb_read(0, "vm");
    ck_assert_str_eq(vm, "/vm/" SIM_UUID);
    char uuid_path[128];
    snprintf(uuid_path, sizeof(uuid_path), "%s/uuid", vm);
    ck_assert_str_eq(xb_read(0, uuid_path), SIM_UUID);
    ck_assert_str_eq(xb_read(0, "name"), "guest");
    ck_assert_str_eq(xb_read(0, "domid"), "5");
    ck_assert_str_eq(xb(XS_GET_DOMAIN_PATH, 0, "5", 2, NULL), SIM_HOME);
    ck_assert_uint_eq(errors_seen, 0);
    ck_assert_uint_eq(run_xenwatch(), 0);

    /* pvshim reports what the guest said it supports. */
    ck_assert_str_eq(dom0_read(SIM_HOME "/control/feature-poweroff"), "1");
    ck_assert_str_eq(dom0_read(SIM_HOME "/control/feature-reboot"), "1");

    /* The host asks for a poweroff: the guest sees it, acknowledges it. */
    OK(xenstore_request_shutdown("poweroff"));
    sim_collect_events();
    ck_assert_uint_eq(sim.nevents, 1);
    ck_assert_str_eq(sim.events[0].token, TOK_SHUTDOWN);
    sim.nevents = 0;
    uint32_t tx = xb_tx_start();
    ck_assert_str_eq(xb_read(tx, "control/shutdown"), "poweroff");
    xb_write(tx, "control/shutdown", "");
    ck_assert_str_eq(xb_tx_end(tx, false), "OK");
    ck_assert_str_eq(dom0_read(SIM_HOME "/control/shutdown"), "");
    /* Its own acknowledgement fires its own watch once more; the handler finds it empty. */
    ck_assert_uint_eq(run_xenwatch(), 1);
    ck_assert_uint_eq(errors_seen, 0);
    ck_assert_str_eq(dom0_control("check"), "OK");
}
END_TEST

START_TEST(older_kernels_and_kexec)
{
    errors_seen = 0;
    /* 2.6.18-xen advertises its suspend event channel. */
    xb_write(0, "device/suspend/event-channel", "12");
    ck_assert_str_eq(dom0_read(SIM_HOME "/device/suspend/event-channel"), "12");
    /* A kexec'd kernel resets what its predecessor registered (xs_reset_watches). */
    xb_watch("control/shutdown", TOK_SHUTDOWN);
    ck_assert_str_eq(xb_read(0, "control/platform-feature-xs_reset_watches"), "1");
    ck_assert_str_eq(xb(XS_RESET_WATCHES, 0, "", 1, NULL), "OK");
    sim_clear_events();
    OK(xenstore_request_shutdown("reboot"));
    sim_collect_events();
    ck_assert_uint_eq(sim.nevents, 0);
    xb_watch("control/shutdown", TOK_SHUTDOWN);
    /* The handler acts on the pending reboot; clearing it fires once more. */
    ck_assert_uint_eq(run_xenwatch(), 2);
    ck_assert_str_eq(dom0_read(SIM_HOME "/control/shutdown"), "");
    ck_assert_uint_eq(errors_seen, 0);
}
END_TEST

START_TEST(dom0_calls)
{
    char buf[16];
    size_t len;
    OK(xenstore_dom0_mkdir("/local/domain/0/backend/vbd/5/768"));
    OK(xenstore_dom0_write_str("/local/domain/0/backend/vbd/5/768/state", "1"));
    OK(xenstore_dom0_read("/local/domain/0/backend/vbd/5/768/state", buf, sizeof(buf), &len));
    ck_assert_str_eq(buf, "1");
    ck_assert_uint_eq(len, 1);
    /* Too small a buffer: truncated, full length reported. */
    OK(xenstore_dom0_write_str(SIM_HOME "/data/long", "0123456789abcdefghij"));
    OK(xenstore_dom0_read(SIM_HOME "/data/long", buf, sizeof(buf), &len));
    ck_assert_uint_eq(len, 20);
    ck_assert_mem_eq(buf, "0123456789abcdef", 16);
    ck_assert_int_eq(xenstore_dom0_read("/nothere", buf, sizeof(buf), &len), -XEN_ENOENT);
    ck_assert_int_eq(xenstore_dom0_read("bad path", buf, sizeof(buf), &len), -XEN_EINVAL);

    /* A frontend directory the guest owns and the backend may read, as libxl makes it. */
    struct xenstore_perm front[2] = { { SIM_DOMID, 'n' }, { 0, 'r' } };
    OK(xenstore_dom0_mkdir(SIM_HOME "/device/vbd/768"));
    OK(xenstore_dom0_set_perms(SIM_HOME "/device/vbd/768", front, 2));
    OK(xenstore_dom0_write_str(SIM_HOME "/device/vbd/768/backend",
                               "/local/domain/0/backend/vbd/5/768"));
    ck_assert_str_eq(sim_dir(0, "device"), "suspend,vbd");
    sim_write(0, "device/vbd/768/ring-ref", "8");
    sim_write(0, "device/vbd/768/state", "3");
    ck_assert_str_eq(sim_read(0, "device/vbd/768/backend"), "/local/domain/0/backend/vbd/5/768");
    ck_assert_str_eq(sim_try1(XS_READ, 0, "/local/domain/0/backend/vbd/5/768/state"), "EACCES");
    ck_assert_str_eq(dom0_read(SIM_HOME "/device/vbd/768/state"), "3");

    struct xenstore_perm bad[1] = { { 0, 'x' } };
    ck_assert_int_eq(xenstore_dom0_set_perms(SIM_HOME "/device", bad, 1), -XEN_EINVAL);
    ck_assert_int_eq(xenstore_dom0_set_perms(SIM_HOME "/device", bad, 0), -XEN_EINVAL);
    OK(xenstore_dom0_rm(SIM_HOME "/device/vbd"));
    ck_assert_str_eq(sim_dir(0, "device"), "suspend");

    /* The generic request: reply type and truncation. */
    uint32_t type;
    OK(xenstore_dom0_request(XS_DIRECTORY, 0, SIM_HOME "/control", sizeof(SIM_HOME "/control"),
                             &type, buf, sizeof(buf), &len));
    ck_assert_uint_eq(type, XS_DIRECTORY);
    ck_assert_uint_gt(len, sizeof(buf));
    ck_assert_int_eq(xenstore_dom0_request(XS_READ, 0, "x", XENSTORE_PAYLOAD_MAX + 1, &type,
                                           NULL, 0, NULL), -XEN_E2BIG);
    ck_assert_str_eq(dom0_control("check"), "OK");
}
END_TEST

static Suite *xenstore_boot_suite(void)
{
    Suite *s = suite_create("xenstore_boot");
    TCase *tc = tcase_create("boot");
    tcase_add_checked_fixture(tc, sim_setup, sim_teardown);
    tcase_add_test(tc, linux_domu_boot);
    tcase_add_test(tc, older_kernels_and_kexec);
    tcase_add_test(tc, dom0_calls);
    suite_add_tcase(s, tc);
    return s;
}

UNIT_SUITE(xenstore_boot_suite)
