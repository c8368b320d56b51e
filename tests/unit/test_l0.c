/* xen/l0: pvshim as a PVH domain of a real Xen, against a fake L0. */
#include "unit.h"
#include <pvshim/l0.h>
#include <pvshim/console.h>
#include <pvshim/log.h>
#include <pvshim/time.h>
#include <pvshim/xen_abi.h>
#include <xen/hvm/hvm_op.h>
#include <xen/hvm/params.h>
#include <stdlib.h>
#include "fakes.h"
#include "domain.h"
#include "hypercall.h"
#include "hypercalls.h"
#include "event_channel.h"
#include "services.h"
#include "console_backend.h"
#include "pv.h"
#include <pvshim/guest_entry.h>

static struct {
    uint64_t console_pfn, console_port, store_port;
    long suspend_rc;                    /* what L0's SHUTDOWN_suspend returns */
    long get_param_rc;
    bool drain_on_yield;
    unsigned sends, yields;
    evtchn_port_t last_port;
    int shutdown_reason;
    uint64_t mapped_gfn;
    unsigned callback_set;
    uint64_t callback_value;
    evtchn_port_t next_port;            /* what alloc_unbound hands out */
    evtchn_port_t unmasked[8];
    unsigned nr_unmasked;
    void (*upcall)(void);
} l0f;
static struct xencons_interface ring __attribute__((aligned(4096)));
static struct xenstore_domain_interface store_ring __attribute__((aligned(4096)));
static struct shared_info shinfo __attribute__((aligned(4096)));
static uint64_t shinfo_gfn;

static long fake_hypercall(unsigned nr, unsigned long a1, unsigned long a2, unsigned long a3)
{
    (void)a3;
    switch (nr) {
    case __HYPERVISOR_hvm_op: {
        struct xen_hvm_param *p = (void *)a2;
        ck_assert_uint_eq(p->domid, DOMID_SELF);
        if (a1 == HVMOP_set_param) {
            ck_assert_uint_eq(p->index, HVM_PARAM_CALLBACK_IRQ);
            l0f.callback_value = p->value;
            l0f.callback_set++;
            return 0;
        }
        ck_assert_uint_eq(a1, HVMOP_get_param);
        if (l0f.get_param_rc)
            return l0f.get_param_rc;
        if (p->index == HVM_PARAM_CONSOLE_PFN)
            p->value = l0f.console_pfn;
        else if (p->index == HVM_PARAM_CONSOLE_EVTCHN)
            p->value = l0f.console_port;
        else if (p->index == HVM_PARAM_STORE_PFN && l0f.store_port)
            p->value = 0xfeffc;
        else if (p->index == HVM_PARAM_STORE_EVTCHN && l0f.store_port)
            p->value = l0f.store_port;
        else
            return -XEN_EINVAL;
        return 0;
    }
    case __HYPERVISOR_memory_op: {
        struct xen_add_to_physmap *x = (void *)a2;
        ck_assert_uint_eq(a1, XENMEM_add_to_physmap);
        ck_assert_uint_eq(x->domid, DOMID_SELF);
        ck_assert_uint_eq(x->space, XENMAPSPACE_shared_info);
        ck_assert_uint_eq(x->idx, 0);
        shinfo_gfn = x->gpfn;
        return 0;
    }
    case __HYPERVISOR_event_channel_op:
        if (a1 == EVTCHNOP_unmask) {
            l0f.unmasked[l0f.nr_unmasked++] = ((struct evtchn_unmask *)a2)->port;
            return 0;
        }
        if (a1 == EVTCHNOP_alloc_unbound) {
            ((struct evtchn_alloc_unbound *)a2)->port = l0f.next_port++;
            return 0;
        }
        if (a1 == EVTCHNOP_close)
            return 0;
        ck_assert_uint_eq(a1, EVTCHNOP_send);
        l0f.sends++;
        l0f.last_port = ((struct evtchn_send *)a2)->port;
        return 0;
    case __HYPERVISOR_sched_op:
        if (a1 == SCHEDOP_yield) {
            l0f.yields++;
            if (l0f.drain_on_yield)
                ring.out_cons = ring.out_prod;
            return 0;
        }
        ck_assert_uint_eq(a1, SCHEDOP_shutdown);
        l0f.shutdown_reason = (int)((struct sched_shutdown *)a2)->reason;
        return l0f.shutdown_reason == SHUTDOWN_suspend ? l0f.suspend_rc : 0;
    }
    return -XEN_ENOSYS;
}

