/*
 * "pvtest64-migrate": a workload that can be saved (xl save) and restored
 * (xl restore, or pvshim with the save file as its module) part-way.
 *
 * It keeps its state in ordinary guest memory: a step counter and a 64 KiB
 * buffer whose words are a function of the step at which they were
 * written. Each step prints "MIGRATE: step N sum S" and polls the
 * xenstore node control/shutdown; on "suspend" it acknowledges (writes
 * ""), does what a PV guest must before SCHEDOP_shutdown(SHUTDOWN_suspend)
 * and suspends. The hypercall's result tells where it is:
 *   0  resumed in a new domain (a restore): start_info carries the new
 *      shared_info, store and console frames; the guest remaps shared_info;
 *   1  cancelled (xl save -c): the same domain goes on.
 * After a resume it runs MIGRATE_STEPS_AFTER more steps, then checks that
 * the counter went on from where it stopped, the buffer is intact, the
 * wall clock did not go back, start_info is as Xen's restore leaves it, the
 * p2m and the M2P agree, every port was masked at the resume, and xenstore answers; it ends like the checks ("N passed, M
 * failed").
 *
 * Guest contract with the saver (Xen's libxc): the p2m is published in
 * shared_info arch (linear list: p2m_cr3, p2m_vaddr, max_pfn), no PTE maps
 * a frame that is not the guest's own at suspend time, and start_info's
 * store and console frames are PFNs across the suspend hypercall.
 */
#include "events.h"
#include "hypercall.h"

#define MIGRATE_STEPS_AFTER 8
#define MIGRATE_BUF_WORDS   (64 * 1024 / 8)
#define MIGRATE_SPIN        (1UL << 22)     /* busy work per step */

static uint64_t buf[MIGRATE_BUF_WORDS] __attribute__((aligned(4096)));
static volatile uint64_t step;
static uint64_t steps_at_suspend;
static uint64_t pages_at_suspend;
static unsigned unmasked_at_resume;     /* ports, right after it */
static uint64_t wall_at_suspend;
static uint64_t systime_at_suspend;     /* vcpu_time_info system time, ns */
static long suspend_rc = -1;

static uint64_t buf_word(uint64_t i, uint64_t s)
{
    return (i * 0x9e3779b97f4a7c15ULL) ^ (s << 32) ^ s;
}

/* Rewrites one word per step (so the buffer depends on the whole history). */
static uint64_t buf_sum(void)
{
    uint64_t sum = 0;
    for (uint64_t i = 0; i < MIGRATE_BUF_WORDS; i++)
        sum = (sum << 7 | sum >> 57) ^ buf[i];
    return sum;
}

static uint64_t wallclock_s(void)
{
    uint64_t now = system_time_ns();
    return shinfo->wc_sec + ((uint64_t)shinfo->wc_sec_hi << 32) + now / 1000000000ULL;
}

/* ---- a minimal xenstore client on the domU's ring (start_info). */

static struct xenstore_domain_interface *xs_ring(void)
{
    /* The domain builder maps the store page after start_info. */
    void *r = (void *)((unsigned long)si + PG_SIZE);
    return virt_to_mfn(r) == si->store_mfn ? r : NULL;
}

static void xs_put(struct xenstore_domain_interface *r, const void *p, uint32_t n)
{
    const char *c = p;
    evtchn_send_t send = { .port = si->store_evtchn };
    for (uint32_t i = 0; i < n; i++) {
        while (r->req_prod - __atomic_load_n(&r->req_cons, __ATOMIC_ACQUIRE) >= XENSTORE_RING_SIZE) {
            hc_event_channel_op(EVTCHNOP_send, &send);
            hc_sched_op(SCHEDOP_yield, NULL);
        }
        r->req[MASK_XENSTORE_IDX(r->req_prod)] = c[i];
        __atomic_store_n(&r->req_prod, r->req_prod + 1, __ATOMIC_RELEASE);
    }
    hc_event_channel_op(EVTCHNOP_send, &send);
}

