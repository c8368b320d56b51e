/*
 * What pvhostile64's own frontends (blkfront.c, netfront.c) share: the
 * xenstore ring, one request at a time with answers polled; the grant
 * table's first frame; event channel kicks. Nothing here is hostile: the
 * attacks are in what the frontends put on their rings.
 */
#include "hostile.h"
#include <xen/io/xs_wire.h>

static __attribute__((aligned(4096))) uint8_t gnt_va[4096];
grant_entry_v1_t *fe_gtab;
static struct xenstore_domain_interface *xs;

unsigned long fe_mfn_of(const void *va)
{
    return p2m[((unsigned long)va - VIRT_BASE) / PG];
}

void fe_barrier(void)
{
    __asm__ volatile("mfence" ::: "memory");
}

void fe_yield(void)
{
    hypercall5(__HYPERVISOR_sched_op, SCHEDOP_yield, 0, 0, 0, 0);
}

void fe_kick(evtchn_port_t p)
{
    struct evtchn_send s = { .port = p };
    hypercall5(__HYPERVISOR_event_channel_op, EVTCHNOP_send, &s, 0, 0, 0);
}

static void xs_put(const void *p, uint32_t n)
{
    const uint8_t *b = p;
    for (uint32_t i = 0; i < n; i++) {
        while (xs->req_prod - xs->req_cons >= XENSTORE_RING_SIZE)
            fe_yield();
        xs->req[MASK_XENSTORE_IDX(xs->req_prod)] = (char)b[i];
        fe_barrier();
        xs->req_prod++;
    }
}

static bool xs_get(void *p, uint32_t n)
{
    uint8_t *b = p;
    for (uint32_t i = 0; i < n; i++) {
        unsigned long loops = 0;
        while (xs->rsp_prod == xs->rsp_cons) {
            if (++loops > FE_WAIT_LOOPS)
                return false;
            fe_yield();
        }
        fe_barrier();
        b[i] = (uint8_t)xs->rsp[MASK_XENSTORE_IDX(xs->rsp_cons)];
        fe_barrier();
        xs->rsp_cons++;
    }
    return true;
}

int fe_xs_call(uint32_t type, const char *a, const char *b, char *out, uint32_t outlen)
{
    uint32_t la = (uint32_t)strlen(a) + 1, lb = b ? (uint32_t)strlen(b) : 0;
    struct xsd_sockmsg m = { .type = type, .req_id = 1, .tx_id = 0, .len = la + lb };
    xs_put(&m, sizeof(m));
    xs_put(a, la);
    if (lb)
        xs_put(b, lb);
    fe_kick(si->store_evtchn);
    for (;;) {
        struct xsd_sockmsg r;
        char buf[XENSTORE_PAYLOAD_MAX];
        if (!xs_get(&r, sizeof(r)) || r.len > sizeof(buf) || !xs_get(buf, r.len))
            return -1;
        if (r.type == XS_WATCH_EVENT)
            continue;
        if (r.type == XS_ERROR)
            return -1;
        uint32_t n = r.len < outlen ? r.len : outlen - 1;
        if (out) {
            memcpy(out, buf, n);
            out[n] = 0;
        }
        return 0;
    }
}

void fe_cat(char *dst, const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    memcpy(dst, a, la);
    dst[la] = '/';
    memcpy(dst + la + 1, b, lb + 1);
}

bool fe_xs_read_u(const char *dir, const char *key, uint64_t *v)
{
    char path[160], val[32];
    fe_cat(path, dir, key);
    if (fe_xs_call(XS_READ, path, 0, val, sizeof(val)))
        return false;
    uint64_t n = 0;
    for (const char *p = val; *p >= '0' && *p <= '9'; p++)
        n = n * 10 + (uint64_t)(*p - '0');
    *v = n;
    return val[0] >= '0' && val[0] <= '9';
}

static void u_to_s(char *s, uint64_t v)
{
    char t[24];
    unsigned n = 0;
    do {
        t[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    for (unsigned i = 0; i < n; i++)
        s[i] = t[n - 1 - i];
    s[n] = 0;
}

bool fe_xs_write_u(const char *dir, const char *key, uint64_t v)
{
    char path[160], val[24];
    fe_cat(path, dir, key);
    u_to_s(val, v);
    return fe_xs_call(XS_WRITE, path, val, 0, 0) == 0;
}

bool fe_wait_state(const char *dir, uint64_t want)
{
    for (unsigned long i = 0; i < FE_WAIT_LOOPS; i++) {
        uint64_t s;
        if (fe_xs_read_u(dir, "state", &s) && s == want)
            return true;
        fe_yield();
    }
    return false;
}

void fe_grant(grant_ref_t ref, unsigned long mfn, domid_t d, uint16_t flags)
{
    fe_gtab[ref].domid = d;
    fe_gtab[ref].frame = (uint32_t)mfn;
    fe_barrier();
    fe_gtab[ref].flags = flags;
}

bool fe_in_use(grant_ref_t ref)
{
    return fe_gtab[ref].flags & (GTF_reading | GTF_writing);
}

bool fe_init(void)
{
    if (fe_gtab)
        return true;
    /* The store page is in our initial region. */
    for (unsigned long pfn = 0; pfn < region_pages; pfn++)
        if (p2m[pfn] == si->store_mfn)
            xs = (void *)(VIRT_BASE + pfn * PG);
    if (!xs) {
        fail("front: store page not in the initial region", si->store_mfn, 0);
        return false;
    }
    xen_pfn_t f = 0;
    struct gnttab_setup_table st = { .dom = DOMID_SELF, .nr_frames = 1 };
    set_xen_guest_handle(st.frame_list, &f);
    if (hypercall5(__HYPERVISOR_grant_table_op, GNTTABOP_setup_table, &st, 1, 0, 0) ||
        st.status != GNTST_okay ||
        hypercall5(__HYPERVISOR_update_va_mapping, gnt_va,
                   (f << 12) | PTE_P | PTE_RW | PTE_US | PTE_A | PTE_D, UVMF_INVLPG, 0, 0)) {
        fail("front: grant table setup", st.status, f);
        return false;
    }
    fe_gtab = (grant_entry_v1_t *)gnt_va;
    return true;
}