static void *fake_map(uint64_t gfn, unsigned slot)
{
    if (slot == 2) {
        ck_assert_uint_eq(gfn, shinfo_gfn);
        return &shinfo;
    }
    if (slot == 1)
        return &store_ring;
    ck_assert_uint_eq(slot, 0);
    l0f.mapped_gfn = gfn;
    return &ring;
}

static uint8_t fake_route_upcall(void (*fn)(void))
{
    l0f.upcall = fn;
    return 0xf5;
}

static uint16_t fake_domid = 7;

static uint16_t fake_read_domid(void)
{
    return fake_domid;
}

static const struct l0_arch fake_arch = { .read_domid = fake_read_domid,
                                          .hypercall = fake_hypercall,
                                          .map_frame = fake_map,
                                          .route_upcall = fake_route_upcall };

static void setup(void)
{
    fake_domid = 7;
    memset(&l0f, 0, sizeof(l0f));
    memset(&ring, 0, sizeof(ring));
    l0f.console_pfn = 0xfefff;
    l0f.console_port = 2;
    l0f.shutdown_reason = -1;
    l0_attach(&fake_arch);
}

/* The bytes written to the ring from index `from` on. */
static size_t ring_text(XENCONS_RING_IDX from, char *out, size_t max)
{
    size_t n = 0;
    for (XENCONS_RING_IDX i = from; i != ring.out_prod && n + 1 < max; i++)
        out[n++] = ring.out[MASK_XENCONS_IDX(i, ring.out)];
    out[n] = '\0';
    return n;
}

START_TEST(console_ring_output)
{
    ck_assert(l0_console_init());
    ck_assert(l0_console_up());
    ck_assert_uint_eq(l0f.mapped_gfn, 0xfefff);
    XENCONS_RING_IDX before = ring.out_prod;
    unsigned sends = l0f.sends;
    console_write("ab\ncd\r\n", 7);
    char buf[64];
    ring_text(before, buf, sizeof(buf));
    /* A bare '\n' gets its '\r'; one after '\r' does not get a second. */
    ck_assert_str_eq(buf, "ab\r\ncd\r\n");
    ck_assert_uint_gt(l0f.sends, sends);
    ck_assert_uint_eq(l0f.last_port, 2);
}
END_TEST

/* The boot log written before the ring was found is replayed into it. */
START_TEST(console_ring_gets_boot_log)
{
    console_write("early line\n", 11);
    ck_assert(l0_console_init());
    char buf[256];
    ring_text(0, buf, sizeof(buf));
    ck_assert_ptr_nonnull(strstr(buf, "early line\r\n"));
}
END_TEST

START_TEST(console_ring_full)
{
    ck_assert(l0_console_init());
    static char big[3 * sizeof(ring.out)];
    memset(big, 'x', sizeof(big));
    /* L0 drains while pvshim yields: everything arrives. */
    l0f.drain_on_yield = true;
    XENCONS_RING_IDX before = ring.out_prod;
    console_write(big, sizeof(big));
    ck_assert_uint_eq(ring.out_prod - before, sizeof(big));
    ck_assert_uint_gt(l0f.yields, 0);
    /* Nobody drains: the write gives up instead of hanging. */
    l0f.drain_on_yield = false;
    l0f.yields = 0;
    console_write(big, sizeof(big));
    ck_assert_uint_eq(ring.out_prod - ring.out_cons, sizeof(ring.out));
    ck_assert_uint_gt(l0f.yields, 1000);
}
END_TEST

