/*
 * The vbd handshake on the host: pvshim's xenstore with a simulated guest
 * (xenstore_sim) playing xen-blkfront, the simulated MMU for the grant
 * table and the ring page, the real event channels, and a fake disk that
 * completes at once when the test says so. Checks the keys and states a
 * Linux 6.1 frontend relies on, from the guest's side of the store.
 */
#include <stdio.h>
#include <string.h>
#include "unit.h"
#include "mm_sim.h"
#include "xenstore_sim.h"
#include "vbd.h"
#include "event_channel.h"
#include "grant_table.h"
#include "grant_access.h"
#include <pvshim/frame_alloc.h>
#include <xen/io/xenbus.h>

#define FE SIM_HOME "/device/vbd/51712"
#define BE "/local/domain/0/backend/vbd/5/51712"
#define RING_REF 8

static struct shared_info si;
static grant_entry_v1_t *gt;
static mfn_t ring_mfn;
static blkif_sring_t *sring;
static evtchn_port_t fe_port;

/* ---- a fake disk: requests wait until fake_complete() */
static struct blkdev_io *waiting[8];
static unsigned nr_waiting;

static int fake_submit(struct blkdev *d, struct blkdev_io *io)
{
    waiting[nr_waiting++] = io;
    return 0;
}
static void fake_poll(struct blkdev *d) {}
static unsigned fake_in_flight(const struct blkdev *d)
{
    return nr_waiting;
}
static void fake_complete(void)
{
    while (nr_waiting) {
        struct blkdev_io *io = waiting[--nr_waiting];
        io->done(io, 0);
    }
}

static struct blkdev disk = {
    .name = "fake0", .sectors = 2048, .block_size = 512, .has_flush = true,
    .max_segs = 32, .submit = fake_submit, .poll = fake_poll, .in_flight = fake_in_flight,
};

static long evtchn_op(int cmd, void *arg, size_t len)
{
    memcpy(mm_sim_args + 0x2000, arg, len);
    long rc = do_event_channel_op(cmd, SIM_ARGS_VA + 0x2000);
    memcpy(arg, mm_sim_args + 0x2000, len);
    return rc;
}

static void setup(void)
{
    mm_sim_setup();
    frame_pool_init(&machine_frames);
    ck_assert(frame_pool_free(&machine_frames, SIM_FREE_FIRST, 8));
    struct gnttab_setup_table op = { .dom = DOMID_SELF, .nr_frames = 1 };
    set_xen_guest_handle(op.frame_list, (xen_pfn_t *)(uintptr_t)(SIM_ARGS_VA + 0x800));
    memcpy(mm_sim_args, &op, sizeof(op));
    ck_assert_int_eq(do_grant_table_op(GNTTABOP_setup_table, SIM_ARGS_VA, 1), 0);
    gt = (grant_entry_v1_t *)gnttab_entry(0);
    ck_assert_ptr_nonnull(gt);

    memset(&si, 0, sizeof(si));
    dom.shared_info = &si;
    dom.vcpu[0].vcpu_info = &si.vcpu_info[0];
    evtchn_init();
    sim_setup();
    nr_waiting = 0;
    disk.read_only = false;

    /* The frontend's ring page, granted to the backend, and its port. */
    ring_mfn = mm_sim_alloc();
    sring = (blkif_sring_t *)mm_sim_table(ring_mfn);
    sring->req_event = sring->rsp_event = 1;
    gt[RING_REF] = (grant_entry_v1_t){ GTF_permit_access, 0, (uint32_t)ring_mfn };
    struct evtchn_alloc_unbound au = { .dom = DOMID_SELF, .remote_dom = 0 };
    ck_assert_int_eq(evtchn_op(EVTCHNOP_alloc_unbound, &au, sizeof(au)), 0);
    fe_port = au.port;
}

static void teardown(void)
{
    sim_teardown();
    mm_sim_teardown();
}

/* A vbd for the disk; its state stays on the heap for good (not a leak). */
static void create_vbd(unsigned index)
{
    ck_assert_int_eq(vbd_create(&disk, SIM_DOMID, index), 0);
    sim.heap_base += sizeof(struct vbd);
}

