/*
 * Event channels forwarded to a Xen underneath (services.h, struct
 * evtchn_forward), against a fake L0 that hands out port numbers: the
 * guest's numbers are L0's, channels to other domains are L0's, pvshim's
 * own ports hold numbers L0 reserved, and L0's events reach the guest.
 */
#include <string.h>
#include <stdlib.h>
#include "unit.h"
#include "fakes.h"
#include "domain.h"
#include "hypercall.h"
#include "hypercalls.h"
#include "event_channel.h"
#include "services.h"
#include <pvshim/guest_entry.h>
#include <pvshim/guest_access.h>

#define ARG_VA 0x300000ull
#define L0_PORTS 64

/* The fake L0: lowest free number first; what each port is there. */
enum { L0_FREE, L0_RESERVED, L0_UNBOUND, L0_INTERDOMAIN };
static struct {
    int state[L0_PORTS];
    domid_t remote[L0_PORTS];
    unsigned sends[L0_PORTS];
    unsigned closes;
} l0;

static long l0_take(int state, domid_t remote)
{
    for (int p = 1; p < L0_PORTS; p++)
        if (l0.state[p] == L0_FREE) {
            l0.state[p] = state;
            l0.remote[p] = remote;
            return p;
        }
    return -XEN_ENOSPC;
}

static long f_reserve(void) { return l0_take(L0_RESERVED, DOMID_SELF); }

static long f_alloc_unbound(struct evtchn_alloc_unbound *a)
{
    ck_assert_uint_eq(a->dom, DOMID_SELF);
    long p = l0_take(L0_UNBOUND, a->remote_dom);
    if (p < 0)
        return p;
    a->port = (evtchn_port_t)p;
    return 0;
}

static long f_bind_interdomain(struct evtchn_bind_interdomain *b)
{
    if (b->remote_dom != 0)
        return -XEN_ESRCH;
    long p = l0_take(L0_INTERDOMAIN, b->remote_dom);
    if (p < 0)
        return p;
    b->local_port = (evtchn_port_t)p;
    return 0;
}

static long f_send(evtchn_port_t p)
{
    if (p >= L0_PORTS || l0.state[p] == L0_FREE)
        return -XEN_EINVAL;
    l0.sends[p]++;
    return 0;
}

static long f_close(evtchn_port_t p)
{
    if (p >= L0_PORTS || l0.state[p] == L0_FREE)
        return -XEN_EINVAL;
    l0.state[p] = L0_FREE;
    l0.closes++;
    return 0;
}

static long f_status(struct evtchn_status *st)
{
    ck_assert_uint_eq(st->dom, DOMID_SELF);
    st->status = l0.state[st->port] == L0_INTERDOMAIN ? EVTCHNSTAT_interdomain
                                                       : EVTCHNSTAT_unbound;
    st->u.unbound.dom = l0.remote[st->port];
    return 0;
}

static const struct evtchn_forward fake_fwd = {
    .reserve = f_reserve, .alloc_unbound = f_alloc_unbound,
    .bind_interdomain = f_bind_interdomain, .send = f_send, .close = f_close,
    .status = f_status,
};

static void io_write(const char *s, size_t len) { (void)s; (void)len; }
static size_t io_read(char *buf, size_t len) { (void)buf; (void)len; return 0; }
static const struct xen_services fwd_services = {
    .name = "fake-l0", .console_io_write = io_write, .console_io_read = io_read,
    .evtchn = &fake_fwd,
};

static struct shared_info *shinfo;
static uint8_t *args;
static struct cpu_regs regs;

static void setup(void)
{
    fake_guest_reset();
    memset(&dom, 0, sizeof(dom));
    memset(&l0, 0, sizeof(l0));
    /* L0's own ports before the guest's: console and xenstore, as xl makes them. */
    l0.state[1] = l0.state[2] = L0_UNBOUND;
    shinfo = calloc(1, PAGE_SIZE);
    args = calloc(1, PAGE_SIZE);
    fake_guest_map(ARG_VA, args, PAGE_SIZE);
    dom.domid = 5;
    dom.shared_info = shinfo;
    dom.nr_vcpus = 1;
    dom.vcpu[0].vcpu_info = &shinfo->vcpu_info[0];
    dom.vcpu[0].vcpu_info_mfn = INVALID_MFN;
    dom.vcpu[0].kernel_mode = true;
    services = &fwd_services;
    evtchn_init();
    memset(&regs, 0, sizeof(regs));
    regs.cs = FLAT_KERNEL_CS64;
    regs.ss = FLAT_KERNEL_SS64;
    guest_regs = &regs;
}