START_TEST(console_ring_input)
{
    ck_assert(l0_console_init());
    ck_assert_int_eq(console_read(), -1);
    ring.in[0] = 'q';
    ring.in[1] = '\n';
    ring.in_prod = 2;
    ck_assert_int_eq(console_read(), 'q');
    ck_assert_int_eq(console_read(), '\n');
    ck_assert_int_eq(console_read(), -1);
    ck_assert_uint_eq(ring.in_cons, 2);
}
END_TEST

START_TEST(domid_from_arch)
{
    ck_assert_uint_eq(l0_domid(), 7);
}
END_TEST

START_TEST(console_missing)
{
    l0f.get_param_rc = -XEN_EINVAL;
    ck_assert(!l0_console_init());
    ck_assert(!l0_console_up());
    l0f.get_param_rc = 0;
    l0f.console_pfn = 0;
    ck_assert(!l0_console_init());
}
END_TEST

START_TEST(shutdown_reasons)
{
    static const struct { enum pvshim_exit e; int reason; } t[] = {
        { EXIT_POWEROFF, SHUTDOWN_poweroff },
        { EXIT_REBOOT, SHUTDOWN_reboot },
        { EXIT_GUEST_CRASH, SHUTDOWN_crash },
        { EXIT_WATCHDOG, SHUTDOWN_watchdog },
        { EXIT_BAD_INPUT, SHUTDOWN_crash },
        { EXIT_INTERNAL_ERROR, SHUTDOWN_crash },
    };
    for (unsigned i = 0; i < ARRAY_SIZE(t); i++) {
        l0f.shutdown_reason = -1;
        l0_shutdown(t[i].e);
        ck_assert_int_eq(l0f.shutdown_reason, t[i].reason);
    }
}
END_TEST

/* L0's shared_info gives the wall clock: wc plus vCPU 0's system time. */
START_TEST(wallclock_from_shared_info)
{
    memset(&shinfo, 0, sizeof(shinfo));
    shinfo.wc_sec = 1700000000u;
    shinfo.wc_sec_hi = 1;
    shinfo.wc_nsec = 5;
    shinfo.wc_version = 2;
    shinfo.vcpu_info[0].time.system_time = 3000000000ull;
    uint64_t wc = l0_wallclock_ns(0x100000);
    ck_assert_uint_eq(shinfo_gfn, 0x100000);
    ck_assert_uint_eq(l0f.callback_set, 1);
    ck_assert_uint_eq(wc, ((1ull << 32) + 1700000000ull + 3) * 1000000000ull + 5);
}
END_TEST

/*
 * L0's events: every L0 port masked but the forwarded ones, the upcall on a
 * callback vector; an L0 port that fires becomes pending for the guest
 * under the same number, a masked one does not, and L0's pending bit is
 * cleared.
 */