static void xs_get(struct xenstore_domain_interface *r, void *p, uint32_t n)
{
    char *c = p;
    evtchn_send_t send = { .port = si->store_evtchn };
    for (uint32_t i = 0; i < n; i++) {
        while (__atomic_load_n(&r->rsp_prod, __ATOMIC_ACQUIRE) == r->rsp_cons)
            hc_sched_op(SCHEDOP_yield, NULL);
        char v = r->rsp[MASK_XENSTORE_IDX(r->rsp_cons)];
        __atomic_store_n(&r->rsp_cons, r->rsp_cons + 1, __ATOMIC_RELEASE);
        if (c)
            c[i] = v;
    }
    hc_event_channel_op(EVTCHNOP_send, &send);
}

/* One request, its reply into out (NUL-terminated, cut to size); the reply's type. */
static uint32_t xs_request(uint32_t type, const char *path, const char *val,
                           char *out, uint32_t size)
{
    struct xenstore_domain_interface *r = xs_ring();
    if (!r)
        return XS_ERROR;
    uint32_t plen = (uint32_t)strlen(path) + 1;
    uint32_t vlen = val ? (uint32_t)strlen(val) : 0;
    struct xsd_sockmsg m = { .type = type, .req_id = 1, .len = plen + vlen };
    xs_put(r, &m, sizeof(m));
    xs_put(r, path, plen);
    if (vlen)
        xs_put(r, val, vlen);
    xs_get(r, &m, sizeof(m));
    uint32_t keep = m.len < size - 1 ? m.len : size - 1;
    xs_get(r, out, keep);
    xs_get(r, NULL, m.len - keep);
    out[keep] = '\0';
    return m.type;
}

/* ---- the suspend itself */

static long sched_suspend(unsigned long start_info_mfn)
{
    struct sched_shutdown sd = { .reason = SHUTDOWN_suspend };
    return hypercall3(__HYPERVISOR_sched_op, SCHEDOP_shutdown, &sd, start_info_mfn);
}

static void map_shared_info(uint64_t maddr)
{
    hc_update_va_mapping((unsigned long)shared_info_page,
                         maddr | PTE_P | PTE_RW | PTE_A | PTE_D, UVMF_INVLPG);
}

static void publish_p2m(void)
{
    shinfo->arch.max_pfn = si->nr_pages;
    shinfo->arch.p2m_vaddr = si->mfn_list;
    shinfo->arch.p2m_generation = 0;
    shinfo->arch.p2m_cr3 = virt_to_mfn((void *)si->pt_base) << 12;  /* the boot L4 is cr3 */
}

static void do_suspend(void)
{
    unsigned long si_mfn = virt_to_mfn(si);
    console_flush();
    wall_at_suspend = wallclock_s();
    systime_at_suspend = system_time_ns();
    steps_at_suspend = step;
    /* Frames in start_info as PFNs; no mapping of a frame not our own. */
    si->store_mfn = virt_to_pfn((void *)((unsigned long)si + PG_SIZE));
    si->console.domU.mfn = virt_to_pfn((void *)((unsigned long)si + 2 * PG_SIZE));
    map_shared_info(virt_to_maddr(shared_info_page) & PTE_ADDR);
    pages_at_suspend = si->nr_pages;
    suspend_rc = sched_suspend(si_mfn);
    map_shared_info(si->shared_info);
    for (unsigned w = 0; w < sizeof(shinfo->evtchn_mask) / sizeof(shinfo->evtchn_mask[0]); w++)
        for (xen_ulong_t m = ~shinfo->evtchn_mask[w]; m; m &= m - 1)
            unmasked_at_resume++;
    if (suspend_rc != 0) {
        /* Cancelled: the same domain, the same frames. */
        si->store_mfn = pfn_to_mfn(si->store_mfn);
        si->console.domU.mfn = pfn_to_mfn(si->console.domU.mfn);
    }
    publish_p2m();
    printf("MIGRATE: suspend returned %ld (%s) at step %lu\n", suspend_rc,
           suspend_rc == 0 ? "resumed in a new domain" : "cancelled",
           (unsigned long)steps_at_suspend);
}

static void check_resumed(void)
{
    expect_rc(suspend_rc, 0);
}

static void check_counter(void)
{
    expect(step == steps_at_suspend + MIGRATE_STEPS_AFTER,
           "step %lu, suspended at %lu", (unsigned long)step,
           (unsigned long)steps_at_suspend);
}