static void teardown(void)
{
    services = NULL;
    free(shinfo);
    free(args);
}

static long evtchn(unsigned cmd)
{
    regs.rax = __HYPERVISOR_event_channel_op;
    regs.rdi = cmd;
    regs.rsi = ARG_VA;
    guest_syscall(&regs);
    return (long)regs.rax;
}

static bool guest_pending(evtchn_port_t p)
{
    return shinfo->evtchn_pending[p / 64] & (1ull << (p % 64));
}

/* A frontend's port for dom0's backend is L0's, with L0's number. */
START_TEST(alloc_unbound_is_l0s)
{
    struct evtchn_alloc_unbound *a = (void *)args;
    *a = (struct evtchn_alloc_unbound){ .dom = DOMID_SELF, .remote_dom = 0 };
    ck_assert_int_eq(evtchn(EVTCHNOP_alloc_unbound), 0);
    ck_assert_uint_eq(a->port, 3);          /* the first one L0 has free */
    ck_assert_int_eq(l0.state[3], L0_UNBOUND);
    ck_assert_uint_eq(l0.remote[3], 0);

    struct evtchn_status *st = (void *)args;
    *st = (struct evtchn_status){ .dom = DOMID_SELF, .port = 3 };
    ck_assert_int_eq(evtchn(EVTCHNOP_status), 0);
    ck_assert_uint_eq(st->status, EVTCHNSTAT_unbound);
    ck_assert_uint_eq(st->u.unbound.dom, 0);

    struct evtchn_send *s = (void *)args;
    s->port = 3;
    ck_assert_int_eq(evtchn(EVTCHNOP_send), 0);
    ck_assert_uint_eq(l0.sends[3], 1);
    ck_assert(!guest_pending(3));

    /* L0 signals it: pending for the guest. */
    evtchn_from_l0(3);
    ck_assert(guest_pending(3));

    struct evtchn_close *c = (void *)args;
    c->port = 3;
    ck_assert_int_eq(evtchn(EVTCHNOP_close), 0);
    ck_assert_int_eq(l0.state[3], L0_FREE);
    ck_assert_int_eq(evtchn(EVTCHNOP_close), -XEN_EINVAL);
}
END_TEST

/* VIRQs and IPIs stay pvshim's, on numbers L0 reserved: no collisions. */
START_TEST(local_ports_hold_l0_numbers)
{
    struct evtchn_bind_virq *v = (void *)args;
    *v = (struct evtchn_bind_virq){ .virq = VIRQ_TIMER };
    ck_assert_int_eq(evtchn(EVTCHNOP_bind_virq), 0);
    evtchn_port_t virq_port = v->port;
    ck_assert_uint_eq(virq_port, 3);
    ck_assert_int_eq(l0.state[3], L0_RESERVED);

    struct evtchn_alloc_unbound *a = (void *)args;
    *a = (struct evtchn_alloc_unbound){ .dom = DOMID_SELF, .remote_dom = 0 };
    ck_assert_int_eq(evtchn(EVTCHNOP_alloc_unbound), 0);
    ck_assert_uint_eq(a->port, 4);

    /* The VIRQ is raised locally, never sent to L0. */
    evtchn_send_virq(VIRQ_TIMER);
    ck_assert(guest_pending(virq_port));
    /* An L0 event on a reserved number is not the guest's. */
    shinfo->evtchn_pending[0] = 0;
    evtchn_from_l0(virq_port);
    ck_assert(!guest_pending(virq_port));

    /* The guest cannot bind itself to a number L0 reserved for pvshim. */
    struct evtchn_bind_interdomain *b = (void *)args;
    *b = (struct evtchn_bind_interdomain){ .remote_dom = DOMID_SELF, .remote_port = virq_port };
    ck_assert_int_eq(evtchn(EVTCHNOP_bind_interdomain), -XEN_EINVAL);

    /* Closing gives the number back to L0. */
    struct evtchn_close *c = (void *)args;
    c->port = virq_port;
    ck_assert_int_eq(evtchn(EVTCHNOP_close), 0);
    ck_assert_int_eq(l0.state[virq_port], L0_FREE);
}
END_TEST