START_TEST(events_forwarded_and_delivered)
{
    memset(&shinfo, 0, sizeof(shinfo));
    l0_wallclock_ns(0x100000);                     /* maps L0's shared_info */
    ck_assert(l0_events_init());
    ck_assert_uint_eq(l0f.callback_value, (2ull << 56) | 0xf5);
    ck_assert_ptr_nonnull(l0f.upcall);
    ck_assert_uint_eq(shinfo.evtchn_mask[0], ~0ull);

    /* The guest: its own shared_info, pvshim's event channels over L0's. */
    extern struct xen_services l0_services;
    struct shared_info *g = calloc(1, PAGE_SIZE);
    uint8_t *args = calloc(1, PAGE_SIZE);
    fake_guest_reset();
    fake_guest_map(0x300000, args, PAGE_SIZE);
    memset(&dom, 0, sizeof(dom));
    dom.domid = 7;
    dom.shared_info = g;
    dom.nr_vcpus = 1;
    dom.vcpu[0].vcpu_info = &g->vcpu_info[0];
    dom.vcpu[0].kernel_mode = true;
    services = &l0_services;
    evtchn_init();
    l0f.next_port = 3;
    struct evtchn_alloc_unbound *a = (void *)args;
    *a = (struct evtchn_alloc_unbound){ .dom = DOMID_SELF, .remote_dom = 0 };
    ck_assert_int_eq(do_event_channel_op(EVTCHNOP_alloc_unbound, 0x300000), 0);
    ck_assert_uint_eq(a->port, 3);
    ck_assert_uint_eq(l0f.nr_unmasked, 1);
    ck_assert_uint_eq(l0f.unmasked[0], 3);
    shinfo.evtchn_mask[0] &= ~(1ull << 3);          /* as L0's unmask does */
    struct evtchn_bind_virq *v = (void *)args;
    *v = (struct evtchn_bind_virq){ .virq = VIRQ_TIMER };
    ck_assert_int_eq(do_event_channel_op(EVTCHNOP_bind_virq, 0x300000), 0);
    ck_assert_uint_eq(v->port, 4);                  /* a number L0 reserved */
    ck_assert_uint_eq(l0f.nr_unmasked, 1);          /* and left masked there */

    /* L0 raises both: only the forwarded one reaches the guest. */
    shinfo.evtchn_pending[0] = (1ull << 3) | (1ull << 4);
    shinfo.vcpu_info[0].evtchn_pending_sel = 1;
    shinfo.vcpu_info[0].evtchn_upcall_pending = 1;
    l0f.upcall();
    ck_assert_uint_eq(shinfo.vcpu_info[0].evtchn_upcall_pending, 0);
    ck_assert_uint_eq(shinfo.vcpu_info[0].evtchn_pending_sel, 0);
    ck_assert_uint_eq(shinfo.evtchn_pending[0], 1ull << 4);
    ck_assert_uint_eq(g->evtchn_pending[0], 1ull << 3);
    ck_assert_uint_eq(g->vcpu_info[0].evtchn_upcall_pending, 1);

    services = NULL;
    free(g);
    free(args);
}
END_TEST

/*
 * xl save then xl restore, as the guest sees it (xen/l0/suspend_l0.c): its
 * SHUTDOWN_suspend is L0's; L0 returning 0 means a new domain, so pvshim
 * takes L0's new domid and ports, maps shared_info and the upcall again,
 * frees every guest port, masks them all, and writes the new store and
 * console ports into start_info (flags 0). L0 returning 1 (xl save -c):
 * nothing changes and the guest's suspend returns 1.
 */