static void fe_connect(const char *protocol)
{
    char v[16];
    snprintf(v, sizeof(v), "%u", RING_REF);
    sim_write(0, FE "/ring-ref", v);
    snprintf(v, sizeof(v), "%u", fe_port);
    sim_write(0, FE "/event-channel", v);
    sim_write(0, FE "/protocol", protocol);
    sim_write(0, FE "/state", "3");
}

START_TEST(directories_as_blkfront_needs_them)
{
    create_vbd(0);
    /* Read as the guest reads them: the backend's directory is readable. */
    ck_assert_str_eq(sim_read(0, FE "/backend"), BE);
    ck_assert_str_eq(sim_read(0, FE "/backend-id"), "0");
    ck_assert_str_eq(sim_read(0, FE "/virtual-device"), "51712");
    ck_assert_str_eq(sim_read(0, FE "/state"), "1");
    ck_assert_str_eq(sim_read(0, BE "/frontend"), FE);
    ck_assert_str_eq(sim_read(0, BE "/frontend-id"), "5");
    ck_assert_str_eq(sim_read(0, BE "/state"), "2");
    ck_assert_str_eq(sim_read(0, BE "/feature-max-indirect-segments"), "32");
    ck_assert_str_eq(sim_read(0, BE "/mode"), "w");
    ck_assert_str_eq(sim_perms(0, FE), "n5,r0");
    ck_assert_str_eq(sim_perms(0, BE), "n0,r5");
    /* Not the guest's to change. */
    ck_assert_str_eq(sim_try1(XS_RM, 0, BE "/state"), "EACCES");
}
END_TEST

START_TEST(handshake_io_and_close)
{
    create_vbd(0);
    fe_connect("x86_64-abi");
    ck_assert_str_eq(sim_read(0, BE "/state"), "4");
    ck_assert_str_eq(sim_read(0, BE "/sectors"), "2048");
    ck_assert_str_eq(sim_read(0, BE "/info"), "0");
    ck_assert_str_eq(sim_read(0, BE "/sector-size"), "512");
    ck_assert_str_eq(sim_read(0, BE "/feature-flush-cache"), "1");
    ck_assert_uint_eq(gt[RING_REF].flags, GTF_permit_access | GTF_reading | GTF_writing);
    sim_write(0, FE "/state", "4");

    /* A flush through the ring and the event channel. */
    sring->ring[0].req = (blkif_request_t){ .operation = BLKIF_OP_FLUSH_DISKCACHE, .id = 42 };
    sring->req_prod = 1;
    struct evtchn_send send = { .port = fe_port };
    ck_assert_int_eq(evtchn_op(EVTCHNOP_send, &send, sizeof(send)), 0);
    ck_assert_uint_eq(nr_waiting, 1);
    ck_assert_uint_eq(sring->rsp_prod, 0);
    fake_complete();
    ck_assert_uint_eq(sring->rsp_prod, 1);
    ck_assert_uint_eq(sring->ring[0].rsp.id, 42);
    ck_assert_int_eq(sring->ring[0].rsp.status, BLKIF_RSP_OKAY);
    ck_assert(si.evtchn_pending[0] & (1ull << fe_port));

    /* Shutdown: Closing lets go of the ring and the port, then Closed. */
    sim_write(0, FE "/state", "5");
    ck_assert_str_eq(sim_read(0, BE "/state"), "5");
    ck_assert_uint_eq(gt[RING_REF].flags, GTF_permit_access);
    struct evtchn_status st = { .dom = DOMID_SELF, .port = fe_port };
    ck_assert_int_eq(evtchn_op(EVTCHNOP_status, &st, sizeof(st)), 0);
    ck_assert_uint_eq(st.status, EVTCHNSTAT_unbound);
    sim_write(0, FE "/state", "6");
    ck_assert_str_eq(sim_read(0, BE "/state"), "6");
    /* A frontend that starts over finds the backend waiting again. */
    sim_write(0, FE "/state", "1");
    ck_assert_str_eq(sim_read(0, BE "/state"), "2");
    fe_connect("x86_64-abi");
    ck_assert_str_eq(sim_read(0, BE "/state"), "4");
}
END_TEST