static void check_buffer(void)
{
    /* Recompute what the whole history must have left in the buffer. */
    uint64_t bad = 0;
    for (uint64_t i = 0; i < MIGRATE_BUF_WORDS; i++) {
        /* The last step s <= step with s % words == i (0: never written). */
        uint64_t last = step >= i ? step - (step - i) % MIGRATE_BUF_WORDS : 0;
        if (buf[i] != buf_word(i, last))
            bad++;
    }
    expect(bad == 0, "%lu words of the buffer differ", (unsigned long)bad);
}

static void check_clock_forward(void)
{
    uint64_t now = wallclock_s();
    expect(now >= wall_at_suspend, "wall clock %lu s, %lu s at suspend",
           (unsigned long)now, (unsigned long)wall_at_suspend);
}

/* System time (vcpu_time_info) goes on from the save, as the TSC_INFO record lets a host keep it. */
static void check_system_time_forward(void)
{
    uint64_t now = system_time_ns();
    printf("MIGRATE: system time %lu ms at the suspend, %lu ms after the resume\n",
           (unsigned long)(systime_at_suspend / 1000000), (unsigned long)(now / 1000000));
    expect(now >= systime_at_suspend, "system time %lu ns, %lu ns at suspend",
           (unsigned long)now, (unsigned long)systime_at_suspend);
}

/* start_info as Xen's restore leaves it: flags 0, the same pages, frames via the new p2m. */
static void check_start_info(void)
{
    expect_eq(si->flags, 0);
    expect_eq(si->nr_pages, pages_at_suspend);
    expect_eq(si->store_mfn, virt_to_mfn((void *)((unsigned long)si + PG_SIZE)));
    expect_eq(si->console.domU.mfn, virt_to_mfn((void *)((unsigned long)si + 2 * PG_SIZE)));
    expect(si->store_evtchn && si->console.domU.evtchn, "store port %u, console port %u",
           si->store_evtchn, si->console.domU.evtchn);
}

/* The rewritten p2m and the new host's M2P agree on every page. */
static void check_m2p(void)
{
    const unsigned long *m2p = (const unsigned long *)MACH2PHYS_VIRT_START;
    unsigned long bad = 0;
    for (unsigned long pfn = 0; pfn < si->nr_pages; pfn++)
        if (m2p[p2m[pfn]] != pfn)
            bad++;
    expect(bad == 0, "%lu pfns disagree", bad);
}

/* Every event channel masked when the guest resumed (backends may raise pending bits). */
static void check_ports_masked(void)
{
    expect(unmasked_at_resume == 0, "%u ports unmasked", unmasked_at_resume);
}

/* The new xenstore port and the old ring work: a read of our own node. */
static void check_xenstore(void)
{
    char val[32];
    expect(xs_request(XS_READ, "domid", NULL, val, sizeof(val)) == XS_READ,
           "XS_READ domid failed: %s", val);
}

void migrate_workload(void)
{
    char val[64];
    for (uint64_t i = 0; i < MIGRATE_BUF_WORDS; i++)
        buf[i] = buf_word(i, 0);
    publish_p2m();
    printf("MIGRATE: workload up, %lu pages\n", (unsigned long)si->nr_pages);
    uint64_t end = ~0ULL;
    while (step < end) {
        step++;
        buf[step % MIGRATE_BUF_WORDS] = buf_word(step % MIGRATE_BUF_WORDS, step);
        for (volatile unsigned long spin = 0; spin < MIGRATE_SPIN; spin++)
            ;
        printf("MIGRATE: step %lu sum %#lx\n", (unsigned long)step,
               (unsigned long)buf_sum());
        if (suspend_rc < 0 && !is_dom0 &&
            xs_request(XS_READ, "control/shutdown", NULL, val, sizeof(val)) == XS_READ &&
            strcmp(val, "suspend") == 0 &&
            xs_request(XS_WRITE, "control/shutdown", "", val, sizeof(val)) == XS_WRITE) {
            do_suspend();
            end = step + MIGRATE_STEPS_AFTER;
        }
    }
    run_check("migrate.resumed", check_resumed);
    run_check("migrate.counter_continues", check_counter);
    run_check("migrate.memory_intact", check_buffer);
    run_check("migrate.clock_forward", check_clock_forward);
    run_check("migrate.system_time_forward", check_system_time_forward);
    run_check("migrate.start_info", check_start_info);
    run_check("migrate.m2p_consistent", check_m2p);
    run_check("migrate.ports_masked", check_ports_masked);
    run_check("migrate.xenstore", check_xenstore);
    print_summary_and_exit();
}