static struct start_info *suspend_setup(struct shared_info **g, uint8_t **args)
{
    extern struct xen_services l0_services;
    memset(&shinfo, 0, sizeof(shinfo));
    memset(&store_ring, 0, sizeof(store_ring));
    l0f.store_port = 1;
    ck_assert(l0_console_init());
    l0_wallclock_ns(0x100000);
    ck_assert(l0_events_init());
    *g = calloc(1, PAGE_SIZE);
    *args = calloc(1, PAGE_SIZE);
    fake_phys_reset();
    struct start_info *si = fake_phys_add(0x5000, PAGE_SIZE);
    fake_guest_reset();
    fake_guest_map(0x300000, *args, PAGE_SIZE);
    memset(&dom, 0, sizeof(dom));
    dom.domid = 7;
    dom.shared_info = *g;
    dom.shared_info_mfn = 0x4;
    dom.start_info_mfn = 0x5;
    dom.xenstore_mfn = 0x6;
    dom.console_mfn = 0x7;
    dom.nr_vcpus = 1;
    pv_vcpu_init(&dom.vcpu[0], 0);
    dom.vcpu[0].up = true;
    dom.vcpu[0].kernel_mode = true;
    fake_run_vcpu(0);
    static struct cpu_regs regs;
    memset(&regs, 0, sizeof(regs));
    regs.rdx = dom.start_info_mfn;
    guest_regs = &regs;
    services = &l0_services;
    evtchn_init();
    dom.console_port = console_backend_bind(l0_console_port());
    dom.xenstore_port = l0_services.store_bind();
    ck_assert_uint_eq(dom.console_port, 2);
    ck_assert_uint_eq(dom.xenstore_port, 1);
    l0f.next_port = 3;
    struct evtchn_bind_virq *v = (void *)*args;
    *v = (struct evtchn_bind_virq){ .virq = VIRQ_TIMER };
    ck_assert_int_eq(do_event_channel_op(EVTCHNOP_bind_virq, 0x300000), 0);
    ck_assert_uint_eq(v->port, 3);
    (*g)->evtchn_pending[0] = 1ull << 3;
    si->flags = SIF_VIRT_P2M_4TOOLS;
    si->store_mfn = 0x1234;             /* pfns across the suspend */
    si->console.domU.mfn = 0x1235;
    return si;
}

static long bind_timer(uint8_t *args)
{
    struct evtchn_bind_virq *v = (void *)args;
    *v = (struct evtchn_bind_virq){ .virq = VIRQ_TIMER };
    return do_event_channel_op(EVTCHNOP_bind_virq, 0x300000);
}

START_TEST(suspend_resumed_in_new_domain)
{
    struct shared_info *g;
    uint8_t *args;
    struct start_info *si = suspend_setup(&g, &args);
    unsigned callbacks = l0f.callback_set;
    fake_domid = 9;
    l0f.console_port = 5;
    l0f.store_port = 4;
    l0f.next_port = 6;
    shinfo.evtchn_mask[0] = 0;          /* a new domain's shared_info */
    ck_assert_int_eq(l0_suspend(), 0);
    ck_assert_int_eq(l0f.shutdown_reason, SHUTDOWN_suspend);
    ck_assert_uint_eq(l0_domid(), 9);
    ck_assert_uint_gt(l0f.callback_set, callbacks);
    ck_assert_uint_eq(l0f.callback_value, (2ull << 56) | 0xf5);
    ck_assert_uint_eq(shinfo.evtchn_mask[0], ~0ull);
    ck_assert_uint_eq(si->flags, 0);
    ck_assert_uint_eq(si->shared_info, 0x4000);
    ck_assert_uint_eq(si->store_mfn, 0x6);
    ck_assert_uint_eq(si->console.domU.mfn, 0x7);
    ck_assert_uint_eq(si->store_evtchn, 4);
    ck_assert_uint_eq(si->console.domU.evtchn, 5);
    ck_assert_uint_eq(dom.xenstore_port, 4);
    ck_assert_uint_eq(dom.console_port, 5);
    /* Every guest port masked, nothing pending; the old VIRQ binding gone. */
    ck_assert_uint_eq(g->evtchn_mask[0], ~0ull);
    ck_assert_uint_eq(g->evtchn_pending[0], 0);
    ck_assert_int_eq(bind_timer(args), 0);
    ck_assert_uint_eq(((struct evtchn_bind_virq *)args)->port, 6);
    services = NULL;
    free(g);
    free(args);
}
END_TEST

START_TEST(suspend_cancelled_by_l0)
{
    struct shared_info *g;
    uint8_t *args;
    struct start_info *si = suspend_setup(&g, &args);
    l0f.suspend_rc = 1;
    fake_domid = 9;
    l0f.console_port = 5;
    ck_assert_int_eq(l0_suspend(), 1);
    ck_assert_int_eq(l0f.shutdown_reason, SHUTDOWN_suspend);
    ck_assert_uint_eq(l0_domid(), 7);
    ck_assert_uint_eq(si->flags, SIF_VIRT_P2M_4TOOLS);
    ck_assert_uint_eq(si->store_mfn, 0x1234);
    ck_assert_uint_eq(dom.console_port, 2);
    ck_assert_uint_eq(g->evtchn_pending[0], 1ull << 3);
    ck_assert_int_eq(bind_timer(args), -XEN_EEXIST);
    services = NULL;
    free(g);
    free(args);
}
END_TEST