/* A backend in dom0 binds; the guest binds to dom0's port: L0's numbers. */
START_TEST(bind_interdomain_is_l0s)
{
    struct evtchn_bind_interdomain *b = (void *)args;
    *b = (struct evtchn_bind_interdomain){ .remote_dom = 0, .remote_port = 17 };
    ck_assert_int_eq(evtchn(EVTCHNOP_bind_interdomain), 0);
    ck_assert_uint_eq(b->local_port, 3);
    ck_assert_int_eq(l0.state[3], L0_INTERDOMAIN);
    *b = (struct evtchn_bind_interdomain){ .remote_dom = 9, .remote_port = 1 };
    ck_assert_int_eq(evtchn(EVTCHNOP_bind_interdomain), -XEN_ESRCH);
}
END_TEST

/* A number L0 gives that the guest's table cannot take goes back. */
START_TEST(untakeable_number_returned)
{
    for (int p = 3; p < L0_PORTS; p++)
        l0.state[p] = L0_RESERVED;
    l0.state[L0_PORTS - 1] = L0_FREE;       /* 63: fine */
    struct evtchn_alloc_unbound *a = (void *)args;
    *a = (struct evtchn_alloc_unbound){ .dom = DOMID_SELF, .remote_dom = 0 };
    ck_assert_int_eq(evtchn(EVTCHNOP_alloc_unbound), 0);
    ck_assert_uint_eq(a->port, L0_PORTS - 1);
    /* L0 full: its error reaches the guest. */
    ck_assert_int_eq(evtchn(EVTCHNOP_alloc_unbound), -XEN_ENOSPC);
}
END_TEST

static unsigned backend_calls;
static void backend_fn(evtchn_port_t p) { (void)p; backend_calls++; }

/*
 * The guest's console and xenstore ends, served by pvshim, hold L0's own
 * numbers for those channels (HVM_PARAM_CONSOLE_EVTCHN/STORE_EVTCHN), as
 * under xen-shim: the guest's send goes to pvshim, not to L0, and an L0
 * event on that number is not made pending for the guest directly.
 */
START_TEST(backend_at_l0_number)
{
    backend_calls = 0;
    ck_assert_uint_eq(evtchn_bind_backend_at(2, backend_fn), 2);
    ck_assert_uint_eq(evtchn_bind_backend_at(1, backend_fn), 1);
    /* Taken already: any port L0 reserves instead. */
    evtchn_port_t other = evtchn_bind_backend_at(2, backend_fn);
    ck_assert_uint_eq(other, 3);
    ck_assert_int_eq(l0.state[3], L0_RESERVED);
    /* Not a number of L0's: the same. */
    ck_assert_uint_eq(evtchn_bind_backend_at(0, backend_fn), 4);

    struct evtchn_send *s = (void *)args;
    s->port = 2;
    ck_assert_int_eq(evtchn(EVTCHNOP_send), 0);
    ck_assert_uint_eq(backend_calls, 1);
    ck_assert_uint_eq(l0.sends[2], 0);
    evtchn_from_l0(2);
    ck_assert(!guest_pending(2));

    /* Ports the guest allocates next do not collide with them. */
    struct evtchn_alloc_unbound *a = (void *)args;
    *a = (struct evtchn_alloc_unbound){ .dom = DOMID_SELF, .remote_dom = 0 };
    ck_assert_int_eq(evtchn(EVTCHNOP_alloc_unbound), 0);
    ck_assert_uint_eq(a->port, 5);
}
END_TEST

static Suite *evtchn_forward_suite(void)
{
    Suite *s = suite_create("evtchn_forward");
    TCase *tc = tcase_create("l0");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, alloc_unbound_is_l0s);
    tcase_add_test(tc, local_ports_hold_l0_numbers);
    tcase_add_test(tc, bind_interdomain_is_l0s);
    tcase_add_test(tc, untakeable_number_returned);
    tcase_add_test(tc, backend_at_l0_number);
    suite_add_tcase(s, tc);
    return s;
}
UNIT_SUITE(evtchn_forward_suite)