START_TEST(close_waits_for_the_device)
{
    create_vbd(0);
    fe_connect("x86_64-abi");
    sring->ring[0].req = (blkif_request_t){ .operation = BLKIF_OP_FLUSH_DISKCACHE, .id = 1 };
    sring->req_prod = 1;
    struct evtchn_send send = { .port = fe_port };
    ck_assert_int_eq(evtchn_op(EVTCHNOP_send, &send, sizeof(send)), 0);
    sim_write(0, FE "/state", "5");
    /* The ring stays held while the device has the request. */
    ck_assert_str_eq(sim_read(0, BE "/state"), "4");
    ck_assert(gt[RING_REF].flags & GTF_writing);
    fake_complete();
    vbd_get(0)->poll.fire(&vbd_get(0)->poll, 0);
    ck_assert_str_eq(sim_read(0, BE "/state"), "5");
    ck_assert_uint_eq(gt[RING_REF].flags, GTF_permit_access);
}
END_TEST

/* A frontend that does not wait for Closing: Closed still follows the device. */
START_TEST(closed_while_the_device_works)
{
    create_vbd(0);
    fe_connect("x86_64-abi");
    sring->ring[0].req = (blkif_request_t){ .operation = BLKIF_OP_FLUSH_DISKCACHE, .id = 1 };
    sring->req_prod = 1;
    struct evtchn_send send = { .port = fe_port };
    ck_assert_int_eq(evtchn_op(EVTCHNOP_send, &send, sizeof(send)), 0);
    sim_write(0, FE "/state", "5");
    sim_write(0, FE "/state", "6");
    ck_assert_str_eq(sim_read(0, BE "/state"), "4");
    fake_complete();
    vbd_get(0)->poll.fire(&vbd_get(0)->poll, 0);
    ck_assert_str_eq(sim_read(0, BE "/state"), "6");
    ck_assert_uint_eq(gt[RING_REF].flags, GTF_permit_access);
}
END_TEST

START_TEST(bad_frontends_are_refused)
{
    create_vbd(0);
    fe_connect("x86_32-abi");
    ck_assert_str_eq(sim_read(0, BE "/state"), "5");
    ck_assert_uint_eq(gt[RING_REF].flags, GTF_permit_access);
    ck_assert_ptr_nonnull(dom0_read("/local/domain/0/error/backend/vbd/5/51712/error"));

    sim_write(0, FE "/state", "6");
    sim_write(0, FE "/state", "1");
    ck_assert_str_eq(sim_read(0, BE "/state"), "2");
    gt[RING_REF].flags = GTF_permit_access | GTF_readonly;     /* the ring must be writable */
    fe_connect("x86_64-abi");
    ck_assert_str_eq(sim_read(0, BE "/state"), "5");

    sim_write(0, FE "/state", "6");
    sim_write(0, FE "/state", "1");
    gt[RING_REF].flags = GTF_permit_access;
    fe_port = 1000;                                             /* not its unbound port */
    fe_connect("x86_64-abi");
    ck_assert_str_eq(sim_read(0, BE "/state"), "5");
    ck_assert_uint_eq(gt[RING_REF].flags, GTF_permit_access);
}
END_TEST

START_TEST(read_only_disk_says_so)
{
    disk.read_only = true;
    create_vbd(1);
    ck_assert_str_eq(sim_read(0, "/local/domain/0/backend/vbd/5/51728/mode"), "r");
    ck_assert_str_eq(sim_read(0, SIM_HOME "/device/vbd/51728/state"), "1");
}
END_TEST

static Suite *vbd_suite(void)
{
    Suite *s = suite_create("vbd");
    TCase *tc = tcase_create("xenbus");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, directories_as_blkfront_needs_them);
    tcase_add_test(tc, handshake_io_and_close);
    tcase_add_test(tc, close_waits_for_the_device);
    tcase_add_test(tc, closed_while_the_device_works);
    tcase_add_test(tc, bad_frontends_are_refused);
    tcase_add_test(tc, read_only_disk_says_so);
    suite_add_tcase(s, tc);
    return s;
}
UNIT_SUITE(vbd_suite)