/* L0's wall clock after a restore moves the guest's forward, never back. */
START_TEST(suspend_wallclock_only_forward)
{
    struct shared_info *g;
    uint8_t *args;
    suspend_setup(&g, &args);
    wallclock_at_boot_ns = 1000 * 1000000000ull;
    shinfo.wc_version = 2;
    shinfo.wc_sec = 2000;
    ck_assert_int_eq(l0_suspend(), 0);
    ck_assert_uint_eq(wallclock_at_boot_ns, 2000 * 1000000000ull - now_ns());
    ck_assert_uint_eq(g->wc_sec, wallclock_at_boot_ns / 1000000000ull);
    shinfo.wc_sec = 1500;
    uint64_t before = wallclock_at_boot_ns;
    ck_assert_int_eq(l0_suspend(), 0);
    ck_assert_uint_eq(wallclock_at_boot_ns, before);
    services = NULL;
    free(g);
    free(args);
}
END_TEST

/* A second vCPU up goes on; its vcpu_info registration is dropped too. A
 * suspend from it is refused before L0 is asked. */
START_TEST(suspend_with_two_vcpus)
{
    struct shared_info *g;
    uint8_t *args;
    suspend_setup(&g, &args);
    dom.nr_vcpus = 2;
    pv_vcpu_init(&dom.vcpu[1], 1);
    dom.vcpu[1].up = true;
    static struct vcpu_info registered;
    dom.vcpu[1].vcpu_info = &registered;
    dom.vcpu[1].runstate_area = 0x1000;
    dom.vcpu[1].regs = dom.vcpu[0].regs;
    fake_run_vcpu(1);
    ck_assert_int_eq(l0_suspend(), 1);
    ck_assert_int_eq(l0f.shutdown_reason, -1);
    ck_assert_ptr_nonnull(strstr(fake_log_text(), "not come from vCPU 0"));
    fake_run_vcpu(0);
    ck_assert_int_eq(l0_suspend(), 0);
    ck_assert_int_eq(l0f.shutdown_reason, SHUTDOWN_suspend);
    ck_assert(dom.vcpu[1].up);
    ck_assert_ptr_eq(dom.vcpu[1].vcpu_info, &g->vcpu_info[1]);
    ck_assert_uint_eq(dom.vcpu[1].runstate_area, 0);
    services = NULL;
    free(g);
    free(args);
}
END_TEST

static Suite *l0_suite(void)
{
    Suite *s = suite_create("l0");
    TCase *tc = tcase_create("l0");
    tcase_add_checked_fixture(tc, setup, NULL);
    tcase_add_test(tc, console_ring_output);
    tcase_add_test(tc, console_ring_gets_boot_log);
    tcase_add_test(tc, console_ring_full);
    tcase_add_test(tc, console_ring_input);
    tcase_add_test(tc, console_missing);
    tcase_add_test(tc, domid_from_arch);
    tcase_add_test(tc, shutdown_reasons);
    tcase_add_test(tc, wallclock_from_shared_info);
    tcase_add_test(tc, events_forwarded_and_delivered);
    tcase_add_test(tc, suspend_resumed_in_new_domain);
    tcase_add_test(tc, suspend_cancelled_by_l0);
    tcase_add_test(tc, suspend_with_two_vcpus);
    tcase_add_test(tc, suspend_wallclock_only_forward);
    suite_add_tcase(s, tc);
    return s;
}
UNIT_SUITE(l0_suite)
